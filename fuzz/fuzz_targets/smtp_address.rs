//! Fuzz target: see qmail_smtp::fuzzing::fuzz_address for the property it checks.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    qmail_smtp::fuzzing::fuzz_address(data);
});
