//! Plain hyper without tower: `Sessions::attach` before the handler, then
//! one session's own `save` or the batch `sessions::save` after it, over
//! real HTTP with a browser-like cookie jar.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::SET_COOKIE;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use sessions::{CookieStore, Key, Session};
use sessions_tests::{Client, Reply, serve};

/// A counter with no timeout, for the plain hyper service.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "counter")]
struct Counter {
    count: u32,
}

/// Sessions that do not fit in a cookie once filled.
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "big")]
struct Big {
    blob: String,
}

/// See [`Big`].
#[derive(Session, Serialize, Deserialize, Default)]
#[session(name = "huge")]
struct Huge {
    blob: String,
}

type Body = Full<Bytes>;

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut res = Response::new(Full::from(body));
    *res.status_mut() = status;
    res
}

fn set_cookie_lines(reply: &Reply) -> usize {
    reply.headers.get_all(SET_COOKIE).iter().count()
}

/// Plain hyper: `Sessions::attach` before the handler, a save after it.
async fn plain(
    sessions: &sessions::Sessions,
    mut req: Request<Incoming>,
) -> sessions::Result<Response<Body>> {
    sessions.attach(&mut req);
    let counter = CounterSession::load(&req).await?;
    counter.update(|c| c.count += 1);
    let mut res = text(StatusCode::OK, format!("count: {}\n", counter.count()));
    match req.uri().path() {
        "/one" => counter.save(&mut res).await?,
        "/both" => {
            counter.save(&mut res).await?;
            sessions::save(&req, &mut res).await?;
        }
        "/too-big" => return oversized(&req, res).await,
        _ => sessions::save(&req, &mut res).await?,
    }
    Ok(res)
}

/// Two sessions too large for a cookie after a good one: the batch save
/// reports both failures and still sends the good cookie.
async fn oversized(
    req: &Request<Incoming>,
    mut res: Response<Body>,
) -> sessions::Result<Response<Body>> {
    BigSession::load(req).await?.set_blob("x".repeat(5000));
    HugeSession::load(req).await?.set_blob("y".repeat(6000));
    let Err(sessions::Error::Save(errors)) = sessions::save(req, &mut res).await else {
        return Ok(text(StatusCode::OK, "saved\n".to_owned()));
    };
    let failures: Vec<String> = errors
        .failures()
        .iter()
        .map(|(name, error)| {
            let too_large = matches!(error, sessions::Error::CookieTooLarge { .. });
            format!("{name} too large: {too_large}")
        })
        .collect();
    let mut failed = text(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("{}\n", failures.join("\n")),
    );
    *failed.headers_mut() = res.headers().clone();
    Ok(failed)
}

#[tokio::test]
async fn plain_hyper_attaches_and_saves_without_tower() {
    let sessions = sessions::Sessions::new(CookieStore::new(Key::generate()));
    let server = serve(hyper::service::service_fn(move |req| {
        let sessions = sessions.clone();
        async move {
            let res = plain(&sessions, req).await;
            Ok::<_, Infallible>(res.unwrap_or_else(|err| {
                text(StatusCode::INTERNAL_SERVER_ERROR, format!("error: {err}"))
            }))
        }
    }))
    .await;
    let mut browser = Client::new(server.addr());

    // `/one` saves the session alone; `/both` saves it alone, then in a
    // batch that must not write it twice.
    for (path, count) in [("/", 1), ("/", 2), ("/one", 3), ("/both", 4), ("/", 5)] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert!(reply.has_line(&format!("count: {count}")), "{}", reply.body);
        assert!(reply.set_cookie("counter").is_some(), "{reply:?}");
        assert_eq!(set_cookie_lines(&reply), 1, "{reply:?}");
        assert_eq!(reply.vary_cookie_count(), 1, "{reply:?}");
    }

    let reply = browser.get("/too-big").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{reply:?}");
    assert!(reply.has_line("big too large: true"), "{}", reply.body);
    assert!(reply.has_line("huge too large: true"), "{}", reply.body);
    assert_eq!(set_cookie_lines(&reply), 1, "{reply:?}");
    assert!(reply.set_cookie("counter").is_some(), "{reply:?}");
    assert!(browser.get("/").await.has_line("count: 7"));
    server.shutdown().await;
}
