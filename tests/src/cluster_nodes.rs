//! One node's view of a Redis Cluster: the `CLUSTER NODES` reply, parsed.
//!
//! [`RedisCluster`](crate::redis_cluster::RedisCluster) compares these views
//! across nodes to tell a settled cluster from one still gossiping.

use std::ops::RangeInclusive;

/// One line of `CLUSTER NODES`: a node as the asked node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    /// The 40-character node id.
    pub id: String,
    /// Its client port.
    pub port: u16,
    /// The flags: `myself`, `master`, `slave`, `fail?`, `fail`, ...
    pub flags: Vec<String>,
    /// The id of its master, for a replica.
    pub master_id: Option<String>,
    /// The slots it serves; slots in migration are left out.
    pub slots: Vec<RangeInclusive<u16>>,
}

impl ClusterNode {
    /// Parses the whole `CLUSTER NODES` reply.
    ///
    /// ```
    /// use sessions_tests::cluster_nodes::ClusterNode;
    ///
    /// let view = ClusterNode::parse_all(
    ///     "e7d1 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460 7000\n\
    ///      07c3 127.0.0.1:30004@40004 slave e7d1 0 1426238317239 1 connected\n",
    /// )
    /// .unwrap();
    /// assert!(view[0].is_myself() && view[0].is_master());
    /// assert!(view[0].serves(7000) && !view[0].serves(5461));
    /// assert_eq!(view[1].master_id.as_deref(), Some("e7d1"));
    /// ```
    pub fn parse_all(reply: &str) -> Result<Vec<Self>, String> {
        reply
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(Self::parse)
            .collect()
    }

    /// Parses one line.
    pub fn parse(line: &str) -> Result<Self, String> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [
            id,
            address,
            flags,
            master,
            _ping,
            _pong,
            _epoch,
            _link,
            slots @ ..,
        ] = &fields[..]
        else {
            return Err(format!("short CLUSTER NODES line: {line:?}"));
        };
        Ok(Self {
            id: (*id).to_owned(),
            port: port_of(address).ok_or_else(|| format!("no port in {line:?}"))?,
            flags: flags.split(',').map(str::to_owned).collect(),
            master_id: (*master != "-").then(|| (*master).to_owned()),
            slots: slots.iter().filter_map(|s| slot_range(s)).collect(),
        })
    }

    /// The node that answered.
    pub fn is_myself(&self) -> bool {
        self.has_flag("myself")
    }

    /// A master (with or without slots).
    pub fn is_master(&self) -> bool {
        self.has_flag("master")
    }

    /// Suspected (`fail?`) or agreed (`fail`) to be down.
    pub fn is_failing(&self) -> bool {
        self.has_flag("fail") || self.has_flag("fail?")
    }

    /// Whether it serves `slot`.
    pub fn serves(&self, slot: u16) -> bool {
        self.slots.iter().any(|range| range.contains(&slot))
    }

    fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// `127.0.0.1:30001@40001,hostname` → 30001.
fn port_of(address: &str) -> Option<u16> {
    let client = address.split(['@', ',']).next()?;
    client.rsplit_once(':')?.1.parse().ok()
}

/// `0-5460` or `7000`; `None` for a slot in migration (`[7000->-id]`).
fn slot_range(field: &str) -> Option<RangeInclusive<u16>> {
    match field.split_once('-') {
        Some((first, last)) => Some(first.parse().ok()?..=last.parse().ok()?),
        None => field.parse().ok().map(|slot| slot..=slot),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_failed_master_and_a_migrating_slot() {
        let node = ClusterNode::parse(
            "abc 127.0.0.1:7001@17001,host master,fail - 1 2 3 disconnected 0-9 [10->-def]",
        )
        .unwrap();
        assert_eq!(node.port, 7001);
        assert!(node.is_master() && node.is_failing() && !node.is_myself());
        assert_eq!(node.slots, [0..=9]);
        assert_eq!(node.master_id, None);
    }

    #[test]
    fn a_short_line_is_an_error() {
        assert!(ClusterNode::parse("abc 127.0.0.1:7001@17001 master").is_err());
    }
}
