//! TLS to the team journal with rustls (no OpenSSL), checking what libpq's `sslmode` asks:
//! `verify-full` the certificate's chain and name, `verify-ca` its chain, `require` and
//! `prefer` only that the connection is encrypted (unless a CA is named with `sslrootcert`,
//! as libpq does). The trusted CAs are those of `sslrootcert`, or the public ones reqwest
//! trusts too (webpki-roots).

use std::io;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::place::{TeamJournal, TlsMode};

/// Makes TLS connections to the team journal's server (tokio-postgres-rustls, which also
/// binds SCRAM to the channel where the certificate allows it).
pub type RustlsConnect = tokio_postgres_rustls::MakeRustlsConnect;

/// The connector for `team`'s `sslmode` and `sslrootcert`.
pub fn connector_for(team: &TeamJournal) -> io::Result<RustlsConnect> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(roots(team)?);
    let algorithms = provider.signature_verification_algorithms;
    let checks_chain = matches!(team.tls, TlsMode::VerifyCa | TlsMode::VerifyFull)
        || team.root_certificates.is_some();
    let chain = if checks_chain {
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(io::Error::other)?;
        Some(webpki)
    } else {
        None
    };
    let verifier = Arc::new(SslMode {
        chain,
        check_name: team.tls == TlsMode::VerifyFull,
        algorithms,
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(RustlsConnect::new(config))
}

fn roots(team: &TeamJournal) -> io::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    match &team.root_certificates {
        Some(path) => {
            let unreadable = |error: &dyn std::fmt::Display| {
                io::Error::other(format!(
                    "cannot read the team journal's CA certificates ({}): {error}",
                    path.display()
                ))
            };
            for certificate in
                CertificateDer::pem_file_iter(path).map_err(|error| unreadable(&error))?
            {
                let certificate = certificate.map_err(|error| unreadable(&error))?;
                roots.add(certificate).map_err(|error| unreadable(&error))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(roots)
}

/// What `sslmode` checks of the server's certificate: with `verify-ca` and `verify-full` (or a
/// CA named) its chain to a trusted CA, and with `verify-full` its name; with `require` and
/// `prefer` nothing (libpq's meaning of these modes). The handshake's signatures are checked
/// in every mode.
#[derive(Debug)]
struct SslMode {
    chain: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for SslMode {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_makes_a_connector() {
        for mode in ["disable", "prefer", "require", "verify-ca", "verify-full"] {
            let team = TeamJournal::parse(&format!("postgres://u@h/d?sslmode={mode}"), None)
                .expect("a URL");
            assert!(connector_for(&team).is_ok(), "{mode}");
        }
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let team = TeamJournal::parse(
            "postgres://u@h/d?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            None,
        )
        .expect("a URL");
        let error = connector_for(&team).err().expect("refused").to_string();
        assert!(error.contains("/nonexistent/ca.pem"), "{error}");
    }
}
