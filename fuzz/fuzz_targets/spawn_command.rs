//! Fuzz target: the spawn-protocol reader of qmail-lspawn/qmail-rspawn never panics, gives
//! the same commands however the input is split, and validation never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use qmail_spawn::cmd::{validate, CmdParser};

fuzz_target!(|data: &[u8]| {
    let whole = CmdParser::default().feed(data);
    let cut = data.first().map_or(0, |&b| usize::from(b)) % (data.len() + 1);
    let mut p = CmdParser::default();
    let (a, b) = data.split_at(cut);
    let mut split = p.feed(a);
    split.extend(p.feed(b));
    assert_eq!(whole, split);
    for c in &whole {
        let _ = validate(c, 120, false);
        let _ = validate(c, 1, true);
    }
});
