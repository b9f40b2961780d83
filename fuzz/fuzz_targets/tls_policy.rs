//! Fuzz target: see qmail_remote_core::fuzzing::fuzz_tlspolicy for the property it checks.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    qmail_remote_core::fuzzing::fuzz_tlspolicy(data);
});
