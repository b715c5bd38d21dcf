//! Two tabs, one session: overlapping requests that change different
//! fields keep every change, concurrent flash pushes all survive, a flash
//! taken by many requests at once goes to one of them, and a field two
//! requests changed goes to the later save, or fails it when the session
//! asks for that.

use std::future::Future;
use std::sync::Arc;

use http::Request;
use serde::{Deserialize, Serialize};
use sessions::store::{Backend, ServerStore};
use sessions::{Error, Key, Session, Sessions};
use tokio::sync::Barrier;

/// How many requests overlap in these cases.
const REQUESTS: usize = 20;

/// How many requests take one flash at once.
const TAKERS: usize = 10;

/// A session whose every request changes its own field.
#[derive(Session, Serialize, Deserialize, Default, Clone, Debug)]
#[session(name = "conformance-wide")]
pub(crate) struct Wide {
    f: Vec<u32>,
    // Renamed, as the merge must find flashes by the keys serde writes.
    #[session(flash)]
    #[serde(rename = "messages")]
    notices: Vec<u32>,
    a: u32,
    b: u32,
    c: u32,
    d: u32,
    e: u32,
    g: u32,
    h: u32,
    i: u32,
    j: u32,
    k: u32,
    l: u32,
    m: u32,
    n: u32,
    o: u32,
    p: u32,
    q: u32,
    r: u32,
    s: u32,
    t: u32,
    u: u32,
}

impl Wide {
    /// Field number `i` of twenty.
    fn field(&mut self, i: usize) -> &mut u32 {
        let fields = [
            &mut self.a,
            &mut self.b,
            &mut self.c,
            &mut self.d,
            &mut self.e,
            &mut self.g,
            &mut self.h,
            &mut self.i,
            &mut self.j,
            &mut self.k,
            &mut self.l,
            &mut self.m,
            &mut self.n,
            &mut self.o,
            &mut self.p,
            &mut self.q,
            &mut self.r,
            &mut self.s,
            &mut self.t,
            &mut self.u,
        ];
        fields.into_iter().nth(i).expect("twenty fields")
    }
}

/// The same shape of session, asking for an error when two requests
/// change one field.
#[derive(Session, Serialize, Deserialize, Default, Clone, Debug)]
#[session(name = "conformance-strict", on_conflict = "error")]
pub(crate) struct Strict {
    x: u32,
    y: u32,
}

/// Requests against a registry on the store under test.
struct Browser {
    sessions: Sessions,
}

impl Browser {
    fn new<B: Backend>(store: ServerStore<B>) -> Arc<Self> {
        Arc::new(Self {
            sessions: Sessions::new(store),
        })
    }

    fn request(&self, cookie: Option<&str>) -> Request<()> {
        let mut req = Request::new(());
        if let Some(cookie) = cookie {
            let header = cookie.parse().expect("a cookie is a header value");
            req.headers_mut().insert(http::header::COOKIE, header);
        }
        self.sessions.attach(&mut req);
        req
    }
}

/// Saves the request's sessions; the `name=value` it set, if any.
async fn save(req: &Request<()>) -> sessions::Result<Option<String>> {
    let mut res = http::Response::new(());
    sessions::save(req, &mut res).await?;
    let Some(line) = res.headers().get(http::header::SET_COOKIE) else {
        return Ok(None);
    };
    let line = line.to_str().expect("Set-Cookie is ASCII");
    Ok(line.split(';').next().map(str::to_owned))
}

/// A new `Wide` session changed by `change`; the cookie that loads it.
async fn start_wide(browser: &Browser, change: impl FnOnce(&WideSession)) -> String {
    let req = browser.request(None);
    let session = WideSession::load(&req).await.expect("a new session loads");
    change(&session);
    save(&req).await.expect("saves").expect("sets a cookie")
}

/// Runs `request` in `count` tasks that start together once each loaded
/// the session behind `cookie`; their results, in task order.
async fn together<T, F, Fut>(
    browser: &Arc<Browser>,
    cookie: &str,
    count: usize,
    request: F,
) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize, WideSession, Request<()>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(count));
    let request = Arc::new(request);
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let (browser, barrier, request) = (
                Arc::clone(browser),
                Arc::clone(&barrier),
                Arc::clone(&request),
            );
            let cookie = cookie.to_owned();
            tokio::spawn(async move {
                let req = browser.request(Some(&cookie));
                let session = WideSession::load(&req).await.expect("the session loads");
                assert!(!session.is_new(), "the session is live in every request");
                barrier.wait().await;
                request(i, session, req).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("a request panicked"));
    }
    results
}

/// Twenty requests load one session, then each changes its own field and
/// saves at once: all twenty changes remain.
pub async fn store_concurrent_changes_of_different_fields_all_survive<B: Backend>(
    _key: Key,
    store: ServerStore<B>,
) {
    let browser = Browser::new(store);
    let cookie = start_wide(&browser, |s| s.update(|w| w.f = vec![1])).await;
    together(&browser, &cookie, REQUESTS, |i, session, req| async move {
        session.update(|w| *w.field(i) = u32::try_from(i).expect("small") + 1);
        save(&req).await.expect("every save succeeds, merged")
    })
    .await;
    let req = browser.request(Some(&cookie));
    let mut data = WideSession::load(&req).await.expect("loads").get();
    for i in 0..REQUESTS {
        assert_eq!(
            *data.field(i),
            u32::try_from(i).expect("small") + 1,
            "field {i} kept its change"
        );
    }
    assert_eq!(data.f, [1], "a field nobody changed is untouched");
}

/// Twenty requests each push a flash at once: all twenty are there.
pub async fn store_concurrent_flash_pushes_all_survive<B: Backend>(
    _key: Key,
    store: ServerStore<B>,
) {
    let browser = Browser::new(store);
    let cookie = start_wide(&browser, |s| s.update(|w| w.a = 1)).await;
    together(&browser, &cookie, REQUESTS, |i, session, req| async move {
        session.push_notices(u32::try_from(i).expect("small"));
        save(&req).await.expect("every save succeeds, merged")
    })
    .await;
    let req = browser.request(Some(&cookie));
    let mut all = WideSession::load(&req)
        .await
        .expect("loads")
        .take_notices()
        .await
        .expect("takes");
    all.sort_unstable();
    let expected: Vec<u32> = (0..REQUESTS)
        .map(|i| u32::try_from(i).expect("small"))
        .collect();
    assert_eq!(all, expected, "every push survived");
}

/// Ten requests take one session's flashes at the same moment: each
/// message goes to exactly one of them.
pub async fn store_concurrent_takes_show_each_flash_once<B: Backend>(
    _key: Key,
    store: ServerStore<B>,
) {
    let browser = Browser::new(store);
    let messages: Vec<u32> = (100..110).collect();
    let pushed = messages.clone();
    let cookie = start_wide(&browser, move |s| {
        for m in pushed {
            s.push_notices(m);
        }
    })
    .await;
    let taken = together(&browser, &cookie, TAKERS, |_, session, req| async move {
        let taken = session.take_notices().await.expect("the take succeeds");
        save(&req).await.expect("the save succeeds");
        taken
    })
    .await;
    let mut shown: Vec<u32> = taken.into_iter().flatten().collect();
    shown.sort_unstable();
    assert_eq!(shown, messages, "each flash shown once, none lost");
    let req = browser.request(Some(&cookie));
    let left = WideSession::load(&req)
        .await
        .expect("loads")
        .take_notices()
        .await
        .expect("takes");
    assert!(left.is_empty(), "no flash comes back: {left:?}");
}

/// Two requests load a session and change the same field; the later save
/// wins that field and keeps the other request's other change.
pub async fn store_same_field_goes_to_the_later_save<B: Backend>(_key: Key, store: ServerStore<B>) {
    let browser = Browser::new(store);
    let cookie = start_wide(&browser, |s| s.update(|w| w.a = 1)).await;
    let (first, second) = (
        browser.request(Some(&cookie)),
        browser.request(Some(&cookie)),
    );
    let one = WideSession::load(&first).await.expect("loads");
    let two = WideSession::load(&second).await.expect("loads");
    one.update(|w| (w.a, w.b) = (10, 20));
    two.update(|w| (w.a, w.c) = (11, 30));
    save(&first).await.expect("the first save");
    save(&second).await.expect("the later save merges");
    let req = browser.request(Some(&cookie));
    let data = WideSession::load(&req).await.expect("loads").get();
    assert_eq!((data.a, data.b, data.c), (11, 20, 30));
}

/// The same under `on_conflict = "error"`: the later save fails with
/// `Error::Conflict` naming the field, and writes nothing.
pub async fn store_same_field_conflict_is_an_error_when_asked<B: Backend>(
    _key: Key,
    store: ServerStore<B>,
) {
    let browser = Browser::new(store);
    let req = browser.request(None);
    StrictSession::load(&req).await.expect("loads").set_x(1);
    let cookie = save(&req).await.expect("saves").expect("a cookie");
    let (first, second) = (
        browser.request(Some(&cookie)),
        browser.request(Some(&cookie)),
    );
    let one = StrictSession::load(&first).await.expect("loads");
    let two = StrictSession::load(&second).await.expect("loads");
    one.set_x(2);
    two.set_x(3);
    two.set_y(4);
    save(&first).await.expect("the first save");
    let err = save(&second).await.expect_err("the later save conflicts");
    let Error::Save(failures) = &err else {
        panic!("a save error, got {err:?}")
    };
    assert!(
        matches!(&failures.failures()[0].1, Error::Conflict { field, .. } if field == "x"),
        "{err:?}"
    );
    let req = browser.request(Some(&cookie));
    let data = StrictSession::load(&req).await.expect("loads").get();
    assert_eq!(
        (data.x, data.y),
        (2, 0),
        "nothing of the failed save was written"
    );
}
