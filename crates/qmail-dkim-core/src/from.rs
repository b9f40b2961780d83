//! The signing domain: the domain of the author's address in the From: header field
//! (RFC 5322 §3.6.2), or of the envelope sender. Untrusted bytes from any local user or
//! relay client; the answer is only ever compared with the site's own domain list.
use crate::proto::name_ok;

/// The first mailbox of a From: field's value with comments removed, and the bytes of
/// quoted strings replaced by `q` (so `@`, `<` and `,` inside them count for nothing).
fn first_mailbox(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escape = false;
    for &b in value {
        if escape {
            escape = false;
            if depth == 0 {
                out.push(b'q');
            }
            continue;
        }
        match b {
            b'\\' if quoted || depth > 0 => escape = true,
            b'"' if depth == 0 => quoted = !quoted,
            _ if quoted => out.push(b'q'),
            b'(' => depth = depth.saturating_add(1),
            b')' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            b',' => break,
            _ => out.push(b),
        }
    }
    out
}

/// The domain of an address (`local@domain`, or an angle address inside a mailbox),
/// lowercased; None unless it is a plain DNS name.
fn mailbox_domain(mailbox: &[u8]) -> Option<Vec<u8>> {
    let addr = match memchr::memchr(b'<', mailbox) {
        Some(lt) => {
            let rest = mailbox.get(lt.saturating_add(1)..)?;
            rest.get(..memchr::memchr(b'>', rest)?)?
        }
        None => mailbox,
    };
    let at = memchr::memrchr(b'@', addr)?;
    let domain: Vec<u8> = addr
        .get(at.saturating_add(1)..)?
        .iter()
        .filter(|b| !b.is_ascii_whitespace())
        .map(u8::to_ascii_lowercase)
        .collect();
    let domain = domain.strip_suffix(b".").unwrap_or(&domain).to_vec();
    name_ok(&domain).then_some(domain)
}

/// The author domain from a whole From: header field (`From: …`, folded or not).
pub fn from_domain(field: &[u8]) -> Option<Vec<u8>> {
    let colon = memchr::memchr(b':', field)?;
    let value: Vec<u8> = field
        .get(colon.saturating_add(1)..)?
        .iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect();
    mailbox_domain(&first_mailbox(&value))
}

/// The domain of an envelope address (the sender qmail-queue is given).
pub fn address_domain(addr: &[u8]) -> Option<Vec<u8>> {
    let at = memchr::memrchr(b'@', addr)?;
    let domain = addr.get(at.saturating_add(1)..)?.to_ascii_lowercase();
    name_ok(&domain).then_some(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<String> {
        from_domain(s.as_bytes()).map(|v| String::from_utf8(v).unwrap_or_default())
    }

    #[test]
    fn from_fields() {
        assert_eq!(d("From: joe@Example.COM").as_deref(), Some("example.com"));
        assert_eq!(
            d("From: Joe <joe@example.com>").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            d("From: \"a@evil.example, <x@evil.example>\" <joe@example.com>").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            d("From: joe@example.com (Joe <joe@evil.example>)").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            d("From: Joe\r\n <joe@example.com>, Ann <ann@other.example>").as_deref(),
            Some("example.com")
        );
        assert_eq!(d("from:joe@example.com.").as_deref(), Some("example.com"));
        assert_eq!(d("From: joe"), None);
        assert_eq!(d("From: joe@[192.0.2.1]"), None);
        assert_eq!(d("From: <joe@../etc>"), None);
        assert_eq!(d("From"), None);
    }

    #[test]
    fn envelope() {
        assert_eq!(
            address_domain(b"joe@Example.com"),
            Some(b"example.com".to_vec())
        );
        assert_eq!(address_domain(b""), None);
        assert_eq!(address_domain(b"#@[]"), None);
    }
}
