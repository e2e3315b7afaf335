//! The host's trust store: a receiver whose certificate comes from a
//! private CA (a company's, or a TLS-inspecting proxy's) is trusted once
//! the host trusts that CA (here through SSL_CERT_FILE, which the system
//! store reader honours), and not before. The bundled web roots alone
//! never trusted it.

use crate::forward_claims::inbound_from;
use crate::gateway::{eventually, Proc};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{crypto::ring, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// A private CA (as PEM) and a server config for `localhost` it signed.
fn private_ca() -> (String, ServerConfig) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "wagate test private CA");
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let chain = vec![CertificateDer::from(leaf.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    (ca_pem, config)
}

/// An HTTPS receiver on loopback that answers every request 200 and
/// counts the requests that reached it (past the TLS handshake).
async fn https_receiver(config: ServerConfig) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let received = Arc::new(AtomicUsize::new(0));
    let count = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, count) = (acceptor.clone(), count.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut buffer = [0u8; 16 * 1024];
                if tls.read(&mut buffer).await.unwrap_or(0) > 0 {
                    count.fetch_add(1, Ordering::SeqCst);
                    let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                    let _ = tls.write_all(answer).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    (port, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_signed_by_a_ca_the_host_trusts_is_reached() {
    let (ca_pem, config) = private_ca();
    let (port, received) = https_receiver(config).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("private-ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let url = format!("https://localhost:{port}/ghl");
    let session = dir.path().join("sessions");

    let untrusted = Proc::start(&session, &[("GHL_INBOUND_URL", url.as_str())]).await;
    untrusted.api.link("trust-1", "+15550000031").await;
    inbound_from(&untrusted.api, "trust-1", "+5511999999999", "UNTRUSTED", 1).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(received.load(Ordering::SeqCst), 0, "an unknown CA is not trusted");
    untrusted.kill();

    let ca = ca_file.to_str().unwrap();
    let trusted = Proc::start(
        &session,
        &[("GHL_INBOUND_URL", url.as_str()), ("SSL_CERT_FILE", ca)],
    )
    .await;
    eventually(
        "the forward reaches the receiver once the host trusts its CA",
        || async { received.load(Ordering::SeqCst) >= 1 },
    )
    .await;
    drop(trusted);
}
