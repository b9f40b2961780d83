//! The control paragraphs for a temporary qmail home, byte for byte, and the real binary's
//! header.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::fs;
use std::path::PathBuf;
use std::process::Command;

fn home(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qmail-showctl-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(d.join("control")).unwrap();
    d
}

fn show(home: &std::path::Path) -> (u8, String) {
    let mut out = Vec::new();
    let code = qmail_showctl::run_in(home, &mut out);
    (code, String::from_utf8(out).unwrap())
}

#[test]
fn defaults_with_only_me() {
    let h = home("me");
    fs::write(h.join("control/me"), "mx.example.org\n").unwrap();
    let (code, out) = show(&h);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "\nbadmailfrom: (Default.) Any MAIL FROM is allowed.\n\
         \nbouncefrom: (Default.) Bounce user name is MAILER-DAEMON.\n\
         \nbouncehost: (Default.) Bounce host name is mx.example.org.\n\
         \nconcurrencylocal: (Default.) Local concurrency is 10.\n\
         \nconcurrencyremote: (Default.) Remote concurrency is 20.\n\
         \ndatabytes: (Default.) SMTP DATA limit is 0 bytes.\n\
         \ndefaultdomain: (Default.) Default domain name is mx.example.org.\n\
         \ndefaulthost: (Default.) Default host name is mx.example.org.\n\
         \ndoublebouncehost: (Default.) 2B recipient host: mx.example.org.\n\
         \ndoublebounceto: (Default.) 2B recipient user: postmaster.\n\
         \nenvnoathost: (Default.) Presumed domain name is mx.example.org.\n\
         \nhelohost: (Default.) SMTP client HELO host name is mx.example.org.\n\
         \nidhost: (Default.) Message-ID host name is mx.example.org.\n\
         \nlocaliphost: (Default.) Local IP address becomes mx.example.org.\n\
         \nlocals: (Default.) Messages for me are delivered locally.\n\
         \nme: My name is mx.example.org.\n\
         \npercenthack: (Default.) The percent hack is not allowed.\n\
         \nplusdomain: (Default.) Plus domain name is mx.example.org.\n\
         \nqmqpservers: (Default.) No QMQP servers.\n\
         \nqueuelifetime: (Default.) Message lifetime in the queue is 604800 seconds.\n\
         \nrcpthosts: (Default.) SMTP clients may send messages to any recipient.\n\
         \nmorercpthosts: (Default.) No rcpthosts; morercpthosts is irrelevant.\n\
         \nmorercpthosts.cdb: (Default.) No effect.\n\
         \nsmtpgreeting: (Default.) SMTP greeting: 220 mx.example.org.\n\
         \nsmtproutes: (Default.) No artificial SMTP routes.\n\
         \ntimeoutconnect: (Default.) SMTP client connection timeout is 60 seconds.\n\
         \ntimeoutremote: (Default.) SMTP client data timeout is 1200 seconds.\n\
         \ntimeoutsmtpd: (Default.) SMTP server data timeout is 1200 seconds.\n\
         \nvirtualdomains: (Default.) No virtual domains.\n"
    );
    fs::remove_dir_all(&h).unwrap();
}

#[test]
fn files_present_unknown_and_broken() {
    let h = home("files");
    let c = h.join("control");
    let w = |n: &str, s: &str| fs::write(c.join(n), s).unwrap();
    w("locals", "localhost\n# comment\n\nexample.com \t\n");
    w("rcpthosts", "example.com\n");
    w("morercpthosts", "b.example\n");
    w("concurrencyremote", "60\n");
    w("databytes", "junk\n");
    w("smtproutes", ":relay.example:26\n");
    w("bouncefrom", "bounce\tme\n");
    w("virtualdomains", "v.example:joe\n");
    w("mystery", "x\n");
    fs::create_dir(c.join("helohost")).unwrap();
    let (code, out) = show(&h);
    assert_eq!(code, 0);
    let want = [
        "\nbouncefrom: Bounce user name is bounce?me.\n",
        "\nbouncehost: (Default.) Bounce host name is bouncehost.\n",
        "\nconcurrencyremote: Remote concurrency is 60.\n",
        "\ndatabytes: (Default.) SMTP DATA limit is 0 bytes.\n",
        "\nhelohost: Oops! Trouble reading this file.\n",
        "\nlocals: \nMessages for localhost are delivered locally.\nMessages for example.com are delivered locally.\n",
        "\nme: (Default.) My name is undefined! Uh-oh.\n",
        "\nrcpthosts: \nSMTP clients may send messages to recipients at example.com.\n",
        "\nmorercpthosts: \nSMTP clients may send messages to recipients at b.example.\n",
        "\nmorercpthosts.cdb: Oops! morercpthosts exists but morercpthosts.cdb doesn't.\n",
        "\nsmtproutes: \nSMTP route: :relay.example:26\n",
        "\nvirtualdomains: \nVirtual domain: v.example:joe\n",
    ];
    for wnt in want {
        assert!(out.contains(wnt), "missing {wnt:?} in\n{out}");
    }
    // unknown files come last, in directory order; known ones are not repeated
    assert!(out.ends_with("\nvirtualdomains: \nVirtual domain: v.example:joe\n\nmystery: I have no idea what this file does.\n"));
    assert_eq!(out.matches("I have no idea").count(), 1);

    // a stale cdb
    w("morercpthosts.cdb", "");
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(100);
    fs::File::options()
        .write(true)
        .open(c.join("morercpthosts.cdb"))
        .unwrap()
        .set_modified(t)
        .unwrap();
    assert!(show(&h)
        .1
        .contains("\nmorercpthosts.cdb: Oops! morercpthosts.cdb is older than morercpthosts.\n"));
    fs::remove_file(c.join("morercpthosts")).unwrap();
    assert!(show(&h).1.contains(
        "\nmorercpthosts.cdb: Oops! morercpthosts.cdb exists but morercpthosts doesn't.\n"
    ));
    fs::remove_dir_all(&h).unwrap();
}

#[test]
fn no_home_or_no_control() {
    let h = home("missing");
    fs::remove_dir(h.join("control")).unwrap();
    assert_eq!(
        show(&h),
        (111, "Oops! Unable to chdir to control.\n".to_string())
    );
    let gone = h.join("nowhere");
    assert_eq!(
        show(&gone),
        (
            111,
            format!("Oops! Unable to chdir to {}.\n", gone.display())
        )
    );
    fs::remove_dir_all(&h).unwrap();
}

#[test]
fn binary_header() {
    let o = Command::new(env!("CARGO_BIN_EXE_qmail-showctl"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let a = qmail_core::auto::QMAIL;
    assert!(
        out.starts_with(&format!(
            "qmail home directory: {a}.\nuser-ext delimiter: -.\npaternalism (in decimal): 2.\n\
             silent concurrency limit: 120.\nsubdirectory split: 23.\nuser ids: "
        )),
        "{out}"
    );
    // the installed home may or may not exist here; either way the header is complete
    assert!(out.contains("\ngroup ids: "), "{out}");
    assert!(matches!(o.status.code(), Some(0) | Some(111)));
}
