//! go-yaml's "natural" ordering of mapping keys (templates, resource YAML and the config
//! files all sort map keys this way).

use std::cmp::Ordering;

use crate::goyaml::emit::Y;

/// Go reflect kind rank used when comparing keys of different kinds.
fn kind_rank(y: &Y) -> u8 {
    match y {
        Y::Bool(_) => 1,
        Y::Int(_) => 6,
        Y::Uint(_) => 11,
        Y::Float(_) => 14,
        Y::Str(_) | Y::Raw(_) => 24,
        Y::Null => 0,
        Y::Seq(_) => 23,
        Y::Map(_) => 21,
    }
}

fn key_float(y: &Y) -> Option<f64> {
    match y {
        Y::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Y::Int(i) => Some(*i as f64),
        Y::Uint(u) => Some(*u as f64),
        Y::Float(f) => Some(*f),
        _ => None,
    }
}

fn text(y: &Y) -> Option<&str> {
    match y {
        Y::Str(s) | Y::Raw(s) => Some(s),
        _ => None,
    }
}

/// `true` when `a` sorts before `b` (go-yaml `keyList.Less`).
fn less(a: &Y, b: &Y) -> bool {
    let (sa, sb) = (text(a), text(b));
    let (Some(sa), Some(sb)) = (sa, sb) else {
        if let (Some(af), Some(bf)) = (key_float(a), key_float(b)) {
            if af != bf {
                return af < bf;
            }
            return kind_rank(a) < kind_rank(b);
        }
        return kind_rank(a) < kind_rank(b);
    };
    let ar: Vec<char> = sa.chars().collect();
    let br: Vec<char> = sb.chars().collect();
    let mut digits = false;
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            digits = ar[i].is_numeric();
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if digits { al } else { bl };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 {
                j -= 1;
                if !ar[j].is_numeric() {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Comparison for `sort_by`, stable.
pub(crate) fn natural_cmp(a: &Y, b: &Y) -> Ordering {
    if less(a, b) {
        Ordering::Less
    } else if less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn sorts_naturally() {
        let mut v = vec![
            Y::str("a10"),
            Y::str("a2"),
            Y::str("b"),
            Y::str("B"),
            Y::str("a"),
        ];
        v.sort_by(natural_cmp);
        assert_eq!(
            v,
            vec![
                Y::str("B"),
                Y::str("a"),
                Y::str("a2"),
                Y::str("a10"),
                Y::str("b")
            ]
        );
    }
}
