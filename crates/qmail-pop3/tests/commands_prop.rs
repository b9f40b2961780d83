//! Properties of the POP3 command reader: the lines it gives are the input's lines (cut
//! at LINE_MAX, the LF dropped), whatever the read size; split never invents bytes.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use proptest::prelude::*;
use qmail_pop3::commands::{getline, split, LINE_MAX};
use std::io::BufReader;

fn all_lines(data: &[u8], cap: usize) -> Vec<Vec<u8>> {
    let mut r = BufReader::with_capacity(cap, data);
    let mut out = Vec::new();
    let mut line = Vec::new();
    while getline(&mut r, &mut line).unwrap() {
        out.push(line.clone());
    }
    out
}

/// The reference: split at LF; a last piece without LF is no command (EOF ends the
/// session before it is complete).
fn reference(data: &[u8]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = data
        .split(|&b| b == b'\n')
        .map(|l| l[..l.len().min(LINE_MAX)].to_vec())
        .collect();
    v.pop();
    v
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(b"USERPASS quit\r\n\0\n xy".to_vec()),
        0..200,
    )
}

proptest! {
    #[test]
    fn lines_do_not_depend_on_the_read_size(data in bytes(), cap in 1usize..64) {
        prop_assert_eq!(all_lines(&data, cap), all_lines(&data, 8192));
        prop_assert_eq!(all_lines(&data, cap), reference(&data));
    }

    #[test]
    fn split_takes_only_bytes_of_the_line(line in bytes()) {
        let c = split(&line);
        prop_assert!(!c.verb.contains(&b' ') && !c.verb.contains(&0) && !c.arg.contains(&0));
        prop_assert!(c.verb.len() + c.arg.len() <= line.len());
        prop_assert!(line.starts_with(c.verb));
        prop_assert!(c.arg.is_empty() || !c.arg.starts_with(b" "));
    }
}
