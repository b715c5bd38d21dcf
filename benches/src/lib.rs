//! What the comparison benchmarks share: the sessions they seal, the peers
//! and the raw floor they are measured against, and the criterion settings (full or `QUICK=1`).
//!
//! Everything here is checked before it is timed: every sealer must open
//! what it sealed into an equal value (see `benches/compare/main.rs`).

pub mod fixture;
pub mod floor;
pub mod load;
pub mod peer;
pub mod run;

/// Polls a future that is ready at once (the cookie store's are) without a
/// runtime.
///
/// # Panics
///
/// When the future is not ready on its first poll.
pub fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("the future was expected to be ready at once"),
    }
}
