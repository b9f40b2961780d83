//! Fuzz target: see qmail_netstring::fuzzing::fuzz_netstring for the property it checks.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    qmail_netstring::fuzzing::fuzz_netstring(data);
});
