//! Fuzz target: an SPF record from DNS (any bytes after `v=spf1`) and a macro-string in
//! both grammars. The parsers never panic; expansion of whatever parses never panics and,
//! shortened as check_host does, never names more than 253 bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use qmail_spf::macros::{expand, shorten, Context, MacroString};
use qmail_spf::record::Record;

fuzz_target!(|data: &[u8]| {
    let _ = Record::parse(data);
    let _ = Record::parse(&[&b"v=spf1 "[..], data].concat());
    let cx = Context {
        sender: data,
        local: data,
        sender_domain: b"example.com",
        domain: b"example.com",
        ip: std::net::IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]),
        helo: data,
        receiver: b"mx.example.net",
        now: 0,
    };
    for exp in [false, true] {
        if let Ok(m) = MacroString::parse(data, exp) {
            let out = expand(&m, &cx, &mut || data.to_vec());
            assert!(shorten(&out).len() <= 253);
        }
    }
});
