//! The server processes of a run, one per system: this same binary with
//! `serve <system>`, so that the load generator's CPU never mixes with a
//! server's.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::serve::READY;
use super::system::System;

/// A running server; dropping it closes its stdin, which stops it.
pub struct Server {
    /// What it serves.
    pub system: System,
    /// Its loopback port.
    pub port: u16,
    /// Its process id.
    pub pid: u32,
    /// Its `redis-server`'s process id, for the Redis systems.
    pub redis_pid: Option<u32>,
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Server {
    /// Starts the server of `system` and waits until it serves.
    pub fn start(system: System) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .args(["serve", system.name()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{system}: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("{system}: {e}"))?;
        let (port, redis_pid) =
            parse_ready(&line).ok_or_else(|| format!("{system} did not start: {line:?}"))?;
        Ok(Self {
            system,
            port,
            pid: child.id(),
            redis_pid,
            child,
            stdin,
        })
    }
}

/// `ready <port> <redis pid or 0>`.
fn parse_ready(line: &str) -> Option<(u16, Option<u32>)> {
    let mut words = line.split_whitespace();
    (words.next()? == READY).then_some(())?;
    let port = words.next()?.parse().ok()?;
    let redis_pid: u32 = words.next()?.parse().ok()?;
    Some((port, (redis_pid != 0).then_some(redis_pid)))
}

impl Drop for Server {
    fn drop(&mut self) {
        // EOF on its stdin: it stops its redis-server and exits.
        drop(self.stdin.take());
        if self.child.wait().is_err() {
            let _ = self.child.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_lines() {
        assert_eq!(parse_ready("ready 4000 0\n"), Some((4000, None)));
        assert_eq!(parse_ready("ready 4000 77\n"), Some((4000, Some(77))));
        assert_eq!(parse_ready("panicked"), None);
    }
}
