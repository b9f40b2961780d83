//! The certificate and key, read for every connection (a renewed file is used by the next
//! one): `control/servercert.pem` (the chain, and the key too, as the qmail TLS patch
//! keeps them), or the key in `control/serverkey.pem` when servercert.pem holds none.
//! `$CERTFILE` and `$KEYFILE` name other files. Read as qmailt, after root is gone.
use std::io::Read;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
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
    if certs.is_empty() {
        return Err(format!("no certificate in {certfile}"));
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
