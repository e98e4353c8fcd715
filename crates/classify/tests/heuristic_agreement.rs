//! Agreement of the heuristic backend with the careful reference labels in
//! docs/reference-labels.jsonl, on the real corpus (`../shared/corpus`), and the study's
//! telemetry cross-check. Fails if agreement drops below the floors recorded here (and in
//! docs/VALIDATION.md). `AGENTSTAT_AGREEMENT_REPORT=1` prints the per-facet table and the
//! per-session disagreements (labels only, no transcript text).

use agentstat_classify::heuristic::HeuristicBackend;
use agentstat_classify::{Backend, SessionInput};
use agentstat_facets::{CodebaseRelation, Expertise, Labels, Signal, ValueBand, WorkMode};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Floors: the agreement measured when the rules were last tuned, minus a small margin so
/// that a harmless change does not fail, while a real regression does.
const FLOORS: &[(&str, f64)] = &[
    ("work_mode exact", 0.75),
    ("codebase_relation exact", 0.85),
    ("expertise exact", 0.50),
    ("expertise within one", 0.85),
    ("user_profile exact", 0.85),
    ("work_performed exact", 0.95),
    ("outcome exact", 0.88),
    ("success_signal exact", 0.70),
    ("success_signal within one", 0.90),
    ("failure_signal exact", 0.60),
    ("failure_signal within one", 0.88),
    ("value_band exact", 0.78),
    ("value_band within one", 0.95),
    ("code sessions with lines changed", 0.90),
];

/// Ceilings on mean absolute difference of the user's decision shares.
const MAD_CEILINGS: &[(&str, f64)] = &[
    ("planning user share MAD", 0.22),
    ("execution user share MAD", 0.22),
];

fn workspace() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn corpus() -> Option<PathBuf> {
    let p = workspace().join("../shared/corpus/claude-code");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("AGENTSTAT_REQUIRE_CORPUS").as_deref() == Ok("1") {
        panic!(
            "corpus not found at {} and AGENTSTAT_REQUIRE_CORPUS=1",
            p.display()
        );
    }
    eprintln!("corpus not found at {}, skipped", p.display());
    None
}

struct Ref {
    file: String,
    v: serde_json::Value,
}

fn references() -> Vec<Ref> {
    let path = workspace().join("docs/reference-labels.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
        let file = v["file"]
            .as_str()
            .unwrap_or_else(|| panic!("{}:{}: no `file`", path.display(), i + 1))
            .to_string();
        out.push(Ref { file, v });
    }
    out
}

fn s<'a>(v: &'a serde_json::Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

fn u(v: &serde_json::Value, k: &str) -> u32 {
    v[k].as_u64().unwrap_or(0) as u32
}

#[derive(Default)]
struct Tally {
    n: usize,
    hits: usize,
}

impl Tally {
    fn add(&mut self, ok: bool) {
        self.n += 1;
        self.hits += ok as usize;
    }
    fn rate(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.hits as f64 / self.n as f64
        }
    }
}

fn share(a: u32, b: u32) -> Option<f64> {
    (a + b > 0).then(|| a as f64 / (a + b) as f64)
}

fn within_one(a: Option<u8>, b: Option<u8>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.abs_diff(y) <= 1,
        (None, None) => true,
        _ => false,
    }
}

#[test]
fn agreement_with_reference_labels_stays_above_the_floors() {
    let Some(root) = corpus() else { return };
    let refs = references();
    assert!(
        refs.len() >= 30,
        "expected at least 30 reference labels, found {}",
        refs.len()
    );
    let mut diag = agentstat_ingest::Diagnostics::default();
    let sources = agentstat_ingest::discover(std::slice::from_ref(&root), &mut diag);
    let report = std::env::var("AGENTSTAT_AGREEMENT_REPORT").as_deref() == Ok("1");

    let mut t: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut mad: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    let mut confusion: BTreeMap<String, usize> = BTreeMap::new();
    let mut code_sessions = Tally::default();
    for r in &refs {
        let want = root.join(&r.file);
        let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let src = sources
            .iter()
            .find(|src| src.files.iter().any(|f| canon(&f.path) == canon(&want)))
            .unwrap_or_else(|| panic!("reference {} matches no discovered session", r.file));
        let session = agentstat_ingest::read_session(src, &Default::default(), &mut diag)
            .unwrap_or_else(|| panic!("reference {} could not be read", r.file));
        let tel = agentstat_telemetry::measure(&session);
        let l: Labels = HeuristicBackend
            .classify(&SessionInput {
                session: &session,
                telemetry: &tel,
            })
            .unwrap();
        let v = &r.v;
        let mut cmp =
            |t: &mut BTreeMap<&str, Tally>, facet: &'static str, got: String, want: &str| {
                let ok = got == want;
                t.entry(facet).or_default().add(ok);
                if !ok {
                    *confusion
                        .entry(format!("{facet}: ref {want} -> heuristic {got}"))
                        .or_default() += 1;
                    if report {
                        println!("{:<48} {facet}: ref {want} / heuristic {got}", r.file);
                    }
                }
            };
        let wm = l.work_mode.value.unwrap();
        cmp(&mut t, "work_mode exact", wm.to_string(), s(v, "work_mode"));
        let cr = l.codebase_relation.value.unwrap();
        cmp(
            &mut t,
            "codebase_relation exact",
            cr.to_string(),
            s(v, "codebase_relation"),
        );
        let ex = l.expertise.value.unwrap();
        cmp(&mut t, "expertise exact", ex.to_string(), s(v, "expertise"));
        let want_ex = Expertise::parse(s(v, "expertise")).expect("reference expertise");
        t.entry("expertise within one")
            .or_default()
            .add(within_one(ex.level(), want_ex.level()));
        cmp(
            &mut t,
            "user_profile exact",
            l.user_profile.value.unwrap().as_str().to_string(),
            s(v, "user_profile"),
        );
        cmp(
            &mut t,
            "work_performed exact",
            l.work_performed.value.unwrap().to_string(),
            s(v, "work_performed"),
        );
        cmp(
            &mut t,
            "outcome exact",
            l.outcome.value.unwrap().to_string(),
            s(v, "outcome"),
        );
        for (facet, within, got, key) in [
            (
                "success_signal exact",
                "success_signal within one",
                l.success_signal.value.unwrap(),
                "success_signal",
            ),
            (
                "failure_signal exact",
                "failure_signal within one",
                l.failure_signal.value.unwrap(),
                "failure_signal",
            ),
        ] {
            let want = Signal::parse(s(v, key)).expect("reference signal");
            cmp(&mut t, facet, got.to_string(), want.as_str());
            t.entry(within)
                .or_default()
                .add(got.level().abs_diff(want.level()) <= 1);
        }
        let band = l.task_value.value.unwrap().band;
        let want_band = ValueBand::parse(s(v, "value_band")).expect("reference band");
        cmp(
            &mut t,
            "value_band exact",
            band.to_string(),
            want_band.as_str(),
        );
        t.entry("value_band within one")
            .or_default()
            .add(band.index().abs_diff(want_band.index()) <= 1);
        let d = l.decisions.value.unwrap();
        for (name, got, want) in [
            (
                "planning user share MAD",
                d.user_planning_share(),
                share(u(v, "planning_user"), u(v, "planning_agent")),
            ),
            (
                "execution user share MAD",
                d.user_execution_share(),
                share(u(v, "execution_user"), u(v, "execution_agent")),
            ),
        ] {
            if let (Some(g), Some(w)) = (got, want) {
                if report && (g - w).abs() > 0.3 {
                    println!("{:<48} {name}: ref {w:.2} / heuristic {g:.2}", r.file);
                }
                let e = mad.entry(name).or_default();
                e.0 += (g - w).abs();
                e.1 += 1;
            }
        }
        // Telemetry cross-check (study: >90%): sessions labelled as producing code show lines.
        let produces_code = matches!(
            wm,
            WorkMode::Build | WorkMode::Fix | WorkMode::Test | WorkMode::Operate
        ) && matches!(cr, CodebaseRelation::Modify | CodebaseRelation::Create);
        if produces_code {
            code_sessions.add(tel.lines_or_zero().0 + tel.lines_or_zero().1 > 0);
        }
    }
    t.insert("code sessions with lines changed", code_sessions);

    let mut failures = Vec::new();
    println!("agreement over {} reference sessions:", refs.len());
    for (name, tally) in &t {
        let floor = FLOORS.iter().find(|(n, _)| n == name).map(|(_, f)| *f);
        println!(
            "  {name:<34} {:>5.1}%  ({}/{}; floor {})",
            100.0 * tally.rate(),
            tally.hits,
            tally.n,
            floor
                .map(|f| format!("{:.0}%", 100.0 * f))
                .unwrap_or("-".into())
        );
        if let Some(f) = floor {
            if tally.rate() < f {
                failures.push(format!("{name}: {:.3} < floor {f}", tally.rate()));
            }
        }
    }
    for (name, (sum, n)) in &mad {
        let m = sum / (*n).max(1) as f64;
        let ceil = MAD_CEILINGS
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, c)| *c)
            .unwrap_or(1.0);
        println!("  {name:<34} {m:>6.3}  (n={n}; ceiling {ceil})");
        if m > ceil {
            failures.push(format!("{name}: {m:.3} > ceiling {ceil}"));
        }
    }
    if report {
        println!("confusions:");
        for (k, n) in &confusion {
            println!("  {n:>2}  {k}");
        }
    }
    for (name, _) in FLOORS {
        assert!(t.contains_key(name), "floor {name} names no measured facet");
    }
    assert!(
        failures.is_empty(),
        "agreement dropped below the recorded floors:\n{}",
        failures.join("\n")
    );
}
