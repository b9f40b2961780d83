//! One paragraph per control file: `\nNAME: ` and a sentence, `(Default.) ` first when the
//! file does not exist, `Oops! Trouble reading this file.` when it cannot be read.
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use qmail_core::control::{self, ControlError};

/// What a paragraph says when its file exists but cannot be read.
const OOPS: &[u8] = b"Oops! Trouble reading this file.\n";

/// Bytes outside 32..126 become `?`.
fn safe(b: &[u8]) -> Vec<u8> {
    b.iter()
        .map(|&c| if (32..=126).contains(&c) { c } else { b'?' })
        .collect()
}

struct Ctl<'a, W: Write> {
    dir: &'a Path,
    me: Option<Vec<u8>>,
    out: &'a mut W,
}

impl<W: Write> Ctl<'_, W> {
    fn read(&self, name: &str) -> Result<Option<Vec<u8>>, ControlError> {
        control::readbytes(self.dir.join(name))
    }

    fn start(&mut self, name: &str) {
        let _ = write!(self.out, "\n{name}: ");
    }

    fn int(&mut self, name: &str, def: &str, pre: &str, post: &str) {
        self.start(name);
        let line = match self.read(name) {
            Ok(data) => data.map(|d| control::first_line(&d).to_vec()),
            Err(_) => {
                let _ = self.out.write_all(OOPS);
                return;
            }
        };
        match line.as_deref().and_then(scan_int) {
            Some(i) => {
                let _ = writeln!(self.out, "{pre}{i}{post}.");
            }
            None => {
                let _ = writeln!(self.out, "(Default.) {pre}{def}{post}.");
            }
        }
    }

    fn str(&mut self, name: &str, flagme: bool, def: &str, pre: &str) {
        self.start(name);
        let value = match self.read(name) {
            Ok(Some(d)) => control::first_line(&d).to_vec(),
            Ok(None) => {
                let _ = self.out.write_all(b"(Default.) ");
                match (&self.me, flagme) {
                    (Some(me), true) => me.clone(),
                    _ => def.as_bytes().to_vec(),
                }
            }
            Err(_) => {
                let _ = self.out.write_all(OOPS);
                return;
            }
        };
        let _ = self.out.write_all(pre.as_bytes());
        let _ = self.out.write_all(&safe(&value));
        let _ = self.out.write_all(b".\n");
    }

    /// -1 unreadable, 0 absent, 1 present (the caller branches on "not absent").
    fn lst(&mut self, name: &str, def: &str, pre: &str, post: &str) -> i8 {
        self.start(name);
        match self.read(name) {
            Ok(None) => {
                let _ = writeln!(self.out, "(Default.) {def}");
                0
            }
            Ok(Some(d)) => {
                let _ = self.out.write_all(b"\n");
                for l in control::list_lines(&d) {
                    let _ = self.out.write_all(pre.as_bytes());
                    let _ = self.out.write_all(&safe(&l));
                    let _ = self.out.write_all(post.as_bytes());
                    let _ = self.out.write_all(b"\n");
                }
                1
            }
            Err(_) => {
                let _ = self.out.write_all(OOPS);
                -1
            }
        }
    }
}

/// qmail's control_readint: an unsigned decimal prefix stored into a C int, negative
/// values shown as 0; no leading digit means the default.
fn scan_int(line: &[u8]) -> Option<u32> {
    let digits: Vec<u8> = line
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        return None;
    }
    let u = digits.iter().fold(0u64, |n, d| {
        n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
    });
    // the low 32 bits, as a signed int
    let low = u32::try_from(u & 0xffff_ffff).unwrap_or(0);
    Some(if low > 0x7fff_ffff { 0 } else { low })
}

/// Names described above; anything else in control/ is an unknown file.
const KNOWN: &[&str] = &[
    "badmailfrom",
    "bouncefrom",
    "bouncehost",
    "concurrencylocal",
    "concurrencyremote",
    "databytes",
    "defaultdomain",
    "defaulthost",
    "doublebouncehost",
    "doublebounceto",
    "envnoathost",
    "helohost",
    "idhost",
    "localiphost",
    "locals",
    "me",
    "morercpthosts",
    "morercpthosts.cdb",
    "percenthack",
    "plusdomain",
    "qmqpservers",
    "queuelifetime",
    "rcpthosts",
    "smtpgreeting",
    "smtproutes",
    "timeoutconnect",
    "timeoutremote",
    "timeoutsmtpd",
    "virtualdomains",
];

/// Describe `home/control`; on a fatal problem, the `Oops!` text to print before exit 111.
pub fn control(home: &Path, out: &mut impl Write) -> Result<(), String> {
    if !fs::metadata(home).map(|m| m.is_dir()).unwrap_or(false) {
        return Err(format!("Oops! Unable to chdir to {}.\n", home.display()));
    }
    let dir = home.join("control");
    if !fs::metadata(&dir).map(|m| m.is_dir()).unwrap_or(false) {
        return Err("Oops! Unable to chdir to control.\n".to_string());
    }
    let entries =
        fs::read_dir(&dir).map_err(|_| "Oops! Unable to open current directory.\n".to_string())?;
    let me = control::readline(dir.join("me"))
        .map_err(|_| "Oops! Trouble reading control/me.".to_string())?;
    let mut c = Ctl { dir: &dir, me, out };

    c.lst(
        "badmailfrom",
        "Any MAIL FROM is allowed.",
        "",
        " not accepted in MAIL FROM.",
    );
    c.str("bouncefrom", false, "MAILER-DAEMON", "Bounce user name is ");
    c.str("bouncehost", true, "bouncehost", "Bounce host name is ");
    c.int("concurrencylocal", "10", "Local concurrency is ", "");
    c.int("concurrencyremote", "20", "Remote concurrency is ", "");
    c.int("databytes", "0", "SMTP DATA limit is ", " bytes");
    c.str(
        "defaultdomain",
        true,
        "defaultdomain",
        "Default domain name is ",
    );
    c.str("defaulthost", true, "defaulthost", "Default host name is ");
    c.str(
        "doublebouncehost",
        true,
        "doublebouncehost",
        "2B recipient host: ",
    );
    c.str("doublebounceto", false, "postmaster", "2B recipient user: ");
    c.str(
        "envnoathost",
        true,
        "envnoathost",
        "Presumed domain name is ",
    );
    c.str(
        "helohost",
        true,
        "helohost",
        "SMTP client HELO host name is ",
    );
    c.str("idhost", true, "idhost", "Message-ID host name is ");
    c.str(
        "localiphost",
        true,
        "localiphost",
        "Local IP address becomes ",
    );
    c.lst(
        "locals",
        "Messages for me are delivered locally.",
        "Messages for ",
        " are delivered locally.",
    );
    c.str("me", false, "undefined! Uh-oh", "My name is ");
    c.lst(
        "percenthack",
        "The percent hack is not allowed.",
        "The percent hack is allowed for user%host@",
        ".",
    );
    c.str("plusdomain", true, "plusdomain", "Plus domain name is ");
    c.lst("qmqpservers", "No QMQP servers.", "QMQP server: ", ".");
    c.int(
        "queuelifetime",
        "604800",
        "Message lifetime in the queue is ",
        " seconds",
    );
    let at = "SMTP clients may send messages to recipients at ";
    if c.lst(
        "rcpthosts",
        "SMTP clients may send messages to any recipient.",
        at,
        ".",
    ) != 0
    {
        c.lst("morercpthosts", "No effect.", at, ".");
    } else {
        c.lst(
            "morercpthosts",
            "No rcpthosts; morercpthosts is irrelevant.",
            "No rcpthosts; doesn't matter that morercpthosts has ",
            ".",
        );
    }
    let _ = c.out.write_all(b"\nmorercpthosts.cdb: ");
    let _ = c.out.write_all(cdb_freshness(&dir).as_bytes());
    c.str("smtpgreeting", true, "smtpgreeting", "SMTP greeting: 220 ");
    c.lst(
        "smtproutes",
        "No artificial SMTP routes.",
        "SMTP route: ",
        "",
    );
    c.int(
        "timeoutconnect",
        "60",
        "SMTP client connection timeout is ",
        " seconds",
    );
    c.int(
        "timeoutremote",
        "1200",
        "SMTP client data timeout is ",
        " seconds",
    );
    c.int(
        "timeoutsmtpd",
        "1200",
        "SMTP server data timeout is ",
        " seconds",
    );
    c.lst(
        "virtualdomains",
        "No virtual domains.",
        "Virtual domain: ",
        "",
    );

    for d in entries.flatten() {
        let name = d.file_name();
        if name.to_str().is_some_and(|n| KNOWN.contains(&n)) {
            continue;
        }
        let _ = c.out.write_all(b"\n");
        let _ = c.out.write_all(name.as_bytes());
        let _ = c.out.write_all(b": I have no idea what this file does.\n");
    }
    Ok(())
}

/// Whether morercpthosts.cdb was rebuilt after morercpthosts changed (by mtime only).
fn cdb_freshness(dir: &Path) -> &'static str {
    let src = fs::metadata(dir.join("morercpthosts"));
    let cdb = fs::metadata(dir.join("morercpthosts.cdb"));
    match (src, cdb) {
        (Err(_), Err(_)) => "(Default.) No effect.\n",
        (Err(_), Ok(_)) => "Oops! morercpthosts.cdb exists but morercpthosts doesn't.\n",
        (Ok(_), Err(_)) => "Oops! morercpthosts exists but morercpthosts.cdb doesn't.\n",
        (Ok(s), Ok(c)) => {
            use std::os::unix::fs::MetadataExt;
            if s.mtime() > c.mtime() {
                "Oops! morercpthosts.cdb is older than morercpthosts.\n"
            } else {
                "Modified recently enough; hopefully up to date.\n"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_like_control_readint() {
        assert_eq!(scan_int(b"20"), Some(20));
        assert_eq!(scan_int(b"7 bytes"), Some(7));
        assert_eq!(scan_int(b"x7"), None);
        assert_eq!(scan_int(b""), None);
        assert_eq!(scan_int(b"3000000000"), Some(0));
        assert_eq!(scan_int(b"4294967297"), Some(1));
    }

    #[test]
    fn unprintables() {
        assert_eq!(safe(b"a\tb\x7f\xffc~ "), b"a?b??c~ ".to_vec());
    }
}
