//! Configurations built at run time cannot emit a broken `Set-Cookie`:
//! every rule of `SessionConfig::check` is enforced when a `MapSession` is
//! loaded or a map config registered, with a typed error and no panic.

use std::time::Duration;

use sessions::{ConfigError, CookieStore, Error, Key, MapSession, SessionConfig, Sessions};

fn attached() -> (Sessions, http::Request<()>) {
    let sessions = Sessions::new(CookieStore::new(Key::generate()));
    let mut req = http::Request::new(());
    sessions.attach(&mut req);
    (sessions, req)
}

async fn load(config: SessionConfig) -> sessions::Result<MapSession> {
    let (_sessions, req) = attached();
    MapSession::load(&req, config).await
}

#[tokio::test]
async fn a_path_that_smuggles_an_attribute_is_refused() {
    // Written as is, this path would have set a Domain of the attacker's
    // choosing on the session cookie.
    let config = SessionConfig::new("session").with_path("/; Domain=evil.example");
    let err = load(config).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidConfig(ConfigError::InvalidPath)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_control_character_in_a_path_is_an_error_not_a_panic() {
    // It used to reach the removal cookie of `destroy` and panic there.
    for path in ["/\r\n", "/\u{0}", "/\u{7f}"] {
        let config = SessionConfig::new("session").with_path(path);
        let err = load(config).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidConfig(ConfigError::InvalidPath)),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn a_lifetime_that_would_overflow_is_refused() {
    for max_age in [Duration::MAX, Duration::from_hours(401 * 24)] {
        let config = SessionConfig::new("session").with_max_age(max_age);
        let err = load(config).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidConfig(ConfigError::MaxAgeOutOfRange)),
            "{err:?}"
        );
    }
    let config = SessionConfig::new("session").with_idle_timeout(Duration::MAX);
    let err = load(config).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidConfig(ConfigError::TimeoutOutOfRange)),
        "{err:?}"
    );
}

#[tokio::test]
async fn prefixed_names_keep_their_promises() {
    let host_with_domain = SessionConfig::new("__Host-sid").with_domain("example.com");
    let err = load(host_with_domain).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidConfig(ConfigError::HostPrefixScope)),
        "{err:?}"
    );
    let insecure = SessionConfig::new("__Secure-sid").with_secure(false);
    let err = load(insecure).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidConfig(ConfigError::PrefixNeedsSecure)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_valid_configuration_saves_exactly_what_it_says() {
    let config = SessionConfig::new("session")
        .with_path("/app")
        .with_domain("example.com")
        .with_max_age(Duration::from_mins(1));
    let (_sessions, req) = attached();
    let session = MapSession::load(&req, config).await.expect("valid");
    session.insert("k", &1).expect("encodes");
    let mut res = http::Response::new(());
    sessions::save(&req, &mut res).await.expect("saves");
    let line = res.headers()["set-cookie"].to_str().expect("ASCII");
    assert!(
        line.contains("; Path=/app; Domain=example.com; Max-Age=60; "),
        "{line}"
    );
}

#[test]
fn the_map_config_is_checked_when_registered() {
    let (sessions, _req) = attached();
    let broken = SessionConfig::new("bad name");
    let err = sessions.with_map_config(broken).unwrap_err();
    assert!(
        matches!(err, Error::InvalidConfig(ConfigError::InvalidName)),
        "{err:?}"
    );
}
