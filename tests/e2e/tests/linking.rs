//! The linking policy of the Makefile (`make build`): every program is a static, non-PIE
//! executable except NSS_PROGRAMS, which resolve users and groups through the C library and
//! so must stay dynamically linked (the system's NSS modules load only into a dynamic glibc).
//! This test keeps the list true: a program that starts calling getpwnam and friends must be
//! added to it, or the static build would quietly stop seeing LDAP or sssd users. And it
//! checks the programs `make build` left in target/release, which `make setup` and `make
//! deb` install: the static ones linked against musl wherever musl can be built for (no
//! glibc start-up, whose CPUID probes cost most of a short program's exec on a virtual
//! machine), the NSS ones dynamic without libgcc_s.
#![forbid(unsafe_code)]
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use qmail_e2e::{bin_dir, src_dir};

/// Symbols only glibc's static start-up has (`__libc_start_main` calls them before main).
const GLIBC_START: &[&str] = &[
    "__libc_setup_tls",
    "_dl_non_dynamic_init",
    "_dl_relocate_static_pie",
];

/// musl's start-up (`__libc_start_main` -> `__init_libc`).
const MUSL_START: &str = "__init_libc";

/// The C library's functions that go through NSS. Not getpwuid_r: the standard library's
/// env::home_dir imports it, and qmail's programs look users and groups up by name.
const NSS_FUNCTIONS: &[&str] = &[
    "getpwnam",
    "getpwnam_r",
    "getpwent",
    "getgrnam",
    "getgrnam_r",
    "getgrgid",
    "getgrgid_r",
    "getgrent",
    "getgrouplist",
    "initgroups",
    "getaddrinfo",
    "gethostbyname",
    "gethostbyname_r",
    "getservbyname",
];

/// Static programs that may call getpwnam all the same: they look up only qmail's own
/// users, which qmail-setup creates in /etc/passwd, where a static C library finds them.
/// qmail-queue does so only when users/uids (qmail-setup's record) is missing.
const PASSWD_ONLY: &[(&str, &[&str])] = &[("qmail-queue", &["getpwnam", "getpwnam_r"])];

/// NSS_PROGRAMS from the Makefile (a `:=` line and its `\` continuations).
fn nss_programs() -> BTreeSet<String> {
    let make = fs::read_to_string(src_dir().join("Makefile")).expect("Makefile");
    let mut text = String::new();
    for l in make
        .lines()
        .skip_while(|l| !l.starts_with("NSS_PROGRAMS :="))
    {
        text.push_str(l.trim_end_matches('\\'));
        text.push(' ');
        if !l.ends_with('\\') {
            break;
        }
    }
    let list = text
        .strip_prefix("NSS_PROGRAMS :=")
        .expect("NSS_PROGRAMS in the Makefile");
    list.split_whitespace().map(str::to_string).collect()
}

fn programs() -> BTreeSet<String> {
    fs::read_dir(src_dir().join("bins"))
        .expect("bins/")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

fn is_dynamic(bin: &Path) -> bool {
    let out = Command::new("readelf")
        .arg("-lW")
        .arg(bin)
        .output()
        .expect("readelf (binutils)");
    assert!(out.status.success(), "readelf {}", bin.display());
    String::from_utf8_lossy(&out.stdout).contains("INTERP")
}

/// Is BIN position-independent (ELF type DYN, as cargo build links it) rather than a
/// fixed-address executable (EXEC, as make build links every program)?
fn is_pie(bin: &Path) -> bool {
    let out = Command::new("readelf")
        .arg("-hW")
        .arg(bin)
        .output()
        .expect("readelf (binutils)");
    assert!(out.status.success(), "readelf -h {}", bin.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim_start().starts_with("Type:") && l.contains("DYN"))
}

/// The shared libraries BIN names in its dynamic section (DT_NEEDED).
fn needed(bin: &Path) -> Vec<String> {
    let out = Command::new("readelf")
        .arg("-dW")
        .arg(bin)
        .output()
        .expect("readelf (binutils)");
    assert!(out.status.success(), "readelf -d {}", bin.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1))
        .map(|l| l.trim_end_matches(']').to_string())
        .collect()
}

/// The names `nm ARGS BIN` lists (version suffixes such as `@GLIBC_2.2.5` removed).
fn nm_names(bin: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new("nm")
        .args(args)
        .arg(bin)
        .output()
        .expect("nm (binutils)");
    assert!(
        out.status.success(),
        "nm {}: {}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next_back())
        .map(|s| s.split('@').next().unwrap_or(s).to_string())
        .collect()
}

/// The symbols of BIN's symbol table, defined or not.
fn symbols(bin: &Path) -> BTreeSet<String> {
    nm_names(bin, &[]).into_iter().collect()
}

/// The NSS functions BIN calls: its dynamic imports, or for a static binary the symbols
/// linked into it.
fn nss_calls(bin: &Path, dynamic: bool) -> Vec<String> {
    let args: &[&str] = if dynamic {
        &["-D", "--undefined-only"]
    } else {
        &[]
    };
    nm_names(bin, args)
        .into_iter()
        .filter(|s| NSS_FUNCTIONS.contains(&s.as_str()))
        .collect()
}

/// nss_calls, less what PASSWD_ONLY allows the program `p`.
fn nss_calls_beyond_passwd_only(p: &str, bin: &Path, dynamic: bool) -> Vec<String> {
    let mut calls = nss_calls(bin, dynamic);
    if let Some((_, allowed)) = PASSWD_ONLY.iter().find(|(q, _)| *q == p) {
        calls.retain(|c| !allowed.contains(&c.as_str()));
    }
    calls
}

#[test]
fn nss_programs_are_real_programs() {
    let programs = programs();
    for p in nss_programs() {
        assert!(
            programs.contains(&p),
            "NSS_PROGRAMS names {p}, which is not in bins/"
        );
    }
}

#[test]
fn every_program_calling_nss_is_linked_dynamically() {
    let nss = nss_programs();
    assert!(
        nss.contains("qmail-getpw"),
        "qmail-getpw resolves users: {nss:?}"
    );
    for p in programs() {
        let bin = bin_dir().join(&p);
        assert!(
            bin.exists(),
            "{} not built (make test builds every program)",
            bin.display()
        );
        let dynamic = is_dynamic(&bin);
        let calls = nss_calls_beyond_passwd_only(&p, &bin, dynamic);
        if !calls.is_empty() {
            assert!(
                nss.contains(&p),
                "{p} calls {calls:?}: add it to NSS_PROGRAMS in the Makefile"
            );
        }
        // A binary from make build: the NSS programs dynamic, every other one static.
        if !dynamic {
            assert!(
                !nss.contains(&p),
                "{p} resolves users but is linked statically"
            );
        } else if !is_pie(&bin) {
            // ... and, non-PIE as make build links them, without libgcc_s.so.1, whose
            // constructor costs CPUID probes at every exec (the Makefile links the unwinder
            // statically). cargo build's PIE programs are not checked.
            let libs = needed(&bin);
            assert!(
                !libs.iter().any(|l| l.starts_with("libgcc_s")),
                "{p} needs {libs:?}: make build links the unwinder statically"
            );
        }
    }
}

/// Where `make build` leaves the programs: the release directory of the target directory
/// this test was built in (or QMAIL_BIN_DIR, when that is one).
fn make_build_dir() -> std::path::PathBuf {
    let bins = bin_dir();
    if bins.join("static-libc").exists() {
        return bins;
    }
    bins.parent().expect("target directory").join("release")
}

/// This host's musl target (x86_64-unknown-linux-gnu: x86_64-unknown-linux-musl), when
/// Rust has its standard library, and musl-gcc is there: what make build must link with.
fn musl_target() -> Option<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = Command::new(&rustc).arg("-vV").output().expect("rustc -vV");
    let host = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host");
    let (arch, abi) = host.split_once("-linux-gnu")?;
    let musl = format!("{arch}-linux-musl{abi}");
    let out = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", &musl])
        .output()
        .expect("rustc --print target-libdir");
    let libdir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let has_std = out.status.success()
        && fs::read_dir(&libdir).is_ok_and(|d| {
            d.filter_map(Result::ok).any(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.starts_with("libstd-") && n.ends_with(".rlib")
            })
        });
    let musl_gcc = Command::new("sh")
        .args(["-c", "command -v musl-gcc"])
        .output()
        .expect("sh")
        .status
        .success();
    // tests/packages installs musl-tools: on x86_64 make build must be able to use musl.
    if arch == "x86_64" {
        assert!(
            musl_gcc,
            "no musl-gcc: apt-get install musl-tools (tests/packages)"
        );
    }
    (has_std && musl_gcc).then_some(musl)
}

#[test]
fn make_build_links_as_the_makefile_says() {
    let rel = make_build_dir();
    let stamp = rel.join("static-libc");
    let libc = fs::read_to_string(&stamp)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}: no make build output there (make test runs make build first)",
                stamp.display()
            )
        })
        .trim()
        .to_string();
    let musl = musl_target();
    assert_eq!(
        libc,
        musl.clone().unwrap_or_else(|| "glibc".to_string()),
        "make build linked the static programs with {libc}: musl can be built for here \
         ({musl:?}); see make build's output"
    );
    let nss = nss_programs();
    for p in programs() {
        let bin = rel.join(&p);
        assert!(bin.exists(), "{} not built by make build", bin.display());
        let dynamic = is_dynamic(&bin);
        assert!(
            !is_pie(&bin),
            "{p} is position-independent: make build links every program non-PIE \
             (built by plain cargo since? run make build)"
        );
        let libs = needed(&bin);
        if nss.contains(&p) {
            assert!(dynamic, "{p} resolves users: NSS needs it dynamic (glibc)");
            assert!(
                !libs.iter().any(|l| l.starts_with("libgcc_s")),
                "{p} needs {libs:?}: make build links the unwinder statically"
            );
            continue;
        }
        assert!(
            !dynamic && libs.is_empty(),
            "{p} is not static: interpreter {dynamic}, needs {libs:?}"
        );
        let calls = nss_calls_beyond_passwd_only(&p, &bin, false);
        assert!(
            calls.is_empty(),
            "{p} calls {calls:?}: add it to NSS_PROGRAMS in the Makefile"
        );
        let syms = symbols(&bin);
        let glibc: Vec<&&str> = GLIBC_START.iter().filter(|s| syms.contains(**s)).collect();
        if musl.is_some() {
            assert!(
                glibc.is_empty() && syms.contains(MUSL_START),
                "{p} is not a musl program: glibc start-up {glibc:?}, {MUSL_START} {}",
                syms.contains(MUSL_START)
            );
        } else {
            assert!(
                !glibc.is_empty(),
                "{p}: no glibc start-up symbols (stripped?)"
            );
        }
    }
}
