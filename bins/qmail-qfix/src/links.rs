//! The link structure of one message: which of its files may exist together. A pure
//! function of what is on disk, so every rule has a unit test.
//!
//! qmail-queue writes mess, then intd, then links todo; qmail-send's todo phase writes
//! info, local and remote, then has qmail-clean remove intd and todo; the done phase
//! removes bounce (after sending it), info, then has qmail-clean remove intd and mess.
//! Any state those steps pass through, interrupted anywhere, is fine: qmail-send finishes
//! it. Everything else is damage.
use qmail_core::queue::Dir;

/// The files one message has, and whether all of them are older than a live qmail-queue
/// can be (OSSIFIED).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub present: Vec<Dir>,
    pub old: bool,
}

impl Message {
    fn has(&self, d: Dir) -> bool {
        self.present.contains(&d)
    }
}

/// What is wrong with a message, and the repair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Damage {
    /// The message text is gone: nothing can be delivered. Repair: remove its other files.
    NoMess,
    /// An uncommitted message (no todo, no info) left by a qmail-queue that died.
    /// Repair: remove it.
    Uncommitted,
    /// Recipients or a bounce but no info: the sender is lost. Repair: an info file with
    /// the null sender, so qmail-send delivers it and sends any bounce to the postmaster.
    NoInfo,
    /// intd/ beside info/ without todo/: a leftover. Repair: remove the intd file.
    StaleIntd,
}

impl Damage {
    pub fn text(&self) -> &'static str {
        match self {
            Damage::NoMess => "has no mess file: its text is lost",
            Damage::Uncommitted => "was never committed (a qmail-queue died)",
            Damage::NoInfo => "has recipients but no info file: its sender is lost",
            Damage::StaleIntd => "has a stale intd file",
        }
    }

    /// The files of the message the repair removes.
    pub fn removes(&self, m: &Message) -> Vec<Dir> {
        match self {
            Damage::NoMess => m.present.clone(),
            Damage::Uncommitted => vec![Dir::Intd, Dir::Mess]
                .into_iter()
                .filter(|d| m.has(*d))
                .collect(),
            Damage::NoInfo => Vec::new(),
            Damage::StaleIntd => vec![Dir::Intd],
        }
    }
}

/// The damage of one message; `None` when qmail-send can carry on with it as it is. A
/// message that is not old may still be in a live qmail-queue's hands and is left alone
/// until it is.
pub fn judge(m: &Message) -> Option<Damage> {
    let todo = m.has(Dir::Todo);
    let info = m.has(Dir::Info);
    let chan = m.has(Dir::Local) || m.has(Dir::Remote) || m.has(Dir::Bounce);
    if !m.has(Dir::Mess) {
        if todo || info || chan {
            return Some(Damage::NoMess);
        }
        // intd alone: qmail-queue between its mess unlink and exit, or a leftover
        return (m.old && m.has(Dir::Intd)).then_some(Damage::Uncommitted);
    }
    if todo {
        return None;
    }
    if info {
        return m.has(Dir::Intd).then_some(Damage::StaleIntd);
    }
    if chan {
        return Some(Damage::NoInfo);
    }
    m.old.then_some(Damage::Uncommitted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Dir::*;

    fn msg(present: &[Dir], old: bool) -> Message {
        Message {
            present: present.to_vec(),
            old,
        }
    }

    #[test]
    fn every_state_qmail_passes_through_is_fine() {
        for (p, old) in [
            (&[Mess][..], false),
            (&[Mess, Intd], false),
            (&[Mess, Intd, Todo], true),
            (&[Mess, Intd, Todo, Info, Local], true),
            (&[Mess, Todo, Info, Remote], true),
            (&[Mess, Info, Local, Remote], true),
            (&[Mess, Info, Remote, Bounce], true),
            (&[Mess, Info], true),
            (&[Mess, Info, Bounce], true),
        ] {
            assert_eq!(judge(&msg(p, old)), None, "{p:?}");
        }
    }

    #[test]
    fn damage() {
        assert_eq!(judge(&msg(&[Todo, Intd], true)), Some(Damage::NoMess));
        assert_eq!(judge(&msg(&[Info, Local], false)), Some(Damage::NoMess));
        assert_eq!(judge(&msg(&[Bounce], true)), Some(Damage::NoMess));
        assert_eq!(judge(&msg(&[Intd], true)), Some(Damage::Uncommitted));
        assert_eq!(judge(&msg(&[Intd], false)), None);
        assert_eq!(judge(&msg(&[Mess], true)), Some(Damage::Uncommitted));
        assert_eq!(judge(&msg(&[Mess, Intd], true)), Some(Damage::Uncommitted));
        assert_eq!(judge(&msg(&[Mess, Local], false)), Some(Damage::NoInfo));
        assert_eq!(judge(&msg(&[Mess, Bounce], true)), Some(Damage::NoInfo));
        assert_eq!(
            judge(&msg(&[Mess, Info, Intd], true)),
            Some(Damage::StaleIntd)
        );
        let m = msg(&[Mess, Intd], true);
        assert_eq!(Damage::Uncommitted.removes(&m), [Intd, Mess]);
    }
}
