//! Counting lines: how many a text has, and how many a change from one text to another adds
//! and removes. Shared by the adapters (formats that record whole files before and after an
//! edit) and telemetry (edits recorded as tool inputs).

use crate::LineDelta;

/// Number of lines in a text (a trailing newline does not start a new line; "" has none).
pub fn count_lines(s: &str) -> u64 {
    if s.is_empty() {
        return 0;
    }
    let n = memchr_count(s.as_bytes(), b'\n') as u64;
    if s.ends_with('\n') {
        n
    } else {
        n + 1
    }
}

fn memchr_count(b: &[u8], c: u8) -> usize {
    b.iter().filter(|&&x| x == c).count()
}

/// Largest LCS table we compute (cells); beyond it, unmatched middles count fully.
const LCS_CELLS: usize = 4_000_000;

/// Lines added and removed turning `old` into `new`: common prefix and suffix trimmed, then
/// a longest-common-subsequence diff of the middle (as `diff` would count them).
pub fn diff_lines(old: &str, new: &str) -> LineDelta {
    let a: Vec<&str> = split_lines(old);
    let b: Vec<&str> = split_lines(new);
    let pre = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let a = &a[pre..];
    let b = &b[pre..];
    let suf = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let a = &a[..a.len() - suf];
    let b = &b[..b.len() - suf];
    let common = if a.is_empty() || b.is_empty() || a.len().saturating_mul(b.len()) > LCS_CELLS {
        0
    } else {
        lcs_len(a, b)
    };
    LineDelta {
        added: (b.len() - common) as u64,
        removed: (a.len() - common) as u64,
    }
}

fn split_lines(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.split('\n').collect()
}

fn lcs_len(a: &[&str], b: &[&str]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(cur[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
