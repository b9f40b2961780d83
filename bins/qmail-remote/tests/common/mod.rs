//! The harness of qmail-remote's black-box tests: a temporary qmail home mounted over
//! /var/qmail in a private mount namespace for each run (tests run as root and never
//! touch the real installation), and small SMTP servers scripted per test.
// The harness reports trouble by failing the test that called it; not every test file
// uses every helper.
#![allow(
    clippy::unwrap_used,
    clippy::new_without_default,
    dead_code,
    clippy::indexing_slicing
)]
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::ffi::OsStringExt;
use std::process::Stdio;
use std::thread::{self, JoinHandle};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_qmail-remote");

/// A qmail home with control/me, control/helohost and an empty queue/lock/tcpto.
pub struct Home {
    pub home: qmail_e2e::Home,
    /// Words put before qmail-remote on its command line (strace, say).
    pub wrapper: String,
}

impl Home {
    pub fn new() -> Home {
        let home = qmail_e2e::Home::new("qmail-remote");
        home.write("queue/lock/tcpto", [0u8; 1024]);
        let h = Home {
            home,
            wrapper: String::new(),
        };
        h.control("me", "me.example\n");
        h.control("helohost", "helo.example\n");
        h
    }

    pub fn control(&self, name: &str, text: &str) {
        self.home.control(name, text);
    }

    pub fn route_to(&self, port: u16) {
        self.control("smtproutes", &format!("remote.example:127.0.0.1:{port}\n"));
    }

    pub fn tcpto(&self) -> Vec<u8> {
        fs::read(self.home.path("queue/lock/tcpto")).unwrap()
    }

    /// Run qmail-remote with `args` (after the program name) and `msg` on fd 0 (a file,
    /// so it is seekable as under qmail-rspawn). Returns the exit code and fd 1.
    pub fn run(&self, args: &[&[u8]], msg: &[u8]) -> (i32, Vec<u8>) {
        self.run_with_resolver(args, msg, None)
    }

    /// The same, with `resolv` (text of a resolv.conf) mounted over /etc/resolv.conf.
    pub fn run_with_resolver(
        &self,
        args: &[&[u8]],
        msg: &[u8],
        resolv: Option<&str>,
    ) -> (i32, Vec<u8>) {
        self.run_full(args, msg, resolv, "")
    }

    /// The same with a shell redirection applied to qmail-remote (`<&-`, say).
    pub fn run_full(
        &self,
        args: &[&[u8]],
        msg: &[u8],
        resolv: Option<&str>,
        redirect: &str,
    ) -> (i32, Vec<u8>) {
        let mfile = self.home.write("message", msg);
        let mut mounts = String::new();
        if let Some(text) = resolv {
            let rfile = self.home.write("resolv.conf", text);
            mounts = format!("mount --bind '{}' /etc/resolv.conf && ", rfile.display());
        }
        let script = format!("{mounts}exec {} '{BIN}' \"$@\" {redirect}", self.wrapper);
        let out = self
            .home
            .command("/bin/sh")
            .args(["-c", &script, "qmail-remote"])
            .args(args.iter().map(|a| OsString::from_vec(a.to_vec())))
            .stdin(fs::File::open(&mfile).unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), out.stdout)
    }
}

#[derive(Clone, Copy)]
pub enum Step {
    Reply(&'static [u8]),
    /// Say nothing more; wait for the client to go away.
    Stall,
    /// Close the connection at once.
    Close,
}

/// The server's answer to a command line (without CRLF); `b""` asks for the greeting and
/// `b"."` for the reply to the message.
pub type Script = fn(&[u8]) -> Step;

pub struct Server {
    pub port: u16,
    handle: JoinHandle<Vec<u8>>,
}

impl Server {
    pub fn start(script: Script) -> Server {
        Server::start_on("127.0.0.1:0", script)
    }

    pub fn start_on(addr: &str, script: Script) -> Server {
        let l = TcpListener::bind(addr).unwrap();
        let port = l.local_addr().unwrap().port();
        let handle = thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            serve(s, script)
        });
        Server { port, handle }
    }

    /// Everything the client sent, byte for byte.
    pub fn transcript(self) -> Vec<u8> {
        self.handle.join().unwrap()
    }
}

fn serve(s: TcpStream, script: Script) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let mut got = Vec::new();
    let mut say = |step: Step, r: &mut BufReader<TcpStream>, got: &mut Vec<u8>| -> bool {
        match step {
            Step::Reply(text) => w.write_all(text).is_ok(),
            Step::Stall => {
                let _ = r.read_to_end(got);
                false
            }
            Step::Close => false,
        }
    };
    if !say(script(b""), &mut r, &mut got) {
        return got;
    }
    loop {
        let start = got.len();
        match r.read_until(b'\n', &mut got) {
            Ok(0) | Err(_) => return got,
            Ok(_) => {}
        }
        let line = got[start..].to_vec();
        let cmd = line.strip_suffix(b"\r\n").unwrap_or(&line).to_vec();
        let step = script(&cmd);
        let go_data = cmd == b"DATA" && matches!(step, Step::Reply(t) if t.starts_with(b"3"));
        if !say(step, &mut r, &mut got) || cmd == b"QUIT" {
            return got;
        }
        if go_data {
            let data_start = got.len();
            loop {
                match r.read_until(b'\n', &mut got) {
                    Ok(0) | Err(_) => return got,
                    Ok(_) => {}
                }
                let d = &got[data_start..];
                if d == b".\r\n" || d.ends_with(b"\r\n.\r\n") {
                    break;
                }
            }
            if !say(script(b"."), &mut r, &mut got) {
                return got;
            }
        }
    }
}

/// A server that accepts everything.
pub fn happy(cmd: &[u8]) -> Step {
    match cmd {
        b"" => Step::Reply(b"220 sink.example ESMTP\r\n"),
        b"DATA" => Step::Reply(b"354 go ahead\r\n"),
        b"." => Step::Reply(b"250 ok 1234 qp 56\r\n"),
        b"QUIT" => Step::Reply(b"221 bye\r\n"),
        _ => Step::Reply(b"250 ok\r\n"),
    }
}

pub const MSG: &[u8] = b"Subject: hi\n\nbody\n";

pub fn args<'a>(rcpts: &[&'a [u8]]) -> Vec<&'a [u8]> {
    let mut v: Vec<&[u8]> = vec![b"remote.example", b"sender@me.example"];
    v.extend_from_slice(rcpts);
    v
}
