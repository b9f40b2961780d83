//! What qmail-qmtpd answers for each recipient (interface data: QMTP clients parse the
//! first byte, people read the rest). Each answer goes out as one netstring.

/// The domain is not in rcpthosts/morercpthosts.
pub const NOT_RCPTHOST: &[u8] =
    b"Dsorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)";
/// The recipient is 1000 bytes or more (with RELAYCLIENT), or contains a NUL.
pub const BAD_RECIPIENT: &[u8] = b"Dsorry, I can't handle that recipient (#5.1.3)";
/// The sender is 1000 bytes or more, or contains a NUL.
pub const BAD_SENDER: &[u8] = b"Dunacceptable sender (#5.1.7)";
/// The message is larger than databytes.
pub const TOO_BIG: &[u8] = b"Dsorry, that message size exceeds my databytes limit (#5.3.4)";

/// Success: the time and qmail-queue's pid.
pub fn ok(now: i64, qp: u32) -> Vec<u8> {
    format!("Kok {now} qp {qp}").into_bytes()
}

/// Why a recipient was not handed to qmail-queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not an allowed rcpthost.
    Domain,
    /// Too long.
    Long,
    /// Contains a NUL.
    Nul,
}

impl Refusal {
    pub fn text(self) -> &'static [u8] {
        match self {
            Refusal::Domain => NOT_RCPTHOST,
            Refusal::Long | Refusal::Nul => BAD_RECIPIENT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_netstrings_match_qmail() {
        // qmail writes these two as literal netstrings; the lengths must agree.
        assert_eq!(NOT_RCPTHOST.len(), 66);
        assert_eq!(BAD_RECIPIENT.len(), 46);
        assert_eq!(ok(1_795_737_742, 4242), b"Kok 1795737742 qp 4242");
    }
}
