//! Every record a producer was asked to send, by send id: the history the delivery checks and
//! the ledger read. It only grows, one entry per record, so it is kept in fixed-size chunks
//! rather than one vector: a million sends never move when it grows (a single vector copies
//! everything each time it doubles), and the chunks are shared (`Rc`, copied on write), so a
//! cloned cluster (a checkpoint, a fork) copies pointers and later writes copy one chunk.

use super::Send;
use std::ops::{Index, IndexMut};
use std::rc::Rc;

/// Sends per chunk (a power of two: the index splits with a shift and a mask).
const CHUNK_SENDS: usize = 4096;

/// The sends, in order of their ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendHistory {
    /// Full chunks of [`CHUNK_SENDS`] sends, then the one being filled (never empty).
    chunks: Vec<Rc<Vec<Send>>>,
    len: usize,
}

impl SendHistory {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, id: usize) -> Option<&Send> {
        self.chunks.get(id / CHUNK_SENDS)?.get(id % CHUNK_SENDS)
    }

    /// Every send, oldest (id 0) first.
    pub fn iter(&self) -> impl Iterator<Item = &Send> + '_ {
        self.chunks.iter().flat_map(|chunk| chunk.iter())
    }

    /// Adds a send, under the id [`SendHistory::len`] gave before.
    pub(super) fn push(&mut self, send: Send) {
        if self.len.is_multiple_of(CHUNK_SENDS) {
            self.chunks.push(Rc::new(Vec::with_capacity(CHUNK_SENDS)));
        }
        if let Some(last) = self.chunks.last_mut() {
            Rc::make_mut(last).push(send);
        }
        self.len += 1;
    }
}

impl Index<usize> for SendHistory {
    type Output = Send;

    fn index(&self, id: usize) -> &Send {
        &self.chunks[id / CHUNK_SENDS][id % CHUNK_SENDS]
    }
}

impl IndexMut<usize> for SendHistory {
    fn index_mut(&mut self, id: usize) -> &mut Send {
        &mut Rc::make_mut(&mut self.chunks[id / CHUNK_SENDS])[id % CHUNK_SENDS]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::SendOutcome;
    use crate::group::TopicPartition;
    use crate::producer::{Acks, ProducerId};
    use crate::PartitionId;
    use sim::rng::{Rng, Seed};

    fn send(producer: u32) -> Send {
        Send {
            producer: ProducerId(producer),
            tp: Rc::new(TopicPartition {
                topic: "t".into(),
                partition: PartitionId(0),
            }),
            outcome: SendOutcome::Pending,
            acks: Acks::All,
            first_write: None,
            more_writes: Vec::new(),
        }
    }

    /// The chunked history against a plain vector under random pushes, writes and clones: same
    /// sends by id and in order, and a clone never sees the original's later writes.
    #[test]
    fn behaves_like_a_vector_and_clones_stay_apart() {
        let mut rng = Rng::new(Seed(18));
        let mut history = SendHistory::default();
        let mut model: Vec<Send> = Vec::new();
        let mut snapshots: Vec<(SendHistory, Vec<Send>)> = Vec::new();
        for step in 0..(3 * CHUNK_SENDS as u32 + 77) {
            assert_eq!(history.len(), model.len());
            history.push(send(step));
            model.push(send(step));
            if rng.chance_permille(300) {
                let target = rng.below(model.len() as u64) as usize;
                history[target].outcome = SendOutcome::Acked;
                model[target].outcome = SendOutcome::Acked;
            }
            if rng.chance_permille(2) {
                snapshots.push((history.clone(), model.clone()));
            }
        }
        assert_eq!(history.len(), model.len());
        assert!(history.iter().eq(model.iter()));
        for (id, expected) in model.iter().enumerate() {
            assert_eq!(history.get(id), Some(expected));
            assert_eq!(&history[id], expected);
        }
        assert_eq!(history.get(model.len()), None);
        assert!(!snapshots.is_empty());
        for (snapshot, then) in &snapshots {
            assert_eq!(snapshot.len(), then.len());
            assert!(snapshot.iter().eq(then.iter()));
        }
    }
}
