//! The shapes of Claude Code's JSONL records, read leniently (a field of an unexpected type
//! reads as absent).

#[allow(unused_imports)]
use super::*;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rec<'a> {
    #[serde(rename = "type", borrow, default)]
    pub ty: Lax<'a>,
    #[serde(borrow, default)]
    pub uuid: Lax<'a>,
    #[serde(borrow, default)]
    pub parent_uuid: Lax<'a>,
    #[serde(borrow, default)]
    pub logical_parent_uuid: Lax<'a>,
    #[serde(borrow, default)]
    pub session_id: Lax<'a>,
    #[serde(borrow, default)]
    pub is_sidechain: Lax<'a>,
    #[serde(borrow, default)]
    pub is_meta: Lax<'a>,
    #[serde(borrow, default)]
    pub is_compact_summary: Lax<'a>,
    #[serde(borrow, default)]
    pub is_api_error_message: Lax<'a>,
    #[serde(borrow, default)]
    pub agent_id: Lax<'a>,
    #[serde(borrow, default)]
    pub cwd: Lax<'a>,
    #[serde(borrow, default)]
    pub git_branch: Lax<'a>,
    #[serde(borrow, default)]
    pub version: Lax<'a>,
    #[serde(borrow, default)]
    pub entrypoint: Lax<'a>,
    #[serde(borrow, default)]
    pub permission_mode: Lax<'a>,
    #[serde(borrow, default)]
    pub timestamp: Lax<'a>,
    #[serde(borrow, default)]
    pub request_id: Lax<'a>,
    #[serde(borrow, default)]
    pub subtype: Lax<'a>,
    #[serde(borrow, default)]
    pub operation: Lax<'a>,
    #[serde(borrow, default, rename = "parentToolUseID")]
    pub parent_tool_use_id: Lax<'a>,
    #[serde(borrow, default)]
    pub content: Content<'a>,
    #[serde(borrow, default)]
    pub message: IfObject<Msg<'a>>,
    #[serde(borrow, default)]
    pub tool_use_result: IfObject<ToolUseResult<'a>>,
    #[serde(borrow, default)]
    pub data: IfObject<Progress<'a>>,
    #[serde(borrow, default)]
    pub attachment: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub compact_metadata: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub pr_url: Lax<'a>,
    #[serde(borrow, default)]
    pub pr_number: Lax<'a>,
    #[serde(borrow, default)]
    pub pr_repository: Lax<'a>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Msg<'a> {
    #[serde(borrow, default)]
    pub id: Lax<'a>,
    #[serde(borrow, default)]
    pub model: Lax<'a>,
    #[serde(borrow, default)]
    pub content: Content<'a>,
    #[serde(default)]
    pub usage: IfObject<Usage>,
}

#[derive(Deserialize, Default, Clone, Copy)]
pub(crate) struct Usage {
    #[serde(default)]
    pub(super) input_tokens: Option<f64>,
    #[serde(default)]
    pub(super) output_tokens: Option<f64>,
    #[serde(default)]
    pub(super) cache_read_input_tokens: Option<f64>,
    #[serde(default)]
    pub(super) cache_creation_input_tokens: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ToolUseResult<'a> {
    #[serde(rename = "type", borrow, default)]
    pub(super) ty: Lax<'a>,
    #[serde(borrow, default)]
    pub(super) content: Lax<'a>,
    #[serde(default)]
    pub(super) structured_patch: Option<PatchCount>,
    #[serde(borrow, default)]
    pub(super) interrupted: Lax<'a>,
    #[serde(borrow, default)]
    pub(super) exit_code: Lax<'a>,
    #[serde(default)]
    pub(super) stdout: Option<serde::de::IgnoredAny>,
    #[serde(borrow, default)]
    pub(super) agent_id: Lax<'a>,
    #[serde(borrow, default)]
    pub(super) agent_type: Lax<'a>,
}

/// A `structuredPatch` (list of hunks, each with `lines`), reduced while parsing to what is
/// used: the number of hunks and of `+` / `-` lines. Accepts and rejects exactly what
/// `Vec<IfObject<Hunk { lines: Vec<Lax> }>>` would, without allocating for every line.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct PatchCount {
    /// Elements of the list, objects or not.
    pub(super) hunks: usize,
    pub(super) added: u64,
    pub(super) removed: u64,
}

impl<'de> Deserialize<'de> for PatchCount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
        use std::fmt;

        /// Counts `+` / `-` first bytes of the strings in one `lines` list.
        struct Lines<'c>(&'c mut PatchCount);
        impl<'de> de::DeserializeSeed<'de> for Lines<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for Lines<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while let Some(FirstByte(b)) = seq.next_element::<FirstByte>()? {
                    match b {
                        Some(b'+') => self.0.added += 1,
                        Some(b'-') => self.0.removed += 1,
                        _ => {}
                    }
                }
                Ok(())
            }
        }

        /// The first byte of a string (escaped strings are not copied); any other value is
        /// skipped, as `Lax` would.
        struct FirstByte(Option<u8>);
        impl<'de> Deserialize<'de> for FirstByte {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = FirstByte;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("any JSON value")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<FirstByte, E> {
                        Ok(FirstByte(v.as_bytes().first().copied()))
                    }
                    fn visit_bool<E: de::Error>(self, _: bool) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_i64<E: de::Error>(self, _: i64) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_u64<E: de::Error>(self, _: u64) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_f64<E: de::Error>(self, _: f64) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_none<E: de::Error>(self) -> Result<FirstByte, E> {
                        Ok(FirstByte(None))
                    }
                    fn visit_some<D: serde::Deserializer<'de>>(
                        self,
                        d: D,
                    ) -> Result<FirstByte, D::Error> {
                        d.deserialize_any(self)
                    }
                    fn visit_seq<A: SeqAccess<'de>>(
                        self,
                        mut seq: A,
                    ) -> Result<FirstByte, A::Error> {
                        while seq.next_element::<IgnoredAny>()?.is_some() {}
                        Ok(FirstByte(None))
                    }
                    fn visit_map<A: MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<FirstByte, A::Error> {
                        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                        Ok(FirstByte(None))
                    }
                }
                d.deserialize_any(V)
            }
        }

        /// A hunk's key: is it `lines`?
        struct IsLines(bool);
        impl<'de> Deserialize<'de> for IsLines {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = IsLines;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("field identifier")
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<IsLines, E> {
                        Ok(IsLines(v == 0))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<IsLines, E> {
                        Ok(IsLines(v == "lines"))
                    }
                    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<IsLines, E> {
                        Ok(IsLines(v == b"lines"))
                    }
                }
                d.deserialize_identifier(V)
            }
        }

        /// One element of the list: a hunk object, or anything else (counted, not read).
        struct Hunk<'c>(&'c mut PatchCount);
        impl<'de> de::DeserializeSeed<'de> for Hunk<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
        impl<'de> Visitor<'de> for Hunk<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                let mut seen = false;
                while let Some(IsLines(is)) = map.next_key::<IsLines>()? {
                    if !is {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    if seen {
                        return Err(de::Error::duplicate_field("lines"));
                    }
                    seen = true;
                    // Counted straight into the total: an error fails the whole record anyway.
                    map.next_value_seed(Lines(&mut *self.0))?;
                }
                Ok(())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
                Ok(())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
                Ok(())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
                Ok(())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
                Ok(())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
                Ok(())
            }
            fn visit_unit<E: de::Error>(self) -> Result<(), E> {
                Ok(())
            }
            fn visit_none<E: de::Error>(self) -> Result<(), E> {
                Ok(())
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }

        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = PatchCount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PatchCount, A::Error> {
                let mut c = PatchCount::default();
                while seq.next_element_seed(Hunk(&mut c))?.is_some() {
                    c.hunks += 1;
                }
                Ok(c)
            }
        }
        d.deserialize_seq(List)
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Progress<'a> {
    #[serde(rename = "type", borrow, default)]
    pub(super) ty: Lax<'a>,
    #[serde(borrow, default)]
    pub(super) agent_id: Lax<'a>,
    #[serde(borrow, default)]
    /// Boxed: only `agent_progress` records carry one (the others allocate nothing).
    pub(super) message: IfObject<Box<Rec<'a>>>,
}

#[derive(Deserialize, Default)]
pub(super) struct Attachment<'a> {
    #[serde(rename = "type", borrow, default)]
    pub(super) ty: Lax<'a>,
    #[serde(borrow, default)]
    pub(super) prompt: Content<'a>,
    #[serde(borrow, default)]
    pub(super) content: Content<'a>,
}

#[derive(Deserialize, Default)]
pub(super) struct CompactMeta<'a> {
    #[serde(borrow, default)]
    pub(super) trigger: Lax<'a>,
}
