use super::*;
use proptest::collection::vec;
use proptest::prelude::*;

#[test]
fn todo_records() {
    let t = parse_todo(b"u0\0p42\0Fa@b\0Tc@d\0T\0partial").unwrap_or_default();
    assert_eq!(
        t,
        [
            TodoRec::Uid(b"0"),
            TodoRec::Pid(b"42"),
            TodoRec::From(b"a@b"),
            TodoRec::To(b"c@d"),
            TodoRec::To(b"")
        ]
    );
    assert_eq!(parse_todo(b"u0\0X\0"), None);
    assert_eq!(parse_todo(b"u0\0\0"), None);
    assert_eq!(parse_todo(b""), Some(vec![]));
    assert_eq!(
        encode_todo(7, 9, b"a", &[b"b"]),
        b"u7\0p9\0Fa\0Tb\0".to_vec()
    );
}

#[test]
fn channel_records() {
    let mut r = io::Cursor::new(b"Ta@b\0Dxy\0Q\0Tcut".to_vec());
    assert_eq!(
        read_chan(&mut r).ok(),
        Some(ChanRead::Todo(b"a@b".to_vec()))
    );
    assert_eq!(read_chan(&mut r).ok(), Some(ChanRead::Done(4)));
    assert_eq!(read_chan(&mut r).ok(), Some(ChanRead::Unknown(2)));
    assert_eq!(read_chan(&mut r).ok(), Some(ChanRead::Eof));
    assert_eq!(
        decode_chan(b"Ta@b\0Dxy\0Q\0Tcut"),
        [
            ChanRec::Todo(b"a@b"),
            ChanRec::Done(b"xy"),
            ChanRec::Unknown
        ]
    );
}

#[test]
fn info() {
    assert_eq!(decode_info(b"Fa@b\0"), Some(&b"a@b"[..]));
    assert_eq!(decode_info(b"F\0"), Some(&b""[..]));
    assert_eq!(decode_info(b"Fa@b"), None);
    assert_eq!(decode_info(b"Ta\0"), None);
}

#[test]
fn bounce_paragraphs() {
    let p = encode_bounce(b"a@b", b"Sorry.\n\nReally.");
    assert_eq!(p, b"<a@b>:\nSorry.\n/Really.\n\n".to_vec());
    assert_eq!(
        decode_bounce(&p),
        [(&b"a@b"[..], &b"Sorry.\n/Really.\n"[..])]
    );
    assert_eq!(encode_bounce(b"x\ny", b""), b"<x_y>:\n\n".to_vec());
}

fn addr() -> impl Strategy<Value = Vec<u8>> {
    vec(1u8..=255, 0..40)
}

proptest! {
    #[test]
    fn todo_round_trip(uid: u32, pid: u32, from in addr(), to in vec(addr(), 0..5)) {
        let refs: Vec<&[u8]> = to.iter().map(Vec::as_slice).collect();
        let enc = encode_todo(uid, pid, &from, &refs);
        let recs = parse_todo(&enc).unwrap_or_default();
        let uid_s = uid.to_string();
        let pid_s = pid.to_string();
        let mut want = vec![
            TodoRec::Uid(uid_s.as_bytes()),
            TodoRec::Pid(pid_s.as_bytes()),
            TodoRec::From(&from),
        ];
        want.extend(to.iter().map(|t| TodoRec::To(t)));
        prop_assert_eq!(recs, want);
    }

    #[test]
    fn info_round_trip(from in addr()) {
        let enc = encode_info(&from);
        prop_assert_eq!(decode_info(&enc), Some(&from[..]));
    }

    #[test]
    fn chan_round_trip(to in vec(addr(), 0..8), done in vec(any::<bool>(), 8)) {
        let mut file = Vec::new();
        let mut offsets = Vec::new();
        for t in &to {
            offsets.push(file.len());
            encode_chan(t, &mut file);
        }
        for (&o, &d) in offsets.iter().zip(&done) {
            if d {
                file[o] = DONE;
            }
        }
        let want: Vec<ChanRec> = to
            .iter()
            .zip(done.iter().chain(std::iter::repeat(&false)))
            .map(|(t, &d)| if d { ChanRec::Done(t) } else { ChanRec::Todo(t) })
            .collect();
        prop_assert_eq!(decode_chan(&file), want);
        let mut r = io::Cursor::new(file.clone());
        let mut pos = 0u64;
        for (t, &d) in to.iter().zip(done.iter().chain(std::iter::repeat(&false))) {
            let got = read_chan(&mut r).ok();
            let len = t.len() as u64 + 2;
            if d {
                prop_assert_eq!(got, Some(ChanRead::Done(len)));
            } else {
                prop_assert_eq!(got, Some(ChanRead::Todo(t.clone())));
            }
            pos += len;
        }
        prop_assert_eq!(pos, file.len() as u64);
        prop_assert_eq!(read_chan(&mut r).ok(), Some(ChanRead::Eof));
    }

    #[test]
    fn bounce_round_trip(recip in vec(1u8..=255, 0..30), report in vec(any::<u8>(), 0..80)) {
        let enc = encode_bounce(&recip, &report);
        let got = decode_bounce(&enc);
        // what survives: the recipient without newlines, the report without blank lines
        let shown: Vec<u8> = recip.iter().map(|&b| if b == b'\n' { b'_' } else { b }).collect();
        prop_assert!(enc.ends_with(b"\n\n"));
        prop_assert_eq!(got.len(), 1);
        prop_assert_eq!(got[0].0, &shown[..]);
    }

    #[test]
    fn parsers_never_panic(data in vec(any::<u8>(), 0..100)) {
        let _ = parse_todo(&data);
        let _ = decode_info(&data);
        let _ = decode_chan(&data);
        let _ = decode_bounce(&data);
        let mut r = io::Cursor::new(data);
        for _ in 0..10 {
            let _ = read_chan(&mut r);
        }
    }
}
