//! Cookie sessions logged out everywhere: a `CookieStore` with owner
//! epochs, as two app servers sharing one epoch backend see it.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sessions::store::{Epochs, FileBackend, MemoryBackend, OwnerId};
use sessions::{CookieStore, Key, Session, Sessions};
use sessions_tests::temp_dir::TempDir;

#[derive(Session, Serialize, Deserialize, Default, Clone)]
#[session(name = "account")]
struct Account {
    #[session(owner)]
    user: Option<String>,
    visits: u32,
}

/// A browser of one app server: its one cookie.
struct Browser {
    cookie: Option<String>,
}

impl Browser {
    fn new() -> Self {
        Self { cookie: None }
    }

    /// One request to `server`: runs `act`, saves, keeps the cookie.
    async fn visit<R>(
        &mut self,
        server: &Sessions,
        act: impl AsyncFnOnce(&AccountSession) -> R,
    ) -> R {
        let mut builder = http::Request::builder();
        if let Some(cookie) = &self.cookie {
            builder = builder.header(http::header::COOKIE, format!("account={cookie}"));
        }
        let mut req = builder.body(()).unwrap();
        server.attach(&mut req);
        let account = AccountSession::load(&req).await.expect("loads");
        let out = act(&account).await;
        let mut res = http::Response::new(());
        sessions::save(&req, &mut res).await.expect("saves");
        if let Some(line) = res.headers().get(http::header::SET_COOKIE) {
            let pair = line.to_str().unwrap().split(';').next().unwrap();
            let value = pair.strip_prefix("account=").unwrap();
            self.cookie = (!value.is_empty()).then(|| value.to_owned());
        }
        out
    }

    async fn log_in(&mut self, server: &Sessions, user: &str) {
        let user = user.to_owned();
        self.visit(server, async move |a| a.set_user(Some(user)))
            .await;
    }

    async fn user(&mut self, server: &Sessions) -> Option<String> {
        self.visit(server, async |a| a.user()).await
    }
}

fn server(key: &Key, epochs: Epochs) -> Sessions {
    Sessions::new(CookieStore::new(key.clone()).with_epochs(epochs))
}

#[tokio::test]
async fn log_out_everywhere_else_keeps_only_the_current_cookie() {
    let key = Key::generate();
    let app = server(&key, Epochs::new(MemoryBackend::new(100), Duration::ZERO));
    let (mut laptop, mut phone, mut other) = (Browser::new(), Browser::new(), Browser::new());
    laptop.log_in(&app, "ada").await;
    phone.log_in(&app, "ada").await;
    other.log_in(&app, "bob").await;
    let stolen = phone.cookie.clone();
    let counted = laptop
        .visit(&app, async |a| a.revoke_others().await.unwrap())
        .await;
    assert_eq!(counted, 0, "cookies are not counted");
    assert_eq!(phone.user(&app).await, None, "the other cookie is revoked");
    phone.cookie = stolen;
    assert_eq!(phone.user(&app).await, None, "a copy of it too");
    for _ in 0..3 {
        assert_eq!(
            laptop.user(&app).await.as_deref(),
            Some("ada"),
            "this one stays"
        );
    }
    assert_eq!(
        other.user(&app).await.as_deref(),
        Some("bob"),
        "another owner is untouched"
    );
}

#[tokio::test]
async fn log_out_everywhere_ends_this_cookie_too() {
    let key = Key::generate();
    let app = server(&key, Epochs::new(MemoryBackend::new(100), Duration::ZERO));
    let (mut laptop, mut phone) = (Browser::new(), Browser::new());
    laptop.log_in(&app, "ada").await;
    phone.log_in(&app, "ada").await;
    let kept = laptop.cookie.clone();
    laptop
        .visit(&app, async |a| a.revoke_all().await.unwrap())
        .await;
    assert_eq!(laptop.cookie, None, "the response removed the cookie");
    laptop.cookie = kept;
    assert_eq!(laptop.user(&app).await, None, "the old cookie is revoked");
    assert_eq!(phone.user(&app).await, None);
    phone.log_in(&app, "ada").await;
    assert_eq!(
        phone.user(&app).await.as_deref(),
        Some("ada"),
        "a new login works"
    );
}

#[tokio::test]
async fn another_server_sees_the_revocation_after_its_cache_interval() {
    let dir = TempDir::new();
    let key = Key::generate();
    let epochs = |cache| Epochs::new(FileBackend::open(dir.path()).unwrap(), cache);
    let (revoking, fresh, caching) = (
        server(&key, epochs(Duration::ZERO)),
        server(&key, epochs(Duration::ZERO)),
        server(&key, epochs(Duration::from_millis(300))),
    );
    let (mut laptop, mut phone) = (Browser::new(), Browser::new());
    laptop.log_in(&revoking, "ada").await;
    phone.log_in(&revoking, "ada").await;
    // The caching server reads ada's epoch now, and trusts it for a while.
    assert_eq!(phone.user(&caching).await.as_deref(), Some("ada"));
    laptop
        .visit(&revoking, async |a| a.revoke_others().await.unwrap())
        .await;
    let cookie = phone.cookie.clone();
    assert_eq!(
        phone.user(&fresh).await,
        None,
        "a server without a cache sees it at once"
    );
    // Within the interval the caching server may still load it (the
    // documented window; not asserted, as it depends on timing); after
    // it, never.
    tokio::time::sleep(Duration::from_millis(400)).await;
    phone.cookie = cookie;
    assert_eq!(phone.user(&caching).await, None, "after it, not any more");
    assert_eq!(laptop.user(&caching).await.as_deref(), Some("ada"));
}

#[tokio::test]
async fn cookies_sealed_without_epochs_load_as_fresh_sessions() {
    let key = Key::generate();
    let plain = Sessions::new(CookieStore::new(key.clone()));
    let revocable = server(&key, Epochs::new(MemoryBackend::new(100), Duration::ZERO));
    let mut browser = Browser::new();
    browser.log_in(&plain, "ada").await;
    let cookie = browser.cookie.clone();
    assert_eq!(
        browser.user(&revocable).await,
        None,
        "the other layout never opens"
    );
    browser.cookie = cookie;
    assert_eq!(browser.user(&plain).await.as_deref(), Some("ada"));
    let mut anonymous = Browser::new();
    anonymous
        .visit(&revocable, async |a| a.update(|d| d.visits = 1))
        .await;
    let visits = anonymous.visit(&revocable, async |a| a.visits()).await;
    assert_eq!(visits, 1, "sessions without an owner work as before");
}

#[tokio::test]
async fn epochs_only_go_up_and_start_at_zero() {
    let epochs = Epochs::new(MemoryBackend::new(100), Duration::from_mins(1));
    let ada = OwnerId::new("account", "ada");
    assert_eq!(epochs.current(&ada).await.unwrap(), 0);
    for expected in 1..=3 {
        assert_eq!(epochs.raise(&ada).await.unwrap(), expected);
    }
    assert_eq!(
        epochs.current(&ada).await.unwrap(),
        3,
        "a raise updates this server's cache"
    );
    let bob = OwnerId::new("account", "bob");
    assert_eq!(
        epochs.current(&bob).await.unwrap(),
        0,
        "epochs are per owner"
    );
}
