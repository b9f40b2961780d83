//! fd::take can be called twice on one number, and dropping what it returned never closes
//! a descriptor that something else owns. One test in its own binary: descriptor numbers
//! are process-wide, and another test thread would race for them.
#![allow(clippy::unwrap_used)]
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, IntoRawFd};

use qmail_sys::fd;

#[test]
fn take_twice_never_closes_another_owner() {
    // an unowned protocol descriptor, as a parent would leave it
    let n = File::open("/dev/null").unwrap().into_raw_fd();
    let a = fd::take(n).unwrap();
    let b = fd::take(n).unwrap();
    assert_ne!(a.as_raw_fd(), b.as_raw_fd());
    drop(a);
    // this file may get a's number (the lowest free one)
    let mut f = File::open("/proc/self/cmdline").unwrap();
    drop(b);
    let mut s = Vec::new();
    f.read_to_end(&mut s).unwrap();
    assert!(!s.is_empty(), "the file another owner holds still reads");
    assert!(fd::is_open(n), "the protocol descriptor itself stays open");
    // taking a descriptor a File owns gives a duplicate: the File keeps working
    let g = File::open("/dev/zero").unwrap();
    drop(fd::take(g.as_raw_fd()).unwrap());
    let mut z = [1u8; 4];
    (&g).read_exact(&mut z).unwrap();
    assert_eq!(z, [0; 4]);
    assert!(fd::take(-1).is_err());
    assert!(fd::take(1_000_000).is_err());
}
