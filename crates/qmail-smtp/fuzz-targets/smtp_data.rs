//! cargo-fuzz target (copy to fuzz/fuzz_targets/): the DATA decoder never panics, and
//! unstuffing is the exact inverse of stuffing.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    qmail_smtp::fuzzing::fuzz_data(data);
});
