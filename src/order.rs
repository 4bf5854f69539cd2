//! Sorting and map building shared by every caller, for the size of the `.wasm`: each
//! `sort_by` with its own closure, and each `collect()` into a `BTreeMap` (which sorts its
//! input), compiles another copy of the standard library's stable sort (about 4 KB). Here the
//! sort is compiled once, over indices with a `dyn` comparator, and maps are built by
//! insertion.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Stable sort of `v` by `cmp`.
pub(crate) fn sort_with<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    let order = order_by(v.len(), &|a, b| match (v.get(a), v.get(b)) {
        (Some(x), Some(y)) => cmp(x, y),
        _ => Ordering::Equal,
    });
    permute(v, &order);
}

/// Stable sort of `v` by a string key.
pub(crate) fn sort_by_str<T>(v: &mut Vec<T>, key: impl Fn(&T) -> &str) {
    let order = {
        let keys: Vec<&str> = v.iter().map(&key).collect();
        order_by(keys.len(), &|a, b| keys.get(a).cmp(&keys.get(b)))
    };
    permute(v, &order);
}

/// Stable sort of `v` by a number, then a string.
#[cfg_attr(not(feature = "templates"), allow(dead_code))]
pub(crate) fn sort_by_num_str<T>(v: &mut Vec<T>, key: impl Fn(&T) -> (usize, &str)) {
    let order = {
        let keys: Vec<(usize, &str)> = v.iter().map(&key).collect();
        order_by(keys.len(), &|a, b| keys.get(a).cmp(&keys.get(b)))
    };
    permute(v, &order);
}

/// A map of `pairs` (a later duplicate key wins, as with `collect()`).
pub(crate) fn map_of<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut m = BTreeMap::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    m
}

/// The stable order of `n` items under `cmp` (the one instantiation of the sort).
fn order_by(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|a, b| cmp(*a, *b));
    idx
}

/// Reorder `v` so that position `i` holds the element that was at `order[i]`.
fn permute<T>(v: &mut Vec<T>, order: &[usize]) {
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    for &i in order {
        if let Some(x) = slots.get_mut(i).and_then(Option::take) {
            v.push(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_sorts_are_stable() {
        let mut v = vec![("b", 1), ("a", 2), ("b", 0), ("a", 1)];
        sort_by_str(&mut v, |x| x.0);
        assert_eq!(v, vec![("a", 2), ("a", 1), ("b", 1), ("b", 0)]);
        let mut w = vec![(2, "x"), (1, "b"), (2, "a"), (1, "a")];
        sort_by_num_str(&mut w, |x| (x.0, x.1));
        assert_eq!(w, vec![(1, "a"), (1, "b"), (2, "a"), (2, "x")]);
        let mut n = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e')];
        sort_with(&mut n, |a, b| a.0.cmp(&b.0));
        assert_eq!(n, vec![(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]);
    }

    #[test]
    fn maps_keep_the_last_duplicate_like_collect() {
        let pairs = [("b", 1), ("a", 2), ("b", 3)];
        let m = map_of(pairs);
        assert_eq!(m, pairs.into_iter().collect::<BTreeMap<_, _>>());
        assert_eq!(m.get("b"), Some(&3));
    }
}
