//! Fuzz target: see qmail_dns::fuzzing::fuzz_dns_packet for the property it checks.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    qmail_dns::fuzzing::fuzz_dns_packet(data);
});
