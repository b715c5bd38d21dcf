//! A real Redis Cluster on loopback: six `redis-server` processes, three
//! masters and three replicas, with faults to fail them over.
//!
//! The node timeout is short (1 s unless chosen) and every replica may take
//! over however long it was cut off (`cluster-replica-validity-factor 0`),
//! so a failover takes seconds. Waits are bounded and panic with what they
//! last saw; nothing hangs.

use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use crate::cluster_nodes::ClusterNode;
use crate::redis_server::{RedisServer, redis_cli};
use crate::resp::{self, info_field};
use crate::wait::wait_until;

/// How many nodes: three masters, each with one replica.
pub const NODES: usize = 6;

/// The node timeout of [`RedisCluster::start`].
pub const DEFAULT_NODE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long forming the cluster, or a node rejoining it, may take.
const SETTLE_LIMIT: Duration = Duration::from_secs(30);

/// Six cluster nodes on free loopback ports, killed on drop. Nodes are
/// known by index, `0..NODES`, for their whole life, whatever their role.
///
/// ```no_run
/// use std::time::Duration;
/// use sessions_tests::redis_cluster::RedisCluster;
///
/// let mut cluster = RedisCluster::start();
/// let master = cluster.master_for_key("session:a");
/// let replica = cluster.replica_of(master).expect("every master has a replica");
/// cluster.kill(master);
/// let took = cluster.wait_for_failover_of(master, Duration::from_secs(30));
/// assert_eq!(cluster.master_for_key("session:a"), replica);
/// println!("failover in {took:?}");
/// ```
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
    /// Node ids by index; a node keeps its id across restarts (`nodes.conf`).
    ids: Vec<String>,
    /// Until when a node sleeps under [`freeze`](Self::freeze).
    frozen_until: Vec<Option<Instant>>,
    /// The last fault of each node, for [`wait_for_failover_of`](Self::wait_for_failover_of).
    faults: Vec<Option<Fault>>,
}

/// When a node was killed or frozen, and the slots it served then.
#[derive(Debug, Clone)]
struct Fault {
    at: Instant,
    slots: Vec<RangeInclusive<u16>>,
}

impl RedisCluster {
    /// Starts the cluster with a 1 s node timeout and waits until every node
    /// reports `cluster_state:ok` and every replica is in sync.
    ///
    /// # Panics
    ///
    /// When `redis-server` or `redis-cli` is missing, or the cluster does not
    /// form in time.
    #[must_use]
    pub fn start() -> Self {
        Self::start_with_node_timeout(DEFAULT_NODE_TIMEOUT)
    }

    /// [`start`](Self::start) with another node timeout: how long a silent
    /// node takes to be suspected, the first part of any failover.
    ///
    /// # Panics
    ///
    /// As [`start`](Self::start).
    #[must_use]
    pub fn start_with_node_timeout(node_timeout: Duration) -> Self {
        let nodes: Vec<RedisServer> = (0..NODES)
            .map(|_| {
                RedisServer::builder()
                    .with_cluster(node_timeout)
                    .with_args(["--cluster-replica-validity-factor", "0"])
                    .start()
            })
            .collect();
        let ids = nodes
            .iter()
            .map(|node| resp::query(node.port(), "CLUSTER MYID").text())
            .collect();
        let cluster = Self {
            nodes,
            ids,
            frozen_until: vec![None; NODES],
            faults: vec![None; NODES],
        };
        cluster.create();
        let what = "a new cluster settling (run scripts/setup.sh if redis is missing)";
        wait_until(SETTLE_LIMIT, what, || cluster.settled(true));
        cluster
    }

    /// Joins the nodes with `redis-cli --cluster create`, which assigns the
    /// slots and picks the replicas.
    fn create(&self) {
        let mut args: Vec<String> = vec!["--cluster".into(), "create".into()];
        args.extend(self.nodes.iter().map(|n| format!("127.0.0.1:{}", n.port())));
        args.extend(["--cluster-replicas", "1", "--cluster-yes"].map(String::from));
        let output = redis_cli(Vec::<String>::new(), &args)
            .unwrap_or_else(|e| panic!("redis-cli --cluster create failed: {e}"));
        assert!(
            output.contains("[OK] All 16384 slots covered"),
            "redis-cli --cluster create did not cover every slot:\n{output}"
        );
    }

    /// `redis://127.0.0.1:PORT` for every node, in index order.
    #[must_use]
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|node| format!("redis://127.0.0.1:{}", node.port()))
            .collect()
    }

    /// Node `i` itself, for its port, [`raw`](RedisServer::raw) commands or
    /// a SIGSTOP [`freeze`](RedisServer::freeze).
    #[must_use]
    pub fn node(&self, i: usize) -> &RedisServer {
        &self.nodes[i]
    }

    /// The index of the master that serves `key`'s slot now, as a live node
    /// sees it. The key travels in the inline protocol: no spaces.
    ///
    /// # Panics
    ///
    /// When no live node answers, or no master serves the slot (the cluster
    /// is failing over: wait for it first).
    #[must_use]
    pub fn master_for_key(&self, key: &str) -> usize {
        let (port, view) = self.live_view();
        let slot = resp::query(port, &format!("CLUSTER KEYSLOT {key}")).text();
        let slot: u16 = slot.parse().expect("CLUSTER KEYSLOT answers a slot number");
        let master = view
            .iter()
            .find(|n| n.is_master() && !n.is_failing() && n.serves(slot))
            .unwrap_or_else(|| panic!("no master serves slot {slot} of {key:?} now"));
        self.index_of(&master.id)
    }

    /// The indices of the masters that serve slots now, as a live node sees
    /// it.
    ///
    /// # Panics
    ///
    /// When no live node answers.
    #[must_use]
    pub fn masters(&self) -> Vec<usize> {
        let (_, view) = self.live_view();
        let mut masters: Vec<usize> = view
            .iter()
            .filter(|n| n.is_master() && !n.is_failing() && !n.slots.is_empty())
            .map(|n| self.index_of(&n.id))
            .collect();
        masters.sort_unstable();
        masters
    }

    /// A replica of master `master` (the lowest index), as a live node sees
    /// it; `None` when it has none, as a new master after a failover.
    ///
    /// # Panics
    ///
    /// When no live node answers.
    #[must_use]
    pub fn replica_of(&self, master: usize) -> Option<usize> {
        let (_, view) = self.live_view();
        let id = Some(&self.ids[master]);
        view.iter()
            .filter(|n| n.master_id.as_ref() == id)
            .map(|n| self.index_of(&n.id))
            .min()
    }

    /// Kills node `i` (SIGKILL). It keeps its port and `nodes.conf` for
    /// [`restart`](Self::restart); its data, which is not persisted, is gone.
    ///
    /// # Panics
    ///
    /// When no other live node answers.
    pub fn kill(&mut self, i: usize) {
        self.record_fault(i);
        self.nodes[i].stop();
    }

    /// Freezes node `i` for `duration` with `DEBUG SLEEP` and returns at
    /// once: the node answers neither clients nor the cluster bus, so after
    /// the node timeout the others fail it over. It then wakes up by itself
    /// and, outvoted, becomes a replica. [`node(i).freeze()`](RedisServer::freeze)
    /// is the SIGSTOP alternative, with no end of its own.
    ///
    /// # Panics
    ///
    /// When node `i` or no other live node answers.
    pub fn freeze(&mut self, i: usize, duration: Duration) {
        self.record_fault(i);
        self.nodes[i].pause(duration);
        self.frozen_until[i] = Some(Instant::now() + duration);
    }

    /// Restarts node `i` on its port with its `nodes.conf`, and waits until
    /// it has rejoined: every live node agrees on every role and every live
    /// replica is in sync. A master that was failed over comes back as a
    /// replica of the node that took over.
    ///
    /// # Panics
    ///
    /// When the node does not start or the cluster does not settle in time.
    pub fn restart(&mut self, i: usize) {
        self.nodes[i].restart();
        self.frozen_until[i] = None;
        let what = format!("the cluster settling after node {i} restarted");
        wait_until(SETTLE_LIMIT, &what, || self.settled(false));
    }

    /// Waits until the slots node `i` served at its last fault ([`kill`](Self::kill)
    /// or [`freeze`](Self::freeze)), or serves now if it had none, are served
    /// by another node that says `role:master`, and every live node agrees
    /// and reports `cluster_state:ok`. Returns the time since the fault (or
    /// since the call, without one).
    ///
    /// # Panics
    ///
    /// When that does not happen within `limit`.
    pub fn wait_for_failover_of(&mut self, i: usize, limit: Duration) -> Duration {
        let fault = self.faults[i].take().unwrap_or_else(|| Fault {
            at: Instant::now(),
            slots: self.slots_of(i),
        });
        let what = format!("a failover of node {i}");
        let limit = limit.saturating_sub(fault.at.elapsed());
        wait_until(limit, &what, || self.taken_over(i, &fault.slots));
        fault.at.elapsed()
    }

    /// Waits until the cluster is settled as after [`restart`](Self::restart),
    /// with every [`freeze`](Self::freeze) over.
    ///
    /// # Panics
    ///
    /// When it does not settle within `limit`.
    pub fn wait_until_settled(&self, limit: Duration) {
        wait_until(limit, "the cluster settling", || self.settled(false));
    }

    /// Runs `redis-cli -c` (following redirects) against a live node, and
    /// returns what it printed.
    ///
    /// ```no_run
    /// let cluster = sessions_tests::redis_cluster::RedisCluster::start();
    /// assert_eq!(cluster.cli(["SET", "k", "v"]), "OK");
    /// ```
    ///
    /// # Panics
    ///
    /// When `redis-cli` fails or no node is live.
    pub fn cli<S: AsRef<std::ffi::OsStr>>(&self, args: impl IntoIterator<Item = S>) -> String {
        let port = self.live().next().expect("a live node").port().to_string();
        redis_cli(["-c", "-h", "127.0.0.1", "-p", &port], args).unwrap_or_else(|e| panic!("{e}"))
    }

    fn record_fault(&mut self, i: usize) {
        let slots = self.slots_of(i);
        self.faults[i] = Some(Fault {
            at: Instant::now(),
            slots,
        });
    }

    /// The slots node `i` serves in a live node's view.
    fn slots_of(&self, i: usize) -> Vec<RangeInclusive<u16>> {
        let (_, view) = self.live_view();
        let node = view.iter().find(|n| n.id == self.ids[i]);
        node.map(|n| n.slots.clone()).unwrap_or_default()
    }

    /// Whether `slots` have moved from node `i` to a master every live node
    /// agrees on.
    fn taken_over(&self, i: usize, slots: &[RangeInclusive<u16>]) -> Result<(), String> {
        let view = self.agreed_view()?;
        let Some(first) = slots.first().map(|range| *range.start()) else {
            return Err(format!("node {i} served no slots"));
        };
        let owner = view
            .iter()
            .find(|n| n.is_master() && n.serves(first))
            .ok_or(format!("nobody serves slot {first}"))?;
        let new = self.index_of(&owner.id);
        if new == i {
            return Err(format!("node {i} still serves slot {first}"));
        }
        if !slots
            .iter()
            .all(|r| owner.serves(*r.start()) && owner.serves(*r.end()))
        {
            return Err(format!("node {new} serves only some of {slots:?}"));
        }
        let role = self.info(new, "replication")?;
        match info_field(&role, "role") {
            Some("master") => Ok(()),
            other => Err(format!("node {new} took over but says role:{other:?}")),
        }
    }

    /// Settled: no node frozen, every live node agrees (see [`agreed_view`](Self::agreed_view)),
    /// every live replica's link to its master is up, and, when
    /// `every_master_replicated`, each master has a live replica.
    fn settled(&self, every_master_replicated: bool) -> Result<(), String> {
        let now = Instant::now();
        if let Some(i) = (0..NODES).find(|&i| self.frozen_until[i].is_some_and(|t| t > now)) {
            return Err(format!("node {i} is frozen"));
        }
        let view = self.agreed_view()?;
        for node in view.iter().filter(|n| !n.is_master()) {
            let i = self.index_of(&node.id);
            let link = self.info(i, "replication")?;
            if info_field(&link, "master_link_status") != Some("up") {
                return Err(format!("replica {i} is not in sync"));
            }
        }
        let masters = view.iter().filter(|n| n.is_master() && !n.slots.is_empty());
        for master in masters.filter(|_| every_master_replicated) {
            if !view
                .iter()
                .any(|n| n.master_id.as_ref() == Some(&master.id))
            {
                return Err(format!(
                    "master {} has no replica",
                    self.index_of(&master.id)
                ));
            }
        }
        Ok(())
    }

    /// The view of the live nodes (the others left out) that every live
    /// node shares and calls `cluster_state:ok`, with none of them failing.
    fn agreed_view(&self) -> Result<Vec<ClusterNode>, String> {
        let mut agreed: Option<Vec<ClusterNode>> = None;
        for i in self.live_indices() {
            let state = self.cluster_info(i)?;
            if info_field(&state, "cluster_state") != Some("ok") {
                return Err(format!("node {i} says cluster_state is not ok"));
            }
            let view = self.comparable_view(i)?;
            if let Some(failing) = view.iter().find(|n| n.is_failing()) {
                return Err(format!("node {i} sees live {} failing", failing.port));
            }
            match &agreed {
                Some(first) if *first != view => {
                    return Err(format!("node {i} sees {view:?}, another {first:?}"));
                }
                _ => agreed = Some(view),
            }
        }
        agreed.ok_or_else(|| "no live node".to_owned())
    }

    /// Node `i`'s view of the live nodes, with what differs from one asker
    /// to the next (`myself`) removed, sorted by id.
    fn comparable_view(&self, i: usize) -> Result<Vec<ClusterNode>, String> {
        let reply = self.ask(i, "CLUSTER NODES")?;
        let mut view = ClusterNode::parse_all(&reply)?;
        let live: Vec<&str> = self.live_indices().map(|j| self.ids[j].as_str()).collect();
        view.retain(|n| live.contains(&n.id.as_str()));
        for node in &mut view {
            node.flags.retain(|f| f != "myself");
        }
        view.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(view)
    }

    /// The port and parsed `CLUSTER NODES` of the first live node that
    /// answers.
    fn live_view(&self) -> (u16, Vec<ClusterNode>) {
        self.live_indices()
            .find_map(|i| {
                let view = ClusterNode::parse_all(&self.ask(i, "CLUSTER NODES").ok()?).ok()?;
                Some((self.nodes[i].port(), view))
            })
            .expect("a live cluster node answers CLUSTER NODES")
    }

    fn cluster_info(&self, i: usize) -> Result<String, String> {
        self.ask(i, "CLUSTER INFO")
    }

    fn info(&self, i: usize, section: &str) -> Result<String, String> {
        self.ask(i, &format!("INFO {section}"))
    }

    fn ask(&self, i: usize, command: &str) -> Result<String, String> {
        let reply = resp::try_query(self.nodes[i].port(), command)
            .map_err(|e| format!("node {i} did not answer {command}: {e}"))?;
        match reply {
            resp::Reply::Error(e) => Err(format!("node {i} refused {command}: {e}")),
            reply => Ok(reply.text()),
        }
    }

    /// Running and not frozen: the nodes worth asking.
    fn live_indices(&self) -> impl Iterator<Item = usize> + '_ {
        let now = Instant::now();
        (0..NODES).filter(move |&i| {
            self.nodes[i].pid().is_some() && self.frozen_until[i].is_none_or(|until| until <= now)
        })
    }

    fn live(&self) -> impl Iterator<Item = &RedisServer> {
        self.live_indices().map(|i| &self.nodes[i])
    }

    fn index_of(&self, id: &str) -> usize {
        self.ids
            .iter()
            .position(|known| known == id)
            .unwrap_or_else(|| panic!("node id {id} is not one of this cluster's"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILOVER_LIMIT: Duration = Duration::from_secs(30);

    /// Waits until replica `replica` has every write its master has, so
    /// what a test wrote survives a failover.
    fn wait_for_sync(cluster: &RedisCluster, master: usize, replica: usize) {
        let offset = |i| {
            let info = cluster.info(i, "replication").unwrap();
            let field = if i == master {
                "master_repl_offset"
            } else {
                "slave_repl_offset"
            };
            info_field(&info, field).unwrap().to_owned()
        };
        wait_until(SETTLE_LIMIT, "the replica catching up", || {
            let (m, r) = (offset(master), offset(replica));
            if m == r {
                Ok(())
            } else {
                Err(format!("{m} vs {r}"))
            }
        });
    }

    #[test]
    fn a_killed_then_a_frozen_master_fail_over_to_their_replicas() {
        let started = Instant::now();
        let mut cluster = RedisCluster::start();
        eprintln!("cluster up in {:?}", started.elapsed());
        assert_eq!(cluster.masters().len(), 3);
        assert_eq!(cluster.cli(["SET", "greeting", "hello"]), "OK");

        let master = cluster.master_for_key("greeting");
        let replica = cluster.replica_of(master).expect("a replica");
        wait_for_sync(&cluster, master, replica);
        cluster.kill(master);
        let took = cluster.wait_for_failover_of(master, FAILOVER_LIMIT);
        eprintln!("failover after a kill in {took:?}");
        assert_eq!(cluster.master_for_key("greeting"), replica);
        assert_eq!(cluster.cli(["GET", "greeting"]), "hello");

        let restarted = Instant::now();
        cluster.restart(master);
        eprintln!("old master back as a replica in {:?}", restarted.elapsed());
        assert_eq!(cluster.replica_of(replica), Some(master));

        let other = *cluster.masters().iter().find(|&&m| m != replica).unwrap();
        let its_replica = cluster.replica_of(other).expect("a replica");
        cluster.freeze(other, Duration::from_secs(5));
        let took = cluster.wait_for_failover_of(other, FAILOVER_LIMIT);
        eprintln!("failover after a freeze in {took:?}");
        assert!(cluster.masters().contains(&its_replica));
        cluster.wait_until_settled(SETTLE_LIMIT);
        assert_eq!(cluster.replica_of(its_replica), Some(other));
        assert_eq!(cluster.urls().len(), NODES);
    }
}
