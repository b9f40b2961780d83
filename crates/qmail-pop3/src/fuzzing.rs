//! Fuzz entry point (the fuzz/ workspace wraps it in `fuzz_target!`). It panics only when
//! a property fails.
use std::io::BufReader;

use crate::commands::{getline, split, LINE_MAX};

use crate::blast::blast;
use crate::state::{Mailbox, Message, Step};

/// Feed `data` as a client's command stream to the command reader and a mailbox of five
/// messages. Every reply must be CRLF-terminated, every line kept must be bounded, a
/// message sent must exist and not be deleted, and LAST may not pass the listing.
pub fn fuzz_pop3_command(data: &[u8]) {
    let msgs: Vec<Message> = (0..5u64)
        .map(|i| Message::new(format!("new/{i}.x.host").into_bytes(), i.saturating_mul(7)))
        .collect();
    let mut mb = Mailbox::new(msgs);
    let mut r = BufReader::with_capacity(7, data);
    let mut line = Vec::new();
    while let Ok(true) = getline(&mut r, &mut line) {
        assert!(line.len() <= LINE_MAX);
        match mb.on_command(split(&line)) {
            Step::Reply(b) => {
                assert!(b.ends_with(b"\r\n"), "reply without CRLF");
                assert!(b.starts_with(b"+OK ") || b.starts_with(b"-ERR "));
            }
            Step::Send { index, limit } => {
                let m = mb.messages().get(index);
                assert!(m.is_some_and(|m| !m.deleted), "sending a deleted message");
                // The transfer itself, over the command bytes as a message.
                let mut out = Vec::new();
                let mut msg = BufReader::new(data);
                assert!(blast(&mut msg, &mut out, limit).is_ok());
                // Dot-stuffing: the end marker appears once, at the end.
                let wire = [&b"\r\n"[..], &out].concat();
                let first_end = wire.windows(5).position(|w| w == b"\r\n.\r\n");
                assert_eq!(first_end, Some(wire.len().saturating_sub(5)));
            }
            Step::Quit => break,
        }
        assert!(mb.last() <= mb.messages().len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples() {
        fuzz_pop3_command(
            b"STAT\r\nLIST\r\nDELE 3\r\nRETR 3\r\nTOP 1 2\r\nLAST\r\nRSET\r\nQUIT\r\n",
        );
        fuzz_pop3_command(b"dele 0\ndele 99999999999999999999999\nretr\n\0\n\r\n");
        fuzz_pop3_command(b".\n..\nretr 1\n");
        let mut x: u32 = 7;
        for _ in 0..2000 {
            let mut v = Vec::new();
            for _ in 0..(x % 60) {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let words: [&[u8]; 12] = [
                    b"RETR ", b"TOP ", b"DELE ", b"LIST", b"1", b"5", b"0", b" ", b"\r\n", b"\n",
                    b".", b"RSET\n",
                ];
                v.extend_from_slice(words[(x >> 16) as usize % 12]);
            }
            fuzz_pop3_command(&v);
        }
    }
}
