//! config-fast FQDN: write control/me, defaultdomain and plusdomain for FQDN and append it
//! to control/locals and control/rcpthosts (qmail's config without the DNS lookups).
#![forbid(unsafe_code)]

use std::fs::{OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of the control files written here.
const MODE: u32 = 0o644;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("usage: config-fast fqdn")]
    Usage,
    #[error("unable to write {path}: {err}", path = .0.display(), err = qmail_core::errstr::errstr(.1))]
    Write(PathBuf, io::Error),
}

impl ConfigError {
    /// Print the error in qmail's shape and give the exit code.
    pub fn report(&self) -> u8 {
        let kind = if matches!(self, ConfigError::Usage) {
            ""
        } else {
            "fatal: "
        };
        let _ = writeln!(io::stderr().lock(), "config-fast: {kind}{self}");
        match self {
            ConfigError::Usage => 100,
            ConfigError::Write(..) => 111,
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

/// Write the files under `home/control`, saying what is done on `out`.
pub fn configure(home: &Path, fqdn: &str, out: &mut impl Write) -> Result<(), ConfigError> {
    let control = home.join("control");
    let _ = writeln!(out, "Your fully qualified host name is {fqdn}.");
    put(out, &control, "me", fqdn, false)?;
    put(out, &control, "defaultdomain", defaultdomain(fqdn), false)?;
    put(out, &control, "plusdomain", plusdomain(fqdn), false)?;
    put(out, &control, "locals", fqdn, true)?;
    put(out, &control, "rcpthosts", fqdn, true)?;
    let _ = writeln!(
        out,
        "Now qmail will refuse to accept SMTP messages except to {fqdn}."
    );
    let _ = writeln!(
        out,
        "Make sure to change rcpthosts if you add hosts to locals or virtualdomains!"
    );
    Ok(())
}

fn put(
    out: &mut impl Write,
    dir: &Path,
    name: &str,
    value: &str,
    append: bool,
) -> Result<(), ConfigError> {
    let _ = writeln!(out, "Putting {value} into control/{name}...");
    let path = dir.join(name);
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
}
