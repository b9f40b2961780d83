//! qmail-dkimkey DOMAIN SELECTOR [rsa [BITS] | ed25519]: make a private key for
//! qmail-dkimsign in QMAILHOME/dkim/keys/SELECTOR._domainkey.DOMAIN (owner qmailk, mode
//! 0400, nobody else may read it) and print the DNS TXT record to publish. Ed25519 keys
//! come from ring; RSA keys from `openssl genpkey`. An existing key is never replaced:
//! a new key takes a new selector. See qmail-dkimkey(8).
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

use nix::unistd::geteuid;
use qmail_core::fatal::Fatal;
use qmail_core::{auto, ids};
use qmail_dkim_core::proto::{name_ok, KEYS};
use qmail_dkim_core::Key;

const PROG: &str = "qmail-dkimkey";
const USAGE: &str = "usage: qmail-dkimkey domain selector [ rsa [ bits ] | ed25519 ]";

fn die(text: impl AsRef<[u8]>) -> Fatal {
    Fatal::die(111, PROG, text)
}

/// An RSA key from `openssl genpkey`, as PKCS#8 PEM on its standard output.
fn rsa(bits: u32) -> Result<Vec<u8>, Fatal> {
    let out = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt"])
        .arg(format!("rsa_keygen_bits:{bits}"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| {
            Fatal::sys(
                111,
                PROG,
                "unable to run openssl (RSA keys come from openssl genpkey): ",
                &e,
            )
        })?;
    if !out.status.success() {
        return Err(die(format!("openssl genpkey failed: {}", out.status)));
    }
    Ok(out.stdout)
}

/// The TXT record's text in quoted strings of at most 255 bytes (RFC 1035 §3.3.14).
fn quoted(txt: &str) -> String {
    txt.as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn run() -> Result<(), Fatal> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (domain, selector, kind, bits) = match args.as_slice() {
        [d, s] => (d, s, "rsa", None),
        [d, s, k] => (d, s, k.as_str(), None),
        [d, s, k, b] if k == "rsa" => (d, s, "rsa", Some(b)),
        _ => return Err(Fatal::new(100, USAGE)),
    };
    let domain = domain.to_ascii_lowercase();
    let selector = selector.to_ascii_lowercase();
    if !name_ok(domain.as_bytes()) || !name_ok(selector.as_bytes()) {
        return Err(Fatal::die(
            100,
            PROG,
            "domain and selector must be DNS names",
        ));
    }
    let bits: u32 = match bits.map(|b| b.parse()) {
        None => 2048,
        Some(Ok(b)) if (2048..=8192).contains(&b) => b,
        Some(_) => return Err(Fatal::die(100, PROG, "RSA keys are 2048 to 8192 bits")),
    };
    let pem = match kind {
        "rsa" => rsa(bits)?,
        "ed25519" => qmail_dkim_core::key::generate_ed25519()
            .map_err(|e| die(format!("unable to make a key: {e}")))?,
        _ => return Err(Fatal::new(100, USAGE)),
    };
    let key = Key::from_pem(&pem).map_err(|e| die(format!("the new key is unusable: {e}")))?;
    if !geteuid().is_root() {
        return Err(die("must be run as root (the key belongs to qmailk)"));
    }
    let uid = ids::qmailk().map_err(|e| die(e.to_string()))?;
    let gid = ids::gid_nofiles().map_err(|e| die(e.to_string()))?;
    let home = Path::new(auto::QMAIL);
    let dir = home.join(KEYS);
    if let Err(e) = std::fs::create_dir(&dir) {
        if e.kind() != io::ErrorKind::AlreadyExists {
            return Err(Fatal::sys(
                111,
                PROG,
                &format!("unable to make {}: ", dir.display()),
                &e,
            ));
        }
    }
    nix::unistd::chown(&dir, Some(uid), Some(gid))
        .map_err(|e| die(format!("unable to chown {}: {e}", dir.display())))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
        Fatal::sys(
            111,
            PROG,
            &format!("unable to chmod {}: ", dir.display()),
            &e,
        )
    })?;
    let name = format!("{selector}._domainkey.{domain}");
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.{}", std::process::id()));
    let write = || -> io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o400)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&tmp)?;
        std::os::unix::fs::fchown(&f, Some(uid.as_raw()), Some(gid.as_raw()))?;
        f.write_all(&pem)?;
        f.sync_all()?;
        // Never over an existing key: a link fails when the name is taken.
        std::fs::hard_link(&tmp, &path)?;
        Ok(())
    };
    let r = write();
    let _ = std::fs::remove_file(&tmp);
    if let Err(e) = r {
        if e.kind() == io::ErrorKind::AlreadyExists {
            return Err(die(format!(
                "{} exists: a new key takes a new selector",
                path.display()
            )));
        }
        return Err(Fatal::sys(
            111,
            PROG,
            &format!("unable to write {}: ", path.display()),
            &e,
        ));
    }
    let record = format!("{name}. IN TXT {}\n", quoted(&key.txt_record()));
    let mut out = io::stdout().lock();
    out.write_all(record.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Fatal::sys(111, PROG, "unable to write output: ", &e))?;
    let _ = writeln!(
        io::stderr().lock(),
        "{PROG}: wrote {} ({}); publish the TXT record above, then add the line {domain}:{selector} to control/dkimdomains",
        path.display(),
        key.algorithm()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn strings() {
        assert_eq!(quoted("ab"), "\"ab\"");
        let long = "x".repeat(300);
        assert_eq!(
            quoted(&long),
            format!("\"{}\" \"{}\"", "x".repeat(255), "x".repeat(45))
        );
    }
}
