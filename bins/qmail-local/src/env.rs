//! The delivery's variables: the header lines qmail-local writes (DTLINE, RPLINE, UFLINE)
//! and the environment a `|program` sees. All values come from the envelope
//! and are passed on as bytes, unsanitised except for newlines in the header lines.
pub use qmail_core::date822::myctime;
pub use qmail_core::quote::quote2;

/// The eight arguments from qmail-lspawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub user: Vec<u8>,
    pub home: Vec<u8>,
    pub local: Vec<u8>,
    pub dash: Vec<u8>,
    pub ext: Vec<u8>,
    pub host: Vec<u8>,
    pub sender: Vec<u8>,
    pub default_delivery: Vec<u8>,
}

fn newlines_to_underscore(mut v: Vec<u8>) -> Vec<u8> {
    for b in &mut v {
        if *b == b'\n' {
            *b = b'_';
        }
    }
    v
}

/// `local@domain`
pub fn recipient(a: &Args) -> Vec<u8> {
    [&a.local[..], b"@", &a.host].concat()
}

/// `Delivered-To: local@domain\n`, the line the loop check looks for.
pub fn dtline(a: &Args) -> Vec<u8> {
    let mut v = b"Delivered-To: ".to_vec();
    v.extend(newlines_to_underscore(recipient(a)));
    v.push(b'\n');
    v
}

/// `Return-Path: <sender>\n`, the sender's local part quoted as RFC 822 requires.
pub fn rpline(sender: &[u8]) -> Vec<u8> {
    let mut v = b"Return-Path: <".to_vec();
    v.extend(newlines_to_underscore(quote2(sender)));
    v.extend_from_slice(b">\n");
    v
}

/// `From sender date\n`: white space in the sender becomes `-`, an empty sender is
/// MAILER-DAEMON.
pub fn ufline(sender: &[u8], now: i64) -> Vec<u8> {
    let mut v = b"From ".to_vec();
    if sender.is_empty() {
        v.extend_from_slice(b"MAILER-DAEMON");
    } else {
        v.extend(sender.iter().map(|&b| match b {
            b' ' | b'\t' | b'\n' => b'-',
            b => b,
        }));
    }
    v.push(b' ');
    v.extend_from_slice(myctime(now).as_bytes());
    v.push(b'\n');
    v
}

pub use qmail_local_core::parts::{ext_n, host_n};

/// The variables a `|program` gets, in the order qmail-local sets them.
pub fn vars(
    a: &Args,
    now: i64,
    default: Option<&[u8]>,
    newsender: &[u8],
) -> Vec<(&'static str, Vec<u8>)> {
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        ("HOST", a.host.clone()),
        ("HOME", a.home.clone()),
        ("USER", a.user.clone()),
        ("LOCAL", a.local.clone()),
        ("RECIPIENT", recipient(a)),
        ("DTLINE", dtline(a)),
        ("SENDER", a.sender.clone()),
        ("RPLINE", rpline(&a.sender)),
        ("UFLINE", ufline(&a.sender, now)),
        ("EXT", a.ext.clone()),
        ("EXT2", ext_n(&a.ext, 1).to_vec()),
        ("EXT3", ext_n(&a.ext, 2).to_vec()),
        ("EXT4", ext_n(&a.ext, 3).to_vec()),
        ("HOST2", host_n(&a.host, 1).to_vec()),
        ("HOST3", host_n(&a.host, 2).to_vec()),
        ("HOST4", host_n(&a.host, 3).to_vec()),
    ];
    if let Some(d) = default {
        v.push(("DEFAULT", d.to_vec()));
    }
    v.push(("NEWSENDER", newsender.to_vec()));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(local: &str, ext: &str, host: &str, sender: &str) -> Args {
        Args {
            user: b"qcmp".to_vec(),
            home: b"/home/qcmp".to_vec(),
            local: local.into(),
            dash: b"-".to_vec(),
            ext: ext.into(),
            host: host.into(),
            sender: sender.into(),
            default_delivery: b"./Maildir/".to_vec(),
        }
    }

    fn get<'a>(v: &'a [(&str, Vec<u8>)], k: &str) -> Option<&'a str> {
        v.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, x)| std::str::from_utf8(x).unwrap())
    }

    #[test]
    fn environment_like_the_reference() {
        let a = args(
            "qcmp-env-a-b-c",
            "env-a-b-c",
            "Mail.Sub.CMP.example",
            "env-sender@example.org",
        );
        // 2026-11-27 01:02:03 UTC, a Friday
        let v = vars(&a, 1_795_741_323, Some(b"a-b-c"), b"env-sender@example.org");
        assert_eq!(get(&v, "DEFAULT"), Some("a-b-c"));
        assert_eq!(
            get(&v, "DTLINE"),
            Some("Delivered-To: qcmp-env-a-b-c@Mail.Sub.CMP.example\n")
        );
        assert_eq!(get(&v, "EXT"), Some("env-a-b-c"));
        assert_eq!(get(&v, "EXT2"), Some("a-b-c"));
        assert_eq!(get(&v, "EXT3"), Some("b-c"));
        assert_eq!(get(&v, "EXT4"), Some("c"));
        assert_eq!(get(&v, "HOST2"), Some("Mail.Sub.CMP"));
        assert_eq!(get(&v, "HOST3"), Some("Mail.Sub"));
        assert_eq!(get(&v, "HOST4"), Some("Mail"));
        assert_eq!(
            get(&v, "RECIPIENT"),
            Some("qcmp-env-a-b-c@Mail.Sub.CMP.example")
        );
        assert_eq!(
            get(&v, "RPLINE"),
            Some("Return-Path: <env-sender@example.org>\n")
        );
        assert_eq!(
            get(&v, "UFLINE"),
            Some("From env-sender@example.org Fri Nov 27 01:02:03 2026\n")
        );
        assert_eq!(get(&v, "NEWSENDER"), Some("env-sender@example.org"));
        assert_eq!(get(&v, "USER"), Some("qcmp"));
        assert_eq!(get(&v, "HOME"), Some("/home/qcmp"));
    }

    #[test]
    fn environment_for_bounce_without_extension_parts() {
        let a = args("qcmp-envx", "envx", "cmp.example", "");
        let v = vars(&a, 0, None, b"");
        assert_eq!(get(&v, "DEFAULT"), None);
        assert_eq!(get(&v, "EXT2"), Some(""));
        assert_eq!(get(&v, "EXT4"), Some(""));
        assert_eq!(get(&v, "HOST2"), Some("cmp"));
        assert_eq!(get(&v, "HOST4"), Some("cmp"));
        assert_eq!(get(&v, "RPLINE"), Some("Return-Path: <>\n"));
        assert_eq!(
            get(&v, "UFLINE"),
            Some("From MAILER-DAEMON Thu Jan 01 00:00:00 1970\n")
        );
        assert_eq!(host_n(b"localhost", 3), b"localhost");
    }

    #[test]
    fn header_lines_neutralise_newlines() {
        let a = args("a\nb", "", "x.y", "s p\n@q");
        assert_eq!(dtline(&a), b"Delivered-To: a_b@x.y\n");
        assert_eq!(rpline(b"s p\n@q"), b"Return-Path: <\"s p_\"@q>\n");
        assert_eq!(
            ufline(b"s p\t\n@q", 0),
            b"From s-p--@q Thu Jan 01 00:00:00 1970\n"
        );
    }

    #[test]
    fn quote2_quotes_only_what_needs_it() {
        assert_eq!(quote2(b"joe@x"), b"joe@x");
        assert_eq!(quote2(b"a.b@x"), b"a.b@x");
        assert_eq!(quote2(b".a@x"), b"\".a\"@x");
        assert_eq!(quote2(b"a..b@x"), b"\"a..b\"@x");
        assert_eq!(quote2(b"a\"b@c@x"), b"\"a\\\"b@c\"@x");
        assert_eq!(quote2(b"@x"), b"\"\"@x");
        assert_eq!(quote2(b"noat"), b"noat");
        assert_eq!(quote2(b"#@[]"), b"#@[]");
        assert_eq!(quote2(b""), b"");
    }

    #[test]
    fn myctime_pads_the_day() {
        assert_eq!(myctime(1_000_000_000), "Sun Sep 09 01:46:40 2001");
    }
}
