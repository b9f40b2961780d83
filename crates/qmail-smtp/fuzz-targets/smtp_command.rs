//! cargo-fuzz target (copy to fuzz/fuzz_targets/): the SMTP command loop never panics,
//! and cutting the input into two reads anywhere gives the same session.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    qmail_smtp::fuzzing::fuzz_command(data);
});
