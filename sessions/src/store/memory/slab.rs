//! Values in a slab, each on one of two doubly linked lists threaded
//! through the slab by index: moving a value to the front of a list,
//! finding the oldest of a list and removing any value are O(1), with no
//! allocation per value beyond the slab's own `Vec`.

/// Which of the two lists a value is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Segment {
    /// New values, not yet used again.
    Probation,
    /// Values used again since they were added.
    Protected,
}

/// No slot: the end of a list.
const NIL: usize = usize::MAX;

#[derive(Debug)]
struct Node<T> {
    /// `None` while the slot is free.
    value: Option<T>,
    /// Towards the newest of the list.
    newer: usize,
    /// Towards the oldest of the list.
    older: usize,
    segment: Segment,
}

#[derive(Debug)]
struct Ends {
    newest: usize,
    oldest: usize,
    len: usize,
}

impl Ends {
    const EMPTY: Self = Self {
        newest: NIL,
        oldest: NIL,
        len: 0,
    };
}

/// A slab of values on two lists, newest first.
#[derive(Debug)]
pub(super) struct Slab<T> {
    nodes: Vec<Node<T>>,
    /// Slots freed by `remove`, reused before the `Vec` grows.
    free: Vec<usize>,
    lists: [Ends; 2],
}

impl<T> Slab<T> {
    pub(super) fn new() -> Self {
        Self {
            nodes: Vec::new(),
            free: Vec::new(),
            lists: [Ends::EMPTY, Ends::EMPTY],
        }
    }

    /// Adds `value` as the newest of `segment`; returns its slot.
    pub(super) fn push(&mut self, segment: Segment, value: T) -> usize {
        let node = Node {
            value: Some(value),
            newer: NIL,
            older: NIL,
            segment,
        };
        let slot = if let Some(slot) = self.free.pop() {
            self.nodes[slot] = node;
            slot
        } else {
            self.nodes.push(node);
            self.nodes.len() - 1
        };
        self.link(slot, segment);
        slot
    }

    /// Takes the value out of `slot` and frees the slot.
    pub(super) fn remove(&mut self, slot: usize) -> T {
        self.unlink(slot);
        self.free.push(slot);
        self.nodes[slot]
            .value
            .take()
            .expect("a slot handed out by push holds its value until removed")
    }

    /// Makes `slot` the newest of `segment`, whichever list it was on.
    pub(super) fn move_to(&mut self, slot: usize, segment: Segment) {
        self.unlink(slot);
        self.link(slot, segment);
    }

    /// The slot of the oldest value of `segment`.
    pub(super) fn oldest(&self, segment: Segment) -> Option<usize> {
        Some(self.lists[segment as usize].oldest).filter(|&slot| slot != NIL)
    }

    /// How many values `segment` holds.
    pub(super) fn len(&self, segment: Segment) -> usize {
        self.lists[segment as usize].len
    }

    pub(super) fn get(&self, slot: usize) -> &T {
        self.nodes[slot]
            .value
            .as_ref()
            .expect("a slot handed out by push holds its value until removed")
    }

    pub(super) fn get_mut(&mut self, slot: usize) -> &mut T {
        self.nodes[slot]
            .value
            .as_mut()
            .expect("a slot handed out by push holds its value until removed")
    }

    fn link(&mut self, slot: usize, segment: Segment) {
        let ends = &mut self.lists[segment as usize];
        let newest = std::mem::replace(&mut ends.newest, slot);
        if newest == NIL {
            ends.oldest = slot;
        } else {
            self.nodes[newest].newer = slot;
        }
        ends.len += 1;
        let node = &mut self.nodes[slot];
        (node.newer, node.older, node.segment) = (NIL, newest, segment);
    }

    fn unlink(&mut self, slot: usize) {
        let Node {
            newer,
            older,
            segment,
            ..
        } = self.nodes[slot];
        let ends = &mut self.lists[segment as usize];
        ends.len -= 1;
        if newer == NIL {
            ends.newest = older;
        } else {
            self.nodes[newer].older = older;
        }
        if older == NIL {
            ends.oldest = newer;
        } else {
            self.nodes[older].newer = newer;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Segment::{Probation, Protected};
    use super::*;

    /// The values of `segment`, oldest first, walked through the links.
    fn oldest_first(slab: &Slab<u32>, segment: Segment) -> Vec<u32> {
        let mut values = Vec::new();
        let mut slot = slab.oldest(segment);
        while let Some(s) = slot {
            values.push(*slab.get(s));
            slot = Some(slab.nodes[s].newer).filter(|&n| n != NIL);
        }
        assert_eq!(values.len(), slab.len(segment));
        values
    }

    #[test]
    fn lists_keep_their_order_through_moves_and_removals() {
        let mut slab = Slab::new();
        let slots: Vec<_> = (0..4).map(|v| slab.push(Probation, v)).collect();
        assert_eq!(oldest_first(&slab, Probation), [0, 1, 2, 3]);
        slab.move_to(slots[1], Protected);
        slab.move_to(slots[0], Protected);
        assert_eq!(oldest_first(&slab, Probation), [2, 3]);
        assert_eq!(oldest_first(&slab, Protected), [1, 0]);
        assert_eq!(slab.remove(slots[3]), 3);
        assert_eq!(slab.remove(slots[1]), 1);
        assert_eq!(oldest_first(&slab, Probation), [2]);
        assert_eq!(oldest_first(&slab, Protected), [0]);
        assert_eq!(slab.nodes[slots[0]].segment, Protected);
    }

    #[test]
    fn freed_slots_are_reused_and_emptied_lists_have_no_oldest() {
        let mut slab = Slab::new();
        let a = slab.push(Protected, 7);
        assert_eq!(slab.remove(a), 7);
        assert_eq!(slab.oldest(Protected), None);
        let b = slab.push(Probation, 8);
        assert_eq!(b, a, "the freed slot is reused");
        *slab.get_mut(b) += 1;
        assert_eq!(oldest_first(&slab, Probation), [9]);
        assert_eq!(slab.nodes.len(), 1);
    }
}
