//! The notice's text. It is interface data: people and filters read it.

/// Does the local part need quotes to be a valid RFC 822 address?
fn needs_quote(local: &[u8]) -> bool {
    local.is_empty()
        || local.starts_with(b".")
        || local.ends_with(b".")
        || local.windows(2).any(|w| w == b"..")
        || local
            .iter()
            .any(|&c| c <= b' ' || c >= 127 || b"()<>@,;:\\\"[]".contains(&c))
}

/// qmail's quote2: the address as it may appear inside `<…>` in a header.
pub fn quote2(addr: &[u8]) -> Vec<u8> {
    let (local, domain) = match addr.iter().rposition(|&c| c == b'@') {
        Some(i) => (
            addr.get(..i).unwrap_or_default(),
            addr.get(i..).unwrap_or_default(),
        ),
        None => (addr, &b""[..]),
    };
    if !needs_quote(local) {
        return addr.to_vec();
    }
    let mut q = vec![b'"'];
    for &c in local {
        if c == b'"' || c == b'\\' || c == b'\r' {
            q.push(b'\\');
        }
        q.push(c);
    }
    q.push(b'"');
    q.extend_from_slice(domain);
    q
}

pub fn text(sender: &[u8], target: &[u8], message_id: Option<&[u8]>) -> Vec<u8> {
    let q = quote2(sender);
    let mut t = Vec::new();
    t.extend_from_slice(b"From: DELIVERY NOTICE SYSTEM <");
    t.extend_from_slice(&q);
    t.extend_from_slice(b">\nTo: <");
    t.extend_from_slice(&q);
    t.extend_from_slice(b">\nSubject: success notice\n\n");
    t.extend_from_slice(b"Hi! This is the qreceipt program. Your message was delivered to the\n");
    t.extend_from_slice(b"following address: ");
    t.extend_from_slice(target);
    t.extend_from_slice(b". Thanks for asking.\n");
    if let Some(m) = message_id {
        t.extend_from_slice(b"Your ");
        t.extend_from_slice(m);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote2(b"a.b@x"), b"a.b@x");
        assert_eq!(quote2(b"a b@x"), b"\"a b\"@x");
        assert_eq!(quote2(b"a\"b@c@x"), b"\"a\\\"b@c\"@x");
        assert_eq!(quote2(b".a@x"), b"\".a\"@x");
        assert_eq!(quote2(b"nodomain"), b"nodomain");
    }
}
