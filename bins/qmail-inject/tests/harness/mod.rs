//! Black-box runner: qmail-inject in a private mount namespace with a temporary qmail home
//! bind-mounted over the compiled-in one, run twice per case: with -n (what it prints) and
//! with a QMAILQUEUE script that records the message and the envelope.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;

pub use qmail_e2e::home::require_root;
use qmail_e2e::Home;

pub const BIN: &str = env!("CARGO_BIN_EXE_qmail-inject");

/// What one run observed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Run {
    pub rc: i32,
    pub out: String,
    pub err: String,
}

#[derive(Debug, Default, Clone)]
pub struct Queued {
    pub rc: i32,
    pub err: String,
    pub message: String,
    pub sender: String,
    pub rcpts: Vec<String>,
}

pub struct Setup {
    pub controls: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub input: Vec<u8>,
    /// Extra files (absolute paths inside the temp dir are given as `@/name`).
    pub files: Vec<(String, String)>,
}

fn shq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn tmpdir() -> Home {
    let d = Home::new("qmail-inject");
    d.mkdir("control");
    d
}

/// Run a case both ways; `@/` in env values and args stands for the temp dir.
pub fn run(s: &Setup) -> (Run, Queued) {
    let d = tmpdir();
    let ds = d.display().to_string();
    for (name, text) in &s.controls {
        fs::write(d.join("control").join(name), text).unwrap();
    }
    for (name, text) in &s.files {
        fs::write(d.join(name), text).unwrap();
    }
    fs::write(d.join("input"), &s.input).unwrap();
    qmail_e2e::script(
        d.join("qq"),
        &format!("#!/bin/sh\ncat > {ds}/mess || exit 53\ncat <&1 > {ds}/env || exit 54\nexit 0\n"),
    );
    let sub = |x: &str| x.replace("@/", &format!("{ds}/"));
    let envs: Vec<String> = s
        .env
        .iter()
        .map(|(k, v)| shq(&format!("{k}={}", sub(v))))
        .collect();
    let args: Vec<String> = s.args.iter().map(|a| shq(&sub(a))).collect();
    let (envs, args) = (envs.join(" "), args.join(" "));
    let script = format!(
        "env - {envs} {BIN} -n {args} < {ds}/input > {ds}/out 2> {ds}/err; echo $? > {ds}/rc\n\
         env - {envs} QMAILQUEUE={ds}/qq {BIN} {args} < {ds}/input > /dev/null 2> {ds}/qerr; echo $? > {ds}/qrc\n"
    );
    let st = d.command("/bin/sh").args(["-c", &script]).status().unwrap();
    assert!(st.success(), "namespace setup failed: {st:?}");
    let read =
        |n: &str| String::from_utf8_lossy(&fs::read(d.join(n)).unwrap_or_default()).into_owned();
    let rc = |n: &str| read(n).trim().parse::<i32>().unwrap_or(-1);
    let r = Run {
        rc: rc("rc"),
        out: normalise(&read("out")),
        err: read("err"),
    };
    let mut q = Queued {
        rc: rc("qrc"),
        err: read("qerr"),
        message: normalise(&read("mess")),
        ..Queued::default()
    };
    let env = fs::read(d.join("env")).unwrap_or_default();
    for rec in env.split(|&c| c == 0) {
        match rec.first() {
            Some(b'F') => q.sender = String::from_utf8_lossy(&rec[1..]).into_owned(),
            Some(b'T') => q
                .rcpts
                .push(String::from_utf8_lossy(&rec[1..]).into_owned()),
            _ => {}
        }
    }
    (r, q)
}

fn is_date822(s: &str) -> bool {
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p: Vec<&str> = s.split(' ').collect();
    p.len() == 5
        && (1..=2).contains(&p[0].len())
        && !p[0].starts_with('0')
        && p[0].bytes().all(|c| c.is_ascii_digit())
        && MON.contains(&p[1])
        && p[2].len() == 4
        && p[3].len() == 8
        && p[3].as_bytes()[2] == b':'
        && p[4] == "-0000"
}

/// Generated dates become `<DATE>`, generated message ids `<ID.qmail@…>`.
pub fn normalise(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let mut l = body.to_string();
        for p in ["Date: ", "Resent-Date: "] {
            if let Some(rest) = body.strip_prefix(p) {
                if is_date822(rest) {
                    l = format!("{p}<DATE>");
                }
            }
        }
        if let Some(i) = l.find(".qmail@") {
            if let Some(lt) = l[..i].rfind('<') {
                let id = &l[lt + 1..i];
                let mut parts = id.split('.');
                let ts = parts.next().unwrap_or("");
                let pid = parts.next().unwrap_or("");
                if ts.len() == 14
                    && ts.bytes().all(|c| c.is_ascii_digit())
                    && !pid.is_empty()
                    && pid.bytes().all(|c| c.is_ascii_digit())
                    && parts.next().is_none()
                {
                    l = format!("{}<ID{}", &l[..lt], &l[i..]);
                }
            }
        }
        out.push_str(&l);
        out.push_str(nl);
    }
    out
}

/// Run `script` (sh; `$T` is a temp dir holding control/me = cmp.example) with that dir
/// bind-mounted over the qmail home. Returns the dir for the caller to read (removed
/// when dropped).
pub fn in_namespace(script: &str) -> Home {
    let d = tmpdir();
    d.control("me", "cmp.example\n");
    let ds = d.display().to_string();
    let full = format!("T={ds}\nB={BIN}\n{script}\n");
    let st = d.command("/bin/sh").args(["-c", &full]).status().unwrap();
    assert!(st.success(), "namespace script failed: {st:?}");
    d
}
