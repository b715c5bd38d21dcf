//! The command line of a test `redis-server`: what [`RedisServer::builder`]
//! can turn on.
//!
//! Every server binds `127.0.0.1` only, keeps its files in its own
//! temporary directory, logs to `redis.log` there, and accepts `DEBUG` (for
//! [`RedisServer::pause`]).

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::TempDir;
use crate::redis_server::{RedisServer, free_port};
use crate::tls_cert::TlsCert;

/// Options for a [`RedisServer`], from [`RedisServer::builder`]; nothing
/// runs until [`start`](Self::start).
///
/// ```no_run
/// use std::time::Duration;
/// use sessions_tests::redis_server::RedisServer;
///
/// let durable = RedisServer::builder().with_aof().start();
/// let secure = RedisServer::builder().with_tls().start();
/// assert!(secure.url().starts_with("rediss://127.0.0.1:"));
/// let node = RedisServer::builder()
///     .with_cluster(Duration::from_secs(1))
///     .with_args(["--cluster-replica-validity-factor", "0"])
///     .start();
/// ```
#[derive(Debug, Default, Clone)]
#[must_use = "a builder starts nothing until start()"]
pub struct RedisServerBuilder {
    aof: bool,
    replica_of: Option<u16>,
    cluster_node_timeout: Option<Duration>,
    tls: bool,
    config: Option<String>,
    args: Vec<String>,
}

impl RedisServerBuilder {
    /// AOF persistence on, fsync every second: what a server acknowledged is
    /// in the kernel's hands before the reply, so it survives
    /// [`stop`](RedisServer::stop) (SIGKILL) and comes back on
    /// [`restart`](RedisServer::restart). A crash of the machine could lose
    /// the last second; a test never crashes the machine.
    pub fn with_aof(mut self) -> Self {
        self.aof = true;
        self
    }

    /// A replica of the plain server on `127.0.0.1:master_port`.
    pub fn with_replica_of(mut self, master_port: u16) -> Self {
        self.replica_of = Some(master_port);
        self
    }

    /// Cluster mode, with `nodes.conf` in the server's directory (so a
    /// restart rejoins) and the cluster bus on a second free port.
    /// `node_timeout` is how long a silent node takes to be suspected.
    pub fn with_cluster(mut self, node_timeout: Duration) -> Self {
        self.cluster_node_timeout = Some(node_timeout);
        self
    }

    /// TLS only (`--port 0`), with a fresh self-signed [`TlsCert`] that also
    /// serves as the CA file; clients need no certificate. The server's
    /// [`url`](RedisServer::url) is `rediss://`, and
    /// [`raw`](RedisServer::raw) no longer reaches it.
    pub fn with_tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// A config file with this text, written to the server's directory and
    /// given as the first argument, where `redis-server` looks for it. The
    /// server may rewrite it (a sentinel does); a restart keeps what it wrote.
    pub fn with_config(mut self, text: impl Into<String>) -> Self {
        self.config = Some(text.into());
        self
    }

    /// Arguments added after all others, so they win:
    /// `["--maxmemory", "1mb"]`, or `["--sentinel"]`.
    pub fn with_args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Starts the server on a free port and waits until it answers `PING`.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing or does not answer in time.
    #[must_use]
    pub fn start(self) -> RedisServer {
        let port = free_port();
        let dir = TempDir::new();
        let tls = self.tls.then(TlsCert::new);
        let args = self.command_line(port, dir.path(), tls.as_ref());
        let mut server = RedisServer::new(port, args, tls, dir);
        server.restart();
        server
    }

    fn command_line(&self, port: u16, dir: &Path, tls: Option<&TlsCert>) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(config) = &self.config {
            let file = dir.join("redis.conf");
            fs::write(&file, config).expect("the temp dir is writable");
            args.push(path(&file));
        }
        args.extend(common(dir));
        args.extend(listen(port, tls));
        args.extend(self.persistence());
        if let Some(master) = self.replica_of {
            args.extend(words(&format!("--replicaof 127.0.0.1 {master}")));
        }
        if let Some(timeout) = self.cluster_node_timeout {
            args.extend(cluster(dir, timeout));
        }
        args.extend(self.args.iter().cloned());
        args
    }

    fn persistence(&self) -> Vec<String> {
        if self.aof {
            words("--appendonly yes --appendfsync everysec")
        } else {
            words("--appendonly no")
        }
    }
}

/// What every test server gets. `--save ""`: no RDB snapshots, the AOF is
/// the only persistence a test turns on. `--repl-diskless-sync-delay 0`: a
/// master sends a new replica its data at once, where Redis 7 waits 5 s
/// for more replicas to share the transfer.
fn common(dir: &Path) -> Vec<String> {
    let mut args = words("--bind 127.0.0.1 --protected-mode no --enable-debug-command yes");
    args.extend(words("--repl-diskless-sync-delay 0"));
    args.extend(["--save".into(), String::new()]);
    args.extend(["--dir".into(), path(dir)]);
    args.extend(["--logfile".into(), path(&dir.join("redis.log"))]);
    args
}

fn listen(port: u16, tls: Option<&TlsCert>) -> Vec<String> {
    let Some(tls) = tls else {
        return words(&format!("--port {port}"));
    };
    let cert = path(&tls.cert_path());
    let mut args = words(&format!("--port 0 --tls-port {port} --tls-auth-clients no"));
    args.extend(["--tls-cert-file".into(), cert.clone()]);
    args.extend(["--tls-key-file".into(), path(&tls.key_path())]);
    args.extend(["--tls-ca-cert-file".into(), cert]);
    args
}

fn cluster(dir: &Path, node_timeout: Duration) -> Vec<String> {
    let mut args = words("--cluster-enabled yes");
    args.extend([
        "--cluster-config-file".into(),
        path(&dir.join("nodes.conf")),
    ]);
    args.extend(words(&format!(
        "--cluster-node-timeout {} --cluster-port {}",
        node_timeout.as_millis(),
        free_port()
    )));
    args
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_owned).collect()
}

fn path(path: &Path) -> String {
    path.to_str()
        .expect("the system temp dir has a UTF-8 path")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(builder: &RedisServerBuilder, tls: Option<&TlsCert>) -> String {
        builder
            .command_line(7000, Path::new("/tmp/x"), tls)
            .join(" ")
    }

    #[test]
    fn a_bare_server_listens_on_loopback_with_persistence_off() {
        let line = line(&RedisServerBuilder::default(), None);
        assert!(line.starts_with("--bind 127.0.0.1 "), "{line}");
        assert!(line.contains("--save  --dir /tmp/x --logfile /tmp/x/redis.log"));
        assert!(line.ends_with("--port 7000 --appendonly no"), "{line}");
    }

    #[test]
    fn options_add_their_flags_and_raw_args_come_last() {
        let builder = RedisServerBuilder::default()
            .with_aof()
            .with_replica_of(6000)
            .with_cluster(Duration::from_millis(1500))
            .with_args(["--maxmemory", "1mb"]);
        let line = line(&builder, None);
        for flag in [
            "--appendonly yes --appendfsync everysec",
            "--replicaof 127.0.0.1 6000",
            "--cluster-enabled yes --cluster-config-file /tmp/x/nodes.conf",
            "--cluster-node-timeout 1500 --cluster-port ",
        ] {
            assert!(line.contains(flag), "{flag} in {line}");
        }
        assert!(line.ends_with("--maxmemory 1mb"), "{line}");
    }

    #[test]
    fn a_tls_server_listens_on_its_tls_port_only() {
        let cert = TlsCert::new();
        let line = line(&RedisServerBuilder::default().with_tls(), Some(&cert));
        assert!(line.contains("--port 0 --tls-port 7000 --tls-auth-clients no"));
        let cert = cert.cert_path().display().to_string();
        assert!(line.contains(&format!("--tls-cert-file {cert}")), "{line}");
        assert!(
            line.contains(&format!("--tls-ca-cert-file {cert}")),
            "{line}"
        );
    }

    #[test]
    fn a_config_file_comes_first() {
        let dir = TempDir::new();
        let builder = RedisServerBuilder::default().with_config("sentinel monitor m 127.0.0.1 1 2");
        let args = builder.command_line(7000, dir.path(), None);
        assert_eq!(args[0], path(&dir.path().join("redis.conf")));
        let text = fs::read_to_string(&args[0]).unwrap();
        assert_eq!(text, "sentinel monitor m 127.0.0.1 1 2");
    }
}
