//! [`ToolInput`]: a tool call's input kept as the raw JSON text the transcript recorded,
//! parsed only where a reader needs it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

/// A tool input as raw JSON. Ingest stores the transcript's text unchanged (no
/// `serde_json::Value` tree per call); readers look up string fields with [`ToolInput::get_str`]
/// or parse the whole input with [`ToolInput::value`].
///
/// Serialization writes the parsed value (keys sorted, as `serde_json::Value` writes them), so a
/// serialized session reads the same as when inputs were `Value`s.
#[derive(Clone)]
pub struct ToolInput(Box<RawValue>);

impl ToolInput {
    /// The JSON `null` input.
    pub fn null() -> Self {
        ToolInput(RawValue::from_string("null".to_string()).expect("null is JSON"))
    }

    /// Wraps raw JSON text (already validated by the deserializer that produced it).
    pub fn from_raw(raw: Box<RawValue>) -> Self {
        ToolInput(raw)
    }

    /// The JSON text as recorded.
    pub fn raw(&self) -> &str {
        self.0.get()
    }

    /// The input parsed as a `serde_json::Value` (`Null` if the text does not parse, which
    /// cannot happen for inputs read by a JSON deserializer).
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(self.raw()).unwrap_or(serde_json::Value::Null)
    }

    /// `input[key]` when the input is an object and that value is a string — the same answer as
    /// `value().get(key).and_then(Value::as_str)` (the last of duplicate keys wins), without
    /// building the tree. Borrows from the raw text when the string has no escapes.
    pub fn get_str(&self, key: &str) -> Option<Cow<'_, str>> {
        let raw = self.raw();
        if !raw.trim_start().starts_with('{') {
            return None;
        }
        let mut de = serde_json::Deserializer::from_str(raw);
        de.deserialize_map(FindStr { key }).ok().flatten()
    }
}

impl Default for ToolInput {
    fn default() -> Self {
        Self::null()
    }
}

impl From<serde_json::Value> for ToolInput {
    fn from(v: serde_json::Value) -> Self {
        ToolInput::from(&v)
    }
}

impl From<&serde_json::Value> for ToolInput {
    /// The value's compact JSON text (what `Value`'s `Display` writes), written into a byte
    /// buffer and not parsed again.
    fn from(v: &serde_json::Value) -> Self {
        ToolInput(serde_json::value::to_raw_value(v).expect("a Value always serializes"))
    }
}

impl fmt::Debug for ToolInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.value(), f)
    }
}

impl Serialize for ToolInput {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for ToolInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(ToolInput::from(v))
    }
}

/// Top level of [`ToolInput::get_str`]: walks the object's entries.
struct FindStr<'k> {
    key: &'k str,
}

impl<'de, 'k> Visitor<'de> for FindStr<'k> {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(is_key) = map.next_key_seed(KeyIs(self.key))? {
            if is_key {
                found = map.next_value_seed(MaybeStr)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// A map key, answered as "is it the wanted key".
struct KeyIs<'k>(&'k str);

impl<'de, 'k> DeserializeSeed<'de> for KeyIs<'k> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'k> Visitor<'de> for KeyIs<'k> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

/// A value: the string if it is one, `None` for anything else (consumed whole).
struct MaybeStr;

impl<'de> DeserializeSeed<'de> for MaybeStr {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MaybeStr {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(s: &str) -> ToolInput {
        ToolInput::from_raw(RawValue::from_string(s.to_string()).unwrap())
    }

    #[test]
    fn from_value_keeps_the_text_display_writes() {
        let v = json!({"b": [1, -2, 1.5, null, true], "a": "q\"\n\u{e9}\u{1}", "c": {}});
        assert_eq!(ToolInput::from(&v).raw(), v.to_string());
        assert_eq!(ToolInput::from(v.clone()).value(), v);
    }

    #[test]
    fn get_str_matches_value_lookup() {
        let cases = [
            r#"{"command":"ls -la","x":1}"#,
            r#"{"command":"a\"b\\nc\u00e9","n":[1,{"command":"no"}]}"#,
            r#"{"command":5}"#,
            r#"{"command":"first","command":"second"}"#,
            r#"{"command":"first","command":null}"#,
            r#"{"other":{"command":"nested"}}"#,
            r#" { "command" : "spaced" } "#,
            r#"["command"]"#,
            r#""command""#,
            r#"null"#,
            r#"{}"#,
            r#"{"comm\u0061nd":"escaped key"}"#,
            r#"{"command":1e400}"#,
        ];
        for c in cases {
            let input = raw(c);
            let want = serde_json::from_str::<serde_json::Value>(c)
                .ok()
                .and_then(|v| v.get("command").and_then(|x| x.as_str()).map(str::to_owned));
            assert_eq!(
                input.get_str("command").map(|c| c.into_owned()),
                want,
                "{c}"
            );
        }
    }

    #[test]
    fn serializes_like_a_value() {
        let v = json!({"b": 1, "a": ["x", {"d": null, "c": 2.5}]});
        let input = raw(r#"{"b":1,"a":["x",{"d":null,"c":2.5}]}"#);
        assert_eq!(serde_json::to_string(&input).unwrap(), v.to_string());
        let back: ToolInput = serde_json::from_str(&v.to_string()).unwrap();
        assert_eq!(back.value(), v);
        assert_eq!(ToolInput::null().value(), serde_json::Value::Null);
    }
}
