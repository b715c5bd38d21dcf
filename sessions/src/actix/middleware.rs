//! `SessionMiddleware`: the actix-web `Transform` that attaches a registry
//! to every request and saves the changed sessions into the response.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header as actix;
use actix_web::{HttpMessage as _, HttpResponse};

use super::headers::{copy_in, copy_out};
use crate::layer::SessionLayer;
use crate::registry::{Registry, Sessions};

/// actix-web middleware for sessions: [`SessionLayer`]'s rules under
/// actix-web 4.
///
/// Every request gets a fresh, empty set of sessions; after the handler
/// answers, every session it changed is saved (all at once, as the layer
/// does), one `Set-Cookie` line each in load order, with `Vary: Cookie`. When saving fails (a store
/// is down, a cookie is too large) the error is logged and the response is
/// replaced by an empty `500 Internal Server Error` that still carries the
/// `Set-Cookie` lines of the sessions that did save, so a completed renew or
/// destroy is never undone by the error.
///
/// Built from the same configuration as the tower layer:
///
/// ```
/// use sessions::actix::SessionMiddleware;
/// use sessions::{CookieStore, Key, MemoryStore, SessionLayer, Sessions};
///
/// let key = Key::generate();
/// let sessions = Sessions::new(CookieStore::new(key.clone()))
///     .with_store("memory", MemoryStore::new(key));
/// let from_sessions = SessionMiddleware::new(sessions.clone());
/// let from_layer = SessionMiddleware::from(SessionLayer::from(sessions));
/// assert!(from_sessions.sessions().has_store("memory"));
/// assert!(from_layer.sessions().has_store("memory"));
/// ```
#[derive(Clone, Debug)]
pub struct SessionMiddleware {
    sessions: Sessions,
}

impl SessionMiddleware {
    /// A middleware that gives every request a registry over `sessions`.
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, test, web};
    /// use sessions::actix::SessionMiddleware;
    /// use sessions::{CookieStore, Key, Sessions};
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let middleware = SessionMiddleware::new(Sessions::new(CookieStore::new(Key::generate())));
    /// let app = test::init_service(
    ///     App::new().wrap(middleware).route("/", web::get().to(HttpResponse::Ok)),
    /// )
    /// .await;
    /// // A handler that loads no session: nothing to say about sessions.
    /// let res = test::call_service(&app, test::TestRequest::get().to_request()).await;
    /// assert_eq!(res.status(), 200);
    /// assert!(!res.headers().contains_key("set-cookie") && !res.headers().contains_key("vary"));
    /// # });
    /// ```
    #[must_use]
    pub fn new(sessions: Sessions) -> Self {
        Self { sessions }
    }

    /// The stores this middleware uses.
    ///
    /// ```
    /// use sessions::{CookieStore, Key, Sessions, actix::SessionMiddleware};
    /// let middleware = SessionMiddleware::new(
    ///     Sessions::new(CookieStore::new(Key::generate()))
    ///         .with_store("signed", CookieStore::signed(Key::generate())),
    /// );
    /// assert!(middleware.sessions().has_store("signed"));
    /// ```
    #[must_use]
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }
}

impl From<Sessions> for SessionMiddleware {
    fn from(sessions: Sessions) -> Self {
        Self::new(sessions)
    }
}

impl From<SessionLayer> for SessionMiddleware {
    fn from(layer: SessionLayer) -> Self {
        Self::new(layer.sessions().clone())
    }
}

impl<S, B> Transform<S, ServiceRequest> for SessionMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = S::Error;
    type Transform = SessionMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionMiddlewareService {
            service: Rc::new(service),
            sessions: self.sessions.clone(),
        }))
    }
}

/// The service [`SessionMiddleware`] wraps around the app's service.
///
/// ```
/// use actix_web::{App, HttpResponse, test, web};
/// use sessions::actix::SessionMiddleware;
/// use sessions::{CookieStore, Key, MapSession, Sessions};
///
/// async fn remember(session: MapSession, query: web::Query<Vec<(String, String)>>) -> HttpResponse {
///     let note = query.iter().map(|(k, _)| k.as_str()).collect::<String>().repeat(1000);
///     session.insert("note", &note).unwrap();
///     HttpResponse::Ok().finish()
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let sessions = Sessions::new(CookieStore::new(Key::generate()));
/// let app = test::init_service(
///     App::new().wrap(SessionMiddleware::new(sessions)).route("/", web::get().to(remember)),
/// )
/// .await;
/// let res = test::call_service(&app, test::TestRequest::get().uri("/?a").to_request()).await;
/// assert!(res.status().is_success() && res.headers().contains_key("set-cookie"));
/// // A session that cannot be saved (here: too large for a cookie) fails the
/// // response rather than losing the session silently.
/// let res = test::call_service(&app, test::TestRequest::get().uri("/?abcde").to_request()).await;
/// assert_eq!(res.status(), 500);
/// # });
/// ```
pub struct SessionMiddlewareService<S> {
    service: Rc<S>,
    sessions: Sessions,
}

impl<S> std::fmt::Debug for SessionMiddlewareService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionMiddlewareService")
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for SessionMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let registry = Registry::new(self.sessions.clone());
        req.extensions_mut().insert(registry.clone());
        let response = self.service.call(req);
        Box::pin(async move {
            let res = response.await?;
            Ok(save(&registry, res).await)
        })
    }
}

/// Saves every changed session of the request into `res`, or replaces
/// `res` by the failure response.
///
/// The core writes into an `http` 1 header map that starts with the
/// handler's own `Vary` lines (so it adds `Cookie` only where it is
/// missing); what it added crosses over to the actix response.
async fn save<B>(
    registry: &Registry,
    mut res: ServiceResponse<B>,
) -> ServiceResponse<EitherBody<B>> {
    let mut written = http::Response::new(());
    copy_in(res.headers(), "vary", written.headers_mut());
    let vary_before = written.headers().get_all(http::header::VARY).iter().count();
    let saved = registry.save(&mut written).await;
    let headers = res.headers_mut();
    let complete = copy_out(written.headers(), "set-cookie", 0, headers)
        & copy_out(written.headers(), "vary", vary_before, headers);
    match saved {
        Ok(()) if complete => res.map_into_left_body(),
        Ok(()) => {
            tracing::error!("saving sessions failed: a header line did not convert to actix-web");
            failed_response(res)
        }
        Err(error) => {
            tracing::error!(%error, "saving sessions failed");
            failed_response(res)
        }
    }
}

/// The empty `500` that replaces a response whose sessions did not all
/// save. It keeps the `Set-Cookie` lines of the sessions that did: a renew
/// or destroy that reached the store must reach the browser too, or the
/// browser would keep a cookie that no longer leads anywhere.
fn failed_response<B>(res: ServiceResponse<B>) -> ServiceResponse<EitherBody<B>> {
    let (req, res) = res.into_parts();
    let mut failed = HttpResponse::new(StatusCode::INTERNAL_SERVER_ERROR);
    for name in [actix::SET_COOKIE, actix::VARY] {
        for value in res.headers().get_all(&name) {
            failed.headers_mut().append(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, failed).map_into_right_body()
}
