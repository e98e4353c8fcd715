//! A long JSON string kept as its head and tail only ([`crate::claude::cap_output`]'s result),
//! decoding those two ends of its raw text instead of the whole string: tool outputs past the
//! cap are about a tenth of a Codex file's bytes. The text is the one `cap_output` gives for the
//! decoded string, byte for byte.

use crate::claude::{capped, OUTPUT_CAP};

/// A raw JSON string's text (quotes included) capped as `cap_output` caps its decoded value,
/// or `None` when it decodes to no more than the cap or holds a `\u` escape of a surrogate (the
/// caller then decodes it whole, as serde_json does). `raw` must have passed serde_json's skip
/// (escapes well-formed, no control characters).
pub(crate) fn cap_raw(raw: &str) -> Option<String> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    // Escape starts about every KB of decoded text, for the tail's walk to start near it.
    let mut marks = Vec::new();
    let (_, len) = position(inner, (0, 0), usize::MAX, Round::Down, Some(&mut marks))?;
    if len <= OUTPUT_CAP {
        return None;
    }
    let half = OUTPUT_CAP / 2;
    // The raw text up to at least `half` decoded bytes, and from at most `len - half`.
    let (head_end, _) = position(inner, (0, 0), half, Round::Up, None)?;
    let from = marks
        .iter()
        .rev()
        .find(|&&(_, d)| d <= len - half)
        .map_or((0, 0), |&m| m);
    let (tail_start, tail_at) = position(inner, from, len - half, Round::Down, None)?;
    let head = decode(&inner[..head_end])?;
    let tail = decode(&inner[tail_start..])?;
    let mut h = half;
    while !head.is_char_boundary(h) {
        h -= 1;
    }
    let mut t = len - half;
    while !tail.is_char_boundary(t - tail_at) {
        t += 1;
    }
    Some(capped(&head[..h], t - h, &tail[t - tail_at..]))
}

/// Decode a run of raw string text that starts and ends between escapes.
fn decode(inner: &str) -> Option<String> {
    let mut quoted = String::with_capacity(inner.len() + 2);
    quoted.push('"');
    quoted.push_str(inner);
    quoted.push('"');
    serde_json::from_str(&quoted).ok()
}

#[derive(Clone, Copy, PartialEq)]
enum Round {
    /// The last position at or before the target.
    Down,
    /// The first position at or after it.
    Up,
}

/// A position in the raw text between escapes and characters, whose decoded offset is `target`
/// or, when none is, the nearest one rounded as asked: (raw offset, decoded offset). With a
/// target past the end: (the raw length, the decoded length). `None` for a surrogate escape.
/// The walk starts at `from`, a position between escapes (raw, decoded offsets); `marks`
/// collects such positions about every KB of decoded text.
fn position(
    inner: &str,
    from: (usize, usize),
    target: usize,
    round: Round,
    mut marks: Option<&mut Vec<(usize, usize)>>,
) -> Option<(usize, usize)> {
    let b = inner.as_bytes();
    let (mut r, mut d) = from;
    let mut next_mark = 0;
    loop {
        // A run of plain text up to the next escape (or the end) decodes to itself.
        let run = memchr::memchr(b'\\', &b[r..]).unwrap_or(b.len() - r);
        if target <= d + run {
            let mut p = r + (target - d);
            while !inner.is_char_boundary(p) {
                if round == Round::Up {
                    p += 1;
                } else {
                    p -= 1;
                }
            }
            return Some((p, d + (p - r)));
        }
        r += run;
        d += run;
        if r == b.len() {
            return Some((r, d));
        }
        if let Some(m) = marks.as_deref_mut().filter(|_| d >= next_mark) {
            m.push((r, d));
            next_mark = d + 1024;
        }
        let (raw_len, dec_len) = match b.get(r + 1)? {
            b'u' => {
                let hex = inner.get(r + 2..r + 6)?;
                let c = u32::from_str_radix(hex, 16).ok()?;
                if (0xD800..0xE000).contains(&c) {
                    return None;
                }
                (6, char::from_u32(c)?.len_utf8())
            }
            _ => (2, 1),
        };
        if target < d + dec_len {
            // The target falls inside one escape's decoded character.
            return Some(match round {
                Round::Down => (r, d),
                Round::Up => (r + raw_len, d + dec_len),
            });
        }
        r += raw_len;
        d += dec_len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claude::cap_output;
    use proptest::prelude::*;

    fn check(s: &str) {
        let raw = serde_json::to_string(s).unwrap();
        let want = (s.len() > OUTPUT_CAP).then(|| cap_output(s.into()));
        assert_eq!(cap_raw(&raw), want, "{} bytes", s.len());
    }

    #[test]
    fn same_text_as_capping_the_decoded_string() {
        check("");
        check(&"x".repeat(OUTPUT_CAP));
        check(&"x".repeat(OUTPUT_CAP + 1));
        check(&"a\n\"é\u{1}\\".repeat(OUTPUT_CAP / 3));
        // Multi-byte characters across both cut points, plain and escaped.
        for pad in 0..4 {
            let s = format!("{}{}", "y".repeat(pad), "€日\u{7f}".repeat(OUTPUT_CAP / 2));
            check(&s);
            let raw = format!(
                "\"{}{}\"",
                "y".repeat(pad),
                "\\u20ac\\u65e5".repeat(OUTPUT_CAP / 2)
            );
            let dec: String = serde_json::from_str(&raw).unwrap();
            assert_eq!(cap_raw(&raw), Some(cap_output(dec.into())));
        }
    }

    #[test]
    fn surrogates_are_left_to_the_whole_decode() {
        let raw = format!("\"{}\\ud83d\\ude00\"", "z".repeat(2 * OUTPUT_CAP));
        assert_eq!(cap_raw(&raw), None);
        assert_eq!(cap_raw("\"short\""), None);
    }

    proptest! {
        #[test]
        fn any_long_string_caps_as_its_decoded_value(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["a", "\n", "\"", "\\", "é", "日本", "\u{1f600}", "\t\r", "\u{0}", "/", "bcdefgh"]),
                0..200,
            ),
            repeat in 1usize..400,
        ) {
            let s = parts.concat().repeat(repeat);
            // Escape `/` and non-ASCII too, as some writers do.
            let raw: String = serde_json::to_string(&s).unwrap();
            let want = (s.len() > OUTPUT_CAP).then(|| cap_output(s.as_str().into()));
            prop_assert_eq!(cap_raw(&raw), want.clone());
            let ascii: String = raw.chars().map(|c| match c {
                '/' => "\\/".to_string(),
                c if !c.is_ascii() && (c as u32) < 0x10000 => format!("\\u{:04x}", c as u32),
                c => c.to_string(),
            }).collect();
            prop_assert_eq!(cap_raw(&ascii), want);
        }
    }
}
