//! Meaning: the mean word embedding of a text, from a table derived from wordllama 0.4
//! (`l2_supercat`, MIT: `model/WORDLLAMA-LICENSE`) and embedded in the binary.
//!
//! The table (`model/wordllama-l2-64.bin`, ~2.4 MB) holds the LLaMA-2 tokenizer's 32,000 tokens
//! and the first [`DIMS`] of wordllama's Matryoshka-trained 256 dimensions, one int8 row per
//! token with its own scale; `scripts/embeddings/make-wordllama.py` regenerates it from the
//! wheel. Nothing is downloaded at run time.
//!
//! Tokenising is the LLaMA-2 tokenizer's: SentencePiece's normalisation (a leading `▁`, spaces
//! as `▁`), then byte-pair merges in rank order within each `▁`-word (no token of this vocabulary
//! has a `▁` after a non-`▁`, so words never merge across), characters outside the vocabulary as
//! byte-fallback tokens. Words longer than [`BPE_MAX_CHARS`] (pasted hashes, base64) take a
//! greedy longest match instead, to bound the quadratic merge loop. Measured against the
//! `tokenizers` library in docs/LEARNED.md. A text's embedding is the mean of its tokens' rows
//! (wordllama's average pooling), scaled to unit length.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Dimensions kept from wordllama's 256 (Matryoshka prefix).
pub const DIMS: usize = 64;

static TABLE_BYTES: &[u8] = include_bytes!("../model/wordllama-l2-64.bin");

/// Longer words are matched greedily rather than merged.
pub const BPE_MAX_CHARS: usize = 64;

/// The parsed table.
pub struct Table {
    ids: HashMap<&'static [u8], u32, Fnv>,
    /// (left, right) → (rank, merged token).
    merges: HashMap<(u32, u32), (u32, u32), Fnv>,
    max_len: usize,
    scales: Vec<f32>,
    values: &'static [u8],
}

#[derive(Default, Clone, Copy)]
struct Fnv;

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl Table {
    /// Parse a table file (the format written by `make-wordllama.py`).
    pub fn parse(b: &'static [u8]) -> Result<Table, String> {
        let u32_at = |o: usize| -> Result<u32, String> {
            b.get(o..o + 4)
                .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
                .ok_or_else(|| "embedding table truncated".to_string())
        };
        if b.get(..8) != Some(b"AGSTEMB\0".as_slice()) {
            return Err("not an embedding table".into());
        }
        if u32_at(8)? != 1 {
            return Err("embedding table of another format version".into());
        }
        let n = u32_at(12)? as usize;
        if u32_at(16)? as usize != DIMS {
            return Err(format!("embedding table is not {DIMS}-dimensional"));
        }
        let mut o = 20;
        let mut tokens: Vec<&'static [u8]> = Vec::with_capacity(n);
        let mut ids = HashMap::with_capacity_and_hasher(n, Fnv);
        let mut max_len = 1;
        for id in 0..n {
            let len = *b.get(o).ok_or("embedding table truncated")? as usize;
            let tok = b
                .get(o + 1..o + 1 + len)
                .ok_or("embedding table truncated")?;
            tokens.push(tok);
            // Special tokens (<unk>, <s>, </s>) and the byte tokens are never matched as text.
            if id >= 259 {
                ids.entry(tok).or_insert(id as u32);
                max_len = max_len.max(len);
            }
            o += 1 + len;
        }
        let scales = (0..n)
            .map(|i| {
                b.get(o + 4 * i..o + 4 * i + 4)
                    .map(|s| f32::from_le_bytes([s[0], s[1], s[2], s[3]]))
                    .ok_or_else(|| "embedding table truncated".to_string())
            })
            .collect::<Result<Vec<f32>, String>>()?;
        o += 4 * n;
        let values = b.get(o..o + n * DIMS).ok_or("embedding table truncated")?;
        o += n * DIMS;
        let n_merges = u32_at(o)? as usize;
        o += 4;
        let mut merges = HashMap::with_capacity_and_hasher(n_merges, Fnv);
        for rank in 0..n_merges {
            let p = b
                .get(o + 4 * rank..o + 4 * rank + 4)
                .ok_or("embedding table truncated")?;
            let (l, r) = (
                u16::from_le_bytes([p[0], p[1]]) as usize,
                u16::from_le_bytes([p[2], p[3]]) as usize,
            );
            let (Some(lt), Some(rt)) = (tokens.get(l), tokens.get(r)) else {
                return Err(format!(
                    "embedding table: merge {rank} names a token out of range"
                ));
            };
            let joined = [*lt, *rt].concat();
            let Some(m) = ids.get(joined.as_slice()) else {
                return Err(format!(
                    "embedding table: merge {rank} makes no token of the vocabulary"
                ));
            };
            merges
                .entry((l as u32, r as u32))
                .or_insert((rank as u32, *m));
        }
        if b.len() != o + 4 * n_merges {
            return Err("embedding table has trailing bytes".into());
        }
        Ok(Table {
            ids,
            merges,
            max_len,
            scales,
            values,
        })
    }

    /// The table embedded in the binary.
    pub fn embedded() -> &'static Table {
        static T: OnceLock<Table> = OnceLock::new();
        T.get_or_init(|| {
            Table::parse(TABLE_BYTES)
                .unwrap_or_else(|e| panic!("the embedded embedding table is broken: {e}"))
        })
    }

    /// Token ids of a text (the LLaMA-2 tokenizer's, see the module documentation).
    pub fn tokenize(&self, text: &str, out: &mut Vec<u32>) {
        self.each_word_tokens(text, |t| out.extend_from_slice(t));
    }

    /// The tokens of each `▁`-word of a text, in order: SentencePiece's `▁` + the text with
    /// spaces as `▁`, cut before every `▁` (no string of the whole text is built). Words come
    /// from this thread's cache of words already merged (prompts repeat their words; the merge
    /// loop is the expensive part), borrowed once per text.
    fn each_word_tokens(&self, text: &str, mut f: impl FnMut(&[u32])) {
        thread_local! {
            static CACHE: std::cell::RefCell<HashMap<Box<str>, Box<[u32]>, Fnv>> =
                const { std::cell::RefCell::new(HashMap::with_hasher(Fnv)) };
        }
        const CACHE_WORDS: usize = 100_000;
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            let mut w = String::with_capacity(64);
            let mut syms = Vec::new();
            let mut out = Vec::new();
            for piece in text.split([' ', '▁']) {
                w.clear();
                w.push('▁');
                w.push_str(piece);
                if let Some(t) = c.get(w.as_str()) {
                    f(t);
                    continue;
                }
                out.clear();
                self.merge_word(&w, &mut syms, &mut out);
                f(&out);
                if c.len() >= CACHE_WORDS {
                    c.clear();
                }
                c.insert(w.as_str().into(), out.as_slice().into());
            }
        })
    }

    /// Byte-pair merges within one word.
    fn merge_word(&self, w: &str, syms: &mut Vec<u32>, out: &mut Vec<u32>) {
        if w.chars().count() > BPE_MAX_CHARS {
            return self.greedy(w.as_bytes(), out);
        }
        syms.clear();
        let mut buf = [0u8; 4];
        for c in w.chars() {
            let cb = c.encode_utf8(&mut buf).as_bytes();
            match self.ids.get(cb) {
                Some(id) => syms.push(*id),
                None => syms.extend(cb.iter().map(|b| 3 + *b as u32)),
            }
        }
        loop {
            let best = syms
                .windows(2)
                .enumerate()
                .filter_map(|(i, p)| {
                    self.merges
                        .get(&(p[0], p[1]))
                        .map(|(rank, m)| (*rank, i, *m))
                })
                .min();
            let Some((_, i, m)) = best else { break };
            syms[i] = m;
            syms.remove(i + 1);
        }
        out.extend_from_slice(syms);
    }

    /// Greedy longest match, with byte fallback.
    fn greedy(&self, b: &[u8], out: &mut Vec<u32>) {
        let mut i = 0;
        while i < b.len() {
            let longest = (1..=self.max_len.min(b.len() - i))
                .rev()
                .find_map(|l| self.ids.get(&b[i..i + l]).map(|id| (l, *id)));
            match longest {
                Some((l, id)) => {
                    out.push(id);
                    i += l;
                }
                None => {
                    out.push(3 + b[i] as u32);
                    i += 1;
                }
            }
        }
    }

    /// Add the token's row to `acc`.
    fn add(&self, id: u32, acc: &mut [f32; DIMS]) {
        let id = id as usize;
        let Some(scale) = self.scales.get(id) else {
            return;
        };
        let row = &self.values[id * DIMS..(id + 1) * DIMS];
        for (a, v) in acc.iter_mut().zip(row) {
            *a += (*v as i8) as f32 * scale;
        }
    }

    /// The unit-length mean embedding of the texts' tokens (zeros when there are none).
    pub fn embed<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> [f32; DIMS] {
        let mut sum = Sum::default();
        for t in texts {
            sum.add_text(self, t);
        }
        sum.unit()
    }
}

/// A running sum of token rows, in token order (so a sum over a text's prefix is, bit for bit,
/// the same as the first part of the sum over the whole text).
#[derive(Clone)]
pub struct Sum {
    acc: [f32; DIMS],
}

impl Default for Sum {
    fn default() -> Self {
        Sum { acc: [0.0; DIMS] }
    }
}

impl Sum {
    /// Add the rows of a text's tokens.
    pub fn add_text(&mut self, table: &Table, text: &str) {
        table.each_word_tokens(text, |t| {
            for id in t {
                table.add(*id, &mut self.acc);
            }
        });
    }

    /// The mean direction so far: the sum scaled to unit length (zeros when empty).
    pub fn unit(&self) -> [f32; DIMS] {
        let mut acc = self.acc;
        let norm = acc.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for a in &mut acc {
                *a /= norm;
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32; DIMS], b: &[f32; DIMS]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn tokenizes_like_sentencepiece_on_common_words() {
        let t = Table::embedded();
        let mut ids = Vec::new();
        t.tokenize("fix the bug", &mut ids);
        // LLaMA-2: ▁fix ▁the ▁bug are single tokens.
        assert_eq!(ids.len(), 3, "{ids:?}");
        assert!(ids.iter().all(|i| *i >= 259));
        // Known LLaMA-2 ids (the `tokenizers` library's output for these strings).
        ids.clear();
        t.tokenize("hello world", &mut ids);
        assert_eq!(ids, [22172, 3186]);
        ids.clear();
        t.tokenize("\u{1}", &mut ids);
        assert_eq!(
            ids,
            [t.ids["▁".as_bytes()], 3 + 1],
            "a control byte falls back to its byte token"
        );
        ids.clear();
        t.tokenize(&"x".repeat(BPE_MAX_CHARS + 5), &mut ids);
        assert!(
            !ids.is_empty() && ids.len() < BPE_MAX_CHARS,
            "a long word is matched greedily"
        );
    }

    #[test]
    fn related_texts_are_closer_than_unrelated_ones() {
        let t = Table::embedded();
        let a = t.embed(["fix the failing unit test in the parser"]);
        let b = t.embed(["the parser test fails please repair it"]);
        let c = t.embed(["write a poem about autumn leaves and the sea"]);
        assert!((cos(&a, &a) - 1.0).abs() < 1e-4);
        assert!(
            cos(&a, &b) > cos(&a, &c),
            "{} vs {}",
            cos(&a, &b),
            cos(&a, &c)
        );
        assert_eq!(t.embed([""; 0]), [0.0; DIMS]);
    }

    #[test]
    fn a_damaged_table_is_refused() {
        assert!(Table::parse(b"nope").is_err());
        let cut: &'static [u8] = &TABLE_BYTES[..TABLE_BYTES.len() - 1];
        assert!(Table::parse(cut)
            .err()
            .is_some_and(|e| e.contains("truncated")));
    }
}
