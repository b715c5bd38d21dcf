//! Redis Sentinel on loopback: a master, its replica and three sentinels
//! that agree (quorum 2) to promote the replica when the master dies.
//!
//! Sentinels call a master down after 1 s of silence
//! (`down-after-milliseconds 1000`), so a promotion takes seconds. Each
//! sentinel has its own config file in its own directory: a sentinel
//! rewrites that file with what it learns (its id, the replica, the other
//! sentinels, the current master), and refuses to start without write
//! access to it.

use std::time::{Duration, Instant};

use crate::redis_server::RedisServer;
use crate::resp::{self, Reply, info_field};
use crate::wait::wait_until;

/// The name the sentinels know the master by.
pub const MASTER_NAME: &str = "sessions";

/// How long the set may take to form, or a restarted node to catch up.
const SETTLE_LIMIT: Duration = Duration::from_secs(30);

/// How many sentinels watch the master.
const SENTINELS: usize = 3;

/// A master, a replica and three sentinels on free loopback ports, all
/// killed on drop.
///
/// ```no_run
/// use std::time::Duration;
/// use sessions_tests::redis_sentinel::RedisSentinelSet;
///
/// let mut set = RedisSentinelSet::start();
/// let before = set.master_port();
/// set.kill_master();
/// let took = set.wait_for_promotion(Duration::from_secs(30));
/// assert_ne!(set.master_port(), before);
/// println!("promotion in {took:?}");
/// ```
#[derive(Debug)]
pub struct RedisSentinelSet {
    /// The two data nodes: started as master (0) and replica (1); their
    /// roles swap on a promotion.
    data: [RedisServer; 2],
    sentinels: Vec<RedisServer>,
    /// The data node [`kill_master`](Self::kill_master) killed, and when.
    killed: Option<(usize, Instant)>,
}

impl RedisSentinelSet {
    /// Starts the master, then the replica, waits until it is in sync,
    /// then starts the sentinels and waits until each knows the master,
    /// the replica and the two other sentinels.
    ///
    /// # Panics
    ///
    /// When `redis-server` is missing or the set does not form in time.
    #[must_use]
    pub fn start() -> Self {
        let master = RedisServer::start();
        let replica = RedisServer::builder()
            .with_replica_of(master.port())
            .start();
        // The replica first: a sentinel learns of replicas from the
        // master's INFO, which it asks at once, then only every 10 s.
        wait_until(SETTLE_LIMIT, "the replica syncing", || in_sync(&replica));
        let sentinels = (0..SENTINELS)
            .map(|_| start_sentinel(master.port()))
            .collect();
        let set = Self {
            data: [master, replica],
            sentinels,
            killed: None,
        };
        let what = "the sentinels meeting (run scripts/setup.sh if redis is missing)";
        wait_until(SETTLE_LIMIT, what, || set.sentinels_know_everyone());
        set
    }

    /// `redis://127.0.0.1:PORT` for every sentinel.
    #[must_use]
    pub fn sentinel_urls(&self) -> Vec<String> {
        self.sentinels
            .iter()
            .map(|s| format!("redis://127.0.0.1:{}", s.port()))
            .collect()
    }

    /// The name the sentinels know the master by: [`MASTER_NAME`].
    #[must_use]
    pub fn master_name(&self) -> &'static str {
        MASTER_NAME
    }

    /// The master's port, as a sentinel reports it now
    /// (`SENTINEL GET-MASTER-ADDR-BY-NAME`).
    ///
    /// # Panics
    ///
    /// When no sentinel answers.
    #[must_use]
    pub fn master_port(&self) -> u16 {
        let sentinel = self.sentinels[0].port();
        master_addr(sentinel).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Data node `i`: 0 started as the master, 1 as its replica.
    #[must_use]
    pub fn data_node(&self, i: usize) -> &RedisServer {
        &self.data[i]
    }

    /// Kills (SIGKILL) the data node the sentinels call master, keeping its
    /// port for [`restart_old_master`](Self::restart_old_master).
    ///
    /// # Panics
    ///
    /// When no sentinel answers, or the master is already down.
    pub fn kill_master(&mut self) {
        let port = self.master_port();
        let i = self
            .data
            .iter()
            .position(|node| node.port() == port && node.pid().is_some())
            .unwrap_or_else(|| panic!("the master on port {port} is already down"));
        self.data[i].stop();
        self.killed = Some((i, Instant::now()));
    }

    /// Waits until every sentinel reports a master other than the killed
    /// one and that node says `role:master`; returns the time since
    /// [`kill_master`](Self::kill_master).
    ///
    /// # Panics
    ///
    /// When no master was killed, or no promotion happens within `limit`
    /// of the kill.
    pub fn wait_for_promotion(&self, limit: Duration) -> Duration {
        let (old, at) = self
            .killed
            .expect("kill_master() before wait_for_promotion()");
        let old_port = self.data[old].port();
        let limit = limit.saturating_sub(at.elapsed());
        wait_until(limit, "the sentinels promoting the replica", || {
            self.promoted(old_port)
        });
        at.elapsed()
    }

    /// Restarts the killed master and waits until the sentinels have made
    /// it a replica of the new master and it is in sync. It comes back as a
    /// master with the data it had (none), until a sentinel converts it:
    /// about 10 s, as a sentinel lets a node claim to be master for 8 s
    /// before it overrules it.
    ///
    /// # Panics
    ///
    /// When no master was killed, or it does not catch up in time.
    pub fn restart_old_master(&mut self) {
        let (old, _) = self
            .killed
            .take()
            .expect("kill_master() before restart_old_master()");
        self.data[old].restart();
        let what = "the old master becoming a replica";
        wait_until(SETTLE_LIMIT, what, || in_sync(&self.data[old]));
    }

    fn promoted(&self, old_port: u16) -> Result<(), String> {
        let mut ports = self.sentinels.iter().map(|s| master_addr(s.port()));
        let port = ports.next().expect("three sentinels")?;
        if port == old_port {
            return Err(format!("the sentinels still name port {port}"));
        }
        for other in ports {
            if other? != port {
                return Err("the sentinels disagree on the master".to_owned());
            }
        }
        let info = resp::try_query(port, "INFO replication").map_err(|e| e.to_string())?;
        match info_field(&info.text(), "role") {
            Some("master") => self.sentinels_reach_master(),
            role => Err(format!("port {port} says role:{role:?}")),
        }
    }

    /// Every sentinel has had a PONG from the master it names and thinks
    /// it up. Until its first PONG, a sentinel that just switched masters
    /// counts the silence since the switch, and with a 1 s down-after
    /// period a slow first PING can make it call the new master down and
    /// fail over again (in a test run, to the restarted empty old master).
    fn sentinels_reach_master(&self) -> Result<(), String> {
        for sentinel in &self.sentinels {
            let reply = master_state(sentinel.port())?;
            let get = |name| field(&reply, name).unwrap_or_default();
            let (flags, pending) = (get("flags"), get("last-ping-sent"));
            if flags != "master" || pending != "0" {
                return Err(format!(
                    "sentinel on {} sees flags {flags}, a PING unanswered for {pending} ms",
                    sentinel.port()
                ));
            }
        }
        Ok(())
    }

    /// Every sentinel sees the master up, one replica at least and the
    /// other two sentinels.
    fn sentinels_know_everyone(&self) -> Result<(), String> {
        for sentinel in &self.sentinels {
            let reply = master_state(sentinel.port())?;
            let get = |name| field(&reply, name).unwrap_or_default();
            let (flags, replicas) = (get("flags"), get("num-slaves"));
            let others = get("num-other-sentinels");
            if flags != "master" || replicas == "0" || others != "2" {
                return Err(format!(
                    "sentinel on {} sees flags {flags}, {replicas} replicas, {others} other sentinels",
                    sentinel.port()
                ));
            }
        }
        Ok(())
    }
}

/// A sentinel watching the master on `master_port`.
fn start_sentinel(master_port: u16) -> RedisServer {
    let config = format!(
        "sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 2\n\
         sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
         sentinel failover-timeout {MASTER_NAME} 5000\n\
         sentinel parallel-syncs {MASTER_NAME} 1\n"
    );
    RedisServer::builder()
        .with_config(config)
        .with_args(["--sentinel"])
        .start()
}

/// The master's port as the sentinel on `sentinel_port` names it.
fn master_addr(sentinel_port: u16) -> Result<u16, String> {
    let command = format!("SENTINEL GET-MASTER-ADDR-BY-NAME {MASTER_NAME}");
    let reply = resp::try_query(sentinel_port, &command)
        .map_err(|e| format!("sentinel on {sentinel_port} did not answer: {e}"))?;
    match reply.items() {
        [_, port] => port.text().parse().map_err(|e| format!("{reply:?}: {e}")),
        _ => Err(format!("sentinel on {sentinel_port} answered {reply:?}")),
    }
}

/// `SENTINEL MASTER`: what the sentinel on `sentinel_port` knows of the
/// master, as a flat key-value array.
fn master_state(sentinel_port: u16) -> Result<Reply, String> {
    let command = format!("SENTINEL MASTER {MASTER_NAME}");
    resp::try_query(sentinel_port, &command)
        .map_err(|e| format!("sentinel on {sentinel_port} did not answer: {e}"))
}

/// A replica whose link to its master is up.
fn in_sync(replica: &RedisServer) -> Result<(), String> {
    let info = resp::try_query(replica.port(), "INFO replication")
        .map_err(|e| e.to_string())?
        .text();
    match (
        info_field(&info, "role"),
        info_field(&info, "master_link_status"),
    ) {
        (Some("slave"), Some("up")) => Ok(()),
        (role, link) => Err(format!("role {role:?}, link {link:?}")),
    }
}

/// The value after `name` in a flat key-value array such as the reply to
/// `SENTINEL MASTER`.
fn field(reply: &Reply, name: &str) -> Option<String> {
    let items = reply.items();
    let at = items.iter().position(|item| item.text() == name)?;
    items.get(at + 1).map(Reply::text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentinels_promote_the_replica_when_the_master_dies() {
        let started = Instant::now();
        let mut set = RedisSentinelSet::start();
        eprintln!("sentinel set up in {:?}", started.elapsed());
        assert_eq!(set.master_port(), set.data_node(0).port());
        assert_eq!(set.sentinel_urls().len(), SENTINELS);

        set.kill_master();
        let took = set.wait_for_promotion(Duration::from_secs(30));
        eprintln!("promotion in {took:?}");
        assert_eq!(set.master_port(), set.data_node(1).port());

        let restarted = Instant::now();
        set.restart_old_master();
        eprintln!("old master back as a replica in {:?}", restarted.elapsed());
        assert_eq!(set.master_port(), set.data_node(1).port());
    }
}
