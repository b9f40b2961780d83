//! The certificate and key, read for every connection (a renewed file is used by the next
//! one): `control/servercert.pem` (the chain, and the key too, as the qmail TLS patch
//! keeps them), or the key in `control/serverkey.pem` when servercert.pem holds none.
//! `$CERTFILE` and `$KEYFILE` name other files. Read as qmailt, after root is gone.
//!
//! A certificate past its notAfter (or before its notBefore) is served all the same, with
//! a warning in the log for every connection: on port 25 most clients do not check it and
//! encryption still protects the mail, while refusing STARTTLS would send it in clear
//! text; a client that does check refuses the handshake itself.
use std::io::Read;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::ServerConfig;

const CERTFILE: &str = "control/servercert.pem";
const KEYFILE: &str = "control/serverkey.pem";
/// No certificate file is bigger; a bigger one is a mistake, not something to buffer.
const FILE_MAX: u64 = 1 << 20;

fn read(path: &str) -> Result<Vec<u8>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("unable to open {path}: {e}"))?;
    let mut v = Vec::new();
    f.take(FILE_MAX.saturating_add(1))
        .read_to_end(&mut v)
        .map_err(|e| format!("unable to read {path}: {e}"))?;
    if v.len() as u64 > FILE_MAX {
        return Err(format!("{path} is too big"));
    }
    Ok(v)
}

/// The server side of TLS 1.2 and 1.3 with this connection's certificate and key.
pub fn load() -> Result<Arc<ServerConfig>, String> {
    let certfile = std::env::var("CERTFILE").unwrap_or_else(|_| CERTFILE.to_string());
    let pem = read(&certfile)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bad certificate in {certfile}: {e}"))?;
    let Some(first) = certs.first() else {
        return Err(format!("no certificate in {certfile}"));
    };
    if let Some(w) = out_of_date(first, UnixTime::now()) {
        crate::log::line(&format!("warning: the certificate in {certfile} {w}"));
    }
    let key = match std::env::var("KEYFILE") {
        Ok(keyfile) => PrivateKeyDer::from_pem_slice(&read(&keyfile)?)
            .map_err(|e| format!("no usable key in {keyfile}: {e}"))?,
        Err(_) => match PrivateKeyDer::from_pem_slice(&pem) {
            Ok(k) => k,
            Err(_) => PrivateKeyDer::from_pem_slice(&read(KEYFILE)?)
                .map_err(|e| format!("no usable key in {certfile} or {KEYFILE}: {e}"))?,
        },
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key do not go together: {e}"))?;
    Ok(Arc::new(cfg))
}

/// Why `cert` is not valid at `now`, if it is not: `expired at …` or `is not valid
/// before …`. webpki checks the dates before anything else about a certificate, so
/// verifying it against no trust anchor at all fails with the date error when there is
/// one, and with another error (unknown issuer) when the dates are right.
fn out_of_date(cert: &CertificateDer<'_>, now: UnixTime) -> Option<String> {
    let ee = webpki::EndEntityCert::try_from(cert).ok()?;
    let r = ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &[],
        &[],
        now,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    );
    let when = |t: UnixTime| {
        let secs = i64::try_from(t.as_secs()).unwrap_or(i64::MAX);
        qmail_core::date822::date822(secs)
    };
    match r {
        Err(webpki::Error::CertExpired { not_after, .. }) => {
            Some(format!("expired at {}", when(not_after)))
        }
        Err(webpki::Error::CertNotValidYet { not_before, .. }) => {
            Some(format!("is not valid before {}", when(not_before)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// A certificate valid in January 2020 only, made by openssl (`openssl ca` takes
    /// dates in the past; `req -not_before` needs OpenSSL 3.4). With an extension, so
    /// it is X.509 v3 (webpki reads no v1 certificate).
    fn january_2020() -> CertificateDer<'static> {
        let dir = std::env::temp_dir().join(format!("qmail-tlsd-cert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(EXPIRED_CERT_SH)
            .current_dir(&dir)
            .output()
            .expect("sh");
        assert!(out.status.success(), "{out:?}");
        let pem = std::fs::read(dir.join("c.pem")).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        CertificateDer::from_pem_slice(&pem).unwrap()
    }

    const EXPIRED_CERT_SH: &str = "set -e
printf '[ca]\\ndefault_ca = d\\n[d]\\ndatabase = index.txt\\nnew_certs_dir = .\\nserial = serial\\ndefault_md = sha256\\npolicy = p\\n[p]\\ncommonName = supplied\\n[x]\\nbasicConstraints = CA:FALSE\\n' > ca.cnf
: > index.txt
echo 01 > serial
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=t -keyout k.pem -out r.csr 2>/dev/null
openssl ca -batch -config ca.cnf -selfsign -keyfile k.pem -in r.csr -out c.pem -notext -startdate 20200101000000Z -enddate 20200201000000Z -extfile ca.cnf -extensions x 2>/dev/null
";

    #[test]
    fn dates() {
        let c = january_2020();
        let at = |s: u64| {
            out_of_date(
                &c,
                UnixTime::since_unix_epoch(std::time::Duration::from_secs(s)),
            )
        };
        // 2020-01-15, 2020-03-01, 2019-12-31
        assert_eq!(at(1_579_046_400), None);
        assert_eq!(
            at(1_583_020_800).as_deref(),
            Some("expired at 1 Feb 2020 00:00:00 -0000")
        );
        assert_eq!(
            at(1_577_750_400).as_deref(),
            Some("is not valid before 1 Jan 2020 00:00:00 -0000")
        );
        // Not a certificate at all: nothing to say here (rustls refuses it later).
        assert_eq!(
            out_of_date(&CertificateDer::from(vec![0x30, 0]), UnixTime::now()),
            None
        );
    }
}
