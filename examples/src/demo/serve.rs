//! Serving the demo: one HTTP/1 connection per task, and a graceful stop.

use std::future::Future;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceBuilder;

use super::{Demo, handle};

impl Demo {
    /// Serves the demo on `listener` until `shutdown` completes, then lets
    /// every open connection finish its request and returns when the last
    /// one is closed.
    pub async fn serve(self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        let kinds = self.kinds;
        let app = ServiceBuilder::new()
            .layer(self.layer)
            .service_fn(move |req| handle(kinds, req));

        // Every connection holds a receiver: on shutdown they finish their
        // requests and close, and `closed()` tells when the last one is gone.
        let (stop, connections) = watch::channel(());
        tokio::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        eprintln!("demo: accept failed: {error}");
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let service = TowerToHyperService::new(app.clone());
            let mut stopped = connections.clone();
            tokio::spawn(async move {
                let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                tokio::pin!(conn);
                let result = tokio::select! {
                    result = conn.as_mut() => result,
                    _ = stopped.changed() => {
                        conn.as_mut().graceful_shutdown();
                        conn.await
                    }
                };
                if let Err(error) = result {
                    eprintln!("demo: connection error: {error}");
                }
            });
        }
        drop(connections);
        stop.send_replace(());
        stop.closed().await;
    }
}
