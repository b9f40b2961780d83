//! qmail-setup [--bindir DIR] [--srcdir DIR] [--home-only] [--postmaster ADDRESS]: create
//! the qmail users and groups, install the qmail-hier table under $DESTDIR + the qmail home
//! with its owners and modes, record the uids qmail-queue names (users/uids), configure
//! control/ for this host if it has no control/me,
//! create the postmaster aliases, install the SMTP relay rules, make the sendmail links,
//! give /etc/skel a Maildir, tell man-db about man/, and check the result.
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use qmail_core::fatal::Fatal;
use qmail_hier::{Apply, Check, Entry, HierError, Ids, Install};

use crate::{config, hostname, links, manpath, pages, postmaster, smtp, uids, users};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "usage: qmail-setup [ --bindir DIR ] [ --srcdir DIR ] [ --home-only ] [ --postmaster ADDRESS ]"
    )]
    Usage,
    #[error("must be run as root (or with DESTDIR set, to build a package image)")]
    NotRoot,
    #[error("unable to find my own directory: {}", qmail_core::errstr::errstr(.0))]
    Exe(io::Error),
    #[error("{0}")]
    Account(String),
    #[error("{0}")]
    Hier(#[from] HierError),
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("unable to find the host name; run config-fast yourself")]
    Hostname,
    #[error("{0} problems, see above")]
    Failed(usize),
}

impl From<SetupError> for Fatal {
    /// `qmail-setup: usage: …` (100) or `qmail-setup: fatal: …` (111).
    fn from(e: SetupError) -> Fatal {
        match e {
            SetupError::Usage => Fatal::new(100, format!("qmail-setup: {e}")),
            _ => Fatal::die(111, "qmail-setup", e.to_string()),
        }
    }
}

/// What to install, from where, and how.
pub struct Options {
    /// The qmail home, with any DESTDIR in front.
    pub root: PathBuf,
    /// Where the built programs are.
    pub bindir: PathBuf,
    /// The source tree whose man/ holds the pages; None installs no pages.
    pub srcdir: Option<PathBuf>,
    /// DESTDIR was given: build a package image; create no users, chown nothing and write
    /// no control files.
    pub packaging: bool,
    /// Where mail to postmaster, root and mailer-daemon goes when their aliases are made:
    /// this address, or else ~alias/Maildir/.
    pub postmaster: Option<String>,
}

struct Args {
    bindir: Option<PathBuf>,
    srcdir: Option<PathBuf>,
    home_only: bool,
    postmaster: Option<String>,
}

fn parse(args: &[OsString]) -> Result<Args, SetupError> {
    let mut a = Args {
        bindir: None,
        srcdir: None,
        home_only: false,
        postmaster: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let slot = match arg.to_str() {
            Some("--bindir") => &mut a.bindir,
            Some("--srcdir") => &mut a.srcdir,
            Some("--home-only") => {
                a.home_only = true;
                continue;
            }
            Some("--postmaster") => {
                let admin = it
                    .next()
                    .and_then(|v| v.to_str())
                    .ok_or(SetupError::Usage)?;
                if !postmaster::valid_admin(admin) {
                    return Err(SetupError::Usage);
                }
                a.postmaster = Some(admin.to_string());
                continue;
            }
            _ => return Err(SetupError::Usage),
        };
        *slot = Some(PathBuf::from(it.next().ok_or(SetupError::Usage)?));
    }
    Ok(a)
}

pub fn run() -> Result<(), SetupError> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let Args {
        bindir,
        srcdir,
        home_only,
        postmaster,
    } = parse(&args)?;
    let bindir = match bindir {
        Some(b) => b,
        None => {
            let exe = std::env::current_exe().map_err(SetupError::Exe)?;
            exe.parent().map(Path::to_path_buf).unwrap_or_default()
        }
    };
    let destdir = std::env::var_os("DESTDIR").filter(|d| !d.is_empty());
    let opts = Options {
        root: qmail_hier::root_with(destdir.as_deref()),
        bindir,
        srcdir,
        packaging: destdir.is_some(),
        postmaster,
    };
    // Packagers make the links in their package's own way.
    let system = (destdir.is_none() && !home_only).then(|| PathBuf::from("/"));
    if !opts.packaging && !nix::unistd::geteuid().is_root() {
        return Err(SetupError::NotRoot);
    }
    let problems = setup_system(
        &opts,
        system.as_deref(),
        &mut io::stdout().lock(),
        &mut io::stderr().lock(),
    )?;
    match problems {
        0 => Ok(()),
        n => Err(SetupError::Failed(n)),
    }
}

/// Install and check, touching nothing outside the home; the number of problems reported
/// on `err`.
pub fn setup(
    opts: &Options,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<usize, SetupError> {
    setup_system(opts, None, out, err)
}

/// [`setup`], and also make the sendmail links and tell man-db about man/ under `system`
/// (the root of the system: "/" for a real installation).
pub fn setup_system(
    opts: &Options,
    system: Option<&Path>,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<usize, SetupError> {
    let ids = if opts.packaging {
        None
    } else {
        users::ensure(out)?;
        Some(Ids::lookup()?)
    };
    let mut entries = qmail_hier::hier();
    if let Some(src) = &opts.srcdir {
        entries.extend(pages::pages(src));
    }
    let mut problems = 0usize;
    let mut inst = Install::new(&opts.root, &opts.bindir, ids);
    if let Some(src) = &opts.srcdir {
        inst = inst.with_srcdir(src);
    }
    for e in &entries {
        if let Err(e) = inst.apply(e) {
            let _ = writeln!(err, "qmail-setup: warning: {e}");
            problems = problems.saturating_add(1);
        }
    }
    if !inst.skipped.is_empty() {
        let _ = writeln!(
            out,
            "qmail-setup: note: not built yet, not installed: {}",
            inst.skipped.join(" ")
        );
    }
    // Remember what was installed, so that instcheck notices a program that disappears.
    let mut list: BTreeSet<String> = qmail_hier::read_installed(&opts.root)?
        .into_iter()
        .collect();
    list.extend(inst.installed.iter().cloned());
    list.insert(qmail_hier::INSTALLED.to_string());
    let text: String = list.iter().map(|l| format!("{l}\n")).collect();
    inst.put_page(qmail_hier::INSTALLED, text.as_bytes())?;

    // qmail-queue reads the caller names' uids from here rather than through NSS.
    if !opts.packaging {
        uids::record(&mut inst)?;
    }

    if !opts.packaging && !opts.root.join("control/me").exists() {
        let fqdn = hostname::fqdn().ok_or(SetupError::Hostname)?;
        config::configure(&opts.root, &fqdn, out)?;
        // Mail to user@localhost (qmail-smtpd takes the name as it comes) is local too.
        config::add_local(&opts.root, "localhost", out)?;
    }
    if !opts.packaging {
        problems = problems.saturating_add(postmaster::ensure(
            &opts.root,
            opts.postmaster.as_deref(),
            ids,
            out,
            err,
        ));
        problems = problems.saturating_add(smtp::rules(&opts.root, ids, out, err));
    }
    if let Some(system) = system {
        problems = problems.saturating_add(links::make(system, &opts.root, out, err));
        problems = problems.saturating_add(postmaster::skel(system, out, err));
        problems = problems.saturating_add(manpath::add(system, &opts.root, out, err));
    }

    problems = problems.saturating_add(check(&opts.root, ids, err)?);
    if !opts.packaging {
        for w in postmaster::problems(&opts.root)
            .into_iter()
            .chain(uids::problems(&opts.root))
        {
            let _ = writeln!(err, "qmail-setup: warning: {w}");
            problems = problems.saturating_add(1);
        }
    }
    Ok(problems)
}

/// Run the Check interpreter over everything installed; the number of warnings printed.
pub fn check(root: &Path, ids: Option<Ids>, err: &mut impl Write) -> Result<usize, SetupError> {
    let (entries, installed) = qmail_hier::entries(root)?;
    let mut c = Check::new(root, ids, &installed);
    for e in &entries {
        c.apply(e)?;
    }
    for w in &c.warnings {
        let _ = writeln!(err, "qmail-setup: warning: {w}");
    }
    Ok(c.warnings.len())
}

/// The names linked to bin/sendmail, relative to the system root.
pub const LINKS: &[&str] = links::LINKS;

/// The pages this source tree would install (for tests and instcheck's documentation).
pub fn pages(srcdir: &Path) -> Vec<Entry> {
    pages::pages(srcdir)
}
