use super::*;

/// An MX answer for gmail.com as a recursive server sends it: five MX records, the
/// exchange names compressed against the question (`com`, offset 0x12) and against the
/// first exchange (`gmail-smtp-in.l.google.com`, offset 0x29).
const GMAIL_MX: &[u8] = b"\x1a\x2b\x81\x80\x00\x01\x00\x05\x00\x00\x00\x00\
\x05gmail\x03com\x00\x00\x0f\x00\x01\
\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x1b\x00\x05\x0dgmail-smtp-in\x01l\x06google\xc0\x12\
\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x09\x00\x0a\x04alt1\xc0\x29\
\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x09\x00\x14\x04alt2\xc0\x29\
\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x09\x00\x1e\x04alt3\xc0\x29\
\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x09\x00\x28\x04alt4\xc0\x29";

/// An A answer for www.github.com: a CNAME to github.com, then its address.
const GITHUB_A: &[u8] = b"\x77\x01\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00\
\x03www\x06github\x03com\x00\x00\x01\x00\x01\
\xc0\x0c\x00\x05\x00\x01\x00\x00\x0e\x10\x00\x02\xc0\x10\
\xc0\x10\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x8c\x52\x79\x04";

/// NXDOMAIN for nonexistent.example with the SOA in the authority section.
const NXDOMAIN: &[u8] = b"\x00\x07\x81\x83\x00\x01\x00\x00\x00\x01\x00\x00\
\x0bnonexistent\x07example\x00\x00\x0f\x00\x01\
\xc0\x18\x00\x06\x00\x01\x00\x00\x0e\x10\x00\x2c\x02ns\x05icann\x03org\x00\
\x03noc\x03dns\xc0\x34\x78\x9a\xbc\xde\x00\x00\x1c\x20\x00\x00\x0e\x10\x00\x12\x75\x00\x00\x00\x0e\x10";

fn name(t: &str) -> Name {
    Name::from_text(t.as_bytes()).unwrap()
}

#[test]
fn query_bytes() {
    let q = query(0xbeef, &name("example.org"), TYPE_MX);
    assert_eq!(
        q,
        b"\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03org\x00\x00\x0f\x00\x01"
    );
}

#[test]
fn dnssec_query_bytes() {
    let q = query_dnssec(0xbeef, &name("example.org"), TYPE_TLSA);
    assert_eq!(
        q,
        b"\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x07example\x03org\x00\x00\x34\x00\x01\
\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x00"
    );
}

#[test]
fn tlsa_records_and_the_ad_bit() {
    let m = Message::parse(
        b"\x00\x01\x81\xa0\x00\x01\x00\x02\x00\x00\x00\x00\x03_25\x04_tcp\x02mx\x00\x00\x34\x00\x01\
\xc0\x0c\x00\x34\x00\x01\x00\x00\x00\x3c\x00\x04\x03\x01\x01\xab\
\xc0\x0c\x00\x34\x00\x01\x00\x00\x00\x3c\x00\x03\x03\x01\x01",
    )
    .unwrap();
    assert!(m.authentic);
    let got = m.records_for(&name("_25._tcp.mx"), TYPE_TLSA);
    assert_eq!(
        got,
        vec![
            &RData::Tlsa {
                usage: 3,
                selector: 1,
                matching: 1,
                data: vec![0xab]
            },
            &RData::Tlsa {
                usage: 3,
                selector: 1,
                matching: 1,
                data: vec![]
            }
        ]
    );
    // Fewer than three bytes of rdata is not a TLSA record.
    let bad = b"\x00\x01\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x02mx\x00\x00\x34\x00\x01\
\xc0\x0c\x00\x34\x00\x01\x00\x00\x00\x3c\x00\x02\x03\x01";
    assert_eq!(Message::parse(bad), Err(PacketError::BadRdata));
    assert!(!Message::parse(GITHUB_A).unwrap().authentic);
}

#[test]
fn gmail_mx() {
    let m = Message::parse(GMAIL_MX).unwrap();
    assert!(m.answers_query(0x1a2b, &name("GMAIL.com"), TYPE_MX));
    assert!(!m.answers_query(0x1a2c, &name("gmail.com"), TYPE_MX));
    assert!(!m.answers_query(0x1a2b, &name("gmail.co"), TYPE_MX));
    assert!(!m.answers_query(0x1a2b, &name("gmail.com"), TYPE_A));
    assert_eq!(m.rcode, RCODE_NOERROR);
    assert!(!m.truncated);
    let mx: Vec<(u16, Vec<u8>)> = m
        .records_for(&name("gmail.com"), TYPE_MX)
        .into_iter()
        .map(|d| match d {
            RData::Mx { pref, exchange } => (*pref, exchange.to_text()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        mx,
        vec![
            (5, b"gmail-smtp-in.l.google.com".to_vec()),
            (10, b"alt1.gmail-smtp-in.l.google.com".to_vec()),
            (20, b"alt2.gmail-smtp-in.l.google.com".to_vec()),
            (30, b"alt3.gmail-smtp-in.l.google.com".to_vec()),
            (40, b"alt4.gmail-smtp-in.l.google.com".to_vec()),
        ]
    );
    assert_eq!(m.answers.first().unwrap().ttl, 3600);
}

#[test]
fn github_cname_chain() {
    let m = Message::parse(GITHUB_A).unwrap();
    assert!(m.answers_query(0x7701, &name("www.github.com"), TYPE_A));
    let a = m.records_for(&name("www.github.com"), TYPE_A);
    assert_eq!(a, vec![&RData::A(Ipv4Addr::new(140, 82, 121, 4))]);
    // Nothing answers for a name outside the chain.
    assert!(m.records_for(&name("evil.example"), TYPE_A).is_empty());
    let c = m.records_for(&name("www.github.com"), TYPE_CNAME);
    assert_eq!(c, vec![&RData::Cname(name("github.com"))]);
}

#[test]
fn nxdomain() {
    let m = Message::parse(NXDOMAIN).unwrap();
    assert_eq!(m.rcode, RCODE_NXDOMAIN);
    assert!(m.answers.is_empty());
}

#[test]
fn records_for_ignores_strangers_and_loops() {
    // a CNAME b, b CNAME a (a loop), plus an A record for an unrelated owner.
    let mut p =
        b"\x00\x01\x81\x80\x00\x01\x00\x03\x00\x00\x00\x00\x01a\x00\x00\x01\x00\x01".to_vec();
    p.extend_from_slice(b"\x01a\x00\x00\x05\x00\x01\x00\x00\x00\x01\x00\x03\x01b\x00");
    p.extend_from_slice(b"\x01b\x00\x00\x05\x00\x01\x00\x00\x00\x01\x00\x03\x01a\x00");
    p.extend_from_slice(b"\x01c\x00\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04\x01\x02\x03\x04");
    let m = Message::parse(&p).unwrap();
    assert!(m.records_for(&name("a"), TYPE_A).is_empty());
    assert_eq!(m.records_for(&name("c"), TYPE_A).len(), 1);
}

#[test]
fn aaaa_and_ptr() {
    let mut p =
        b"\x00\x02\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00\x01h\x00\x00\x1c\x00\x01".to_vec();
    p.extend_from_slice(b"\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x01\x00\x10");
    p.extend_from_slice(&"2001:db8::25".parse::<Ipv6Addr>().unwrap().octets());
    p.extend_from_slice(b"\xc0\x0c\x00\x0c\x00\x01\x00\x00\x00\x01\x00\x02\xc0\x0c");
    let m = Message::parse(&p).unwrap();
    assert_eq!(
        m.records_for(&name("h"), TYPE_AAAA),
        vec![&RData::Aaaa("2001:db8::25".parse().unwrap())]
    );
    assert_eq!(
        m.records_for(&name("h"), TYPE_PTR),
        vec![&RData::Ptr(name("h"))]
    );
}

#[test]
fn hostile_counts_and_lengths() {
    // Header claims 65535 answers and has none.
    let mut p = GMAIL_MX.to_vec();
    p[6] = 0xff;
    p[7] = 0xff;
    assert_eq!(
        Message::parse(&p),
        Err(PacketError::Name(NameError::Truncated))
    );
    // Zero or two questions.
    let mut p = GMAIL_MX.to_vec();
    p[5] = 0;
    assert_eq!(Message::parse(&p), Err(PacketError::QuestionCount));
    p[5] = 2;
    assert_eq!(Message::parse(&p), Err(PacketError::QuestionCount));
    // rdlength past the end.
    let mut p = GITHUB_A.to_vec();
    let n = p.len();
    p[n - 5] = 0x40;
    assert_eq!(Message::parse(&p), Err(PacketError::Truncated));
    // A record of 5 bytes.
    let mut p = GITHUB_A.to_vec();
    p[n - 5] = 5;
    p.push(9);
    assert_eq!(Message::parse(&p), Err(PacketError::BadRdata));
    // MX exchange running past its rdata (rdlength one short).
    let mut p = GMAIL_MX.to_vec();
    p[38] = 0x1a;
    assert!(Message::parse(&p).is_err());
    // CNAME pointing forward / to itself.
    let mut p = GITHUB_A.to_vec();
    p[45] = 0x2c; // pointer at 44 pointing to 44
    assert_eq!(
        Message::parse(&p),
        Err(PacketError::Name(NameError::BadPointer))
    );
    // Owner name loop: the question name points at itself.
    let p = b"\x00\x01\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01";
    assert_eq!(
        Message::parse(p),
        Err(PacketError::Name(NameError::BadPointer))
    );
    // Too long, too short.
    assert_eq!(
        Message::parse(&vec![0u8; PACKET_MAX + 1]),
        Err(PacketError::TooLong)
    );
    assert_eq!(Message::parse(&GMAIL_MX[..11]), Err(PacketError::Truncated));
    assert_eq!(Message::parse(b""), Err(PacketError::Truncated));
}

#[test]
fn every_prefix_and_single_byte_change_is_safe() {
    for packet in [GMAIL_MX, GITHUB_A, NXDOMAIN] {
        for len in 0..packet.len() {
            let _ = Message::parse(&packet[..len]);
        }
        let mut p = packet.to_vec();
        for i in 0..p.len() {
            let keep = p[i];
            for b in 0..=255u8 {
                p[i] = b;
                crate::fuzzing::fuzz_dns_packet(&p);
            }
            p[i] = keep;
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut r: u32 = 12345;
    for round in 0..20000u32 {
        let len = (round % 300) as usize;
        let mut p = Vec::with_capacity(len);
        for _ in 0..len {
            r = r.wrapping_mul(69069).wrapping_add(1);
            p.push((r >> 24) as u8);
        }
        if p.len() > 5 {
            p[4] = 0;
            p[5] = 1;
        }
        crate::fuzzing::fuzz_dns_packet(&p);
    }
}

#[test]
fn txt_strings() {
    let head = b"\x00\x03\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x01t\x00\x00\x10\x00\x01";
    let rr = |rdata: &[u8]| {
        let mut p = head.to_vec();
        p.extend_from_slice(b"\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x01\x00");
        p.push(rdata.len() as u8);
        p.extend_from_slice(rdata);
        p
    };
    let m = Message::parse(&rr(b"\x06v=spf1\x00\x05 -all")).unwrap();
    assert_eq!(
        m.records_for(&name("t"), TYPE_TXT),
        vec![&RData::Txt(vec![
            b"v=spf1".to_vec(),
            vec![],
            b" -all".to_vec()
        ])]
    );
    // A string running past the record's data; a record with no string at all is empty.
    assert_eq!(
        Message::parse(&rr(b"\x06v=spf")),
        Err(PacketError::BadRdata)
    );
    let m = Message::parse(&rr(b"")).unwrap();
    assert_eq!(
        m.records_for(&name("t"), TYPE_TXT),
        vec![&RData::Txt(vec![])]
    );
}
