//! Fuzz target: the engine's line on qmail-tlsd's control socket. Any bytes never panic,
//! and a line that parses formats back to exactly itself (one spelling per answer).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = qmail_tlsctl::Reply::parse(data) {
        assert_eq!(r.format(), data);
    }
});
