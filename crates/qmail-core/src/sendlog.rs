//! The lines qmail-send's log shares with qmail-todo, which writes into the same log:
//! `logsafe`, the alerts and warnings, and the `new msg`/`info msg` lines of qmail-log(5).

/// `\n` becomes `/`; bytes below 33, above 126, and `%` become `_`.
pub fn logsafe(s: &[u8]) -> Vec<u8> {
    s.iter()
        .map(|&b| match b {
            b'\n' => b'/',
            b'%' => b'_',
            33..=126 => b,
            _ => b'_',
        })
        .collect()
}

/// `alert: TEXT` (TEXT from qmail-log(5)'s fixed list).
pub fn alert(text: &str) -> Vec<u8> {
    format!("alert: {text}\n").into_bytes()
}

/// `warning: TEXT`.
pub fn warning(text: &str) -> Vec<u8> {
    format!("warning: {text}\n").into_bytes()
}

/// `warning: WHAT FN[TAIL]` for the file warnings (`unable to stat `, `; will try again later`).
pub fn warn_fn(what: &str, fname: &str, tail: &str) -> Vec<u8> {
    format!("warning: {what}{fname}{tail}\n").into_bytes()
}

pub fn new_msg(id: u64) -> Vec<u8> {
    format!("new msg {id}\n").into_bytes()
}

pub fn info_msg(id: u64, size: u64, sender: &[u8], qp: &[u8], uid: &[u8]) -> Vec<u8> {
    let mut v = format!("info msg {id}: bytes {size} from <").into_bytes();
    v.extend_from_slice(&logsafe(sender));
    v.extend_from_slice(b"> qp ");
    v.extend_from_slice(qp);
    v.extend_from_slice(b" uid ");
    v.extend_from_slice(uid);
    v.push(b'\n');
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_texts() {
        assert_eq!(logsafe(b"a b%c\nd\x7f\x01~!"), b"a_b_c/d__~!");
        assert_eq!(new_msg(7), b"new msg 7\n");
        assert_eq!(
            info_msg(7, 282, b"a@b", b"99", b"0"),
            b"info msg 7: bytes 282 from <a@b> qp 99 uid 0\n"
        );
        assert_eq!(alert("x y"), b"alert: x y\n");
        assert_eq!(
            warn_fn("unable to stat ", "mess/5/5", "; will try again later"),
            b"warning: unable to stat mess/5/5; will try again later\n"
        );
    }
}
