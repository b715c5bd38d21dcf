//! The records of a memory backend: a bounded segmented LRU (SLRU) with an
//! index of expiry times, so that every operation, eviction included, is
//! O(1) or O(log n).
//!
//! A new record enters the probation segment. Loaded or updated again, it
//! moves to the protected segment, which holds at most four fifths of the
//! capacity ([`PROBATION_SHARE`]); the least recently used protected record falls back
//! to probation when it is full. A full shelf makes room by dropping an
//! expired record if there is one, else the least recently used record of
//! probation, and only when probation is empty that of protected. So a
//! flood of new sessions that never come back evicts its own kind: it
//! cannot reach the records in use, which live in protected.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::slab::{Segment, Slab};
use crate::codec::UnixTime;
use crate::id::SessionId;
use crate::store::{OwnerId, Record, Update};

/// Probation keeps at least `1 / PROBATION_SHARE` of the capacity (a
/// fifth), so that new sessions have room to come back in before they are
/// evicted; protected may hold the rest.
const PROBATION_SHARE: usize = 5;

#[derive(Debug)]
struct Entry {
    /// Kept beside the record to remove it from the index on eviction.
    id: SessionId,
    record: Record,
}

/// Records by id, bounded, in SLRU order.
#[derive(Debug)]
pub(super) struct Shelf {
    capacity: usize,
    protected_max: usize,
    index: HashMap<SessionId, usize>,
    slab: Slab<Entry>,
    /// `(expires_at, slot)` of every record: the first is the next to
    /// expire, so expired records are found without a scan.
    expiries: BTreeSet<(UnixTime, usize)>,
    /// The slots of each owner's records, kept with every write and
    /// removal, so an entry leaves with its record.
    owners: HashMap<OwnerId, HashSet<usize>>,
    evicted: u64,
}

impl Shelf {
    /// A shelf of at most `capacity` records (at least one).
    pub(super) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            protected_max: capacity - capacity / PROBATION_SHARE,
            index: HashMap::new(),
            slab: Slab::new(),
            expiries: BTreeSet::new(),
            owners: HashMap::new(),
            evicted: 0,
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many records are kept, expired ones included.
    pub(super) fn len(&self) -> usize {
        self.index.len()
    }

    /// How many live records were dropped to make room.
    pub(super) fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The record under `id` if it is live at `now`; a use, so it protects
    /// the record.
    pub(super) fn load(&mut self, id: &SessionId, now: UnixTime) -> Option<&Record> {
        let slot = self.live_slot(id, now)?;
        self.protect(slot);
        Some(&self.slab.get(slot).record)
    }

    /// Inserts `record` under `id` unless a live record has it.
    pub(super) fn create(&mut self, id: &SessionId, record: &Record, now: UnixTime) -> bool {
        if let Some(&slot) = self.index.get(id) {
            if !self.slab.get(slot).record.is_expired(now) {
                return false;
            }
            self.remove(slot);
        }
        self.make_room(now);
        let entry = Entry {
            id: id.clone(),
            record: record.clone(),
        };
        let slot = self.slab.push(Segment::Probation, entry);
        self.index.insert(id.clone(), slot);
        self.expiries.insert((record.times.expires_at, slot));
        self.index_owner(record.owner, slot);
        true
    }

    /// Replaces the record under `id` if it is live at `now` and at
    /// version `expected`; a write is a use, so it protects the record.
    pub(super) fn update(
        &mut self,
        id: &SessionId,
        expected: u64,
        record: &Record,
        now: UnixTime,
    ) -> Update {
        let Some(slot) = self.live_slot(id, now) else {
            return Update::Missing;
        };
        if self.slab.get(slot).record.version != expected {
            return Update::Stale;
        }
        let old = std::mem::replace(&mut self.slab.get_mut(slot).record, record.clone());
        self.expiries.remove(&(old.times.expires_at, slot));
        self.expiries.insert((record.times.expires_at, slot));
        if old.owner != record.owner {
            self.unindex_owner(old.owner, slot);
            self.index_owner(record.owner, slot);
        }
        self.protect(slot);
        Update::Written
    }

    /// Removes the record under `id`; whether there was one.
    pub(super) fn delete(&mut self, id: &SessionId) -> bool {
        match self.index.get(id) {
            Some(&slot) => {
                self.remove(slot);
                true
            }
            None => false,
        }
    }

    /// Removes the records expired at `now`, soonest first; how many.
    pub(super) fn purge_expired(&mut self, now: UnixTime) -> usize {
        let mut purged = 0;
        while self.remove_one_expired(now) {
            purged += 1;
        }
        purged
    }

    /// The records of `owner` live at `now`, with their ids.
    pub(super) fn owned(&self, owner: &OwnerId, now: UnixTime) -> Vec<(SessionId, Record)> {
        let Some(slots) = self.owners.get(owner) else {
            return Vec::new();
        };
        slots
            .iter()
            .map(|&slot| self.slab.get(slot))
            .filter(|entry| !entry.record.is_expired(now))
            .map(|entry| (entry.id.clone(), entry.record.clone()))
            .collect()
    }

    fn index_owner(&mut self, owner: Option<OwnerId>, slot: usize) {
        if let Some(owner) = owner {
            self.owners.entry(owner).or_default().insert(slot);
        }
    }

    fn unindex_owner(&mut self, owner: Option<OwnerId>, slot: usize) {
        let Some(owner) = owner else { return };
        if let Some(slots) = self.owners.get_mut(&owner) {
            slots.remove(&slot);
            if slots.is_empty() {
                self.owners.remove(&owner);
            }
        }
    }

    /// How many owners have an entry in the index, for tests.
    #[cfg(test)]
    fn indexed_owners(&self) -> usize {
        self.owners.len()
    }

    fn live_slot(&self, id: &SessionId, now: UnixTime) -> Option<usize> {
        let slot = *self.index.get(id)?;
        (!self.slab.get(slot).record.is_expired(now)).then_some(slot)
    }

    /// Moves `slot` to the front of protected, and the least recently used
    /// protected record back to probation if protected is over its share.
    fn protect(&mut self, slot: usize) {
        self.slab.move_to(slot, Segment::Protected);
        if self.slab.len(Segment::Protected) > self.protected_max
            && let Some(oldest) = self.slab.oldest(Segment::Protected)
        {
            self.slab.move_to(oldest, Segment::Probation);
        }
    }

    /// Drops one record if the shelf is full: an expired one if any, else
    /// the least recently used of probation, else of protected.
    fn make_room(&mut self, now: UnixTime) {
        if self.len() < self.capacity || self.remove_one_expired(now) {
            return;
        }
        let victim = self
            .slab
            .oldest(Segment::Probation)
            .or_else(|| self.slab.oldest(Segment::Protected));
        if let Some(slot) = victim {
            self.remove(slot);
            self.evicted += 1;
        }
    }

    fn remove_one_expired(&mut self, now: UnixTime) -> bool {
        match self.expiries.first() {
            Some(&(expires_at, slot)) if expires_at <= now => {
                self.remove(slot);
                true
            }
            _ => false,
        }
    }

    fn remove(&mut self, slot: usize) {
        let Entry { id, record } = self.slab.remove(slot);
        self.index.remove(&id);
        self.expiries.remove(&(record.times.expires_at, slot));
        self.unindex_owner(record.owner, slot);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::codec::Times;

    const NOW: UnixTime = UnixTime::from_secs(1_000);

    fn record(start: u64, secs: u64) -> Record {
        let start = UnixTime::from_secs(start);
        Record::new(vec![1], Times::fresh(start, Duration::from_secs(secs)))
    }

    /// Creates `n` live records at `NOW`; their ids, oldest first.
    fn fill(shelf: &mut Shelf, n: usize) -> Vec<SessionId> {
        let ids: Vec<_> = (0..n).map(|_| SessionId::generate()).collect();
        for id in &ids {
            assert!(shelf.create(id, &record(1_000, 100), NOW));
        }
        ids
    }

    #[test]
    fn an_expired_record_goes_before_any_live_one() {
        let mut shelf = Shelf::new(3);
        let ids = fill(&mut shelf, 2);
        let stale = SessionId::generate();
        assert!(shelf.create(&stale, &record(900, 10), NOW));
        fill(&mut shelf, 1);
        assert!(shelf.load(&ids[0], NOW).is_some(), "the oldest live stays");
        assert!(!shelf.index.contains_key(&stale));
        assert_eq!((shelf.len(), shelf.evicted()), (3, 0));
    }

    #[test]
    fn new_records_evict_unused_ones_oldest_first() {
        let mut shelf = Shelf::new(3);
        let ids = fill(&mut shelf, 3);
        assert_eq!(
            shelf.update(&ids[0], 1, &record(1_000, 200), NOW),
            Update::Written
        );
        let newer = fill(&mut shelf, 2);
        assert!(shelf.index.contains_key(&ids[0]), "updated: protected");
        assert!(!shelf.index.contains_key(&ids[1]));
        assert!(!shelf.index.contains_key(&ids[2]));
        assert_eq!(shelf.evicted(), 2);
        assert!(newer.iter().all(|id| shelf.index.contains_key(id)));
    }

    #[test]
    fn protected_is_bounded_and_falls_back_to_probation() {
        let mut shelf = Shelf::new(5);
        let ids = fill(&mut shelf, 5);
        for id in &ids {
            assert!(shelf.load(id, NOW).is_some());
        }
        assert_eq!(shelf.slab.len(Segment::Protected), 4);
        fill(&mut shelf, 1);
        assert!(!shelf.index.contains_key(&ids[0]), "least recently used");
        assert!(ids[1..].iter().all(|id| shelf.index.contains_key(id)));
    }

    #[test]
    fn updates_move_the_expiry_and_purge_takes_exactly_the_expired() {
        let mut shelf = Shelf::new(10);
        let ids = fill(&mut shelf, 4);
        let longer = record(1_000, 500).with_version(2);
        assert_eq!(shelf.update(&ids[0], 1, &longer, NOW), Update::Written);
        let later = UnixTime::from_secs(1_200);
        assert!(shelf.load(&ids[1], later).is_none(), "expired at later");
        let revived = record(1_200, 500).with_version(2);
        assert_eq!(shelf.update(&ids[1], 1, &revived, later), Update::Missing);
        assert_eq!(shelf.purge_expired(later), 3);
        assert_eq!(shelf.len(), 1);
        assert_eq!(shelf.expiries.len(), 1);
        assert!(shelf.load(&ids[0], later).is_some());
        assert!(shelf.delete(&ids[0]));
        assert!(!shelf.delete(&ids[0]));
        assert!(shelf.expiries.is_empty() && shelf.index.is_empty());
    }

    #[test]
    fn a_stale_update_changes_nothing() {
        let mut shelf = Shelf::new(3);
        let ids = fill(&mut shelf, 3);
        let newer = record(1_000, 900).with_version(2);
        assert_eq!(shelf.update(&ids[0], 2, &newer, NOW), Update::Stale);
        assert_eq!(shelf.load(&ids[0], NOW), Some(&record(1_000, 100)));
        assert_eq!(shelf.update(&ids[0], 1, &newer, NOW), Update::Written);
        assert_eq!(shelf.update(&ids[0], 1, &newer, NOW), Update::Stale);
        assert_eq!(shelf.load(&ids[0], NOW).map(|r| r.version), Some(2));
        assert_eq!(shelf.expiries.len(), 3);
    }

    #[test]
    fn an_expired_record_under_the_id_is_replaced() {
        let mut shelf = Shelf::new(1);
        let id = SessionId::generate();
        assert!(shelf.create(&id, &record(900, 10), NOW));
        assert!(shelf.create(&id, &record(1_000, 10), NOW));
        assert!(!shelf.create(&id, &record(1_000, 10), NOW), "live now");
        assert_eq!((shelf.len(), shelf.evicted()), (1, 0));
    }

    #[test]
    fn the_owner_index_leaves_with_each_record() {
        let ada = OwnerId::new("user", "ada");
        let owned = |secs| record(1_000, secs).with_owner(Some(ada));
        let mut shelf = Shelf::new(2);
        let ids: Vec<_> = (0..3).map(|_| SessionId::generate()).collect();
        assert!(shelf.create(&ids[0], &owned(10), NOW));
        assert!(shelf.create(&ids[1], &owned(100), NOW));
        assert_eq!(shelf.owned(&ada, NOW).len(), 2);
        // Expired, then dropped to make room for a newcomer: its entry
        // goes with it.
        let newcomer = record(1_000, 100);
        assert!(shelf.create(&ids[2], &newcomer, NOW + Duration::from_secs(20)));
        let later = NOW + Duration::from_secs(20);
        let listed: Vec<_> = shelf
            .owned(&ada, later)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(listed, [ids[1].clone()]);
        // An update that clears the owner leaves the index.
        let cleared = record(1_000, 100).with_version(2);
        assert_eq!(shelf.update(&ids[1], 1, &cleared, later), Update::Written);
        assert!(shelf.owned(&ada, later).is_empty());
        assert_eq!(shelf.indexed_owners(), 0);
    }
}
