// Every container attribute at once, split over several `#[session]` attributes.
use serde::{Deserialize, Serialize};
use sessions::{SameSite, Session, SessionData};
use std::time::Duration;

#[derive(Session, Serialize, Deserialize, Default)]
#[session(
    name = "__Host-prefs",
    max_age = 604800,
    idle_timeout = 1800,
    absolute_timeout = 86400
)]
#[session(persistent = false, path = "/", secure = true, http_only = true)]
#[session(same_site = "none", partitioned, store = "files")]
struct Prefs {
    theme: String,
}

fn main() {
    let config = Prefs::CONFIG;
    assert_eq!(config.name(), "__Host-prefs");
    assert_eq!(config.max_age(), Duration::from_secs(604_800));
    assert_eq!(config.idle_timeout(), Some(Duration::from_secs(1800)));
    assert_eq!(config.absolute_timeout(), Some(Duration::from_secs(86400)));
    assert!(!config.is_persistent());
    assert_eq!(config.path(), "/");
    assert_eq!(config.domain(), None);
    assert!(config.is_secure() && config.is_http_only() && config.is_partitioned());
    assert_eq!(config.same_site(), SameSite::None);
    assert_eq!(config.store(), Some("files"));
    let _theme = PrefsSession::theme;
}
