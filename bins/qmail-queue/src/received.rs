//! The Received line qmail-queue puts on top of every message: who invoked it, and when.
use std::path::Path;

use qmail_core::uids;
use qmail_core::{auto, date822, ids};

/// `Received: (qmail <pid> invoked <who>); <date>\n`. Who is alias, the network (qmaild)
/// or a bounce (qmails) by the uids qmail-setup recorded in users/uids, or, without a
/// trusted record, by the uids /etc/passwd gives them; anyone else is named by number.
pub fn line(pid: u32, uid: u32, when: i64) -> Vec<u8> {
    let who = match uids::read_trusted(&Path::new(auto::QMAIL).join(uids::PATH)) {
        Some(known) => who(uid, |name| known.get(name) == Some(uid)),
        // qmail-queue is a static program: the C library's lookup reads /etc/passwd (and
        // asks nscd), where qmail-setup creates the qmail users, but loads no NSS module.
        None => who(uid, |name| ids::uid(name).is_ok_and(|u| u.as_raw() == uid)),
    };
    format!(
        "Received: (qmail {pid} invoked {who}); {}\n",
        date822::date822(when)
    )
    .into_bytes()
}

/// `is(user)`: is the caller that user? Asked in qmail's order, and only until it says yes.
fn who(uid: u32, mut is: impl FnMut(&str) -> bool) -> String {
    if is(auto::USER_ALIAS) {
        "by alias".to_string()
    } else if is(auto::USER_DAEMON) {
        "from network".to_string()
    } else if is(auto::USER_SEND) {
        "for bounce".to_string()
    } else {
        format!("by uid {uid}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qmail_core::uids::Uids;

    #[test]
    fn callers_named_as_qmail_does() {
        let k = Uids {
            alias: Some(10),
            qmaild: Some(11),
            qmails: Some(12),
        };
        let by = |uid| who(uid, |n| k.get(n) == Some(uid));
        assert_eq!(by(10), "by alias");
        assert_eq!(by(11), "from network");
        assert_eq!(by(12), "for bounce");
        assert_eq!(by(0), "by uid 0");
        let mut asked = Vec::new();
        assert_eq!(
            who(7, |n| {
                asked.push(n.to_string());
                n == auto::USER_DAEMON
            }),
            "from network"
        );
        assert_eq!(asked, [auto::USER_ALIAS, auto::USER_DAEMON]);
    }
}
