//! Fuzz target: see qmail_smtp::fuzzing::fuzz_auth (base64, PLAIN responses, the AUTH
//! exchange in a session).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    qmail_smtp::fuzzing::fuzz_auth(data);
});
