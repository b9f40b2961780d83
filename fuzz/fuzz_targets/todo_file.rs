//! Fuzz target: qmail-send's todo reader never panics, and every record it returns
//! was NUL-terminated in the input with a known type.
#![no_main]
use libfuzzer_sys::fuzz_target;
use qmail_send::records::{info_sender, parse_todo, TodoRec};

fuzz_target!(|data: &[u8]| {
    if let Some(recs) = parse_todo(data) {
        let mut rebuilt = Vec::new();
        for r in &recs {
            let (k, body) = match r {
                TodoRec::Uid(b) => (b'u', b),
                TodoRec::Pid(b) => (b'p', b),
                TodoRec::From(b) => (b'F', b),
                TodoRec::To(b) => (b'T', b),
            };
            rebuilt.push(k);
            rebuilt.extend_from_slice(body);
            rebuilt.push(0);
        }
        assert!(data.starts_with(&rebuilt), "records are a prefix of the file");
    }
    let _ = info_sender(data);
});
