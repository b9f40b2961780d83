//! The TLS client of STARTTLS (RFC 3207) with rustls and its ring provider.
//!
//! The server's certificate is always checked against the CAs (the system store, or the
//! `cafile` of a `control/tlsdestinations` entry) for the server's name, and the result
//! is reported. Only a destination whose policy requires verified TLS refuses a
//! certificate that does not verify; for the others (opportunistic TLS) encryption
//! without authentication is still better than the clear text qmail sends.
//! The handshake's signatures are always checked, whatever the policy.
//!
//! With DANE (authenticated TLSA records for the server), the records take the place of
//! the CAs and a certificate that does not match them ends the handshake.
use crate::dane;
use qmail_dns::Tlsa;
use qmail_remote_core::tlspolicy::Level;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ring, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// The system's CA bundle: the first of these that can be read (Debian and derivatives,
/// Red Hat and derivatives, the BSDs and Alpine). No environment variable is consulted.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// A client certificate chain and its key, in one PEM file (as the qmail TLS patch).
pub const CLIENTCERT: &str = "control/clientcert.pem";

/// A client certificate chain and its private key.
pub type ClientCert = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// What a failed setup says in the report.
#[derive(Debug)]
pub struct SetupError(pub String);

/// The client certificate, if any: `control/clientcert.pem` that qmailr may read. A file
/// qmailr may not read is skipped, as the qmail TLS patch does; a readable file without
/// a certificate and a key is an error.
pub fn client_cert() -> Result<Option<ClientCert>, SetupError> {
    let pem = match std::fs::read(CLIENTCERT) {
        Ok(p) => p,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(SetupError(format!("Unable to read {CLIENTCERT}: {e}"))),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| SetupError(format!("Unable to parse {CLIENTCERT}: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| SetupError(format!("No private key in {CLIENTCERT}: {e}")))?;
    if certs.is_empty() {
        return Err(SetupError(format!("No certificate in {CLIENTCERT}")));
    }
    Ok(Some((certs, key)))
}

fn roots(cafile: Option<&[u8]>) -> Result<RootCertStore, SetupError> {
    let pem = match cafile {
        Some(path) => {
            let path = String::from_utf8_lossy(path).into_owned();
            std::fs::read(&path).map_err(|e| SetupError(format!("Unable to read {path}: {e}")))?
        }
        None => SYSTEM_BUNDLES
            .iter()
            .find_map(|p| std::fs::read(p).ok())
            .unwrap_or_default(),
    };
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem).flatten() {
        // A certificate webpki cannot use as an anchor is left out, not fatal.
        let _ = store.add(cert);
    }
    Ok(store)
}

/// How a certificate was found good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// By the CAs, for the server's name.
    Pkix,
    /// By an authenticated TLSA record (the record's usage, selector and matching type).
    Dane(String),
    /// Not authenticated, by DANE's rule: the server's authenticated TLSA records are
    /// all unusable, so TLS is a must and the certificate is not checked.
    DaneUnusable,
}

/// The outcome of the certificate check, filled in during the handshake.
#[derive(Clone, Debug, Default)]
pub struct Verdict(Arc<Mutex<Option<Result<Verified, String>>>>);

impl Verdict {
    fn set(&self, r: Result<Verified, String>) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(r);
        }
    }

    /// The check's result, None if no certificate was checked.
    pub fn checked(&self) -> Option<Result<Verified, String>> {
        self.0.lock().ok().and_then(|g| g.clone())
    }

    /// Ok: how it verified; Err: why not.
    pub fn get(&self) -> Result<Verified, String> {
        self.checked()
            .unwrap_or_else(|| Err("no certificate checked".into()))
    }
}

#[derive(Debug)]
struct Checker {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    algs: WebPkiSupportedAlgorithms,
    required: bool,
    /// DANE: the server's authenticated, usable TLSA records (none usable: TLS without
    /// authentication).
    dane: Option<Vec<Tlsa>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    verdict: Verdict,
}

impl ServerCertVerifier for Checker {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(records) = &self.dane {
            if records.is_empty() {
                self.verdict.set(Ok(Verified::DaneUnusable));
                return Ok(ServerCertVerified::assertion());
            }
            let r = dane::verify(
                records,
                end_entity,
                intermediates,
                server_name,
                now,
                &self.provider,
            );
            self.verdict.set(r.clone().map(Verified::Dane));
            return match r {
                Ok(_) => Ok(ServerCertVerified::assertion()),
                Err(e) => Err(rustls::Error::General(e)),
            };
        }
        let r = match &self.webpki {
            Some(v) => v
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                .map(|_| ()),
            None => Err(rustls::Error::General("no CA certificates".into())),
        };
        self.verdict
            .set(r.clone().map(|_| Verified::Pkix).map_err(|e| e.to_string()));
        match r {
            Err(e) if self.required => Err(e),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// A client connection for `name` (the exchanger's or relay's name, or its address)
/// under `level` (Opportunistic or Verified) or DANE with the server's authenticated
/// TLSA records, and where its verdict will be.
pub fn connect(
    level: &Level,
    dane: Option<&[Tlsa]>,
    name: &str,
    cert: Option<&ClientCert>,
) -> Result<(ClientConnection, Verdict), SetupError> {
    let provider = Arc::new(ring::default_provider());
    let (cafile, required) = match level {
        Level::Verified { cafile } => (cafile.as_deref(), true),
        _ => (None, false),
    };
    // With DANE the CAs play no part: the system store is not even read.
    let store = match dane {
        Some(_) => RootCertStore::empty(),
        None => roots(cafile)?,
    };
    let webpki = if store.is_empty() {
        if required && dane.is_none() {
            return Err(SetupError("No CA certificates to verify with".into()));
        }
        None
    } else {
        Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                .build()
                .map_err(|e| SetupError(format!("TLS setup failed: {e}")))?,
        )
    };
    let verdict = Verdict::default();
    let checker = Checker {
        webpki,
        algs: provider.signature_verification_algorithms,
        required,
        dane: dane.map(<[Tlsa]>::to_vec),
        provider: provider.clone(),
        verdict: verdict.clone(),
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| SetupError(format!("TLS setup failed: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(checker));
    let config = match cert {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain.clone(), key.clone_key())
            .map_err(|e| SetupError(format!("Unusable {CLIENTCERT}: {e}")))?,
        None => builder.with_no_client_auth(),
    };
    let server = ServerName::try_from(name.to_string())
        .map_err(|_| SetupError(format!("Not a name for TLS: {name}")))?;
    let conn = ClientConnection::new(Arc::new(config), server)
        .map_err(|e| SetupError(format!("TLS setup failed: {e}")))?;
    Ok((conn, verdict))
}

/// The report's line about an encrypted hop: protocol, cipher suite, and whether the
/// certificate verified.
pub fn describe(conn: &ClientConnection, verdict: &Verdict, name: &str) -> String {
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(v) => format!("{v:?}"),
        None => "TLS".to_string(),
    };
    let mut s = format!("TLS: {version}");
    if let Some(suite) = conn.negotiated_cipher_suite() {
        let _ = write!(s, " {:?}", suite.suite());
    }
    match verdict.get() {
        Ok(Verified::Pkix) => {
            let _ = writeln!(s, ", certificate verified for {name}.");
        }
        Ok(Verified::Dane(record)) => {
            let _ = writeln!(s, ", dane verified ({record}) for {name}.");
        }
        Ok(Verified::DaneUnusable) => {
            let _ = writeln!(
                s,
                ", certificate not verified (DANE: no usable TLSA record for {name})."
            );
        }
        Err(why) => {
            let _ = writeln!(s, ", certificate not verified ({}).", printable(&why));
        }
    }
    s
}

/// Report texts are lines: nothing in them may break one.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
