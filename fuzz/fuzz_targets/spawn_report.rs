//! Fuzz target: the framing of spawn reports qmail-send reads never panics, keeps every report
//! within REPORTMAX bytes and gives the same reports however the input is split.
#![no_main]
use libfuzzer_sys::fuzz_target;
use qmail_spawn::report::{ReportBuf, REPORTMAX};

fuzz_target!(|data: &[u8]| {
    let whole = ReportBuf::default().feed(data);
    let mut r = ReportBuf::default();
    let mut split = Vec::new();
    for chunk in data.chunks(7) {
        split.extend(r.feed(chunk));
    }
    assert_eq!(whole, split);
    assert!(whole.iter().all(|rep| rep.len() <= REPORTMAX));
});
