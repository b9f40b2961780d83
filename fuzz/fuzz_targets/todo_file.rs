//! Fuzz target: the queue record decoders (todo, info, channel and bounce files) never
//! panic, and every todo record returned was NUL-terminated in the input with a known type.
#![no_main]
use libfuzzer_sys::fuzz_target;
use qmail_core::queue::records::{decode_bounce, decode_chan, decode_info, parse_todo, TodoRec};

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
    let _ = decode_info(data);
    let _ = decode_chan(data);
    let _ = decode_bounce(data);
});
