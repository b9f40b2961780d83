//! Installing a sandbox: the project's own installer, run inside the namespace.
use crate::{bin_dir, src_dir, Sandbox};

pub fn install(sb: &Sandbox) {
    let setup = bin_dir().join("qmail-setup");
    assert!(
        setup.exists(),
        "{} is missing: build the workspace first",
        setup.display()
    );
    let bin = bin_dir();
    let src = src_dir();
    let r = sb.sh(&format!(
        "{} --home-only --bindir {} --srcdir {} >&2",
        setup.display(),
        bin.display(),
        src.display()
    ));
    assert_eq!(r.code, Some(0), "qmail-setup failed: {}", r.stderr_str());
}
