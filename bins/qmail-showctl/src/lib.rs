//! qmail-showctl: print the compiled-in settings, then one paragraph per control file in
//! control/ (known files in a fixed order, then every unknown file). The text is an
//! interface: administrators and scripts compare it, so every phrase below is exact.
#![forbid(unsafe_code)]

mod describe;

use std::io::{self, Write};
use std::path::Path;

use qmail_core::{auto, ids};

/// The numeric ids of the qmail users (alias, daemon, log, owner, passwd, queue, remote,
/// send) and groups (nofiles, qmail), in the order they are printed.
pub struct Ids {
    pub users: [u32; 8],
    pub groups: [u32; 2],
}

impl Ids {
    pub fn lookup() -> Result<Ids, ids::IdError> {
        let u = |n: &str| ids::uid(n).map(|u| u.as_raw());
        let g = |n: &str| ids::gid(n).map(|g| g.as_raw());
        Ok(Ids {
            users: [
                u(auto::USER_ALIAS)?,
                u(auto::USER_DAEMON)?,
                u(auto::USER_LOG)?,
                u(auto::USER_OWNER)?,
                u(auto::USER_PASSWD)?,
                u(auto::USER_QUEUE)?,
                u(auto::USER_REMOTE)?,
                u(auto::USER_SEND)?,
            ],
            groups: [g(auto::GROUP_NOFILES)?, g(auto::GROUP_QMAIL)?],
        })
    }
}

/// The whole program; the exit code.
pub fn run() -> u8 {
    let ids = match Ids::lookup() {
        Ok(i) => i,
        Err(e) => {
            let _ = writeln!(io::stderr().lock(), "qmail-showctl: fatal: {e}");
            return 111;
        }
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    header(&ids, &mut out);
    let code = run_in(Path::new(auto::QMAIL), &mut out);
    match out.flush() {
        Ok(()) => code,
        Err(_) => 111,
    }
}

fn join(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// The compiled-in settings.
pub fn header(ids: &Ids, out: &mut impl Write) {
    let _ = write!(
        out,
        "qmail home directory: {}.\n\
         user-ext delimiter: {}.\n\
         paternalism (in decimal): {}.\n\
         silent concurrency limit: {}.\n\
         subdirectory split: {}.\n\
         user ids: {}.\n\
         group ids: {}.\n",
        auto::QMAIL,
        auto::BREAK,
        auto::PATRN,
        auto::SPAWN,
        auto::SPLIT,
        join(&ids.users),
        join(&ids.groups),
    );
}

/// Everything after the header, for the qmail home `home`; the exit code.
pub fn run_in(home: &Path, out: &mut impl Write) -> u8 {
    match describe::control(home, out) {
        Ok(()) => 0,
        Err(oops) => {
            let _ = out.write_all(oops.as_bytes());
            111
        }
    }
}
