//! One test per row of qmail's address rules (qmail-send's rewriting, qmail-lspawn's
//! users/cdb, qmail-getpw's account names, qmail-local's `.qmail` search), against
//! databases laid out the way qmail-newrcpt writes them.
use std::collections::HashMap;

use qmail_core::constmap::ConstMap;

use super::*;

#[derive(Default)]
struct Fake {
    users: Option<HashMap<Vec<u8>, Vec<u8>>>,
    rcpt: HashMap<Vec<u8>, Vec<u8>>,
    broken: bool,
}

impl RcptDb for Fake {
    fn users(&self, key: &[u8]) -> Result<Option<Vec<u8>>, LookupError> {
        Ok(self.users.as_ref().and_then(|u| u.get(key).cloned()))
    }
    fn rcpt(&self, key: &[u8]) -> Result<Option<Vec<u8>>, LookupError> {
        if self.broken {
            return Err(LookupError);
        }
        Ok(self.rcpt.get(key).cloned())
    }
    fn has_users(&self) -> bool {
        self.users.is_some()
    }
}

impl Fake {
    fn account(mut self, name: &str, home: &str) -> Fake {
        self.rcpt
            .insert([b"p", name.as_bytes()].concat(), home.as_bytes().to_vec());
        self
    }
    fn alias(mut self, home: &str) -> Fake {
        self.rcpt.insert(b"a".to_vec(), home.as_bytes().to_vec());
        self
    }
    fn file(mut self, home: &str, name: &str) -> Fake {
        self.rcpt
            .insert(home_key(FILE, home.as_bytes(), name.as_bytes()), Vec::new());
        self
    }
    fn dir(mut self, home: &str, name: &str) -> Fake {
        self.rcpt
            .insert(home_key(DIR, home.as_bytes(), name.as_bytes()), Vec::new());
        self
    }
    fn unknown(mut self, home: &str) -> Fake {
        self.rcpt
            .insert(home_key(UNKNOWN, home.as_bytes(), b""), Vec::new());
        self
    }
    /// A users/assign line, compiled the way qmail-newu does it.
    fn assign(mut self, line: &str) -> Fake {
        let u = self.users.get_or_insert_with(HashMap::new);
        let wild = line.starts_with('+');
        let f: Vec<&str> = line[1..].split(':').collect();
        let mut key = b"!".to_vec();
        key.extend_from_slice(f[0].to_ascii_lowercase().as_bytes());
        if !wild {
            key.push(0);
        }
        let mut data = Vec::new();
        for x in &f[1..6] {
            data.extend_from_slice(x.as_bytes());
            data.push(0);
        }
        data.extend_from_slice(f[6].as_bytes());
        if !wild {
            data.push(0);
        }
        let chars = u.entry(Vec::new()).or_default();
        if wild {
            if let Some(&c) = f[0].as_bytes().last() {
                if !chars.contains(&c) {
                    chars.push(c);
                }
            }
        }
        u.insert(key, data);
        self
    }
    fn check(self) -> RcptCheck {
        let lines =
            |v: &[&str]| -> Vec<Vec<u8>> { v.iter().map(|l| l.as_bytes().to_vec()).collect() };
        RcptCheck {
            rewrite: Rewrite {
                envnoathost: b"e.example".to_vec(),
                percenthack: ConstMap::new(&lines(&["hack.example"]), false),
                locals: ConstMap::new(&lines(&["e.example", "localhost"]), false),
                vdoms: ConstMap::new(
                    &lines(&["virt.example:vu", "except.e2.example:", ".e2.example:wild"]),
                    true,
                ),
            },
            db: Box::new(self),
        }
    }
}

fn ok(c: &RcptCheck, a: &str) -> bool {
    c.deliverable(a.as_bytes()).expect("lookup")
}

fn base() -> Fake {
    Fake::default()
        .account("joe", "/home/joe")
        .account("mary-ann", "/home/mary")
        .alias("/var/qmail/alias")
        .file("/var/qmail/alias", ".qmail-postmaster")
        .file("/var/qmail/alias", ".qmail-mailer-daemon")
}

#[test]
fn remote_domain_is_not_judged() {
    let c = base().check();
    assert!(ok(&c, "nobody@remote.example"));
    // a virtualdomains exception is remote too
    assert!(ok(&c, "nobody@except.e2.example"));
    // percenthack that leads off-site
    assert!(ok(&c, "u%far.example@hack.example"));
}

#[test]
fn account_without_extension_always_delivers() {
    // no .qmail at all: qmail-local's default delivery
    let c = base().check();
    assert!(ok(&c, "joe@e.example"));
    assert!(ok(&c, "JOE@E.Example"));
    // no @: qmail-send adds envnoathost
    assert!(ok(&c, "joe"));
}

#[test]
fn extension_needs_its_dot_qmail_file() {
    let c = base().file("/home/joe", ".qmail-list").check();
    assert!(ok(&c, "joe-list@e.example"));
    assert!(ok(&c, "Joe-LIST@e.example"), "extension lowercased");
    assert!(!ok(&c, "joe-nosuch@e.example"));
    assert!(!ok(&c, "joe-@e.example"));
}

#[test]
fn dots_in_extension_become_colons() {
    let c = base().file("/home/joe", ".qmail-a:b").check();
    assert!(ok(&c, "joe-a.b@e.example"));
    assert!(ok(&c, "joe-a:b@e.example"));
    assert!(!ok(&c, "joe-a-b@e.example"));
}

#[test]
fn dash_default_files_match_at_dashes() {
    let c = base().file("/home/joe", ".qmail-list-default").check();
    assert!(ok(&c, "joe-list-x@e.example"));
    assert!(ok(&c, "joe-list-x-y@e.example"));
    assert!(ok(&c, "joe-list-@e.example"));
    assert!(ok(&c, "joe-list-default@e.example"));
    assert!(
        !ok(&c, "joe-list@e.example"),
        "no -default without the dash"
    );
    assert!(!ok(&c, "joe-listx@e.example"));
}

#[test]
fn dot_qmail_default_takes_every_extension() {
    let c = base().file("/home/joe", ".qmail-default").check();
    assert!(ok(&c, "joe-anything@e.example"));
    assert!(ok(&c, "joe-a-b-c@e.example"));
}

#[test]
fn owner_files_are_only_their_own_address() {
    let c = base().file("/home/joe", ".qmail-list-owner").check();
    assert!(ok(&c, "joe-list-owner@e.example"));
    assert!(!ok(&c, "joe-list@e.example"));
}

#[test]
fn extension_through_a_directory() {
    let c = base().dir("/home/joe", ".qmail-sub").check();
    assert!(ok(&c, "joe-sub/x@e.example"));
    assert!(!ok(&c, "joe-other/x@e.example"));
}

#[test]
fn longest_account_name_wins() {
    // mary-ann is an account; "mary-ann-x" is hers with extension x
    let c = base().file("/home/mary", ".qmail-x").check();
    assert!(ok(&c, "mary-ann@e.example"));
    assert!(ok(&c, "mary-ann-x@e.example"));
    assert!(!ok(&c, "mary-ann-y@e.example"));
    // "mary" alone is no account: the alias user
    assert!(!ok(&c, "mary@e.example"));
}

#[test]
fn alias_user_takes_unknown_names() {
    let c = base().check();
    assert!(ok(&c, "postmaster@e.example"));
    assert!(ok(&c, "Mailer-Daemon@e.example"));
    assert!(!ok(&c, "nosuchuser@e.example"));
    let c = base().file("/var/qmail/alias", ".qmail-default").check();
    assert!(
        ok(&c, "nosuchuser@e.example"),
        "~alias/.qmail-default catches all"
    );
}

#[test]
fn no_alias_user_is_a_retry_not_a_bounce() {
    let c = Fake::default().account("joe", "/home/joe").check();
    assert!(ok(&c, "nosuchuser@e.example"));
}

#[test]
fn unlisted_home_accepts_everything() {
    let c = base().unknown("/home/joe").check();
    assert!(ok(&c, "joe-whatever@e.example"));
}

#[test]
fn assign_exact_entries() {
    // =local:user:uid:gid:home:dash:ext:
    let c = base()
        .assign("=info:joe:1000:100:/home/joe:-:info:")
        .assign("=plain:joe:1000:100:/home/joe:::")
        .file("/home/joe", ".qmail-info")
        .check();
    assert!(ok(&c, "info@e.example"));
    assert!(ok(&c, "plain@e.example"), "no dash: default delivery");
    // users/cdb replaces qmail-getpw entirely only for matching names
    assert!(ok(&c, "joe@e.example"));
    let c = base()
        .assign("=info:joe:1000:100:/home/joe:-:info:")
        .check();
    assert!(!ok(&c, "info@e.example"), "its .qmail-info is missing");
    // an exact entry is exact: info-x is not it (and goes to the alias user)
    assert!(!ok(&c, "info-x@e.example"));
}

#[test]
fn assign_wildcard_entries() {
    // +local:user:uid:gid:home:dash:pre:  ext = pre + rest
    let c = base()
        .assign("+list-:joe:1000:100:/home/joe:-:lists-:")
        .file("/home/joe", ".qmail-lists-qmail")
        .file("/home/joe", ".qmail-lists-rust-default")
        .check();
    assert!(ok(&c, "list-qmail@e.example"));
    assert!(ok(&c, "LIST-Qmail@e.example"));
    assert!(ok(&c, "list-rust-help@e.example"));
    assert!(!ok(&c, "list-other@e.example"));
    // the catch-all wildcard "+" sends everything unmatched to one account
    let c = base()
        .assign("+:joe:1000:100:/home/joe:-::")
        .file("/home/joe", ".qmail-sales")
        .check();
    assert!(ok(&c, "sales@e.example"));
    assert!(
        !ok(&c, "postmaster@e.example"),
        "the alias user is not asked"
    );
}

#[test]
fn assign_wildcard_without_dash_delivers_all() {
    let c = base().assign("+vpop-:vpopmail:89:89:/home/vpop:::").check();
    assert!(ok(&c, "vpop-anything@e.example"));
}

#[test]
fn virtualdomains_prepend() {
    // virt.example:vu  ->  vu-local
    let c = base()
        .account("vu", "/home/vu")
        .file("/home/vu", ".qmail-info")
        .check();
    assert!(ok(&c, "info@virt.example"));
    assert!(!ok(&c, "nobody@virt.example"));
    // .e2.example:wild -> wild-local; "wild" is no account: alias's .qmail-wild-…
    let c = base()
        .file("/var/qmail/alias", ".qmail-wild-default")
        .check();
    assert!(ok(&c, "x@a.e2.example"));
}

#[test]
fn root_and_missing_accounts_are_aliases() {
    // qmail-newrcpt never writes uid 0 or homes not owned by the account: "root" is
    // the alias user's .qmail-root
    let c = base().check();
    assert!(!ok(&c, "root@e.example"));
    let c = base().file("/var/qmail/alias", ".qmail-root").check();
    assert!(ok(&c, "root@e.example"));
}

#[test]
fn broken_users_cdb_is_a_retry() {
    let mut f = base();
    f.users = Some(HashMap::new());
    let c = f.check();
    assert!(ok(&c, "nosuchuser@e.example"));
}

#[test]
fn read_error_is_an_error() {
    let mut f = base();
    f.broken = true;
    assert_eq!(f.check().deliverable(b"x@e.example"), Err(LookupError));
}
