//! Fuzz target: see qmail_local_core::fuzzing::fuzz_dot_qmail for the property it checks.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    qmail_local_core::fuzzing::fuzz_dot_qmail(data);
});
