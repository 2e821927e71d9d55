//! TLS with rustls: a certificate from PEM files, or a self-signed one made at start.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// Where the certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// PEM certificate chain and private key files.
    Files {
        /// Certificate chain (PEM).
        cert: PathBuf,
        /// Private key (PEM).
        key: PathBuf,
    },
    /// A self-signed certificate for `localhost` and `127.0.0.1`, written as PEM into `dir`
    /// so clients can trust it (AWS_CA_BUNDLE, --ca-bundle).
    SelfSigned {
        /// Where to write `mock-server-ca.pem`.
        dir: PathBuf,
    },
}

/// A ready acceptor and, for a self-signed certificate, the path of its PEM.
pub struct Tls {
    /// The acceptor.
    pub acceptor: TlsAcceptor,
    /// The certificate clients should trust, when self-signed.
    pub ca_pem: Option<PathBuf>,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn load_pem(
    cert: &Path,
    key: &Path,
) -> io::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let certs = rustls_pemfile::certs(&mut io::BufReader::new(std::fs::File::open(cert)?))
        .collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(invalid(format!(
            "{}: expected PEM certificates, found none",
            cert.display()
        )));
    }
    let key = rustls_pemfile::private_key(&mut io::BufReader::new(std::fs::File::open(key)?))?
        .ok_or_else(|| {
            invalid(format!(
                "{}: expected a PEM private key, found none",
                key.display()
            ))
        })?;
    Ok((certs, key))
}

/// Builds the acceptor.
pub fn build(source: &TlsSource) -> io::Result<Tls> {
    let (certs, key, ca_pem) = match source {
        TlsSource::Files { cert, key } => {
            let (c, k) = load_pem(cert, key)?;
            (c, k, None)
        }
        TlsSource::SelfSigned { dir } => {
            let names = vec![
                "localhost".to_string(),
                "127.0.0.1".to_string(),
                "::1".to_string(),
            ];
            let ck = rcgen::generate_simple_self_signed(names)
                .map_err(|e| io::Error::other(format!("self-signed certificate: {e}")))?;
            std::fs::create_dir_all(dir)?;
            let cert_path = dir.join("mock-server-ca.pem");
            let key_path = dir.join("mock-server-key.pem");
            std::fs::write(&cert_path, ck.cert.pem())?;
            std::fs::write(&key_path, ck.key_pair.serialize_pem())?;
            let (c, k) = load_pem(&cert_path, &key_path)?;
            (c, k, Some(cert_path))
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| io::Error::other(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid(format!("certificate and key do not fit: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem,
    })
}
