//! SPF macros (RFC 7208 §7): `%{letter digits r delimiters}`, `%%`, `%_`, `%-` in
//! domain-specs and explanation strings.
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(Vec<u8>),
    /// `%%`, `%_`, `%-`: what they stand for.
    Escape(&'static [u8]),
    Macro {
        letter: u8,
        /// Upper-case letter: URL-encode the value.
        escape: bool,
        keep: Option<usize>,
        reverse: bool,
        delimiters: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MacroString(pub Vec<Piece>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("bad macro")]
pub struct MacroError;

const DELIMITERS: &[u8] = b".-+,/_=";

/// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
fn toplabel(l: &[u8]) -> bool {
    let alnum = l.iter().all(u8::is_ascii_alphanumeric);
    let with_hyphen = l.first().is_some_and(u8::is_ascii_alphanumeric)
        && l.last().is_some_and(u8::is_ascii_alphanumeric)
        && l.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        && l.contains(&b'-');
    !l.is_empty() && ((alnum && l.iter().any(u8::is_ascii_alphabetic)) || with_hyphen)
}

impl MacroString {
    /// `exp`: an explanation string (spaces and the c, r, t macros allowed).
    pub fn parse(s: &[u8], exp: bool) -> Result<MacroString, MacroError> {
        let mut pieces = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0usize;
        while let Some(&b) = s.get(i) {
            i = i.saturating_add(1);
            if b != b'%' {
                let ok = (0x21..=0x7e).contains(&b) || (exp && b == b' ');
                if !ok {
                    return Err(MacroError);
                }
                lit.push(b);
                continue;
            }
            let next = *s.get(i).ok_or(MacroError)?;
            i = i.saturating_add(1);
            let piece = match next {
                b'%' => Piece::Escape(b"%"),
                b'_' => Piece::Escape(b" "),
                b'-' => Piece::Escape(b"%20"),
                b'{' => {
                    let close = s
                        .get(i..)
                        .and_then(|r| r.iter().position(|&c| c == b'}'))
                        .ok_or(MacroError)?;
                    let body = s.get(i..i.saturating_add(close)).unwrap_or_default();
                    i = i.saturating_add(close).saturating_add(1);
                    parse_macro(body, exp)?
                }
                _ => return Err(MacroError),
            };
            if !lit.is_empty() {
                pieces.push(Piece::Literal(std::mem::take(&mut lit)));
            }
            pieces.push(piece);
        }
        if !lit.is_empty() {
            pieces.push(Piece::Literal(lit));
        }
        Ok(MacroString(pieces))
    }

    /// domain-end = ( "." toplabel [ "." ] ) / macro-expand (§12).
    pub fn domain_end_ok(&self) -> bool {
        match self.0.last() {
            None => false,
            Some(Piece::Macro { .. } | Piece::Escape(_)) => true,
            Some(Piece::Literal(l)) => {
                let l = l.strip_suffix(b".").unwrap_or(l);
                match l.iter().rposition(|&b| b == b'.') {
                    Some(dot) => toplabel(l.get(dot.saturating_add(1)..).unwrap_or_default()),
                    None => false,
                }
            }
        }
    }

    pub fn has_macros(&self) -> bool {
        self.0.iter().any(|p| !matches!(p, Piece::Literal(_)))
    }
}

fn parse_macro(body: &[u8], exp: bool) -> Result<Piece, MacroError> {
    let (&letter, mut rest) = body.split_first().ok_or(MacroError)?;
    let lower = letter.to_ascii_lowercase();
    let ok = b"slodiphv".contains(&lower) || (exp && b"crt".contains(&lower));
    if !ok {
        return Err(MacroError);
    }
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let keep = if digits > 0 {
        let d = rest.get(..digits).unwrap_or_default();
        // A huge count keeps every part; zero is an error (§7.3).
        let n = std::str::from_utf8(d)
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(usize::MAX);
        if n == 0 {
            return Err(MacroError);
        }
        rest = rest.get(digits..).unwrap_or_default();
        Some(n)
    } else {
        None
    };
    let reverse = matches!(rest.first(), Some(b'r' | b'R'));
    if reverse {
        rest = rest.get(1..).unwrap_or_default();
    }
    if !rest.iter().all(|b| DELIMITERS.contains(b)) {
        return Err(MacroError);
    }
    Ok(Piece::Macro {
        letter: lower,
        escape: letter.is_ascii_uppercase(),
        keep,
        reverse,
        delimiters: rest.to_vec(),
    })
}

/// What the macros stand for.
pub struct Context<'a> {
    pub sender: &'a [u8],
    pub local: &'a [u8],
    pub sender_domain: &'a [u8],
    pub domain: &'a [u8],
    pub ip: IpAddr,
    pub helo: &'a [u8],
    /// r: the receiving host.
    pub receiver: &'a [u8],
    /// t: now, in seconds since the epoch.
    pub now: u64,
}

/// `i`: dotted IPv4, or IPv6 as 32 dot-separated nibbles (§7.3).
pub fn ip_dotted(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.to_string().into_bytes(),
        IpAddr::V6(a) => {
            let mut out = Vec::with_capacity(63);
            for b in a.octets() {
                for n in [b >> 4, b & 15] {
                    if !out.is_empty() {
                        out.push(b'.');
                    }
                    out.push(
                        b"0123456789abcdef"
                            .get(usize::from(n))
                            .copied()
                            .unwrap_or(b'0'),
                    );
                }
            }
            out
        }
    }
}

fn url_escape(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    for &b in v {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    out
}

/// Expand; `ptr_name` gives `p` (the validated name of the client, a DNS matter).
pub fn expand(m: &MacroString, cx: &Context<'_>, ptr_name: &mut dyn FnMut() -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for p in &m.0 {
        match p {
            Piece::Literal(l) => out.extend_from_slice(l),
            Piece::Escape(e) => out.extend_from_slice(e),
            Piece::Macro {
                letter,
                escape,
                keep,
                reverse,
                delimiters,
            } => {
                let value = match letter {
                    b's' => cx.sender.to_vec(),
                    b'l' => cx.local.to_vec(),
                    b'o' => cx.sender_domain.to_vec(),
                    b'd' => cx.domain.to_vec(),
                    b'i' => ip_dotted(cx.ip),
                    b'p' => ptr_name(),
                    b'v' => match cx.ip {
                        IpAddr::V4(_) => b"in-addr".to_vec(),
                        IpAddr::V6(_) => b"ip6".to_vec(),
                    },
                    b'h' => cx.helo.to_vec(),
                    b'c' => cx.ip.to_string().into_bytes(),
                    b'r' => cx.receiver.to_vec(),
                    b't' => cx.now.to_string().into_bytes(),
                    _ => Vec::new(),
                };
                let delims: &[u8] = if delimiters.is_empty() {
                    b"."
                } else {
                    delimiters
                };
                let mut parts: Vec<&[u8]> = value.split(|b| delims.contains(b)).collect();
                if *reverse {
                    parts.reverse();
                }
                if let Some(k) = keep {
                    let drop = parts.len().saturating_sub(*k);
                    parts.drain(..drop);
                }
                let v = parts.join(&b'.');
                if *escape {
                    out.extend_from_slice(&url_escape(&v));
                } else {
                    out.extend_from_slice(&v);
                }
            }
        }
    }
    out
}

/// A name longer than 253 bytes loses labels on the left until it fits (§7.3).
pub fn shorten(mut name: &[u8]) -> &[u8] {
    while name.len() > 253 {
        match name.iter().position(|&b| b == b'.') {
            Some(i) => name = name.get(i.saturating_add(1)..).unwrap_or_default(),
            None => return &[],
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(ip: &str) -> Context<'static> {
        Context {
            sender: b"strong-bad@email.example.com",
            local: b"strong-bad",
            sender_domain: b"email.example.com",
            domain: b"email.example.com",
            ip: ip.parse().unwrap(),
            helo: b"mx.example.org",
            receiver: b"mx.example.net",
            now: 1,
        }
    }

    fn x(s: &str, ip: &str) -> String {
        let m = MacroString::parse(s.as_bytes(), true).unwrap();
        String::from_utf8(expand(&m, &cx(ip), &mut || b"mx.example.org".to_vec())).unwrap()
    }

    #[test]
    fn rfc7208_examples() {
        // §7.4
        let v4 = "192.0.2.3";
        assert_eq!(x("%{s}", v4), "strong-bad@email.example.com");
        assert_eq!(x("%{o}", v4), "email.example.com");
        assert_eq!(x("%{d}", v4), "email.example.com");
        assert_eq!(x("%{d4}", v4), "email.example.com");
        assert_eq!(x("%{d3}", v4), "email.example.com");
        assert_eq!(x("%{d2}", v4), "example.com");
        assert_eq!(x("%{d1}", v4), "com");
        assert_eq!(x("%{dr}", v4), "com.example.email");
        assert_eq!(x("%{d2r}", v4), "example.email");
        assert_eq!(x("%{l}", v4), "strong-bad");
        assert_eq!(x("%{l-}", v4), "strong.bad");
        assert_eq!(x("%{lr}", v4), "strong-bad");
        assert_eq!(x("%{lr-}", v4), "bad.strong");
        assert_eq!(x("%{l1r-}", v4), "strong");
        assert_eq!(
            x("%{ir}.%{v}._spf.%{d2}", v4),
            "3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            x("%{lr-}.lp._spf.%{d2}", v4),
            "bad.strong.lp._spf.example.com"
        );
        assert_eq!(
            x("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", v4),
            "3.2.0.192.in-addr.strong.lp._spf.example.com"
        );
        assert_eq!(
            x("%{d2}.trusted-domains.example.net", v4),
            "example.com.trusted-domains.example.net"
        );
        assert_eq!(
            x("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
        assert_eq!(x("%{S}", v4), "strong-bad%40email.example.com");
        assert_eq!(x("a%%b%_c%-d", v4), "a%b c%20d");
    }

    #[test]
    fn refusals_and_domain_ends() {
        for bad in ["%", "%x", "%{x}", "%{d0}", "%{d", "%{dq}", "a b"] {
            assert!(MacroString::parse(bad.as_bytes(), false).is_err(), "{bad}");
        }
        assert!(MacroString::parse(b"%{c}", false).is_err());
        assert!(MacroString::parse(b"%{c} %{t}", true).is_ok());
        let end = |s: &str| {
            MacroString::parse(s.as_bytes(), false)
                .unwrap()
                .domain_end_ok()
        };
        assert!(end("a.example"));
        assert!(end("a.example."));
        assert!(end("%{d}"));
        assert!(end("%{d}.x-y"));
        assert!(!end("example"));
        assert!(!end("a.123"));
        assert!(!end("a.-x"));
        assert_eq!(shorten(&[b'a'; 300]), b"");
    }
}
