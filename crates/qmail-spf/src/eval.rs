//! check_host() (RFC 7208 §4): the record of a domain, its directives in order, include
//! and redirect by recursion, with the limits of §4.6.4: at most 10 terms that query DNS,
//! at most 2 of them void, at most 10 MX hosts per mx and 10 PTR names per ptr.
use std::net::IpAddr;

use crate::dns::{Dns, DnsFail};
use crate::macros::{expand, shorten, Context, MacroString};
use crate::record::{is_spf, Mechanism, Qualifier, Record};

pub const LOOKUPS_MAX: u32 = 10;
pub const VOIDS_MAX: u32 = 2;
pub const MX_MAX: usize = 10;
pub const PTR_MAX: usize = 10;
/// Explanations longer than this are cut (they end up in an SMTP reply).
pub const EXPLANATION_MAX: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpfResult {
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}

impl SpfResult {
    /// The name RFC 7208 §2.6 and RFC 8601 use.
    pub fn name(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub result: SpfResult,
    /// For fail: the domain's explanation (exp=), when it has a usable one.
    pub explanation: Option<Vec<u8>>,
    /// Why, in a few words (for the Authentication-Results comment and the log).
    pub reason: String,
}

/// The question: is `ip` allowed to send mail from `sender` (`local@domain`)?
pub struct Query<'a> {
    pub ip: IpAddr,
    pub sender: &'a [u8],
    pub helo: &'a [u8],
    /// The receiving host, for the r macro in explanations.
    pub receiver: &'a [u8],
    pub now: u64,
}

enum Stop {
    Temp(String),
    Perm(String),
}

/// Is this a name check_host can start from (§4.3): labels of 1 to 63 bytes, at least
/// two of them, one trailing dot allowed, at most 253 bytes.
pub fn domain_ok(d: &[u8]) -> bool {
    let d = d.strip_suffix(b".").unwrap_or(d);
    d.len() <= 253
        && d.split(|&b| b == b'.').count() >= 2
        && d.split(|&b| b == b'.')
            .all(|l| !l.is_empty() && l.len() <= 63)
}

/// An IPv4-mapped IPv6 client is an IPv4 client.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX
                .checked_shl(32u32.saturating_sub(u32::from(len)))
                .unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX
                .checked_shl(128u32.saturating_sub(u32::from(len)))
                .unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn is_sub(name: &[u8], domain: &[u8]) -> bool {
    let n = name.strip_suffix(b".").unwrap_or(name).to_ascii_lowercase();
    let d = domain
        .strip_suffix(b".")
        .unwrap_or(domain)
        .to_ascii_lowercase();
    n == d
        || n.strip_suffix(d.as_slice())
            .is_some_and(|h| h.last() == Some(&b'.'))
}

struct Eval<'a> {
    dns: &'a mut dyn Dns,
    ip: IpAddr,
    sender: Vec<u8>,
    local: Vec<u8>,
    sender_domain: Vec<u8>,
    helo: Vec<u8>,
    receiver: Vec<u8>,
    now: u64,
    lookups: u32,
    voids: u32,
}

/// check_host(ip, domain of the sender, sender); the caller picks the identity.
pub fn check_host(dns: &mut dyn Dns, q: &Query<'_>, domain: &[u8]) -> Outcome {
    let (local, sender_domain) = match q.sender.iter().rposition(|&b| b == b'@') {
        Some(at) => (
            q.sender.get(..at).unwrap_or_default(),
            q.sender.get(at.saturating_add(1)..).unwrap_or_default(),
        ),
        None => (&b""[..], q.sender),
    };
    let local = if local.is_empty() {
        &b"postmaster"[..]
    } else {
        local
    };
    let mut e = Eval {
        dns,
        ip: canonical(q.ip),
        sender: [local, b"@", sender_domain].concat(),
        local: local.to_vec(),
        sender_domain: sender_domain.to_vec(),
        helo: q.helo.to_vec(),
        receiver: q.receiver.to_vec(),
        now: q.now,
        lookups: 0,
        voids: 0,
    };
    match e.host(domain, 0) {
        Ok(o) => o,
        Err(Stop::Temp(r)) => Outcome {
            result: SpfResult::TempError,
            explanation: None,
            reason: r,
        },
        Err(Stop::Perm(r)) => Outcome {
            result: SpfResult::PermError,
            explanation: None,
            reason: r,
        },
    }
}

/// The identity qmail-smtpd has: the envelope sender, or, for `<>`, `postmaster@HELO`
/// (§2.4). Returns the outcome and the identity checked.
pub fn check_sender(dns: &mut dyn Dns, q: &Query<'_>) -> Outcome {
    if q.sender.is_empty() {
        let sender = [&b"postmaster@"[..], q.helo].concat();
        let helo_q = Query {
            sender: &sender,
            ..*q
        };
        return check_host(dns, &helo_q, q.helo);
    }
    let domain = match q.sender.iter().rposition(|&b| b == b'@') {
        Some(at) => q.sender.get(at.saturating_add(1)..).unwrap_or_default(),
        None => q.sender,
    };
    check_host(dns, q, domain)
}

fn text(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

impl Eval<'_> {
    fn host(&mut self, domain: &[u8], depth: u32) -> Result<Outcome, Stop> {
        let none = |why: &str| {
            Ok(Outcome {
                result: SpfResult::None,
                explanation: None,
                reason: why.to_string(),
            })
        };
        if !domain_ok(domain) {
            return none("no valid domain");
        }
        let records = match self.dns.txt(domain) {
            Ok(r) => r,
            Err(DnsFail::Void) => return none("no SPF record"),
            Err(DnsFail::Temp) => {
                return Err(Stop::Temp(format!("DNS failure for {}", text(domain))))
            }
        };
        let spf: Vec<&Vec<u8>> = records.iter().filter(|r| is_spf(r)).collect();
        let rec = match spf.as_slice() {
            [] => return none("no SPF record"),
            [one] => Record::parse(one)
                .map_err(|e| Stop::Perm(format!("{} in the record of {}", e, text(domain))))?,
            _ => {
                return Err(Stop::Perm(format!(
                    "{} has more than one SPF record",
                    text(domain)
                )))
            }
        };
        for d in &rec.directives {
            if d.mechanism.queries_dns() {
                self.count()?;
            }
            if self.matches(&d.mechanism, domain, depth)? {
                let result = match d.qualifier {
                    Qualifier::Pass => SpfResult::Pass,
                    Qualifier::Fail => SpfResult::Fail,
                    Qualifier::SoftFail => SpfResult::SoftFail,
                    Qualifier::Neutral => SpfResult::Neutral,
                };
                let explanation = match (&rec.exp, result) {
                    (Some(exp), SpfResult::Fail) => self.explain(exp, domain),
                    _ => None,
                };
                return Ok(Outcome {
                    result,
                    explanation,
                    reason: format!(
                        "{} matched in the record of {}",
                        mech_name(&d.mechanism),
                        text(domain)
                    ),
                });
            }
        }
        if let Some(r) = &rec.redirect {
            self.count()?;
            let target = self.target(Some(r), domain);
            let o = self.recurse(&target, depth)?;
            if o.result == SpfResult::None {
                return Err(Stop::Perm(format!(
                    "redirect to {} without SPF record",
                    text(&target)
                )));
            }
            return Ok(o);
        }
        Ok(Outcome {
            result: SpfResult::Neutral,
            explanation: None,
            reason: format!("nothing matched in the record of {}", text(domain)),
        })
    }

    fn recurse(&mut self, target: &[u8], depth: u32) -> Result<Outcome, Stop> {
        // Each level costs a lookup, so the lookup limit ends any loop first; this is a
        // second fence for the stack.
        if depth >= LOOKUPS_MAX.saturating_add(1) {
            return Err(Stop::Perm(
                "include or redirect nested too deep".to_string(),
            ));
        }
        self.host(target, depth.saturating_add(1))
    }

    fn count(&mut self) -> Result<(), Stop> {
        self.lookups = self.lookups.saturating_add(1);
        if self.lookups > LOOKUPS_MAX {
            return Err(Stop::Perm("more than 10 DNS lookups".to_string()));
        }
        Ok(())
    }

    fn void(&mut self) -> Result<(), Stop> {
        self.voids = self.voids.saturating_add(1);
        if self.voids > VOIDS_MAX {
            return Err(Stop::Perm("more than 2 void DNS lookups".to_string()));
        }
        Ok(())
    }

    fn context<'b>(&'b self, domain: &'b [u8]) -> Context<'b> {
        Context {
            sender: &self.sender,
            local: &self.local,
            sender_domain: &self.sender_domain,
            domain,
            ip: self.ip,
            helo: &self.helo,
            receiver: &self.receiver,
            now: self.now,
        }
    }

    /// A domain-spec expanded (or the current domain when there is none).
    fn target(&mut self, spec: Option<&MacroString>, domain: &[u8]) -> Vec<u8> {
        let Some(spec) = spec else {
            return domain.to_vec();
        };
        let p = if spec
            .0
            .iter()
            .any(|p| matches!(p, crate::macros::Piece::Macro { letter: b'p', .. }))
        {
            self.validated_name(domain)
        } else {
            Vec::new()
        };
        let out = expand(spec, &self.context(domain), &mut || p.clone());
        shorten(&out).to_vec()
    }

    /// Addresses of `name` of the client's family; Void and Temp as DNS said.
    fn addresses(&mut self, name: &[u8]) -> Result<Vec<IpAddr>, DnsFail> {
        match self.ip {
            IpAddr::V4(_) => Ok(self.dns.a(name)?.into_iter().map(IpAddr::V4).collect()),
            IpAddr::V6(_) => Ok(self.dns.aaaa(name)?.into_iter().map(IpAddr::V6).collect()),
        }
    }

    /// The client's names whose addresses include the client (§5.5), at most 10.
    fn validated(&mut self) -> Vec<Vec<u8>> {
        let Ok(names) = self.dns.ptr(self.ip) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for n in names.into_iter().take(PTR_MAX) {
            if let Ok(addrs) = self.addresses(&n) {
                if addrs.iter().any(|a| canonical(*a) == self.ip) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// %{p} (§7.3): a validated name in the domain if there is one, else any, else
    /// `unknown`.
    fn validated_name(&mut self, domain: &[u8]) -> Vec<u8> {
        let names = self.validated();
        names
            .iter()
            .find(|n| is_sub(n, domain))
            .or(names.first())
            .map(|n| n.strip_suffix(b".").unwrap_or(n).to_vec())
            .unwrap_or_else(|| b"unknown".to_vec())
    }

    fn matches(&mut self, m: &Mechanism, domain: &[u8], depth: u32) -> Result<bool, Stop> {
        let temp = |name: &[u8]| Stop::Temp(format!("DNS failure for {}", text(name)));
        match m {
            Mechanism::All => Ok(true),
            Mechanism::Ip4(n, len) => Ok(in_net(self.ip, IpAddr::V4(*n), *len)),
            Mechanism::Ip6(n, len) => Ok(in_net(self.ip, IpAddr::V6(*n), *len)),
            Mechanism::Include(spec) => {
                let target = self.target(Some(spec), domain);
                let o = self.recurse(&target, depth)?;
                match o.result {
                    SpfResult::Pass => Ok(true),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Ok(false),
                    SpfResult::TempError => Err(Stop::Temp(o.reason)),
                    SpfResult::PermError => Err(Stop::Perm(o.reason)),
                    SpfResult::None => Err(Stop::Perm(format!(
                        "include of {} without SPF record",
                        text(&target)
                    ))),
                }
            }
            Mechanism::A(spec, v4, v6) => {
                let target = self.target(spec.as_ref(), domain);
                let len = if self.ip.is_ipv4() { *v4 } else { *v6 };
                match self.addresses(&target) {
                    Ok(a) if a.is_empty() => self.void().map(|_| false),
                    Ok(a) => Ok(a.iter().any(|n| in_net(self.ip, *n, len))),
                    Err(DnsFail::Void) => self.void().map(|_| false),
                    Err(DnsFail::Temp) => Err(temp(&target)),
                }
            }
            Mechanism::Mx(spec, v4, v6) => {
                let target = self.target(spec.as_ref(), domain);
                let len = if self.ip.is_ipv4() { *v4 } else { *v6 };
                let hosts = match self.dns.mx(&target) {
                    Ok(h) => h,
                    Err(DnsFail::Void) => return self.void().map(|_| false),
                    Err(DnsFail::Temp) => return Err(temp(&target)),
                };
                if hosts.is_empty() {
                    return self.void().map(|_| false);
                }
                if hosts.len() > MX_MAX {
                    return Err(Stop::Perm(format!(
                        "{} has more than 10 MX records",
                        text(&target)
                    )));
                }
                for h in hosts {
                    match self.addresses(&h) {
                        Ok(a) => {
                            if a.iter().any(|n| in_net(self.ip, *n, len)) {
                                return Ok(true);
                            }
                        }
                        Err(DnsFail::Void) => {}
                        Err(DnsFail::Temp) => return Err(temp(&h)),
                    }
                }
                Ok(false)
            }
            Mechanism::Ptr(spec) => {
                let target = self.target(spec.as_ref(), domain);
                Ok(self.validated().iter().any(|n| is_sub(n, &target)))
            }
            Mechanism::Exists(spec) => {
                let target = self.target(Some(spec), domain);
                match self.dns.a(&target) {
                    Ok(a) if a.is_empty() => self.void().map(|_| false),
                    Ok(_) => Ok(true),
                    Err(DnsFail::Void) => self.void().map(|_| false),
                    Err(DnsFail::Temp) => Err(temp(&target)),
                }
            }
        }
    }

    /// The explanation of a fail (§6.2); None whenever anything is wrong with it.
    fn explain(&mut self, exp: &MacroString, domain: &[u8]) -> Option<Vec<u8>> {
        let target = self.target(Some(exp), domain);
        if !domain_ok(&target) {
            return None;
        }
        let records = self.dns.txt(&target).ok()?;
        let [one] = records.as_slice() else {
            return None;
        };
        let m = MacroString::parse(one, true).ok()?;
        let p = if m
            .0
            .iter()
            .any(|p| matches!(p, crate::macros::Piece::Macro { letter: b'p', .. }))
        {
            self.validated_name(domain)
        } else {
            Vec::new()
        };
        let mut out = expand(&m, &self.context(domain), &mut || p.clone());
        if !out.iter().all(|&b| (0x20..=0x7e).contains(&b)) {
            return None;
        }
        out.truncate(EXPLANATION_MAX);
        Some(out)
    }
}

fn mech_name(m: &Mechanism) -> &'static str {
    match m {
        Mechanism::All => "all",
        Mechanism::Include(_) => "include",
        Mechanism::A(..) => "a",
        Mechanism::Mx(..) => "mx",
        Mechanism::Ptr(_) => "ptr",
        Mechanism::Ip4(..) => "ip4",
        Mechanism::Ip6(..) => "ip6",
        Mechanism::Exists(_) => "exists",
    }
}
