//! Lenient borrowed JSON pieces: a field of an unexpected type becomes "absent" instead of
//! failing the whole record, and strings borrow from the line when they have no escapes.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Any JSON scalar, or `Other` for arrays/objects (skipped without allocating).
#[derive(Debug, Clone, PartialEq)]
pub enum Lax<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Num(f64),
    Null,
    Other,
}

impl<'a> Lax<'a> {
    pub fn str(&self) -> Option<&str> {
        match self {
            Lax::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn bool(&self) -> Option<bool> {
        match self {
            Lax::Bool(b) => Some(*b),
            Lax::Str(s) => s.parse().ok(),
            _ => None,
        }
    }
    pub fn num(&self) -> Option<f64> {
        match self {
            Lax::Num(n) => Some(*n),
            Lax::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

impl Default for Lax<'_> {
    /// A missing field reads like an explicit `null`.
    fn default() -> Self {
        Lax::Null
    }
}

impl LaxOpt for Lax<'_> {
    fn s(&self) -> Option<&str> {
        self.str().filter(|s| !s.is_empty())
    }
    fn b(&self) -> bool {
        self.bool().unwrap_or(false)
    }
    fn n(&self) -> Option<f64> {
        self.num()
    }
}

/// `Option<Lax>` helpers so call sites stay short.
pub trait LaxOpt {
    fn s(&self) -> Option<&str>;
    fn b(&self) -> bool;
    fn n(&self) -> Option<f64>;
}

impl LaxOpt for Option<Lax<'_>> {
    fn s(&self) -> Option<&str> {
        self.as_ref()
            .and_then(|l| l.str())
            .filter(|s| !s.is_empty())
    }
    fn b(&self) -> bool {
        self.as_ref().and_then(|l| l.bool()).unwrap_or(false)
    }
    fn n(&self) -> Option<f64> {
        self.as_ref().and_then(|l| l.num())
    }
}

struct LaxVisitor;

impl<'de> Visitor<'de> for LaxVisitor {
    type Value = Lax<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Lax::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Lax::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Lax::Str(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Lax::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Lax::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Lax::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Lax::Num(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Lax::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Lax::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Lax::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Lax::Other)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Lax<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LaxVisitor)
    }
}

/// A value that must be an object to be used: anything else deserializes to `None` instead
/// of failing the enclosing record.
#[derive(Debug)]
pub struct IfObject<T>(pub Option<T>);

impl<T> Default for IfObject<T> {
    fn default() -> Self {
        IfObject(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for IfObject<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = IfObject<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| IfObject(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(IfObject(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(IfObject(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Message content: a plain string or a list of blocks (non-object blocks dropped).
#[derive(Debug, Default)]
pub enum Content<'a> {
    #[default]
    None,
    Text(Cow<'a, str>),
    Blocks(Vec<Block<'a>>),
}

/// One content block; every field optional so unknown block types pass through.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Block<'a> {
    #[serde(rename = "type", borrow, default)]
    pub ty: Lax<'a>,
    #[serde(borrow, default)]
    pub text: Lax<'a>,
    #[serde(borrow, default)]
    pub id: Lax<'a>,
    #[serde(borrow, default)]
    pub name: Lax<'a>,
    #[serde(default)]
    pub input: Option<Box<serde_json::value::RawValue>>,
    #[serde(borrow, default)]
    pub tool_use_id: Lax<'a>,
    #[serde(borrow, default)]
    pub content: Content<'a>,
    #[serde(borrow, default)]
    pub is_error: Lax<'a>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Content<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of blocks")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(IfObject(b)) = seq.next_element::<IfObject<Block<'de>>>()? {
                    if let Some(b) = b {
                        out.push(b);
                    }
                }
                Ok(Content::Blocks(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                // A single block where a list was expected.
                let b: Block<'de> = Block::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Content::Blocks(vec![b]))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Content::None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_any(V).map(|c: Content<'de>| c)
    }
}

impl<'a> Content<'a> {
    /// The text, without copying when the content is a single string.
    pub fn into_text(self) -> Cow<'a, str> {
        match self {
            Content::Text(t) => t,
            other => Cow::Owned(other.joined_text()),
        }
    }

    /// All text of the content joined with newlines (text blocks only).
    pub fn joined_text(&self) -> String {
        match self {
            Content::None => String::new(),
            Content::Text(t) => t.to_string(),
            Content::Blocks(bs) => {
                let mut s = String::new();
                for b in bs {
                    if let Some(t) = b.text.s() {
                        if !s.is_empty() {
                            s.push('\n');
                        }
                        s.push_str(t);
                    }
                }
                s
            }
        }
    }
}
