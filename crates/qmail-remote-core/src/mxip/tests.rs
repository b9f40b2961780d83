use super::*;
use std::collections::HashMap;

type MxAnswer = Result<Vec<(u16, Vec<u8>)>, DnsFail>;

#[derive(Default)]
struct Fake {
    mx: HashMap<&'static str, MxAnswer>,
    a: HashMap<&'static str, Result<Vec<Ipv4Addr>, DnsFail>>,
    aaaa: HashMap<&'static str, Result<Vec<std::net::Ipv6Addr>, DnsFail>>,
    asked: Vec<String>,
}

impl Dns for Fake {
    fn mx(&mut self, host: &[u8]) -> Result<Vec<(u16, Vec<u8>)>, DnsFail> {
        let h = String::from_utf8_lossy(host).into_owned();
        self.asked.push(format!("MX {h}"));
        self.mx
            .get(h.as_str())
            .cloned()
            .unwrap_or(Err(DnsFail::Hard))
    }
    fn ip4(&mut self, host: &[u8]) -> Result<Vec<Ipv4Addr>, DnsFail> {
        let h = String::from_utf8_lossy(host).into_owned();
        self.asked.push(format!("A {h}"));
        self.a
            .get(h.as_str())
            .cloned()
            .unwrap_or(Err(DnsFail::Hard))
    }
    fn ip6(&mut self, host: &[u8]) -> Result<Vec<std::net::Ipv6Addr>, DnsFail> {
        let h = String::from_utf8_lossy(host).into_owned();
        match self.aaaa.get(h.as_str()) {
            Some(r) => {
                self.asked.push(format!("AAAA {h}"));
                r.clone()
            }
            // Hosts the test gives no AAAA answer behave as with IPv6 off.
            None => Ok(Vec::new()),
        }
    }
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn ipa(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}

fn mxs(list: &[(u16, &str)]) -> MxAnswer {
    Ok(list
        .iter()
        .map(|(p, n)| (*p, n.as_bytes().to_vec()))
        .collect())
}

#[test]
fn literals() {
    assert_eq!(literal(b"192.0.2.1"), Some(ipa("192.0.2.1")));
    assert_eq!(literal(b"[10.1.2.3]"), Some(ipa("10.1.2.3")));
    for bad in [
        &b"1.2.3"[..],
        b"1.2.3.4.",
        b"1.2.3.256",
        b"[1.2.3.4",
        b"1.2.3.4]",
        b"a.b.c.d",
        b"1..2.3",
        b"",
        b"0001.2.3.4",
    ] {
        assert_eq!(literal(bad), None, "{:?}", String::from_utf8_lossy(bad));
    }
    let mut f = Fake::default();
    let got = mxip(&mut f, b"[127.0.0.1]", &mut Lcg(1)).unwrap();
    assert_eq!(
        got,
        vec![IpPref {
            ip: ipa("127.0.0.1"),
            pref: 0
        }]
    );
    assert!(f.asked.is_empty());
}

#[test]
fn mx_order_and_failures() {
    let mut f = Fake::default();
    f.mx.insert(
        "example.org",
        mxs(&[
            (20, "mx2"),
            (10, "mx1"),
            (30, "soft"),
            (5, "gone"),
            (40, "1.2.3.4"),
        ]),
    );
    f.a.insert("mx1", Ok(vec![ip("192.0.2.1"), ip("192.0.2.2")]));
    f.a.insert("mx2", Ok(vec![ip("192.0.2.3")]));
    f.a.insert("soft", Err(DnsFail::Soft));
    let got = mxip(&mut f, b"example.org", &mut Lcg(7)).unwrap();
    assert_eq!(
        got,
        vec![
            IpPref {
                ip: ipa("192.0.2.1"),
                pref: 10
            },
            IpPref {
                ip: ipa("192.0.2.2"),
                pref: 10
            },
            IpPref {
                ip: ipa("192.0.2.3"),
                pref: 20
            },
            IpPref {
                ip: ipa("1.2.3.4"),
                pref: 40
            },
        ]
    );
    // Only soft failures and nothing found: soft. Only hard ones: empty.
    let mut f = Fake::default();
    f.mx.insert("s.example", mxs(&[(10, "soft"), (20, "gone")]));
    f.a.insert("soft", Err(DnsFail::Soft));
    assert_eq!(mxip(&mut f, b"s.example", &mut Lcg(1)), Err(DnsFail::Soft));
    f.mx.insert("h.example", mxs(&[(10, "gone")]));
    assert_eq!(mxip(&mut f, b"h.example", &mut Lcg(1)), Ok(vec![]));
}

#[test]
fn no_mx_falls_back_to_a() {
    let mut f = Fake::default();
    f.mx.insert("cname-only.example", Ok(vec![]));
    f.a.insert("cname-only.example", Ok(vec![ip("192.0.2.9")]));
    f.a.insert("nomx.example", Ok(vec![ip("192.0.2.8")]));
    assert_eq!(
        mxip(&mut f, b"cname-only.example", &mut Lcg(1)).unwrap(),
        vec![IpPref {
            ip: ipa("192.0.2.9"),
            pref: 0
        }]
    );
    assert_eq!(
        mxip(&mut f, b"nomx.example", &mut Lcg(1)).unwrap(),
        vec![IpPref {
            ip: ipa("192.0.2.8"),
            pref: 0
        }]
    );
    assert_eq!(
        mxip(&mut f, b"nowhere.example", &mut Lcg(1)),
        Err(DnsFail::Hard)
    );
    f.mx.insert("t.example", Err(DnsFail::Soft));
    assert_eq!(mxip(&mut f, b"t.example", &mut Lcg(1)), Err(DnsFail::Soft));
}

#[test]
fn equal_preferences_are_shuffled() {
    let mut firsts = HashMap::new();
    for seed in 0..3000u32 {
        let mut f = Fake::default();
        f.mx.insert(
            "e.example",
            mxs(&[(10, "a"), (10, "b"), (10, "c"), (5, "best")]),
        );
        f.a.insert("a", Ok(vec![ip("10.0.0.1")]));
        f.a.insert("b", Ok(vec![ip("10.0.0.2")]));
        f.a.insert("c", Ok(vec![ip("10.0.0.3")]));
        f.a.insert("best", Ok(vec![ip("10.0.0.9")]));
        let got = mxip(
            &mut f,
            b"e.example",
            &mut Lcg::seed(1_700_000_000 + u64::from(seed), 4242),
        )
        .unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].ip, ip("10.0.0.9"));
        *firsts.entry(got[1].ip).or_insert(0u32) += 1;
    }
    // Each of the three equal MXes comes first about a third of the time.
    assert_eq!(firsts.len(), 3);
    for (_, n) in firsts {
        assert!((700..1300).contains(&n), "{n}");
    }
}

#[test]
fn prefme_cuts_off() {
    let list = [
        IpPref {
            ip: ipa("192.0.2.1"),
            pref: 10,
        },
        IpPref {
            ip: ipa("127.0.0.1"),
            pref: 20,
        },
        IpPref {
            ip: ipa("192.0.2.3"),
            pref: 30,
        },
    ];
    let me = |a: std::net::IpAddr| a.is_loopback();
    assert_eq!(prefme(&list, me), 20);
    assert_eq!(prefme(&list[2..], me), PREFME_NONE);
}

#[test]
fn ipv6_literals_and_records() {
    assert_eq!(literal(b"[IPv6:2001:db8::1]"), Some(ipa("2001:db8::1")));
    assert_eq!(literal(b"[ipv6:::1]"), Some(ipa("::1")));
    for bad in [
        &b"[IPv6:2001:db8::1"[..],
        b"IPv6:2001:db8::1",
        b"[IPv6:]",
        b"[IPv6:2001:db8::g]",
        b"[IPv6:1.2.3.4]",
        b"[IPv4:1.2.3.4]",
        b"[2001:db8::1]",
    ] {
        assert_eq!(literal(bad), None, "{:?}", String::from_utf8_lossy(bad));
    }
    let six = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap();
    let mut f = Fake::default();
    f.mx.insert(
        "dual.test",
        mxs(&[(10, "mx.dual.test"), (20, "v6only.test")]),
    );
    f.aaaa.insert("mx.dual.test", Ok(vec![six("fd00::3")]));
    f.a.insert("mx.dual.test", Ok(vec![ip("192.0.2.3")]));
    f.aaaa.insert("v6only.test", Ok(vec![six("fd00::4")]));
    f.a.insert("v6only.test", Err(DnsFail::Hard));
    let got = mxip(&mut f, b"dual.test", &mut Lcg(1)).unwrap();
    // Each exchanger's IPv6 addresses first, then its IPv4 ones; preferences kept.
    assert_eq!(
        got,
        vec![
            IpPref {
                ip: ipa("fd00::3"),
                pref: 10
            },
            IpPref {
                ip: ipa("192.0.2.3"),
                pref: 10
            },
            IpPref {
                ip: ipa("fd00::4"),
                pref: 20
            },
        ]
    );
    // One family failing softly does not hide the other; both failing is soft if either was.
    let mut f = Fake::default();
    f.aaaa.insert("h.test", Err(DnsFail::Soft));
    f.a.insert("h.test", Ok(vec![ip("192.0.2.9")]));
    assert_eq!(
        ip_of(&mut f, "h.test"),
        Ok(vec![IpPref {
            ip: ipa("192.0.2.9"),
            pref: 0
        }])
    );
    f.a.insert("h.test", Err(DnsFail::Hard));
    assert_eq!(ip_of(&mut f, "h.test"), Err(DnsFail::Soft));
    f.aaaa.insert("h.test", Err(DnsFail::Hard));
    assert_eq!(ip_of(&mut f, "h.test"), Err(DnsFail::Hard));
    f.aaaa.insert("h.test", Ok(vec![]));
    f.a.insert("h.test", Ok(vec![]));
    assert_eq!(ip_of(&mut f, "h.test"), Ok(vec![]));
}

fn ip_of(f: &mut Fake, h: &str) -> Result<Vec<IpPref>, DnsFail> {
    super::ip(f, h.as_bytes(), 0)
}
