//! One executor: its task slots (`spark.executor.cores`), its speed and its storage memory.

use super::blocks::BlockStore;
use super::{ClusterConfig, ExecutorId};

/// An executor as the scheduler keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Executor {
    pub(super) id: ExecutorId,
    pub(super) alive: bool,
    /// Percent of normal compute speed (a straggler node is slower).
    pub(super) speed_percent: u16,
    /// The attempt running in each slot (index into the cluster's attempts).
    pub(super) slots: Vec<Option<usize>>,
    pub(super) blocks: BlockStore,
}

impl Executor {
    pub(super) fn new(id: ExecutorId, config: &ClusterConfig) -> Executor {
        Executor {
            id,
            alive: true,
            speed_percent: 100,
            slots: vec![None; usize::from(config.cores_per_executor)],
            blocks: BlockStore::new(config.storage_bytes_per_executor),
        }
    }

    /// The first free slot of a live executor.
    pub(super) fn free_slot(&self) -> Option<u16> {
        if !self.alive {
            return None;
        }
        let slot = self.slots.iter().position(Option::is_none)?;
        u16::try_from(slot).ok()
    }

    pub(super) fn slot_count(&self) -> u16 {
        u16::try_from(self.slots.len()).unwrap_or(u16::MAX)
    }

    /// The attempts running here, by slot.
    pub(super) fn running_attempts(&self) -> Vec<usize> {
        self.slots.iter().flatten().copied().collect()
    }
}
