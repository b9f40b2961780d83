//! config-fast FQDN: write control/me, defaultdomain and plusdomain for FQDN and append it
//! to control/locals and control/rcpthosts (qmail's config without the DNS lookups).
//!
//! A host name without a dot (`vm`, the default of many virtual machines and containers)
//! gets a configuration that delivers its mail: qmail-inject completes every dotless
//! domain with `.defaultdomain`, so qmail's values (`vm` everywhere) turn `user` and
//! `user@vm` into `user@vm.vm`, which is not local and bounces. Here defaultdomain and
//! plusdomain are `localdomain`, and the names mail to this host then carries (`vm`,
//! `vm.localdomain`, `localhost`, `localhost.localdomain`) are all in locals.

use std::fs::{OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use qmail_core::fatal::Fatal;

/// Mode of the control files written here.
const MODE: u32 = 0o644;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("usage: config-fast fqdn")]
    Usage,
    #[error("unable to write {path}: {err}", path = .0.display(), err = qmail_core::errstr::errstr(.1))]
    Write(PathBuf, io::Error),
}

impl From<ConfigError> for Fatal {
    /// qmail's shape: `config-fast: usage: …` (100) or `config-fast: fatal: …` (111).
    fn from(e: ConfigError) -> Fatal {
        match e {
            ConfigError::Usage => Fatal::new(100, format!("config-fast: {e}")),
            ConfigError::Write(..) => Fatal::die(111, "config-fast", e.to_string()),
        }
    }
}

pub fn run() -> Result<(), ConfigError> {
    let mut args = std::env::args_os().skip(1);
    let fqdn = match (args.next(), args.next()) {
        (Some(f), None) if !f.is_empty() => f,
        _ => return Err(ConfigError::Usage),
    };
    let fqdn = fqdn.to_str().ok_or(ConfigError::Usage)?;
    if fqdn.contains('\n') {
        return Err(ConfigError::Usage);
    }
    let root = qmail_hier::root_with(std::env::var_os("DESTDIR").as_deref());
    configure(&root, fqdn, &mut io::stdout().lock())
}

/// FQDN minus its first label when it has at least two dots, else FQDN.
pub fn defaultdomain(fqdn: &str) -> &str {
    match fqdn.split_once('.') {
        Some((_, rest)) if rest.contains('.') => rest,
        _ => fqdn,
    }
}

/// The last two labels of FQDN (all of it when it has fewer).
pub fn plusdomain(fqdn: &str) -> &str {
    match fqdn.rmatch_indices('.').nth(1) {
        Some((i, _)) => fqdn.get(i + 1..).unwrap_or(fqdn),
        None => fqdn,
    }
}

/// The domain a dotless host's names are completed with.
pub const LOCALDOMAIN: &str = "localdomain";

/// The control files for one host name.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    pub me: String,
    pub defaultdomain: String,
    pub plusdomain: String,
    /// Appended to control/locals when missing there.
    pub locals: Vec<String>,
    /// Appended to control/rcpthosts when missing there.
    pub rcpthosts: Vec<String>,
}

/// qmail's values for a name with a dot; for a dotless one, values under which `user`,
/// `user@HOST` and `user@localhost` (all completed with `.localdomain` by qmail-inject)
/// are local.
pub fn plan(host: &str) -> Plan {
    if host.contains('.') {
        return Plan {
            me: host.to_string(),
            defaultdomain: defaultdomain(host).to_string(),
            plusdomain: plusdomain(host).to_string(),
            locals: vec![host.to_string()],
            rcpthosts: vec![host.to_string()],
        };
    }
    let full = format!("{host}.{LOCALDOMAIN}");
    let mut locals = vec![host.to_string(), full.clone()];
    for l in ["localhost".to_string(), format!("localhost.{LOCALDOMAIN}")] {
        if !locals.contains(&l) {
            locals.push(l);
        }
    }
    Plan {
        me: host.to_string(),
        defaultdomain: LOCALDOMAIN.to_string(),
        plusdomain: LOCALDOMAIN.to_string(),
        locals,
        rcpthosts: vec![host.to_string(), full],
    }
}

/// Write the files under `home/control`, saying what is done on `out`.
pub fn configure(home: &Path, fqdn: &str, out: &mut impl Write) -> Result<(), ConfigError> {
    let control = home.join("control");
    let p = plan(fqdn);
    if fqdn.contains('.') {
        let _ = writeln!(out, "Your fully qualified host name is {fqdn}.");
    } else {
        let _ = writeln!(
            out,
            "Your host name {fqdn} has no dot: qmail-inject completes dotless names with \
             .{LOCALDOMAIN}, so {} are all local here.",
            p.locals.join(", ")
        );
        let _ = writeln!(
            out,
            "Give this host a fully qualified name (hostname -f) and run config-fast with it \
             before it mails the Internet."
        );
    }
    put(out, &control, "me", &p.me, false)?;
    put(out, &control, "defaultdomain", &p.defaultdomain, false)?;
    put(out, &control, "plusdomain", &p.plusdomain, false)?;
    for l in &p.locals {
        put(out, &control, "locals", l, true)?;
    }
    for r in &p.rcpthosts {
        put(out, &control, "rcpthosts", r, true)?;
    }
    let _ = writeln!(
        out,
        "Now qmail will refuse to accept SMTP messages except to {}.",
        p.rcpthosts.join(", ")
    );
    let _ = writeln!(
        out,
        "Make sure to change rcpthosts if you add hosts to locals or virtualdomains!"
    );
    Ok(())
}

/// Add `value` to `home/control/locals` unless it is there.
pub fn add_local(home: &Path, value: &str, out: &mut impl Write) -> Result<(), ConfigError> {
    put(out, &home.join("control"), "locals", value, true)
}

/// Whether the control file at `path` already has `value` as a line.
fn has_line(path: &Path, value: &str) -> Result<bool, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t.lines().any(|l| l == value)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(ConfigError::Write(path.to_path_buf(), e)),
    }
}

/// Write `value` as control/`name` (or append it when missing there, for `append`).
fn put(
    out: &mut impl Write,
    dir: &Path,
    name: &str,
    value: &str,
    append: bool,
) -> Result<(), ConfigError> {
    let _ = writeln!(out, "Putting {value} into control/{name}...");
    let path = dir.join(name);
    if append && has_line(&path, value)? {
        return Ok(());
    }
    let err = |e| ConfigError::Write(path.clone(), e);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .append(append)
        .truncate(!append)
        .mode(MODE)
        // control/ belongs to root; a symlink there is refused rather than followed
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(err)?;
    f.write_all(format!("{value}\n").as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)?;
    f.set_permissions(Permissions::from_mode(MODE)).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(defaultdomain("mail.example.com"), "example.com");
        assert_eq!(defaultdomain("a.b.c.d"), "b.c.d");
        assert_eq!(defaultdomain("example.com"), "example.com");
        assert_eq!(defaultdomain("vm"), "vm");
        assert_eq!(plusdomain("mail.example.com"), "example.com");
        assert_eq!(plusdomain("a.b.c.d"), "c.d");
        assert_eq!(plusdomain("example.com"), "example.com");
        assert_eq!(plusdomain("vm"), "vm");
    }

    #[test]
    fn plans() {
        let p = plan("mail.example.com");
        assert_eq!(p.me, "mail.example.com");
        assert_eq!(p.defaultdomain, "example.com");
        assert_eq!(p.locals, ["mail.example.com"]);
        assert_eq!(p.rcpthosts, ["mail.example.com"]);
        let p = plan("vm");
        assert_eq!(p.me, "vm");
        assert_eq!(p.defaultdomain, "localdomain");
        assert_eq!(p.plusdomain, "localdomain");
        assert_eq!(
            p.locals,
            ["vm", "vm.localdomain", "localhost", "localhost.localdomain"]
        );
        assert_eq!(p.rcpthosts, ["vm", "vm.localdomain"]);
        let p = plan("localhost");
        assert_eq!(p.locals, ["localhost", "localhost.localdomain"]);
    }
}
