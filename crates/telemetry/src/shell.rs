//! Shell command analysis: split a command line into simple commands, and recognise git
//! commits / pushes, pull-request creation and test runners, with their outcomes.
//!
//! We tokenise like a POSIX shell would for the cases agents actually write (quotes, `&&`,
//! `||`, `;`, `|`, newlines, `$(…)` left inside words), so that `echo "git commit"` is an echo,
//! not a commit.

/// One simple command: its words, with leading `VAR=value` assignments and wrappers
/// (`sudo`, `env`, `timeout 60`, `time`, `nice`, `uv run`, `poetry run`, `bundle exec`, `npx`, …)
/// removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    pub words: Vec<String>,
}

/// Split a shell command line into simple commands (separators outside quotes: `&&`, `||`,
/// `;`, `|`, `&`, newline). Heredoc bodies are skipped so their text is not read as commands.
pub fn split_commands(line: &str) -> Vec<SimpleCommand> {
    split_nested(line, 0)
}

/// `sh -c 'script'`, `bash -lc "…"` and `eval "…"` run their argument as commands: split it too.
fn split_nested(line: &str, depth: u32) -> Vec<SimpleCommand> {
    let mut out = Vec::new();
    for cmd in split_flat(line) {
        let w = &cmd.words;
        let b = basename(&w[0]);
        let script = if depth < 4 && matches!(b, "sh" | "bash" | "zsh" | "dash" | "ksh") {
            w.iter()
                .position(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('c'))
                .and_then(|p| w.get(p + 1))
        } else if depth < 4 && b == "eval" && w.len() == 2 {
            w.get(1)
        } else {
            None
        };
        match script {
            Some(script) => out.extend(split_nested(script, depth + 1)),
            None => out.push(cmd),
        }
    }
    out
}

fn split_flat(line: &str) -> Vec<SimpleCommand> {
    // Walks the bytes: every separator and quote is ASCII, so runs of ordinary text are copied
    // as slices and only non-ASCII characters are decoded (for Unicode whitespace).
    let b = line.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut heredoc_ends: Vec<String> = Vec::new();
    let mut i = 0;
    let flush_word = |cur: &mut String, words: &mut Vec<String>, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(cur));
            *in_word = false;
        }
    };
    let flush_cmd = |words: &mut Vec<String>, out: &mut Vec<SimpleCommand>| {
        if !words.is_empty() {
            let w = strip_wrappers(std::mem::take(words));
            if !w.is_empty() {
                out.push(SimpleCommand { words: w });
            }
        }
    };
    while i < n {
        let c = b[i];
        if c >= 0x80 {
            let w = char_len(line, i);
            if line[i..i + w].chars().all(char::is_whitespace) {
                flush_word(&mut cur, &mut words, &mut in_word);
            } else {
                in_word = true;
                cur.push_str(&line[i..i + w]);
            }
            i += w;
            continue;
        }
        match c {
            b'\'' => {
                in_word = true;
                i += 1;
                let end = line[i..].find('\'').map_or(n, |k| i + k);
                cur.push_str(&line[i..end]);
                i = end + 1;
            }
            b'"' => {
                in_word = true;
                i += 1;
                loop {
                    let Some(k) = line[i..].find(['"', '\\']) else {
                        cur.push_str(&line[i..]);
                        i = n;
                        break;
                    };
                    cur.push_str(&line[i..i + k]);
                    i += k;
                    if b[i] == b'"' {
                        break;
                    }
                    // A backslash: the next character is taken as is (a last backslash stays).
                    if i + 1 < n {
                        i += 1;
                    }
                    let w = char_len(line, i);
                    cur.push_str(&line[i..i + w]);
                    i += w;
                }
                i += 1;
            }
            b'\\' => {
                in_word = true;
                let w = if i + 1 < n { char_len(line, i + 1) } else { 1 };
                if i + 1 < n && b[i + 1] != b'\n' {
                    cur.push_str(&line[i + 1..i + 1 + w]);
                }
                i += 1 + w;
            }
            b'$' if i + 1 < n && b[i + 1] == b'(' => {
                // Keep `$(…)` inside the current word, balanced, without splitting on it.
                in_word = true;
                let mut depth = 0usize;
                let mut closed = None;
                for (k, &ch) in b[i..].iter().enumerate() {
                    if ch == b'(' {
                        depth += 1;
                    } else if ch == b')' {
                        depth -= 1;
                        if depth == 0 {
                            closed = Some(i + k + 1);
                            break;
                        }
                    }
                }
                let end = closed.unwrap_or(n);
                cur.push_str(&line[i..end]);
                i = end;
            }
            b'#' if !in_word => {
                // Comment to end of line.
                i = line[i..].find('\n').map_or(n, |k| i + k);
            }
            b'\n' => {
                flush_word(&mut cur, &mut words, &mut in_word);
                flush_cmd(&mut words, &mut out);
                i += 1;
                // Skip heredoc bodies started on the line just ended (until the input ends).
                for end in std::mem::take(&mut heredoc_ends) {
                    while i < n {
                        let start = i;
                        i = line[i..].find('\n').map_or(n, |k| i + k);
                        let l = &line[start..i];
                        i += 1;
                        if l.trim() == end || i >= n {
                            break;
                        }
                    }
                }
            }
            b';' | b'&' | b'|' | b'(' | b')' => {
                flush_word(&mut cur, &mut words, &mut in_word);
                // `2>&1`, `&>`: a redirection, not a separator.
                if c == b'&' && (cur_is_redirect(&words) || b.get(i + 1) == Some(&b'>')) {
                    i += 1;
                    continue;
                }
                flush_cmd(&mut words, &mut out);
                i += 1;
            }
            b'<' if i + 1 < n && b[i + 1] == b'<' => {
                flush_word(&mut cur, &mut words, &mut in_word);
                i += 2;
                if i < n && b[i] == b'-' {
                    i += 1;
                }
                while i < n && b[i] == b' ' {
                    i += 1;
                }
                let mut tag = String::new();
                while i < n {
                    let w = char_len(line, i);
                    let ch = &line[i..i + w];
                    if ch.chars().all(char::is_whitespace) || matches!(b[i], b';' | b'&' | b'|') {
                        break;
                    }
                    if b[i] != b'\'' && b[i] != b'"' {
                        tag.push_str(ch);
                    }
                    i += w;
                }
                if !tag.is_empty() && !tag.starts_with('<') {
                    heredoc_ends.push(tag);
                }
            }
            c if c.is_ascii_whitespace() || c == 0x0b => {
                flush_word(&mut cur, &mut words, &mut in_word);
                i += 1;
            }
            _ => {
                // A run of ordinary ASCII text.
                in_word = true;
                let start = i;
                i += 1;
                while i < n && is_plain(b[i]) {
                    i += 1;
                }
                cur.push_str(&line[start..i]);
            }
        }
    }
    flush_word(&mut cur, &mut words, &mut in_word);
    flush_cmd(&mut words, &mut out);
    out
}

/// Bytes of the character starting at `i` (1 past the end).
fn char_len(line: &str, i: usize) -> usize {
    line[i..].chars().next().map_or(1, char::len_utf8)
}

/// An ASCII byte that never starts a token of its own inside a word (`#` does only between
/// words; `$` and `<` only before `(` and `<`, which are not plain).
fn is_plain(c: u8) -> bool {
    c < 0x80
        && !c.is_ascii_whitespace()
        && c != 0x0b
        && !matches!(
            c,
            b'\'' | b'"' | b'\\' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'$' | b'<'
        )
}

#[cfg(test)]
fn next_is(chars: &[char], i: usize, c: char) -> bool {
    chars.get(i + 1) == Some(&c)
}

/// The previous word ends in `>` (as in `2>&1`): the `&` belongs to a redirection.
fn cur_is_redirect(words: &[String]) -> bool {
    words.last().is_some_and(|w| w.ends_with('>'))
}

fn strip_wrappers(mut w: Vec<String>) -> Vec<String> {
    loop {
        let Some(first) = w.first() else { return w };
        let base = basename(first);
        let drop = if is_assignment(first) {
            1
        } else {
            match base {
                "sudo" | "time" | "nice" | "nohup" | "command" | "exec" | "stdbuf" | "xvfb-run" => {
                    1 + w[1..].iter().take_while(|a| a.starts_with('-')).count()
                }
                "env" => {
                    1 + w[1..]
                        .iter()
                        .take_while(|a| a.starts_with('-') || is_assignment(a))
                        .count()
                }
                "timeout" | "gtimeout" => {
                    // timeout [flags] DURATION command…
                    let flags = w[1..].iter().take_while(|a| a.starts_with('-')).count();
                    (2 + flags).min(w.len())
                }
                "npx" | "bunx" | "pnpx" => {
                    1 + w[1..].iter().take_while(|a| a.starts_with('-')).count()
                }
                "uv" | "poetry" | "pipenv" | "pdm" | "hatch" | "rye"
                    if w.get(1).map(String::as_str) == Some("run") =>
                {
                    2 + w[2..].iter().take_while(|a| a.starts_with('-')).count()
                }
                "bundle" if w.get(1).map(String::as_str) == Some("exec") => 2,
                "pnpm" | "yarn" if w.get(1).map(String::as_str) == Some("exec") => 2,
                "pnpm" | "yarn" | "npm" if w.get(1).map(String::as_str) == Some("dlx") => 2,
                _ => 0,
            }
        };
        if drop == 0 {
            return w;
        }
        w.drain(..drop.min(w.len()));
    }
}

fn is_assignment(w: &str) -> bool {
    match w.find('=') {
        Some(p) if p > 0 => {
            w[..p]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !w.starts_with(|c: char| c.is_ascii_digit())
        }
        _ => false,
    }
}

fn basename(w: &str) -> &str {
    w.rsplit('/').next().unwrap_or(w)
}

/// A git subcommand invocation: `git [-C dir] [-c k=v] … SUB args`.
fn git_sub(cmd: &SimpleCommand) -> Option<(&str, &[String])> {
    let w = &cmd.words;
    if basename(w.first()?) != "git" {
        return None;
    }
    let mut i = 1;
    while i < w.len() && w[i].starts_with('-') {
        // Options taking a separate value.
        if matches!(
            w[i].as_str(),
            "-C" | "-c" | "--git-dir" | "--work-tree" | "--namespace"
        ) {
            i += 1;
        }
        i += 1;
    }
    let sub = w.get(i)?;
    Some((sub.as_str(), &w[i + 1..]))
}

/// Number of `git commit` invocations that create a new commit (not `--amend`, not
/// `--dry-run`).
pub fn git_commit_invocations(cmds: &[SimpleCommand]) -> u32 {
    cmds.iter()
        .filter(|c| {
            matches!(git_sub(c), Some(("commit", args))
                if !args.iter().any(|a| a == "--amend" || a == "--dry-run"))
        })
        .count() as u32
}

/// Number of `git push` invocations (not `--dry-run` / `-n`).
pub fn git_push_invocations(cmds: &[SimpleCommand]) -> u32 {
    cmds.iter()
        .filter(|c| {
            matches!(git_sub(c), Some(("push", args))
                if !args.iter().any(|a| a == "--dry-run" || a == "-n"))
        })
        .count() as u32
}

/// Whether a command line runs `gh pr create`.
pub fn is_gh_pr_create(cmds: &[SimpleCommand]) -> bool {
    cmds.iter().any(|c| {
        let w = &c.words;
        w.first().is_some_and(|f| basename(f) == "gh")
            && w.iter()
                .skip(1)
                .filter(|a| !a.starts_with('-'))
                .take(2)
                .eq(["pr", "create"].iter())
    })
}

/// Commit summary lines as git prints them after a successful commit:
/// `[main 1a2b3c4] message` or `[main (root-commit) 1a2b3c4] message`.
pub fn count_commit_lines(output: &str) -> u32 {
    output
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            let Some(rest) = l.strip_prefix('[') else {
                return false;
            };
            let Some(end) = rest.find(']') else {
                return false;
            };
            let inside = &rest[..end];
            let mut parts: Vec<&str> = inside.split_whitespace().collect();
            if parts.len() < 2 || parts.len() > 4 {
                return false;
            }
            let hash = parts.pop().unwrap_or("");
            (7..=40).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .count() as u32
}

/// The programs (basenames) [`is_test_command`] knows besides `python…`: a command whose
/// program is none of these is not a test run. Every arm of its `match` is here.
const TEST_RUNNERS: &[&str] = &[
    "cargo",
    "pytest",
    "py.test",
    "tox",
    "nox",
    "nose2",
    "go",
    "jest",
    "vitest",
    "mocha",
    "ava",
    "jasmine",
    "karma",
    "playwright",
    "cypress",
    "npm",
    "yarn",
    "pnpm",
    "bun",
    "deno",
    "mix",
    "dotnet",
    "swift",
    "flutter",
    "dart",
    "lein",
    "stack",
    "cabal",
    "sbt",
    "zig",
    "mvn",
    "mvnw",
    "gradle",
    "gradlew",
    "mise",
    "make",
    "gmake",
    "just",
    "task",
    "rspec",
    "phpunit",
    "pest",
    "ctest",
    "busted",
    "prove",
    "bats",
    "rake",
    "rails",
];

/// Bit `c - b'a'` of entry `n`: some program [`may_count`] looks for (`git`, `gh`,
/// [`TEST_RUNNERS`]) has `n` bytes and starts with `c` (all start with a lowercase letter).
const COUNTED_BY_LEN: [u32; WORD_HEAD] = {
    let mut t = [0u32; WORD_HEAD];
    let mut i = 0;
    while i < TEST_RUNNERS.len() + 2 {
        let name = match i {
            0 => "git",
            1 => "gh",
            _ => TEST_RUNNERS[i - 2],
        }
        .as_bytes();
        t[name.len()] |= 1 << (name[0] - b'a');
        i += 1;
    }
    t
};

/// Whether `line` may run a command that [`git_commit_invocations`], [`git_push_invocations`],
/// [`is_gh_pr_create`] or [`is_test_command`] count: `false` only when no word of it can be
/// `git`, `gh`, one of [`TEST_RUNNERS`] or start with `python`, so a caller that asks only these
/// questions can skip [`split_commands`].
///
/// Programs are looked for as the tokenizer makes words: in the text without its quote and
/// backslash bytes (what quoting and escapes leave out, also in `sh -c` scripts split again),
/// as a whole [`word_runs`] run (a program's basename is one). A backslash before a newline (a
/// continued line, or a newline kept inside double quotes) answers `true`: the two readings
/// differ.
pub fn may_count(line: &str) -> bool {
    let b = line.as_bytes();
    if memchr::memchr_iter(b'\\', b).any(|i| b.get(i + 1) == Some(&b'\n')) {
        return true;
    }
    word_runs(
        b,
        |c| matches!(c, b'\'' | b'"' | b'\\'),
        false,
        |run, whole| {
            run.starts_with(b"python")
                || whole
                    && COUNTED_BY_LEN.get(run.len()).is_some_and(|m| {
                        run[0].is_ascii_lowercase() && m & (1 << (run[0] - b'a')) != 0
                    })
                    && (run == b"git"
                        || run == b"gh"
                        || TEST_RUNNERS.iter().any(|n| n.as_bytes() == run))
        },
    )
}

/// Bytes of a run [`word_runs`] shows (longer runs are cut; no name looked for is as long).
pub(crate) const WORD_HEAD: usize = 16;

/// The bytes of [`word_runs`]' runs, by value.
const IN_RUN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.';
        c += 1;
    }
    t
};

/// Calls `f` with each run of `text` that can be a word's last path part: a maximal run of
/// ASCII letters, digits, `_`, `-` and `.`, read without the bytes `skip` leaves out (they join
/// what is around them), ASCII case folded if `fold`. `f` gets the run's first [`WORD_HEAD`]
/// bytes and whether that is all of it; the first `true` it answers is the answer (else
/// `false`). One pass over the bytes, no allocation: the pre-checks' cheap word scan.
pub(crate) fn word_runs(
    text: &[u8],
    skip: impl Fn(u8) -> bool,
    fold: bool,
    mut f: impl FnMut(&[u8], bool) -> bool,
) -> bool {
    let mut head = [0u8; WORD_HEAD];
    let mut n = 0usize;
    for &c in text {
        if IN_RUN[usize::from(c)] {
            if n < WORD_HEAD {
                head[n] = if fold { c.to_ascii_lowercase() } else { c };
            }
            n += 1;
        } else if skip(c) {
            continue;
        } else if n > 0 {
            if f(&head[..n.min(WORD_HEAD)], n <= WORD_HEAD) {
                return true;
            }
            n = 0;
        }
    }
    n > 0 && f(&head[..n.min(WORD_HEAD)], n <= WORD_HEAD)
}

/// Test runners we recognise. Returns true when the simple command runs a test suite (not
/// merely compiling it: `cargo test --no-run`, `go test -c`, `pytest --collect-only` are not
/// runs).
pub fn is_test_command(cmd: &SimpleCommand) -> bool {
    let w = &cmd.words;
    let Some(first) = w.first() else { return false };
    let b = basename(first);
    // The one list of runners (`python…` aside), which `may_count` looks for too.
    if !b.starts_with("python") && !TEST_RUNNERS.contains(&b) {
        return false;
    }
    let arg = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    let has = |f: &str| w.iter().any(|a| a == f);
    // `python -m pytest`, `python3 -m unittest`.
    if b.starts_with("python") {
        if let Some(p) = w.iter().position(|a| a == "-m") {
            let m = arg(p + 1);
            return matches!(m, "pytest" | "unittest" | "nose2" | "nose" | "tox")
                && !has("--collect-only")
                && !has("--co");
        }
        return false;
    }
    match b {
        "cargo" => match arg(1) {
            "test" => !has("--no-run"),
            "nextest" => arg(2) == "run",
            "tarpaulin" | "llvm-cov" => true,
            _ => false,
        },
        "pytest" | "py.test" | "tox" | "nox" | "nose2" => !has("--collect-only") && !has("--co"),
        "go" => arg(1) == "test" && !has("-c") && !has("-list"),
        "jest" | "vitest" | "mocha" | "ava" | "jasmine" | "karma" | "playwright" | "cypress" => {
            if b == "vitest" && matches!(arg(1), "bench" | "typecheck") {
                return false;
            }
            if b == "playwright" {
                return arg(1) == "test";
            }
            if b == "cypress" {
                return arg(1) == "run";
            }
            !has("--listTests")
        }
        "npm" | "yarn" | "pnpm" | "bun" => {
            let a1 = arg(1);
            let script = if a1 == "run" || a1 == "run-script" {
                arg(2)
            } else {
                a1
            };
            if b == "bun" && a1 == "test" {
                return true;
            }
            if matches!(a1, "t" | "tst") && b == "npm" {
                return true;
            }
            script == "test" || script.starts_with("test:") || script.starts_with("test-")
        }
        "deno" | "mix" | "dotnet" | "swift" | "flutter" | "dart" | "lein" | "stack" | "cabal"
        | "sbt" | "zig" => arg(1) == "test",
        "mvn" | "mvnw" | "./mvnw" => w.iter().skip(1).any(|a| a == "test" || a == "verify"),
        "gradle" | "gradlew" => w
            .iter()
            .skip(1)
            .any(|a| a == "test" || a.ends_with(":test") || a == "check"),
        "mise" => {
            let task = if arg(1) == "run" || arg(1) == "r" {
                arg(2)
            } else {
                arg(1)
            };
            task == "test" || task.starts_with("test:") || task.starts_with("test-")
        }
        "make" | "gmake" | "just" | "task" => w
            .iter()
            .skip(1)
            .filter(|a| !a.starts_with('-') && !a.contains('='))
            .any(|a| {
                a == "test"
                    || a == "tests"
                    || a == "check"
                    || a.starts_with("test-")
                    || a.starts_with("test_")
            }),
        "rspec" | "phpunit" | "pest" | "ctest" | "busted" | "prove" | "bats" => true,
        "rake" => arg(1) == "test" || arg(1) == "spec",
        "rails" => arg(1) == "test",
        _ => false,
    }
}

/// What a test run's output says about its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestVerdict {
    Passed,
    Failed,
    Unknown,
}

/// Read the outcome from runner summary lines. Failure markers win over pass markers (a
/// workspace run with one failing crate prints both).
pub fn verdict_from_output(output: &str) -> TestVerdict {
    let mut pass = false;
    // Lowercased once: ASCII lowercasing keeps byte offsets, so each line's lowercase form is
    // the same range of `lower_all`.
    let lower_all = output.to_ascii_lowercase();
    // Markers searched on every line are first looked for once in the whole output.
    let has_build = output.contains("BUILD");
    let has_ctest = lower_all.contains("tests failed out of");
    for line in output.lines() {
        let l = line.trim();
        let off = l.as_ptr() as usize - output.as_ptr() as usize;
        let lower = &lower_all[off..off + l.len()];
        // cargo / libtest
        if lower.starts_with("test result: failed") || lower.starts_with("error: test failed") {
            return TestVerdict::Failed;
        }
        if lower.starts_with("test result: ok") {
            pass = true;
            continue;
        }
        // go test: `--- FAIL: TestX`, `FAIL\tpkg`, `FAIL`, `ok  \tpkg`
        if l.starts_with("--- FAIL")
            || l == "FAIL"
            || l.starts_with("FAIL\t")
            || l.starts_with("FAIL ")
        {
            return TestVerdict::Failed;
        }
        if l.starts_with("ok  \t")
            || l.starts_with("ok \t")
            || l == "PASS"
            || l.starts_with("PASS ")
        {
            pass = true;
        }
        // unittest: `FAILED (failures=1)`, `OK`, `OK (skipped=2)`; phpunit `FAILURES!`, `OK (5 tests…`
        if l.starts_with("FAILED (")
            || l == "FAILURES!"
            || l == "ERRORS!"
            || l.starts_with("Tests run:")
                && (has_nonzero(lower, "failures") || has_nonzero(lower, "errors"))
        {
            return TestVerdict::Failed;
        }
        if l == "OK" || l.starts_with("OK (") {
            pass = true;
        }
        // maven / gradle
        if has_build && (l.contains("BUILD FAILURE") || l.contains("BUILD FAILED")) {
            return TestVerdict::Failed;
        }
        if has_build && l.contains("BUILD SUCCESS") {
            pass = true;
        }
        // dotnet: `Failed!  - Failed: 1, Passed: 5`; `Passed!  - Failed: 0`
        if l.starts_with("Failed!") {
            return TestVerdict::Failed;
        }
        if l.starts_with("Passed!") {
            pass = true;
        }
        // pytest / jest / vitest / mocha / rspec / ctest / bun / deno counts.
        // The summary test first: it rejects most lines without searching for each word.
        if looks_like_summary(lower, has_ctest) {
            let counted_fail = [
                "failed", "failing", "failures", "failure", "errors", "error", "fail",
            ]
            .iter()
            .any(|k| count_before(lower, k).is_some_and(|n| n > 0));
            if counted_fail {
                return TestVerdict::Failed;
            }
            if ["passed", "passing", "pass", "examples", "tests passed"]
                .iter()
                .any(|k| count_before(lower, k).is_some_and(|n| n > 0))
            {
                pass = true;
            }
        }
        // ctest: `100% tests passed, 0 tests failed out of 12`
        if let Some(p) = has_ctest
            .then(|| lower.find(" tests failed out of"))
            .flatten()
        {
            let n: String = lower[..p]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if n.parse::<u64>().is_ok_and(|n| n > 0) {
                return TestVerdict::Failed;
            }
            pass = true;
        }
    }
    if pass {
        TestVerdict::Passed
    } else {
        TestVerdict::Unknown
    }
}

/// A line that reads like a runner's summary (not a log line that happens to contain
/// "1 error").
/// `ctest`: whether the whole output contains "tests failed out of" (else no line does).
fn looks_like_summary(lower: &str, ctest: bool) -> bool {
    let t = lower
        .trim_matches(|c: char| c == '=' || c == '-' || c.is_whitespace() || c == '✓' || c == '×');
    t.starts_with("tests:")
        || t.starts_with("test files")
        || t.starts_with("tests ")
        || t.starts_with("test suites:")
        || t.starts_with("suites:")
        || t.starts_with("ran ")
        // pytest: `3 failed, 10 passed in 1.20s`
        || (t.chars().next().is_some_and(|c| c.is_ascii_digit())
            && (t.contains(" passed") || t.contains(" failed") || t.contains(" passing")
                || t.contains(" failing") || t.contains(" examples") || t.contains(" error")
                || t.contains(" pass") || t.contains(" fail"))
            && t.split_whitespace().count() <= 16)
        || (ctest && t.contains("tests failed out of"))
        || (t.starts_with("ok |") || t.starts_with("failed |"))
}

/// Whether `lower` contains `<n> <word>` and returns n (the first occurrence with a number).
fn count_before(lower: &str, word: &str) -> Option<u64> {
    let mut start = 0;
    while let Some(p) = lower[start..].find(word) {
        let at = start + p;
        start = at + word.len();
        // Word boundary after.
        if lower[start..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        {
            continue;
        }
        let before = lower[..at].trim_end();
        let digits: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !digits.is_empty() && before.len() < at {
            return digits.parse().ok();
        }
    }
    None
}

fn has_nonzero(lower: &str, key: &str) -> bool {
    // `Failures: 1` style.
    lower
        .find(&format!("{key}:"))
        .map(|p| {
            let rest = lower[p + key.len() + 1..].trim_start();
            let d: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            d.parse::<u64>().map(|n| n > 0).unwrap_or(false)
        })
        .unwrap_or(false)
}

/// Pull-request URLs (`https://github.com/o/r/pull/N`, GitLab merge requests) in a text.
pub fn pr_urls(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (marker, tail) in [
        ("/pull/", ""),
        ("/-/merge_requests/", ""),
        ("/pull-requests/", ""),
    ] {
        let _ = tail;
        let mut start = 0;
        while let Some(p) = text[start..].find(marker) {
            let at = start + p;
            start = at + marker.len();
            let url_start = text[..at]
                .char_indices()
                .rev()
                .find(|&(_, c)| {
                    c.is_whitespace() || c == '(' || c == '"' || c == '\'' || c == '<' || c == '['
                })
                .map(|(i, c)| i + c.len_utf8())
                .unwrap_or(0);
            let prefix = &text[url_start..at];
            if !prefix.starts_with("http") {
                continue;
            }
            let num: String = text[start..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if num.is_empty() {
                continue;
            }
            out.push(format!("{prefix}{marker}{num}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The char-by-char tokenizer `split_flat` replaced: the reference it must agree with.
    fn split_flat_chars(line: &str) -> Vec<SimpleCommand> {
        let mut out = Vec::new();
        let mut words: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut in_word = false;
        let mut heredoc_ends: Vec<String> = Vec::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        let flush_word = |cur: &mut String, words: &mut Vec<String>, in_word: &mut bool| {
            if *in_word {
                words.push(std::mem::take(cur));
                *in_word = false;
            }
        };
        let flush_cmd = |words: &mut Vec<String>, out: &mut Vec<SimpleCommand>| {
            if !words.is_empty() {
                let w = strip_wrappers(std::mem::take(words));
                if !w.is_empty() {
                    out.push(SimpleCommand { words: w });
                }
            }
        };
        while i < chars.len() {
            let c = chars[i];
            match c {
                '\'' => {
                    in_word = true;
                    i += 1;
                    while i < chars.len() && chars[i] != '\'' {
                        cur.push(chars[i]);
                        i += 1;
                    }
                    i += 1;
                }
                '"' => {
                    in_word = true;
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' && i + 1 < chars.len() {
                            i += 1;
                        }
                        cur.push(chars[i]);
                        i += 1;
                    }
                    i += 1;
                }
                '\\' => {
                    in_word = true;
                    if i + 1 < chars.len() && chars[i + 1] != '\n' {
                        cur.push(chars[i + 1]);
                    }
                    i += 2;
                }
                '$' if i + 1 < chars.len() && chars[i + 1] == '(' => {
                    // Keep `$(…)` inside the current word, balanced, without splitting on it.
                    in_word = true;
                    let mut depth = 0usize;
                    while i < chars.len() {
                        let ch = chars[i];
                        cur.push(ch);
                        if ch == '(' {
                            depth += 1;
                        } else if ch == ')' {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        i += 1;
                    }
                }
                '#' if !in_word => {
                    // Comment to end of line.
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                }
                '\n' => {
                    flush_word(&mut cur, &mut words, &mut in_word);
                    flush_cmd(&mut words, &mut out);
                    i += 1;
                    // Skip heredoc bodies started on the line just ended.
                    for end in std::mem::take(&mut heredoc_ends) {
                        loop {
                            let start = i;
                            while i < chars.len() && chars[i] != '\n' {
                                i += 1;
                            }
                            let l: String = chars[start..i].iter().collect();
                            i += 1;
                            if l.trim() == end || i >= chars.len() {
                                break;
                            }
                        }
                    }
                }
                ';' | '&' | '|' | '(' | ')' => {
                    flush_word(&mut cur, &mut words, &mut in_word);
                    // `2>&1`, `&>`: a redirection, not a separator.
                    if c == '&' && (cur_is_redirect(&words) || next_is(&chars, i, '>')) {
                        i += 1;
                        continue;
                    }
                    flush_cmd(&mut words, &mut out);
                    i += 1;
                }
                '<' if i + 1 < chars.len() && chars[i + 1] == '<' => {
                    flush_word(&mut cur, &mut words, &mut in_word);
                    i += 2;
                    if i < chars.len() && chars[i] == '-' {
                        i += 1;
                    }
                    while i < chars.len() && chars[i] == ' ' {
                        i += 1;
                    }
                    let mut tag = String::new();
                    while i < chars.len() && !chars[i].is_whitespace() && !";&|".contains(chars[i])
                    {
                        if chars[i] != '\'' && chars[i] != '"' {
                            tag.push(chars[i]);
                        }
                        i += 1;
                    }
                    if !tag.is_empty() && !tag.starts_with('<') {
                        heredoc_ends.push(tag);
                    }
                }
                c if c.is_whitespace() => {
                    flush_word(&mut cur, &mut words, &mut in_word);
                    i += 1;
                }
                _ => {
                    in_word = true;
                    cur.push(c);
                    i += 1;
                }
            }
        }
        flush_word(&mut cur, &mut words, &mut in_word);
        flush_cmd(&mut words, &mut out);
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The byte tokenizer splits exactly like the char-by-char one (which could panic on
        /// two unterminated heredocs; those inputs only have to not panic here).
        #[test]
        fn byte_tokenizer_matches_char_tokenizer(
            s in "(git|commit|push|EOF|<<|<<-|\\$\\(|2>&1|&>|[a-z'\"\\\\$()#\n;&|< \t\u{b}\u{c}\r=/.é✓\u{a0}\u{3000}\u{85}-]){0,40}"
        ) {
            let got = split_flat(&s);
            if let Ok(want) = std::panic::catch_unwind(|| split_flat_chars(&s)) {
                proptest::prop_assert_eq!(got, want);
            }
        }
    }

    /// What [`may_count`] answers for: counted by any of the four questions.
    fn counted(s: &str) -> bool {
        let c = split_commands(s);
        git_commit_invocations(&c) > 0
            || git_push_invocations(&c) > 0
            || is_gh_pr_create(&c)
            || c.iter().any(is_test_command)
    }

    /// Commands built from counted programs, spelt with quotes, escapes, paths, wrappers and
    /// nested scripts, and what surrounds them.
    const COUNTED: &str = "(git|g'i't|gi\"t\"|g\\\\it|gi\\\\\nt|gh|g\\\\h|/usr/bin/git|\\./git|\
        commit|push|pr|create|test|run|-m|-n|--amend|pytest|python3|python|unittest|cargo|\
        npm|make|go|mvnw|tox|npx|sudo|env|timeout 5|FOO=1|uv run|bash -c|sh -lc|eval|\
        \\$\\(|<<|EOF|\
        [ \t\n;&|()'\"\\\\#ab0_.\\-/é\u{a0}\u{3000}]){0,30}";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(6000))]
        /// The pre-check never hides a counted command: random text, and a counted program
        /// spelt in many ways behind a wrapper or inside a script, between random text.
        #[test]
        fn may_count_never_hides_a_counted_command(
            s in COUNTED,
            pre in COUNTED,
            wrap in "(sudo |FOO=1 |timeout 5 |npx |uv run |bash -c '|sh -lc \"|eval \"|\\$\\(|\\(|; |&&|\n|)",
            prog in "(git|g'i't|gi\"t\"|g\\\\it|gi\\\\\nt|/usr/bin/git|\\./git|gh|g\\\\h|\"g\"h|\
                python3|py'thon'|python\\\\\n3|pytest|cargo|c\\\\argo|npm|make|go)",
            sub in "( commit| push| pr create| test| -m pytest| run test|\"| commit'|)",
            post in COUNTED,
        ) {
            proptest::prop_assert!(may_count(&s) || !counted(&s), "{:?}", s);
            let s = format!("{pre}{wrap}{prog}{sub}{post}");
            proptest::prop_assert!(may_count(&s) || !counted(&s), "{:?}", s);
        }
    }

    #[test]
    fn may_count_passes_only_what_may_count() {
        for no in [
            "sed -n '1,200p' src/lib.rs",
            "rg -n \"digits|together\" crates",
            "ls -la && cat README.md",
            "echo legit > x",
            "cat package.json | jq .scripts",
        ] {
            assert!(!may_count(no), "{no}");
            assert!(!counted(no), "{no}");
        }
        for yes in [
            "g'i't commit -m x",
            "gi\\\nt commit -m x",
            "bash -lc \"cd a && /usr/bin/git push\"",
            "FOO=1 python3.12 -m pytest",
            "npx vitest run",
            "eval \"g\\\"h\\\" pr create\"",
        ] {
            assert!(may_count(yes), "{yes}");
            assert!(counted(yes), "{yes}");
        }
    }

    #[test]
    fn unterminated_heredocs_do_not_panic() {
        let c = split_commands("cat <<A <<B\nbody");
        assert_eq!(c.len(), 1);
        assert!(std::panic::catch_unwind(|| split_flat_chars("cat <<A <<B\nbody")).is_err());
    }

    fn words(s: &str) -> Vec<Vec<String>> {
        split_commands(s).into_iter().map(|c| c.words).collect()
    }

    #[test]
    fn splits_on_separators_outside_quotes() {
        assert_eq!(
            words(r#"cd foo && git commit -m "a && b" ; echo 'x|y' | cat"#),
            vec![
                vec!["cd", "foo"],
                vec!["git", "commit", "-m", "a && b"],
                vec!["echo", "x|y"],
                vec!["cat"]
            ]
        );
        assert_eq!(
            words("cargo test 2>&1 | tail -5"),
            vec![vec!["cargo", "test", "2>", "1"], vec!["tail", "-5"]]
        );
    }

    #[test]
    fn heredoc_body_is_not_commands() {
        let c = split_commands("git commit -F - <<'EOF'\ngit push\nEOF\n");
        assert_eq!(git_commit_invocations(&c), 1);
        assert_eq!(git_push_invocations(&c), 0);
        let c = split_commands(
            "git commit -m \"$(cat <<'EOF'\nfix: x\n\ngit push later\nEOF\n)\" && git push",
        );
        assert_eq!(git_commit_invocations(&c), 1);
        assert_eq!(git_push_invocations(&c), 1);
    }

    #[test]
    fn wrappers_and_assignments_are_stripped() {
        assert_eq!(
            words("FOO=1 timeout 60 cargo test")[0],
            vec!["cargo", "test"]
        );
        assert_eq!(words("uv run pytest -q")[0], vec!["pytest", "-q"]);
        assert_eq!(words("npx --yes vitest run")[0], vec!["vitest", "run"]);
    }

    #[test]
    fn git_commands() {
        let c = |s: &str| split_commands(s);
        assert_eq!(git_commit_invocations(&c(r#"echo "git commit""#)), 0);
        assert_eq!(
            git_commit_invocations(&c("git commit --amend --no-edit")),
            0
        );
        assert_eq!(git_commit_invocations(&c("git commit --dry-run")), 0);
        assert_eq!(git_commit_invocations(&c("git -C repo commit -am x")), 1);
        assert_eq!(
            git_commit_invocations(&c("git add . && git commit -m x && git push")),
            1
        );
        assert_eq!(
            git_push_invocations(&c("git add . && git commit -m x && git push")),
            1
        );
        assert_eq!(git_push_invocations(&c("git push --dry-run")), 0);
        assert_eq!(git_commit_invocations(&c("git log --grep commit")), 0);
        assert!(is_gh_pr_create(&c("gh pr create --title x --body y")));
        assert!(!is_gh_pr_create(&c("gh pr view 3")));
        assert_eq!(
            git_commit_invocations(&c("bash -c 'cd x && git commit -m y'")),
            1
        );
        assert_eq!(
            git_commit_invocations(&c("sh -lc \"git commit -am 'a b'\"")),
            1
        );
        assert_eq!(git_commit_invocations(&c("bash script.sh")), 0);
    }

    #[test]
    fn commit_summary_lines() {
        assert_eq!(
            count_commit_lines("[main 1a2b3c4] Fix it\n 1 file changed"),
            1
        );
        assert_eq!(
            count_commit_lines("[feat/x (root-commit) 1a2b3c4d] init"),
            1
        );
        assert_eq!(count_commit_lines("[WARN] something"), 0);
        assert_eq!(
            count_commit_lines("nothing to commit, working tree clean"),
            0
        );
    }

    #[test]
    fn test_runners() {
        let t = |s: &str| split_commands(s).iter().any(is_test_command);
        for yes in [
            "cargo test",
            "cargo test -p foo -- --nocapture",
            "cargo nextest run",
            "pytest -x",
            "python -m pytest tests/",
            "python3 -m unittest discover",
            "go test ./...",
            "npx jest",
            "npx vitest run",
            "npm test",
            "npm run test",
            "yarn test",
            "pnpm test",
            "bun test",
            "mvn test",
            "./gradlew test",
            "bundle exec rspec",
            "vendor/bin/phpunit",
            "dotnet test",
            "ctest --output-on-failure",
            "make test",
            "deno test",
            "mix test",
            "mise run test",
            "mise run test:ci",
            "cd app && npm run test:unit",
            "uv run pytest",
            ".venv/bin/pytest -q",
        ] {
            assert!(t(yes), "{yes}");
        }
        for no in [
            "cargo test --no-run",
            "cargo build",
            "echo \"cargo test\"",
            "grep pytest x",
            "go build ./...",
            "npm run build",
            "npm install",
            "git commit -m 'cargo test'",
            "make build",
            "go test -c ./x",
            "mise run lint",
            "pytest --collect-only",
        ] {
            assert!(!t(no), "{no}");
        }
    }

    #[test]
    fn verdicts() {
        use TestVerdict::*;
        let v = verdict_from_output;
        assert_eq!(
            v("running 3 tests\ntest result: ok. 3 passed; 0 failed; 0 ignored"),
            Passed
        );
        assert_eq!(
            v("test result: ok. 3 passed\ntest result: FAILED. 1 passed; 2 failed"),
            Failed
        );
        assert_eq!(v("===== 10 passed in 0.12s ====="), Passed);
        assert_eq!(v("===== 1 failed, 10 passed in 0.12s ====="), Failed);
        assert_eq!(v("Tests:       1 failed, 5 passed, 6 total"), Failed);
        assert_eq!(v("Tests:       6 passed, 6 total"), Passed);
        assert_eq!(
            v(" Test Files  2 passed (2)\n      Tests  14 passed (14)"),
            Passed
        );
        assert_eq!(v(" Tests  1 failed | 13 passed (14)"), Failed);
        assert_eq!(
            v("--- FAIL: TestX (0.00s)\nFAIL\texample.com/x\t0.01s"),
            Failed
        );
        assert_eq!(v("ok  \texample.com/x\t0.01s"), Passed);
        assert_eq!(v("Ran 4 tests in 0.001s\n\nOK"), Passed);
        assert_eq!(v("Ran 4 tests in 0.001s\n\nFAILED (failures=1)"), Failed);
        assert_eq!(v("5 examples, 0 failures"), Passed);
        assert_eq!(v("5 examples, 2 failures"), Failed);
        assert_eq!(v("[INFO] BUILD SUCCESS"), Passed);
        assert_eq!(v("warning: 1 error in file x is fine"), Unknown);
        assert_eq!(v("compiling…"), Unknown);
        assert_eq!(v("100% tests passed, 0 tests failed out of 12"), Passed);
        assert_eq!(v("83% tests passed, 2 tests failed out of 12"), Failed);
    }

    #[test]
    fn pr_url_extraction() {
        assert_eq!(
            pr_urls("Created https://github.com/o/r/pull/12\n"),
            vec!["https://github.com/o/r/pull/12".to_string()]
        );
        assert!(pr_urls("see /pull/12").is_empty());
    }
}
