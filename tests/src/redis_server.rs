//! A real `redis-server` for tests, on a free loopback port.
//!
//! `scripts/setup.sh` installs the binary. A missing binary or a server that
//! does not answer is a loud panic, never a skipped test.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a starting server may take to answer `PING`.
const STARTUP_LIMIT: Duration = Duration::from_secs(10);

/// A `redis-server` child process, killed on drop.
///
/// ```no_run
/// let redis = sessions_tests::redis_server::RedisServer::start();
/// assert!(redis.url().starts_with("redis://127.0.0.1:"));
/// ```
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server with persistence off on a free port.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing or does not answer in time.
    #[must_use]
    pub fn start() -> Self {
        let port = free_port();
        let mut server = Self { port, child: None };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:PORT/`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server (SIGKILL), keeping its port for [`restart`](Self::restart).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// Starts the server again on the same port, empty.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing or does not answer in time.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}): run scripts/setup.sh to install it")
            });
        self.child = Some(child);
        self.wait_until_ready();
    }

    /// Sends one raw command in the inline protocol and returns the reply.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached.
    #[must_use]
    pub fn raw(&self, command: &str) -> String {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).expect("redis is up");
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok();
        stream
            .write_all(format!("{command}\r\n").as_bytes())
            .expect("redis accepts a command");
        let mut reply = [0u8; 4096];
        let len = stream.read(&mut reply).expect("redis replies");
        String::from_utf8_lossy(&reply[..len]).into_owned()
    }

    fn wait_until_ready(&mut self) {
        let started = Instant::now();
        while started.elapsed() < STARTUP_LIMIT {
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("redis-server exited at start with {status}");
            }
            if ping(self.port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server on port {} did not answer PING within {STARTUP_LIMIT:?}",
            self.port
        );
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .ok();
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free loopback port");
    listener
        .local_addr()
        .expect("a bound socket has an address")
        .port()
}
