//! control::{list_lines, first_line, parse_uint} and ConstMap on arbitrary file contents:
//! never panic, and the results obey qmail-control(5)'s rules.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use qmail_core::constmap::ConstMap;
use qmail_core::control::{first_line, list_lines, parse_uint};

fn stripped(l: &[u8]) -> bool {
    !matches!(l.last(), Some(b' ' | b'\t' | b'\r' | b'\n'))
}

fuzz_target!(|data: &[u8]| {
    let lines = list_lines(data);
    for l in &lines {
        assert!(!l.is_empty(), "empty entry");
        assert!(l.first() != Some(&b'#'), "comment entry");
        assert!(!l.contains(&b'\n'));
        assert!(stripped(l));
    }

    let first = first_line(data);
    assert!(data.starts_with(first));
    assert!(!first.contains(&b'\n'));
    assert!(stripped(first));

    let digits: Vec<u8> = first.iter().copied().take_while(u8::is_ascii_digit).collect();
    match parse_uint(first) {
        Some(n) => {
            let significant: Vec<u8> = match digits.iter().position(|&d| d != b'0') {
                Some(i) => digits[i..].to_vec(),
                None => b"0".to_vec(),
            };
            assert_eq!(n.to_string().into_bytes(), significant);
        }
        // No leading digit, or the number does not fit in u64.
        None => assert!(digits.is_empty() || digits.len() >= 20),
    }

    let plain = ConstMap::new(&lines, false);
    for l in &lines {
        assert_eq!(plain.get(&l.to_ascii_uppercase()), Some(&b""[..]));
    }
    let colon = ConstMap::new(&lines, true);
    let mut last = std::collections::HashMap::new();
    for l in &lines {
        if let Some(i) = l.iter().position(|&b| b == b':') {
            last.insert(l[..i].to_ascii_lowercase(), &l[i + 1..]);
        }
    }
    assert_eq!(colon.len(), last.len());
    for (k, v) in last {
        assert_eq!(colon.get(&k.to_ascii_uppercase()), Some(v), "last duplicate wins");
    }
});
