//! A real PostgreSQL server for tests, on a free loopback port.
//!
//! `scripts/setup.sh` installs Debian's `postgresql` package, whose
//! `initdb` and `pg_ctl` live in `/usr/lib/postgresql/<version>/bin`, off
//! `PATH`; the newest version there is used. A missing binary or a server
//! that does not start is a loud panic, never a skipped test.
//!
//! Each server gets a fresh cluster in a temporary directory (`initdb`,
//! trust authentication, `fsync` off: test data need not survive a power
//! cut), listens on `127.0.0.1` only, keeps its Unix socket in that
//! directory too, and is stopped on drop. PostgreSQL refuses to run as
//! root, so when the tests run as root the server runs as the `postgres`
//! system user that the package creates, through `runuser`.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::TempDir;
use crate::redis_server::free_port;

/// The user a server runs as when the tests run as root.
const SYSTEM_USER: &str = "postgres";

/// The database superuser `initdb` makes, and the database it connects to.
const SUPERUSER: &str = "postgres";

/// How long `pg_ctl` may wait for the server to start or stop, in seconds.
const PG_CTL_TIMEOUT: &str = "30";

/// How many lines of its log a server shows when a test fails.
const LOG_TAIL: usize = 20;

/// A PostgreSQL server in its own temporary cluster, stopped on drop.
///
/// ```no_run
/// let postgres = sessions_tests::postgres_server::PostgresServer::start();
/// assert!(postgres.url().starts_with("postgres://postgres@127.0.0.1:"));
/// ```
#[derive(Debug)]
pub struct PostgresServer {
    port: u16,
    bin: PathBuf,
    /// `Some("postgres")` when the tests run as root.
    run_as: Option<&'static str>,
    dir: TempDir,
}

impl PostgresServer {
    /// Makes a cluster with `initdb` and starts it on a free port.
    ///
    /// # Panics
    ///
    /// When PostgreSQL is not installed, or `initdb` or `pg_ctl` fails.
    #[must_use]
    pub fn start() -> Self {
        let bin = bin_dir();
        let run_as = running_as_root().then_some(SYSTEM_USER);
        let dir = TempDir::new();
        fs::create_dir(dir.path().join("socket")).expect("the temp dir is writable");
        if let Some(user) = run_as {
            let owner = format!("{user}:");
            let chown = [
                OsStr::new("-R"),
                OsStr::new(owner.as_str()),
                OsStr::new(dir.path()),
            ];
            run(None, Path::new("chown"), &chown);
        }
        let server = Self {
            port: free_port(),
            bin,
            run_as,
            dir,
        };
        server.initdb();
        server.pg_ctl_start();
        server
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`: the superuser, no
    /// password (trust authentication).
    #[must_use]
    pub fn url(&self) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{SUPERUSER}", self.port)
    }

    /// The port it listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its temporary directory: the cluster (`data`), the socket
    /// directory and `postgres.log`.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The postmaster's process id, from `postmaster.pid`; `None` when the
    /// server is not running.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        let pid_file = fs::read_to_string(self.data().join("postmaster.pid")).ok()?;
        pid_file.lines().next()?.trim().parse().ok()
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    fn initdb(&self) {
        let data = self.data();
        let args = [
            OsStr::new("-D"),
            OsStr::new(data.as_path()),
            OsStr::new("-U"),
            OsStr::new(SUPERUSER),
            OsStr::new("--auth=trust"),
            OsStr::new("--encoding=UTF8"),
            OsStr::new("--locale=C"),
            OsStr::new("--no-sync"),
        ];
        run(self.run_as, &self.bin.join("initdb"), &args);
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().join("socket").display()
        );
        let (data, log) = (self.data(), self.log());
        let args = [
            OsStr::new("-D"),
            OsStr::new(data.as_path()),
            OsStr::new("-l"),
            OsStr::new(log.as_path()),
            OsStr::new("-o"),
            OsStr::new(options.as_str()),
            OsStr::new("-w"),
            OsStr::new("-t"),
            OsStr::new(PG_CTL_TIMEOUT),
            OsStr::new("start"),
        ];
        if let Err(e) = try_run(self.run_as, &self.bin.join("pg_ctl"), &args) {
            panic!("{e}\nits log ends with:\n{}", self.log_tail());
        }
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m
    /// immediate`: open connections are cut, nothing is checkpointed); its
    /// data stay for [`restart`](Self::restart).
    ///
    /// # Panics
    ///
    /// When `pg_ctl` fails.
    pub fn stop(&self) {
        self.try_stop().unwrap_or_else(|e| panic!("{e}"));
    }

    /// Starts the stopped server again, on the same port with the same
    /// data (PostgreSQL recovers from its write-ahead log).
    ///
    /// # Panics
    ///
    /// When `pg_ctl` fails.
    pub fn restart(&self) {
        self.pg_ctl_start();
    }

    fn try_stop(&self) -> Result<(), String> {
        let data = self.data();
        let args = [
            OsStr::new("-D"),
            OsStr::new(data.as_path()),
            OsStr::new("-m"),
            OsStr::new("immediate"),
            OsStr::new("-w"),
            OsStr::new("-t"),
            OsStr::new(PG_CTL_TIMEOUT),
            OsStr::new("stop"),
        ];
        try_run(self.run_as, &self.bin.join("pg_ctl"), &args)
    }

    /// The last lines of the server's log, for a panic message.
    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.log()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL)..].join("\n")
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        if self.pid().is_some()
            && let Err(e) = self.try_stop()
        {
            eprintln!("{e}");
        }
        if std::thread::panicking() {
            eprintln!(
                "postgres on port {} logged:\n{}",
                self.port,
                self.log_tail()
            );
        }
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb` and
/// `pg_ctl`.
///
/// # Panics
///
/// When there is none.
fn bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            let complete = bin.join("initdb").is_file() && bin.join("pg_ctl").is_file();
            complete.then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map_or_else(
        || panic!("no initdb and pg_ctl in {}/<version>/bin: run scripts/setup.sh to install postgresql", root.display()),
        |(_, bin)| bin,
    )
}

/// Whether this process runs as root, which PostgreSQL refuses to do.
fn running_as_root() -> bool {
    let output = Command::new("id").arg("-u").output().expect("`id -u` runs");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// Runs `program` with `args`, as `user` through `runuser` if given.
///
/// # Panics
///
/// When it cannot be started or fails.
fn run(user: Option<&str>, program: &Path, args: &[&OsStr]) {
    try_run(user, program, args).unwrap_or_else(|e| panic!("{e}"));
}

fn try_run(user: Option<&str>, program: &Path, args: &[&OsStr]) -> Result<(), String> {
    let mut command = match user {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(program);
            command
        }
        None => Command::new(program),
    };
    let output = command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} failed ({}): {}{}",
            program.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_starts_answers_and_stops() {
        let postgres = PostgresServer::start();
        let pid = postgres.pid().expect("a running server has a pid");
        let (client, connection) = tokio_postgres::connect(&postgres.url(), tokio_postgres::NoTls)
            .await
            .expect("connect to the test server");
        let connection = tokio::spawn(connection);
        let row = client.query_one("SELECT 1", &[]).await.unwrap();
        assert_eq!(row.get::<_, i32>(0), 1);
        drop(client);
        connection.await.unwrap().unwrap();

        let data = postgres.data();
        drop(postgres);
        assert!(!data.exists(), "the cluster is removed with the server");
        // Gone, or a zombie that nobody has reaped yet (pg_ctl's child,
        // reparented).
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]);
        assert!(
            matches!(state, None | Some("Z" | "X")),
            "the postmaster {pid} is gone: {stat}"
        );
    }
}
