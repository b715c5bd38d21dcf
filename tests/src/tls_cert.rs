//! A self-signed TLS certificate for `127.0.0.1` and `localhost`, for the
//! `rediss://` tests.
//!
//! Made with `rcgen` at run time, so no certificate is checked in to expire
//! and no `openssl` command is needed. The certificate is its own trust
//! root: a client trusts exactly it ([`TlsCert::cert_pem`]) and the server
//! presents it.

use std::fs;
use std::path::PathBuf;

use crate::TempDir;

/// A certificate and its private key as PEM files in a temporary directory
/// that lives as long as the value.
///
/// ```no_run
/// let cert = sessions_tests::tls_cert::TlsCert::new();
/// assert!(cert.cert_path().exists() && cert.key_path().exists());
/// assert!(cert.cert_pem().starts_with(b"-----BEGIN CERTIFICATE-----"));
/// ```
#[derive(Debug)]
pub struct TlsCert {
    dir: TempDir,
    cert_pem: String,
}

impl TlsCert {
    /// Makes a fresh key pair and a certificate for it, valid for the IP
    /// address `127.0.0.1` (an IP subject alternative name, which is what a
    /// client connecting to `rediss://127.0.0.1` checks) and the DNS name
    /// `localhost`.
    ///
    /// # Panics
    ///
    /// When the key cannot be made or the files cannot be written.
    #[must_use]
    pub fn new() -> Self {
        let made = rcgen::generate_simple_self_signed(subject_names())
            .expect("rcgen signs a certificate for fixed, valid names");
        let dir = TempDir::new();
        let cert_pem = made.cert.pem();
        fs::write(dir.path().join("cert.pem"), &cert_pem).expect("the temp dir is writable");
        fs::write(dir.path().join("key.pem"), made.signing_key.serialize_pem())
            .expect("the temp dir is writable");
        Self { dir, cert_pem }
    }

    /// The certificate in PEM, for a client's root store.
    #[must_use]
    pub fn cert_pem(&self) -> Vec<u8> {
        self.cert_pem.as_bytes().to_vec()
    }

    /// `cert.pem`: the certificate file, for `--tls-cert-file` and, since it
    /// is self-signed, `--tls-ca-cert-file` and `redis-cli --cacert`.
    #[must_use]
    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// `key.pem`: the private key (PKCS #8), for `--tls-key-file`.
    #[must_use]
    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }
}

/// `127.0.0.1` first: rcgen makes a name that parses as an IP address an IP
/// subject alternative name, and any other a DNS name.
fn subject_names() -> Vec<String> {
    vec!["127.0.0.1".to_owned(), "localhost".to_owned()]
}

impl Default for TlsCert {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_loopback_address_as_an_ip_not_a_dns_name() {
        let params = rcgen::CertificateParams::new(subject_names()).unwrap();
        assert_eq!(
            params.subject_alt_names,
            [
                rcgen::SanType::IpAddress([127, 0, 0, 1].into()),
                rcgen::SanType::DnsName("localhost".try_into().unwrap()),
            ]
        );
    }

    #[test]
    fn writes_the_pem_files_it_hands_out() {
        let cert = TlsCert::new();
        assert_eq!(fs::read(cert.cert_path()).unwrap(), cert.cert_pem());
        let key = fs::read_to_string(cert.key_path()).unwrap();
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");
    }
}
