//! The notice's text. It is interface data: people and filters read it.

pub use qmail_core::quote::quote2;

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
        // No CR or LF from an address reaches a header: each becomes `_`.
        assert_eq!(quote2(b"a\nb@x"), b"\"a_b\"@x");
    }
}
