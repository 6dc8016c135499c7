//! One small stable sort shared by every engine and page, to keep the WebAssembly bundle small.
//!
//! Each call of the standard library's `sort_by`/`sort_unstable_by` on a new element type or a new
//! closure compiles a fresh copy of its sorting algorithm (several kilobytes of code each); with
//! dozens of call sites that alone made up a noticeable share of the app's bundle. Here the
//! algorithm exists once: a bottom-up merge sort over a permutation of indices, calling the
//! comparator through one `&mut dyn FnMut(usize, usize) -> Ordering`. Only two tiny pieces are
//! generic: the closure that compares two elements by index, and [`apply_order`], which moves the
//! elements into the sorted order with swaps. [`collect_map`] and [`collect_set`] build ordered
//! collections without the sort that `collect()` into a `BTreeMap`/`BTreeSet` compiles in.
//!
//! The sort is *stable* (equal elements keep their order), so it may replace both stable and
//! unstable standard sorts, with deterministic ties. It costs an index vector (one `usize` per
//! element) and an indirection per comparison: fine for the small collections of the labs and the
//! pages; the SQL engine's hot `ORDER BY` and window paths keep the standard sorts.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Runs shorter than this are sorted by insertion before the merge passes.
const INSERTION_RUN: usize = 16;

/// Sorts `items` stably by `compare`.
pub fn sort_by<T, F>(items: &mut [T], mut compare: F)
where
    F: FnMut(&T, &T) -> Ordering,
{
    if items.len() < 2 {
        return;
    }
    let order = {
        let view: &[T] = items;
        stable_order(view.len(), &mut |a, b| compare(&view[a], &view[b]))
    };
    apply_order(items, order);
}

/// Sorts `items` stably by the key `key` extracts (computed twice per comparison, like std's).
pub fn sort_by_key<T, K, F>(items: &mut [T], mut key: F)
where
    K: Ord,
    F: FnMut(&T) -> K,
{
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` stably in their natural (`Ord`) order.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// Builds a map by inserting the pairs one by one (a later pair replaces the value of an earlier
/// equal key, as `collect()` does). `collect()` into a `BTreeMap` first sorts the pairs with the
/// standard sort, compiling one more copy of it per key and value type; inserting does not.
pub fn collect_map<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(pairs);
    map
}

/// Builds a set by inserting the items one by one, for the same reason as [`collect_map`].
pub fn collect_set<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    set.extend(items);
    set
}

/// The stable sorted order of `len` elements: position `i` of the result holds the index of the
/// element that belongs at `i`. `compare(a, b)` compares the elements at indices `a` and `b`.
pub fn stable_order(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    for run in order.chunks_mut(INSERTION_RUN) {
        insertion_sort(run, compare);
    }
    let mut buffer = vec![0; len];
    let mut width = INSERTION_RUN;
    while width < len {
        for start in (0..len).step_by(2 * width) {
            let middle = (start + width).min(len);
            let end = (start + 2 * width).min(len);
            merge(
                &order[start..middle],
                &order[middle..end],
                &mut buffer[start..end],
                compare,
            );
        }
        std::mem::swap(&mut order, &mut buffer);
        width *= 2;
    }
    order
}

/// Sorts a short run of indices stably by insertion.
fn insertion_sort(run: &mut [usize], compare: &mut dyn FnMut(usize, usize) -> Ordering) {
    for i in 1..run.len() {
        let mut j = i;
        while j > 0 && compare(run[j - 1], run[j]) == Ordering::Greater {
            run.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Merges two sorted runs into `out`, taking from `left` on ties (which keeps the sort stable).
fn merge(
    left: &[usize],
    right: &[usize],
    out: &mut [usize],
    compare: &mut dyn FnMut(usize, usize) -> Ordering,
) {
    let (mut l, mut r) = (0, 0);
    for slot in out.iter_mut() {
        let take_left =
            r == right.len() || (l < left.len() && compare(left[l], right[r]) != Ordering::Greater);
        if take_left {
            *slot = left[l];
            l += 1;
        } else {
            *slot = right[r];
            r += 1;
        }
    }
}

/// Rearranges `items` so that position `i` holds what was at `order[i]`, following each cycle
/// of the permutation with swaps. `order` must be a permutation of `0..items.len()`.
pub fn apply_order<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = order[at];
            order[at] = DONE;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Rng, Seed};

    #[test]
    fn matches_std_stable_sort_on_random_keys_with_ties() {
        let mut rng = Rng::new(Seed(7));
        for len in [0usize, 1, 2, 3, 15, 16, 17, 31, 32, 33, 100, 257, 1000] {
            let items: Vec<(u64, usize)> = (0..len).map(|i| (rng.next_u64() % 10, i)).collect();
            let mut ours = items.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std_sorted = items;
            std_sorted.sort_by_key(|a| a.0);
            assert_eq!(ours, std_sorted, "len {len}");
        }
    }

    #[test]
    fn sorts_by_key_and_natural_order() {
        let mut words = vec!["pear", "fig", "apple", "kiwi", "banana"];
        sort_by_key(&mut words, |w| w.len());
        assert_eq!(words, ["fig", "pear", "kiwi", "apple", "banana"]);
        sort(&mut words);
        assert_eq!(words, ["apple", "banana", "fig", "kiwi", "pear"]);
    }

    #[test]
    fn collecting_by_inserts_matches_collect() {
        let pairs = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd')];
        let expected: BTreeMap<i32, char> = pairs.into_iter().collect();
        assert_eq!(collect_map(pairs), expected);
        let expected: BTreeSet<i32> = pairs.iter().map(|p| p.0).collect();
        assert_eq!(collect_set(pairs.iter().map(|p| p.0)), expected);
    }

    #[test]
    fn stable_order_is_a_permutation_and_apply_order_follows_it() {
        let keys = [5u8, 3, 9, 3, 1];
        let order = stable_order(keys.len(), &mut |a, b| keys[a].cmp(&keys[b]));
        assert_eq!(order, [4, 1, 3, 0, 2]);
        let mut letters = ['a', 'b', 'c', 'd', 'e'];
        apply_order(&mut letters, order);
        assert_eq!(letters, ['e', 'b', 'd', 'a', 'c']);
    }
}
