//! A loop of real session requests to run while a store fails: logins,
//! changes, renews and logouts of many users, each request timed, and
//! every acknowledged write remembered so that the end can check that none
//! was lost and no ended session came back.
//!
//! The fault tests of Redis (Cluster, Sentinel, a restarted server) and of
//! PostgreSQL (a stopped and restarted server) share it: each breaks its
//! store in its own way while [`Workload::run_until`] drives requests.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sessions::{Error, Session, Sessions};

/// How long a failing request may take beyond the store's bound: the
/// scheduling of a busy two-core machine, never a speed.
pub const SLACK: Duration = Duration::from_secs(1);

/// What every request of the workload reads and writes.
#[derive(Session, Serialize, Deserialize, Default, Clone, Debug)]
#[session(name = "w", secure = false)]
pub struct Counter {
    /// Who is logged in.
    pub user: Option<String>,
    /// Raised by one at every change.
    pub n: u64,
}

/// One simulated browser: its cookie and what the server last confirmed.
#[derive(Debug, Default)]
struct Browser {
    cookie: Option<String>,
    /// The value of `n` in the last acknowledged save; `None` while logged
    /// out.
    acked: Option<u64>,
    /// The highest `n` any save of this browser tried, acknowledged or not.
    tried: u64,
}

/// What a run saw.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Requests sent.
    pub requests: usize,
    /// Requests that failed (all of them closed: `Error::Backend`).
    pub errors: usize,
    /// The slowest request, failed or not.
    pub worst: Duration,
    /// The slowest failed request.
    pub worst_failure: Duration,
    /// From [`Workload::fault_now`] to the first success of the final run
    /// of successes.
    pub recovered_after: Option<Duration>,
    /// Live sessions that loaded with less than their last acknowledged
    /// value, or not at all.
    pub lost_saves: usize,
    /// Cookies of sessions that were logged out or renewed (with an
    /// acknowledgement) that loaded a session again.
    pub resurrections: usize,
}

/// Many browsers sharing one [`Sessions`] registry.
#[derive(Debug)]
pub struct Workload {
    sessions: Sessions,
    browsers: Vec<Browser>,
    /// Cookies whose session ended with an acknowledged logout or renew.
    dead: Vec<String>,
    bound: Duration,
    step: usize,
    fault_at: Option<Instant>,
    report: Report,
}

enum Step {
    Change,
    Renew,
    LogOut,
}

impl Workload {
    /// `browsers` browsers, none logged in yet; requests must fail within
    /// `bound` (plus [`SLACK`]).
    #[must_use]
    pub fn new(sessions: Sessions, browsers: usize, bound: Duration) -> Self {
        Self {
            sessions,
            browsers: (0..browsers).map(|_| Browser::default()).collect(),
            dead: Vec::new(),
            bound,
            step: 0,
            fault_at: None,
            report: Report::default(),
        }
    }

    /// Logs every browser in.
    ///
    /// # Panics
    ///
    /// When a login fails: call it while the store is healthy.
    pub async fn log_in_all(&mut self) {
        for i in 0..self.browsers.len() {
            assert!(self.request(i, &Step::Change).await, "login {i} failed");
        }
    }

    /// Marks the moment of the fault, for [`Report::recovered_after`].
    pub fn fault_now(&mut self) {
        self.fault_at = Some(Instant::now());
    }

    /// Sends requests until `done()` and then `streak` requests in a row
    /// succeeded, and checks each one failed closed within the bound.
    ///
    /// # Panics
    ///
    /// When a request fails other than closed, takes longer than the bound
    /// to fail, or the store does not recover within `limit`.
    pub async fn run_until(&mut self, done: impl Fn() -> bool, streak: usize, limit: Duration) {
        let started = Instant::now();
        let mut in_a_row = 0;
        let mut first_of_run = None;
        while !(done() && in_a_row >= streak) {
            assert!(
                started.elapsed() < limit,
                "no recovery within {limit:?}: {:?}",
                self.report
            );
            let at = Instant::now();
            if self.next_request().await {
                first_of_run.get_or_insert(at);
                in_a_row += 1;
            } else {
                first_of_run = None;
                in_a_row = 0;
                // A failing store is not hammered: a user would retry later.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        if let (Some(fault), Some(first)) = (self.fault_at, first_of_run) {
            self.report.recovered_after = Some(first.saturating_duration_since(fault));
        }
    }

    /// Loads every session and every dead cookie once the store is healthy:
    /// counts lost saves and resurrections, and returns the report.
    ///
    /// # Panics
    ///
    /// When a load fails.
    pub async fn verify(&mut self) -> Report {
        for i in 0..self.browsers.len() {
            let (cookie, acked, tried) = {
                let b = &self.browsers[i];
                (b.cookie.clone(), b.acked, b.tried)
            };
            let Some(acked) = acked else { continue };
            let loaded = self.load(cookie.as_deref()).await.expect("a healthy store");
            match loaded {
                Some(n) if n >= acked && n <= tried => {}
                _ => self.report.lost_saves += 1,
            }
        }
        for cookie in self.dead.clone() {
            let loaded = self.load(Some(&cookie)).await.expect("a healthy store");
            if loaded.is_some() {
                self.report.resurrections += 1;
            }
        }
        self.report.clone()
    }

    async fn next_request(&mut self) -> bool {
        self.step += 1;
        let i = self.step % self.browsers.len();
        let step = match self.step % 20 {
            7 => Step::Renew,
            13 => Step::LogOut,
            _ => Step::Change,
        };
        // Now and then, an ended session is tried again as an attacker
        // holding its old cookie would.
        if self.step.is_multiple_of(5) && !self.dead.is_empty() {
            let cookie = self.dead[self.step % self.dead.len()].clone();
            if let Ok(Some(_)) = self.timed_load(&cookie).await {
                self.report.resurrections += 1;
            }
        }
        self.request(i, &step).await
    }

    async fn timed_load(&mut self, cookie: &str) -> Result<Option<u64>, Error> {
        let started = Instant::now();
        let result = self.load(Some(cookie)).await;
        self.record(started.elapsed(), result.as_ref().err());
        result
    }

    /// One request of browser `i`; `true` when it succeeded.
    async fn request(&mut self, i: usize, step: &Step) -> bool {
        let started = Instant::now();
        let result = self.send(i, step).await;
        self.record(started.elapsed(), result.as_ref().err());
        result.is_ok()
    }

    fn record(&mut self, took: Duration, error: Option<&Error>) {
        self.report.requests += 1;
        self.report.worst = self.report.worst.max(took);
        if let Some(error) = error {
            assert!(fails_closed(error), "not a closed failure: {error:?}");
            assert!(
                took < self.bound + SLACK,
                "failed after {took:?}, over the bound {:?}: {error}",
                self.bound
            );
            self.report.errors += 1;
            self.report.worst_failure = self.report.worst_failure.max(took);
        }
    }

    async fn send(&mut self, i: usize, step: &Step) -> Result<(), Error> {
        let req = self.request_with(self.browsers[i].cookie.as_deref());
        let session = CounterSession::load(&req).await?;
        let logged_in = self.browsers[i].acked.is_some();
        if logged_in && session.is_new() {
            // An acknowledged session is gone: a lost save.
            self.report.lost_saves += 1;
        }
        let n = session.n() + 1;
        match step {
            Step::LogOut if logged_in => session.destroy(),
            Step::Renew if logged_in => {
                session.renew();
                session.set_n(n);
            }
            _ => {
                session.set_user(Some(format!("user{i}")));
                session.set_n(n);
            }
        }
        let browser = &mut self.browsers[i];
        browser.tried = browser.tried.max(n);
        let mut res = http::Response::new(());
        if let Err(error) = sessions::save(&req, &mut res).await {
            if logged_in && !matches!(step, Step::Change) {
                // A failed renew or logout may have ended the old session
                // or not: this browser starts over, neither alive nor dead.
                *browser = Browser::default();
            }
            return Err(error);
        }
        let old = browser.cookie.take();
        let new = set_cookie(&res);
        match (step, logged_in) {
            (Step::LogOut, true) => {
                browser.acked = None;
                browser.tried = 0;
                self.dead.extend(old);
            }
            (Step::Renew, true) => {
                browser.acked = Some(n);
                browser.cookie = new;
                self.dead.extend(old);
            }
            _ => {
                browser.acked = Some(n);
                browser.cookie = new.or(old);
            }
        }
        Ok(())
    }

    /// The `n` of the session behind `cookie`, `None` for a fresh session.
    async fn load(&self, cookie: Option<&str>) -> Result<Option<u64>, Error> {
        let req = self.request_with(cookie);
        let session = CounterSession::load(&req).await?;
        Ok((!session.is_new()).then(|| session.n()))
    }

    fn request_with(&self, cookie: Option<&str>) -> http::Request<()> {
        request(&self.sessions, cookie)
    }
}

/// A request to an app server whose sessions are `sessions`, carrying
/// `cookie` (a `name=value` pair) if given.
///
/// # Panics
///
/// When `cookie` is not a header value.
pub fn request(sessions: &Sessions, cookie: Option<&str>) -> http::Request<()> {
    let mut req = http::Request::new(());
    if let Some(cookie) = cookie {
        let header = http::HeaderValue::from_str(cookie).expect("a cookie is a header value");
        req.headers_mut().insert(http::header::COOKIE, header);
    }
    sessions.attach(&mut req);
    req
}

/// Saves the sessions of `req`; the `name=value` of the cookie it set,
/// `None` when it set none or removed one.
pub async fn save(req: &http::Request<()>) -> Result<Option<String>, Error> {
    let mut res = http::Response::new(());
    sessions::save(req, &mut res).await?;
    Ok(set_cookie(&res))
}

/// Failing closed: the store said it failed, and nothing else went wrong.
fn fails_closed(error: &Error) -> bool {
    match error {
        Error::Backend(_) => true,
        Error::Save(failures) => failures
            .failures()
            .iter()
            .all(|(_, e)| matches!(e, Error::Backend(_))),
        _ => false,
    }
}

/// `w=VALUE` from the response's `Set-Cookie`, unless it removes the cookie.
fn set_cookie(res: &http::Response<()>) -> Option<String> {
    let line = res.headers().get(http::header::SET_COOKIE)?.to_str().ok()?;
    let pair = line.split(';').next()?;
    (!line.contains("Max-Age=0") && pair.len() > "w=".len()).then(|| pair.to_owned())
}
