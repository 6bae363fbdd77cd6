//! A throwaway certificate authority, made at test time (nothing secret is
//! ever committed): the relay's certificate and the CA a test may or may
//! not hand to tend as `mail.ca_file`.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A server certificate and its private key, both PEM.
pub struct ServerCertificate {
    pub certificate: String,
    pub key: String,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        TestCa { issuer: CertifiedIssuer::self_signed(params, key).expect("self-signed CA") }
    }

    /// The CA certificate, as `mail.ca_file` holds it.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A certificate for the DNS name `name` only (no IP address), so that a
    /// client reaching the relay at 127.0.0.1 must be told the name.
    pub fn server_certificate(&self, name: &str) -> ServerCertificate {
        let mut params = CertificateParams::new(vec![name.to_owned()]).expect("server parameters");
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("server key");
        let certificate = params.signed_by(&key, &self.issuer).expect("server certificate");
        ServerCertificate { certificate: certificate.pem(), key: key.serialize_pem() }
    }
}
