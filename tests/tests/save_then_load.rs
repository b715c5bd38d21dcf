//! What saves must load: a value the decoder would refuse is an error when
//! it is saved, on every store, never a session that silently starts afresh
//! on the next request.

use serde::{Deserialize, Serialize};
use sessions::{
    CookieStore, Error, Handle, Key, MemoryStore, SessionConfig, SessionData, Sessions,
};

/// A value nested as deep as the caller likes: each level is one CBOR map.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
enum Nest {
    #[default]
    Leaf,
    Deeper(Box<Nest>),
}

impl Nest {
    fn of_depth(depth: usize) -> Self {
        (0..depth).fold(Self::Leaf, |inner, _| Self::Deeper(Box::new(inner)))
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Tree {
    nest: Nest,
}

impl SessionData for Tree {
    const CONFIG: SessionConfig = SessionConfig::new("tree");
}

/// Saves a tree of `depth` in one request and loads it in the next.
async fn save_and_reload(sessions: &Sessions, depth: usize) -> sessions::Result<Option<Nest>> {
    let mut req = http::Request::new(());
    sessions.attach(&mut req);
    Handle::<Tree>::load(&req)
        .await?
        .update(|t| t.nest = Nest::of_depth(depth));
    let mut res = http::Response::new(());
    sessions::save(&req, &mut res).await?;
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    let pair = cookie
        .split(';')
        .next()
        .expect("a name=value pair")
        .to_owned();
    let mut next = http::Request::builder()
        .header("cookie", pair)
        .body(())
        .expect("request");
    sessions.attach(&mut next);
    let loaded = Handle::<Tree>::load(&next).await?;
    Ok((!loaded.is_new()).then(|| loaded.with(|t| t.nest.clone())))
}

#[tokio::test]
async fn a_value_too_deep_to_load_is_refused_at_save_on_every_store() {
    let key = Key::generate();
    let stores = [
        Sessions::new(CookieStore::new(key.clone())),
        Sessions::new(CookieStore::signed(key.clone())),
        Sessions::new(MemoryStore::new(key)),
    ];
    for sessions in &stores {
        // Shallow enough: it saves and loads back exactly.
        let shallow = save_and_reload(sessions, 20).await.expect("saves");
        assert_eq!(shallow, Some(Nest::of_depth(20)), "{sessions:?}");
        // Too deep for the decoder: a typed error at save, not a lost session.
        let err = save_and_reload(sessions, 40).await.unwrap_err();
        let Error::Save(errors) = err else {
            panic!("expected a save error, got {err:?}");
        };
        let [(name, cause)] = errors.failures() else {
            panic!("one failure expected: {errors:?}");
        };
        assert_eq!(*name, "tree");
        assert!(matches!(cause, Error::Encode(_)), "{cause:?}");
    }
}
