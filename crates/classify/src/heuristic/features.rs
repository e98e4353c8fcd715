//! One linear pass over a session, collecting what the rules need: the user's prompts with
//! their cues, where edits went (by kind of file and by prompt), verifiable events (tests,
//! commits, pushes, PRs) and their position relative to the last edit, errors and how the
//! session ended.

use super::text::{self, Norm, TechTokens};
use agentstat_session::{Action, ActionKind, Event, ResultStatus, Session};
use std::collections::{BTreeSet, HashMap};

/// What kind of file an edit touched; drives work mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileCat {
    Code,
    Test,
    Docs,
    PlanDoc,
    Ops,
    Data,
    Agent,
    Config,
}

impl FileCat {
    pub const ALL: [FileCat; 8] = [
        FileCat::Code,
        FileCat::Test,
        FileCat::Docs,
        FileCat::PlanDoc,
        FileCat::Ops,
        FileCat::Data,
        FileCat::Agent,
        FileCat::Config,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FileCat::Code => "code",
            FileCat::Test => "test",
            FileCat::Docs => "docs",
            FileCat::PlanDoc => "plan doc",
            FileCat::Ops => "CI/deploy/env",
            FileCat::Data => "data",
            FileCat::Agent => "prompt/agent",
            FileCat::Config => "config",
        }
    }
    pub fn idx(self) -> usize {
        self as usize
    }
}

/// Classify a file path by what editing it usually means.
pub fn file_cat(path: &str) -> FileCat {
    let p = path.replace('\\', "/").to_ascii_lowercase();
    let name = p.rsplit('/').next().unwrap_or(&p);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let has = |s: &str| p.contains(s);
    // Prompt and agent files.
    if matches!(
        name,
        "claude.md" | "agents.md" | "gemini.md" | "skill.md" | ".cursorrules" | ".mcp.json"
    ) || has("/.claude/commands/")
        || has("/.claude/agents/")
        || has("/.claude/skills/")
        || has("/prompts/")
        || name.ends_with(".prompt")
        || name.ends_with(".prompt.md")
        || name.contains("system_prompt")
    {
        return FileCat::Agent;
    }
    if has("/.claude/plans/")
        || has("/plans/")
        || has("/rfcs/")
        || has("/adr/")
        || has("/design/")
        || ((ext == "md" || ext == "txt")
            && ["plan", "design", "spec", "rfc", "proposal", "roadmap"]
                .iter()
                .any(|k| {
                    let stem = name.trim_end_matches(".md").trim_end_matches(".txt");
                    stem.starts_with(k) || stem.ends_with(k) || stem.ends_with(&format!("{k}s"))
                }))
    {
        return FileCat::PlanDoc;
    }
    // Tests before docs: fixtures in test dirs are test work.
    if has("/test/")
        || has("/tests/")
        || has("/__tests__/")
        || has("/spec/")
        || has("/testdata/")
        || has("/test_data/")
        || has("/fixtures/")
        || has("/e2e/")
        || name.starts_with("test_")
        || name.ends_with("_test.go")
        || name.ends_with("_test.py")
        || name.ends_with("_test.rs")
        || name.ends_with("_spec.rb")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name == "conftest.py"
    {
        return FileCat::Test;
    }
    if has(".github/workflows/")
        || has(".github/actions/")
        || has(".gitlab-ci")
        || has(".circleci/")
        || has("/deploy/")
        || has("/k8s/")
        || has("/helm/")
        || has("/terraform/")
        || has("/ansible/")
        || has("/.devcontainer/")
        || name.starts_with("dockerfile")
        || name.starts_with("docker-compose")
        || name.starts_with("compose.")
        || name == ".dockerignore"
        || name == "jenkinsfile"
        || name == "procfile"
        || name.starts_with(".env")
        || matches!(
            name,
            "fly.toml"
                | "vercel.json"
                | "netlify.toml"
                | "mise.toml"
                | ".mise.toml"
                | "nginx.conf"
                | "justfile"
                | ".tool-versions"
                | ".goreleaser.yml"
                | ".goreleaser.yaml"
        )
        || matches!(ext, "tf" | "tfvars" | "service")
    {
        return FileCat::Ops;
    }
    if matches!(
        ext,
        "csv"
            | "tsv"
            | "parquet"
            | "ipynb"
            | "xlsx"
            | "xls"
            | "sav"
            | "dta"
            | "feather"
            | "arrow"
            | "rds"
    ) || has("/data/") && matches!(ext, "json" | "jsonl" | "txt")
    {
        return FileCat::Data;
    }
    if matches!(
        ext,
        "md" | "mdx" | "rst" | "txt" | "adoc" | "org" | "tex" | "docx" | "pptx"
    ) || name == "license"
        || name.starts_with("readme")
        || name.starts_with("changelog")
    {
        return FileCat::Docs;
    }
    if matches!(
        name,
        "package.json"
            | "package-lock.json"
            | "pyproject.toml"
            | "cargo.toml"
            | "cargo.lock"
            | "go.mod"
            | "go.sum"
            | "tsconfig.json"
            | "requirements.txt"
            | "setup.cfg"
            | "setup.py"
            | "pom.xml"
            | "build.gradle"
            | "gemfile"
            | "mix.exs"
            | ".gitignore"
            | "makefile"
            | "uv.lock"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | ".eslintrc"
            | ".prettierrc"
    ) || matches!(ext, "toml" | "ini" | "cfg" | "lock")
    {
        return FileCat::Config;
    }
    FileCat::Code
}

/// What a shell command does, for work mode and signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdCat {
    Test,
    Check,
    Commit,
    Push,
    PrCreate,
    GitOps,
    GitRead,
    Ops,
    Install,
    Data,
    Build,
    Inspect,
    Other,
}

/// The substring patterns of each kind of command, in the order [`cmd_cat`] tries them: the
/// first kind with a pattern anywhere in the (lowercased) command wins.
const CMD_PATTERNS: [(CmdCat, &[&str]); 11] = [
    (
        CmdCat::PrCreate,
        &["gh pr create", "hub pull-request", "glab mr create"],
    ),
    (CmdCat::Commit, &["git commit"]),
    (CmdCat::Push, &["git push"]),
    (CmdCat::Test, TESTS),
    (CmdCat::Check, CHECKS),
    (CmdCat::GitOps, GITOPS),
    (
        CmdCat::GitRead,
        &[
            "git status",
            "git log",
            "git diff",
            "git show",
            "gh pr view",
            "gh pr diff",
            "gh pr list",
            "gh pr checks",
            "git blame",
        ],
    ),
    (CmdCat::Ops, OPS),
    (CmdCat::Install, INSTALL),
    (CmdCat::Data, DATA),
    (CmdCat::Build, BUILD),
];

/// [`cmd_cat`]'s patterns: tests.
const TESTS: &[&str] = &[
    "cargo test",
    "cargo nextest",
    "pytest",
    "py.test",
    "go test",
    "npm test",
    "npm run test",
    "yarn test",
    "pnpm test",
    "pnpm run test",
    "jest",
    "vitest",
    "mix test",
    "mvn test",
    "mvn verify",
    "gradle test",
    "gradlew test",
    "rspec",
    "rake test",
    "phpunit",
    "dotnet test",
    "ctest",
    "make test",
    "make check",
    "mise test",
    "mise run test",
    "tox",
    "deno test",
    "bun test",
    "just test",
    "unittest",
    "playwright test",
    "cypress run",
    "nox",
];

/// [`cmd_cat`]'s patterns: checks.
const CHECKS: &[&str] = &[
    "cargo clippy",
    "cargo check",
    "ruff",
    "eslint",
    "mise lint",
    "mise run lint",
    "golangci-lint",
    "go vet",
    "pyright",
    "mypy",
    "tsc",
    "npm run lint",
    "npm run typecheck",
    "make lint",
    "mix credo",
    "mix format",
    "gofmt",
    "cargo fmt",
    "prettier",
    "biome",
    "shellcheck",
    "actionlint",
];

/// [`cmd_cat`]'s patterns: gitops.
const GITOPS: &[&str] = &[
    "git merge",
    "git rebase",
    "git reset",
    "git checkout",
    "git switch",
    "git cherry-pick",
    "git stash",
    "git gc",
    "git worktree",
    "git read-tree",
    "git fsck",
    "git branch -d",
    "git branch -D",
    "git fetch",
    "git pull",
    "git tag",
    "git prune",
    "git restore",
    "git add",
    "gh pr merge",
    "gh pr edit",
    "gh pr ready",
    "gh api",
    "gh pr comment",
    "gh issue",
];

/// [`cmd_cat`]'s patterns: ops.
const OPS: &[&str] = &[
    "docker",
    "kubectl",
    "helm ",
    "terraform",
    "ansible",
    "gcloud",
    "aws ",
    "az ",
    "flyctl",
    "fly deploy",
    "vercel",
    "netlify",
    "heroku",
    "systemctl",
    "ssh ",
    "scp ",
    "rsync ",
    "gh workflow",
    "gh run",
    "gh release",
    "goreleaser",
    "launchctl",
    "crontab",
    "chmod ",
    "nginx",
    "certbot",
];

/// [`cmd_cat`]'s patterns: install.
const INSTALL: &[&str] = &[
    "npm install",
    "npm i ",
    "npm ci",
    "yarn add",
    "pnpm add",
    "pnpm install",
    "pip install",
    "uv sync",
    "uv add",
    "uv pip",
    "poetry add",
    "poetry install",
    "cargo install",
    "cargo add",
    "go get",
    "go install",
    "brew install",
    "apt-get",
    "apt install",
    "mix deps.get",
    "bundle install",
    "gem install",
    "nvm ",
    "pyenv",
    "rustup",
];

/// [`cmd_cat`]'s patterns: data.
const DATA: &[&str] = &[
    "pandas",
    "import pd",
    "read_csv",
    "duckdb",
    "sqlite3",
    "psql",
    "matplotlib",
    "polars",
    "rscript",
    "jupyter",
    "numpy",
    "seaborn",
    "scipy",
    ".csv",
    ".parquet",
];

/// [`cmd_cat`]'s patterns: build.
const BUILD: &[&str] = &[
    "cargo build",
    "cargo run",
    "go build",
    "go run",
    "npm run build",
    "npm run dev",
    "npm start",
    "yarn build",
    "pnpm build",
    "make",
    "mix compile",
    "mix phx",
    "vite",
    "webpack",
    "tsc -b",
    "mvn package",
    "gradle build",
    "python ",
    "python3 ",
    "node ",
    "uv run",
    "mise run",
    "mise build",
    "cmake",
    "bazel",
];

/// [`cmd_cat`]'s patterns: inspect.
const INSPECT: &[&str] = &[
    "ls", "cat ", "head ", "tail ", "grep ", "rg ", "find ", "wc ", "tree", "pwd", "echo ",
    "which ", "file ", "stat ", "sed -n", "awk ",
];

/// Every pattern of [`CMD_PATTERNS`] in one automaton, with the index of its kind: one pass
/// over a command finds every pattern in it (where a substring search per pattern took ~150).
fn cmd_automaton() -> &'static (aho_corasick::AhoCorasick, Vec<usize>) {
    static AC: std::sync::OnceLock<(aho_corasick::AhoCorasick, Vec<usize>)> =
        std::sync::OnceLock::new();
    AC.get_or_init(|| {
        let (pats, kind): (Vec<&str>, Vec<usize>) = CMD_PATTERNS
            .iter()
            .enumerate()
            .flat_map(|(k, (_, ps))| ps.iter().map(move |p| (*p, k)))
            .unzip();
        let ac = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(pats)
            .unwrap_or_else(|e| panic!("the command patterns build an automaton: {e}"));
        (ac, kind)
    })
}

/// Recognise a shell command by its leading words (the first line, after `cd … &&`).
pub fn cmd_cat(cmd: &str) -> CmdCat {
    let c = text::head(cmd, 300).to_ascii_lowercase();
    let (ac, kind) = cmd_automaton();
    let first = ac
        .find_overlapping_iter(&c)
        .map(|m| kind[m.pattern().as_usize()])
        .min();
    // `act` (GitHub Actions run locally) is a check: tried after the checks' patterns.
    const CHECK: usize = 4;
    match first {
        Some(k) if k <= CHECK => return CMD_PATTERNS[k].0,
        _ => {}
    }
    if c.trim_start().starts_with("act ") || c.contains("&& act ") {
        return CmdCat::Check;
    }
    if let Some(k) = first {
        return CMD_PATTERNS[k].0;
    }
    let lead = c.trim_start();
    let mut parts = c.split("&& ").skip(1);
    if INSPECT.iter().any(|t| lead.starts_with(t))
        || parts.any(|part| INSPECT.iter().any(|t| part.starts_with(t)))
    {
        return CmdCat::Inspect;
    }
    CmdCat::Other
}

/// One human prompt with its cues.
#[derive(Debug, Clone, Default)]
pub struct Prompt {
    /// Position among prompts (0-based).
    pub n: usize,
    pub norm: Norm,
    pub tech: TechTokens,
    pub chars: usize,
    /// A short acceptance of what the agent proposed ("yes", "do it", "1").
    pub accept: bool,
    /// Weighted count of "something is broken" cues.
    pub broken: u32,
    pub affirm: bool,
    pub affirm_weak: bool,
    /// The complaint / frustration cue found (later prompts only for complaints).
    pub complaint: Option<&'static str>,
    pub frustration: Option<&'static str>,
    pub pushback: bool,
    /// The agent's last visible text before this prompt asked a question or offered options.
    pub after_agent_question: bool,
    /// Contains pasted output (logs, errors, stack traces).
    pub pasted_output: bool,
    pub plan_mode: bool,
    /// Only a greeting or small talk ("hi", "how are you?").
    pub greeting: bool,
    /// Opens with a request to change something ("add …", "please move …", "can you use …").
    pub change_request: bool,
    /// Opens with a forward-looking question ("how should I …", "can we …?", "/ask is there a
    /// better way …") and is not a plain request.
    pub forward_ask: bool,
    /// A pasted plan ("Implement the following plan:"): its title, normalised. The title, not
    /// the body, decides whether the work is a fix ([`Prompt::broken`] reads the title only).
    pub plan_title: Option<Norm>,
}

/// Everything the rules read, gathered in one pass.
#[derive(Debug, Clone, Default)]
pub struct Features {
    pub prompts: Vec<Prompt>,
    /// Edit weight by file category, per prompt segment (index = prompt number; work before
    /// the first prompt counts towards the first).
    pub seg_edits: Vec<[f64; 8]>,
    pub cat_weight: [f64; 8],
    pub cat_files: [u32; 8],
    pub edit_actions: u32,
    pub edit_ok: u32,
    /// Lines added in files this session created, and in files that already existed.
    pub new_file_lines: u64,
    /// Lines added plus removed by successful edits.
    pub lines_changed: u64,
    pub existing_file_lines: u64,
    pub files_edited: BTreeSet<String>,
    pub files_created: BTreeSet<String>,
    pub files_read: BTreeSet<String>,
    pub code_files_read: u32,
    pub reads: u32,
    pub searches: u32,
    pub web: u32,
    pub subagent_calls: u32,
    pub shell: u32,
    pub cmd_counts: HashMap<&'static str, u32>,
    pub shell_families: BTreeSet<String>,
    pub exit_plan: u32,
    /// Plans the user approved (ExitPlanMode accepted).
    pub exit_plan_approved: u32,
    pub todo_plans: u32,
    pub ask_user: u32,
    pub tests_after_last_edit_passed: u32,
    pub tests_after_last_edit_failed: u32,
    /// Outcome of the last test run, and whether it came after the last edit.
    pub last_test: Option<(bool, bool)>,
    pub checks_ok_after_last_edit: u32,
    pub checks_failed_last: bool,
    pub commits_ok: u32,
    pub commit_after_last_edit: bool,
    pub pushes_ok: u32,
    pub prs_created: u32,
    pub pr_links: u32,
    pub errors: u32,
    pub errors_after_last_prompt: u32,
    /// Failed shell commands (tool-harness errors such as a failed edit match are excluded).
    pub shell_errors: u32,
    /// Rejections of a proposed plan (ExitPlanMode): planning feedback more than trouble.
    pub plan_rejections: u32,
    pub unrecovered_final_error: bool,
    /// Most times one failing command was retried.
    pub loop_max: u32,
    pub interrupts: u32,
    pub interrupt_at_end: bool,
    pub rejections: u32,
    pub successful_cmds_after_last_edit: u32,
    pub last_edit_pos: Option<usize>,
    /// Final assistant text, normalised (head only).
    pub final_text: Option<Norm>,
    /// The final assistant text ends by handing work back ("Let me …" with nothing after).
    pub final_text_midwork: bool,
    pub final_is_question: bool,
    /// The session ended on a human prompt with no answer.
    pub ends_on_prompt: bool,
    pub agent_concedes: u32,
    /// Prompt segments in which the agent proposed an approach or options.
    pub agent_proposals: u32,
    pub agent_corrects: u32,
    pub assistant_texts: u32,
    pub project: Option<String>,
    /// Whole-session lowercase side-signal text: project path, edited paths (for occupation).
    pub side_paths: Vec<String>,
    /// The path components of `side_paths`, as words.
    pub side_words: Norm,
    pub system_claude_md: bool,
    /// Slash commands the user ran (`/review`, `/workflows:plan`), normalised: their names
    /// carry intent like prompt words.
    pub commands: Vec<Norm>,
    /// Length of the final assistant text in bytes.
    pub final_text_len: usize,
}

impl Features {
    pub fn cmd(&self, k: &str) -> u32 {
        self.cmd_counts.get(k).copied().unwrap_or(0)
    }
    /// Meaningful (non-acceptance) prompts.
    pub fn substantive_prompts(&self) -> impl Iterator<Item = &Prompt> {
        self.prompts
            .iter()
            .filter(|p| !p.accept && p.norm.words > 0)
    }
    pub fn total_edit_weight(&self) -> f64 {
        self.cat_weight.iter().sum()
    }
    pub fn weight(&self, c: FileCat) -> f64 {
        self.cat_weight[c.idx()]
    }
}

fn cmd_key(c: CmdCat) -> &'static str {
    match c {
        CmdCat::Test => "test",
        CmdCat::Check => "check",
        CmdCat::Commit => "commit",
        CmdCat::Push => "push",
        CmdCat::PrCreate => "pr",
        CmdCat::GitOps => "gitops",
        CmdCat::GitRead => "gitread",
        CmdCat::Ops => "ops",
        CmdCat::Install => "install",
        CmdCat::Data => "data",
        CmdCat::Build => "build",
        CmdCat::Inspect => "inspect",
        CmdCat::Other => "other",
    }
}

/// Whether a prompt is a compaction summary or other CLI text that slipped through as a prompt.
fn is_injected(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("This session is being continued from a previous conversation")
        || t.starts_with("<command-")
        || t.starts_with("<local-command")
        || t.starts_with("Caveat: The messages below")
        || t.starts_with("[Request interrupted")
}

/// Whether the text contains ":(" standing alone (followed by a space, end or punctuation).
fn sad_face(t: &str) -> bool {
    t.match_indices(":(").any(|(i, _)| {
        let next = t[i + 2..].chars().next();
        next.is_none_or(|c| c.is_whitespace() || matches!(c, '.' | '!' | ',' | ')'))
    })
}

/// Remove IDE context the CLI attaches to a prompt (`<ide_selection>…</ide_selection>`,
/// `<ide_opened_file>…`): it is file content, not the person's words.
pub fn strip_ide_context(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("<ide_") && !text.contains("<system-reminder>") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let start = [rest.find("<ide_"), rest.find("<system-reminder>")]
            .into_iter()
            .flatten()
            .min();
        let Some(start) = start else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let tag_end = after
            .find(|c: char| c == '>' || c.is_whitespace())
            .unwrap_or(after.len());
        let close = format!("</{}>", &after[..tag_end]);
        match rest[start..].find(&close) {
            Some(e) => rest = &rest[start + e + close.len()..],
            None => {
                // Unclosed tag: drop to the end of the line.
                match rest[start..].find('\n') {
                    Some(e) => rest = &rest[start + e..],
                    None => break,
                }
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The slash command's name in a command note (`<command-name>/review</command-name>` or a
/// leading `/review`).
fn command_name(text: &str) -> Option<&str> {
    if let Some(i) = text.find("<command-name>") {
        let rest = &text[i + "<command-name>".len()..];
        return rest.find("</command-name>").map(|e| &rest[..e]);
    }
    let t = text.trim_start();
    t.starts_with('/')
        .then(|| t.split_whitespace().next().unwrap_or(""))
}

fn looks_pasted(raw: &str) -> bool {
    let h = text::head(raw, text::SCAN_CAP);
    h.contains("Traceback (most recent")
        || h.contains("--- FAIL")
        || h.contains("Error:")
        || h.contains("error:")
        || h.contains("|DEBU|")
        || h.contains("|INFO|")
        || h.contains("fatal:")
        || h.contains("panic:")
        || h.contains("    at ")
        || h.contains("```")
        || h.lines().count() > 12
}

/// Edit weight of one edit: one for the act, plus a little for its size.
fn edit_weight(lines: u64) -> f64 {
    1.0 + (lines as f64 / 25.0).min(4.0)
}

/// Gather features in one pass over the events.
pub fn extract(s: &Session) -> Features {
    let mut f = Features {
        project: s.project.clone(),
        ..Default::default()
    };
    if let Some(p) = &s.project {
        f.side_paths.push(p.to_ascii_lowercase());
    }
    f.pr_links = s.pr_links.len() as u32;
    let mut last_agent_text: Option<&str> = None;
    // The agent's last text in the current turn (reset at each prompt).
    let mut turn_text: Option<&str> = None;
    let mut awaiting_first_reply = false;
    let mut pending_err: Option<usize> = None;
    let mut failing_cmds: HashMap<String, u32> = HashMap::new();
    let mut todo_in_segment = false;
    let mut last_prompt_pos: Option<usize> = None;
    let mut tests_since_edit: Vec<bool> = Vec::new();
    let mut checks_since_edit: (u32, bool) = (0, false);
    let mut last_event_kind = 0u8; // 1 prompt, 2 text, 3 action, 4 interrupt
    for (pos, ev) in s.events.iter().enumerate() {
        match ev {
            Event::Human(h) => {
                if is_injected(&h.text) {
                    continue;
                }
                // The agent's last words before this prompt: did it propose an approach?
                // (Checked once per turn, not on every message, to stay cheap.)
                if let Some(t) = turn_text.take() {
                    if Norm::new(tail(t, 1500)).any(text::AGENT_PROPOSES).is_some() {
                        f.agent_proposals += 1;
                    }
                }
                let own = strip_ide_context(&h.text);
                let h_text: &str = &own;
                let norm = Norm::new(h_text);
                let n = f.prompts.len();
                let tech = text::tech_tokens(h_text);
                let accept = norm.words <= 6
                    && (text::ACCEPT.iter().any(|a| norm.padded.trim() == *a)
                        || norm.starts(&[
                            "yes",
                            "yep",
                            "yeah",
                            "ok",
                            "okay",
                            "sure",
                            "go ahead",
                            "do it",
                            "let's do it",
                            "lets do it",
                            "sounds good",
                            "proceed",
                            "continue",
                            "do both",
                            "please do",
                            "y",
                            "ship it",
                            "yes please",
                        ]))
                    && tech.named() == 0;
                let pasted = looks_pasted(h_text);
                let plan_title = text::plan_title(h_text).map(Norm::new);
                // A pasted plan reports something broken only if its title does.
                let cue_text = plan_title.as_ref().unwrap_or(&norm);
                let broken = 3
                    * (cue_text.count(text::BROKEN_STRONG) + cue_text.count(text::BROKEN_MORE))
                        as u32
                    + cue_text.count(text::BROKEN_WEAK) as u32
                    + if plan_title.is_none()
                        && pasted
                        && (h_text.contains("rror")
                            || h_text.contains("FAIL")
                            || h_text.contains("fatal"))
                    {
                        3
                    } else {
                        0
                    };
                let opening = Norm::new(text::head(h_text.trim_start(), text::FORWARD_ASK_HEAD));
                let question =
                    h_text.trim_end().ends_with('?') || h_text.trim_start().starts_with("/ask");
                let forward_ask = opening.any(text::FORWARD_ASK).is_some()
                    && (question || !text::is_change_request(&norm));
                let change_request = !forward_ask && text::is_change_request(&norm);
                let after_q = last_agent_text.is_some_and(|t| {
                    let tail = tail(t, 400);
                    tail.trim_end().ends_with('?')
                        || tail.contains("Would you like")
                        || tail.contains("Should I")
                        || tail.contains("Shall I")
                        || tail.contains("Want me to")
                        || tail.contains("Option")
                        || tail.contains("Which ")
                });
                // A sad face, not a shell prompt such as `git:(main)`.
                let raw_low_has_sad =
                    sad_face(h_text) || h_text.contains("😞") || h_text.contains("🤦");
                let p = Prompt {
                    n,
                    tech,
                    chars: h_text.len(),
                    accept,
                    broken,
                    affirm: norm.any(text::AFFIRM).is_some(),
                    affirm_weak: norm.any(text::AFFIRM_WEAK).is_some(),
                    complaint: if n > 0 {
                        norm.any(text::COMPLAIN)
                    } else {
                        None
                    },
                    frustration: norm.any(text::FRUSTRATION).or(if n > 0 && raw_low_has_sad {
                        Some(":(")
                    } else {
                        None
                    }),
                    pushback: n > 0
                        && (norm.starts(text::PUSHBACK_START)
                            || norm.any(text::PUSHBACK_ANY).is_some()),
                    after_agent_question: after_q,
                    pasted_output: pasted,
                    plan_mode: h.permission_mode.as_deref() == Some("plan"),
                    greeting: text::is_greeting(h_text, &norm),
                    change_request,
                    forward_ask,
                    plan_title,
                    norm,
                };
                f.prompts.push(p);
                if f.seg_edits.len() < f.prompts.len() {
                    f.seg_edits.push([0.0; 8]);
                }
                last_prompt_pos = Some(pos);
                f.errors_after_last_prompt = 0;
                awaiting_first_reply = true;
                todo_in_segment = false;
                last_event_kind = 1;
            }
            Event::AssistantText(a) => {
                if a.subagent.is_some() {
                    continue;
                }
                if awaiting_first_reply && !f.prompts.is_empty() {
                    let head = Norm::new(text::head(&a.text, 240));
                    if head.any(text::AGENT_CONCEDES).is_some() {
                        f.agent_concedes += 1;
                    } else if head.starts(&["actually", "not quite", "unfortunately"])
                        || head.any(&text::AGENT_CORRECTS[1..]).is_some()
                    {
                        f.agent_corrects += 1;
                    }
                    awaiting_first_reply = false;
                }
                if !a.text.trim().is_empty() {
                    last_agent_text = Some(&a.text);
                    turn_text = Some(&a.text);
                    f.assistant_texts += 1;
                    last_event_kind = 2;
                }
            }
            Event::Action(a) => {
                last_event_kind = 3;
                action(
                    &mut f,
                    a,
                    pos,
                    &mut pending_err,
                    &mut failing_cmds,
                    &mut todo_in_segment,
                    &mut tests_since_edit,
                    &mut checks_since_edit,
                );
            }
            Event::Interrupt { subagent, .. } => {
                if subagent.is_none() {
                    f.interrupts += 1;
                    last_event_kind = 4;
                }
            }
            Event::System(n) => {
                if n.text.contains("CLAUDE.md") || n.kind == "memory" {
                    f.system_claude_md = true;
                }
                if n.kind == "command" && f.commands.len() < 50 {
                    if let Some(name) = command_name(&n.text) {
                        f.commands
                            .push(Norm::new(&name.replace([':', '-', '_', '/'], " ")));
                    }
                }
            }
            Event::Compaction { .. } => {}
        }
    }
    let _ = last_prompt_pos;
    if let Some(p) = pending_err {
        f.unrecovered_final_error = last_prompt_pos.is_none_or(|lp| p > lp);
    }
    f.tests_after_last_edit_passed = tests_since_edit.iter().filter(|x| **x).count() as u32;
    f.tests_after_last_edit_failed = tests_since_edit.iter().filter(|x| !**x).count() as u32;
    if let Some(&last) = tests_since_edit.last() {
        f.last_test = Some((last, true));
    }
    f.checks_ok_after_last_edit = checks_since_edit.0;
    f.checks_failed_last = checks_since_edit.1;
    f.loop_max = failing_cmds.values().copied().max().unwrap_or(0);
    f.side_words = Norm::new(&f.side_paths.join(" "));
    f.interrupt_at_end = last_event_kind == 4;
    f.ends_on_prompt = last_event_kind == 1;
    if let Some(t) = last_agent_text {
        let tl = tail(t, 600);
        f.final_text = Some(Norm::new(tl));
        f.final_text_len = t.len();
        let trimmed = t.trim_end();
        f.final_is_question = trimmed.ends_with('?');
        let last_line = trimmed.rsplit('\n').next().unwrap_or("");
        // Some agents (Aider) apply the edits of a finished reply and say nothing after them:
        // ending on those actions is their normal end, not work cut off.
        let ends_on_applied_reply = last_event_kind == 3 && s.agent.edits_applied_after_reply;
        f.final_text_midwork = (last_event_kind != 2 && !ends_on_applied_reply)
            || (trimmed.len() < 400
                && (last_line.starts_with("Let me")
                    || last_line.starts_with("Now let me")
                    || last_line.starts_with("I'll "))
                && last_line.ends_with([':', '.'])
                && !last_line.contains("know"));
    }
    f
}

fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Lines an edit changed when the agent recorded no patch: counted from the tool input
/// (new text as added, old text as removed). An upper bound, linear in the input: telemetry
/// computes the exact diff; here only the size matters.
fn approx_lines(a: &Action) -> agentstat_session::LineDelta {
    use agentstat_telemetry::lines::count_lines;
    let input = a.input.value();
    let s = |k: &str| input.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let mut d = agentstat_session::LineDelta {
        added: count_lines(s("content"))
            + count_lines(s("new_string"))
            + count_lines(s("new_source")),
        removed: count_lines(s("old_string")),
    };
    if let Some(edits) = input.get("edits").and_then(|e| e.as_array()) {
        for e in edits {
            let g = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("");
            d.added += count_lines(g("new_string"));
            d.removed += count_lines(g("old_string"));
        }
    }
    d
}

#[allow(clippy::too_many_arguments)]
fn action(
    f: &mut Features,
    a: &Action,
    pos: usize,
    pending_err: &mut Option<usize>,
    failing_cmds: &mut HashMap<String, u32>,
    todo_in_segment: &mut bool,
    tests_since_edit: &mut Vec<bool>,
    checks_since_edit: &mut (u32, bool),
) {
    let ok = a.result.status == ResultStatus::Ok;
    let seg = f.prompts.len().saturating_sub(1);
    match a.result.status {
        ResultStatus::Error => f.errors += 1,
        ResultStatus::Rejected if a.tool == "ExitPlanMode" => f.plan_rejections += 1,
        ResultStatus::Rejected => f.rejections += 1,
        _ => {}
    }
    if a.result.status == ResultStatus::Error {
        f.errors_after_last_prompt += 1;
    }
    let tool = a.tool.as_str();
    match a.kind {
        ActionKind::Edit | ActionKind::Write => {
            f.edit_actions += 1;
            let path = a.file_path().unwrap_or_default().into_owned();
            if !ok {
                // A failed edit ("string not found") is a tool hiccup the agent retries; only
                // commands that fail count as an unrecovered final error.
                return;
            }
            f.edit_ok += 1;
            let cat = file_cat(&path);
            let delta = a.result.lines.unwrap_or_else(|| approx_lines(a));
            let lines = delta.added + delta.removed;
            let added = delta.added;
            let w = edit_weight(lines);
            f.lines_changed += lines;
            f.cat_weight[cat.idx()] += w;
            if f.seg_edits.is_empty() {
                f.seg_edits.push([0.0; 8]);
            }
            f.seg_edits[seg][cat.idx()] += w;
            let created = a.kind == ActionKind::Write
                && (a.result.output.contains("created successfully")
                    || (!f.files_read.contains(&path)
                        && !f.files_edited.contains(&path)
                        && !a.result.output.contains("updated")));
            if created || f.files_created.contains(&path) {
                f.files_created.insert(path.clone());
                f.new_file_lines += added;
            } else {
                f.existing_file_lines += added;
            }
            if f.files_edited.insert(path.clone()) {
                f.cat_files[cat.idx()] += 1;
                if f.side_paths.len() < 64 {
                    f.side_paths.push(path.to_ascii_lowercase());
                }
            }
            f.last_edit_pos = Some(pos);
            f.commit_after_last_edit = false;
            f.successful_cmds_after_last_edit = 0;
            tests_since_edit.clear();
            *checks_since_edit = (0, false);
        }
        ActionKind::Read => {
            f.reads += 1;
            if let Some(p) = a.file_path() {
                if f.files_read.insert(p.to_string())
                    && matches!(file_cat(&p), FileCat::Code | FileCat::Test)
                {
                    f.code_files_read += 1;
                }
            }
        }
        ActionKind::Search => f.searches += 1,
        ActionKind::Web => f.web += 1,
        ActionKind::Subagent => f.subagent_calls += 1,
        ActionKind::Plan => {
            if tool == "ExitPlanMode" {
                f.exit_plan += 1;
                if ok {
                    f.exit_plan_approved += 1;
                }
            } else if (tool == "TodoWrite" || tool == "TaskCreate") && !*todo_in_segment {
                f.todo_plans += 1;
                *todo_in_segment = true;
            }
        }
        ActionKind::Shell => {
            f.shell += 1;
            let cmd = a.command().unwrap_or_default();
            let cmd: &str = &cmd;
            let cat = cmd_cat(cmd);
            *f.cmd_counts.entry(cmd_key(cat)).or_insert(0) += 1;
            let fam: String = cmd
                .split_whitespace()
                .filter(|w| !w.contains('='))
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            if f.shell_families.len() < 200 {
                f.shell_families.insert(fam);
            }
            let err = a.result.status == ResultStatus::Error;
            match cat {
                CmdCat::Test => tests_since_edit.push(ok),
                CmdCat::Check => {
                    if ok {
                        checks_since_edit.0 += 1;
                        checks_since_edit.1 = false;
                    } else if err {
                        checks_since_edit.1 = true;
                    }
                }
                // An automatic commit (Aider's, after every applied edit) restates the edit.
                CmdCat::Commit
                    if ok
                        && a.tool != agentstat_session::AUTO_COMMIT_TOOL
                        && !a.result.output.contains("nothing to commit") =>
                {
                    f.commits_ok += 1;
                    f.commit_after_last_edit = true;
                }
                CmdCat::Push if ok => f.pushes_ok += 1,
                CmdCat::PrCreate if ok => f.prs_created += 1,
                _ => {}
            }
            if err {
                f.shell_errors += 1;
                let key = text::head(cmd, 200).to_string();
                let c = failing_cmds.entry(key).or_insert(0);
                *c += 1;
                // Routine non-zero exits (grep with no match, probing for files) are not failures.
                if !matches!(cat, CmdCat::Inspect | CmdCat::GitRead) {
                    *pending_err = Some(pos);
                }
            } else if ok {
                if !matches!(cat, CmdCat::Inspect) {
                    *pending_err = None;
                }
                f.successful_cmds_after_last_edit += 1;
            }
        }
        ActionKind::Other => {
            if tool == "AskUserQuestion" {
                f.ask_user += 1;
            } else if ok && (tool.contains("create_pull_request") || tool.contains("create_pr")) {
                f.prs_created += 1;
            }
        }
    }
}

/// Version of the habit definitions below; part of the facet cache key. Bump on any change.
pub const HABITS_VERSION: &str = "habits-2";

/// Explicit acceptance wording: counted in any prompt, a long pasted spec included (logs do
/// not say "acceptance criteria").
pub const ACCEPTANCE_EXPLICIT: &[&str] = &[
    "acceptance test",
    "acceptance tests",
    "acceptance criteria",
    "acceptance criterion",
    "success criteria",
    "success criterion",
    "definition of done",
    "done when",
];

/// A prompt that says how success will be checked: a test to pass, an expected output, an
/// explicit criterion. Phrases, not single words: "test" alone is a request, not a criterion.
/// Counted only in the user's own prompts (test logs say "expected output" too).
pub const ACCEPTANCE: &[&str] = &[
    "make the test pass",
    "make the tests pass",
    "make tests pass",
    "make sure the test passes",
    "make sure the tests pass",
    "make sure tests pass",
    "make sure all tests pass",
    "until the test passes",
    "until the tests pass",
    "until tests pass",
    "so that the test passes",
    "so that the tests pass",
    "should pass",
    "must pass",
    "needs to pass",
    "need to pass",
    "has to pass",
    "have to pass",
    "acceptance test",
    "acceptance tests",
    "acceptance criteria",
    "acceptance criterion",
    "success criteria",
    "success criterion",
    "definition of done",
    "done when",
    "it's done when",
    "expected output",
    "expected result",
    "expected behavior",
    "expected behaviour",
    "should return",
    "should output",
    "should print",
    "should produce",
    "should equal",
    "should be equal to",
    "failing test",
    "write a failing test",
];

/// A request to review or explain the agent's own changes (counted only after it changed files).
pub const REVIEW: &[&str] = &[
    "review the changes",
    "review your changes",
    "review the change",
    "review your change",
    "review the code you",
    "review your code",
    "review your work",
    "review what you",
    "review the diff",
    "self review",
    "explain what you changed",
    "explain the changes",
    "explain your changes",
    "explain the change",
    "explain what you did",
    "walk me through",
    "what did you change",
    "what have you changed",
    "what exactly did you change",
    "show me the diff",
    "show me the changes",
    "show the diff",
    "summarize the changes",
    "summarise the changes",
    "summarize what you changed",
    "summarise what you changed",
    "look over your",
];

/// The user's habits in one session (`agentstat_facets::Habits`; definitions in
/// `docs/FACETS_SCHEMA.md`). Deterministic; reads only the user's prompts, the permission mode
/// and where edits fell, never the agent's text. `t` tells whether any permission mode was
/// recorded: without one the plan-mode share is unknown (`None`), not zero.
pub fn habits(s: &Session, t: &agentstat_facets::Telemetry) -> agentstat_facets::Habits {
    habits_of(&extract(s), t)
}

/// [`habits`] from already extracted features (one pass shared with the classifier).
pub fn habits_of(f: &Features, t: &agentstat_facets::Telemetry) -> agentstat_facets::Habits {
    // Pasted logs say "expected output" and "should return" too: only the user's own prompts.
    let own = || f.substantive_prompts().filter(|p| !p.pasted_output);
    // Phrases none of the substantive prompts has are left out of every list at once.
    let subst = text::Texts::new(f.substantive_prompts().map(|p| &p.norm));
    let named_acceptance_test = subst
        .candidates(ACCEPTANCE_EXPLICIT)
        .iter()
        .any(|c| subst.any_has(c))
        || {
            let acceptance = subst.candidates(ACCEPTANCE);
            own().any(|p| p.norm.any(&acceptance).is_some())
        };
    // The same count as the expertise rule's "verification: N targeted" (`explain` shows it).
    let verify = subst.candidates(text::VERIFY_TARGETED);
    let targeted_verification = f
        .substantive_prompts()
        .filter(|p| p.norm.any(&verify).is_some())
        .count() as u32;
    let plan_mode_share = (t.permission_mode.is_some() && !f.prompts.is_empty())
        .then(|| f.prompts.iter().filter(|p| p.plan_mode).count() as f64 / f.prompts.len() as f64);
    // The setup is the first substantive prompt; a pasted snippet counts at most two names,
    // as in the expertise rule.
    let specific_setup = f.substantive_prompts().next().is_some_and(|p| {
        p.tech
            .named()
            .min(if p.pasted_output { 2 } else { usize::MAX })
            >= 2
    });
    // Edits before prompt n are those of segments 0..n (work before a prompt belongs to the
    // segment of the prompt it followed).
    let edited_before = |n: usize| {
        f.seg_edits
            .iter()
            .take(n)
            .any(|seg| seg.iter().any(|w| *w > 0.0))
    };
    let review = subst.candidates(REVIEW);
    let asked_for_review = own().any(|p| edited_before(p.n) && p.norm.any(&review).is_some());
    agentstat_facets::Habits {
        named_acceptance_test,
        targeted_verification,
        plan_mode_share,
        specific_setup,
        asked_for_review,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn file_categories() {
        assert_eq!(file_cat("/r/src/main.rs"), FileCat::Code);
        assert_eq!(file_cat("/r/tests/test_cache.py"), FileCat::Test);
        assert_eq!(file_cat("/r/cmd/setup_test.go"), FileCat::Test);
        assert_eq!(file_cat("/r/README.md"), FileCat::Docs);
        assert_eq!(file_cat("/r/CLAUDE.md"), FileCat::Agent);
        assert_eq!(file_cat("/r/.github/workflows/ci.yml"), FileCat::Ops);
        assert_eq!(file_cat("/r/Dockerfile"), FileCat::Ops);
        assert_eq!(file_cat("/r/data/sales.csv"), FileCat::Data);
        assert_eq!(file_cat("/h/.claude/plans/foo.md"), FileCat::PlanDoc);
        assert_eq!(file_cat("/r/docs/plans/2026-02-06-x.md"), FileCat::PlanDoc);
        assert_eq!(file_cat("/r/pyproject.toml"), FileCat::Config);
    }

    /// The pattern-by-pattern `cmd_cat` the automaton replaced (a substring search per pattern,
    /// kinds tried in order, `act` after the checks): the reference it must agree with. It reads
    /// the same pattern lists, so what it checks is the automaton's matching, not the lists.
    fn cmd_cat_reference(cmd: &str) -> CmdCat {
        let c = text::head(cmd, 300).to_ascii_lowercase();
        for (cat, pats) in CMD_PATTERNS {
            if pats.iter().any(|t| c.contains(t)) {
                return cat;
            }
            if cat == CmdCat::Check && (c.trim_start().starts_with("act ") || c.contains("&& act "))
            {
                return CmdCat::Check;
            }
        }
        let lead = c.trim_start();
        if INSPECT
            .iter()
            .any(|t| lead.starts_with(t) || c.split("&& ").skip(1).any(|part| part.starts_with(t)))
        {
            return CmdCat::Inspect;
        }
        CmdCat::Other
    }

    #[test]
    fn command_automaton_agrees_with_the_pattern_by_pattern_reference() {
        let mut cases: Vec<String> = Vec::new();
        let all: Vec<&str> = CMD_PATTERNS
            .iter()
            .flat_map(|(_, ps)| ps.iter().copied())
            .chain(INSPECT.iter().copied())
            .chain(["act ", "&& act ", "cd /x && ", "Git Commit", "ls"])
            .collect();
        for a in &all {
            cases.push(a.to_string());
            cases.push(format!("  {a} --flag"));
            for b in &all {
                cases.push(format!("{a}{b}"));
                cases.push(format!("{b} && {a}"));
            }
        }
        cases.push("x".repeat(400) + "git push");
        cases.push(String::new());
        for c in &cases {
            assert_eq!(cmd_cat(c), cmd_cat_reference(c), "{c:?}");
        }
    }

    fn command_piece() -> impl Strategy<Value = String> {
        let pats: Vec<&'static str> = CMD_PATTERNS
            .iter()
            .flat_map(|(_, ps)| ps.iter().copied())
            .collect();
        prop_oneof![
            proptest::sample::select(pats).prop_map(str::to_string),
            "[ a-zA-Z&./-]{0,12}",
        ]
    }

    proptest! {
        #[test]
        fn command_automaton_agrees_on_any_text(
            words in proptest::collection::vec(command_piece(), 0..6)
        ) {
            let c = words.concat();
            prop_assert_eq!(cmd_cat(&c), cmd_cat_reference(&c));
        }
    }

    #[test]
    fn command_categories() {
        assert_eq!(cmd_cat("cd /x && cargo test -p foo"), CmdCat::Test);
        assert_eq!(cmd_cat("uv run pytest -q"), CmdCat::Test);
        assert_eq!(cmd_cat("git add -A && git commit -m 'x'"), CmdCat::Commit);
        assert_eq!(cmd_cat("gh pr create --title x"), CmdCat::PrCreate);
        assert_eq!(cmd_cat("git push origin main"), CmdCat::Push);
        assert_eq!(cmd_cat("git status"), CmdCat::GitRead);
        assert_eq!(cmd_cat("docker compose up -d"), CmdCat::Ops);
        assert_eq!(cmd_cat("ls -la"), CmdCat::Inspect);
        assert_eq!(cmd_cat("ruff check ."), CmdCat::Check);
    }
}
