//! The load: log users in, then keep N connections busy for a fixed time
//! with one kind of request, checking every answer.
//!
//! Each connection owns its share of the users and cycles through them, so
//! that one user never has two requests in flight: its counter then has
//! one right value, and any lost or stale write shows.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http::Method;

use super::client::Conn;
use super::user::User;

/// Which request a phase sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// `GET /me`: the session is read.
    Get,
    /// `POST /me`: the counter is incremented and the session saved.
    Post,
}

impl Phase {
    /// Both phases, in the order they run.
    pub const BOTH: [Self; 2] = [Self::Get, Self::Post];

    /// `GET` or `POST`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }

    /// The request's method.
    pub fn method(self) -> Method {
        match self {
            Self::Get => Method::GET,
            Self::Post => Method::POST,
        }
    }
}

/// What one phase did.
#[derive(Debug)]
pub struct Outcome {
    /// Requests answered within the phase.
    pub requests: u64,
    /// Answers that were not 2xx or did not show the user's data, and
    /// connections that failed.
    pub failures: u64,
    /// The first failure, to show.
    pub first_failure: Option<String>,
    /// Latency of every request, in microseconds.
    pub latency: Histogram<u64>,
    /// From the start to the last answer.
    pub elapsed: Duration,
}

impl Outcome {
    fn new() -> Self {
        Self {
            requests: 0,
            failures: 0,
            first_failure: None,
            // 1 µs to 60 s, 3 significant digits.
            latency: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
            elapsed: Duration::ZERO,
        }
    }

    fn fail(&mut self, why: String) {
        self.failures += 1;
        self.first_failure.get_or_insert(why);
    }

    fn merge(&mut self, other: Self) {
        self.requests += other.requests;
        self.failures += other.failures;
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
        self.latency.add(&other.latency).expect("same bounds");
        self.elapsed = self.elapsed.max(other.elapsed);
    }
}

/// Logs users `1..=users` in on `conns` connections; returns them split
/// into `conns` shares, one per connection of the phases.
pub async fn login(port: u16, users: u64, conns: usize) -> Result<Vec<Vec<User>>, String> {
    let mut shares: Vec<Vec<User>> = (0..conns).map(|_| Vec::new()).collect();
    for id in 1..=users {
        let share = usize::try_from(id).expect("a small id") % conns;
        shares[share].push(User::new(id));
    }
    let tasks: Vec<_> = shares
        .into_iter()
        .map(|share| tokio::spawn(login_share(port, share)))
        .collect();
    let mut logged = Vec::with_capacity(conns);
    for task in tasks {
        logged.push(task.await.map_err(|e| e.to_string())??);
    }
    Ok(logged)
}

async fn login_share(port: u16, mut share: Vec<User>) -> Result<Vec<User>, String> {
    let mut conn = Conn::open(port).await?;
    for user in &mut share {
        let path = format!("/login?user={}", user.id());
        let reply = conn.send(Method::POST, &path, None).await?;
        user.accept(&reply, false)?;
        if user.cookie_header().is_none() {
            return Err(format!("user {}: login set no cookie", user.id()));
        }
    }
    Ok(share)
}

/// Opens one connection per share.
pub async fn connect(port: u16, shares: usize) -> Result<Vec<Conn>, String> {
    let mut conns = Vec::with_capacity(shares);
    for _ in 0..shares {
        conns.push(Conn::open(port).await?);
    }
    Ok(conns)
}

/// Sends `phase` requests on every connection for `duration`; gives the
/// users back with what the phase did.
pub async fn drive(
    conns: Vec<Conn>,
    shares: Vec<Vec<User>>,
    phase: Phase,
    duration: Duration,
) -> (Vec<Vec<User>>, Outcome) {
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = conns
        .into_iter()
        .zip(shares)
        .map(|(conn, share)| tokio::spawn(drive_one(conn, share, phase, start, deadline)))
        .collect();
    let mut outcome = Outcome::new();
    let mut shares = Vec::with_capacity(tasks.len());
    for task in tasks {
        let (share, one) = task.await.expect("a connection task does not panic");
        shares.push(share);
        outcome.merge(one);
    }
    (shares, outcome)
}

async fn drive_one(
    mut conn: Conn,
    mut share: Vec<User>,
    phase: Phase,
    start: Instant,
    deadline: Instant,
) -> (Vec<User>, Outcome) {
    let mut outcome = Outcome::new();
    let wrote = phase == Phase::Post;
    // An empty share (fewer users than connections) only waits out the
    // phase.
    'phase: while Instant::now() < deadline && !share.is_empty() {
        for user in &mut share {
            let sent = Instant::now();
            if sent >= deadline {
                break 'phase;
            }
            let reply = match conn.send(phase.method(), "/me", user.cookie_header()).await {
                Ok(reply) => reply,
                Err(why) => {
                    // The connection is gone: this share stops here.
                    outcome.fail(why);
                    break 'phase;
                }
            };
            let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
            outcome.latency.saturating_record(micros.max(1));
            outcome.requests += 1;
            if let Err(why) = user.accept(&reply, wrote) {
                outcome.fail(why);
            }
        }
    }
    outcome.elapsed = start.elapsed();
    (share, outcome)
}
