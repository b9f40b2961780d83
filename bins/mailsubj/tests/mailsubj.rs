//! mailsubj black-box: in a private mount namespace a stand-in bin/qmail-inject shows
//! what it receives. Needs root.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::fs;

use qmail_e2e::Home;

const BIN: &str = env!("CARGO_BIN_EXE_mailsubj");

#[test]
fn header_then_input_to_qmail_inject() {
    let d = Home::new("mailsubj");
    qmail_e2e::script(
        d.join("bin/qmail-inject"),
        "#!/bin/sh\necho \"args=$#\"\ncat\nexit 5\n",
    );
    let ds = d.display().to_string();
    let script = format!(
        "printf 'line 1\\nline 2\\n' | {BIN} 'the subject' a@x.y bob > {ds}/out; echo $? > {ds}/rc\n\
         {BIN} < /dev/null 2> {ds}/err; echo $? > {ds}/rc2\n"
    );
    let st = d.command("/bin/sh").args(["-c", &script]).status().unwrap();
    assert!(st.success());
    let r = |n: &str| fs::read_to_string(d.join(n)).unwrap();
    assert_eq!(
        r("out"),
        "args=0\nSubject: the subject\nTo: a@x.y bob\n\nline 1\nline 2\n"
    );
    assert_eq!(r("rc"), "5\n");
    assert_eq!(r("err"), "mailsubj: usage: mailsubj subject recip ...\n");
    assert_eq!(r("rc2"), "100\n");
}
