//! A real HTTP/1.1 server on a free loopback port.
//!
//! [`serve`] takes a hyper service (plain hyper, no tower), [`serve_tower`]
//! a tower service such as a `SessionLayer` stack. Each binds
//! `127.0.0.1:0`, accepts connections on a background task and serves each
//! connection with `hyper::server::conn::http1`. The returned [`Server`]
//! knows its address and stops on [`Server::shutdown`] or when dropped.

use std::error::Error as StdError;
use std::net::{Ipv4Addr, SocketAddr};

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

type BoxError = Box<dyn StdError + Send + Sync>;

/// A running server: its address and the means to stop it.
///
/// Dropping it stops accepting too (the shutdown channel closes), so a
/// test that panics does not leave a listener behind.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// The address the server listens on (`127.0.0.1` and a free port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, closes every open connection and waits for the
    /// accept loop to finish.
    ///
    /// # Panics
    ///
    /// When the accept loop itself panicked.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // The loop may already be gone; there is nothing left to stop then.
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("the accept loop does not panic");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Serves a hyper service (for example `hyper::service::service_fn`) on a
/// free loopback port.
///
/// # Panics
///
/// When no loopback port can be bound.
pub async fn serve<S, B>(service: S) -> Server
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("a loopback port is free");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, service, stopped));
    Server {
        addr,
        stop: Some(stop),
        task: Some(task),
    }
}

/// Serves a tower service (for example a `tower::ServiceBuilder` stack with
/// a `SessionLayer`, or an axum `Router`) on a free loopback port.
///
/// # Panics
///
/// When no loopback port can be bound.
pub async fn serve_tower<S, B>(service: S) -> Server
where
    S: tower::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    serve(hyper_util::service::TowerToHyperService::new(service)).await
}

async fn accept_loop<S, B>(listener: TcpListener, service: S, mut stopped: oneshot::Receiver<()>)
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                // A failed accept (the client gave up) ends that connection only.
                let Ok((stream, _)) = accepted else { continue };
                let connection = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service.clone());
                connections.spawn(async move {
                    // A client that hangs up mid-request is not the test's concern.
                    let _ = connection.await;
                });
            }
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}
