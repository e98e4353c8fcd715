//! Facets Parquet store: exact round trip, schema documentation in sync, bad input, and a read
//! by an independent implementation (pyarrow) when Python has it.

use agentstat_facets::parquet::{columns, read_facets, write_facets};
use agentstat_facets::*;
use proptest::prelude::*;
use std::path::Path;

fn prov(backend: &str) -> Provenance {
    Provenance {
        backend: backend.into(),
        model: "rules-v1".into(),
        prompt_version: "p3".into(),
    }
}

/// A fully labelled facet with distinct values in every field, so a swapped column shows up.
fn full_facet(i: u32) -> Facet {
    let p = prov("heuristic");
    Facet {
        session_key: format!("s{i:04}"),
        user_key: format!("u{}", i % 3),
        agent: "claude-code".into(),
        agent_version: Some("2.1.14".into()),
        interactive: true,
        excluded_reason: None,
        telemetry: Telemetry {
            human_turns: 7 + i,
            queued_prompts: 1,
            model_calls: Some(40),
            actions: 33,
            successful_actions: 30,
            actions_by_kind: [1, 2, 3, 4, 5, 6, 7, 8, 9],
            subagents: 2,
            actions_per_prompt: 33.0 / 7.0,
            words_per_prompt: 123.25,
            output_words: 863,
            output_tokens: Some(12_345_678_901),
            input_tokens: Some(98_765),
            lines_added: Some(120),
            lines_removed: Some(14),
            files_touched: 6,
            git_commits: 2,
            git_pushes: 1,
            pull_requests: 1,
            test_runs: 5,
            test_runs_passed: 4,
            test_runs_failed: 1,
            last_test_passed: Some(true),
            tool_errors: 3,
            interrupts: 1,
            rejections: 2,
            compactions: 1,
            auto_approve_share: Some(0.5),
            permission_mode: Some("acceptEdits".into()),
            turn_seconds_median: Some(12.5),
            turn_seconds_total: Some(600.0),
            start_ms: Some(1_767_225_600_000 + i as i64),
            end_ms: Some(1_767_229_200_000),
            month: Some("2026-01".into()),
            models: vec!["claude-opus-4-5".into(), "claude-sonnet-4-5".into()],
            model_family: Some("opus".into()),
            user_unknown: i.is_multiple_of(3),
        },
        habits: Some(Habits {
            named_acceptance_test: i.is_multiple_of(2),
            targeted_verification: i % 4,
            plan_mode_share: (!i.is_multiple_of(3)).then_some(f64::from(i % 5) / 4.0),
            specific_setup: i % 3 == 1,
            asked_for_review: i % 5 == 2,
        }),
        labels: Some(Labels {
            work_mode: Label::ok(WorkMode::ALL[i as usize % 9], p.clone()),
            codebase_relation: Label::ok(CodebaseRelation::Modify, p.clone()),
            decisions: Label::ok(
                Decisions {
                    planning_user: 3,
                    planning_agent: 1,
                    execution_user: 2,
                    execution_agent: 8,
                },
                p.clone(),
            ),
            expertise: Label::ok(Expertise::Advanced, p.clone()),
            user_profile: Label::ok(UserProfile::Group(Occupation::Science), p.clone()),
            work_performed: Label::ok(Occupation::ComputerMath, prov("anthropic")),
            outcome: Label::ok(Outcome::PartiallySucceeded, p.clone()),
            success_signal: Label::ok(Signal::S4, p.clone()),
            failure_signal: Label::failed("invalid answer twice", prov("openai")),
            task_value: Label::ok(
                TaskValue {
                    usd: 750.0,
                    band: ValueBand::B200To1k,
                },
                p,
            ),
        }),
    }
}

fn headless(i: u32) -> Facet {
    Facet {
        session_key: format!("h{i}"),
        user_key: "u9".into(),
        agent: "openhands".into(),
        agent_version: None,
        interactive: false,
        excluded_reason: Some("no human turns".into()),
        telemetry: Telemetry::default(),
        habits: None,
        labels: None,
    }
}

#[test]
fn round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("facets.parquet");
    let mut facets: Vec<Facet> = (0..20).map(full_facet).collect();
    facets.push(headless(1));
    // Unclear user profile, Unclear expertise, NONE signal, missing decisions.
    let mut odd = full_facet(99);
    let l = odd.labels.as_mut().unwrap();
    l.user_profile.value = Some(UserProfile::Unclear);
    l.expertise.value = Some(Expertise::Unclear);
    l.success_signal.value = Some(Signal::None);
    l.decisions = Label::failed("timeout", prov("anthropic"));
    l.task_value = Label::failed("no price", prov("anthropic"));
    odd.telemetry.models.clear();
    odd.telemetry.last_test_passed = None;
    facets.push(odd);
    // A model id holding a comma or a percent sign (seen in a real Aider history, where a
    // Python list was recorded as the model): the closed vocabulary decides what is kept, and
    // the list survives the comma-joined column as the vocabulary left it.
    let mut listy = full_facet(7);
    listy.telemetry.models = vec![
        "['claude-3-opus-20240229',".into(),
        "m%2C".into(),
        "z".into(),
    ];
    facets.push(listy);
    write_facets(&path, &facets).unwrap();
    let back = read_facets(&path).unwrap();
    let mut closed = facets.clone();
    closed.iter_mut().for_each(agentstat_facets::vocab::close);
    assert_eq!(back, closed);
    assert_eq!(
        back[..21],
        facets[..21],
        "ordinary values are kept as they are"
    );
}

/// Files written before the habit columns existed (here: a minimal file with only the required
/// columns, as another tool or an older agentstat would write) read with `habits: None`; habits
/// without a plan-mode share keep their other values.
#[test]
fn facets_without_habit_columns_read_as_none() {
    use ::parquet::data_type::{BoolType, ByteArray, ByteArrayType};
    use ::parquet::file::properties::WriterProperties;
    use ::parquet::file::writer::SerializedFileWriter;
    use ::parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.parquet");
    let schema = Arc::new(
        parse_message_type(
            "message m { required binary session_key (STRING); required binary user_key (STRING); required boolean interactive; }",
        )
        .unwrap(),
    );
    let file = std::fs::File::create(&path).unwrap();
    let mut w =
        SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build()))
            .unwrap();
    let mut rg = w.next_row_group().unwrap();
    for v in ["s1", "u1"] {
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>()
            .write_batch(&[ByteArray::from(v)], None, None)
            .unwrap();
        c.close().unwrap();
    }
    let mut c = rg.next_column().unwrap().unwrap();
    c.typed::<BoolType>()
        .write_batch(&[true], None, None)
        .unwrap();
    c.close().unwrap();
    rg.close().unwrap();
    w.close().unwrap();
    let back = read_facets(&path).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].habits, None);

    let p2 = dir.path().join("partial.parquet");
    let mut g = full_facet(6);
    g.habits = Some(Habits {
        plan_mode_share: None,
        targeted_verification: 2,
        ..Habits::default()
    });
    let mut h = full_facet(7);
    h.habits = None;
    write_facets(&p2, &[g.clone(), h.clone()]).unwrap();
    let back = read_facets(&p2).unwrap();
    assert_eq!(back[0].habits, g.habits);
    assert_eq!(back[1].habits, None);
}

/// A file of schema 1 (before unknown counts): the five counts were required columns, so
/// every value is known and reads as `Some`, a zero included; NULLs of schema 2 read as `None`.
#[test]
fn schema_1_files_still_read_with_every_count_known() {
    use ::parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int64Type};
    use ::parquet::file::metadata::KeyValue;
    use ::parquet::file::properties::WriterProperties;
    use ::parquet::file::writer::SerializedFileWriter;
    use ::parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.parquet");
    let schema = Arc::new(
        parse_message_type(
            "message m { required binary session_key (STRING); required binary user_key (STRING); \
             required boolean interactive; required int64 output_tokens; \
             required int64 input_tokens; required int64 lines_added; required int64 lines_removed; \
             required int64 model_calls; }",
        )
        .unwrap(),
    );
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "agentstat.facets.schema_version".to_string(),
            "1".to_string(),
        )]))
        .build();
    let file = std::fs::File::create(&path).unwrap();
    let mut w = SerializedFileWriter::new(file, schema, Arc::new(props)).unwrap();
    let mut rg = w.next_row_group().unwrap();
    for v in ["s1", "u1"] {
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>()
            .write_batch(&[ByteArray::from(v)], None, None)
            .unwrap();
        c.close().unwrap();
    }
    let mut c = rg.next_column().unwrap().unwrap();
    c.typed::<BoolType>()
        .write_batch(&[true], None, None)
        .unwrap();
    c.close().unwrap();
    for v in [0i64, 900, 7, 2, 0] {
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<Int64Type>()
            .write_batch(&[v], None, None)
            .unwrap();
        c.close().unwrap();
    }
    rg.close().unwrap();
    w.close().unwrap();
    let (back, meta) = agentstat_facets::parquet::read_facets_meta(&path).unwrap();
    assert_eq!(meta.schema_version, 1);
    let t = &back[0].telemetry;
    assert_eq!(
        (
            t.output_tokens,
            t.input_tokens,
            t.lines_added,
            t.lines_removed
        ),
        (Some(0), Some(900), Some(7), Some(2))
    );
    assert_eq!(t.model_calls, Some(0), "a schema-1 zero is a known zero");

    // Schema 2: unknown is NULL in the file and `None` back; the version is 2.
    let p2 = dir.path().join("v2.parquet");
    let mut f = full_facet(3);
    f.telemetry.output_tokens = None;
    f.telemetry.lines_added = None;
    f.telemetry.lines_removed = None;
    f.telemetry.model_calls = None;
    write_facets(&p2, std::slice::from_ref(&f)).unwrap();
    let (back, meta) = agentstat_facets::parquet::read_facets_meta(&p2).unwrap();
    assert_eq!(meta.schema_version, 2);
    assert_eq!(back[0].telemetry, f.telemetry);
}

#[test]
fn many_row_groups_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.parquet");
    let facets: Vec<Facet> = (0..70_000)
        .map(|i| {
            if i % 1000 == 0 {
                headless(i)
            } else {
                full_facet(i)
            }
        })
        .collect();
    write_facets(&path, &facets).unwrap();
    let back = read_facets(&path).unwrap();
    assert_eq!(back.len(), facets.len());
    assert_eq!(back[69_999], facets[69_999]);
    assert_eq!(back[66_000], facets[66_000]);
    assert_eq!(back, facets);
}

#[test]
fn empty_table_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.parquet");
    write_facets(&path, &[]).unwrap();
    assert!(read_facets(&path).unwrap().is_empty());
}

#[test]
fn bad_files_give_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.parquet");
    let e = read_facets(&missing).unwrap_err().to_string();
    assert!(e.contains("nope.parquet"), "{e}");

    let garbage = dir.path().join("garbage.parquet");
    std::fs::write(&garbage, b"PAR1 this is not parquet at all PAR1").unwrap();
    let e = read_facets(&garbage).unwrap_err().to_string();
    assert!(e.contains("garbage.parquet"), "{e}");

    let empty = dir.path().join("empty.parquet");
    std::fs::write(&empty, b"").unwrap();
    assert!(read_facets(&empty).is_err());
}

#[test]
fn write_into_missing_directory_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/f.parquet");
    let e = write_facets(&path, &[full_facet(1)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("f.parquet"), "{e}");
}

#[test]
fn schema_doc_lists_every_column() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/FACETS_SCHEMA.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/FACETS_SCHEMA.md exists");
    let mut names = std::collections::HashSet::new();
    for c in columns() {
        assert!(names.insert(c.name), "duplicate column {}", c.name);
        assert!(
            doc.contains(&format!("`{}`", c.name)),
            "FACETS_SCHEMA.md lacks `{}`",
            c.name
        );
    }
}

fn arb_label<T: Clone + std::fmt::Debug + 'static>(
    values: Vec<T>,
) -> impl Strategy<Value = Label<T>> {
    (
        proptest::option::of(proptest::sample::select(values)),
        any::<bool>(),
        "[a-z]{0,6}",
        proptest::option::of(0u32..=1000),
    )
        .prop_map(|(v, e, b, c)| Label {
            value: v,
            provenance: Provenance {
                backend: b.clone(),
                model: format!("m-{b}"),
                prompt_version: "v1".into(),
            },
            error: e.then(|| "classifier error".to_string()),
            confidence: c.map(|c| c as f64 / 1000.0),
        })
}

fn arb_facet() -> impl Strategy<Value = Facet> {
    let labels = (
        arb_label(WorkMode::ALL.to_vec()),
        arb_label(CodebaseRelation::ALL.to_vec()),
        arb_label(vec![
            Decisions {
                planning_user: 0,
                planning_agent: 0,
                execution_user: 0,
                execution_agent: 0,
            },
            Decisions {
                planning_user: 5,
                planning_agent: 1,
                execution_user: 0,
                execution_agent: 9,
            },
        ]),
        arb_label(Expertise::ALL.to_vec()),
        arb_label(
            Occupation::ALL
                .iter()
                .map(|o| UserProfile::Group(*o))
                .chain([UserProfile::Unclear])
                .collect(),
        ),
        arb_label(Occupation::ALL.to_vec()),
        arb_label(Outcome::ALL.to_vec()),
        arb_label(Signal::ALL.to_vec()),
        arb_label(Signal::ALL.to_vec()),
        arb_label(vec![
            TaskValue {
                usd: 10.0,
                band: ValueBand::B10To200,
            },
            TaskValue {
                usd: 45_000.5,
                band: ValueBand::B5kTo50k,
            },
        ]),
    )
        .prop_map(|(a, b, c, d, e, f, g, h, i, j)| Labels {
            work_mode: a,
            codebase_relation: b,
            decisions: c,
            expertise: d,
            user_profile: e,
            work_performed: f,
            outcome: g,
            success_signal: h,
            failure_signal: i,
            task_value: j,
        });
    (
        "[a-f0-9]{1,12}",
        "[a-z0-9]{1,4}",
        any::<bool>(),
        proptest::option::of("[ -~]{0,10}"),
        any::<u32>(),
        any::<u64>().prop_map(|x| x >> 1),
        proptest::option::of(any::<i64>()),
        proptest::option::of(-1e12f64..1e12),
        proptest::collection::vec("[a-z0-9.-]{1,8}", 0..3),
        proptest::option::of(labels),
    )
        .prop_map(|(sk, uk, inter, reason, n, big, ts, x, models, labels)| {
            let mut models = models;
            models.sort();
            Facet {
                session_key: sk,
                user_key: uk,
                agent: "claude-code".into(),
                agent_version: reason.clone(),
                interactive: inter,
                excluded_reason: reason,
                telemetry: Telemetry {
                    human_turns: n,
                    actions_by_kind: [n, 0, 1, 2, 3, 4, 5, 6, n / 2],
                    // Known or unknown (NULL) counts both round-trip.
                    output_tokens: Some(big),
                    lines_added: ts.map(|t| t.unsigned_abs() >> 1),
                    model_calls: inter.then_some(n),
                    start_ms: ts,
                    auto_approve_share: x,
                    words_per_prompt: x.unwrap_or(0.0),
                    models,
                    ..Telemetry::default()
                },
                habits: None,
                labels,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn random_facets_round_trip(facets in proptest::collection::vec(arb_facet(), 0..12)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.parquet");
        write_facets(&path, &facets).unwrap();
        let back = read_facets(&path).unwrap();
        // What comes back is each string in its column's closed vocabulary.
        let mut want = facets.clone();
        want.iter_mut().for_each(agentstat_facets::vocab::close);
        prop_assert_eq!(back, want);
    }
}

/// An independent reader: pyarrow must read the file and see the documented types and values.
/// Needs `pip install pyarrow`. Skips with a message when Python or pyarrow is missing, unless
/// `AGENTSTAT_REQUIRE_PYARROW=1` (then it fails).
#[test]
fn pyarrow_reads_the_file() {
    let require = std::env::var("AGENTSTAT_REQUIRE_PYARROW").is_ok_and(|v| v == "1");
    let probe = std::process::Command::new("python3")
        .args(["-c", "import pyarrow"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        _ => {
            assert!(
                !require,
                "python3 with pyarrow not found (pip install pyarrow)"
            );
            eprintln!("pyarrow_reads_the_file: python3 with pyarrow not found, skipped");
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("facets.parquet");
    let facets = vec![full_facet(1), headless(2)];
    write_facets(&path, &facets).unwrap();
    let script = r#"
import sys, pyarrow.parquet as pq, pyarrow as pa
t = pq.read_table(sys.argv[1])
d = t.to_pylist()
assert t.num_rows == 2, t.num_rows
assert t.schema.field("session_key").type == pa.string()
assert t.schema.field("human_turns").type == pa.int64()
assert t.schema.field("start_time").type == pa.timestamp("ms", tz="UTC"), t.schema.field("start_time").type
a, b = d
assert a["session_key"] == "s0001" and a["user_key"] == "u1"
assert a["work_mode"] == "Build", a["work_mode"]
assert a["expertise"] == "4" and a["expertise_level"] == 4
assert a["user_profile"] == "Life, Physical, and Social Science"
assert a["outcome"] == "Partially Succeeded"
assert a["success_signal"] == "4" and a["success_signal_level"] == 4
assert a["failure_signal"] is None and a["failure_signal_error"] == "invalid answer twice"
assert a["failure_signal_backend"] == "openai"
assert a["task_value_band"] == "$200–1,000" and a["task_value_usd"] == 750.0
assert a["decisions_execution_agent"] == 8 and abs(a["user_planning_share"] - 0.75) < 1e-12
assert a["verified_success"] is False and a["at_least_partial_success"] is True
assert a["wrote_code"] is True and a["models"] == "claude-opus-4-5,claude-sonnet-4-5"
assert a["output_tokens"] == 12345678901
assert b["interactive"] is False and b["classified"] is False
assert b["work_mode"] is None and b["work_mode_backend"] is None
assert b["excluded_reason"] == "no human turns"
print("ok")
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyarrow check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A file rewritten by another tool still reads back exactly: pyarrow rewrites our file with
/// microsecond timestamps, 32-bit integers and every column nullable.
#[test]
fn file_rewritten_by_pyarrow_reads_back() {
    let require = std::env::var("AGENTSTAT_REQUIRE_PYARROW").is_ok_and(|v| v == "1");
    let probe = std::process::Command::new("python3")
        .args(["-c", "import pyarrow"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        _ => {
            assert!(
                !require,
                "python3 with pyarrow not found (pip install pyarrow)"
            );
            eprintln!(
                "file_rewritten_by_pyarrow_reads_back: python3 with pyarrow not found, skipped"
            );
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.parquet");
    let theirs = dir.path().join("theirs.parquet");
    let facets = vec![full_facet(1), headless(2), full_facet(3)];
    write_facets(&ours, &facets).unwrap();
    let script = r#"
import sys, pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
fields = []
for f in t.schema:
    if f.name in ("start_time", "end_time"):
        fields.append(pa.field(f.name, pa.timestamp("us", tz="UTC")))
    elif f.name in ("human_turns", "actions"):
        fields.append(pa.field(f.name, pa.int32()))
    else:
        fields.append(pa.field(f.name, f.type))
t = t.cast(pa.schema(fields, metadata=t.schema.metadata))
pq.write_table(t, sys.argv[2])
# A third file with an invalid label in row 2 and a string where a number belongs.
wm = t.column("work_mode").to_pylist()
wm[1] = "Refactor"
bad = t.set_column(t.schema.get_field_index("work_mode"), "work_mode", pa.array(wm, pa.string()))
pq.write_table(bad, sys.argv[3])
num = t.set_column(t.schema.get_field_index("lines_added"), "lines_added",
                   pa.array(["x"] * t.num_rows, pa.string()))
pq.write_table(num, sys.argv[4])
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&ours)
        .arg(&theirs)
        .arg(dir.path().join("bad_label.parquet"))
        .arg(dir.path().join("bad_type.parquet"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyarrow rewrite failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read_facets(&theirs).unwrap(), facets);
    let e = read_facets(dir.path().join("bad_label.parquet"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad_label.parquet") && e.contains("row 2") && e.contains("work_mode"),
        "{e}"
    );
    let e = read_facets(dir.path().join("bad_type.parquet"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad_type.parquet") && e.contains("lines_added"),
        "{e}"
    );
}

/// A forged or foreign facets file (written by another tool, bypassing the writer) carrying
/// free text in its string columns is closed on read: keys re-hashed, patterns normalised.
#[test]
fn forged_free_text_is_closed_on_read() {
    use ::parquet::data_type::{BoolType, ByteArray, ByteArrayType};
    use ::parquet::file::properties::WriterProperties;
    use ::parquet::file::writer::SerializedFileWriter;
    use ::parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    const SECRET: &str = "AKIAPLANTEDSECRETX42 my password is hunter2";
    let cols = [
        "session_key",
        "user_key",
        "agent",
        "agent_version",
        "model_family",
        "permission_mode",
        "models",
        "month",
        "excluded_reason",
    ];
    let decl: String = cols
        .iter()
        .map(|c| format!("required binary {c} (STRING); "))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forged.parquet");
    let schema = Arc::new(
        parse_message_type(&format!(
            "message m {{ {decl} required boolean interactive; }}"
        ))
        .unwrap(),
    );
    let file = std::fs::File::create(&path).unwrap();
    let mut w =
        SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build()))
            .unwrap();
    let mut rg = w.next_row_group().unwrap();
    for c in cols {
        let v = match c {
            "agent_version" => format!("1.2.3 {SECRET}"),
            "models" => format!("gpt-4o,{SECRET}"),
            _ => SECRET.to_string(),
        };
        let mut cw = rg.next_column().unwrap().unwrap();
        cw.typed::<ByteArrayType>()
            .write_batch(&[ByteArray::from(v.as_str())], None, None)
            .unwrap();
        cw.close().unwrap();
    }
    let mut cw = rg.next_column().unwrap().unwrap();
    cw.typed::<BoolType>()
        .write_batch(&[true], None, None)
        .unwrap();
    cw.close().unwrap();
    rg.close().unwrap();
    w.close().unwrap();

    let f = &read_facets(&path).unwrap()[0];
    let all = format!("{f:?}");
    assert!(!all.contains("AKIA") && !all.contains("hunter2"), "{all}");
    assert!(f.session_key.starts_with('h') && f.session_key.len() == 33);
    assert_eq!(f.agent, "other");
    assert_eq!(f.agent_version.as_deref(), Some("1.2.3"));
    assert_eq!(f.telemetry.model_family.as_deref(), Some("other"));
    assert_eq!(f.telemetry.permission_mode.as_deref(), Some("other"));
    assert_eq!(f.telemetry.models, vec!["gpt-4o", "other"]);
    assert_eq!(f.telemetry.month.as_deref(), Some("other"));
    assert_eq!(f.excluded_reason.as_deref(), Some("other"));
}
