use super::*;
use proptest::prelude::*;

/// Decode a whole input in one call.
fn decode(input: &[u8], databytes: u64) -> (Vec<u8>, Step, usize, Blast) {
    let mut b = Blast::new(databytes);
    let mut out = Vec::new();
    let (n, step) = b.feed(input, &mut out);
    (out, step, n, b)
}

fn body(input: &[u8]) -> (Vec<u8>, Step) {
    let (out, step, _, _) = decode(input, 0);
    (out, step)
}

use crate::fuzzing::stuff;

#[test]
fn plain_message() {
    assert_eq!(
        body(b"Subject: x\r\n\r\nbody\r\n.\r\n"),
        (b"Subject: x\n\nbody\n".to_vec(), Step::End)
    );
    assert_eq!(body(b".\r\n"), (Vec::new(), Step::End), "empty message");
}

#[test]
fn end_marker_stops_consumption() {
    let (out, step, n, _) = decode(b"a\r\n.\r\nQUIT\r\n", 0);
    assert_eq!((out.as_slice(), step, n), (&b"a\n"[..], Step::End, 6));
}

#[test]
fn dot_unstuffing_drops_any_leading_dot() {
    assert_eq!(body(b"..x\r\n.\r\n").0, b".x\n");
    assert_eq!(body(b".x\r\n.\r\n").0, b"x\n");
    assert_eq!(body(b"...\r\n.\r\n").0, b"..\n");
    assert_eq!(body(b"a.b\r\n.\r\n").0, b"a.b\n");
}

#[test]
fn near_misses_stay_inside() {
    // CR . CR LF: the CR is data, the dot is not at a line start.
    assert_eq!(
        body(b"a\r.\r\nb\r\n.\r\n"),
        (b"a\r.\nb\n".to_vec(), Step::End)
    );
    // CR LF . CR x: dot and CR kept.
    assert_eq!(
        body(b"a\r\n.\rx\r\n.\r\n"),
        (b"a\n.\rx\n".to_vec(), Step::End)
    );
    // CR LF . CR CR LF
    assert_eq!(
        body(b"a\r\n.\r\r\n.\r\n"),
        (b"a\n.\r\n".to_vec(), Step::End)
    );
    // CR CR LF: the first CR is data
    assert_eq!(
        body(b"a\r\r\nb\r\n.\r\n"),
        (b"a\r\nb\n".to_vec(), Step::End)
    );
    // CR LF . CR at the very end of the input: waiting
    assert_eq!(body(b"a\r\n.\r"), (b"a\n".to_vec(), Step::More));
}

#[test]
fn bare_lf_anywhere_is_fatal() {
    for input in [
        &b"a\nb\r\n.\r\n"[..],
        b"\n",
        b"a\r\n\n",
        b"a\r\n.\n",
        b"a\n.\r\n",
        b"a\n.\n",
        b"a\r\n.\r\nx",
    ] {
        let (_, step) = body(input);
        if input == b"a\r\n.\r\nx" {
            assert_eq!(step, Step::End);
        } else {
            assert_eq!(
                step,
                Step::StrayNewline,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }
    // the smuggling probe: LF . CR LF never ends the message
    let (_, step, n, _) = decode(b"first part\n.\r\nMAIL FROM:<x>\r\n", 0);
    assert_eq!((step, n), (Step::StrayNewline, 11));
}

#[test]
fn nul_and_8bit_kept() {
    assert_eq!(body(b"a\0b\xff\r\n.\r\n").0, b"a\0b\xff\n");
}

#[test]
fn long_line_kept() {
    let mut input = vec![b'a'; 1 << 20];
    input.extend_from_slice(b"\r\n.\r\n");
    let (out, step) = body(&input);
    assert_eq!(step, Step::End);
    assert_eq!(out.len(), (1 << 20) + 1);
}

#[test]
fn hops() {
    let mut m = Vec::new();
    for i in 0..99 {
        match i % 4 {
            0 => m.extend_from_slice(b"Delivered-To: x\r\n"),
            1 => m.extend_from_slice(b"received: x\r\n"),
            2 => m.extend_from_slice(b"ReCeIvEd-SPF: x\r\n"),
            _ => m.extend_from_slice(b"DELIVERED x\r\n"),
        }
    }
    m.extend_from_slice(
        b"Deliver: no\r\nReceive: no\r\nX-Received: no\r\n\r\nReceived: body\r\n.\r\n",
    );
    let (_, step, _, b) = decode(&m, 0);
    assert_eq!(step, Step::End);
    assert_eq!(b.hops(), 99);
    assert!(!b.too_many_hops());
    let mut m100 = b"Received: one more\r\n".to_vec();
    m100.extend_from_slice(&m);
    let (_, _, _, b) = decode(&m100, 0);
    assert_eq!(b.hops(), 100);
    assert!(b.too_many_hops());
}

#[test]
fn header_ends_at_first_empty_line() {
    let (_, _, _, b) = decode(b"\r\nReceived: x\r\n.\r\n", 0);
    assert_eq!(b.hops(), 0);
}

#[test]
fn databytes() {
    // exactly databytes decoded bytes are fine
    let (out, step, _, b) = decode(b"12345\r\n.\r\n", 6);
    assert_eq!(
        (out.as_slice(), step, b.overflowed()),
        (&b"12345\n"[..], Step::End, false)
    );
    // one more is not, but the data is still read to its end
    let (_, step, n, b) = decode(b"123456\r\n.\r\nQUIT\r\n", 6);
    assert_eq!((step, n, b.overflowed()), (Step::End, 11, true));
    // stuffing dots and CRLF do not count twice
    let (_, _, _, b) = decode(b"..\r\n.\r\n", 2);
    assert!(!b.overflowed());
    let (_, _, _, b) = decode(b"x\r\n.\r\n", 0);
    assert!(!b.overflowed());
}

/// Feed `input` in pieces cut at `cuts`; concatenate.
fn decode_split(input: &[u8], cuts: &[usize]) -> (Vec<u8>, Step, usize) {
    let mut b = Blast::new(0);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    bounds.sort_unstable();
    bounds.push(input.len());
    for end in bounds {
        if end < pos {
            continue;
        }
        let (n, step) = b.feed(&input[pos..end], &mut out);
        pos += n;
        if step != Step::More {
            return (out, step, pos);
        }
    }
    (out, Step::More, pos)
}

#[test]
fn every_split_point_gives_the_same_result() {
    let input = b"Received: a\r\n..dot\r\nx\ry\r\r\n.\rz\r\n\r\n.\r\nafter";
    let whole = decode_split(input, &[]);
    for cut in 0..=input.len() {
        assert_eq!(decode_split(input, &[cut]), whole, "cut at {cut}");
    }
}

proptest! {
    #[test]
    fn unstuffing_inverts_stuffing(m in proptest::collection::vec(
        prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a'), Just(0u8), any::<u8>()], 0..200)) {
        let mut expect = m.clone();
        if !expect.is_empty() && expect.last() != Some(&b'\n') {
            expect.push(b'\n');
        }
        let wire = stuff(&m);
        let (out, step, n, _) = decode(&wire, 0);
        prop_assert_eq!(step, Step::End);
        prop_assert_eq!(n, wire.len());
        prop_assert_eq!(out, expect);
    }

    #[test]
    fn splitting_never_changes_the_result(
        input in proptest::collection::vec(
            prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'R'), any::<u8>()], 0..120),
        cuts in proptest::collection::vec(0usize..130, 0..6)) {
        prop_assert_eq!(decode_split(&input, &cuts), decode_split(&input, &[]));
    }
}
