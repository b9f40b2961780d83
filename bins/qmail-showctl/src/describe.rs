//! One paragraph per control file: `\nNAME: ` and a sentence, `(Default.) ` first when the
//! file does not exist, `Oops! Trouble reading this file.` when it cannot be read.
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use qmail_core::control;

mod paragraph;

use paragraph::Ctl;

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
