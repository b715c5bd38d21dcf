// Each container attribute alone reaches `SessionData::CONFIG`; the rest keep the
// runtime's defaults.
use serde::{Deserialize, Serialize};
use sessions::{SameSite, Session, SessionData};
use std::time::Duration;

macro_rules! data {
    ($($(#[$attr:meta])* struct $name:ident;)*) => {$(
        #[derive(Session, Serialize, Deserialize, Default)]
        $(#[$attr])*
        struct $name {}
    )*};
}

data! {
    #[session(name = "n")] struct Name;
    #[session(max_age = 60)] struct MaxAge;
    #[session(idle_timeout = 1800)] struct Idle;
    #[session(absolute_timeout = 86400u64)] struct Absolute;
    #[session(persistent = false)] struct Persistent;
    #[session(path = "/app")] struct Path;
    #[session(domain = "example.com")] struct Domain;
    #[session(secure = false)] struct Secure;
    #[session(http_only = false)] struct HttpOnly;
    #[session(same_site = "strict")] struct SameSiteStrict;
    #[session(same_site = "lax")] struct SameSiteLax;
    #[session(same_site = "none")] struct SameSiteNone;
    #[session(partitioned)] struct Partitioned;
    #[session(partitioned = true)] struct PartitionedTrue;
    #[session(partitioned = false)] struct PartitionedFalse;
    #[session(store = "files")] struct Store;
}

fn main() {
    let default = sessions::SessionConfig::new("x");
    assert_eq!(Name::CONFIG.name(), "n");
    assert_eq!(MaxAge::CONFIG.max_age(), Duration::from_secs(60));
    assert_eq!(Idle::CONFIG.idle_timeout(), Some(Duration::from_secs(1800)));
    assert_eq!(
        Absolute::CONFIG.absolute_timeout(),
        Some(Duration::from_secs(86400))
    );
    assert!(!Persistent::CONFIG.is_persistent());
    assert_eq!(Path::CONFIG.path(), "/app");
    assert_eq!(Domain::CONFIG.domain(), Some("example.com"));
    assert!(!Secure::CONFIG.is_secure());
    assert!(!HttpOnly::CONFIG.is_http_only());
    assert_eq!(SameSiteStrict::CONFIG.same_site(), SameSite::Strict);
    assert_eq!(SameSiteLax::CONFIG.same_site(), SameSite::Lax);
    assert_eq!(SameSiteNone::CONFIG.same_site(), SameSite::None);
    assert!(Partitioned::CONFIG.is_partitioned());
    assert!(PartitionedTrue::CONFIG.is_partitioned());
    assert!(!PartitionedFalse::CONFIG.is_partitioned());
    assert_eq!(Store::CONFIG.store(), Some("files"));

    // One attribute changes one option: `name` aside, `Name` has every default.
    let name = Name::CONFIG;
    assert_eq!(name.max_age(), default.max_age());
    assert_eq!(name.is_persistent(), default.is_persistent());
    assert_eq!(name.path(), default.path());
    assert_eq!(name.is_secure(), default.is_secure());
    assert_eq!(name.same_site(), default.same_site());
    assert_eq!(name.store(), default.store());
}
