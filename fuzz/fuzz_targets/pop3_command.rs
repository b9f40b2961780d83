//! Fuzz target: see qmail_pop3::fuzzing::fuzz_pop3_command for the property it checks.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    qmail_pop3::fuzzing::fuzz_pop3_command(data);
});
