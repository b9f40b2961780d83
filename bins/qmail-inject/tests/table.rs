//! The header-rewriting table: each case gives input, flags, environment and control files,
//! the exact `qmail-inject -n` output, and the exact envelope qmail-queue receives (the
//! queued message must equal the -n output without its Return-Path line). Each case names
//! the rule it checks (qmail-inject(8), qmail-header(5)).
//! Needs root (mount namespace).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod harness;

use harness::{run, Setup};

/// The generated Date and Message-ID (normalised by the harness).
const G: &str = "Date: <DATE>\nMessage-ID: <ID.qmail@cmp.example>\n";
const FROM: &str = "From: u@cmp.example\n";
const NOTSHOWN: &str = "Cc: recipient list not shown: ;\n";
const RP: &str = "Return-Path: <u@cmp.example>\n";

enum Expect {
    Ok {
        out: String,
        sender: String,
        rcpts: Vec<String>,
    },
    Fail {
        rc: i32,
        err: String,
    },
}

struct Case {
    rule: &'static str,
    setup: Setup,
    expect: Expect,
}

fn c(rule: &'static str, input: &str) -> Case {
    Case {
        rule,
        setup: Setup {
            controls: vec![("me".into(), "cmp.example\n".into())],
            env: vec![("USER".into(), "u".into())],
            args: vec![],
            input: input.as_bytes().to_vec(),
            files: vec![],
        },
        expect: Expect::Fail {
            rc: -1,
            err: String::new(),
        },
    }
}

impl Case {
    fn ctl(mut self, n: &str, v: &str) -> Self {
        self.setup.controls.push((n.into(), format!("{v}\n")));
        self
    }
    fn no_me(mut self) -> Self {
        self.setup.controls.retain(|(n, _)| n != "me");
        self
    }
    fn env(mut self, k: &str, v: &str) -> Self {
        self.setup.env.push((k.into(), v.into()));
        self
    }
    fn no_user(mut self) -> Self {
        self.setup.env.clear();
        self
    }
    fn file(mut self, n: &str, v: &str) -> Self {
        self.setup.files.push((n.into(), v.into()));
        self
    }
    fn args(mut self, a: &[&str]) -> Self {
        self.setup.args = a.iter().map(|s| s.to_string()).collect();
        self
    }
    fn out(mut self, out: &str, sender: &str, rcpts: &[&str]) -> Self {
        self.expect = Expect::Ok {
            out: out.into(),
            sender: sender.into(),
            rcpts: rcpts.iter().map(|s| s.to_string()).collect(),
        };
        self
    }
    fn fails(mut self, rc: i32, err: &str) -> Self {
        self.expect = Expect::Fail {
            rc,
            err: err.into(),
        };
        self
    }
}

fn cases() -> Vec<Case> {
    let std = format!("{RP}{G}{FROM}");
    vec![
        // --- generated fields
        c("missing Date, Message-ID, From, To/Cc are generated before the original fields", "Subject: s\n\nbody\n")
            .args(&["u"]).out(&format!("{std}{NOTSHOWN}Subject: s\n\nbody\n"), "u@cmp.example", &["u@cmp.example"]),
        c("a To field suppresses the 'recipient list not shown' Cc", "To: a@x.y\n\nb\n")
            .out(&format!("{std}To: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("a Cc field suppresses the 'recipient list not shown' Cc", "Cc: a@x.y\n\nb\n")
            .out(&format!("{std}Cc: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("an existing Date is kept and not generated", "Date: Wed, 1 Jan 2020 00:00:00 +0100\nTo: a@x.y\n\nb\n")
            .out(&format!("{RP}Message-ID: <ID.qmail@cmp.example>\n{FROM}Date: Wed, 1 Jan 2020 00:00:00 +0100\nTo: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("an existing Message-ID is kept", "Message-ID: <m@x.y>\nTo: a@x.y\n\nb\n")
            .out(&format!("{RP}Date: <DATE>\n{FROM}Message-ID: <m@x.y>\nTo: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("an existing From is kept but its address completed", "From: joe\nTo: a@x.y\n\nb\n")
            .out(&format!("{RP}{G}From: joe@cmp.example\nTo: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("a first line that is not a field starts the body after an inserted empty line", "just body\nline 2\n")
            .args(&["u"]).out(&format!("{std}{NOTSHOWN}\njust body\nline 2\n"), "u@cmp.example", &["u@cmp.example"]),
        c("empty input: only the generated fields, no empty line", "")
            .args(&["u"]).out(&format!("{std}{NOTSHOWN}"), "u@cmp.example", &["u@cmp.example"]),
        c("a body without a final newline gets one", "Subject: s\n\nno newline")
            .args(&["u"]).out(&format!("{std}{NOTSHOWN}Subject: s\n\nno newline\n"), "u@cmp.example", &["u@cmp.example"]),
        c("a header without newline and body gets a newline and no empty line", "Subject: s")
            .args(&["u"]).out(&format!("{std}{NOTSHOWN}Subject: s\n"), "u@cmp.example", &["u@cmp.example"]),
        c("original fields keep their order, case and folding", "X-B: 2\n\tcont\nx-a: 1\nTo: a@x.y\n\nb\n")
            .out(&format!("{std}X-B: 2\n\tcont\nx-a: 1\nTo: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("a non-field line inside the header ends it", "Subject: s\nnot a field\nmore\n")
            .args(&["u"]).out(&format!("{std}{NOTSHOWN}Subject: s\n\nnot a field\nmore\n"), "u@cmp.example", &["u@cmp.example"]),
        c("a mbox From_ line becomes an MBOX-Line field", "From joe Tue Jan  1 00:00:00 2020\nTo: a@x.y\n\nb\n")
            .out(&format!("{std}MBOX-Line: From joe Tue Jan  1 00:00:00 2020\nTo: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("white space before the colon still makes a field", "Subject : s\nTo : a\n\nb\n")
            .out(&format!("{std}Subject : s\nTo: a@cmp.example\n\nb\n"), "u@cmp.example", &["a@cmp.example"]),
        // --- deleted fields
        c("Bcc is removed and its addresses are recipients", "To: a@x.y\nBcc: b@x.y\n\nb\n")
            .out(&format!("{std}To: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y", "b@x.y"]),
        c("Content-Length is removed whatever its case", "Content-Length: 12\ncontent-LENGTH: 3\nTo: a@x.y\n\nb\n")
            .out(&format!("{std}To: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("Return-Path is removed and becomes the envelope sender", "Return-Path: <rp@x.y>\nTo: a@x.y\n\nb\n")
            .out(&format!("Return-Path: <rp@x.y>\n{G}{FROM}To: a@x.y\n\nb\n"), "rp@x.y", &["a@x.y"]),
        c("of several Return-Path addresses the last one (first walked) wins", "Return-Path: <a@x.y>, <b@x.y>\nReturn-Path: <c@x.y>\nTo: a@x.y\n\nb\n")
            .out(&format!("Return-Path: <b@x.y>\n{G}{FROM}To: a@x.y\n\nb\n"), "b@x.y", &["a@x.y"]),
        c("Return-Path <> gives the null sender", "Return-Path: <>\nTo: a@x.y\n\nb\n")
            .out(&format!("Return-Path: <>\n{G}{FROM}To: a@x.y\n\nb\n"), "", &["a@x.y"]),
        c("Return-Path addresses are completed too", "Return-Path: rp\nTo: a@x.y\n\nb\n")
            .out(&format!("Return-Path: <rp@cmp.example>\n{G}{FROM}To: a@x.y\n\nb\n"), "rp@cmp.example", &["a@x.y"]),
        // --- -f
        c("-f overrides Return-Path", "Return-Path: <rp@x.y>\nTo: a@x.y\n\nb\n").args(&["-f", "f@x.y"])
            .out(&format!("Return-Path: <f@x.y>\n{G}{FROM}To: a@x.y\n\nb\n"), "f@x.y", &["a@x.y"]),
        c("-f '' is the null sender", "To: a@x.y\n\nb\n").args(&["-f", ""])
            .out(&format!("Return-Path: <>\n{G}{FROM}To: a@x.y\n\nb\n"), "", &["a@x.y"]),
        c("-f is completed like any address", "To: a@x.y\n\nb\n").args(&["-fbare"])
            .out(&format!("Return-Path: <bare@cmp.example>\n{G}{FROM}To: a@x.y\n\nb\n"), "bare@cmp.example", &["a@x.y"]),
        c("-f with a local part that needs quoting", "To: a@x.y\n\nb\n").args(&["-f", "a b@x.y"])
            .out(&format!("Return-Path: <\"a b\"@x.y>\n{G}{FROM}To: a@x.y\n\nb\n"), "a b@x.y", &["a@x.y"]),
        // --- address completion
        c("no @: @defaulthost (default: me) is appended", "To: joe\n\nb\n")
            .out(&format!("{std}To: joe@cmp.example\n\nb\n"), "u@cmp.example", &["joe@cmp.example"]),
        c("a domain without a dot gets .defaultdomain", "To: joe@mammoth\n\nb\n")
            .out(&format!("{std}To: joe@mammoth.cmp.example\n\nb\n"), "u@cmp.example", &["joe@mammoth.cmp.example"]),
        c("a domain ending in + gets .plusdomain instead of the +", "To: eric@mammoth.cs+\n\nb\n").ctl("plusdomain", "plus.example")
            .out(&format!("{std}To: eric@mammoth.cs.plus.example\n\nb\n"), "u@cmp.example", &["eric@mammoth.cs.plus.example"]),
        c("a domain literal is not completed", "To: joe@[10.0.0.1]\n\nb\n")
            .out(&format!("{std}To: joe@[10.0.0.1]\n\nb\n"), "u@cmp.example", &["joe@[10.0.0.1]"]),
        c("a source route is removed", "To: <@a.example,@b.example:joe@x.y>\n\nb\n")
            .out(&format!("{std}To: <joe@x.y>\n\nb\n"), "u@cmp.example", &["joe@x.y"]),
        c("a trailing dot on the domain is removed", "To: joe@x.y.\n\nb\n")
            .out(&format!("{std}To: joe@x.y\n\nb\n"), "u@cmp.example", &["joe@x.y"]),
        c("a trailing @ is removed, then the address completed", "To: joe@\n\nb\n")
            .out(&format!("{std}To: joe@cmp.example\n\nb\n"), "u@cmp.example", &["joe@cmp.example"]),
        c("<> is left alone (and is an empty recipient)", "To: <>\n\nb\n")
            .out(&format!("{std}To: <>\n\nb\n"), "u@cmp.example", &[""]),
        c("<x@[]> is left alone", "To: <x@[]>\n\nb\n")
            .out(&format!("{std}To: <x@[]>\n\nb\n"), "u@cmp.example", &["x@[]"]),
        c("<@foo:> becomes <>", "To: <@foo:>\n\nb\n")
            .out(&format!("{std}To: <>\n\nb\n"), "u@cmp.example", &[""]),
        c("bare words separated by white space become separate addresses", "To: djb fred\n\nb\n")
            .out(&format!("{std}To: djb@cmp.example, fred@cmp.example\n\nb\n"), "u@cmp.example", &["fred@cmp.example", "djb@cmp.example"]),
        c("a phrase and route address keep the phrase (no space is printed after a dot)", "To: Joe Q. Public <joe>\n\nb\n")
            .out(&format!("{std}To: Joe Q.Public <joe@cmp.example>\n\nb\n"), "u@cmp.example", &["joe@cmp.example"]),
        c("a quoted local part stays quoted in the header and is unquoted in the envelope", "To: \"joe q\"@x.y\n\nb\n")
            .out(&format!("{std}To: \"joe q\"@x.y\n\nb\n"), "u@cmp.example", &["joe q@x.y"]),
        c("a comment inside an address moves after it", "To: joe(Joe)@x.y\n\nb\n")
            .out(&format!("{std}To: joe@x.y (Joe)\n\nb\n"), "u@cmp.example", &["joe@x.y"]),
        c("a quoted phrase with specials is printed escaped", "To: \"Doe, John\" <jd@x.y>\n\nb\n")
            .out(&format!("{std}To: \"Doe, John\" <jd@x.y>\n\nb\n"), "u@cmp.example", &["jd@x.y"]),
        c("groups: members are completed and are recipients", "To: list: a, b@x.y;\n\nb\n")
            .out(&format!("{std}To: list: a@cmp.example, b@x.y;\n\nb\n"), "u@cmp.example", &["b@x.y", "a@cmp.example"]),
        c("an empty group has no recipients", "To: undisclosed-recipients:;\n\nb\n").args(&["-h"])
            .out(&format!("{std}To: undisclosed-recipients: ;\n\nb\n"), "u@cmp.example", &[]),
        c("fields in order, addresses of one field right to left", "To: a@x.y, b@x.y\nCc: c@x.y\n\nb\n")
            .out(&format!("{std}To: a@x.y, b@x.y\nCc: c@x.y\n\nb\n"), "u@cmp.example", &["b@x.y", "a@x.y", "c@x.y"]),
        c("a folded To is unfolded and printed again", "To: a,\n  b@x.y\n\nb\n")
            .out(&format!("{std}To: a@cmp.example, b@x.y\n\nb\n"), "u@cmp.example", &["b@x.y", "a@cmp.example"]),
        c("rewritten fields are folded after a comma once past 80 columns",
            "To: aaaaaaaaaaaaaaaaaaaa@example.org, bbbbbbbbbbbbbbbbbbbb@example.org, cccccccccccccccccccc@example.org, dddddddddddddddddddd@example.org\n\nb\n")
            .out(&format!("{std}To: aaaaaaaaaaaaaaaaaaaa@example.org, bbbbbbbbbbbbbbbbbbbb@example.org,\n  cccccccccccccccccccc@example.org, dddddddddddddddddddd@example.org\n\nb\n"),
                "u@cmp.example", &["dddddddddddddddddddd@example.org", "cccccccccccccccccccc@example.org", "bbbbbbbbbbbbbbbbbbbb@example.org", "aaaaaaaaaaaaaaaaaaaa@example.org"]),
        c("an unparsable recipient field is kept as it is and gives no recipients", "To: \"open\nCc: c@x.y\n\nb\n")
            .out(&format!("{std}To: \"open\nCc: c@x.y\n\nb\n"), "u@cmp.example", &["c@x.y"]),
        c("an unparsable sender field is fatal", "From: (open\n\nb\n")
            .fails(100, "qmail-inject: fatal: unable to parse this line:\nFrom: (open\n"),
        c("Reply-To, Errors-To, Sender, Return-Receipt-To are completed", "Reply-To: r\nErrors-To: e\nSender: s\nReturn-Receipt-To: t\nTo: a@x.y\n\nb\n")
            .out(&format!("{std}Reply-To: r@cmp.example\nErrors-To: e@cmp.example\nSender: s@cmp.example\nReturn-Receipt-To: t@cmp.example\nTo: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("unknown fields are not touched", "X-To: joe\nIn-Reply-To: <x>\nTo: a@x.y\n\nb\n")
            .out(&format!("{std}X-To: joe\nIn-Reply-To: <x>\nTo: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("field names are case-insensitive", "tO: joe\n\nb\n")
            .out(&format!("{std}tO: joe@cmp.example\n\nb\n"), "u@cmp.example", &["joe@cmp.example"]),
        c("Apparently-To is kept and gives header recipients", "Apparently-To: ap\n\nb\n")
            .out(&format!("{std}{NOTSHOWN}Apparently-To: ap@cmp.example\n\nb\n"), "u@cmp.example", &["ap@cmp.example"]),
        c("8-bit bytes in a phrase make it a quoted string", "To: J\u{f6}rg <j@x.y>\n\nb\n")
            .out(&format!("{std}To: \"J\u{f6}rg\" <j@x.y>\n\nb\n"), "u@cmp.example", &["j@x.y"]),
        // --- resent
        c("a Resent- field makes the message resent: Resent- fields are generated, not the plain ones", "Resent-To: r@x.y\nTo: t@x.y\n\nb\n")
            .out(&format!("{RP}Resent-Date: <DATE>\nResent-Message-ID: <ID.qmail@cmp.example>\nResent-From: u@cmp.example\nResent-To: r@x.y\nTo: t@x.y\n\nb\n"), "u@cmp.example", &["r@x.y"]),
        c("resent: Resent-Bcc is removed and a recipient; Resent-Cc not-shown is added", "Resent-Bcc: rb@x.y\nTo: t@x.y\n\nb\n")
            .out(&format!("{RP}Resent-Date: <DATE>\nResent-Message-ID: <ID.qmail@cmp.example>\nResent-From: u@cmp.example\nResent-Cc: recipient list not shown: ;\nTo: t@x.y\n\nb\n"), "u@cmp.example", &["rb@x.y"]),
        c("resent: existing Resent-From/-Date/-Message-ID are kept", "Resent-From: f\nResent-Date: x\nResent-Message-ID: <i@x>\nResent-Cc: c@x.y\n\nb\n")
            .out(&format!("{RP}Resent-From: f@cmp.example\nResent-Date: x\nResent-Message-ID: <i@x>\nResent-Cc: c@x.y\n\nb\n"), "u@cmp.example", &["c@x.y"]),
        c("resent: arguments still come first with -H", "Resent-To: r@x.y\nTo: t@x.y\n\nb\n").args(&["-H", "arg@x.y"])
            .out(&format!("{RP}Resent-Date: <DATE>\nResent-Message-ID: <ID.qmail@cmp.example>\nResent-From: u@cmp.example\nResent-To: r@x.y\nTo: t@x.y\n\nb\n"), "u@cmp.example", &["arg@x.y", "r@x.y"]),
        // --- environment
        c("QMAILUSER beats MAILUSER, USER, LOGNAME", "To: a@x.y\n\nb\n").no_user().env("LOGNAME", "l").env("USER", "us").env("MAILUSER", "m").env("QMAILUSER", "q")
            .out(&format!("Return-Path: <q@cmp.example>\n{G}From: q@cmp.example\nTo: a@x.y\n\nb\n"), "q@cmp.example", &["a@x.y"]),
        c("MAILUSER beats USER", "To: a@x.y\n\nb\n").env("MAILUSER", "m")
            .out(&format!("Return-Path: <m@cmp.example>\n{G}From: m@cmp.example\nTo: a@x.y\n\nb\n"), "m@cmp.example", &["a@x.y"]),
        c("LOGNAME when there is no USER", "To: a@x.y\n\nb\n").no_user().env("LOGNAME", "l")
            .out(&format!("Return-Path: <l@cmp.example>\n{G}From: l@cmp.example\nTo: a@x.y\n\nb\n"), "l@cmp.example", &["a@x.y"]),
        c("no user variable at all: anonymous", "To: a@x.y\n\nb\n").no_user()
            .out(&format!("Return-Path: <anonymous@cmp.example>\n{G}From: anonymous@cmp.example\nTo: a@x.y\n\nb\n"), "anonymous@cmp.example", &["a@x.y"]),
        c("QMAILHOST beats MAILHOST for From and the sender", "To: a@x.y\n\nb\n").env("MAILHOST", "mh.example").env("QMAILHOST", "qh.example")
            .out(&format!("Return-Path: <u@qh.example>\n{G}From: u@qh.example\nTo: a@x.y\n\nb\n"), "u@qh.example", &["a@x.y"]),
        c("a dotless MAILHOST is completed with defaultdomain", "To: a@x.y\n\nb\n").env("MAILHOST", "mh")
            .out(&format!("Return-Path: <u@mh.cmp.example>\n{G}From: u@mh.cmp.example\nTo: a@x.y\n\nb\n"), "u@mh.cmp.example", &["a@x.y"]),
        c("NAME gives a quoted name-addr From", "To: a@x.y\n\nb\n").env("NAME", "Plain Name")
            .out(&format!("{RP}{G}From: \"Plain Name\" <u@cmp.example>\nTo: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("QMAILNAME beats MAILNAME beats NAME", "To: a@x.y\n\nb\n").env("NAME", "N").env("MAILNAME", "M").env("QMAILNAME", "Q")
            .out(&format!("{RP}{G}From: \"Q\" <u@cmp.example>\nTo: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("a user name that needs quoting is quoted; the name is escaped", "To: a@x.y\n\nb\n").env("USER", "needs quoting").env("NAME", "Quote \"me\" (x)")
            .out(&format!("Return-Path: <\"needs quoting\"@cmp.example>\n{G}From: \"Quote \\\"me\\\" \\(x\\)\" <\"needs quoting\"@cmp.example>\nTo: a@x.y\n\nb\n"), "needs quoting@cmp.example", &["a@x.y"]),
        c("QMAILINJECT=c: the name as a comment", "To: a@x.y\n\nb\n").env("NAME", "Full Name").env("QMAILINJECT", "c")
            .out(&format!("{RP}{G}From: u@cmp.example (Full Name)\nTo: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("QMAILINJECT=f: an incoming From is deleted and a new one generated", "From: other@x.y\nTo: a@x.y\n\nb\n").env("QMAILINJECT", "f")
            .out(&format!("{std}To: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("QMAILINJECT=i: an incoming Message-ID is deleted and a new one generated", "Message-ID: <old@x>\nTo: a@x.y\n\nb\n").env("QMAILINJECT", "i")
            .out(&format!("{std}To: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("QMAILINJECT=s: an incoming Return-Path is ignored and deleted", "Return-Path: <rp@x.y>\nTo: a@x.y\n\nb\n").env("QMAILINJECT", "s")
            .out(&format!("{std}To: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("QMAILINJECT=r: per-recipient VERP on the default sender", "To: a@x.y\n\nb\n").env("QMAILINJECT", "r")
            .out(&format!("Return-Path: <\"u-@cmp.example-\"@[]>\n{G}{FROM}To: a@x.y\n\nb\n"), "u-@cmp.example-@[]", &["a@x.y"]),
        c("QMAILINJECT=r: VERP on a Return-Path sender", "Return-Path: <rp@x.y>\nTo: a@x.y\n\nb\n").env("QMAILINJECT", "r")
            .out(&format!("Return-Path: <\"rp@x.y-\"@[]>\n{G}{FROM}To: a@x.y\n\nb\n"), "rp@x.y-@[]", &["a@x.y"]),
        c("QMAILINJECT=r: a -f sender is used as is", "To: a@x.y\n\nb\n").env("QMAILINJECT", "r").args(&["-f", "f@x.y"])
            .out(&format!("Return-Path: <f@x.y>\n{G}{FROM}To: a@x.y\n\nb\n"), "f@x.y", &["a@x.y"]),
        c("QMAILSUSER and QMAILSHOST set the sender, not From", "To: a@x.y\n\nb\n").env("QMAILSUSER", "su").env("QMAILSHOST", "sh.example")
            .out(&format!("Return-Path: <su@sh.example>\n{G}{FROM}To: a@x.y\n\nb\n"), "su@sh.example", &["a@x.y"]),
        // --- control files and their variables
        c("control/defaulthost completes addresses without @", "To: joe\n\nb\n").ctl("defaulthost", "dh.example")
            .out(&format!("Return-Path: <u@dh.example>\n{G}From: u@dh.example\nTo: joe@dh.example\n\nb\n"), "u@dh.example", &["joe@dh.example"]),
        c("control/defaultdomain completes dotless domains", "To: joe@mammoth\n\nb\n").ctl("defaultdomain", "dd.example")
            .out(&format!("{std}To: joe@mammoth.dd.example\n\nb\n"), "u@cmp.example", &["joe@mammoth.dd.example"]),
        c("a dotless defaulthost is completed with defaultdomain", "To: joe\n\nb\n").ctl("defaulthost", "dh").ctl("defaultdomain", "dd.example")
            .out(&format!("Return-Path: <u@dh.dd.example>\n{G}From: u@dh.dd.example\nTo: joe@dh.dd.example\n\nb\n"), "u@dh.dd.example", &["joe@dh.dd.example"]),
        c("control/idhost names the Message-ID host", "To: a@x.y\n\nb\n").ctl("idhost", "id.example")
            .out(&format!("{RP}Date: <DATE>\nMessage-ID: <ID.qmail@id.example>\n{FROM}To: a@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("without me or controls the literal names are used", "To: joe\n\nb\n").no_me()
            .out("Return-Path: <u@defaulthost.defaultdomain>\nDate: <DATE>\nMessage-ID: <ID.qmail@idhost>\nFrom: u@defaulthost.defaultdomain\nTo: joe@defaulthost.defaultdomain\n\nb\n", "u@defaulthost.defaultdomain", &["joe@defaulthost.defaultdomain"]),
        c("QMAILDEFAULTHOST/-DOMAIN/PLUSDOMAIN/IDHOST override the control files", "To: joe, x@m, y@p+\n\nb\n")
            .ctl("defaulthost", "no1.example").ctl("defaultdomain", "no2.example").ctl("plusdomain", "no3.example").ctl("idhost", "no4.example")
            .env("QMAILDEFAULTHOST", "h.example").env("QMAILDEFAULTDOMAIN", "d.example").env("QMAILPLUSDOMAIN", "p.example").env("QMAILIDHOST", "i.example")
            .out("Return-Path: <u@h.example>\nDate: <DATE>\nMessage-ID: <ID.qmail@i.example>\nFrom: u@h.example\nTo: joe@h.example, x@m.d.example, y@p.p.example\n\nb\n", "u@h.example", &["y@p.p.example", "x@m.d.example", "joe@h.example"]),
        c("control values keep leading white space and lose trailing", "To: joe\n\nb\n").ctl("defaulthost", "dh.example \t")
            .out(&format!("Return-Path: <u@dh.example>\n{G}From: u@dh.example\nTo: joe@dh.example\n\nb\n"), "u@dh.example", &["joe@dh.example"]),
        // --- recipient strategies
        c("-a: only the arguments", "To: h@x.y\n\nb\n").args(&["-a", "a@x.y"])
            .out(&format!("{std}To: h@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("-h: only the header, arguments ignored", "To: h@x.y\n\nb\n").args(&["-h", "a@x.y"])
            .out(&format!("{std}To: h@x.y\n\nb\n"), "u@cmp.example", &["h@x.y"]),
        c("-H: arguments first, then the header", "To: h@x.y\n\nb\n").args(&["-H", "a@x.y"])
            .out(&format!("{std}To: h@x.y\n\nb\n"), "u@cmp.example", &["a@x.y", "h@x.y"]),
        c("default: arguments when given", "To: h@x.y\n\nb\n").args(&["a"])
            .out(&format!("{std}To: h@x.y\n\nb\n"), "u@cmp.example", &["a@cmp.example"]),
        c("default: header without arguments; no recipient at all is not an error", "Subject: none\n\nb\n")
            .out(&format!("{std}{NOTSHOWN}Subject: none\n\nb\n"), "u@cmp.example", &[]),
        c("-a without arguments: no recipients", "To: h@x.y\n\nb\n").args(&["-a"])
            .out(&format!("{std}To: h@x.y\n\nb\n"), "u@cmp.example", &[]),
        c("the last strategy option wins", "To: h@x.y\n\nb\n").args(&["-H", "-a", "a@x.y"])
            .out(&format!("{std}To: h@x.y\n\nb\n"), "u@cmp.example", &["a@x.y"]),
        c("an argument that needs quoting is quoted before parsing", "To: h@x.y\n\nb\n").args(&["a b@x.y"])
            .out(&format!("{std}To: h@x.y\n\nb\n"), "u@cmp.example", &["a b@x.y"]),
        c("-- ends the options", "To: h@x.y\n\nb\n").args(&["--", "-n@x.y"])
            .out(&format!("{std}To: h@x.y\n\nb\n"), "u@cmp.example", &["-n@x.y"]),
        c("an unparsable argument is fatal", "To: h@x.y\n\nb\n").args(&["joe@(x"])
            .fails(100, "qmail-inject: fatal: unable to parse address: joe@(x\n"),
        c("an unknown option is a usage error naming it", "b\n").args(&["-x"])
            .fails(100, "qmail-inject: illegal option -- x\n"),
        c("-f without its argument is a usage error", "b\n").args(&["-f"])
            .fails(100, "qmail-inject: option requires an argument -- f\n"),
        // --- Mail-Followup-To
        c("QMAILMFTFILE: a To/Cc list address adds Mail-Followup-To with all To/Cc addresses", "To: List@x.y\nCc: joe\n\nb\n")
            .file("lists", "# lists\nlist@x.y\n").env("QMAILMFTFILE", "@/lists")
            .out(&format!("{std}Mail-Followup-To: joe@cmp.example,\n  List@x.y\nTo: List@x.y\nCc: joe@cmp.example\n\nb\n"), "u@cmp.example", &["List@x.y", "joe@cmp.example"]),
        c("QMAILMFTFILE: an existing Mail-Followup-To is kept and none added", "To: list@x.y\nMail-Followup-To: me@x.y\n\nb\n")
            .file("lists", "list@x.y\n").env("QMAILMFTFILE", "@/lists")
            .out(&format!("{std}To: list@x.y\nMail-Followup-To: me@x.y\n\nb\n"), "u@cmp.example", &["list@x.y"]),
        c("QMAILMFTFILE: no list address, no field", "To: other@x.y\n\nb\n")
            .file("lists", "list@x.y\n").env("QMAILMFTFILE", "@/lists")
            .out(&format!("{std}To: other@x.y\n\nb\n"), "u@cmp.example", &["other@x.y"]),
    ]
}

#[test]
fn header_rewriting_table() {
    harness::require_root();
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let (n, q) = run(&case.setup);
        match &case.expect {
            Expect::Ok { out, sender, rcpts } => {
                let msg = out.split_once('\n').map(|x| x.1).unwrap_or("");
                if n.rc != 0 || &n.out != out || !n.err.is_empty() {
                    failures.push(format!(
                        "{}\n -n rc={} err={:?}\n got:\n{}\n want:\n{}",
                        case.rule, n.rc, n.err, n.out, out
                    ));
                } else if q.rc != 0 || q.message != msg || &q.sender != sender || &q.rcpts != rcpts
                {
                    failures.push(format!(
                        "{}\n queue rc={} err={:?} sender={:?} rcpts={:?} (want {:?} {:?})\n message:\n{}",
                        case.rule, q.rc, q.err, q.sender, q.rcpts, sender, rcpts, q.message
                    ));
                }
            }
            Expect::Fail { rc, err } => {
                if n.rc != *rc
                    || &n.err != err
                    || !n.out.is_empty()
                    || q.rc != *rc
                    || !q.message.is_empty()
                {
                    failures.push(format!(
                        "{}\n rc={} err={:?} out={:?} qrc={}",
                        case.rule, n.rc, n.err, n.out, q.rc
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
