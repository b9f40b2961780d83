#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_preline");
const UF: &str = "From bounces@example.org Fri Nov 27 00:02:22 2026\n";
const RP: &str = "Return-Path: <bounces@example.org>\n";
const DT: &str = "Delivered-To: joe@example.com\n";
const MSG: &str = "Subject: x\n\nFrom here\n";

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(env.iter().copied());
    qmail_e2e::feed(&mut c, MSG.as_bytes()).texts()
}

const ENV: &[(&str, &str)] = &[("UFLINE", UF), ("RPLINE", RP), ("DTLINE", DT)];

#[test]
fn adds_the_three_lines() {
    assert_eq!(
        run(&["cat"], ENV),
        (0, format!("{UF}{RP}{DT}{MSG}"), String::new())
    );
}

#[test]
fn options_drop_and_restore_lines() {
    assert_eq!(run(&["-f", "cat"], ENV).1, format!("{RP}{DT}{MSG}"));
    assert_eq!(run(&["-r", "cat"], ENV).1, format!("{UF}{DT}{MSG}"));
    assert_eq!(run(&["-d", "cat"], ENV).1, format!("{UF}{RP}{MSG}"));
    assert_eq!(run(&["-frd", "cat"], ENV).1, MSG);
    assert_eq!(run(&["-fd", "-D", "cat"], ENV).1, format!("{RP}{DT}{MSG}"));
    // Options end at the command: cat gets -n.
    assert_eq!(
        run(&["-fr", "cat", "-n"], ENV).1,
        "     1\tDelivered-To: joe@example.com\n     2\tSubject: x\n     3\t\n     4\tFrom here\n"
    );
}

#[test]
fn exits_with_the_commands_code() {
    assert_eq!(run(&["sh", "-c", "cat >/dev/null; exit 100"], ENV).0, 100);
    assert_eq!(run(&["sh", "-c", "cat >/dev/null; exit 99"], ENV).0, 99);
    assert_eq!(
        run(&["sh", "-c", "cat >/dev/null; kill -9 $$"], ENV),
        (111, String::new(), "preline: fatal: child crashed\n".into())
    );
}

#[test]
fn unrunnable_command() {
    assert_eq!(
        run(&["/nonexistent/cmd"], ENV),
        (
            100,
            String::new(),
            "preline: fatal: unable to run /nonexistent/cmd: file does not exist\n".into()
        )
    );
}

#[test]
fn usage() {
    let u = "preline: usage: preline cmd [ arg ... ]\n".to_string();
    assert_eq!(run(&[], ENV), (100, String::new(), u.clone()));
    assert_eq!(run(&["-x", "cat"], ENV), (100, String::new(), u.clone()));
    assert_eq!(run(&["-f"], ENV), (100, String::new(), u.clone()));
    assert_eq!(
        run(&["cat"], &[("UFLINE", UF), ("RPLINE", RP)]),
        (100, String::new(), u)
    );
}
