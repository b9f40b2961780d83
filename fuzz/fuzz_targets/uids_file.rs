//! qmail_core::uids::parse on arbitrary file contents (users/uids, which the setuid
//! qmail-queue reads): never panics, and what it accepts formats back to the same uids.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use qmail_core::uids::parse;

fuzz_target!(|data: &[u8]| {
    if let Some(u) = parse(data) {
        assert_eq!(parse(&u.format()), Some(u));
        assert!(data.ends_with(b"\n") || data.is_empty());
    }
});
