//! The checkpassword interface's request: `user\0password\0timestamp\0` on descriptor 3
//! of the checkpassword program, as qmail-popup and qmail-smtpd (AUTH) send it.
use std::io::{self, Write};

/// The descriptor checkpassword reads the request from.
pub const FD: i32 = 3;

/// Write the request to `w` and flush; the copy of the password this makes is zeroed
/// before it is dropped.
pub fn send(w: &mut impl Write, user: &[u8], pass: &[u8], stamp: &[u8]) -> io::Result<()> {
    let mut data = Vec::with_capacity(
        user.len()
            .saturating_add(pass.len())
            .saturating_add(stamp.len())
            .saturating_add(3),
    );
    for part in [user, pass, stamp] {
        data.extend_from_slice(part);
        data.push(0);
    }
    let written = w.write_all(&data).and_then(|()| w.flush());
    data.fill(0);
    std::hint::black_box(&data);
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request() {
        let mut out = Vec::new();
        send(&mut out, b"joe", b"secret", b"<1.2@h>").unwrap();
        assert_eq!(out, b"joe\0secret\0<1.2@h>\0");
    }
}
