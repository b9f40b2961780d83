//! The Received line qmail-queue puts on top of every message: who invoked it, and when.
use std::path::Path;

use qmail_core::uids::{self, Uids};
use qmail_core::{auto, date822};

/// `Received: (qmail <pid> invoked <who>); <date>\n`. Who is alias, the network (qmaild)
/// or a bounce (qmails) by the uids qmail-setup recorded in users/uids; any other caller,
/// or any caller when that file is missing or untrusted, is named by number.
pub fn line(pid: u32, uid: u32, when: i64) -> Vec<u8> {
    let known = uids::read_trusted(&Path::new(auto::QMAIL).join(uids::PATH)).unwrap_or_default();
    format!(
        "Received: (qmail {pid} invoked {}); {}\n",
        who(&known, uid),
        date822::date822(when)
    )
    .into_bytes()
}

fn who(known: &Uids, uid: u32) -> String {
    if known.alias == Some(uid) {
        "by alias".to_string()
    } else if known.qmaild == Some(uid) {
        "from network".to_string()
    } else if known.qmails == Some(uid) {
        "for bounce".to_string()
    } else {
        format!("by uid {uid}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_named_as_qmail_does() {
        let k = Uids {
            alias: Some(10),
            qmaild: Some(11),
            qmails: Some(12),
        };
        assert_eq!(who(&k, 10), "by alias");
        assert_eq!(who(&k, 11), "from network");
        assert_eq!(who(&k, 12), "for bounce");
        assert_eq!(who(&k, 0), "by uid 0");
        assert_eq!(who(&Uids::default(), 11), "by uid 11");
    }
}
