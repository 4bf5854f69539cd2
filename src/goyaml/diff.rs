//! Unified diffs of YAML text as omnictl prints them (template diffs, `apply --dry-run`): a
//! Myers line diff in difflib's unified format, 3 lines of context.

fn split_lines(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    s.strip_suffix('\n').unwrap_or(s).split('\n').collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Del,
    Ins,
}

/// Myers' O((N+M)D) shortest edit script.
fn myers(a: &[&str], b: &[&str]) -> Vec<Op> {
    let n = a.len() as isize;
    let m = b.len() as isize;
    let max = (n + m) as usize;
    let off = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let idx = |k: isize| (k + off) as usize;
    'outer: for d in 0..=(max as isize) {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let down = k == -d
                || (k != d
                    && v.get(idx(k - 1)).copied().unwrap_or(0)
                        < v.get(idx(k + 1)).copied().unwrap_or(0));
            let mut x = if down {
                v.get(idx(k + 1)).copied().unwrap_or(0)
            } else {
                v.get(idx(k - 1)).copied().unwrap_or(0) + 1
            };
            let mut y = x - k;
            while x < n && y < m && a.get(x as usize) == b.get(y as usize) {
                x += 1;
                y += 1;
            }
            if let Some(slot) = v.get_mut(idx(k)) {
                *slot = x;
            }
            if x >= n && y >= m {
                trace.push(v.clone());
                break 'outer;
            }
            k += 2;
        }
    }
    // backtrack
    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    let steps = trace.len().saturating_sub(1);
    for d in (0..steps).rev() {
        let v = &trace[d];
        let d = d as isize;
        let k = x - y;
        let down = k == -d
            || (k != d
                && v.get(idx(k - 1)).copied().unwrap_or(0)
                    < v.get(idx(k + 1)).copied().unwrap_or(0));
        let prev_k = if down { k + 1 } else { k - 1 };
        let prev_x = v.get(idx(prev_k)).copied().unwrap_or(0);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            ops.push(Op::Eq);
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            if down {
                ops.push(Op::Ins);
                y -= 1;
            } else {
                ops.push(Op::Del);
                x -= 1;
            }
        }
    }
    while x > 0 && y > 0 {
        ops.push(Op::Eq);
        x -= 1;
        y -= 1;
    }
    ops.reverse();
    ops
}

/// A unified diff (`---`/`+++` headers, 3 lines of context); empty when equal.
pub fn unified_diff(old_name: &str, new_name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a = split_lines(old);
    let b = split_lines(new);
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    if a.len() + b.len() > 75_000 {
        out.push_str(&format!(
            "@@ -1,{} +1,{} @@ diff too large to display\n",
            a.len(),
            b.len()
        ));
        return out;
    }
    let ops = myers(&a, &b);
    // positions per op
    let mut items: Vec<(Op, usize, usize)> = Vec::with_capacity(ops.len());
    let (mut i, mut j) = (0usize, 0usize);
    for op in ops {
        items.push((op, i, j));
        match op {
            Op::Eq => {
                i += 1;
                j += 1;
            }
            Op::Del => i += 1,
            Op::Ins => j += 1,
        }
    }
    const CTX: usize = 3;
    let changes: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, it)| it.0 != Op::Eq)
        .map(|(k, _)| k)
        .collect();
    let mut body = String::new();
    let mut k = 0;
    while k < changes.len() {
        let start = changes[k].saturating_sub(CTX);
        let mut end = changes[k];
        while k + 1 < changes.len() && changes[k + 1] <= end + 2 * CTX + 1 {
            k += 1;
            end = changes[k];
        }
        let end = (end + CTX).min(items.len() - 1);
        let slice = &items[start..=end];
        let (oa, ob) = (slice[0].1, slice[0].2);
        let ol = slice.iter().filter(|x| x.0 != Op::Ins).count();
        let nl = slice.iter().filter(|x| x.0 != Op::Del).count();
        let os = if ol == 0 { oa } else { oa + 1 };
        let ns = if nl == 0 { ob } else { ob + 1 };
        body.push_str(&format!("@@ -{os},{ol} +{ns},{nl} @@\n"));
        for (op, x, y) in slice {
            match op {
                Op::Eq => {
                    body.push(' ');
                    body.push_str(a.get(*x).copied().unwrap_or_default());
                }
                Op::Del => {
                    body.push('-');
                    body.push_str(a.get(*x).copied().unwrap_or_default());
                }
                Op::Ins => {
                    body.push('+');
                    body.push_str(b.get(*y).copied().unwrap_or_default());
                }
            }
            body.push('\n');
        }
        k += 1;
    }
    if body.len() > 512 * 1024 {
        out.push_str(&format!(
            "@@ -1,{} +1,{} @@ diff too large to display\n",
            a.len(),
            b.len()
        ));
        return out;
    }
    out.push_str(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_and_change_hunks() {
        assert_eq!(
            unified_diff("/dev/null", "X", "", "a\nb\n"),
            "--- /dev/null\n+++ X\n@@ -0,0 +1,2 @@\n+a\n+b\n"
        );
        assert_eq!(
            unified_diff("X", "X", "a\nb\nc\n", "a\nB\nc\n"),
            "--- X\n+++ X\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
        assert_eq!(unified_diff("X", "X", "a\n", "a\n"), "");
    }
}
