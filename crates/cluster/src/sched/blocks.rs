//! An executor's storage memory: the cached blocks it holds (Spark's `MemoryStore` for
//! `MEMORY_ONLY` blocks, <https://spark.apache.org/docs/latest/rdd-programming-guide.html#rdd-persistence>).
//!
//! Memory is a hard limit here: a block that does not fit is not cached. Spark would evict
//! least recently used blocks of *other* datasets to make room; the model leaves eviction out,
//! so a learner sees the limit directly.

use std::collections::BTreeMap;

/// The blocks one executor keeps in memory, and how much room it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct BlockStore {
    capacity_bytes: u64,
    /// Block name ("page_views#3") to its bytes, in name order.
    blocks: BTreeMap<String, u64>,
}

impl BlockStore {
    pub(super) fn new(capacity_bytes: u64) -> BlockStore {
        BlockStore {
            capacity_bytes,
            blocks: BTreeMap::new(),
        }
    }

    pub(super) fn holds(&self, block: &str) -> bool {
        self.blocks.contains_key(block)
    }

    pub(super) fn used_bytes(&self) -> u64 {
        self.blocks.values().sum()
    }

    /// Keeps the block if it fits in the free memory; returns whether it is now held.
    pub(super) fn try_store(&mut self, block: &str, bytes: u64) -> bool {
        if self.holds(block) {
            return true;
        }
        let fits = self
            .used_bytes()
            .checked_add(bytes)
            .is_some_and(|total| total <= self.capacity_bytes);
        if fits {
            self.blocks.insert(block.to_string(), bytes);
        }
        fits
    }

    /// Drops the blocks whose name starts with `prefix`; returns how many.
    pub(super) fn drop_prefix(&mut self, prefix: &str) -> usize {
        let before = self.blocks.len();
        self.blocks.retain(|name, _| !name.starts_with(prefix));
        before - self.blocks.len()
    }

    /// Forgets every block (the executor died); returns how many were lost.
    pub(super) fn clear(&mut self) -> usize {
        let lost = self.blocks.len();
        self.blocks.clear();
        lost
    }

    /// The blocks held, in name order, with their bytes.
    pub(super) fn list(&self) -> Vec<(String, u64)> {
        self.blocks
            .iter()
            .map(|(name, bytes)| (name.clone(), *bytes))
            .collect()
    }
}
