//! actix-web 4 glue (feature `actix`): a middleware and extractors.
//!
//! [`SessionMiddleware`] does for an actix-web `App` what
//! [`SessionLayer`](crate::SessionLayer) does for a tower service: every
//! request gets a fresh, empty set of sessions, and after the handler every
//! session it changed is saved in one batch, one `Set-Cookie` line each,
//! with `Vary: Cookie`. Every derived session type,
//! [`Handle<T>`](crate::Handle) and [`MapSession`](crate::MapSession) is
//! an extractor: a handler argument.
//!
//! The bridge is thin on purpose. actix-web 4 speaks the `http` 0.2 types
//! and the core speaks `http` 1, so only what sessions need crosses over:
//! the `Cookie` request headers on the way in, the `Set-Cookie` and
//! `Vary` lines on the way out. Stores, keys and the envelope never learn
//! which framework called them.
//!
//! ```
//! use actix_web::{App, test, web};
//! use serde::{Deserialize, Serialize};
//! use sessions::actix::SessionMiddleware;
//! use sessions::{CookieStore, Key, Session, Sessions};
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
//! # actix_web::rt::System::new().block_on(async {
//! let sessions = Sessions::new(CookieStore::new(Key::generate()));
//! let app = test::init_service(
//!     App::new()
//!         .wrap(SessionMiddleware::new(sessions))
//!         .route("/", web::get().to(count)),
//! )
//! .await;
//! let res = test::call_service(&app, test::TestRequest::get().to_request()).await;
//! assert_eq!(res.status(), 200);
//! let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
//! assert!(cookie.starts_with("visits="));
//! assert_eq!(res.headers().get("vary").unwrap(), "Cookie");
//! # });
//! ```

mod extract;
mod headers;
mod middleware;

pub use extract::SessionError;
pub(crate) use extract::{Extract, parts_of};
pub use middleware::{SessionMiddleware, SessionMiddlewareService};
