//! What generated code calls. Not public API: no stability promise.

use std::future::Future;

pub use http;

use crate::error::Result;
use crate::handle::{Handle, SessionData};
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
pub fn take_flash<T: SessionData, F: Flash>(
    handle: &Handle<T>,
    field: impl FnOnce(&mut T) -> &mut F,
) -> F {
    handle.take_flash(field)
}

/// Framework glue for a generated session type: the place where framework
/// integrations (extractors) attach to every derived session.
#[doc(hidden)]
#[macro_export]
macro_rules! __session_glue {
    ($session:ty, $data:ty) => {};
}
