//! The Received line qmail-queue puts on top of every message: who invoked it, and when.
use qmail_core::{date822, ids};

/// `Received: (qmail <pid> invoked <who>); <date>\n`
pub fn line(pid: u32, uid: u32, when: i64) -> Vec<u8> {
    let is =
        |u: Result<nix::unistd::Uid, ids::IdError>| u.map(|u| u.as_raw() == uid).unwrap_or(false);
    let who = if is(ids::alias()) {
        "by alias".to_string()
    } else if is(ids::qmaild()) {
        "from network".to_string()
    } else if is(ids::qmails()) {
        "for bounce".to_string()
    } else {
        format!("by uid {uid}")
    };
    format!(
        "Received: (qmail {pid} invoked {who}); {}\n",
        date822::date822(when)
    )
    .into_bytes()
}
