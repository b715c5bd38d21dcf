//! What generated code calls. Not public API: no stability promise.

use std::future::Future;

pub use http;

use crate::SessionData;
#[cfg(feature = "axum")]
use crate::SessionRejection;
use crate::error::Result;
use crate::handle::Handle;
pub use crate::state::Flash;

/// `UserSession::load`.
pub fn load<T, S, B>(
    req: &http::Request<B>,
) -> impl Future<Output = Result<S>> + Send + 'static + use<T, S, B>
where
    T: SessionData,
    S: From<Handle<T>> + Send + 'static,
{
    let load = Handle::<T>::load(req);
    async move { load.await.map(S::from) }
}

/// `UserSession::load_parts`.
pub fn load_parts<T, S>(
    parts: &http::request::Parts,
) -> impl Future<Output = Result<S>> + Send + 'static + use<T, S>
where
    T: SessionData,
    S: From<Handle<T>> + Send + 'static,
{
    let load = Handle::<T>::load_parts(parts);
    async move { load.await.map(S::from) }
}

/// `take_x` of a flash field.
pub async fn take_flash<T: SessionData, F: Flash>(
    handle: &Handle<T>,
    field: fn(&mut T) -> &mut F,
) -> crate::Result<F> {
    handle.take_flash(field).await
}

#[cfg(feature = "axum")]
pub use axum_core;

/// `FromRequestParts::from_request_parts` of a generated session type.
#[cfg(feature = "axum")]
pub fn from_request_parts<T, S>(
    parts: &http::request::Parts,
) -> impl Future<Output = std::result::Result<S, SessionRejection>> + Send + 'static + use<T, S>
where
    T: SessionData,
    S: From<Handle<T>> + Send + 'static,
{
    let load = load_parts::<T, S>(parts);
    async move { load.await.map_err(SessionRejection::from) }
}

#[cfg(feature = "actix")]
pub use actix_web;

/// `FromRequest::Future` of a generated session type (actix-web).
#[cfg(feature = "actix")]
pub type ActixExtract<S> = crate::actix::Extract<S>;

/// `FromRequest::from_request` of a generated session type (actix-web).
#[cfg(feature = "actix")]
pub fn actix_from_request<T, S>(req: &actix_web::HttpRequest) -> crate::actix::Extract<S>
where
    T: SessionData,
    S: From<Handle<T>> + Send + 'static,
{
    let load = load_parts::<T, S>(&crate::actix::parts_of(req));
    Box::pin(async move { Ok(load.await?) })
}

/// Framework glue for a generated session type: one extractor per
/// framework feature, each its own macro so the features combine.
#[doc(hidden)]
#[macro_export]
macro_rules! __session_glue {
    ($session:ty, $data:ty) => {
        ::sessions::__session_glue_axum!($session, $data);
        ::sessions::__session_glue_actix!($session, $data);
    };
}

/// No axum extractor without the `axum` feature.
#[cfg(not(feature = "axum"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __session_glue_axum {
    ($session:ty, $data:ty) => {};
}

/// The axum extractor of a generated session type.
///
/// Hygiene as in the derive: `macro_rules!` hygiene covers local variables, not generic
/// parameters (a user type named `S` would be shadowed by an `impl<S>`), nor items that
/// turn a binding into a pattern (a unit struct named `parts`), so the names introduced
/// here start with `__Sessions` or `__sessions_`, and the body is a call.
#[cfg(feature = "axum")]
#[doc(hidden)]
#[macro_export]
macro_rules! __session_glue_axum {
    ($session:ty, $data:ty) => {
        #[automatically_derived]
        impl<__SessionsState: ::core::marker::Send + ::core::marker::Sync>
            ::sessions::__private::axum_core::extract::FromRequestParts<__SessionsState>
            for $session
        {
            type Rejection = ::sessions::SessionRejection;

            fn from_request_parts(
                __sessions_parts: &mut ::sessions::__private::http::request::Parts,
                _: &__SessionsState,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<Self, ::sessions::SessionRejection>,
            > + ::core::marker::Send {
                ::sessions::__private::from_request_parts::<$data, Self>(__sessions_parts)
            }
        }
    };
}

/// No actix-web extractor without the `actix` feature.
#[cfg(not(feature = "actix"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __session_glue_actix {
    ($session:ty, $data:ty) => {};
}

/// The actix-web extractor of a generated session type; hygiene as for axum.
#[cfg(feature = "actix")]
#[doc(hidden)]
#[macro_export]
macro_rules! __session_glue_actix {
    ($session:ty, $data:ty) => {
        #[automatically_derived]
        impl ::sessions::__private::actix_web::FromRequest for $session {
            type Error = ::sessions::actix::SessionError;
            type Future = ::sessions::__private::ActixExtract<Self>;

            fn from_request(
                __sessions_req: &::sessions::__private::actix_web::HttpRequest,
                _: &mut ::sessions::__private::actix_web::dev::Payload,
            ) -> Self::Future {
                ::sessions::__private::actix_from_request::<$data, Self>(__sessions_req)
            }
        }
    };
}
