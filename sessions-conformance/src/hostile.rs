//! What a client can send: malformed ids, bogus and tampered cookies, ids
//! it chose, cookies issued for another name, by another kind of store or
//! with another key. None of them loads, none is an error, and none is
//! ever adopted as an id.

use sessions::store::{Backend, ID_LEN, ID_TEXT_LEN, ServerStore, SessionId, Store, UnixTime};
use sessions::{CookieStore, Error, Key, Sessions};

use super::harness::{Elsewhere, Harness, Plain, Policy as _, Visit};

const NAME: &str = "conformance";

/// Texts that are not session ids: path tricks, NUL, wrong lengths, wrong
/// alphabet, non-canonical base64.
fn bad_ids() -> Vec<String> {
    let good = SessionId::generate().to_string();
    let canonical = SessionId::from_bytes(&[0; ID_LEN])
        .expect("32 bytes")
        .to_string();
    vec![
        String::new(),
        "../x".to_owned(),
        format!("../{}", &good[3..]),
        "/abs".to_owned(),
        format!("/{}", &good[1..]),
        format!("{}\0", &good[1..]),
        format!("{good}A"),
        "A".repeat(10_000),
        good[1..].to_owned(),
        format!("{}+", &good[1..]),
        format!("{}/", &good[1..]),
        format!("{}=", &good[1..]),
        format!("{}.", &good[1..]),
        format!("{} ", &good[1..]),
        format!("{}é", &good[2..]),
        format!("{}B", &canonical[..ID_TEXT_LEN - 1]),
    ]
}

/// `SessionId`'s parser, the gate in front of every path and key a
/// backend builds, accepts canonical ids only.
#[allow(clippy::unused_async, reason = "every case has one signature")]
pub async fn session_id_parse_rejects_malformed_text<B: Backend>(
    _key: Key,
    _store: ServerStore<B>,
) {
    for text in bad_ids() {
        assert!(
            matches!(text.parse::<SessionId>(), Err(Error::InvalidId)),
            "{text:?} must not parse as a session id"
        );
    }
    let id = SessionId::generate();
    let text = id.to_string();
    assert_eq!(text.len(), ID_TEXT_LEN);
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(
        text.parse::<SessionId>().ok(),
        Some(id),
        "an id's text parses back"
    );
}

/// Bogus, tampered and truncated cookie values load as `Ok(None)`: not an
/// error, not a session. So does the bare text of a live id.
pub async fn store_rejects_bogus_cookies<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let id = h.id::<Plain>(&cookie).await;
    let mut values = bad_ids();
    values.extend([
        id.to_string(),
        cookie[..cookie.len() - 1].to_owned(),
        format!("{cookie}A"),
        format!("{cookie}\0"),
        flip(&cookie, 0),
        flip(&cookie, cookie.len() / 2),
        flip(&cookie, cookie.len() - 1),
        "x".repeat(5000),
    ]);
    for value in &values {
        let loaded = Store::load(&*h.store, NAME, value, UnixTime::now()).await;
        match loaded {
            Ok(None) => {}
            other => panic!("cookie {value:?} must load as Ok(None), got {other:?}"),
        }
    }
    assert!(
        h.load(NAME, &cookie).await.is_some(),
        "the real cookie still loads"
    );
}

/// The cookie with the character at `at` replaced by another base64url one.
fn flip(cookie: &str, at: usize) -> String {
    let mut bytes = cookie.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("base64url is ASCII")
}

/// A client-chosen value in the `Cookie` header, even the text of a live
/// id, gives a new session whose id is the store's, and leaves the live
/// record alone.
pub async fn store_never_adopts_a_client_value<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let id = h.id::<Plain>(&cookie).await;
    let before = h.record(&id).await;
    let planted = [id.to_string(), "../x".to_owned(), "A".repeat(ID_TEXT_LEN)];
    for value in &planted {
        let exchange = h.visit::<Plain>(Some(value)).await;
        assert!(
            exchange.session.is_new(),
            "{value:?} must give a new session"
        );
        exchange.session.update(|v| v.count = 7);
        let new = exchange.reply().await.cookie();
        let new_id = h.id::<Plain>(&new).await;
        assert_ne!(new_id, id, "a client-chosen id must never be adopted");
        assert_ne!(
            new_id.to_string(),
            *value,
            "a client-chosen id must never be adopted"
        );
    }
    assert_eq!(h.record(&id).await, before, "the live record is untouched");
}

/// A cookie opens only under the cookie name it was issued for, both ways.
pub async fn store_binds_the_cookie_name<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let cookie = h.start(Visit::<Plain>::new(1, "a")).await;
    let other = Elsewhere::CONFIG.name();
    assert!(
        h.load(other, &cookie).await.is_none(),
        "a cookie must not open under another name"
    );
    let exchange = h.visit::<Elsewhere>(Some(&cookie)).await;
    assert!(
        exchange.session.is_new(),
        "a cookie of another name gives a new session"
    );

    let elsewhere = h.start(Visit::<Elsewhere>::new(2, "b")).await;
    assert!(h.load(other, &elsewhere).await.is_some(), "control");
    assert!(
        h.load(NAME, &elsewhere).await.is_none(),
        "a live id issued for another name must not open"
    );
}

/// A cookie of another store kind with the same key does not open, even
/// when the id it carries is live in this store's backend; nor does a
/// cookie of the cookie store under the same key and name.
pub async fn store_binds_the_store_kind<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let own = h.backend().kind();
    for kind in ["memory", "files", "redis", "sqlite", "other"] {
        if kind == own {
            continue;
        }
        let twin = h.twin(kind, h.key.clone());
        let cookie = twin.start(Visit::<Plain>::new(1, "a")).await;
        let id = twin.id::<Plain>(&cookie).await;
        assert!(h.record(&id).await.is_some(), "control: the id is live");
        assert!(
            h.load(NAME, &cookie).await.is_none(),
            "a cookie of store kind {kind:?} must not open"
        );
        assert!(h.visit::<Plain>(Some(&cookie)).await.session.is_new());
    }

    let value = cookie_store_value(&h.key).await;
    assert!(
        h.load(NAME, &value).await.is_none(),
        "a cookie store's cookie must not open"
    );
    assert!(h.visit::<Plain>(Some(&value)).await.session.is_new());
}

/// A session saved by a cookie store under `key`: its cookie value.
async fn cookie_store_value(key: &Key) -> String {
    let sessions = Sessions::new(CookieStore::new(key.clone()));
    let mut req = http::Request::new(());
    sessions.attach(&mut req);
    let session = sessions::Handle::<Visit<Plain>>::load(&req)
        .await
        .expect("loads");
    session.update(|v| v.count = 1);
    let mut res = http::Response::new(());
    sessions::save(&req, &mut res)
        .await
        .expect("the cookie store saves");
    let line = res.headers()["set-cookie"].to_str().expect("ASCII");
    let pair = line.split(';').next().and_then(|p| p.split_once('='));
    pair.expect("name=value").1.to_owned()
}

/// A cookie sealed with another key does not open, even when the id it
/// carries is live in this store's backend, and gives a new session under
/// a new id.
pub async fn store_rejects_other_keys<B: Backend>(key: Key, store: ServerStore<B>) {
    let h = Harness::new(key, store);
    let twin = h.twin(h.backend().kind(), Key::generate());
    let cookie = twin.start(Visit::<Plain>::new(1, "a")).await;
    let id = twin.id::<Plain>(&cookie).await;
    assert!(h.record(&id).await.is_some(), "control: the id is live");
    assert!(
        h.load(NAME, &cookie).await.is_none(),
        "another key's cookie must not open"
    );
    let exchange = h.visit::<Plain>(Some(&cookie)).await;
    assert!(
        exchange.session.is_new(),
        "another key's cookie gives a new session"
    );
    exchange.session.update(|v| v.count = 3);
    let new_id = h.id::<Plain>(&exchange.reply().await.cookie()).await;
    assert_ne!(
        new_id, id,
        "an id sealed with another key must never be adopted"
    );
    let kept = twin.data::<Plain>(&cookie).await;
    assert_eq!(
        kept,
        Some(Visit::new(1, "a")),
        "the other store's session is untouched"
    );
}
