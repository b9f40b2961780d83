//! instcheck: stat everything the installer put under the qmail home (honouring DESTDIR)
//! and print `instcheck: warning: PATH has wrong owner|group|permissions|type` or
//! `... does not exist` for each difference from the qmail-hier table; on a live tree also
//! one warning when mail to postmaster, root or mailer-daemon has nowhere to go, and one
//! when users/uids is missing or no longer what the system says.
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::Path;

use qmail_core::fatal::Fatal;
use qmail_hier::{Apply, Check, HierError, Ids};

#[derive(Debug, thiserror::Error)]
pub enum InstcheckError {
    #[error("usage: instcheck")]
    Usage,
    #[error("{0}")]
    Hier(#[from] HierError),
}

impl From<InstcheckError> for Fatal {
    /// `instcheck: usage: instcheck` (100) or `instcheck: fatal: …` (111).
    fn from(e: InstcheckError) -> Fatal {
        match e {
            InstcheckError::Usage => Fatal::new(100, format!("instcheck: {e}")),
            InstcheckError::Hier(_) => Fatal::die(111, "instcheck", e.to_string()),
        }
    }
}

/// The number of warnings printed.
pub fn run() -> Result<usize, InstcheckError> {
    if std::env::args_os().nth(1).is_some() {
        return Err(InstcheckError::Usage);
    }
    let destdir = std::env::var_os("DESTDIR").filter(|d| !d.is_empty());
    let root = qmail_hier::root_with(destdir.as_deref());
    // A DESTDIR image belongs to whoever built it: compare only modes and types there.
    let ids = match destdir {
        Some(_) => None,
        None => Some(Ids::lookup()?),
    };
    let mut err = io::stderr().lock();
    let mut n = check(&root, ids, &mut err)?;
    if ids.is_some() {
        for w in qmail_install::postmaster::problems(&root)
            .into_iter()
            .chain(qmail_install::uids::problems(&root))
        {
            let _ = writeln!(err, "instcheck: warning: {w}");
            n = n.saturating_add(1);
        }
    }
    Ok(n)
}

/// Check the tree at `root`, writing one warning line per problem to `out`.
pub fn check(root: &Path, ids: Option<Ids>, out: &mut impl Write) -> Result<usize, InstcheckError> {
    let (entries, installed) = qmail_hier::entries(root)?;
    let mut c = Check::new(root, ids, &installed);
    for e in &entries {
        c.apply(e)?;
    }
    for w in &c.warnings {
        let _ = writeln!(out, "instcheck: warning: {w}");
    }
    Ok(c.warnings.len())
}
