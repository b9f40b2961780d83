//! users/uids (qmail_core::uids): qmail-setup records there the uids of alias, qmaild and
//! qmails as the system's user database (NSS) gives them, and instcheck warns when the
//! record is missing, untrusted or no longer what the system says.
use std::path::Path;

use qmail_core::ids;
use qmail_core::uids::{self, Uids};
use qmail_hier::{HierError, Install};

/// The uids the system gives the three users now.
pub fn system() -> Result<Uids, HierError> {
    Ok(Uids {
        alias: Some(ids::alias()?.as_raw()),
        qmaild: Some(ids::qmaild()?.as_raw()),
        qmails: Some(ids::qmails()?.as_raw()),
    })
}

/// Write the record (root, group qmail, mode 0644) unless it already says this.
pub fn record(inst: &mut Install) -> Result<(), HierError> {
    inst.put_page(uids::PATH, &system()?.format())
}

/// One line per problem with the record under `root`, as qmail-queue would see it.
pub fn problems(root: &Path) -> Vec<String> {
    let path = root.join(uids::PATH);
    let fix = "qmail-queue looks alias, qmaild and qmails up in /etc/passwd instead (qmail-setup rewrites it)";
    if !path.exists() {
        return vec![format!("{} does not exist: {fix}", path.display())];
    }
    let Some(recorded) = uids::read_trusted(&path) else {
        return vec![format!(
            "{} is damaged, not a file, not owned by root or writable by others: {fix}",
            path.display()
        )];
    };
    let fix = "qmail-queue names its callers by the recorded uids (qmail-setup rewrites it)";
    match system() {
        Ok(now) if now == recorded => Vec::new(),
        Ok(now) => vec![format!(
            "{} says {} but the system says {}: {fix}",
            path.display(),
            one_line(&recorded),
            one_line(&now)
        )],
        Err(e) => vec![e.to_string()],
    }
}

fn one_line(u: &Uids) -> String {
    String::from_utf8_lossy(&u.format())
        .trim_end()
        .replace('\n', " ")
}
