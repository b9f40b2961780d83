//! DNS messages (RFC 1035 §4): the query builder and the answer parser.
//!
//! The parser trusts nothing: every offset is checked, counts in the header only bound a
//! loop that stops with an error as soon as the bytes run out (nothing is allocated from a
//! count), names go through `Name::decode`, and record data must lie inside its declared
//! length. Only the header, the question and the answer section are parsed; the authority
//! and additional sections are never looked at.
use crate::name::{Name, NameError};
use std::net::{Ipv4Addr, Ipv6Addr};

/// A DNS message travels in one UDP datagram or behind a 16-bit TCP length: never more.
pub const PACKET_MAX: usize = 65535;
pub const HEADER_LEN: usize = 12;

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_MX: u16 = 15;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_OPT: u16 = 41;
pub const TYPE_TLSA: u16 = 52;
pub const CLASS_IN: u16 = 1;

/// The UDP payload size a query with EDNS0 offers (the DNS flag day 2020 value: no
/// fragmentation on common paths).
pub const EDNS_PAYLOAD: u16 = 1232;

pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_FORMERR: u8 = 1;
pub const RCODE_NOTIMP: u8 = 4;
pub const RCODE_NXDOMAIN: u8 = 3;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    #[error("packet too short")]
    Truncated,
    #[error("packet too long")]
    TooLong,
    #[error("bad name: {0}")]
    Name(#[from] NameError),
    #[error("record data does not match its type")]
    BadRdata,
    #[error("not exactly one question")]
    QuestionCount,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Mx {
        pref: u16,
        exchange: Name,
    },
    Cname(Name),
    Ptr(Name),
    Ns(Name),
    /// A TXT record's character-strings, in order (RFC 1035 §3.3.14).
    Txt(Vec<Vec<u8>>),
    /// RFC 6698 §2.1: certificate usage, selector, matching type, and the association
    /// data (a whole certificate, a public key, or a digest of one).
    Tlsa {
        usage: u8,
        selector: u8,
        matching: u8,
        data: Vec<u8>,
    },
    /// Any other type or class: kept undecoded.
    Other(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub owner: Name,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub data: RData,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: u16,
    pub response: bool,
    pub opcode: u8,
    pub truncated: bool,
    /// AD (RFC 4035 §3.2.3): the server says it validated every record of the answer
    /// with DNSSEC. Meaningful only from a validating resolver one trusts.
    pub authentic: bool,
    pub rcode: u8,
    pub qname: Name,
    pub qtype: u16,
    pub qclass: u16,
    pub answers: Vec<Record>,
}

/// A standard recursive query (RD set) for `name`/`qtype` in class IN.
pub fn query(id: u16, name: &Name, qtype: u16) -> Vec<u8> {
    let mut q = Vec::with_capacity(HEADER_LEN + name.wire().len() + 4);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00]); // RD
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QD=1
    q.extend_from_slice(name.wire());
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    q
}

/// The same query with an EDNS0 OPT record (RFC 6891) whose DO bit (RFC 3225) asks a
/// validating resolver to say, with AD, whether it validated the answer.
pub fn query_dnssec(id: u16, name: &Name, qtype: u16) -> Vec<u8> {
    let mut q = query(id, name, qtype);
    if let Some(ar) = q.get_mut(11) {
        *ar = 1; // ARCOUNT=1
    }
    q.push(0); // the root name
    q.extend_from_slice(&TYPE_OPT.to_be_bytes());
    q.extend_from_slice(&EDNS_PAYLOAD.to_be_bytes());
    q.extend_from_slice(&[0, 0, 0x80, 0]); // extended rcode, version 0, DO
    q.extend_from_slice(&[0, 0]); // no options
    q
}

struct Cursor<'a> {
    pkt: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PacketError> {
        let end = self.pos.checked_add(n).ok_or(PacketError::Truncated)?;
        let s = self.pkt.get(self.pos..end).ok_or(PacketError::Truncated)?;
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, PacketError> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([
            *s.first().ok_or(PacketError::Truncated)?,
            *s.get(1).ok_or(PacketError::Truncated)?,
        ]))
    }
    fn u32(&mut self) -> Result<u32, PacketError> {
        let hi = self.u16()?;
        let lo = self.u16()?;
        Ok((u32::from(hi) << 16) | u32::from(lo))
    }
    fn name(&mut self) -> Result<Name, PacketError> {
        let (n, end) = Name::decode(self.pkt, self.pos)?;
        self.pos = end;
        Ok(n)
    }
}

impl Message {
    /// Parse a response (or any message with exactly one question).
    pub fn parse(pkt: &[u8]) -> Result<Message, PacketError> {
        if pkt.len() > PACKET_MAX {
            return Err(PacketError::TooLong);
        }
        let mut c = Cursor { pkt, pos: 0 };
        let id = c.u16()?;
        let flags = c.u16()?;
        let qdcount = c.u16()?;
        let ancount = c.u16()?;
        let _nscount = c.u16()?;
        let _arcount = c.u16()?;
        if qdcount != 1 {
            return Err(PacketError::QuestionCount);
        }
        let qname = c.name()?;
        let qtype = c.u16()?;
        let qclass = c.u16()?;
        let mut answers = Vec::new();
        for _ in 0..ancount {
            answers.push(record(&mut c)?);
        }
        Ok(Message {
            id,
            response: flags & 0x8000 != 0,
            opcode: ((flags >> 11) & 0x0f) as u8,
            truncated: flags & 0x0200 != 0,
            authentic: flags & 0x0020 != 0,
            rcode: (flags & 0x000f) as u8,
            qname,
            qtype,
            qclass,
            answers,
        })
    }

    /// Is this the answer to our question `id`/`name`/`qtype` (RFC 5452 §9.1)?
    pub fn answers_query(&self, id: u16, name: &Name, qtype: u16) -> bool {
        self.response
            && self.opcode == 0
            && self.id == id
            && self.qtype == qtype
            && self.qclass == CLASS_IN
            && self.qname.eq_ignore_case(name)
    }

    /// The class-IN records of `rtype` that answer for `name`, following the CNAME chain
    /// inside this answer (at most `CHAIN_MAX` links). Records for other owners are
    /// ignored: a server cannot slip in addresses for names nobody asked about.
    pub fn records_for(&self, name: &Name, rtype: u16) -> Vec<&RData> {
        let mut owners: Vec<&Name> = vec![name];
        let mut current = name;
        for _ in 0..CHAIN_MAX {
            let next = self.answers.iter().find_map(|r| match &r.data {
                RData::Cname(target) if r.class == CLASS_IN && r.owner.eq_ignore_case(current) => {
                    Some(target)
                }
                _ => None,
            });
            match next {
                Some(t) if !owners.iter().any(|o| o.eq_ignore_case(t)) => {
                    owners.push(t);
                    current = t;
                }
                _ => break,
            }
        }
        self.answers
            .iter()
            .filter(|r| r.rtype == rtype && r.class == CLASS_IN)
            .filter(|r| owners.iter().any(|o| o.eq_ignore_case(&r.owner)))
            .map(|r| &r.data)
            .collect()
    }
}

/// TXT record data: length-prefixed strings filling the data exactly. RFC 1035 wants at
/// least one; a record with none is read as empty rather than spoiling the whole answer.
fn strings(mut raw: &[u8]) -> Result<Vec<Vec<u8>>, PacketError> {
    let mut out = Vec::new();
    while let [len, rest @ ..] = raw {
        let s = rest.get(..usize::from(*len)).ok_or(PacketError::BadRdata)?;
        out.push(s.to_vec());
        raw = rest.get(usize::from(*len)..).unwrap_or_default();
    }
    Ok(out)
}

/// CNAME links followed inside one answer.
pub const CHAIN_MAX: usize = 16;

fn record(c: &mut Cursor<'_>) -> Result<Record, PacketError> {
    let owner = c.name()?;
    let rtype = c.u16()?;
    let class = c.u16()?;
    let ttl = c.u32()?;
    let rdlen = usize::from(c.u16()?);
    let start = c.pos;
    let raw = c.take(rdlen)?;
    let end = c.pos;
    // Names inside rdata may point anywhere earlier in the packet but must end inside it.
    let name_at = |at: usize| -> Result<Name, PacketError> {
        let (n, after) = Name::decode(c.pkt, at)?;
        if after != end {
            return Err(PacketError::BadRdata);
        }
        Ok(n)
    };
    let data = if class != CLASS_IN {
        RData::Other(raw.to_vec())
    } else {
        match rtype {
            TYPE_A => RData::A(Ipv4Addr::from(
                <[u8; 4]>::try_from(raw).map_err(|_| PacketError::BadRdata)?,
            )),
            TYPE_AAAA => RData::Aaaa(Ipv6Addr::from(
                <[u8; 16]>::try_from(raw).map_err(|_| PacketError::BadRdata)?,
            )),
            TYPE_MX => {
                let hi = *raw.first().ok_or(PacketError::BadRdata)?;
                let lo = *raw.get(1).ok_or(PacketError::BadRdata)?;
                let pref = u16::from_be_bytes([hi, lo]);
                RData::Mx {
                    pref,
                    exchange: name_at(start.saturating_add(2))?,
                }
            }
            TYPE_CNAME => RData::Cname(name_at(start)?),
            TYPE_PTR => RData::Ptr(name_at(start)?),
            TYPE_NS => RData::Ns(name_at(start)?),
            TYPE_TXT => RData::Txt(strings(raw)?),
            TYPE_TLSA => match raw {
                [usage, selector, matching, data @ ..] => RData::Tlsa {
                    usage: *usage,
                    selector: *selector,
                    matching: *matching,
                    data: data.to_vec(),
                },
                _ => return Err(PacketError::BadRdata),
            },
            _ => RData::Other(raw.to_vec()),
        }
    };
    Ok(Record {
        owner,
        rtype,
        class,
        ttl,
        data,
    })
}

#[cfg(test)]
mod tests;
