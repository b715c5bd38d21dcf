//! `SessionLayer`: tower middleware that attaches a registry to every
//! request and saves the changed sessions into the response.

use std::task::{Context, Poll};

use http::header::{SET_COOKIE, VARY};
use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::registry::Sessions;
use crate::store::{BoxFuture, Store};

/// Tower layer for sessions.
///
/// Every request gets a fresh, empty set of sessions; after the
/// inner service answers, every session it changed is saved, one
/// `Set-Cookie` line each, with `Vary: Cookie`. When saving fails (a store
/// is down, a cookie is too large) the error is logged and the response is
/// replaced by an empty `500 Internal Server Error`: a response that looks
/// successful but lost its session would be worse. The `500` still carries
/// the `Set-Cookie` lines of the sessions that did save, so a completed
/// renew or destroy is never undone by the error.
///
/// ```
/// use sessions::{CookieStore, Key, SessionLayer};
///
/// let key = Key::generate();
/// let layer = SessionLayer::new(CookieStore::new(key.clone()))
///     .with_store("signed", CookieStore::signed(key));
/// assert!(layer.sessions().has_store("signed"));
/// ```
#[derive(Clone, Debug)]
pub struct SessionLayer {
    sessions: Sessions,
}

impl SessionLayer {
    /// A layer whose default store is `store`.
    ///
    /// ```
    /// let layer = sessions::SessionLayer::new(sessions::CookieStore::new(sessions::Key::generate()));
    /// assert!(!layer.sessions().has_store("files"));
    /// ```
    #[must_use]
    pub fn new(store: impl Store) -> Self {
        Self::from(Sessions::new(store))
    }

    /// Registers a named store, for `#[session(store = "name")]`.
    ///
    /// ```
    /// use sessions::{CookieStore, Key, SessionLayer};
    /// let layer = SessionLayer::new(CookieStore::new(Key::generate()))
    ///     .with_store("b", CookieStore::new(Key::generate()));
    /// assert!(layer.sessions().has_store("b"));
    /// ```
    #[must_use]
    pub fn with_store(self, name: &'static str, store: impl Store) -> Self {
        Self::from(self.sessions.with_store(name, store))
    }

    /// Sets the [`MapSession`](crate::MapSession) that extractors load.
    ///
    /// ```
    /// use sessions::{CookieStore, Key, SessionConfig, SessionLayer};
    /// let layer = SessionLayer::new(CookieStore::new(Key::generate()))
    ///     .with_map_config(SessionConfig::new("flash"))?;
    /// assert_eq!(layer.sessions().map_config().name(), "flash");
    /// assert!(layer.with_map_config(SessionConfig::new("no spaces")).is_err());
    /// # Ok::<(), sessions::Error>(())
    /// ```
    pub fn with_map_config(self, config: crate::SessionConfig) -> crate::Result<Self> {
        self.sessions.with_map_config(config).map(Self::from)
    }

    /// The stores this layer uses.
    ///
    /// ```
    /// use sessions::{CookieStore, Key, SessionLayer};
    /// let layer = SessionLayer::new(CookieStore::new(Key::generate()))
    ///     .with_store("signed", CookieStore::signed(Key::generate()));
    /// assert!(layer.sessions().has_store("signed"));
    /// ```
    #[must_use]
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }
}

impl From<Sessions> for SessionLayer {
    fn from(sessions: Sessions) -> Self {
        Self { sessions }
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            sessions: self.sessions.clone(),
        }
    }
}

/// The service [`SessionLayer`] wraps around an inner service.
///
/// ```
/// use std::future::poll_fn;
/// use axum::{body::Body, extract::Request, routing::any};
/// use sessions::{CookieStore, Key, MapSession, SessionLayer, SessionService};
/// use tower_layer::Layer as _;
/// use tower_service::Service;
///
/// async fn remember(req: Request) -> &'static str {
///     let session = MapSession::load(&req, sessions::DEFAULT_MAP_CONFIG).await.unwrap();
///     let note = req.uri().query().unwrap_or_default().repeat(1000);
///     session.insert("note", &note).unwrap();
///     "noted"
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let layer = SessionLayer::new(CookieStore::new(Key::generate()));
/// let mut service: SessionService<_> = layer.layer(any(remember));
/// let mut call = async |uri: &str| {
///     poll_fn(|cx| Service::<Request>::poll_ready(&mut service, cx)).await?;
///     service.call(Request::get(uri).body(Body::empty()).unwrap()).await
/// };
///
/// let res = call("/?a").await?;
/// assert!(res.status().is_success() && res.headers().contains_key("set-cookie"));
/// // A session that cannot be saved (here: too large for a cookie) fails the
/// // response rather than losing the session silently.
/// let res = call("/?abcde").await?;
/// assert_eq!(res.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
/// # Ok::<(), std::convert::Infallible>(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct SessionService<S> {
    inner: S,
    sessions: Sessions,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let registry = self.sessions.attach_registry(&mut req);
        let response = self.inner.call(req);
        Box::pin(async move {
            let mut res = response.await?;
            match registry.save(&mut res).await {
                Ok(()) => Ok(res),
                Err(error) => {
                    tracing::error!(%error, "saving sessions failed");
                    Ok(failed_response(&res))
                }
            }
        })
    }
}

/// The empty `500` that replaces a response whose sessions did not all
/// save. It keeps the `Set-Cookie` lines of the sessions that did: a renew
/// or destroy that reached the store must reach the browser too, or the
/// browser would keep a cookie that no longer leads anywhere.
fn failed_response<B: Default>(res: &Response<B>) -> Response<B> {
    let mut failed = Response::new(B::default());
    *failed.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    for name in [SET_COOKIE, VARY] {
        for value in res.headers().get_all(&name) {
            failed.headers_mut().append(name.clone(), value.clone());
        }
    }
    failed
}
