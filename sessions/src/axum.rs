//! axum extractors (feature `axum`).
//!
//! Every derived session type, [`Handle<T>`](crate::Handle) and
//! [`MapSession`](crate::MapSession) can be a handler argument when the
//! router is wrapped in [`SessionLayer`](crate::SessionLayer):
//!
//! ```
//! use axum::{Router, routing::get};
//! use serde::{Deserialize, Serialize};
//! use sessions::{CookieStore, Key, Session, SessionLayer};
//!
//! #[derive(Session, Serialize, Deserialize, Default)]
//! struct Visits {
//!     count: u64,
//! }
//!
//! async fn count(visits: VisitsSession) -> String {
//!     visits.update(|v| v.count += 1);
//!     visits.count().to_string()
//! }
//!
//! let app: Router = Router::new()
//!     .route("/", get(count))
//!     .layer(SessionLayer::new(CookieStore::new(Key::generate())));
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use tower::ServiceExt as _;
//! let res = app.oneshot(http::Request::new(axum::body::Body::empty())).await.unwrap();
//! assert_eq!(res.status(), 200);
//! assert!(res.headers()["set-cookie"].to_str().unwrap().starts_with("visits="));
//! # });
//! ```

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::SessionData;
use crate::error::Error;
use crate::handle::Handle;
use crate::map::MapSession;
use crate::registry::Registry;

/// Why a session could not be extracted: the layer is missing, a store
/// is not registered, or a store failed. Answers `500` and logs the cause.
///
/// ```
/// use axum_core::response::IntoResponse;
/// let rejection = sessions::SessionRejection::from(sessions::Error::MissingRegistry);
/// assert_eq!(rejection.into_response().status(), 500);
/// ```
#[derive(Debug)]
pub struct SessionRejection(Error);

impl SessionRejection {
    /// The underlying error.
    ///
    /// ```
    /// let rejection = sessions::SessionRejection::from(sessions::Error::MissingRegistry);
    /// assert!(matches!(rejection.error(), sessions::Error::MissingRegistry));
    /// ```
    #[must_use]
    pub fn error(&self) -> &Error {
        &self.0
    }
}

impl From<Error> for SessionRejection {
    fn from(error: Error) -> Self {
        Self(error)
    }
}

impl std::fmt::Display for SessionRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SessionRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        tracing::error!(error = %self.0, "session extraction failed");
        let body = match self.0 {
            // A deployment mistake worth naming; other causes stay private.
            Error::MissingRegistry => "session layer missing: wrap the router in SessionLayer",
            _ => "session unavailable",
        };
        (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
    }
}

impl<S: Send + Sync, T: SessionData> FromRequestParts<S> for Handle<T> {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::load_parts(parts).await?)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MapSession {
    type Rejection = SessionRejection;

    /// Loads the map session configured with
    /// [`SessionLayer::with_map_config`](crate::SessionLayer::with_map_config).
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let config = Registry::of(&parts.extensions)?.sessions().map_config();
        Ok(Self::load_parts(parts, config).await?)
    }
}
