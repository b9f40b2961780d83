//! Generates `auto.rs` from the first lines of `conf/conf-*` (qmail's auto_*.c idea), so the
//! home directory, split, spawn limit and user names are fixed at build time and never taken
//! from the environment at run time.
// A build script may stop the build: panics and cargo: lines on stdout are its interface.
#![allow(
    clippy::panic,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]
use std::fs;
use std::path::{Path, PathBuf};

fn first_lines(dir: &Path, name: &str, n: usize) -> Vec<String> {
    let path = dir.join(name);
    println!("cargo:rerun-if-changed={}", path.display());
    let text = fs::read_to_string(&path).unwrap_or_default();
    text.lines().take(n).map(|l| l.trim().to_string()).collect()
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let conf = manifest.join("../../conf");
    let one = |name: &str, default: &str| {
        first_lines(&conf, name, 1)
            .into_iter()
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| default.to_string())
    };
    let qmail = one("conf-qmail", "/var/qmail");
    let split: u32 = one("conf-split", "23").parse().unwrap_or(23);
    let spawn: u32 = one("conf-spawn", "120").parse().unwrap_or(120);
    assert!(split >= 1, "conf-split must be at least 1");
    assert!((1..=255).contains(&spawn), "conf-spawn must be 1..255");
    let patrn = u32::from_str_radix(&one("conf-patrn", "002"), 8).unwrap_or(2);
    let brk = one("conf-break", "-");
    let users = first_lines(&conf, "conf-users", 10);
    let groups = first_lines(&conf, "conf-groups", 2);
    let defaults_u = [
        "alias", "qmaild", "qmaill", "root", "qmailp", "qmailq", "qmailr", "qmails", "qmailt",
        "qmailk",
    ];
    let defaults_g = ["qmail", "nofiles"];
    let u = |i: usize| {
        users
            .get(i)
            .filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or(defaults_u[i].into())
    };
    let g = |i: usize| {
        groups
            .get(i)
            .filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or(defaults_g[i].into())
    };
    let out = format!(
        "/// conf-qmail: the qmail home directory.\npub const QMAIL: &str = {qmail:?};\n\
         /// conf-split: subdirectories of mess/, info/, local/, remote/.\npub const SPLIT: u32 = {split};\n\
         /// conf-spawn: the silent concurrency limit.\npub const SPAWN: u32 = {spawn};\n\
         /// conf-patrn: mode bits forbidden on ~ and ~/.qmail files.\npub const PATRN: u32 = {patrn:#o};\n\
         /// conf-break: the user-extension delimiter.\npub const BREAK: &str = {brk:?};\n\
         pub const USER_ALIAS: &str = {:?};\npub const USER_DAEMON: &str = {:?};\n\
         pub const USER_LOG: &str = {:?};\npub const USER_OWNER: &str = {:?};\n\
         pub const USER_PASSWD: &str = {:?};\npub const USER_QUEUE: &str = {:?};\n\
         pub const USER_REMOTE: &str = {:?};\npub const USER_SEND: &str = {:?};\n\
         pub const USER_TLS: &str = {:?};\npub const USER_DKIM: &str = {:?};\n\
         pub const GROUP_QMAIL: &str = {:?};\npub const GROUP_NOFILES: &str = {:?};\n",
        u(0), u(1), u(2), u(3), u(4), u(5), u(6), u(7), u(8), u(9), g(0), g(1)
    );
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("auto.rs");
    if let Err(e) = fs::write(&dest, out) {
        panic!("unable to write {}: {e}", dest.display());
    }
}
