//! actix-web extractors: `Handle<T>`, `MapSession`, and (through the
//! derive) every generated session type.

use std::fmt;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError};

use super::headers::copy_in;
use crate::SessionData;
use crate::error::Error;
use crate::handle::Handle;
use crate::map::MapSession;
use crate::registry::Registry;
use crate::store::BoxFuture;

/// What the response says when the middleware is missing: a deployment
/// mistake worth naming.
const MISSING: &str =
    "session middleware missing: wrap the app in sessions::actix::SessionMiddleware";

/// Why a session could not be extracted: the middleware is missing, a
/// store is not registered, or a store failed. Answers `500` and logs the
/// cause; the body names only a missing middleware, other causes stay
/// private.
///
/// ```
/// use actix_web::ResponseError;
/// use sessions::actix::SessionError;
///
/// let missing = SessionError::from(sessions::Error::MissingRegistry);
/// assert!(missing.to_string().contains("SessionMiddleware"));
/// assert_eq!(missing.status_code(), 500);
/// assert!(matches!(missing.error(), sessions::Error::MissingRegistry));
/// ```
#[derive(Debug)]
pub struct SessionError(Error);

impl SessionError {
    /// The underlying error.
    ///
    /// ```
    /// let error = sessions::actix::SessionError::from(sessions::Error::MissingRegistry);
    /// assert!(matches!(error.error(), sessions::Error::MissingRegistry));
    /// ```
    #[must_use]
    pub fn error(&self) -> &Error {
        &self.0
    }
}

impl From<Error> for SessionError {
    fn from(error: Error) -> Self {
        Self(error)
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            // The core's message names the tower layer; under actix the
            // fix is the middleware.
            Error::MissingRegistry => f.write_str(MISSING),
            ref other => other.fmt(f),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl ResponseError for SessionError {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        tracing::error!(error = %self.0, "session extraction failed");
        let body = match self.0 {
            Error::MissingRegistry => MISSING,
            _ => "session unavailable",
        };
        HttpResponse::build(self.status_code()).body(body)
    }
}

/// What the core's loads read from an actix request, as `http` 1 parts:
/// the registry the middleware attached (if any) and the `Cookie` headers.
/// Nothing else crosses over.
pub(crate) fn parts_of(req: &HttpRequest) -> http::request::Parts {
    let (mut parts, ()) = http::Request::new(()).into_parts();
    if let Some(registry) = req.extensions().get::<Registry>() {
        parts.extensions.insert(registry.clone());
    }
    copy_in(req.headers(), "cookie", &mut parts.headers);
    parts
}

/// `FromRequest::Future` of every session extractor.
pub(crate) type Extract<S> = BoxFuture<'static, Result<S, SessionError>>;

impl<T: SessionData> FromRequest for Handle<T> {
    type Error = SessionError;
    type Future = Extract<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let load = Self::load_parts(&parts_of(req));
        Box::pin(async move { Ok(load.await?) })
    }
}

impl FromRequest for MapSession {
    type Error = SessionError;
    type Future = Extract<Self>;

    /// Loads the map session configured with
    /// [`Sessions::with_map_config`](crate::Sessions::with_map_config).
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parts = parts_of(req);
        let load = Registry::of(&parts.extensions)
            .map(|registry| Self::load_parts(&parts, registry.sessions().map_config()));
        Box::pin(async move { Ok(load?.await?) })
    }
}
