//! Entry points for the fuzz targets (fuzz/ is its own workspace and calls these).

use crate::name::Name;
use crate::packet::{self, Message};

/// Parse any bytes as a DNS answer; whatever parses must also survive the queries
/// qmail-remote makes of it and the conversion of every name to text and back.
pub fn fuzz_dns_packet(data: &[u8]) {
    let Ok(m) = Message::parse(data) else { return };
    for t in [
        packet::TYPE_A,
        packet::TYPE_AAAA,
        packet::TYPE_MX,
        packet::TYPE_CNAME,
        packet::TYPE_PTR,
        packet::TYPE_TXT,
        packet::TYPE_TLSA,
    ] {
        let _ = m.records_for(&m.qname, t);
    }
    for r in &m.answers {
        let text = r.owner.to_text();
        let back = Name::from_text(&text);
        debug_assert_eq!(back.as_ref().ok(), Some(&r.owner));
    }
}
