//! Whole requests in-process, for instruction counts: one user logs in,
//! then `N` requests of one phase go through the axum app of a system
//! with `tower::ServiceExt::oneshot`, no socket involved. Run it twice
//! under callgrind and subtract, so that start-up cancels out:
//!
//! ```sh
//! cargo build --release --manifest-path benches/Cargo.toml --bin reqcost
//! valgrind --tool=callgrind benches/target/release/reqcost ours-memory POST 200
//! valgrind --tool=callgrind benches/target/release/reqcost ours-memory POST 1200
//! ```
//!
//! (instructions of the second − the first) / 1000 is what one request
//! costs, repeatable whatever else the machine runs, where the wall-clock
//! figures of `loadbench` move with it. Every answer is checked.

use std::process::ExitCode;

use axum::Router;
use axum::body::Body;
use http::header::{COOKIE, SET_COOKIE};
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use sessions_benches::load::account::username_of;
use sessions_benches::load::drive::Phase;
use sessions_benches::load::serve::{Resources, axum_app};
use sessions_benches::load::system::{Framework, System};
use tower::ServiceExt as _;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [system, phase, count] => System::from_name(system)
            .filter(|s| s.framework() == Framework::Axum)
            .zip(Phase::BOTH.into_iter().find(|p| p.name() == phase))
            .zip(count.parse::<u64>().ok()),
        _ => None,
    };
    let Some(((system, phase), count)) = parsed else {
        eprintln!("usage: reqcost AXUM-SYSTEM GET|POST COUNT");
        return ExitCode::FAILURE;
    };
    let resources = Resources::for_system(system);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let app = axum_app(system, resources.url(), resources.store_dir()).await;
        let cookie = send(&app, Method::POST, "/login?user=7", None, 0).await;
        let mut cookie = cookie.expect("a login sets a cookie");
        for n in 1..=count {
            let counter = if phase == Phase::Post { n } else { 0 };
            // The baseline keeps its counter in the cookie it sets.
            if let Some(set) = send(&app, phase.method(), "/me", Some(&cookie), counter).await {
                cookie = set;
            }
        }
    });
    drop(resources);
    ExitCode::SUCCESS
}

/// Sends one request; checks that the body is user 7's with `counter`;
/// returns the cookie the answer set, if any.
async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    cookie: Option<&str>,
    counter: u64,
) -> Option<String> {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let request = request.body(Body::empty()).expect("a valid request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::OK, "{uri}");
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|line| line.split(';').next())
        .map(str::to_owned);
    let body = response.into_body().collect().await.expect("a body");
    let expected = format!("user=7 name={} counter={counter}\n", username_of(7));
    assert_eq!(body.to_bytes(), expected.as_bytes());
    set_cookie
}
