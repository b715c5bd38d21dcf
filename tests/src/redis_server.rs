//! A real `redis-server` for tests, on a free loopback port.
//!
//! `scripts/setup.sh` installs the binary. A missing binary or a server that
//! does not answer is a loud panic, never a skipped test.
//!
//! [`RedisServer::start`] is a bare server with persistence off;
//! [`RedisServer::builder`] adds what the topology tests need: AOF
//! persistence, replication, cluster mode, TLS, a config file, raw
//! arguments. Every server gets its own temporary directory (data, logs,
//! `nodes.conf`) that lives as long as the value, so a
//! [`restart`](RedisServer::restart) finds what the server left there.

use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::TempDir;
use crate::redis_builder::RedisServerBuilder;
use crate::resp;
use crate::tls_cert::TlsCert;
use crate::wait::wait_until;

/// How long a starting server may take to answer `PING`.
const STARTUP_LIMIT: Duration = Duration::from_secs(10);

/// How many lines of its log a server shows when a test fails.
const LOG_TAIL: usize = 20;

/// A `redis-server` child process, killed on drop.
///
/// ```no_run
/// let redis = sessions_tests::redis_server::RedisServer::start();
/// assert!(redis.url().starts_with("redis://127.0.0.1:"));
/// ```
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    /// Everything after the program name, kept for restarts.
    args: Vec<String>,
    tls: Option<TlsCert>,
    child: Option<Child>,
    dir: TempDir,
}

impl RedisServer {
    /// Starts a server with persistence off on a free port.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing or does not answer in time.
    #[must_use]
    pub fn start() -> Self {
        Self::builder().start()
    }

    /// Options for a server that is more than bare: see
    /// [`RedisServerBuilder`].
    ///
    /// ```no_run
    /// use sessions_tests::redis_server::RedisServer;
    ///
    /// let master = RedisServer::builder().with_aof().start();
    /// let replica = RedisServer::builder()
    ///     .with_replica_of(master.port())
    ///     .start();
    /// ```
    pub fn builder() -> RedisServerBuilder {
        RedisServerBuilder::default()
    }

    /// Wraps a server the builder laid out; it starts on [`restart`](Self::restart).
    pub(crate) fn new(port: u16, args: Vec<String>, tls: Option<TlsCert>, dir: TempDir) -> Self {
        Self {
            port,
            args,
            tls,
            child: None,
            dir,
        }
    }

    /// `redis://127.0.0.1:PORT/`, or `rediss://127.0.0.1:PORT/` for a TLS
    /// server.
    #[must_use]
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://127.0.0.1:{}/", self.port)
    }

    /// The port it listens on (the TLS port for a TLS server).
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id, or `None` while stopped.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Its directory: AOF files, `nodes.conf`, the config file and
    /// `redis.log`.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The certificate of a TLS server, `None` for a plain one.
    #[must_use]
    pub fn tls_cert(&self) -> Option<&TlsCert> {
        self.tls.as_ref()
    }

    /// The PEM certificate a client must trust to reach this TLS server.
    ///
    /// # Panics
    ///
    /// When the server was not started with
    /// [`with_tls`](RedisServerBuilder::with_tls).
    #[must_use]
    pub fn cert_pem(&self) -> Vec<u8> {
        self.tls
            .as_ref()
            .expect("cert_pem() needs a server started with_tls()")
            .cert_pem()
    }

    /// Stops the server (SIGKILL), keeping its port and directory for
    /// [`restart`](Self::restart).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// Starts the server again on the same port with the same arguments:
    /// empty, unless it has an AOF (see
    /// [`with_aof`](RedisServerBuilder::with_aof)), a master to copy, or a
    /// `nodes.conf` to rejoin its cluster with.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing or does not answer in time.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new("redis-server")
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}): run scripts/setup.sh to install it")
            });
        self.child = Some(child);
        self.wait_until_ready();
    }

    /// Sends one raw command in the inline protocol and returns the reply
    /// as it came on the wire (`+OK\r\n`).
    ///
    /// # Panics
    ///
    /// When the server cannot be reached, or is a TLS server: this speaks
    /// plain TCP. Use [`cli`](Self::cli) for TLS.
    #[must_use]
    pub fn raw(&self, command: &str) -> String {
        assert!(
            self.tls.is_none(),
            "raw() speaks plain TCP; use cli() on a TLS server"
        );
        let (_, wire) = resp::exchange(self.port, command)
            .unwrap_or_else(|e| panic!("redis on port {} did not answer: {e}", self.port));
        wire
    }

    /// Runs `redis-cli` against this server (over TLS for a TLS server) and
    /// returns what it printed, trimmed.
    ///
    /// ```no_run
    /// let redis = sessions_tests::redis_server::RedisServer::builder().with_tls().start();
    /// assert_eq!(redis.cli(["PING"]), "PONG");
    /// ```
    ///
    /// # Panics
    ///
    /// When `redis-cli` is missing or fails.
    pub fn cli<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> String {
        redis_cli(self.cli_target().iter().map(OsStr::new), args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Freezes the whole server for `duration` with `DEBUG SLEEP`, and
    /// returns at once: the server stops answering clients, replicas and
    /// its cluster bus, then wakes up by itself. (Every server here starts
    /// with `--enable-debug-command yes`: Redis 7 refuses `DEBUG` without
    /// it.) The server reads the command on its next event-loop turn, a
    /// moment after this returns.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached, or is a TLS server: use
    /// [`freeze`](Self::freeze) there.
    pub fn pause(&self, duration: Duration) {
        assert!(
            self.tls.is_none(),
            "pause() speaks plain TCP; use freeze() on a TLS server"
        );
        let mut stream = resp::connect(self.port)
            .unwrap_or_else(|e| panic!("redis on port {} is unreachable: {e}", self.port));
        let command = format!("DEBUG SLEEP {}\r\n", duration.as_secs_f64());
        stream
            .write_all(command.as_bytes())
            .expect("redis accepts a command");
        // Keep the connection open until the reply, so the server never
        // sees the client leave before it reads the command.
        stream.set_read_timeout(Some(duration + STARTUP_LIMIT)).ok();
        std::thread::spawn(move || stream.read(&mut [0u8; 64]));
    }

    /// Freezes the process with SIGSTOP until [`thaw`](Self::thaw): nothing
    /// answers, the kernel still accepts connections. Works for TLS servers
    /// too. A frozen server is still killed on drop.
    ///
    /// # Panics
    ///
    /// When the server is stopped or `kill` fails.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Resumes a [`freeze`](Self::freeze)d process with SIGCONT.
    ///
    /// # Panics
    ///
    /// When the server is stopped or `kill` fails.
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.pid().expect("a running server to signal").to_string();
        let status = Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap_or_else(|e| panic!("cannot run kill {signal} {pid}: {e}"));
        assert!(status.success(), "kill {signal} {pid} failed: {status}");
    }

    /// `-h 127.0.0.1 -p PORT`, with `--tls --cacert` for a TLS server.
    fn cli_target(&self) -> Vec<String> {
        let mut target = vec!["-h".into(), "127.0.0.1".into()];
        target.extend(["-p".into(), self.port.to_string()]);
        if let Some(tls) = &self.tls {
            let cacert = tls.cert_path().display().to_string();
            target.extend(["--tls".into(), "--cacert".into(), cacert]);
        }
        target
    }

    fn wait_until_ready(&mut self) {
        let what = format!("redis-server on port {} answering PING", self.port);
        wait_until(STARTUP_LIMIT, &what, || {
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "redis-server exited at start with {status}; its log ends with:\n{}",
                    self.log_tail()
                );
            }
            self.answers_ping()
        });
    }

    fn answers_ping(&self) -> Result<(), String> {
        let pong = if self.tls.is_some() {
            let target = self.cli_target();
            redis_cli(target.iter().map(OsStr::new), ["PING"])?
        } else {
            resp::try_query(self.port, "PING")
                .map_err(|e| e.to_string())?
                .text()
        };
        if pong == "PONG" { Ok(()) } else { Err(pong) }
    }

    /// The last lines of `redis.log`, for a panic message.
    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL)..].join("\n")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        // A failing test shows what each of its servers said last: the
        // only account of an election or a sync that went wrong.
        if std::thread::panicking() {
            eprintln!(
                "redis-server on port {} logged:\n{}",
                self.port,
                self.log_tail()
            );
        }
    }
}

/// Runs `redis-cli` with `target` then `args`; its trimmed output, or why
/// it failed.
///
/// # Panics
///
/// When `redis-cli` is missing.
pub(crate) fn redis_cli<A: AsRef<OsStr>, B: AsRef<OsStr>>(
    target: impl IntoIterator<Item = A>,
    args: impl IntoIterator<Item = B>,
) -> Result<String, String> {
    let output = Command::new("redis-cli")
        .args(target)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run redis-cli ({e}): run scripts/setup.sh to install it")
        });
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(format!(
            "redis-cli failed ({}): {stdout} {stderr}",
            output.status
        ))
    }
}

/// A loopback port nobody listens on right now.
///
/// # Panics
///
/// When the system has no free port.
#[must_use]
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free loopback port");
    listener
        .local_addr()
        .expect("a bound socket has an address")
        .port()
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn an_aof_server_keeps_acknowledged_writes_across_a_kill() {
        let mut redis = RedisServer::builder().with_aof().start();
        assert_eq!(redis.raw("SET kept yes"), "+OK\r\n");
        redis.stop();
        assert_eq!(redis.pid(), None);
        redis.restart();
        assert_eq!(redis.raw("GET kept"), "$3\r\nyes\r\n");
    }

    #[test]
    fn a_bare_server_restarts_empty() {
        let mut redis = RedisServer::start();
        assert_eq!(redis.raw("SET gone yes"), "+OK\r\n");
        redis.restart();
        assert_eq!(redis.raw("GET gone"), "$-1\r\n");
    }

    #[test]
    fn a_tls_server_answers_over_tls_only() {
        let redis = RedisServer::builder().with_tls().start();
        assert_eq!(redis.url(), format!("rediss://127.0.0.1:{}/", redis.port()));
        assert_eq!(redis.cli(["SET", "k", "v"]), "OK");
        assert_eq!(redis.cli(["GET", "k"]), "v");
        assert!(resp::try_query(redis.port(), "PING").is_err());
    }

    #[test]
    fn a_paused_server_answers_only_after_the_pause() {
        let redis = RedisServer::start();
        let started = Instant::now();
        redis.pause(Duration::from_millis(700));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(resp::query(redis.port(), "PING").text(), "PONG");
        assert!(started.elapsed() >= Duration::from_millis(700));
    }

    #[test]
    fn a_frozen_server_answers_after_a_thaw() {
        let redis = RedisServer::start();
        redis.freeze();
        assert!(resp::try_query(redis.port(), "PING").is_err(), "frozen");
        redis.thaw();
        assert_eq!(redis.raw("PING"), "+PONG\r\n");
    }
}
