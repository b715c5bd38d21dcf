//! Item 3 of issue 6: a request through `SessionLayer` (load a derived
//! session, change a field, save) against the same service without the
//! layer, in-process.
//!
//! Three ways to send the request, all on a tokio current-thread runtime:
//! `oneshot` on the tower service (the service alone, as the issue asks),
//! and a keep-alive HTTP/1 connection between hyper's client and server,
//! over an in-memory pipe (a minimal hyper request: parsing and writing
//! the messages included) and over loopback TCP (what a server does).

use std::convert::Infallible;
use std::hint::black_box;
use std::net::Ipv4Addr;

use bytes::Bytes;
use criterion::Criterion;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use sessions::store::{Store, UnixTime};
use sessions::{CookieStore, Key, SessionLayer};
use sessions_benches::fixture::{COOKIE_NAME, Profile, ProfileSession};
use sessions_benches::ready;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tower::{Layer, Service, ServiceExt, service_fn};

type Body = Full<Bytes>;

/// The minimal handler: no session.
async fn bare<B>(_req: Request<B>) -> Result<Response<Body>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
}

/// Loads the session, changes a field; the layer saves it.
async fn touch<B>(req: Request<B>) -> Result<Response<Body>, Infallible> {
    let session = ProfileSession::load(&req)
        .await
        .expect("the layer attached a registry");
    session.set_updated_at(session.updated_at() + 1);
    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
}

/// Stores the representative session; the layer saves it.
async fn login<B>(req: Request<B>) -> Result<Response<Body>, Infallible> {
    let session = ProfileSession::load(&req)
        .await
        .expect("the layer attached a registry");
    session.replace(Profile::representative());
    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
}

fn request<B: Default>(cookie: &HeaderValue) -> Request<B> {
    Request::builder()
        .uri("/account")
        .header(COOKIE, cookie.clone())
        .body(B::default())
        .expect("a valid request")
}

/// The `name=value` part of the `Set-Cookie` of `res`.
fn cookie_of<B>(res: &Response<B>) -> HeaderValue {
    let line = res
        .headers()
        .get(SET_COOKIE)
        .expect("a changed session sends Set-Cookie")
        .to_str()
        .expect("Set-Cookie is ASCII");
    let pair = line.split(';').next().expect("split yields one item");
    HeaderValue::from_str(pair).expect("a valid cookie pair")
}

/// The session the cookie `pair` carries, opened by `store`.
fn profile_in(store: &CookieStore, pair: &HeaderValue) -> Profile {
    let value = pair
        .to_str()
        .expect("ASCII")
        .strip_prefix("user=")
        .expect("the user cookie");
    let loaded = ready(store.load(COOKIE_NAME, value, UnixTime::now()))
        .expect("the cookie store does not fail")
        .expect("the cookie opens");
    let (_, profile): (bool, Profile) =
        ciborium::from_reader(loaded.payload()).expect("the payload decodes");
    profile
}

/// How the hyper client reaches the server.
#[derive(Clone, Copy)]
enum Transport {
    /// An in-memory pipe: hyper's parsing and writing, no kernel.
    Pipe,
    /// A loopback TCP connection (`TCP_NODELAY`), as a real server has.
    Tcp,
}

/// A hyper HTTP/1 client connected to `service`, keep-alive.
async fn connect<S>(service: S, transport: Transport) -> SendRequest<Body>
where
    S: Service<Request<Incoming>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let server = hyper::server::conn::http1::Builder::new();
    let service = TowerToHyperService::new(service);
    match transport {
        Transport::Pipe => {
            let (client, server_io) = tokio::io::duplex(64 * 1024);
            tokio::spawn(server.serve_connection(TokioIo::new(server_io), service));
            handshake(client).await
        }
        Transport::Tcp => {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .expect("a loopback port");
            let address = listener.local_addr().expect("a bound address");
            let client = TcpStream::connect(address)
                .await
                .expect("the server accepts");
            let (server_io, _) = listener.accept().await.expect("a connection");
            client.set_nodelay(true).expect("TCP_NODELAY");
            server_io.set_nodelay(true).expect("TCP_NODELAY");
            tokio::spawn(server.serve_connection(TokioIo::new(server_io), service));
            handshake(client).await
        }
    }
}

async fn handshake<T>(io: T) -> SendRequest<Body>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .expect("the HTTP/1 handshake succeeds");
    tokio::spawn(connection);
    sender
}

async fn send(sender: &mut SendRequest<Body>, req: Request<Body>) -> (Option<HeaderValue>, Bytes) {
    sender.ready().await.expect("the connection is alive");
    let res = sender.send_request(req).await.expect("the server answers");
    let cookie = res.headers().get(SET_COOKIE).cloned();
    let body = res
        .into_body()
        .collect()
        .await
        .expect("the body arrives")
        .to_bytes();
    (cookie, body)
}

pub(crate) fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let store = CookieStore::new(Key::generate());
    let layer = SessionLayer::new(store.clone());

    // A valid session cookie carrying the representative session.
    let res = rt
        .block_on(
            layer
                .layer(service_fn(login))
                .oneshot(Request::new(Body::default())),
        )
        .expect("infallible");
    let cookie = cookie_of(&res);
    assert_eq!(profile_in(&store, &cookie), Profile::representative());

    let bare_service = service_fn(bare::<Body>);
    let idle_service = layer.layer(service_fn(bare::<Body>));
    let touch_service = layer.layer(service_fn(touch::<Body>));

    // The measured request really loads, changes and saves the session.
    let res = rt
        .block_on(touch_service.clone().oneshot(request(&cookie)))
        .expect("infallible");
    let mut expected = Profile::representative();
    expected.updated_at += 1;
    assert_eq!(profile_in(&store, &cookie_of(&res)), expected);

    let mut group = c.benchmark_group("layer");
    group.bench_function("oneshot/bare", |b| {
        b.iter(|| rt.block_on(bare_service.oneshot(black_box(request(&cookie)))));
    });
    group.bench_function("oneshot/layer-untouched", |b| {
        b.iter(|| rt.block_on(idle_service.clone().oneshot(black_box(request(&cookie)))));
    });
    group.bench_function("oneshot/layer-session", |b| {
        b.iter(|| rt.block_on(touch_service.clone().oneshot(black_box(request(&cookie)))));
    });
    for (name, transport) in [("hyper", Transport::Pipe), ("tcp", Transport::Tcp)] {
        hyper_pair(&rt, &mut group, name, transport, &layer, &cookie);
    }
    group.finish();
}

/// The same request through hyper's HTTP/1 client and server.
fn hyper_pair(
    rt: &Runtime,
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    transport: Transport,
    layer: &SessionLayer,
    cookie: &HeaderValue,
) {
    let mut bare_client = rt.block_on(connect(service_fn(bare::<Incoming>), transport));
    let touch_service = layer.layer(service_fn(touch::<Incoming>));
    let mut touch_client = rt.block_on(connect(touch_service, transport));
    let (set, body) = rt.block_on(send(&mut touch_client, request(cookie)));
    assert!(
        set.is_some() && body == "ok",
        "the session is saved over hyper"
    );
    let (set, body) = rt.block_on(send(&mut bare_client, request(cookie)));
    assert!(set.is_none() && body == "ok", "the bare service answers");

    group.bench_function(format!("{name}/bare"), |b| {
        b.iter(|| rt.block_on(send(&mut bare_client, black_box(request(cookie)))));
    });
    group.bench_function(format!("{name}/layer-session"), |b| {
        b.iter(|| rt.block_on(send(&mut touch_client, black_box(request(cookie)))));
    });
}
