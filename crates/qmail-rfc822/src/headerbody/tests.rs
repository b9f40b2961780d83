//! Tests for headerbody: header/body splitting, continuation lines, mbox From lines, streaming the body.

use super::*;

fn v(x: &[&str]) -> Vec<Vec<u8>> {
    x.iter().map(|s| s.as_bytes().to_vec()).collect()
}

#[test]
fn fields_and_blank() {
    let (f, b) = split(b"A: 1\nB: 2\n  cont\n\tmore\n\nbody\nx");
    assert_eq!(f, v(&["A: 1\n", "B: 2\n  cont\n\tmore\n"]));
    assert_eq!(b, b"\nbody\nx\n");
}

#[test]
fn not_a_field_starts_body() {
    let (f, b) = split(b"A: 1\nnot a field\nrest\n");
    assert_eq!(f, v(&["A: 1\n"]));
    assert_eq!(b, b"\nnot a field\nrest\n");
    let (f, b) = split(b"just body\n");
    assert!(f.is_empty());
    assert_eq!(b, b"\njust body\n");
}

#[test]
fn mbox_line_and_eof() {
    let (f, b) = split(b"From x y\nA: 1");
    assert_eq!(f, v(&["MBOX-Line: From x y\n", "A: 1\n"]));
    assert!(b.is_empty());
    let (f, b) = split(b"");
    assert!(f.is_empty() && b.is_empty());
}

#[test]
fn continuation_of_nothing_is_body() {
    let (f, b) = split(b" leading space\n");
    assert!(f.is_empty());
    assert_eq!(b, b"\n leading space\n");
}

#[test]
fn body_streams_in_pieces() {
    let data = vec![b'x'; 100_000];
    let mut r = io::BufReader::with_capacity(4096, &data[..]);
    let mut biggest = 0;
    let mut total = 0;
    copy_body(&mut r, b'\n', &mut |b| {
        biggest = biggest.max(b.len());
        total += b.len();
    })
    .unwrap();
    assert!(biggest <= 4096);
    assert_eq!(total, 100_001);
}

/// The split decided early must equal the split of whole lines.
#[test]
fn early_decision_matches_line_rules() {
    let cases: &[&[u8]] = &[
        b"X Y: z\nA: b\n",
        b"From x\nA: 1\n\nb",
        b"Fro: x\n\nb",
        b"From: x\n\nb",
        b"Fr m x\n",
        b"X :a\n\nb",
        b"X\t \t:a\n\nb",
        b"A: 1\n\tcont\n bad line\n\nb",
        b"A: 1\nb\xe9d: x\nrest",
        b"A: 1\nctl\x01: x\nrest",
        b"body line without colon\nnext",
        b"longname",
        b": empty name\n",
        b"\r\n",
    ];
    for &m in cases {
        let (f, b) = split(m);
        let mut whole = f.concat();
        whole.extend_from_slice(&b);
        // reference: the line-by-line rules
        let mut fields: Vec<Vec<u8>> = Vec::new();
        let mut cur: Option<Vec<u8>> = None;
        let mut body = Vec::new();
        let mut lines: Vec<Vec<u8>> = m
            .split_inclusive(|&c| c == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        if let Some(l) = lines.last_mut() {
            if l.last() != Some(&b'\n') {
                l.push(b'\n');
            }
        }
        let mut it = lines.into_iter();
        for l in it.by_ref() {
            if let Some(c) = cur.as_mut() {
                if matches!(l.first(), Some(b' ' | b'\t')) {
                    c.extend_from_slice(&l);
                    continue;
                }
            }
            fields.extend(cur.take());
            if l == b"\n" {
                body.push(b'\n');
                break;
            }
            if l.starts_with(b"From ") {
                cur = Some([b"MBOX-Line: ".as_slice(), &l].concat());
            } else if hfield::valid(&l) {
                cur = Some(l);
            } else {
                body.push(b'\n');
                body.extend_from_slice(&l);
                break;
            }
        }
        fields.extend(cur.take());
        for l in it {
            body.extend_from_slice(&l);
        }
        assert_eq!((f, b), (fields, body), "{:?}", String::from_utf8_lossy(m));
    }
}

#[test]
fn huge_first_body_line_is_not_buffered() {
    let mut msg = b"this is body text".to_vec();
    msg.resize(1_000_000, b'x');
    let mut r = io::BufReader::with_capacity(4096, &msg[..]);
    let (f, start) = read_header(&mut r).unwrap();
    assert!(f.is_empty());
    assert_eq!(start, BodyStart::Line(b"this i".to_vec()));
    assert_eq!(start.last(), b'i');
    let mut n = 0;
    copy_body(&mut r, start.last(), &mut |b| n += b.len()).unwrap();
    assert_eq!(n, 1_000_000 - 6 + 1);
}
