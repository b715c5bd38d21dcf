//! Typed HTTP sessions.
//!
//! `#[derive(Session)]` turns a struct into a session with typed accessors,
//! read-once flash fields and cookie options written as attributes. The
//! runtime keeps sessions in encrypted or signed cookies (with key
//! rotation), in files, in memory or in Redis, saves every session a request
//! changed in one batch, and plugs into `http`/hyper, tower, axum and
//! actix-web.
//!
//! The [guide] covers choosing a store, keys and rotation, expiry and
//! "remember me", flashes, several sessions per request, custom backends
//! and what cookie sessions can and cannot revoke. A first taste:
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use sessions::{CookieStore, Key, Session, Sessions};
//!
//! #[derive(Session, Serialize, Deserialize, Default)]
//! #[session(name = "user", max_age = 604800)]
//! pub struct User {
//!     pub user_id: Option<u64>,
//!     #[session(flash)]
//!     pub notices: Vec<String>,
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let sessions = Sessions::new(CookieStore::new(Key::generate()));
//! let mut req = http::Request::new(());
//! sessions.attach(&mut req);
//!
//! let user = UserSession::load(&req).await?;
//! assert!(user.is_new());
//! user.set_user_id(Some(7));
//! user.push_notices("Welcome".to_owned());
//!
//! let mut res = http::Response::new(());
//! sessions::save(&req, &mut res).await?;
//! let cookie = res.headers()["set-cookie"].to_str().unwrap();
//! assert!(cookie.starts_with("user=") && cookie.contains("Max-Age=604800"));
//! # Ok::<(), sessions::Error>(()) }).unwrap();
//! ```
//!
//! # Features
//!
//! - `axum`: session types, [`Handle`] and [`MapSession`] as axum
//!   extractors.
//! - `actix`: [`actix::SessionMiddleware`] for actix-web 4, and session
//!   types, [`Handle`] and [`MapSession`] as actix-web extractors.
//! - `redis`: `store::RedisStore`, sessions in Redis.
//! - `redis-cluster`: the same against a Redis Cluster.
//! - `redis-sentinel`: the same through Redis Sentinel.
//! - `redis-tls`: `rediss://` URLs, over rustls.
//! - `postgres`: `store::PostgresStore`, sessions in PostgreSQL.

/// The guide: the workspace README, whose examples run as tests here.
#[doc = include_str!("../README.md")]
pub mod guide {}

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
mod axum;
mod codec;
mod data;
mod error;
mod handle;
mod http;
mod id;
mod key;
mod layer;
mod map;
mod merge;
mod options;
mod owner;
mod registry;
mod state;
pub mod store;

#[doc(hidden)]
pub mod __private;

#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod __fuzz;

#[cfg(feature = "axum")]
pub use axum::SessionRejection;
pub use data::SessionData;
pub use error::{BoxError, Error, Result, SaveErrors};
pub use handle::{Handle, OwnedSession, SessionHandle};
pub use http::MAX_SET_COOKIE_LEN;
pub use key::{KEY_LEN, Key, KeyId, KeyRing, MIN_SECRET_LEN};
pub use layer::{SessionLayer, SessionService};
pub use map::MapSession;
pub use options::{
    ConfigError, DEFAULT_MAX_AGE, MAX_MAX_AGE, MAX_TIMEOUT, OnConflict, SameSite, SessionConfig,
};
pub use owner::SessionOwner;
pub use registry::{DEFAULT_MAP_CONFIG, Sessions, save};
pub use sessions_derive::Session;
#[cfg(feature = "postgres")]
pub use store::PostgresStore;
#[cfg(feature = "redis")]
pub use store::RedisStore;
pub use store::{CookieStore, FileStore, MemoryStore};
