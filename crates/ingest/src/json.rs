//! [`Json`]: a JSON value that borrows its strings from the line it was parsed from, and
//! [`jsonl_records`]: every record of a JSONL buffer parsed into one, for the adapters that read
//! records by field name (Codex, pi, Copilot CLI).
//!
//! It answers the same questions as a `serde_json::Value` (`get`, `as_str`, …) with the same
//! answers — the last of duplicate keys wins, numbers are `serde_json::Number`s — but a string
//! without escapes is a slice of the input instead of a new `String`, an object is a vector of
//! members instead of a `BTreeMap` of owned keys, and members no adapter reads (`skip`) are not
//! built at all, nor those an adapter reads in some kinds of records only ([`When`]). A file is
//! checked as UTF-8 once (SIMD) and its lines parsed by one stream parser, without checking each
//! string again; damaged lines go through the reader's recovery as before. Where a caller needs
//! a real `Value` (a tool call's input), [`Json::to_value`] builds exactly the one `serde_json`
//! would have; [`Json::same`] is `Value`'s equality.

use crate::diag::Diagnostics;
use agentstat_session::Millis;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A parsed JSON value borrowing from its input where it can.
#[derive(Debug, Clone)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Members in input order, duplicates included; lookups take the last (as
    /// `serde_json::Map` does when it parses them).
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

static NULL: Json<'static> = Json::Null;

impl<'a> Json<'a> {
    /// `self[k]` when `self` is an object holding `k` (the last such member).
    pub fn get(&self, k: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(m) => m.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `self[k]` taken out of `self` (left `null`): a value the caller keeps, not copied.
    pub fn take(&mut self, k: &str) -> Option<Json<'a>> {
        match self {
            Json::Object(m) => m
                .iter_mut()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| std::mem::replace(v, Json::Null)),
            _ => None,
        }
    }

    /// `self[k]` for changing, when `self` is an object holding `k` (the last such member).
    pub fn get_mut(&mut self, k: &str) -> Option<&mut Json<'a>> {
        match self {
            Json::Object(m) => m.iter_mut().rev().find(|(key, _)| key == k).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `self[k]`, or `null` when absent (for chained lookups).
    pub fn at(&self, k: &str) -> &Json<'a> {
        self.get(k).unwrap_or(&NULL)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The `serde_json::Value` that parsing the same text (less the skipped members) gives.
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(a) => Value::Array(a.iter().map(Json::to_value).collect()),
            Json::Object(m) => {
                let mut o = Map::new();
                for (k, v) in m {
                    o.insert(k.to_string(), v.to_value());
                }
                Value::Object(o)
            }
        }
    }

    /// Whether the two are equal as `serde_json::Value`s (objects as maps, the last of
    /// duplicate keys counting), without building them.
    pub fn same(&self, other: &Json) -> bool {
        match (self, other) {
            (Json::Null, Json::Null) => true,
            (Json::Bool(a), Json::Bool(b)) => a == b,
            (Json::Number(a), Json::Number(b)) => a == b,
            (Json::String(a), Json::String(b)) => a == b,
            (Json::Array(a), Json::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (Json::Object(a), Json::Object(b)) => {
                // Each key's last member only.
                let last = |m: &'_ [(Cow<'_, str>, Json<'_>)], i: usize| {
                    !m[i + 1..].iter().any(|(k, _)| *k == m[i].0)
                };
                let distinct =
                    |m: &[(Cow<'_, str>, Json<'_>)]| (0..m.len()).filter(|&i| last(m, i)).count();
                distinct(a) == distinct(b)
                    && (0..a.len())
                        .filter(|&i| last(a, i))
                        .all(|i| other.get(&a[i].0).is_some_and(|w| a[i].1.same(w)))
            }
            _ => false,
        }
    }

    /// The same value owning all its strings.
    pub fn into_owned(self) -> Json<'static> {
        match self {
            Json::Null => Json::Null,
            Json::Bool(b) => Json::Bool(b),
            Json::Number(n) => Json::Number(n),
            Json::String(s) => Json::String(Cow::Owned(s.into_owned())),
            Json::Array(a) => Json::Array(a.into_iter().map(Json::into_owned).collect()),
            Json::Object(m) => Json::Object(
                m.into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }
}

/// `v[k]` as a string.
pub(crate) fn str_of<'j>(v: &'j Json<'_>, k: &str) -> Option<&'j str> {
    v.get(k).and_then(Json::as_str)
}

/// `v[k]` as an RFC 3339 timestamp, or a number of milliseconds since the epoch.
pub(crate) fn time_of(v: &Json<'_>, k: &str) -> Option<Millis> {
    match v.get(k)? {
        Json::String(s) => agentstat_session::parse_timestamp(s),
        Json::Number(n) => n.as_i64().filter(|&t| t > 0),
        _ => None,
    }
}

/// `v[k]` as an unsigned count (0 when absent).
pub(crate) fn u64_of(v: &Json<'_>, k: &str) -> u64 {
    v.get(k).and_then(Json::as_u64).unwrap_or(0)
}

/// Parse one JSON text, leaving out the members named in `skip` at any depth (still checked
/// as JSON, never built).
pub(crate) fn parse<'a>(text: &'a str, skip: &[&str]) -> Result<Json<'a>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Seed { skip, when: &[] }.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// [`parse`] of bytes that may not be valid UTF-8 (serde_json checks each string).
pub(crate) fn parse_bytes<'a>(
    bytes: &'a [u8],
    skip: &[&str],
) -> Result<Json<'a>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = Seed { skip, when: &[] }.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// The lines of a buffer as `split(|c| c == b'\n')` gives them (a last, possibly empty, piece
/// after the last newline), with 1-based numbers.
pub(crate) fn lines(buf: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', buf);
    let mut no = 0u64;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        no += 1;
        let line = match ends.next() {
            Some(e) => {
                let l = &buf[start..e];
                start = e + 1;
                l
            }
            None => {
                done = true;
                &buf[start..]
            }
        };
        Some((no, line))
    })
}

/// The members an adapter's records leave out, at any depth ([`parse`]).
pub(crate) trait Skip {
    const SKIP: &'static [&'static str];
    /// Members left out of some kinds of objects only (a whole line's parse; [`When`]).
    const WHEN: &'static [When] = &[];
}

/// A record parsed with `S::SKIP` left out (what a stream of records yields).
struct Rec<'de, S>(Json<'de>, PhantomData<S>);

impl<'de, S: Skip> Deserialize<'de> for Rec<'de, S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Seed {
            skip: S::SKIP,
            when: S::WHEN,
        }
        .deserialize(d)
        .map(|v| Rec(v, PhantomData))
    }
}

/// Each JSON object of a JSONL buffer, with its 1-based line, in order, members named in
/// `S::SKIP` left out. A whole, valid line is parsed in place, borrowing from `buf` — lines
/// in a row by one parser, which keeps its buffer for decoding strings from line to line; any
/// other line goes through [`crate::reader::parse_line`], which reports damage into `diag`
/// (glued records are split, a cut line is a skip naming the file and line). Counts the
/// records read.
pub(crate) fn jsonl_records<'a, S: Skip>(
    buf: &'a [u8],
    name: &str,
    diag: &mut Diagnostics,
    mut f: impl FnMut(&mut Json<'a>, u64, &mut Diagnostics),
) {
    // One UTF-8 check for the whole buffer when it passes (else one per line).
    let text = simdutf8::basic::from_utf8(buf).ok();
    // A parser over the rest of the buffer from `.0`, and where its last record ended.
    let mut stream: Option<(usize, serde_json::StreamDeserializer<'_, _, Rec<'_, S>>)> = None;
    let mut recs: Vec<Json<'static>> = Vec::new();
    for (no, line) in lines(buf) {
        let t = crate::reader::trim(line);
        if t.first() == Some(&b'{') {
            // The reader's own first attempt, without its copies: the whole line is one record.
            let start = t.as_ptr() as usize - buf.as_ptr() as usize;
            let end = start + t.len();
            if let Some(text) = text {
                // Continue the stream when only JSON whitespace (blank lines, indentation)
                // lies between its last record and this one; else start one here.
                let at = stream.as_ref().map(|(base, s)| base + s.byte_offset());
                let continues = at.is_some_and(|at| {
                    at <= start
                        && buf[at..start]
                            .iter()
                            .all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                });
                if !continues {
                    stream = Some((
                        start,
                        serde_json::Deserializer::from_str(&text[start..]).into_iter(),
                    ));
                }
                if let Some((base, s)) = stream.as_mut() {
                    match s.next() {
                        // The record ends where the line does: it is the line's one record.
                        Some(Ok(Rec(mut v, _))) if *base + s.byte_offset() == end => {
                            diag.records += 1;
                            f(&mut v, no, diag);
                            continue;
                        }
                        _ => stream = None,
                    }
                }
            } else if let Ok(text) = simdutf8::basic::from_utf8(t) {
                if let Ok(mut v) = parse(text, S::SKIP) {
                    diag.records += 1;
                    f(&mut v, no, diag);
                    continue;
                }
            }
        }
        let n = crate::reader::parse_line(line, name, no, diag, |b| {
            recs.push(parse_bytes(b, S::SKIP)?.into_owned());
            Ok(())
        });
        diag.records += n;
        for mut v in recs.drain(..) {
            f(&mut v, no, diag);
        }
    }
}

/// A value parsed as a [`Json`] tree with nothing left out, where a serde-derived struct holds
/// it (a whole document read in one pass).
pub(crate) struct Tree<'a>(pub Json<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for Tree<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Seed {
            skip: &[],
            when: &[],
        }
        .deserialize(d)
        .map(Tree)
    }
}

#[derive(Clone, Copy)]
struct Seed<'s> {
    skip: &'s [&'s str],
    when: &'s [When],
}

/// A rule for members no adapter reads in one kind of object: in an object whose member `key`
/// is a string among `values` (say `"type": "system.message"`), the members named in `skip`
/// that come after it are left out. A later member `key` with another value would change what
/// the object is: the parse then fails, and the caller parses the line without the rules.
pub(crate) struct When {
    pub key: &'static str,
    pub values: &'static [&'static str],
    pub skip: &'static [&'static str],
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Json<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Json<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Number::from_f64(v).map_or(Json::Null, Json::Number))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = a.next_element_seed(self)? {
            v.push(x);
        }
        Ok(Json::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        // Records' objects have a few members to a dozen: one allocation for most.
        let mut m = Vec::with_capacity(8);
        // The rule in force in this object, with the value that put it in force.
        let mut rule: Option<(&When, &'de str)> = None;
        while let Some(k) = a.next_key_seed(Key)? {
            if self.skip.contains(&k.as_ref())
                || rule.is_some_and(|(w, _)| w.skip.contains(&k.as_ref()))
            {
                a.next_value::<IgnoredAny>()?;
                continue;
            }
            let v = a.next_value_seed(self)?;
            if let Some((w, was)) = rule {
                if w.key == k && v.as_str() != Some(was) {
                    return Err(de::Error::custom(
                        "a member that decides what to skip changed",
                    ));
                }
            } else if let Some(s) = v.as_str() {
                rule = self.when.iter().find_map(|w| {
                    let value = w.values.iter().find(|x| **x == s)?;
                    (w.key == k).then_some((w, *value))
                });
            }
            m.push((k, v));
        }
        Ok(Json::Object(m))
    }
}

/// A member's name, borrowed when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TEXTS: &[&str] = &[
        r#"{"a":1,"b":-2,"c":1.5,"d":"x\ny","e":[true,null,{"f":"g"}],"a":"last"}"#,
        r#"{"details":{"big":"x"},"m":{"details":[1,2],"keep":"y"},"l":[{"details":0,"z":true}]}"#,
        r#"{"\u0041":"\u00e9","n":18446744073709551615,"m":-9223372036854775808,"e":1e400}"#,
        r#"[1,"two",{"z":{},"a":[]}]"#,
        r#""just a string""#,
    ];

    #[test]
    fn take_and_get_mut_reach_the_last_duplicate() {
        let mut j = parse(r#"{"o":"first","o":"x\ny","k":1}"#, &[]).unwrap();
        assert!(matches!(j.get_mut("k"), Some(Json::Number(_))));
        match j.take("o") {
            Some(Json::String(s)) => assert_eq!(s, "x\ny"),
            other => panic!("{other:?}"),
        }
        // Left `null`, the earlier duplicate untouched (as a lookup still sees the last one).
        assert!(j.get("o").is_some_and(Json::is_null));
        assert_eq!(j.to_value(), serde_json::json!({"o": null, "k": 1}));
        assert!(j.take("absent").is_none());
        assert!(Json::Null.take("o").is_none());
    }

    #[test]
    fn same_value_as_serde_json_less_the_skipped_members() {
        for t in TEXTS {
            let j = parse(t, &["details"]);
            let v = crate::build::parse_skipping(t.as_bytes(), &["details"]);
            match (j, v) {
                (Ok(j), Ok(v)) => {
                    assert_eq!(j.to_value(), v, "{t}");
                    assert!(parse_bytes(t.as_bytes(), &["details"]).unwrap().same(&j));
                    assert!(j.clone().into_owned().same(&j));
                    assert_eq!(j.clone().into_owned().to_value(), v);
                }
                (j, v) => assert_eq!(j.is_ok(), v.is_ok(), "{t}"),
            }
        }
    }

    #[test]
    fn lookups_answer_as_value_does() {
        let t = TEXTS[0];
        let (j, v) = (
            parse(t, &[]).unwrap(),
            serde_json::from_str::<Value>(t).unwrap(),
        );
        for k in ["a", "b", "c", "d", "e", "zz"] {
            assert_eq!(j.get(k).map(Json::to_value).as_ref(), v.get(k), "get {k}");
            assert_eq!(str_of(&j, k), v.get(k).and_then(Value::as_str), "{k}");
            assert_eq!(j.at(k).as_u64(), v[k].as_u64(), "{k}");
            assert_eq!(j.at(k).as_i64(), v[k].as_i64(), "{k}");
            assert_eq!(j.at(k).as_bool(), v[k].as_bool(), "{k}");
            assert_eq!(j.at(k).is_null(), v[k].is_null(), "{k}");
            assert_eq!(j.at(k).is_object(), v[k].is_object(), "{k}");
        }
        assert_eq!(str_of(&j, "a"), Some("last"));
        let pairs = [
            (r#"{"a":1,"b":[1,"x"]}"#, r#"{"b":[1,"x"],"a":1}"#),
            (r#"{"a":1,"a":2}"#, r#"{"a":2}"#),
            (r#"{"a":1,"a":2}"#, r#"{"a":1}"#),
            (r#"{"a":1}"#, r#"{"a":1,"b":null}"#),
            (r#"{"a":1.0}"#, r#"{"a":1}"#),
            (r#"{"a":"x\ny"}"#, r#"{"a":"x\u000ay"}"#),
            (r#"[{}]"#, r#"[{},{}]"#),
            (r#"null"#, r#"false"#),
        ];
        for (x, y) in pairs {
            let (jx, jy) = (parse(x, &[]).unwrap(), parse(y, &[]).unwrap());
            let (vx, vy): (Value, Value) = (
                serde_json::from_str(x).unwrap(),
                serde_json::from_str(y).unwrap(),
            );
            assert_eq!(jx.same(&jy), vx == vy, "{x} {y}");
            assert_eq!(jy.same(&jx), vx == vy, "{y} {x}");
        }
        assert_eq!(j.at("e").as_array().map(<[Json]>::len), Some(3));
        // Strings without escapes are borrowed, those with escapes decoded.
        assert!(matches!(
            j.get("a"),
            Some(Json::String(Cow::Borrowed("last")))
        ));
        assert!(matches!(j.get("d"), Some(Json::String(Cow::Owned(s))) if s == "x\ny"));
    }

    #[test]
    fn times_and_counts() {
        let j = parse(
            r#"{"t":"2025-01-02T03:04:05.678Z","n":1700000000000,"z":0,"c":7,"neg":-1}"#,
            &[],
        )
        .unwrap();
        assert_eq!(
            time_of(&j, "t"),
            agentstat_session::parse_timestamp("2025-01-02T03:04:05.678Z")
        );
        assert_eq!(time_of(&j, "n"), Some(1_700_000_000_000));
        assert_eq!(time_of(&j, "z"), None);
        assert_eq!(
            (u64_of(&j, "c"), u64_of(&j, "neg"), u64_of(&j, "x")),
            (7, 0, 0)
        );
    }

    #[test]
    fn lines_split_as_slice_split_does() {
        for buf in [&b""[..], b"\n", b"a\nb", b"a\nb\n", b"\n\na\n\n", b"abc"] {
            let ours: Vec<_> = lines(buf).collect();
            let std: Vec<_> = buf
                .split(|&c| c == b'\n')
                .enumerate()
                .map(|(i, l)| (i as u64 + 1, l))
                .collect();
            assert_eq!(ours, std);
        }
    }

    struct NoSkip;
    impl Skip for NoSkip {
        const SKIP: &'static [&'static str] = &[];
    }

    /// `jsonl_records` against the reader with serde_json's `Value`s: the same records on the
    /// same lines, and the same diagnostics.
    fn same_as_reader(buf: &[u8]) -> Diagnostics {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let (mut d1, mut d2) = (Diagnostics::default(), Diagnostics::default());
        jsonl_records::<NoSkip>(buf, "f.jsonl", &mut d1, |v, no, _| {
            ours.push((no, v.to_value()))
        });
        crate::build::jsonl_values(buf, "f.jsonl", &mut d2, |v, no, _| theirs.push((no, v)));
        assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(buf));
        assert_eq!(format!("{d1:?}"), format!("{d2:?}"));
        d1
    }

    #[test]
    fn damaged_lines_are_recovered_or_reported_as_by_the_reader() {
        // Not valid UTF-8 as a whole: line by line.
        let d = same_as_reader(b"{\"a\":1}\n\n {\"b\":2}{\"c\":3}\r\n{\"cut\":\n[1]\n{\"d\":\"\xff\"}\n\xef\xbb\xbf{\"e\":[]}\n{\"f\":{}} x");
        assert_eq!(d.records, 6);
        assert!(d.warnings_total >= 4, "{d:?}");
        // Valid UTF-8: one stream, restarted around each damaged line.
        let d = same_as_reader(
            b"{\"a\":1}\n\n  \t{\"b\":\"x\\ny\"}  \r\n{\"c\":3}{\"g\":4}\n{\"cut\":\n1}\n[1]\n\x0c{\"ff\":1}\n\xef\xbb\xbf{\"e\":[]}\n{\"f\":{}} x\n{\"h\":{\"i\":[1,2]}}\n\n{\"last\":",
        );
        assert_eq!(d.records, 8, "{d:?}");
        assert!(d.warnings_total >= 5, "{d:?}");
    }

    struct Rules;
    impl Skip for Rules {
        const SKIP: &'static [&'static str] = &["never"];
        const WHEN: &'static [When] = &[When {
            key: "type",
            values: &["x", "z"],
            skip: &["data", "more"],
        }];
    }

    #[test]
    fn members_left_out_by_kind_only_after_the_kind_and_only_while_it_holds() {
        let buf = concat!(
            r#"{"type":"x","data":{"a":1},"keep":2,"more":[3],"never":0}"#,
            "\n",
            r#"{"data":1,"type":"z","more":2}"#,
            "\n",
            r#"{"type":"y","data":1}"#,
            "\n",
            r#"{"type":"x","data":1,"type":"x"}"#,
            "\n",
            r#"{"type":"x","data":1,"type":"y"}"#,
            "\n",
            r#"{"o":{"type":"z","data":1},"data":2}"#,
        );
        let mut got = Vec::new();
        let mut d = Diagnostics::default();
        jsonl_records::<Rules>(buf.as_bytes(), "f.jsonl", &mut d, |v, _, _| {
            got.push(v.to_value())
        });
        let want: Vec<Value> = [
            r#"{"type":"x","keep":2}"#,
            r#"{"data":1,"type":"z"}"#,
            r#"{"type":"y","data":1}"#,
            r#"{"type":"x"}"#,
            // The kind changed after `data` was left out: the line is read without the rules.
            r#"{"type":"y","data":1}"#,
            r#"{"o":{"type":"z"},"data":2}"#,
        ]
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect();
        assert_eq!(got, want);
        assert_eq!((d.records, d.warnings_total), (6, 0));
    }

    proptest! {
        #[test]
        fn any_mix_of_lines_reads_as_the_reader_reads_it(
            lines in proptest::collection::vec(
                proptest::sample::select(vec![
                    "{\"a\":1}", "{\"s\":\"x\\n\\\"y\\u00e9\"}", "", "  ", "\t{\"b\":[true,null]} ",
                    "{\"c\":{}}{\"d\":2}", "{\"cut\":", "1}", "[1]", "\u{c}{\"ff\":0}",
                    "\u{feff}{\"bom\":1}", "{\"e\":1} x", "}", "{", "\"str\"", "{\"n\":-1.5e3}",
                    "{\"x\":1}\r", "é", "{\"k\":\"\\ud800\"}",
                ]),
                0..14,
            ),
            crlf in any::<bool>(),
            last_newline in any::<bool>(),
        ) {
            let mut buf = lines.join(if crlf { "\r\n" } else { "\n" });
            if last_newline {
                buf.push('\n');
            }
            same_as_reader(buf.as_bytes());
        }
    }
}
