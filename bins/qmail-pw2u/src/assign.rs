//! passwd lines → users/assign lines (qmail-pw2u(8)). Pure: the caller
//! supplies the users/ files and the home-directory check.
use crate::options::{HomeCheck, Options};

/// The optional files under users/ (None: the file does not exist).
#[derive(Debug, Default, Clone)]
pub struct Files {
    pub include: Option<Vec<u8>>,
    pub exclude: Option<Vec<u8>>,
    pub mailnames: Option<Vec<u8>>,
    pub subusers: Option<Vec<u8>>,
    pub append: Option<Vec<u8>>,
}

/// The state of an account's home directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    Owned,
    Foreign,
    Missing,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Pw2uError {
    /// `-h` and a missing home directory.
    StatHome(Vec<u8>),
    NoAlias,
    /// A subusers line names an account not in the output.
    NoUser(Vec<u8>),
}

/// One passwd entry, the fields qmail-pw2u uses.
pub struct Account<'a> {
    pub name: &'a [u8],
    pub uid: &'a [u8],
    pub gid: &'a [u8],
    pub home: &'a [u8],
}

impl Account<'_> {
    /// The uid as a number.
    pub fn uid_number(&self) -> Option<u32> {
        std::str::from_utf8(self.uid).ok()?.parse().ok()
    }
}

fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| b == b'\n').filter(|l| !l.is_empty())
}

fn fields(line: &[u8]) -> Vec<&[u8]> {
    line.split(|&b| b == b':').collect()
}

fn listed(file: &[u8], name: &[u8]) -> bool {
    lines(file).any(|l| l == name)
}

fn is_number(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

fn parse_passwd(line: &[u8]) -> Option<Account<'_>> {
    if line.contains(&0) {
        return None;
    }
    let f = fields(line);
    let (name, uid, gid, home) = (*f.first()?, *f.get(2)?, *f.get(3)?, *f.get(5)?);
    f.get(6)?;
    if name.is_empty() || !is_number(uid) || !is_number(gid) {
        return None;
    }
    Some(Account {
        name,
        uid,
        gid,
        home,
    })
}

/// `:user:uid:gid:home:`
fn u_part(out: &mut Vec<u8>, a: &Account<'_>) {
    for f in [a.name, a.uid, a.gid, a.home] {
        out.push(b':');
        out.extend_from_slice(f);
    }
    out.push(b':');
}

pub fn assign(
    o: &Options,
    passwd: &[u8],
    files: &Files,
    home_of: impl Fn(&Account<'_>) -> Home,
) -> Result<Vec<u8>, Pw2uError> {
    let mut out = Vec::new();
    let mut kept: Vec<Account<'_>> = Vec::new();
    let mut seen_alias = false;
    for line in lines(passwd) {
        let Some(a) = parse_passwd(line) else {
            continue;
        };
        if a.uid.iter().all(|&b| b == b'0') {
            continue;
        }
        if !o.allow_upper && a.name.iter().any(u8::is_ascii_uppercase) {
            continue;
        }
        if files.include.as_deref().is_some_and(|f| !listed(f, a.name)) {
            continue;
        }
        if files.exclude.as_deref().is_some_and(|f| listed(f, a.name)) {
            continue;
        }
        match (o.home, home_of(&a)) {
            (HomeCheck::None, _) | (_, Home::Owned) => {}
            (HomeCheck::Die, Home::Missing) => return Err(Pw2uError::StatHome(a.home.to_vec())),
            _ => continue,
        }
        if a.name == qmail_core::auto::USER_ALIAS.as_bytes() {
            seen_alias = true;
            out.push(b'+');
            u_part(&mut out, &a);
            out.extend_from_slice(o.dash);
            out.extend_from_slice(b"::\n");
        }
        let names: Vec<&[u8]> = files
            .mailnames
            .as_deref()
            .and_then(|f| lines(f).map(fields).find(|f| f.first() == Some(&a.name)))
            .map(|f| f.into_iter().skip(1).filter(|n| !n.is_empty()).collect())
            .unwrap_or_else(|| vec![a.name]);
        for n in names {
            out.push(b'=');
            out.extend_from_slice(n);
            u_part(&mut out, &a);
            out.extend_from_slice(b"::\n");
            if o.extensions {
                out.push(b'+');
                out.extend_from_slice(n);
                out.push(o.brk);
                u_part(&mut out, &a);
                out.extend_from_slice(o.dash);
                out.extend_from_slice(b"::\n");
            }
        }
        kept.push(a);
    }
    if !seen_alias {
        return Err(Pw2uError::NoAlias);
    }
    for line in files.subusers.as_deref().map(lines).into_iter().flatten() {
        let f = fields(line);
        let (Some(&sub), Some(&user)) = (f.first(), f.get(1)) else {
            continue;
        };
        let pre = f.get(2).copied().unwrap_or(b"");
        let Some(a) = kept.iter().find(|a| a.name == user) else {
            return Err(Pw2uError::NoUser(user.to_vec()));
        };
        out.push(b'=');
        out.extend_from_slice(sub);
        u_part(&mut out, a);
        out.extend_from_slice(o.dash);
        out.push(b':');
        out.extend_from_slice(pre);
        out.extend_from_slice(b":\n");
        if o.extensions {
            out.push(b'+');
            out.extend_from_slice(sub);
            out.push(o.brk);
            u_part(&mut out, a);
            out.extend_from_slice(o.dash);
            out.push(b':');
            out.extend_from_slice(pre);
            out.push(o.brk);
            out.extend_from_slice(b":\n");
        }
    }
    if let Some(app) = &files.append {
        out.extend_from_slice(app);
    }
    out.extend_from_slice(b".\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &[u8] = b"root:x:0:0:root:/root:/bin/sh\n\
alias:x:7790:2108::/var/qmail/alias:/bin/true\n\
joe:x:100:100:Joe:/home/joe:/bin/sh\n\
Upper:x:101:100::/home/upper:/bin/sh\n\
short:x:102:100\n\
nohome:x:103:100::/nonexistent:/bin/sh\n";

    fn home(a: &Account<'_>) -> Home {
        if a.home == b"/nonexistent" {
            Home::Missing
        } else {
            Home::Owned
        }
    }

    fn run(o: &Options, files: &Files) -> Result<String, Pw2uError> {
        assign(o, PASSWD, files, home).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn default_output() {
        assert_eq!(
            run(&Options::default(), &Files::default()).unwrap(),
            "+:alias:7790:2108:/var/qmail/alias:-::\n\
             =alias:alias:7790:2108:/var/qmail/alias:::\n\
             +alias-:alias:7790:2108:/var/qmail/alias:-::\n\
             =joe:joe:100:100:/home/joe:::\n\
             +joe-:joe:100:100:/home/joe:-::\n\
             .\n"
        );
    }

    #[test]
    fn options_change_the_output() {
        let o = Options {
            extensions: false,
            allow_upper: true,
            home: HomeCheck::None,
            ..Options::default()
        };
        let s = run(&o, &Files::default()).unwrap();
        assert!(s.contains("=Upper:Upper:101:100:/home/upper:::\n"));
        assert!(s.contains("=nohome:nohome:103:100:/nonexistent:::\n"));
        assert!(!s.contains("+joe"));
        let o = Options {
            dash: b"-/",
            brk: b'+',
            ..Options::default()
        };
        assert!(run(&o, &Files::default())
            .unwrap()
            .contains("+joe+:joe:100:100:/home/joe:-/::\n"));
        let o = Options {
            home: HomeCheck::Die,
            ..Options::default()
        };
        assert_eq!(
            run(&o, &Files::default()),
            Err(Pw2uError::StatHome(b"/nonexistent".to_vec()))
        );
    }

    #[test]
    fn users_files() {
        let files = Files {
            include: Some(b"alias\njoe\n".to_vec()),
            exclude: Some(b"joe\n".to_vec()),
            mailnames: Some(b"alias:postmaster:abuse\n".to_vec()),
            subusers: Some(b"list:alias:lists:\n".to_vec()),
            append: Some(b"=extra:joe:1:1:/x:::\n".to_vec()),
        };
        assert_eq!(
            run(&Options::default(), &files).unwrap(),
            "+:alias:7790:2108:/var/qmail/alias:-::\n\
             =postmaster:alias:7790:2108:/var/qmail/alias:::\n\
             +postmaster-:alias:7790:2108:/var/qmail/alias:-::\n\
             =abuse:alias:7790:2108:/var/qmail/alias:::\n\
             +abuse-:alias:7790:2108:/var/qmail/alias:-::\n\
             =list:alias:7790:2108:/var/qmail/alias:-:lists:\n\
             +list-:alias:7790:2108:/var/qmail/alias:-:lists-:\n\
             =extra:joe:1:1:/x:::\n\
             .\n"
        );
        let bad = Files {
            subusers: Some(b"x:joe:p:\n".to_vec()),
            exclude: Some(b"joe\n".to_vec()),
            ..Files::default()
        };
        assert_eq!(
            run(&Options::default(), &bad),
            Err(Pw2uError::NoUser(b"joe".to_vec()))
        );
        let no_alias = Files {
            exclude: Some(b"alias\n".to_vec()),
            ..Files::default()
        };
        assert_eq!(run(&Options::default(), &no_alias), Err(Pw2uError::NoAlias));
    }
}
