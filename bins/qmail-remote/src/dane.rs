//! DANE for SMTP (RFC 7672, with the usage rules of RFC 7671): a server whose TLSA
//! records a validating resolver authenticated is checked against them instead of
//! against the CAs.
//!
//! - DANE-EE (usage 3): the server's own certificate or public key matches a record.
//!   Nothing else about the certificate counts: not its names, not its dates
//!   (RFC 7672 §3.1.1).
//! - DANE-TA (usage 2): a certificate the server sent in its chain matches a record and
//!   is the trust anchor of a valid path to the server's certificate, which must name
//!   the server (RFC 7672 §3.1.2, §3.2).
//! - PKIX-TA and PKIX-EE (usages 0 and 1) are unusable for SMTP (RFC 7672 §3.1.3), and
//!   so is any selector other than 0 (the whole certificate) or 1 (its public key) and
//!   any matching type other than 0 (the data itself), 1 (SHA-256) or 2 (SHA-512).
//!
//! Certificates are read by webpki (rustls's own parser), digests made by ring.
use qmail_dns::Tlsa;
use ring::digest;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;
use std::sync::Arc;

pub const DANE_TA: u8 = 2;
pub const DANE_EE: u8 = 3;

/// The records RFC 7672 lets an SMTP client use. When an authenticated TLSA RRset has
/// none, TLS is still a must but the server is not authenticated (RFC 7672 §2.2).
pub fn usable(records: &[Tlsa]) -> Vec<Tlsa> {
    records
        .iter()
        .filter(|r| matches!(r.usage, DANE_TA | DANE_EE))
        .filter(|r| matches!(r.selector, 0 | 1))
        .filter(|r| match r.matching {
            0 => !r.data.is_empty(),
            1 => r.data.len() == 32,
            2 => r.data.len() == 64,
            _ => false,
        })
        .cloned()
        .collect()
}

/// Does `cert` (DER) match `r`? A certificate webpki cannot parse matches nothing by
/// its public key.
pub fn matches(r: &Tlsa, cert: &[u8]) -> bool {
    let spki;
    let material: &[u8] = match r.selector {
        0 => cert,
        1 => {
            let der = CertificateDer::from(cert);
            match webpki::EndEntityCert::try_from(&der) {
                Ok(c) => {
                    spki = c.subject_public_key_info();
                    spki.as_ref()
                }
                Err(_) => return false,
            }
        }
        _ => return false,
    };
    match r.matching {
        0 => material == r.data.as_slice(),
        1 => digest::digest(&digest::SHA256, material).as_ref() == r.data.as_slice(),
        2 => digest::digest(&digest::SHA512, material).as_ref() == r.data.as_slice(),
        _ => false,
    }
}

/// The record that authenticated a chain, for the report: `DANE-EE 3 1 1`.
pub fn describe(r: &Tlsa) -> String {
    let usage = if r.usage == DANE_EE {
        "DANE-EE"
    } else {
        "DANE-TA"
    };
    format!("{usage} {} {} {}", r.usage, r.selector, r.matching)
}

/// Check the server's chain against `records` (usable ones). Ok: which record matched.
pub fn verify(
    records: &[Tlsa],
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    name: &ServerName<'_>,
    now: UnixTime,
    provider: &Arc<CryptoProvider>,
) -> Result<String, String> {
    if let Some(r) = records
        .iter()
        .find(|r| r.usage == DANE_EE && matches(r, end_entity))
    {
        return Ok(describe(r));
    }
    let mut why = "no TLSA record matches the server's certificate chain".to_string();
    for r in records.iter().filter(|r| r.usage == DANE_TA) {
        for anchor in intermediates.iter().filter(|c| matches(r, c)) {
            let mut store = RootCertStore::empty();
            if store.add(anchor.clone().into_owned()).is_err() {
                continue;
            }
            let checked =
                WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                    .build()
                    .map_err(|e| e.to_string())
                    .and_then(|v| {
                        v.verify_server_cert(end_entity, intermediates, name, &[], now)
                            .map_err(|e| e.to_string())
                    });
            match checked {
                Ok(_) => return Ok(describe(r)),
                Err(e) => why = format!("the chain to the TLSA trust anchor is not valid: {e}"),
            }
        }
    }
    Err(why)
}

#[cfg(test)]
mod tests;
