//! Pure-function tests: fixed time and pid, no files.
use super::*;

fn settings(env: &[(&str, &str)]) -> Settings {
    let env: Vec<(String, Vec<u8>)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect();
    let get = move |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let c = Controls {
        me: Some(b"me.example".to_vec()),
        idhost: Some(b"id.example".to_vec()),
        ..Controls::default()
    };
    Settings::new(&get, &c, None, 810_362_814, 12345).unwrap()
}

fn opts(strategy: Strategy, args: &[&str]) -> Options {
    Options {
        strategy,
        sender: None,
        args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
    }
}

#[test]
fn exact_generated_fields_without_files() {
    let set = settings(&[("USER", "u")]);
    let o = inject_message(
        &set,
        &opts(Strategy::Default, &["x"]),
        b"Subject: s\n\nb\n",
        true,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(o.text).unwrap(),
        "Return-Path: <u@me.example>\nDate: 6 Sep 1995 04:46:54 -0000\n\
         Message-ID: <19950906044654.12345.qmail@id.example>\nFrom: u@me.example\n\
         Cc: recipient list not shown: ;\nSubject: s\n\nb\n"
    );
    assert_eq!(o.sender, b"u@me.example");
    assert_eq!(o.recipients, vec![b"x@me.example".to_vec()]);
}

#[test]
fn per_message_verp() {
    let set = settings(&[("USER", "u"), ("QMAILINJECT", "m")]);
    let o = inject_message(&set, &opts(Strategy::Header, &[]), b"To: a@b.c\n\n", false).unwrap();
    assert_eq!(o.sender, b"u-810362814.12345@me.example");
    let set = settings(&[("USER", "u"), ("QMAILINJECT", "mr")]);
    let o = inject_message(&set, &opts(Strategy::Header, &[]), b"To: a@b.c\n\n", false).unwrap();
    assert_eq!(o.sender, b"u-810362814.12345-@me.example-@[]");
}

#[test]
fn queued_text_has_no_return_path() {
    let set = settings(&[("USER", "u")]);
    let o = inject_message(
        &set,
        &opts(Strategy::Header, &[]),
        b"To: a@b.c\nDate: d\nMessage-ID: <m>\nFrom: f@g.h\n\nbody",
        false,
    )
    .unwrap();
    assert_eq!(
        o.text,
        b"To: a@b.c\nDate: d\nMessage-ID: <m>\nFrom: f@g.h\n\nbody\n"
    );
    assert_eq!(o.recipients, vec![b"a@b.c".to_vec()]);
}

#[test]
fn fatal_messages() {
    assert_eq!(
        Fatal::Unparsable(b"From: (x\n".to_vec()).message(),
        b"qmail-inject: fatal: unable to parse this line:\nFrom: (x\n"
    );
    assert_eq!(
        Fatal::BadAddress(b"a@(b".to_vec()).message(),
        b"qmail-inject: fatal: unable to parse address: a@(b\n"
    );
}

#[test]
fn bad_control_value_is_fatal() {
    let get = |k: &str| (k == "QMAILDEFAULTHOST").then(|| b"(".to_vec());
    let r = Settings::new(&get, &Controls::default(), None, 0, 1);
    assert_eq!(r.err(), Some(Fatal::Unparsable(b"@(".to_vec())));
}
