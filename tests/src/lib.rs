//! Shared helpers for the integration tests.
//!
//! The HTTP tests (`tests/http.rs`, `tests/layer.rs`) talk to a real server
//! over a real socket, the way a browser would:
//!
//! - [`server`]: serves a hyper or tower service on `127.0.0.1:0` and hands
//!   back its address and a shutdown handle;
//! - [`client`]: an HTTP/1.1 client on hyper's connection API that carries
//!   cookies from one request to the next;
//! - [`jar`]: the browser-like cookie jar behind it, and a parser for
//!   `Set-Cookie` lines that tests use to check cookie attributes;
//! - [`files`]: what the `FileStore` tests share;
//! - [`redis_server`]: a real `redis-server` on a free loopback port, and
//!   [`redis_builder`] for one with AOF, replication, cluster mode or TLS;
//! - [`redis_cluster`]: six of them as a Redis Cluster (three masters, three
//!   replicas) with failover faults, and [`cluster_nodes`] to read a node's
//!   view of it;
//! - [`redis_sentinel`]: a master, a replica and three sentinels;
//! - [`postgres_server`]: a real PostgreSQL server in a temporary cluster
//!   on a free loopback port;
//! - [`tls_cert`]: a self-signed certificate for `127.0.0.1`;
//! - [`resp`]: one raw command to a node by port, and its reply;
//! - [`wait`]: bounded polling that panics with what it last saw;
//! - [`workload`]: session requests to run while a store fails, and
//!   what they saw;
//! - [`reaper`]: servers shared by a test binary die with it;
//! - [`temp_dir`]: a directory under the system temp dir, removed on drop.
//!
//! The store conformance suite is the `sessions-conformance` crate.
//!
//! ```no_run
//! # async fn demo(service: impl hyper::service::Service<
//! #     http::Request<hyper::body::Incoming>,
//! #     Response = http::Response<http_body_util::Full<bytes::Bytes>>,
//! #     Error = std::convert::Infallible,
//! #     Future: Send + 'static,
//! # > + Clone + Send + Sync + 'static) {
//! use sessions_tests::{Client, serve};
//!
//! let server = serve(service).await;
//! let mut browser = Client::new(server.addr());
//! let reply = browser.get("/").await;
//! assert_eq!(reply.status, 200);
//! server.shutdown().await;
//! # }
//! ```

pub mod client;
pub mod cluster_nodes;
pub mod files;
pub mod jar;
pub mod postgres_server;
pub mod reaper;
pub mod redis_builder;
pub mod redis_cluster;
pub mod redis_sentinel;
pub mod redis_server;
pub mod resp;
pub mod server;
pub mod temp_dir;
pub mod tls_cert;
pub mod wait;
pub mod workers;
pub mod workload;

pub use client::{Client, Reply};
pub use jar::{CookieJar, SetCookie};
pub use server::{Server, serve, serve_tower};
pub use temp_dir::TempDir;
