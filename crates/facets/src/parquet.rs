//! The facets table as a flat Parquet file (schema: `docs/FACETS_SCHEMA.md`).
//!
//! Flat columns of plain types (boolean, int64, double, UTF-8 string, millisecond timestamps)
//! so that DuckDB, pandas/pyarrow, Polars and Spark read it without any agentstat code. Labels
//! are stored as the rubric's spellings. Columns derived from others (decision shares, signal
//! levels, rubric §4 measures) are written for convenience and recomputed on read, so a file
//! can never disagree with the code that analyses it.
//!
//! Reading is by column name: unknown columns are ignored (files from newer versions still
//! load), a column with the wrong type or an invalid label is an error naming file, row and
//! column.

use crate::{
    CodebaseRelation, Decisions, Expertise, Facet, Habits, Label, Labels, Occupation, Outcome,
    Provenance, Signal, TaskValue, Telemetry, UserProfile, ValueBand, WorkMode,
};
use ::parquet::basic::{Compression, Type as PhysicalType};
use ::parquet::column::reader::ColumnReader;
use ::parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use ::parquet::file::metadata::KeyValue;
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::reader::{FileReader, SerializedFileReader};
use ::parquet::file::writer::SerializedFileWriter;
use ::parquet::schema::parser::parse_message_type;
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Version of the column layout, stored in the file's key-value metadata under
/// [`SCHEMA_VERSION_KEY`]. Adding columns does not bump it; renaming or retyping does, and a
/// reader refuses files newer than itself rather than misreading them.
/// 2: `model_calls`, `input_tokens`, `output_tokens`, `lines_added`, `lines_removed` became nullable (NULL =
/// the transcript cannot tell); version-1 files are still read (their values are all known).
pub const SCHEMA_VERSION: u32 = 2;
pub const SCHEMA_VERSION_KEY: &str = "agentstat.facets.schema_version";
/// Key-value metadata of a facets file besides the schema version (docs/FACETS_SCHEMA.md).
pub const VERSION_KEY: &str = "agentstat.version";
pub const SALT_ID_KEY: &str = "agentstat.salt_id";
pub const SHARD_KEY: &str = "agentstat.shard";
pub const SHARD_SIZES_KEY: &str = "agentstat.shard_sessions";

/// What a facets file says about the run that wrote it (its key-value metadata). None of it is
/// transcript content: a version, a fingerprint of the salt (not the salt), the shard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileMeta {
    /// The column layout version ([`SCHEMA_VERSION`]); files written before it was recorded
    /// read as 1.
    pub schema_version: u32,
    /// The agentstat version that wrote the file (`None` in files from before it was recorded).
    pub agentstat_version: Option<String>,
    /// A fingerprint of the pseudonymisation salt ([`salt_id`]): files with different ones have
    /// keys that cannot be compared.
    pub salt_id: Option<String>,
    /// `(K, N)` when the file holds shard K of N of a sharded run.
    pub shard: Option<(u32, u32)>,
    /// For a shard: how many sessions each of the N shards was assigned (from the discovery
    /// every shard does), so a missing shard can be sized.
    pub shard_sizes: Option<Vec<u64>>,
}

impl FileMeta {
    /// The metadata this build writes for a run with this salt, unsharded.
    pub fn for_salt(salt: &[u8]) -> FileMeta {
        FileMeta {
            schema_version: SCHEMA_VERSION,
            agentstat_version: Some(env!("CARGO_PKG_VERSION").to_string()),
            salt_id: Some(salt_id(salt)),
            shard: None,
            shard_sizes: None,
        }
    }

    fn to_key_values(&self) -> Vec<KeyValue> {
        let mut kv = vec![KeyValue::new(
            SCHEMA_VERSION_KEY.to_string(),
            self.schema_version.to_string(),
        )];
        let version = self
            .agentstat_version
            .clone()
            .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string());
        kv.push(KeyValue::new(VERSION_KEY.to_string(), version));
        if let Some(s) = &self.salt_id {
            kv.push(KeyValue::new(SALT_ID_KEY.to_string(), s.clone()));
        }
        if let Some((k, n)) = self.shard {
            kv.push(KeyValue::new(SHARD_KEY.to_string(), format!("{k}/{n}")));
        }
        if let Some(sizes) = &self.shard_sizes {
            let v: Vec<String> = sizes.iter().map(u64::to_string).collect();
            kv.push(KeyValue::new(SHARD_SIZES_KEY.to_string(), v.join(",")));
        }
        kv
    }

    fn from_key_values(path: &Path, kv: Option<&Vec<KeyValue>>) -> Result<FileMeta> {
        let get = |key: &str| {
            kv.and_then(|kv| kv.iter().find(|k| k.key == key))
                .and_then(|k| k.value.as_deref())
                .map(str::trim)
        };
        let mut m = FileMeta {
            schema_version: 1,
            ..Default::default()
        };
        if let Some(v) = get(SCHEMA_VERSION_KEY) {
            match v.parse::<u32>() {
                Ok(n) if n <= SCHEMA_VERSION => m.schema_version = n,
                _ => {
                    return Err(err(
                        path,
                        format!(
                            "facets schema version {v:?} is newer than this agentstat \
                             understands ({SCHEMA_VERSION}); upgrade agentstat"
                        ),
                    ))
                }
            }
        }
        m.agentstat_version = get(VERSION_KEY).map(str::to_string);
        m.salt_id = get(SALT_ID_KEY).map(str::to_string);
        if let Some(v) = get(SHARD_KEY) {
            let parsed = v
                .split_once('/')
                .and_then(|(k, n)| Some((k.parse::<u32>().ok()?, n.parse::<u32>().ok()?)))
                .filter(|&(k, n)| k < n);
            m.shard = Some(parsed.ok_or_else(|| {
                err(
                    path,
                    format!("malformed {SHARD_KEY} metadata {v:?} (expected K/N)"),
                )
            })?);
        }
        if let Some(v) = get(SHARD_SIZES_KEY) {
            let sizes: std::result::Result<Vec<u64>, _> =
                v.split(',').map(|x| x.trim().parse::<u64>()).collect();
            m.shard_sizes =
                Some(sizes.map_err(|_| {
                    err(path, format!("malformed {SHARD_SIZES_KEY} metadata {v:?}"))
                })?);
        }
        Ok(m)
    }
}

/// A fingerprint of a pseudonymisation salt: 16 hex characters of a domain-separated BLAKE3
/// hash. Equal salts give equal ids; the salt cannot be recovered from it.
pub fn salt_id(salt: &[u8]) -> String {
    let mut h = ::blake3::Hasher::new();
    h.update(b"agentstat-salt-id\0");
    h.update(salt);
    h.finalize().to_hex()[..16].to_string()
}

/// Rows per row group: bounds writer memory and lets readers skip work.
const ROW_GROUP_ROWS: usize = 65_536;

/// A facets file could not be written or read. The message names the file (and the row and
/// column when one value is at fault).
#[derive(Debug)]
pub struct Error {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

fn err(path: &Path, message: impl fmt::Display) -> Error {
    Error {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// The Parquet type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    /// INT64.
    Int,
    /// DOUBLE.
    Float,
    /// BYTE_ARRAY annotated STRING (UTF-8).
    Str,
    /// INT64 annotated TIMESTAMP(MILLIS, UTC).
    TimestampMs,
}

impl Kind {
    fn parquet_decl(self) -> &'static str {
        match self {
            Kind::Bool => "boolean",
            Kind::Int => "int64",
            Kind::Float => "double",
            Kind::Str => "binary",
            Kind::TimestampMs => "int64",
        }
    }
    fn annotation(self) -> &'static str {
        match self {
            Kind::Str => " (STRING)",
            Kind::TimestampMs => " (TIMESTAMP(MILLIS,true))",
            _ => "",
        }
    }
    fn physical(self) -> PhysicalType {
        match self {
            Kind::Bool => PhysicalType::BOOLEAN,
            Kind::Int | Kind::TimestampMs => PhysicalType::INT64,
            Kind::Float => PhysicalType::DOUBLE,
            Kind::Str => PhysicalType::BYTE_ARRAY,
        }
    }
}

/// One cell value in transit between a `Facet` and a column.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

type Getter = fn(&Facet) -> V;
/// Stores a non-null value into the facet; `Err` explains why the value is invalid.
type Setter = fn(&mut Facet, V) -> std::result::Result<(), String>;

/// A column of the facets table.
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    get: Getter,
    /// `None` for derived columns, which are recomputed rather than read.
    set: Option<Setter>,
}

impl ColumnSpec {
    /// Derived columns are written for convenience and ignored on read.
    pub fn derived(&self) -> bool {
        self.set.is_none()
    }
    /// Store a string into a string column (not for derived columns).
    pub(crate) fn set_str(&self, f: &mut Facet, s: String) -> std::result::Result<(), String> {
        match self.set {
            Some(set) => set(f, V::Str(s)),
            None => Err("derived column".into()),
        }
    }
    /// The cell of a string column, if it is not NULL.
    pub(crate) fn get_str(&self, f: &Facet) -> Option<String> {
        match (self.get)(f) {
            V::Str(s) => Some(s),
            _ => None,
        }
    }
}

fn col(name: &'static str, kind: Kind, nullable: bool, get: Getter, set: Setter) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        nullable,
        get,
        set: Some(set),
    }
}

fn derived(name: &'static str, kind: Kind, get: Getter) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        nullable: true,
        get,
        set: None,
    }
}

// ---- value conversions -------------------------------------------------------------------

fn v_opt_str(s: &Option<String>) -> V {
    s.as_ref().map_or(V::Null, |s| V::Str(s.clone()))
}
fn v_opt_f(x: Option<f64>) -> V {
    x.map_or(V::Null, V::Float)
}
fn v_opt_b(x: Option<bool>) -> V {
    x.map_or(V::Null, V::Bool)
}
fn v_u(x: u64) -> V {
    // Counts never approach 2^63; saturate rather than wrap if one ever did.
    V::Int(i64::try_from(x).unwrap_or(i64::MAX))
}

fn to_str(v: V) -> std::result::Result<String, String> {
    match v {
        V::Str(s) => Ok(s),
        other => Err(format!("expected a string, found {other:?}")),
    }
}
fn to_bool(v: V) -> std::result::Result<bool, String> {
    match v {
        V::Bool(b) => Ok(b),
        other => Err(format!("expected a boolean, found {other:?}")),
    }
}
fn to_f(v: V) -> std::result::Result<f64, String> {
    match v {
        V::Float(x) => Ok(x),
        V::Int(x) => Ok(x as f64),
        other => Err(format!("expected a double, found {other:?}")),
    }
}
fn to_i(v: V) -> std::result::Result<i64, String> {
    match v {
        V::Int(x) => Ok(x),
        // Tools that write a column with NULLs as floating point (pandas) still round-trip.
        V::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(x as i64),
        other => Err(format!("expected an integer, found {other:?}")),
    }
}
fn to_u32(v: V) -> std::result::Result<u32, String> {
    let x = to_i(v)?;
    u32::try_from(x).map_err(|_| format!("count {x} out of range (0..=4294967295)"))
}
fn to_u64(v: V) -> std::result::Result<u64, String> {
    let x = to_i(v)?;
    u64::try_from(x).map_err(|_| format!("negative count {x}"))
}

fn empty_label<T>() -> Label<T> {
    Label {
        value: None,
        provenance: Provenance::default(),
        error: None,
        confidence: None,
    }
}

fn empty_labels() -> Labels {
    Labels {
        work_mode: empty_label(),
        codebase_relation: empty_label(),
        decisions: empty_label(),
        expertise: empty_label(),
        user_profile: empty_label(),
        work_performed: empty_label(),
        outcome: empty_label(),
        success_signal: empty_label(),
        failure_signal: empty_label(),
        task_value: empty_label(),
    }
}

fn habits_mut(f: &mut Facet) -> &mut Habits {
    f.habits.get_or_insert_with(Habits::default)
}

fn labels_mut(f: &mut Facet) -> &mut Labels {
    f.labels.get_or_insert_with(empty_labels)
}

fn parse_label<T>(v: V, parse: fn(&str) -> Option<T>) -> std::result::Result<T, String> {
    let s = to_str(v)?;
    parse(&s).ok_or_else(|| format!("not a valid label: {s:?}"))
}

// ---- the column table --------------------------------------------------------------------

macro_rules! tel_count {
    ($cols:ident, $name:literal, $field:ident, u32) => {
        $cols.push(col(
            $name,
            Kind::Int,
            false,
            |f| v_u(f.telemetry.$field as u64),
            |f, v| {
                f.telemetry.$field = to_u32(v)?;
                Ok(())
            },
        ));
    };
    ($cols:ident, $name:literal, $field:ident, u64) => {
        $cols.push(col(
            $name,
            Kind::Int,
            false,
            |f| v_u(f.telemetry.$field),
            |f, v| {
                f.telemetry.$field = to_u64(v)?;
                Ok(())
            },
        ));
    };
    // Optional count: NULL = unknown (files of schema 1 have no NULLs: their 0 stays 0).
    ($cols:ident, $name:literal, $field:ident, Option<u32>) => {
        $cols.push(col(
            $name,
            Kind::Int,
            true,
            |f| f.telemetry.$field.map_or(V::Null, |x| v_u(u64::from(x))),
            |f, v| {
                f.telemetry.$field = Some(to_u32(v)?);
                Ok(())
            },
        ));
    };
    ($cols:ident, $name:literal, $field:ident, Option<u64>) => {
        $cols.push(col(
            $name,
            Kind::Int,
            true,
            |f| f.telemetry.$field.map_or(V::Null, v_u),
            |f, v| {
                f.telemetry.$field = Some(to_u64(v)?);
                Ok(())
            },
        ));
    };
}

macro_rules! kind_count {
    ($cols:ident, $name:literal, $i:literal) => {
        $cols.push(col(
            $name,
            Kind::Int,
            false,
            |f| v_u(f.telemetry.actions_by_kind[$i] as u64),
            |f, v| {
                f.telemetry.actions_by_kind[$i] = to_u32(v)?;
                Ok(())
            },
        ));
    };
}

/// Provenance and error columns of one label: `<prefix>_backend`, `_model`, `_prompt_version`,
/// `_error`. Provenance is NULL only for unclassified sessions.
macro_rules! provenance_cols {
    ($cols:ident, $prefix:literal, $field:ident) => {
        $cols.push(col(
            concat!($prefix, "_backend"),
            Kind::Str,
            true,
            |f| {
                f.labels
                    .as_ref()
                    .map_or(V::Null, |l| V::Str(l.$field.provenance.backend.clone()))
            },
            |f, v| Ok(labels_mut(f).$field.provenance.backend = to_str(v)?),
        ));
        $cols.push(col(
            concat!($prefix, "_model"),
            Kind::Str,
            true,
            |f| {
                f.labels
                    .as_ref()
                    .map_or(V::Null, |l| V::Str(l.$field.provenance.model.clone()))
            },
            |f, v| Ok(labels_mut(f).$field.provenance.model = to_str(v)?),
        ));
        $cols.push(col(
            concat!($prefix, "_prompt_version"),
            Kind::Str,
            true,
            |f| {
                f.labels.as_ref().map_or(V::Null, |l| {
                    V::Str(l.$field.provenance.prompt_version.clone())
                })
            },
            |f, v| Ok(labels_mut(f).$field.provenance.prompt_version = to_str(v)?),
        ));
        $cols.push(col(
            concat!($prefix, "_error"),
            Kind::Str,
            true,
            |f| {
                f.labels
                    .as_ref()
                    .map_or(V::Null, |l| v_opt_str(&l.$field.error))
            },
            |f, v| Ok(labels_mut(f).$field.error = Some(to_str(v)?)),
        ));
        $cols.push(col(
            concat!($prefix, "_confidence"),
            Kind::Float,
            true,
            |f| v_opt_f(f.labels.as_ref().and_then(|l| l.$field.confidence)),
            |f, v| {
                let p = to_f(v)?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(format!("confidence {p} outside 0..1"));
                }
                labels_mut(f).$field.confidence = Some(p);
                Ok(())
            },
        ));
    };
}

/// A label stored as its rubric spelling, plus its provenance columns.
macro_rules! label_cols {
    ($cols:ident, $name:literal, $field:ident, $parse:expr) => {
        $cols.push(col(
            $name,
            Kind::Str,
            true,
            |f| {
                f.labels
                    .as_ref()
                    .and_then(|l| l.$field.value)
                    .map_or(V::Null, |x| V::Str(x.as_str().to_string()))
            },
            |f, v| Ok(labels_mut(f).$field.value = Some(parse_label(v, $parse)?)),
        ));
        provenance_cols!($cols, $name, $field);
    };
}

macro_rules! decision_count {
    ($cols:ident, $name:literal, $field:ident) => {
        $cols.push(col(
            $name,
            Kind::Int,
            true,
            |f| {
                f.labels
                    .as_ref()
                    .and_then(|l| l.decisions.value)
                    .map_or(V::Null, |d| v_u(d.$field as u64))
            },
            |f, v| {
                let n = to_u32(v)?;
                labels_mut(f)
                    .decisions
                    .value
                    .get_or_insert_with(Decisions::default)
                    .$field = n;
                Ok(())
            },
        ));
    };
}

macro_rules! derived_bool {
    ($cols:ident, $name:literal, $field:ident) => {
        $cols.push(derived($name, Kind::Bool, |f| v_opt_b(f.derived().$field)));
    };
}

fn decisions_of(f: &Facet) -> Option<Decisions> {
    f.labels.as_ref().and_then(|l| l.decisions.value)
}

fn signal_level(f: &Facet, pick: fn(&Labels) -> Option<Signal>) -> V {
    f.labels
        .as_ref()
        .and_then(pick)
        .map_or(V::Null, |s| V::Int(s.level() as i64))
}

/// The facets table's columns, in file order. `docs/FACETS_SCHEMA.md` documents each one.
pub fn columns() -> Vec<ColumnSpec> {
    let mut c: Vec<ColumnSpec> = Vec::with_capacity(128);

    // Identity and sample.
    c.push(col(
        "session_key",
        Kind::Str,
        false,
        |f| V::Str(f.session_key.clone()),
        |f, v| {
            f.session_key = to_str(v)?;
            Ok(())
        },
    ));
    c.push(col(
        "user_key",
        Kind::Str,
        false,
        |f| V::Str(f.user_key.clone()),
        |f, v| {
            f.user_key = to_str(v)?;
            Ok(())
        },
    ));
    c.push(col(
        "user_unknown",
        Kind::Bool,
        false,
        |f| V::Bool(f.telemetry.user_unknown),
        |f, v| {
            f.telemetry.user_unknown = to_bool(v)?;
            Ok(())
        },
    ));
    c.push(col(
        "month",
        Kind::Str,
        true,
        |f| v_opt_str(&f.telemetry.month),
        |f, v| {
            f.telemetry.month = Some(to_str(v)?);
            Ok(())
        },
    ));
    c.push(col(
        "agent",
        Kind::Str,
        false,
        |f| V::Str(f.agent.clone()),
        |f, v| {
            f.agent = to_str(v)?;
            Ok(())
        },
    ));
    c.push(col(
        "agent_version",
        Kind::Str,
        true,
        |f| v_opt_str(&f.agent_version),
        |f, v| {
            f.agent_version = Some(to_str(v)?);
            Ok(())
        },
    ));
    c.push(col(
        "model_family",
        Kind::Str,
        true,
        |f| v_opt_str(&f.telemetry.model_family),
        |f, v| {
            f.telemetry.model_family = Some(to_str(v)?);
            Ok(())
        },
    ));
    c.push(col(
        "interactive",
        Kind::Bool,
        false,
        |f| V::Bool(f.interactive),
        |f, v| {
            f.interactive = to_bool(v)?;
            Ok(())
        },
    ));
    c.push(col(
        "excluded_reason",
        Kind::Str,
        true,
        |f| v_opt_str(&f.excluded_reason),
        |f, v| {
            f.excluded_reason = Some(to_str(v)?);
            Ok(())
        },
    ));
    // Applied specially by the reader (it decides whether `labels` exists at all).
    c.push(col(
        "classified",
        Kind::Bool,
        false,
        |f| V::Bool(f.labels.is_some()),
        |_, _| Ok(()),
    ));

    // Telemetry (rubric §2).
    tel_count!(c, "human_turns", human_turns, u32);
    tel_count!(c, "queued_prompts", queued_prompts, u32);
    tel_count!(c, "model_calls", model_calls, Option<u32>);
    tel_count!(c, "actions", actions, u32);
    tel_count!(c, "successful_actions", successful_actions, u32);
    kind_count!(c, "actions_read", 0);
    kind_count!(c, "actions_search", 1);
    kind_count!(c, "actions_edit", 2);
    kind_count!(c, "actions_write", 3);
    kind_count!(c, "actions_shell", 4);
    kind_count!(c, "actions_web", 5);
    kind_count!(c, "actions_subagent", 6);
    kind_count!(c, "actions_plan", 7);
    kind_count!(c, "actions_other", 8);
    tel_count!(c, "subagents", subagents, u32);
    c.push(col(
        "actions_per_prompt",
        Kind::Float,
        false,
        |f| V::Float(f.telemetry.actions_per_prompt),
        |f, v| {
            f.telemetry.actions_per_prompt = to_f(v)?;
            Ok(())
        },
    ));
    c.push(col(
        "words_per_prompt",
        Kind::Float,
        false,
        |f| V::Float(f.telemetry.words_per_prompt),
        |f, v| {
            f.telemetry.words_per_prompt = to_f(v)?;
            Ok(())
        },
    ));
    tel_count!(c, "output_words", output_words, u64);
    tel_count!(c, "output_tokens", output_tokens, Option<u64>);
    tel_count!(c, "input_tokens", input_tokens, Option<u64>);
    tel_count!(c, "lines_added", lines_added, Option<u64>);
    tel_count!(c, "lines_removed", lines_removed, Option<u64>);
    tel_count!(c, "files_touched", files_touched, u32);
    tel_count!(c, "git_commits", git_commits, u32);
    tel_count!(c, "git_pushes", git_pushes, u32);
    tel_count!(c, "pull_requests", pull_requests, u32);
    tel_count!(c, "test_runs", test_runs, u32);
    tel_count!(c, "test_runs_passed", test_runs_passed, u32);
    tel_count!(c, "test_runs_failed", test_runs_failed, u32);
    c.push(col(
        "last_test_passed",
        Kind::Bool,
        true,
        |f| v_opt_b(f.telemetry.last_test_passed),
        |f, v| {
            f.telemetry.last_test_passed = Some(to_bool(v)?);
            Ok(())
        },
    ));
    tel_count!(c, "tool_errors", tool_errors, u32);
    tel_count!(c, "interrupts", interrupts, u32);
    tel_count!(c, "rejections", rejections, u32);
    tel_count!(c, "compactions", compactions, u32);
    c.push(col(
        "auto_approve_share",
        Kind::Float,
        true,
        |f| v_opt_f(f.telemetry.auto_approve_share),
        |f, v| {
            f.telemetry.auto_approve_share = Some(to_f(v)?);
            Ok(())
        },
    ));
    c.push(col(
        "permission_mode",
        Kind::Str,
        true,
        |f| v_opt_str(&f.telemetry.permission_mode),
        |f, v| {
            f.telemetry.permission_mode = Some(to_str(v)?);
            Ok(())
        },
    ));
    c.push(col(
        "turn_seconds_median",
        Kind::Float,
        true,
        |f| v_opt_f(f.telemetry.turn_seconds_median),
        |f, v| {
            f.telemetry.turn_seconds_median = Some(to_f(v)?);
            Ok(())
        },
    ));
    c.push(col(
        "turn_seconds_total",
        Kind::Float,
        true,
        |f| v_opt_f(f.telemetry.turn_seconds_total),
        |f, v| {
            f.telemetry.turn_seconds_total = Some(to_f(v)?);
            Ok(())
        },
    ));
    c.push(col(
        "start_time",
        Kind::TimestampMs,
        true,
        |f| f.telemetry.start_ms.map_or(V::Null, V::Int),
        |f, v| {
            f.telemetry.start_ms = Some(to_i(v)?);
            Ok(())
        },
    ));
    c.push(col(
        "end_time",
        Kind::TimestampMs,
        true,
        |f| f.telemetry.end_ms.map_or(V::Null, V::Int),
        |f, v| {
            f.telemetry.end_ms = Some(to_i(v)?);
            Ok(())
        },
    ));
    c.push(col(
        "models",
        Kind::Str,
        true,
        |f| {
            if f.telemetry.models.is_empty() {
                V::Null
            } else {
                // A model id holding a comma (a mis-recorded list) must survive the round
                // trip: `%` and `,` inside an id are percent-escaped.
                let ids: Vec<String> = f
                    .telemetry
                    .models
                    .iter()
                    .map(|m| m.replace('%', "%25").replace(',', "%2C"))
                    .collect();
                V::Str(ids.join(","))
            }
        },
        |f, v| {
            let s = to_str(v)?;
            f.telemetry.models = s
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(|m| m.replace("%2C", ",").replace("%25", "%"))
                .collect();
            Ok(())
        },
    ));

    // Classifier labels (rubric §3), each with provenance and error.
    label_cols!(c, "work_mode", work_mode, WorkMode::parse);
    label_cols!(
        c,
        "codebase_relation",
        codebase_relation,
        CodebaseRelation::parse
    );
    decision_count!(c, "decisions_planning_user", planning_user);
    decision_count!(c, "decisions_planning_agent", planning_agent);
    decision_count!(c, "decisions_execution_user", execution_user);
    decision_count!(c, "decisions_execution_agent", execution_agent);
    c.push(derived("user_planning_share", Kind::Float, |f| {
        v_opt_f(decisions_of(f).and_then(|d| d.user_planning_share()))
    }));
    c.push(derived("user_execution_share", Kind::Float, |f| {
        v_opt_f(decisions_of(f).and_then(|d| d.user_execution_share()))
    }));
    c.push(derived("agent_decision_share", Kind::Float, |f| {
        v_opt_f(decisions_of(f).and_then(|d| d.agent_share()))
    }));
    provenance_cols!(c, "decisions", decisions);
    label_cols!(c, "expertise", expertise, Expertise::parse);
    c.push(derived("expertise_level", Kind::Int, |f| {
        f.labels
            .as_ref()
            .and_then(|l| l.expertise.value)
            .and_then(Expertise::level)
            .map_or(V::Null, |x| V::Int(x as i64))
    }));
    label_cols!(c, "user_profile", user_profile, UserProfile::parse);
    label_cols!(c, "work_performed", work_performed, Occupation::parse);
    label_cols!(c, "outcome", outcome, Outcome::parse);
    label_cols!(c, "success_signal", success_signal, Signal::parse);
    c.push(derived("success_signal_level", Kind::Int, |f| {
        signal_level(f, |l| l.success_signal.value)
    }));
    label_cols!(c, "failure_signal", failure_signal, Signal::parse);
    c.push(derived("failure_signal_level", Kind::Int, |f| {
        signal_level(f, |l| l.failure_signal.value)
    }));
    c.push(col(
        "task_value_usd",
        Kind::Float,
        true,
        |f| {
            f.labels
                .as_ref()
                .and_then(|l| l.task_value.value)
                .map_or(V::Null, |t| V::Float(t.usd))
        },
        |f, v| {
            let usd = to_f(v)?;
            let tv = &mut labels_mut(f).task_value.value;
            match tv {
                Some(t) => t.usd = usd,
                None => {
                    *tv = Some(TaskValue {
                        usd,
                        band: ValueBand::of_usd(usd),
                    })
                }
            }
            Ok(())
        },
    ));
    c.push(col(
        "task_value_band",
        Kind::Str,
        true,
        |f| {
            f.labels
                .as_ref()
                .and_then(|l| l.task_value.value)
                .map_or(V::Null, |t| V::Str(t.band.as_str().to_string()))
        },
        |f, v| {
            let band = parse_label(v, ValueBand::parse)?;
            match &mut labels_mut(f).task_value.value {
                Some(t) => t.band = band,
                None => return Err("task_value_band is set but task_value_usd is NULL".into()),
            }
            Ok(())
        },
    ));
    provenance_cols!(c, "task_value", task_value);

    // The user's habits (NULL when not measured: non-interactive sessions, older files).
    c.push(col(
        "habit_named_acceptance_test",
        Kind::Bool,
        true,
        |f| v_opt_b(f.habits.map(|h| h.named_acceptance_test)),
        |f, v| {
            habits_mut(f).named_acceptance_test = to_bool(v)?;
            Ok(())
        },
    ));
    c.push(col(
        "habit_targeted_verification",
        Kind::Int,
        true,
        |f| {
            f.habits
                .map_or(V::Null, |h| v_u(h.targeted_verification.into()))
        },
        |f, v| {
            habits_mut(f).targeted_verification = to_u32(v)?;
            Ok(())
        },
    ));
    c.push(col(
        "habit_plan_mode_share",
        Kind::Float,
        true,
        |f| v_opt_f(f.habits.and_then(|h| h.plan_mode_share)),
        |f, v| {
            let x = to_f(v)?;
            if !(0.0..=1.0).contains(&x) {
                return Err(format!("share {x} outside 0..=1"));
            }
            habits_mut(f).plan_mode_share = Some(x);
            Ok(())
        },
    ));
    c.push(col(
        "habit_specific_setup",
        Kind::Bool,
        true,
        |f| v_opt_b(f.habits.map(|h| h.specific_setup)),
        |f, v| {
            habits_mut(f).specific_setup = to_bool(v)?;
            Ok(())
        },
    ));
    c.push(col(
        "habit_asked_for_review",
        Kind::Bool,
        true,
        |f| v_opt_b(f.habits.map(|h| h.asked_for_review)),
        |f, v| {
            habits_mut(f).asked_for_review = to_bool(v)?;
            Ok(())
        },
    ));

    // Rubric §4 derived measures.
    c.push(derived("wrote_code", Kind::Bool, |f| {
        V::Bool(f.derived().wrote_code)
    }));
    derived_bool!(c, "at_least_partial_success", at_least_partial_success);
    derived_bool!(c, "judged_success", judged_success);
    derived_bool!(c, "judged_failure", judged_failure);
    derived_bool!(c, "verified_success", verified_success);
    derived_bool!(c, "verified_failure", verified_failure);
    derived_bool!(c, "hit_trouble", hit_trouble);
    derived_bool!(c, "abandoned", abandoned);
    derived_bool!(c, "software_occupation", software_occupation);
    c.push(derived("in_success_sample", Kind::Bool, |f| {
        V::Bool(f.derived().in_success_sample)
    }));
    c
}

/// The Parquet message type of the facets table.
pub fn message_type() -> String {
    let mut s = String::from("message agentstat_facets {\n");
    for c in columns() {
        let rep = if c.nullable { "optional" } else { "required" };
        s.push_str(&format!(
            "  {rep} {} {}{};\n",
            c.kind.parquet_decl(),
            c.name,
            c.kind.annotation()
        ));
    }
    s.push('}');
    s
}

// ---- writing -----------------------------------------------------------------------------

/// Write `facets` to `path` (Snappy-compressed Parquet). Writes a sibling temporary file and
/// renames it, so a crash never leaves a truncated facets file behind.
pub fn write_facets(path: impl AsRef<Path>, facets: &[Facet]) -> Result<()> {
    write_facets_with(path, facets, &FileMeta::default())
}

/// [`write_facets`] with the run's metadata (salt fingerprint, shard) in the file.
pub fn write_facets_with(path: impl AsRef<Path>, facets: &[Facet], meta: &FileMeta) -> Result<()> {
    let path = path.as_ref();
    let meta = FileMeta {
        schema_version: SCHEMA_VERSION,
        ..meta.clone()
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| err(path, "not a file path"))?
        .to_string_lossy()
        .into_owned();
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = write_to(&tmp, facets, &meta).map_err(|m| err(path, m));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(
            path,
            format!("cannot move the written file into place: {e}"),
        )
    })
}

fn write_to(tmp: &Path, facets: &[Facet], meta: &FileMeta) -> std::result::Result<(), String> {
    let cols = columns();
    let schema = Arc::new(
        parse_message_type(&message_type()).map_err(|e| format!("internal schema error: {e}"))?,
    );
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("agentstat {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(meta.to_key_values()))
            .build(),
    );
    let file = File::create(tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let mut writer =
        SerializedFileWriter::new(file, schema, props).map_err(|e| format!("parquet: {e}"))?;
    for chunk in facets.chunks(ROW_GROUP_ROWS) {
        let mut rg = writer
            .next_row_group()
            .map_err(|e| format!("parquet: {e}"))?;
        let mut i = 0;
        while let Some(mut cw) = rg.next_column().map_err(|e| format!("parquet: {e}"))? {
            let spec = cols
                .get(i)
                .ok_or("internal error: more columns in schema than specs")?;
            write_column(&mut cw, spec, chunk)
                .map_err(|e| format!("writing column {}: {e}", spec.name))?;
            cw.close().map_err(|e| format!("parquet: {e}"))?;
            i += 1;
        }
        rg.close().map_err(|e| format!("parquet: {e}"))?;
    }
    writer.close().map_err(|e| format!("parquet: {e}"))?;
    Ok(())
}

fn write_column(
    cw: &mut ::parquet::file::writer::SerializedColumnWriter<'_>,
    spec: &ColumnSpec,
    rows: &[Facet],
) -> std::result::Result<(), String> {
    let mut defs: Vec<i16> = Vec::with_capacity(rows.len());
    macro_rules! gather {
        ($variant:ident, $conv:expr) => {{
            let mut vals = Vec::with_capacity(rows.len());
            for f in rows {
                match (spec.get)(f) {
                    V::Null if spec.nullable => defs.push(0),
                    V::Null => return Err("NULL in a required column".to_string()),
                    V::$variant(x) => {
                        defs.push(1);
                        vals.push($conv(x));
                    }
                    other => return Err(format!("internal error: unexpected value {other:?}")),
                }
            }
            vals
        }};
    }
    let defs_opt = |defs: &Vec<i16>| {
        if spec.nullable {
            Some(defs.clone())
        } else {
            None
        }
    };
    match spec.kind {
        Kind::Bool => {
            let vals = gather!(Bool, |x| x);
            let d = defs_opt(&defs);
            cw.typed::<BoolType>()
                .write_batch(&vals, d.as_deref(), None)
        }
        Kind::Int | Kind::TimestampMs => {
            let vals = gather!(Int, |x| x);
            let d = defs_opt(&defs);
            cw.typed::<Int64Type>()
                .write_batch(&vals, d.as_deref(), None)
        }
        Kind::Float => {
            let vals = gather!(Float, |x| x);
            let d = defs_opt(&defs);
            cw.typed::<DoubleType>()
                .write_batch(&vals, d.as_deref(), None)
        }
        Kind::Str => {
            // Every string leaves through its column's closed vocabulary (`vocab`).
            let vals = gather!(Str, |x: String| ByteArray::from(
                crate::vocab::normalise(spec.name, &x).into_bytes()
            ));
            let d = defs_opt(&defs);
            cw.typed::<ByteArrayType>()
                .write_batch(&vals, d.as_deref(), None)
        }
    }
    .map(|_| ())
    .map_err(|e| format!("parquet: {e}"))
}

// ---- reading -----------------------------------------------------------------------------

/// Read a facets file written by [`write_facets`] (or by any tool that kept its column names
/// and types). Unknown columns are ignored; derived columns are recomputed, not trusted.
pub fn read_facets(path: impl AsRef<Path>) -> Result<Vec<Facet>> {
    read_facets_meta(path).map(|(f, _)| f)
}

/// Only the metadata of a facets file (the footer; no rows are read).
pub fn read_meta(path: impl AsRef<Path>) -> Result<FileMeta> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| err(path, format!("cannot open: {e}")))?;
    let reader = SerializedFileReader::new(file)
        .map_err(|e| err(path, format!("not a readable Parquet file: {e}")))?;
    FileMeta::from_key_values(path, reader.metadata().file_metadata().key_value_metadata())
}

/// [`read_facets`] and the file's metadata.
pub fn read_facets_meta(path: impl AsRef<Path>) -> Result<(Vec<Facet>, FileMeta)> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| err(path, format!("cannot open: {e}")))?;
    let reader = SerializedFileReader::new(file)
        .map_err(|e| err(path, format!("not a readable Parquet file: {e}")))?;
    let meta = reader.metadata();
    let file_meta = FileMeta::from_key_values(path, meta.file_metadata().key_value_metadata())?;
    let specs = columns();
    let schema = meta.file_metadata().schema_descr();
    // Map file column index -> spec index.
    let mut mapping: Vec<(usize, usize)> = Vec::new();
    let mut classified_idx = None;
    for i in 0..schema.num_columns() {
        let cd = schema.column(i);
        if cd.max_rep_level() > 0 || cd.path().parts().len() != 1 {
            continue; // nested or repeated: not ours
        }
        let Some(si) = specs.iter().position(|s| s.name == cd.name()) else {
            continue;
        };
        let spec = &specs[si];
        if spec.derived() {
            continue;
        }
        if !compatible(spec.kind, cd.physical_type()) {
            return Err(err(
                path,
                format!(
                    "column {} has type {} but agentstat expects {}",
                    spec.name,
                    cd.physical_type(),
                    spec.kind.physical()
                ),
            ));
        }
        if spec.name == "classified" {
            classified_idx = Some(i);
        }
        mapping.push((i, si));
    }
    for required in ["session_key", "user_key", "interactive"] {
        if !mapping.iter().any(|&(_, si)| specs[si].name == required) {
            return Err(err(
                path,
                format!("not an agentstat facets file: no column {required:?}"),
            ));
        }
    }

    let total = usize::try_from(meta.file_metadata().num_rows()).unwrap_or(0);
    let mut out: Vec<Facet> = Vec::with_capacity(total);
    for rg_i in 0..reader.num_row_groups() {
        let rg = reader
            .get_row_group(rg_i)
            .map_err(|e| err(path, format!("row group {rg_i}: {e}")))?;
        let n = usize::try_from(rg.metadata().num_rows())
            .map_err(|_| err(path, format!("row group {rg_i}: negative row count")))?;
        let base = out.len();
        out.extend((0..n).map(|_| blank_facet()));
        let mut classified = vec![true; n];
        for &(ci, si) in &mapping {
            let spec = &specs[si];
            let cd = schema.column(ci);
            let reader = rg
                .get_column_reader(ci)
                .map_err(|e| err(path, format!("column {}: {e}", spec.name)))?;
            let mut values = read_column(reader, cd.max_def_level(), n)
                .map_err(|e| err(path, format!("column {}: {e}", spec.name)))?;
            if spec.kind == Kind::TimestampMs {
                let div = timestamp_divisor(cd.logical_type_ref());
                for v in &mut values {
                    if let V::Int(x) = v {
                        *x = x.div_euclid(div);
                    }
                }
            }
            if Some(ci) == classified_idx {
                for (r, v) in values.into_iter().enumerate() {
                    if let V::Bool(b) = v {
                        classified[r] = b;
                    }
                }
                continue;
            }
            let set = spec.set.expect("derived columns were filtered out");
            // Keys and patterns are closed on the way in too (a forged or foreign file);
            // labels are validated by their setters.
            let close = !matches!(
                crate::vocab::string_kind(spec.name),
                Some(crate::vocab::StrKind::Label(_))
            );
            for (r, mut v) in values.into_iter().enumerate() {
                if v == V::Null {
                    continue;
                }
                if let (true, V::Str(s)) = (close, &v) {
                    v = V::Str(crate::vocab::normalise(spec.name, s));
                }
                set(&mut out[base + r], v).map_err(|m| {
                    err(
                        path,
                        format!("row {}, column {}: {m}", base + r + 1, spec.name),
                    )
                })?;
            }
        }
        for (r, c) in classified.into_iter().enumerate() {
            let f = &mut out[base + r];
            if !c {
                f.labels = None;
            } else if classified_idx.is_some() && f.labels.is_none() {
                f.labels = Some(empty_labels());
            }
        }
    }
    for (r, f) in out.iter().enumerate() {
        if f.session_key.is_empty() {
            return Err(err(path, format!("row {}: empty session_key", r + 1)));
        }
    }
    Ok((out, file_meta))
}

/// Whether a file column of physical type `t` can fill a column of kind `k`: numbers are
/// accepted across integer and floating widths (other writers choose their own), strings and
/// booleans only as themselves.
fn compatible(k: Kind, t: PhysicalType) -> bool {
    let numeric = matches!(
        t,
        PhysicalType::INT32 | PhysicalType::INT64 | PhysicalType::FLOAT | PhysicalType::DOUBLE
    );
    match k {
        Kind::Bool => t == PhysicalType::BOOLEAN,
        Kind::Str => t == PhysicalType::BYTE_ARRAY,
        Kind::Int | Kind::Float => numeric,
        Kind::TimestampMs => t == PhysicalType::INT64,
    }
}

/// Units per millisecond of a timestamp column (files rewritten by other tools may use µs/ns).
fn timestamp_divisor(lt: Option<&::parquet::basic::LogicalType>) -> i64 {
    use ::parquet::basic::{LogicalType, TimeUnit};
    match lt {
        Some(LogicalType::Timestamp(t)) => match t.unit {
            TimeUnit::MICROS => 1_000,
            TimeUnit::NANOS => 1_000_000,
            _ => 1,
        },
        _ => 1,
    }
}

fn blank_facet() -> Facet {
    Facet {
        session_key: String::new(),
        user_key: String::new(),
        agent: String::new(),
        agent_version: None,
        interactive: false,
        excluded_reason: None,
        telemetry: Telemetry::default(),
        habits: None,
        labels: None,
    }
}

/// Read `n` rows of one flat column, NULLs included.
fn read_column(
    reader: ColumnReader,
    max_def: i16,
    n: usize,
) -> std::result::Result<Vec<V>, String> {
    macro_rules! read_all {
        ($r:ident, $conv:expr) => {{
            let mut r = $r;
            let mut defs: Vec<i16> = Vec::with_capacity(n);
            let mut vals = Vec::with_capacity(n);
            let mut records = 0;
            while records < n {
                let (rec, _, _) = r
                    .read_records(n - records, Some(&mut defs), None, &mut vals)
                    .map_err(|e| format!("parquet: {e}"))?;
                if rec == 0 {
                    return Err(format!("column ended after {records} of {n} rows"));
                }
                records += rec;
            }
            let mut vals = vals.into_iter();
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let present = max_def == 0 || defs.get(i).copied().unwrap_or(0) == max_def;
                if present {
                    let x = vals.next().ok_or("fewer values than definition levels")?;
                    out.push($conv(x)?);
                } else {
                    out.push(V::Null);
                }
            }
            out
        }};
    }
    Ok(match reader {
        ColumnReader::BoolColumnReader(r) => read_all!(r, |x| Ok::<V, String>(V::Bool(x))),
        ColumnReader::Int32ColumnReader(r) => {
            read_all!(r, |x: i32| Ok::<V, String>(V::Int(i64::from(x))))
        }
        ColumnReader::Int64ColumnReader(r) => read_all!(r, |x| Ok::<V, String>(V::Int(x))),
        ColumnReader::FloatColumnReader(r) => {
            read_all!(r, |x: f32| Ok::<V, String>(V::Float(f64::from(x))))
        }
        ColumnReader::DoubleColumnReader(r) => read_all!(r, |x| Ok::<V, String>(V::Float(x))),
        ColumnReader::ByteArrayColumnReader(r) => read_all!(r, |x: ByteArray| {
            String::from_utf8(x.data().to_vec())
                .map(V::Str)
                .map_err(|_| "invalid UTF-8 in a string column".to_string())
        }),
        _ => return Err("unsupported physical type".into()),
    })
}
