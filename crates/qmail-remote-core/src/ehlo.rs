//! The service extensions in a server's EHLO reply (RFC 5321 §4.1.1.1), read strictly:
//! only what qmail-remote acts on is kept, and a line that is not well formed counts for
//! nothing, so a server that lies or garbles its reply gets plain SMTP, never a guess.
//!
//! The input is the text `reply::read` keeps (CRs removed, at most `TEXT_MAX` bytes).
//! The first line names the server and is skipped. Every other line must be complete
//! (end in `\n`: a line cut by the `TEXT_MAX` cap is dropped, so a cut `SIZE 10000000`
//! never reads as `SIZE 10`), start with `250-` or `250 `, and carry an ehlo-keyword
//! (a letter or digit, then letters, digits and `-`) followed by parameters of printable
//! ASCII separated by spaces. Keywords are case-insensitive.

/// The extensions qmail-remote uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extensions {
    pub starttls: bool,
    pub pipelining: bool,
    pub smtputf8: bool,
    pub eightbitmime: bool,
    /// `SIZE` was offered (with no parameter, 0, or a valid limit).
    pub size: bool,
    /// The smallest positive limit among the `SIZE` lines: a message larger than this
    /// is never sent (RFC 1870). `None`: no limit declared.
    pub size_limit: Option<u64>,
    pub auth_plain: bool,
    pub auth_login: bool,
}

/// Keywords longer than this are not ones we know: skip without looking further.
const KEYWORD_MAX: usize = 64;
/// A SIZE above 20 digits does not fit in 64 bits; such a line is ignored.
const SIZE_DIGITS_MAX: usize = 20;

/// The extensions in the text of a 250 reply to EHLO.
pub fn parse(text: &[u8]) -> Extensions {
    let mut ext = Extensions::default();
    let mut lines = text.split_inclusive(|&b| b == b'\n');
    // The greeting line: the server's name and free text.
    lines.next();
    for line in lines {
        let Some(line) = line.strip_suffix(b"\n") else {
            break;
        };
        let Some(rest) = line
            .strip_prefix(b"250-")
            .or_else(|| line.strip_prefix(b"250 "))
        else {
            continue;
        };
        one_line(rest, &mut ext);
    }
    ext
}

fn is_param_byte(b: u8) -> bool {
    (33..=126).contains(&b)
}

fn valid_keyword(k: &[u8]) -> bool {
    match k.split_first() {
        Some((first, tail)) => {
            k.len() <= KEYWORD_MAX
                && first.is_ascii_alphanumeric()
                && tail.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        }
        None => false,
    }
}

fn one_line(rest: &[u8], ext: &mut Extensions) {
    // Only spaces separate; any other control or 8-bit byte spoils the line.
    if !rest.iter().all(|&b| b == b' ' || is_param_byte(b)) {
        return;
    }
    let mut words = rest.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let Some(keyword) = words.next() else {
        return;
    };
    // `AUTH=LOGIN PLAIN`: the form some old servers still send for old clients.
    if let Some(mechs) = strip_prefix_ci(keyword, b"AUTH=") {
        auth(std::iter::once(mechs).chain(words), ext);
        return;
    }
    if !valid_keyword(keyword) {
        return;
    }
    let is = |name: &[u8]| keyword.eq_ignore_ascii_case(name);
    if is(b"STARTTLS") {
        ext.starttls = true;
    } else if is(b"PIPELINING") {
        ext.pipelining = true;
    } else if is(b"SMTPUTF8") {
        ext.smtputf8 = true;
    } else if is(b"8BITMIME") {
        ext.eightbitmime = true;
    } else if is(b"AUTH") {
        auth(words, ext);
    } else if is(b"SIZE") {
        size(words, ext);
    }
}

fn strip_prefix_ci<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let (head, tail) = s.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(tail)
}

fn auth<'a>(mechs: impl Iterator<Item = &'a [u8]>, ext: &mut Extensions) {
    for m in mechs {
        if m.eq_ignore_ascii_case(b"PLAIN") {
            ext.auth_plain = true;
        } else if m.eq_ignore_ascii_case(b"LOGIN") {
            ext.auth_login = true;
        }
    }
}

/// `SIZE` alone or `SIZE n`; anything else (two parameters, a non-number, a number too
/// big for 64 bits) makes the line count for nothing.
fn size<'a>(mut params: impl Iterator<Item = &'a [u8]>, ext: &mut Extensions) {
    let limit = match (params.next(), params.next()) {
        (None, _) => 0,
        (Some(n), None) => match number(n) {
            Some(v) => v,
            None => return,
        },
        (Some(_), Some(_)) => return,
    };
    ext.size = true;
    if limit > 0 {
        ext.size_limit = Some(ext.size_limit.map_or(limit, |old| old.min(limit)));
    }
}

fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > SIZE_DIGITS_MAX || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?
            .checked_add(u64::from(d.wrapping_sub(b'0')))
    })
}

#[cfg(test)]
mod tests;
