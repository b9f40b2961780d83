//! What qmail-inject decides before reading a message: QMAILINJECT letters, user, host
//! and name for From and the envelope sender, and the completion domains (environment
//! first, then the control file, then `me`, then the literal name).
use std::collections::HashSet;

use super::Fatal;
use crate::rewrite::Domains;

/// The QMAILINJECT letters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// c: From as `user@host (Full Name)`.
    pub namecomment: bool,
    /// s: ignore and delete incoming Return-Path.
    pub deletesender: bool,
    /// f: delete incoming From.
    pub deletefrom: bool,
    /// i: delete incoming Message-ID.
    pub deletemessid: bool,
    /// r: per-recipient VERP.
    pub hackrecip: bool,
    /// m: per-message VERP.
    pub hackmess: bool,
}

impl Flags {
    pub fn parse(letters: &[u8]) -> Flags {
        let mut f = Flags::default();
        for c in letters {
            match c {
                b'c' => f.namecomment = true,
                b's' => f.deletesender = true,
                b'f' => f.deletefrom = true,
                b'i' => f.deletemessid = true,
                b'r' => f.hackrecip = true,
                b'm' => f.hackmess = true,
                _ => {}
            }
        }
        f
    }
}

/// First lines of the control files (None: file missing).
#[derive(Clone, Debug, Default)]
pub struct Controls {
    pub me: Option<Vec<u8>>,
    pub defaultdomain: Option<Vec<u8>>,
    pub defaulthost: Option<Vec<u8>>,
    pub plusdomain: Option<Vec<u8>>,
    pub idhost: Option<Vec<u8>>,
}

/// Everything qmail-inject decides before reading the message.
#[derive(Clone, Debug)]
pub struct Settings {
    pub flags: Flags,
    pub mailhost: Option<Vec<u8>>,
    pub mailuser: Vec<u8>,
    pub mailrhost: Option<Vec<u8>>,
    pub mailruser: Vec<u8>,
    pub fullname: Option<Vec<u8>>,
    pub domains: Domains,
    pub idhost: Vec<u8>,
    /// QMAILMFTFILE entries, lowercased.
    pub mft: Option<HashSet<Vec<u8>>>,
    pub starttime: i64,
    pub pid: u32,
}

impl Settings {
    /// Settings from an environment lookup, the control files, the mailing-list file
    /// (already read), the start time and the pid.
    pub fn new(
        env: &dyn Fn(&str) -> Option<Vec<u8>>,
        c: &Controls,
        mft: Option<Vec<Vec<u8>>>,
        starttime: i64,
        pid: u32,
    ) -> Result<Settings, Fatal> {
        let first = |names: &[&str]| names.iter().find_map(|n| env(n));
        let ctl = |file: &Option<Vec<u8>>, var: &str, literal: &str| {
            env(var)
                .or_else(|| file.clone())
                .or_else(|| c.me.clone())
                .unwrap_or_else(|| literal.as_bytes().to_vec())
        };
        let defaultdomain = ctl(&c.defaultdomain, "QMAILDEFAULTDOMAIN", "defaultdomain");
        let defaulthost = ctl(&c.defaulthost, "QMAILDEFAULTHOST", "defaulthost");
        let plusdomain = ctl(&c.plusdomain, "QMAILPLUSDOMAIN", "plusdomain");
        let idhost = ctl(&c.idhost, "QMAILIDHOST", "idhost");
        let domains = Domains::new(&defaulthost, &defaultdomain, &plusdomain)?;
        let mailhost = first(&["QMAILHOST", "MAILHOST"]);
        let mailuser = first(&["QMAILUSER", "MAILUSER", "USER", "LOGNAME"])
            .unwrap_or_else(|| b"anonymous".to_vec());
        Ok(Settings {
            flags: Flags::parse(&env("QMAILINJECT").unwrap_or_default()),
            mailrhost: env("QMAILSHOST").or_else(|| mailhost.clone()),
            mailruser: env("QMAILSUSER").unwrap_or_else(|| mailuser.clone()),
            mailhost,
            mailuser,
            fullname: first(&["QMAILNAME", "MAILNAME", "NAME"]),
            domains,
            idhost,
            mft: mft.map(|l| l.into_iter().map(|x| x.to_ascii_lowercase()).collect()),
            starttime,
            pid,
        })
    }
}
