//! Text cues: normalisation and phrase matching over the user's own words.
//!
//! Matching is on a normalised copy (lowercase, punctuation to spaces, padded with spaces) so
//! `" no "` never matches inside "know"; every scan is linear in the (capped) text length.

/// How much of one prompt is scanned for cues: pasted logs can be megabytes, and the words that
/// carry intent are at the start.
pub const SCAN_CAP: usize = 4000;

/// A prompt normalised for phrase matching.
#[derive(Debug, Clone, Default)]
pub struct Norm {
    /// Lowercase words separated by single spaces, with a leading and trailing space.
    pub padded: String,
    /// Number of words.
    pub words: usize,
    /// The hashes of the words: a phrase one of whose words is absent is rejected without
    /// scanning the text (most lookups, as cue lists are long).
    hashes: WordSet,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// One byte into an FNV-1a hash.
fn fnv(h: u64, b: u8) -> u64 {
    (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
}

/// FNV-1a, 64 bit: a fast, deterministic hash for short words.
#[cfg(test)]
fn word_hash(w: &[u8]) -> u64 {
    w.iter().fold(FNV_OFFSET, |h, b| fnv(h, *b))
}

/// A set of word hashes: open addressing over a power-of-two table (one or two probes per
/// lookup, where a binary search over a sorted list took a branch per halving). The hash 0
/// marks an empty slot; a word hashing to 0 is kept in `zero`.
#[derive(Debug, Clone, Default)]
struct WordSet {
    slots: Vec<u64>,
    zero: bool,
}

impl WordSet {
    /// A set sized for `n` words at most (load factor ≤ 1/2).
    fn with_words(n: usize) -> WordSet {
        WordSet {
            slots: vec![0; (2 * n).next_power_of_two().max(8)],
            zero: false,
        }
    }

    fn slot(&self, h: u64) -> usize {
        ((h ^ (h >> 29)) as usize) & (self.slots.len() - 1)
    }

    fn insert(&mut self, h: u64) {
        if h == 0 {
            self.zero = true;
            return;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(h);
        while self.slots[i] != 0 {
            if self.slots[i] == h {
                return;
            }
            i = (i + 1) & mask;
        }
        self.slots[i] = h;
    }

    /// Every hash of another set.
    fn extend(&mut self, o: &WordSet) {
        self.zero |= o.zero;
        for h in o.slots.iter().filter(|h| **h != 0) {
            self.insert(*h);
        }
    }

    fn len(&self) -> usize {
        self.slots.iter().filter(|h| **h != 0).count() + self.zero as usize
    }

    /// Whether every word of a phrase (split at single spaces) is in the set, and how many
    /// words the phrase has.
    fn has_words(&self, phrase: &[u8]) -> (bool, usize) {
        let mut w = FNV_OFFSET;
        let mut words = 1;
        for &b in phrase {
            if b == b' ' {
                if !self.contains(w) {
                    return (false, words);
                }
                w = FNV_OFFSET;
                words += 1;
            } else {
                w = fnv(w, b);
            }
        }
        (self.contains(w), words)
    }

    fn contains(&self, h: u64) -> bool {
        if h == 0 {
            return self.zero;
        }
        if self.slots.is_empty() {
            return false;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(h);
        loop {
            match self.slots[i] {
                0 => return false,
                x if x == h => return true,
                _ => i = (i + 1) & mask,
            }
        }
    }
}

impl Norm {
    pub fn new(raw: &str) -> Norm {
        let raw = head(raw, SCAN_CAP);
        let mut padded = String::with_capacity(raw.len() + 2);
        padded.push(' ');
        let mut words = 0;
        let mut in_word = false;
        for c in raw.chars() {
            // ASCII (most text) without the Unicode tables: the same test and lowercase.
            let word_char = if c.is_ascii() {
                c.is_ascii_alphanumeric() || c == '\''
            } else {
                let c = match c {
                    '\u{2019}' | '\u{2018}' => '\'',
                    c => c,
                };
                c.is_alphanumeric() || c == '\''
            };
            if word_char {
                if !in_word {
                    words += 1;
                    in_word = true;
                }
                if c.is_ascii() {
                    padded.push(c.to_ascii_lowercase());
                } else if matches!(c, '\u{2019}' | '\u{2018}') {
                    padded.push('\'');
                } else {
                    for l in c.to_lowercase() {
                        padded.push(l);
                    }
                }
            } else if in_word {
                padded.push(' ');
                in_word = false;
            }
        }
        if !padded.ends_with(' ') {
            padded.push(' ');
        }
        let mut hashes = WordSet::with_words(words);
        let mut h = FNV_OFFSET;
        for &b in &padded.as_bytes()[1..] {
            if b == b' ' {
                hashes.insert(h);
                h = FNV_OFFSET;
            } else {
                h = fnv(h, b);
            }
        }
        Norm {
            padded,
            words,
            hashes,
        }
    }

    /// Whether a phrase (lowercase words separated by single spaces) occurs as whole words.
    pub fn has(&self, phrase: &str) -> bool {
        let p = phrase.as_bytes();
        let h = self.padded.as_bytes();
        // Search for " phrase " without allocating.
        if p.is_empty() || h.len() < p.len() + 2 {
            return false;
        }
        // Every word of an occurrence is a word of the text (a phrase with an empty word
        // cannot occur: the text has single spaces), so a missing word rejects the phrase; a
        // one-word phrase is its hash.
        let (all, words) = self.hashes.has_words(p);
        if !all {
            return false;
        }
        if words == 1 {
            return true;
        }
        let mut i = 0;
        while let Some(pos) = memchr::memmem::find(&h[i..], p) {
            let s = i + pos;
            if s > 0 && h[s - 1] == b' ' && s + p.len() < h.len() && h[s + p.len()] == b' ' {
                return true;
            }
            i = s + 1;
        }
        false
    }

    /// Whether any of the phrases occurs; returns the first that does.
    pub fn any<'a>(&self, phrases: &[&'a str]) -> Option<&'a str> {
        phrases.iter().copied().find(|p| self.has(p))
    }

    /// How many of the phrases occur.
    pub fn count(&self, phrases: &[&str]) -> usize {
        phrases.iter().filter(|p| self.has(p)).count()
    }

    /// Whether the text starts with one of the phrases.
    pub fn starts(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| {
            let h = self.padded.as_bytes();
            h.len() > p.len() + 1 && h[1..].starts_with(p.as_bytes()) && h[1 + p.len()] == b' '
        })
    }
}

/// Several normalised texts searched together (a session's prompts): the union of their words
/// rejects, once for all of them, a phrase one of whose words none of them has — most phrases
/// of a cue list. Every answer is the one the texts give one by one.
#[derive(Debug, Clone)]
pub struct Texts<'a> {
    norms: Vec<&'a Norm>,
    words: WordSet,
}

impl<'a> Texts<'a> {
    pub fn new(norms: impl IntoIterator<Item = &'a Norm>) -> Texts<'a> {
        let norms: Vec<&Norm> = norms.into_iter().collect();
        let mut words = WordSet::with_words(norms.iter().map(|n| n.hashes.len()).sum());
        for n in &norms {
            words.extend(&n.hashes);
        }
        Texts { norms, words }
    }

    /// False when no text has the phrase (true: one may).
    pub fn may_have(&self, phrase: &str) -> bool {
        !phrase.is_empty() && self.words.has_words(phrase.as_bytes()).0
    }

    /// Whether any of the texts has the phrase.
    pub fn any_has(&self, phrase: &str) -> bool {
        self.may_have(phrase) && self.norms.iter().any(|n| n.has(phrase))
    }

    /// The phrases of a list that one of the texts may have, in the list's order (the others
    /// are in none of them).
    pub fn candidates<'p>(&self, phrases: &[&'p str]) -> Vec<&'p str> {
        phrases
            .iter()
            .copied()
            .filter(|p| self.may_have(p))
            .collect()
    }

    /// The sum over the texts of [`Norm::count`].
    pub fn count_sum(&self, phrases: &[&str]) -> usize {
        phrases
            .iter()
            .filter(|p| self.may_have(p))
            .map(|p| self.norms.iter().filter(|n| n.has(p)).count())
            .sum()
    }
}

/// Words of a greeting or small talk. A session whose every prompt holds nothing else has no
/// task: raters file it as Communicate (conversation, not code).
pub const GREETING: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "howdy",
    "yo",
    "there",
    "thanks",
    "thank",
    "you",
    "bye",
    "good",
    "morning",
    "afternoon",
    "evening",
    "how",
    "are",
    "u",
    "what's",
    "whats",
    "up",
    "sup",
    "hola",
    "bonjour",
    "ciao",
    "hallo",
];

/// Whether a prompt is only a greeting or small talk ("hi", "hello there", "how are you?").
/// A slash command (`/help hi`) is a question to the tool, not a greeting.
pub fn is_greeting(raw: &str, norm: &Norm) -> bool {
    !raw.trim_start().starts_with('/')
        && (1..=6).contains(&norm.words)
        && norm
            .padded
            .split(' ')
            .filter(|w| !w.is_empty())
            .all(|w| GREETING.contains(&w))
}

/// Verbs that open a request to change code ("add a --mini flag", "remove X", "move Y").
pub const CHANGE_VERBS: &[&str] = &[
    "add",
    "remove",
    "delete",
    "drop",
    "move",
    "rename",
    "refactor",
    "replace",
    "change",
    "make",
    "update",
    "create",
    "implement",
    "enhance",
    "include",
    "have",
    "pass",
    "call",
    "cache",
    "handle",
    "support",
    "convert",
    "extract",
    "set",
    "put",
    "wire",
    "hook",
    "bump",
    "upgrade",
    "write",
    "build",
    "modify",
    "extend",
    "allow",
    "ensure",
    "log",
    "print",
    "display",
    "show",
    "swap",
    "split",
    "insert",
    "append",
    "introduce",
    "integrate",
    "port",
    "migrate",
    "simplify",
    "clean",
    "tidy",
    "reorder",
    "sort",
    "expose",
    "turn",
    "switch",
    "use",
    "store",
    "save",
    "format",
    "align",
    "style",
    "color",
    "colour",
    "pad",
    "trim",
];

/// Words that may precede the verb of a request ("please add", "can you move", "let's use").
const REQUEST_LEADS: &[&str] = &[
    "please", "pls", "let's", "lets", "now", "also", "ok", "okay", "so", "then", "and", "can",
    "could", "would", "will", "you", "we", "i", "need", "to", "want", "i'd", "like", "go", "ahead",
    "just",
];

/// Whether a prompt opens with a request to change something (an imperative change verb,
/// possibly after "please", "can you", "let's"…), not a question about what exists.
pub fn is_change_request(norm: &Norm) -> bool {
    norm.padded
        .split(' ')
        .filter(|w| !w.is_empty())
        .take(8)
        .find(|w| !REQUEST_LEADS.contains(w))
        .is_some_and(|w| CHANGE_VERBS.contains(&w))
}

/// Forward-looking questions at the start of a prompt: how something should be done, before
/// doing it (the rubric's Plan: "forward-looking = Plan, about what exists = Understand").
pub const FORWARD_ASK: &[&str] = &[
    "can we",
    "could we",
    "how can we",
    "how can i",
    "how could we",
    "how should",
    "how would",
    "should we",
    "should i",
    "best way",
    "better way",
    "most logical way",
    "most straightforward way",
    "is it appropriate",
    "would it be",
];

/// Bytes at the start of a prompt where a forward-looking question is looked for.
pub const FORWARD_ASK_HEAD: usize = 60;

/// The title of a pasted plan: a prompt that starts with "Implement the following plan"
/// (Claude Code's hand-over from plan mode) and carries a Markdown heading. The title states
/// what the work is; the plan's body names errors, lint and edge cases on the way, which are
/// not a report of something broken.
pub fn plan_title(raw: &str) -> Option<&str> {
    let t = raw.trim_start();
    let lead = "implement the following plan";
    if t.len() < lead.len() || !t.as_bytes()[..lead.len()].eq_ignore_ascii_case(lead.as_bytes()) {
        return None;
    }
    head(t, SCAN_CAP)
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
}

/// The first `max` bytes of `s`, cut at a character boundary.
pub fn head(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Technical tokens in a prompt that show command of the subject: identifiers written the way
/// code writes them (snake_case, camelCase, dotted.calls, `backticks`), CLI flags and versions.
/// Returns (identifiers, backtick spans, flags, versions).
pub fn tech_tokens(raw: &str) -> TechTokens {
    let raw = head(raw, SCAN_CAP);
    let mut t = TechTokens {
        backticks: raw.matches('`').count() / 2,
        ..Default::default()
    };
    for w in raw.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | ';' | '(' | ')' | '"' | '`' | '\'' | '[' | ']' | '{' | '}' | '<' | '>'
            )
    }) {
        let w = w.trim_end_matches(['.', ':', '?', '!']);
        if w.len() < 3 {
            continue;
        }
        if w.starts_with("--")
            && w[2..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            t.flags += 1;
            continue;
        }
        let bytes = w.as_bytes();
        let is_version = (bytes[0] == b'v' || bytes[0].is_ascii_digit())
            && w.contains('.')
            && w.trim_start_matches('v')
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.')
            && w.trim_start_matches('v')
                .split('.')
                .filter(|p| !p.is_empty())
                .count()
                >= 2;
        if is_version {
            t.versions += 1;
            continue;
        }
        if w.contains('/') {
            if w.starts_with("http") {
                t.urls += 1;
            } else if w.chars().any(|c| c.is_ascii_alphabetic()) {
                t.paths += 1;
            }
            continue;
        }
        let alpha = w
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '#');
        if !alpha {
            continue;
        }
        let snake = w.contains('_') && w.chars().any(|c| c.is_ascii_alphabetic());
        let camel = {
            let mut prev_lower = false;
            let mut hump = false;
            for c in w.chars() {
                if c.is_ascii_uppercase() && prev_lower {
                    hump = true;
                }
                prev_lower = c.is_ascii_lowercase();
            }
            hump
        };
        let dotted = w.contains('.')
            && !w.ends_with('.')
            && w.split('.').all(|p| !p.is_empty())
            && w.chars().any(|c| c.is_ascii_alphabetic());
        if snake || camel || dotted {
            t.identifiers += 1;
        }
    }
    t
}

/// Counts of code-shaped tokens in a prompt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TechTokens {
    pub identifiers: usize,
    pub backticks: usize,
    pub flags: usize,
    pub versions: usize,
    pub paths: usize,
    pub urls: usize,
}

impl TechTokens {
    /// Tokens that name things one must know (paths and URLs are visible on screen: not counted).
    pub fn named(&self) -> usize {
        self.identifiers + self.backticks + self.flags + self.versions
    }
}

// ---- cue lists (lowercase, whole words) ----

/// Explicit affirmation of the agent's work.
pub const AFFIRM: &[&str] = &[
    "thanks",
    "thank you",
    "thank u",
    "thx",
    "ty",
    "perfect",
    "excellent",
    "awesome",
    "amazing",
    "brilliant",
    "fantastic",
    "well done",
    "great job",
    "great work",
    "nice work",
    "nice job",
    "good job",
    "good work",
    "lgtm",
    "looks good",
    "looks great",
    "works now",
    "it works",
    "that works",
    "this works",
    "works great",
    "works perfectly",
    "working now",
    "love it",
    "exactly what",
    "nailed it",
    "splendid",
    "fixed it",
    "that did it",
    "that fixed it",
    "it worked",
    "that worked",
    "that's it",
    "that would be it",
    "works like a charm",
    "good stuff",
];

/// Mild approval ("great, now …"): corroborates a clean ending but is not a hard signal.
pub const AFFIRM_WEAK: &[&str] = &["great", "nice", "sweet", "cool", "good", "neat", "ok great"];

/// Explicit complaint about the agent's work or the state of things after it.
pub const COMPLAIN: &[&str] = &[
    "still broken",
    "still not working",
    "still doesn't",
    "still does not",
    "still doesnt",
    "still failing",
    "still fails",
    "still getting",
    "still seeing",
    "still see",
    "still have",
    "still get",
    "still not",
    "doesn't work",
    "does not work",
    "doesnt work",
    "didn't work",
    "did not work",
    "didnt work",
    "not working",
    "isn't working",
    "that's wrong",
    "thats wrong",
    "this is wrong",
    "that is wrong",
    "is wrong",
    "you broke",
    "we lost",
    "you lost",
    "why did you",
    "i told you",
    "i said",
    "not what i",
    "that's not what",
    "undo",
    "revert that",
    "oh no",
    "not helpful",
    "you missed",
    "you forgot",
    "didn't do",
    "did not do",
    "no longer works",
    "made it worse",
    "worse",
    "wrong",
];

/// Frustration: a hard failure signal on its own.
pub const FRUSTRATION: &[&str] = &[
    "wtf",
    "fgs",
    "ffs",
    "ugh",
    "argh",
    "crap",
    "damn",
    "dammit",
    "halp",
    "seriously",
    "for god's sake",
    "come on",
    "useless",
    "ridiculous",
    "sigh",
];

/// Pushback or correction at the start of a later prompt.
pub const PUSHBACK_START: &[&str] = &[
    "no",
    "nope",
    "nah",
    "actually",
    "wait",
    "hmm",
    "hm",
    "not quite",
    "not really",
    "i don't think",
    "i dont think",
    "that's not",
    "thats not",
    "why",
    "are you sure",
    "don't",
    "dont",
    "do not",
    "stop",
    "instead",
    "rather",
    "but",
    "technically",
    "hold on",
    "ehh",
    "eh",
    "uh",
];

/// Correction phrases anywhere in a later prompt.
pub const PUSHBACK_ANY: &[&str] = &[
    "i don't think",
    "i dont think",
    "shouldn't",
    "should not",
    "we don't need",
    "don't need",
    "do we even need",
    "is there any reason",
    "why does",
    "why do we",
    "why the",
    "not needed",
    "roll back",
    "rollback",
    "instead of",
    "rather than",
    "can't we",
    "cant we",
    "can we not",
    "isn't it",
    "doesn't that",
    "i thought",
    "you can just",
    "less work",
    "that's not",
    "not sure that",
    "mistaken",
];

/// Short replies that accept what the agent proposed.
pub const ACCEPT: &[&str] = &[
    "yes",
    "yep",
    "yeah",
    "y",
    "ok",
    "okay",
    "k",
    "sure",
    "go ahead",
    "go for it",
    "do it",
    "let's do it",
    "lets do it",
    "sounds good",
    "proceed",
    "continue",
    "approved",
    "agreed",
    "fine",
    "please do",
    "do both",
    "both",
    "all",
    "1",
    "2",
    "3",
    "a",
    "b",
    "option 1",
    "option 2",
    "go",
    "ship it",
    "yes please",
    "makes sense",
    "right",
];

/// Something is broken: the work is reactive (Fix), weighted 3 (one suffices).
pub const BROKEN_STRONG: &[&str] = &[
    "pr comments",
    "review comments",
    "pr feedback",
    "review feedback",
    "error",
    "errors",
    "bug",
    "bugs",
    "buggy",
    "broken",
    "breaks",
    "broke",
    "crash",
    "crashes",
    "crashing",
    "crashed",
    "fails",
    "failing",
    "failed",
    "failure",
    "failures",
    "exception",
    "traceback",
    "panic",
    "panics",
    "fatal",
    "doesn't work",
    "does not work",
    "doesnt work",
    "not working",
    "isn't working",
    "doesn't seem",
    "doesnt seem",
    "regression",
    "segfault",
    "stack trace",
    "not supported",
    "fix",
    "fixing",
    "debug",
];

/// More strong breakage cues, read only by the work-mode trigger ([`Prompt::broken`]): kept
/// apart from [`BROKEN_STRONG`], whose counts are features of the learned classifier's models
/// (a longer list would shift the success and failure models it was validated with).
///
/// [`Prompt::broken`]: super::features::Prompt::broken
pub const BROKEN_MORE: &[&str] = &[
    "don't load",
    "doesn't load",
    "won't load",
    "not loading",
    "isn't being",
    "aren't being",
    "shouldn't",
    "advisory",
    "advisories",
    "vulnerability",
    "cve",
];

/// Weaker signs of breakage, weighted 1 (three needed).
pub const BROKEN_WEAK: &[&str] = &[
    "feedback",
    "issue",
    "issues",
    "problem",
    "problems",
    "wrong",
    "lint",
    "warning",
    "warnings",
    "unhappy",
    "blocked",
    "stuck",
    "won't",
    "can't",
    "cannot",
    "missing",
    "incorrect",
    "unexpected",
    "conflict",
    "conflicts",
    "timeout",
    "hangs",
    "leak",
    "flaky",
    "mismatch",
];

/// Forward-looking design talk.
pub const PLAN_WORDS: &[&str] = &[
    "plan",
    "planning",
    "design",
    "architecture",
    "approach",
    "propose",
    "proposal",
    "brainstorm",
    "trade off",
    "trade offs",
    "tradeoff",
    "tradeoffs",
    "spec",
    "rfc",
    "strategy",
    "roadmap",
    "how should we",
    "what should we",
    "should we",
    "options",
    "think through",
    "scenarios",
    "requirements",
    "phase",
    "milestone",
    "adr",
];

/// Asking to learn about what exists.
pub const UNDERSTAND_WORDS: &[&str] = &[
    "explain",
    "what does",
    "how does",
    "why does",
    "why is",
    "where is",
    "where are",
    "overview",
    "understand",
    "walk me through",
    "what is",
    "what are",
    "summarize",
    "summarise",
    "investigate",
    "look into",
    "figure out",
    "how do",
    "tell me",
    "show me",
    "find out",
    "is there a way",
    "can i",
    "which",
    "learning q",
];

/// Writing or running tests as the deliverable.
pub const TEST_WORDS: &[&str] = &[
    "review",
    "code review",
    "pr review",
    "review the pr",
    "add tests",
    "add test",
    "write tests",
    "write test",
    "unit test",
    "unit tests",
    "table tests",
    "test cases",
    "test coverage",
    "coverage",
    "integration test",
    "integration tests",
    "e2e",
    "qa",
    "fixtures",
    "security review",
    "audit",
    "tests for",
    "test for",
];

/// Scaffolding around code.
pub const OPS_WORDS: &[&str] = &[
    "deploy",
    "deployment",
    "ci",
    "cd",
    "pipeline",
    "github action",
    "github actions",
    "action",
    "workflow",
    "docker",
    "dockerfile",
    "container",
    "kubernetes",
    "k8s",
    "helm",
    "terraform",
    "infra",
    "infrastructure",
    "release",
    "install",
    "set up",
    "setup",
    "configure",
    "environment",
    "nginx",
    "server",
    "merge conflict",
    "merge conflicts",
    "rebase",
    "monitoring",
    "on call",
    "permission",
    "permissions",
    "secrets",
    "token",
    "pat",
    "vercel",
    "netlify",
    "aws",
    "gcp",
    "azure",
    "cron",
    "systemd",
    "gc",
    "repack",
    "worktree",
    "push",
    "rewrites",
];

/// Data analysis where code is instrumental.
pub const ANALYZE_WORDS: &[&str] = &[
    "analyze",
    "analyse",
    "analysis",
    "dataset",
    "data set",
    "csv",
    "chart",
    "plot",
    "graph",
    "statistics",
    "correlation",
    "distribution",
    "histogram",
    "pandas",
    "dataframe",
    "notebook",
    "jupyter",
    "spreadsheet",
    "excel",
    "aggregate",
    "cohort",
    "metrics",
    "kpi",
    "survey",
];

/// Meta-work on AI systems.
pub const ORCH_WORDS: &[&str] = &[
    "prompt",
    "prompts",
    "system prompt",
    "subagent",
    "subagents",
    "sub agents",
    "sub agent",
    "teammates",
    "agent workflow",
    "agents",
    "llm",
    "eval",
    "evals",
    "classifier",
    "claude md",
    "agents md",
    "skill",
    "skills",
    "fine tune",
    "few shot",
    "haiku",
    "opus",
    "sonnet",
    "claude code",
];

/// The unambiguous part of [`ORCH_WORDS`]: a plan titled with these is about an AI system's
/// prompts, agents or evals (not an app's "skills" or "agents" pages).
pub const ORCH_CORE: &[&str] = &[
    "prompt",
    "prompts",
    "system prompt",
    "subagent",
    "subagents",
    "agent workflow",
    "llm",
    "eval",
    "evals",
    "classifier",
    "fine tune",
    "few shot",
];

/// A change that is a release or a deploy (Operate, not Build).
pub const RELEASE_WORDS: &[&str] = &["release", "deploy", "deployment", "publish", "tag"];

/// An opener about CI, deploys or releases: edits made on the way (fixing what the pipeline
/// reports) serve the scaffolding, Operate (rubric: "Build vs Operate: deploy/config/CI/env").
pub const OPS_CORE: &[&str] = &[
    "ci",
    "github action",
    "github actions",
    "workflow",
    "pipeline",
    "deploy",
    "deployment",
    "deployed",
    "release",
    "docker",
    "dockerfile",
];

/// Prose for human readers.
pub const COMM_WORDS: &[&str] = &[
    "email",
    "blog",
    "blog post",
    "article",
    "slides",
    "presentation",
    "letter",
    "essay",
    "opinion",
    "announcement",
    "newsletter",
    "memo",
    "write up",
    "writeup",
    "cover letter",
    "balanced",
    "bullet points",
    "readme",
    "documentation",
    "docs",
    "comment in",
    "reply to",
    "translate",
    "translation",
];

/// Structural domain knowledge (invariants, failure modes, version behaviour, edge cases).
pub const STRUCTURAL: &[&str] = &[
    "race",
    "race condition",
    "concurrent",
    "concurrency",
    "atomic",
    "atomically",
    "idempotent",
    "invariant",
    "edge case",
    "edge cases",
    "deadlock",
    "mutex",
    "lock",
    "locking",
    "ttl",
    "invalidation",
    "backwards compatible",
    "backward compatible",
    "backwards compat",
    "migration",
    "schema",
    "stdin",
    "stdout",
    "streaming",
    "allocation",
    "allocations",
    "complexity",
    "memory leak",
    "thread",
    "threads",
    "async",
    "transaction",
    "fallback",
    "retry",
    "state machine",
    "cross platform",
    "cross browser",
    "mime",
    "cors",
    "inline style",
    "deprecated",
    "trade off",
    "tradeoff",
    "trade offs",
    "payload",
    "refs",
    "blobs",
    "index",
    "hook",
    "hooks",
    "rebase",
    "worktree",
    "worktrees",
    "upstream",
    "fork",
    "trailer",
    "serialization",
    "parser",
    "type issues",
    "types",
    "generics",
    "lifetime",
    "borrow",
    "closure",
    "dependency free",
    "compilation free",
    "worker",
    "rewrites",
    "basepath",
    "strict",
    "unrecognised keys",
    "unknown fields",
    "encoding",
    "utf 8",
    "timezone",
    "precision",
    "overflow",
    "nullable",
    "regex",
    "cache",
    "caching",
    "latency",
    "throughput",
    "subtle",
    "table tests",
    "fixtures",
    "mocks",
    "diffs",
    "octopus merge",
    "squash",
];

/// Targeted verification requests (require knowing what to check).
pub const VERIFY_TARGETED: &[&str] = &[
    "test it with",
    "test with",
    "check that",
    "check whether",
    "check if",
    "verify that",
    "make sure that",
    "assert",
    "reproduce",
    "repro",
    "run the",
    "run it",
    "bench",
    "benchmark",
    "profile",
    "compare against",
    "diff against",
    "look at the logs",
    "the logs",
    "git log",
    "git diff",
    "does it still",
    "did you check",
    "what happens if",
    "what happens when",
    "manually",
    "test this build",
    "testing this build",
    "edge case",
];

/// Generic checks (humility, not expertise).
pub const VERIFY_GENERIC: &[&str] = &[
    "double check",
    "double-check",
    "make sure it works",
    "is everything ok",
    "everything ok",
    "do all the tests pass",
    "check everything",
    "are you sure",
    "is it correct",
];

/// The agent conceding a correction from the user.
pub const AGENT_CONCEDES: &[&str] = &[
    "you're right",
    "you are right",
    "youre right",
    "you're absolutely right",
    "good catch",
    "good point",
    "great point",
    "great catch",
    "my mistake",
    "i apologize",
    "sorry",
    "you're correct",
    "you are correct",
    "that's a good point",
    "fair point",
    "i was wrong",
    "you caught",
];

/// The agent proposing an approach or options: a planning decision by the agent.
pub const AGENT_PROPOSES: &[&str] = &[
    "i recommend",
    "i'd recommend",
    "i would recommend",
    "i suggest",
    "i'd suggest",
    "i propose",
    "my recommendation",
    "recommended approach",
    "recommendation",
    "option 1",
    "option a",
    "approach 1",
    "here's my plan",
    "here's the plan",
    "proposed plan",
    "proposal",
    "two options",
    "a few options",
    "alternatives",
    "the best approach",
    "a better approach",
    "we could",
];

/// The agent correcting the user's domain model.
pub const AGENT_CORRECTS: &[&str] = &[
    "actually",
    "not quite",
    "that's not quite",
    "isn't possible",
    "is not possible",
    "that won't work",
    "that wouldn't work",
    "won't work because",
    "a common misconception",
    "i'd recommend against",
    "i would recommend against",
    "unfortunately that",
];

/// An ending the agent reports as done.
pub const DONE_CLAIMS: &[&str] = &[
    "done",
    "complete",
    "completed",
    "successfully",
    "all tests pass",
    "all tests passing",
    "tests pass",
    "all green",
    "passing",
    "pushed",
    "committed",
    "fixed",
    "implemented",
    "created",
    "updated",
    "added",
    "ready",
];

/// An ending the agent reports as not done.
pub const NOT_DONE_CLAIMS: &[&str] = &[
    "unable to",
    "couldn't",
    "could not",
    "can't",
    "cannot",
    "failed to",
    "not able to",
    "still failing",
    "still fails",
    "blocked",
    "you'll need to",
    "you will need to",
    "i wasn't able",
    "i was not able",
    "didn't work",
    "doesn't work",
    "not working",
    "unfortunately",
    "remaining issue",
    "remains",
    "not yet",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The normalisation and phrase test as first written (char by char through the Unicode
    /// tables, a sorted hash list, a byte-by-byte scan): the reference the faster ones must
    /// agree with.
    fn reference(raw: &str) -> (String, usize, impl Fn(&str) -> bool) {
        let raw = head(raw, SCAN_CAP);
        let mut padded = String::from(" ");
        let mut words = 0;
        let mut in_word = false;
        for c in raw.chars() {
            let c = match c {
                '\u{2019}' | '\u{2018}' => '\'',
                c => c,
            };
            if c.is_alphanumeric() || c == '\'' {
                if !in_word {
                    words += 1;
                    in_word = true;
                }
                padded.extend(c.to_lowercase());
            } else if in_word {
                padded.push(' ');
                in_word = false;
            }
        }
        if !padded.ends_with(' ') {
            padded.push(' ');
        }
        let mut hashes: Vec<u64> = padded
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| word_hash(w.as_bytes()))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        let h = padded.clone();
        let has = move |phrase: &str| {
            let (p, h) = (phrase.as_bytes(), h.as_bytes());
            if p.is_empty() || h.len() < p.len() + 2 {
                return false;
            }
            let first = phrase.split(' ').next().unwrap_or(phrase);
            if hashes.binary_search(&word_hash(first.as_bytes())).is_err() {
                return false;
            }
            if first.len() == phrase.len() {
                return true;
            }
            (1..h.len().saturating_sub(p.len()))
                .any(|s| h[s - 1] == b' ' && &h[s..s + p.len()] == p && h[s + p.len()] == b' ')
        };
        (padded, words, has)
    }

    const LISTS: [&[&str]; 22] = [
        AFFIRM,
        AFFIRM_WEAK,
        COMPLAIN,
        FRUSTRATION,
        PUSHBACK_START,
        PUSHBACK_ANY,
        ACCEPT,
        BROKEN_STRONG,
        BROKEN_WEAK,
        PLAN_WORDS,
        UNDERSTAND_WORDS,
        TEST_WORDS,
        OPS_WORDS,
        ANALYZE_WORDS,
        ORCH_WORDS,
        COMM_WORDS,
        STRUCTURAL,
        VERIFY_TARGETED,
        VERIFY_GENERIC,
        AGENT_CONCEDES,
        AGENT_PROPOSES,
        NOT_DONE_CLAIMS,
    ];

    fn agrees(raw: &str, extra: &[&str]) {
        let n = Norm::new(raw);
        let (padded, words, has) = reference(raw);
        assert_eq!(n.padded, padded, "{raw:?}");
        assert_eq!(n.words, words, "{raw:?}");
        let words_of_text: Vec<&str> = padded.split(' ').filter(|w| !w.is_empty()).collect();
        let pairs: Vec<String> = words_of_text.windows(2).map(|w| w.join(" ")).collect();
        for p in LISTS
            .iter()
            .flat_map(|l| l.iter().copied())
            .chain(extra.iter().copied())
            .chain(words_of_text.iter().copied())
            .chain(pairs.iter().map(String::as_str))
            .chain(["", " ", "a  b", " no", "no ", "still"])
        {
            assert_eq!(n.has(p), has(p), "{raw:?} has {p:?}");
        }
    }

    #[test]
    fn texts_answer_as_their_texts_one_by_one() {
        let raws = [
            "still broken, i said why does it fail",
            "thank you",
            "",
            "Why does the parser fail",
        ];
        let norms: Vec<Norm> = raws.iter().map(|r| Norm::new(r)).collect();
        let t = Texts::new(&norms);
        for list in LISTS
            .iter()
            .chain([&["why does", "parser", "does the", "x", "", "i said"][..]].iter())
        {
            let sum: usize = norms.iter().map(|n| n.count(list)).sum();
            assert_eq!(t.count_sum(list), sum, "{list:?}");
            for p in *list {
                assert_eq!(t.any_has(p), norms.iter().any(|n| n.has(p)), "{p:?}");
            }
            let c = t.candidates(list);
            assert!(list
                .iter()
                .filter(|p| !c.contains(p))
                .all(|p| norms.iter().all(|n| !n.has(p))));
        }
        assert_eq!(Texts::new([]).count_sum(AFFIRM), 0);
    }

    #[test]
    fn faster_matching_agrees_with_the_reference() {
        agrees(
            "No, I don't know why it's still broken! Thank you… ÉCOLE Straße İstanbul ǅ",
            &[],
        );
        agrees(
            "it’s ‘quoted’ — still not working; i said so. I SAID SO",
            &["it's", "i said so"],
        );
        agrees(
            &"why does this fail ".repeat(400),
            &["this fail why", "fail why does"],
        );
        agrees("", &[]);
        agrees("   ", &[]);
    }

    proptest::proptest! {
        #[test]
        fn faster_matching_agrees_on_any_text(raw in "(\\PC|[ a-zA-Z'’]){0,200}", phrase in "[a-z' ]{0,12}") {
            agrees(&raw, &[&phrase]);
        }
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let n = Norm::new("No, I don't know why it's still broken!");
        assert!(n.has("no"));
        assert!(n.has("still broken"));
        assert!(n.has("don't"));
        assert!(!n.has("know why it's still broke"));
        assert!(!n.has("now"));
        assert!(n.starts(&["no"]));
        assert!(!Norm::new("know").has("no"));
        assert_eq!(n.words, 8);
    }

    #[test]
    fn tech_tokens_see_code_shaped_words() {
        let t = tech_tokens(
            "set `group.visible` in applyFilters via vis_timeline --strict, v3.2 and see a/b.py",
        );
        assert_eq!(t.backticks, 1);
        assert!(t.identifiers >= 2, "{t:?}");
        assert_eq!(t.flags, 1);
        assert_eq!(t.versions, 1);
        assert_eq!(t.paths, 1);
        let plain = tech_tokens("please make the page look nicer.");
        assert_eq!(plain.named(), 0);
    }

    #[test]
    fn head_respects_char_boundaries() {
        assert_eq!(head("héllo", 2), "h");
        assert_eq!(head("abc", 10), "abc");
    }
}
