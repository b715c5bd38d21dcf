//! `RedisStore` over TLS (`rediss://`) against a real `redis-server`
//! started with TLS on loopback, with a certificate the test makes: the
//! whole conformance suite, and connections that must not be made.

use sessions::Error;
use sessions::Key;
use sessions::store::{RedisBackend, RedisOptions, ServerStore};
use sessions_conformance::Guarded;
use sessions_tests::redis_server::RedisServer;

fn tls_server() -> RedisServer {
    RedisServer::builder().with_tls().start()
}

/// `rediss://127.0.0.1:PORT/`, trusting the server's own certificate.
async fn tls_store(key: Key) -> ServerStore<Guarded<RedisBackend, RedisServer>> {
    let server = tls_server();
    assert!(server.url().starts_with("rediss://"), "{}", server.url());
    let options = RedisOptions::new().root_certificate(server.cert_pem());
    let backend = RedisBackend::connect_with(&server.url(), options)
        .await
        .expect("connect to the TLS redis");
    ServerStore::from_backend(Guarded::new(backend, server), key)
}

sessions_conformance::store_tests!(redis_tls, tls_store);

#[tokio::test]
async fn a_certificate_nobody_trusts_is_refused() {
    let server = tls_server();
    // The system roots do not hold the test's self-made certificate.
    let err = RedisBackend::connect(&server.url()).await.unwrap_err();
    assert!(matches!(err, Error::Backend(_)), "{err:?}");
    println!(
        "untrusted certificate: {}",
        std::error::Error::source(&err).unwrap()
    );
}

#[tokio::test]
async fn plain_text_to_a_tls_port_fails_closed() {
    let server = tls_server();
    let plain = server.url().replacen("rediss://", "redis://", 1);
    let err = RedisBackend::connect(&plain).await.unwrap_err();
    assert!(matches!(err, Error::Backend(_)), "{err:?}");
}
