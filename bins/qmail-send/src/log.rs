//! Every line qmail-send writes to its log, built in one place. Addresses and
//! report texts pass through `logsafe`; nothing else in the program formats log text.
use crate::chan::{Channel, PerChannel};

pub use qmail_core::sendlog::{alert, logsafe, warn_fn, warning};

fn line(parts: &[&[u8]]) -> Vec<u8> {
    let mut v = parts.concat();
    v.push(b'\n');
    v
}

pub fn status(used: PerChannel<usize>, conc: PerChannel<usize>, exitasap: bool) -> Vec<u8> {
    let mut s = format!(
        "status: local {}/{} remote {}/{}",
        used.local, conc.local, used.remote, conc.remote
    )
    .into_bytes();
    if exitasap {
        s.extend_from_slice(b" exitasap");
    }
    s.push(b'\n');
    s
}

pub fn starting(delid: u64, id: u64, chan: Channel, recip: &[u8]) -> Vec<u8> {
    line(&[
        format!("starting delivery {delid}: msg {id} to {} ", chan.name()).as_bytes(),
        &logsafe(recip),
    ])
}

pub fn success(delid: u64, text: &[u8]) -> Vec<u8> {
    line(&[
        format!("delivery {delid}: success: ").as_bytes(),
        &logsafe(text),
    ])
}

pub fn deferral(delid: u64, text: &[u8]) -> Vec<u8> {
    line(&[
        format!("delivery {delid}: deferral: ").as_bytes(),
        &logsafe(text),
    ])
}

pub fn failure(delid: u64, text: &[u8]) -> Vec<u8> {
    line(&[
        format!("delivery {delid}: failure: ").as_bytes(),
        &logsafe(text),
    ])
}

pub fn mangled(delid: u64) -> Vec<u8> {
    format!("delivery {delid}: report mangled, will defer\n").into_bytes()
}

pub fn bounce_msg(id: u64, qp: u32) -> Vec<u8> {
    format!("bounce msg {id} qp {qp}\n").into_bytes()
}

pub fn triple_bounce(id: u64) -> Vec<u8> {
    format!("triple bounce: discarding bounce/{id}\n").into_bytes()
}

pub fn end_msg(id: u64) -> Vec<u8> {
    format!("end msg {id}\n").into_bytes()
}

pub const EXITING: &[u8] = b"status: exiting\n";

/// A delivery that was under way when qmail-send died: the next one may be a repeat.
pub fn maybe_repeat(id: u64, chan: Channel, recip: &[u8]) -> Vec<u8> {
    line(&[
        format!("warning: msg {id}: {} delivery to ", chan.name()).as_bytes(),
        &logsafe(recip),
        b" was under way when qmail-send stopped; the next may be a repeat",
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_texts() {
        assert_eq!(
            status(PerChannel::new(0, 0), PerChannel::new(10, 20), false),
            b"status: local 0/10 remote 0/20\n"
        );
        assert_eq!(
            status(PerChannel::new(1, 2), PerChannel::new(3, 4), true),
            b"status: local 1/3 remote 2/4 exitasap\n"
        );
        assert_eq!(
            starting(1, 7, Channel::Local, b"x y@z"),
            b"starting delivery 1: msg 7 to local x_y@z\n"
        );
        assert_eq!(
            success(1, b"did 1+0+0\n"),
            b"delivery 1: success: did_1+0+0/\n"
        );
        assert_eq!(deferral(2, b"x"), b"delivery 2: deferral: x\n");
        assert_eq!(failure(3, b"x"), b"delivery 3: failure: x\n");
        assert_eq!(mangled(4), b"delivery 4: report mangled, will defer\n");
        assert_eq!(bounce_msg(5, 42), b"bounce msg 5 qp 42\n");
        assert_eq!(triple_bounce(5), b"triple bounce: discarding bounce/5\n");
        assert_eq!(end_msg(5), b"end msg 5\n");
    }
}
