//! Secrets and personal data out of any text that could leave the machine or be stored.
//!
//! One combined regular expression scans the text once (leftmost match wins; among rules that
//! match at the same position, the first listed wins, so specific token formats come before
//! generic ones). Each match is checked by a small validator that rejects look-alikes (version
//! numbers that look like IPs, `icon@2x.png` that looks like an e-mail, …) and is replaced by a
//! `[REDACTED:<kind>]` marker, or, for home directories, by `<user>`. Markers never match a rule
//! again, so redaction is idempotent.
//!
//! The token rules are written from the providers' documented formats (prefixes and lengths);
//! see `docs/LLM.md` for the list. No maintained crate covered home-directory names and
//! provider tokens together, so the rules live here on top of `regex`.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What kind of thing was redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    PrivateKey,
    AnthropicKey,
    OpenAiKey,
    GitHubToken,
    GitLabToken,
    SlackToken,
    AwsAccessKey,
    AwsSecretKey,
    GoogleApiKey,
    StripeKey,
    HuggingFaceToken,
    NpmToken,
    /// Other providers' documented token formats (PyPI, SendGrid, DigitalOcean, …) and bearer
    /// tokens.
    OtherToken,
    /// A value assigned to a key named like a secret (`password = "…"`, `API_TOKEN=…`).
    Secret,
    UrlPassword,
    Jwt,
    Email,
    Ipv4,
    Ipv6,
    Phone,
    /// A payment card number (Luhn-checked, issuer prefixes).
    Card,
    /// A US social security number.
    Ssn,
    /// An IBAN (ISO 13616 checksum).
    Iban,
    /// A postal address: a numbered street with a street-type word, or a UK postcode.
    Address,
    /// A user name in a home directory path (`/Users/NAME`, `/home/NAME`, `C:\Users\NAME`).
    HomeUser,
    /// A user name supplied by the caller (e.g. taken from the session's home directory),
    /// found anywhere in the text.
    KnownName,
}

impl Kind {
    pub const COUNT: usize = 26;
    pub const ALL: [Kind; Kind::COUNT] = [
        Kind::PrivateKey,
        Kind::AnthropicKey,
        Kind::OpenAiKey,
        Kind::GitHubToken,
        Kind::GitLabToken,
        Kind::SlackToken,
        Kind::AwsAccessKey,
        Kind::AwsSecretKey,
        Kind::GoogleApiKey,
        Kind::StripeKey,
        Kind::HuggingFaceToken,
        Kind::NpmToken,
        Kind::OtherToken,
        Kind::Secret,
        Kind::UrlPassword,
        Kind::Jwt,
        Kind::Email,
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::Phone,
        Kind::Card,
        Kind::Ssn,
        Kind::Iban,
        Kind::Address,
        Kind::HomeUser,
        Kind::KnownName,
    ];

    /// Stable snake-case name, used in markers and counts.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PrivateKey => "private_key",
            Kind::AnthropicKey => "anthropic_key",
            Kind::OpenAiKey => "openai_key",
            Kind::GitHubToken => "github_token",
            Kind::GitLabToken => "gitlab_token",
            Kind::SlackToken => "slack_token",
            Kind::AwsAccessKey => "aws_access_key",
            Kind::AwsSecretKey => "aws_secret_key",
            Kind::GoogleApiKey => "google_api_key",
            Kind::StripeKey => "stripe_key",
            Kind::HuggingFaceToken => "huggingface_token",
            Kind::NpmToken => "npm_token",
            Kind::OtherToken => "token",
            Kind::Secret => "secret",
            Kind::UrlPassword => "url_password",
            Kind::Jwt => "jwt",
            Kind::Email => "email",
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Phone => "phone",
            Kind::Card => "card",
            Kind::Ssn => "ssn",
            Kind::Iban => "iban",
            Kind::Address => "address",
            Kind::HomeUser => "home_user",
            Kind::KnownName => "name",
        }
    }

    fn index(self) -> usize {
        Kind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }

    /// The text that replaces a redacted value.
    pub fn marker(self) -> &'static str {
        match self {
            Kind::HomeUser | Kind::KnownName => "<user>",
            _ => MARKERS[self.index()],
        }
    }
}

const MARKERS: [&str; Kind::COUNT] = [
    "[REDACTED:private_key]",
    "[REDACTED:anthropic_key]",
    "[REDACTED:openai_key]",
    "[REDACTED:github_token]",
    "[REDACTED:gitlab_token]",
    "[REDACTED:slack_token]",
    "[REDACTED:aws_access_key]",
    "[REDACTED:aws_secret_key]",
    "[REDACTED:google_api_key]",
    "[REDACTED:stripe_key]",
    "[REDACTED:huggingface_token]",
    "[REDACTED:npm_token]",
    "[REDACTED:token]",
    "[REDACTED:secret]",
    "[REDACTED:url_password]",
    "[REDACTED:jwt]",
    "[REDACTED:email]",
    "[REDACTED:ipv4]",
    "[REDACTED:ipv6]",
    "[REDACTED:phone]",
    "[REDACTED:card]",
    "[REDACTED:ssn]",
    "[REDACTED:iban]",
    "[REDACTED:address]",
    "<user>",
    "<user>",
];

/// How many values of each kind were redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts([u32; Kind::COUNT]);

impl Counts {
    pub fn get(&self, k: Kind) -> u32 {
        self.0[k.index()]
    }
    pub fn total(&self) -> u32 {
        self.0.iter().sum()
    }
    pub fn add(&mut self, other: &Counts) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b;
        }
    }
    /// Non-zero counts, in `Kind::ALL` order.
    pub fn iter(&self) -> impl Iterator<Item = (Kind, u32)> + '_ {
        Kind::ALL
            .iter()
            .map(|k| (*k, self.get(*k)))
            .filter(|(_, n)| *n > 0)
    }
    fn bump(&mut self, k: Kind) {
        self.0[k.index()] += 1;
    }
}

/// Redacted text and what was taken out of it.
#[derive(Debug, Clone)]
pub struct Redacted<'a> {
    pub text: Cow<'a, str>,
    pub counts: Counts,
}

/// A rule: its kind, its pattern (a `(?P<V>…)` group, when present, is the part replaced;
/// otherwise the whole match), and a validator that can reject a look-alike.
struct Rule {
    kind: Kind,
    pattern: &'static str,
    valid: fn(&str, usize, usize) -> bool,
}

fn any(_: &str, _: usize, _: usize) -> bool {
    true
}

/// Random tokens mix letters and digits; identifiers like `sk-learn-tutorial-notebook` don't.
fn mixed(t: &str, s: usize, e: usize) -> bool {
    let v = &t[s..e];
    v.bytes().any(|b| b.is_ascii_digit()) && v.bytes().any(|b| b.is_ascii_alphabetic())
}

fn not_followed_by_b64(t: &str, s: usize, e: usize) -> bool {
    let next = t.as_bytes().get(e).copied();
    let ok_next = !matches!(next, Some(b) if b.is_ascii_alphanumeric() || b == b'/' || b == b'+');
    let v = &t[s..e];
    ok_next
        && v.bytes()
            .any(|b| b.is_ascii_digit() || b == b'/' || b == b'+')
        && v.bytes().any(|b| b.is_ascii_uppercase())
        && v.bytes().any(|b| b.is_ascii_lowercase())
}

/// A secret-named value, unless it is a placeholder, a variable reference or a marker.
fn secret_value(t: &str, s: usize, e: usize) -> bool {
    let v = &t[s..e];
    let lower = v.to_ascii_lowercase();
    if v.starts_with("[REDACTED") || v.starts_with('<') || v.starts_with('$') || v.starts_with('{')
    {
        return false;
    }
    const PLACEHOLDERS: [&str; 10] = [
        "xxx",
        "***",
        "...",
        "your",
        "changeme",
        "example",
        "placeholder",
        "redacted",
        "dummy",
        "process.env",
    ];
    if PLACEHOLDERS.iter().any(|p| lower.contains(p))
        || matches!(lower.as_str(), "password" | "secret")
    {
        return false;
    }
    let first = v.as_bytes()[0];
    !v.bytes().all(|b| b == first)
}

fn url_password(t: &str, s: usize, e: usize) -> bool {
    let v = &t[s..e];
    !v.starts_with("[REDACTED") && !v.starts_with('$') && !v.starts_with('<') && !v.starts_with('{')
}

const FILE_EXTS: [&str; 16] = [
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "js", "ts", "css", "json", "md", "txt",
    "rs", "py", "html",
];

fn email(t: &str, s: usize, e: usize) -> bool {
    let v = &t[s..e];
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    let tld = domain.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    if FILE_EXTS.contains(&tld.as_str()) {
        return false;
    }
    // SSH remotes (`git@github.com`) and the agent's own co-author trailer are not people.
    !(local == "git" || v.eq_ignore_ascii_case("noreply@anthropic.com"))
}

fn ipv4(t: &str, s: usize, e: usize) -> bool {
    let b = t.as_bytes();
    // Part of a longer dotted number (a version like 1.2.3.4.5) is not an address.
    if s > 0 && (b[s - 1] == b'.' || b[s - 1].is_ascii_digit()) {
        return false;
    }
    if e + 1 < b.len() && b[e] == b'.' && b[e + 1].is_ascii_digit() {
        return false;
    }
    let v = &t[s..e];
    !matches!(
        v,
        "127.0.0.1" | "0.0.0.0" | "255.255.255.255" | "255.255.255.0"
    )
}

fn ipv6(t: &str, s: usize, e: usize) -> bool {
    let v = &t[s..e];
    if v.parse::<std::net::Ipv6Addr>().is_err() {
        return false;
    }
    // `a::b` is a path in many languages; real addresses written out have at least 3 groups.
    let groups = v.split(':').filter(|g| !g.is_empty()).count();
    groups >= 3 && v.bytes().any(|b| b.is_ascii_digit())
}

fn phone(t: &str, s: usize, e: usize) -> bool {
    let b = t.as_bytes();
    if s > 0 && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'.' | b'-' | b'/' | b'_'))
    {
        return false;
    }
    if e < b.len() && (b[e].is_ascii_alphanumeric() || matches!(b[e], b'.' | b'-' | b'_')) {
        return false;
    }
    let digits = t[s..e].bytes().filter(u8::is_ascii_digit).count();
    (10..=15).contains(&digits) || (t[s..e].starts_with('+') && (8..=15).contains(&digits))
}

/// Card numbers: 13–19 digits with consistent separators, a known issuer prefix and a valid
/// Luhn checksum.
fn card(t: &str, s: usize, e: usize) -> bool {
    let b = t.as_bytes();
    if s > 0 && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'.' | b'-' | b'_')) {
        return false;
    }
    if e < b.len() && (b[e].is_ascii_alphanumeric() || matches!(b[e], b'_')) {
        return false;
    }
    let v = &t[s..e];
    let digits: Vec<u8> = v
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|d| d - b'0')
        .collect();
    if !(13..=19).contains(&digits.len()) || digits.iter().all(|d| *d == digits[0]) {
        return false;
    }
    let seps: Vec<u8> = v.bytes().filter(|c| !c.is_ascii_digit()).collect();
    if seps.windows(2).any(|w| w[0] != w[1]) {
        return false;
    }
    let prefix_ok = matches!(
        (digits[0], digits[1]),
        (4, _) | (5, 1..=5) | (2, 2..=7) | (3, 4) | (3, 7) | (3, 5) | (6, _)
    );
    prefix_ok && luhn(&digits)
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// SSNs: area not 000, 666 or 9xx; group not 00; serial not 0000.
fn ssn(t: &str, s: usize, e: usize) -> bool {
    let b = t.as_bytes();
    if s > 0 && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'-' | b'.')) {
        return false;
    }
    if e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b'-') {
        return false;
    }
    let v: Vec<&str> = t[s..e].split(['-', ' ']).collect();
    if v.len() != 3 {
        return false;
    }
    !(v[0] == "000" || v[0] == "666" || v[0].starts_with('9') || v[1] == "00" || v[2] == "0000")
}

/// IBANs: 15–34 characters, the ISO 13616 mod-97 checksum.
fn iban(t: &str, s: usize, e: usize) -> bool {
    let v: Vec<u8> = t[s..e].bytes().filter(|c| *c != b' ').collect();
    if !(15..=34).contains(&v.len()) {
        return false;
    }
    let mut rearranged = v[4..].to_vec();
    rearranged.extend_from_slice(&v[..4]);
    let mut rem: u32 = 0;
    for c in rearranged {
        let n = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if n >= 10 {
            (rem * 100 + n) % 97
        } else {
            (rem * 10 + n) % 97
        };
    }
    rem == 1
}

/// An unquoted value after a secret-named key: rejected when it reads like code (a type, a
/// call, a variable or attribute without digits) or a placeholder.
fn unquoted_secret(t: &str, s: usize, e: usize) -> bool {
    let v = t[s..e].trim_end_matches([',', ';', ')', '.']);
    if v.len() < 4 || !secret_value(t, s, s + v.len()) {
        return false;
    }
    if v.contains('(') || v.contains('[') || v.starts_with('%') || v.starts_with('@') {
        return false;
    }
    const CODE: [&str; 12] = [
        "str",
        "string",
        "none",
        "null",
        "true",
        "false",
        "bool",
        "int",
        "optional",
        "self",
        "undefined",
        "required",
    ];
    let lower = v.to_ascii_lowercase();
    if CODE
        .iter()
        .any(|c| lower == *c || lower.starts_with(&format!("{c}.")))
    {
        return false;
    }
    let identifier = v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':'));
    let has_digit = v.bytes().any(|b| b.is_ascii_digit());
    // `token = next_token`, `password: settings.DB_PASSWORD` are code; `hunter2`, `S3cr3t!`
    // and anything with other punctuation are values.
    !identifier || has_digit
}

/// North-American numbers written with spaces: area and exchange codes start with 2–9.
fn phone_spaced(t: &str, s: usize, e: usize) -> bool {
    let digits: Vec<u8> = t[s..e].bytes().filter(u8::is_ascii_digit).collect();
    digits.len() == 10 && digits[0] >= b'2' && digits[3] >= b'2' && phone(t, s, e)
}

fn home_user(t: &str, s: usize, e: usize) -> bool {
    !matches!(
        &t[s..e],
        "Shared" | "Public" | "Default" | "All Users" | "Default User"
    )
}

static RULES: &[Rule] = &[
    Rule {
        kind: Kind::PrivateKey,
        pattern: r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
        valid: any,
    },
    Rule {
        kind: Kind::AnthropicKey,
        pattern: r"\bsk-ant-[A-Za-z0-9_-]{20,}",
        valid: any,
    },
    Rule {
        kind: Kind::OpenAiKey,
        pattern: r"\bsk-(?:proj-|svcacct-|admin-)?(?P<V>[A-Za-z0-9_-]{20,})",
        valid: mixed,
    },
    Rule {
        kind: Kind::GitHubToken,
        pattern: r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b",
        valid: any,
    },
    Rule {
        kind: Kind::GitLabToken,
        pattern: r"\bgl(?:pat|dt|ptt|rt|cbt|oas|ft|imt|agent|soat)-[A-Za-z0-9_.-]{20,}",
        valid: any,
    },
    Rule {
        kind: Kind::SlackToken,
        pattern: r"\bxox[abprse]-[A-Za-z0-9-]{10,}|\bxapp-[0-9]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{20,}",
        valid: any,
    },
    Rule {
        kind: Kind::AwsAccessKey,
        pattern: r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
        valid: any,
    },
    Rule {
        kind: Kind::AwsSecretKey,
        pattern: r#"(?i:secret)[A-Za-z0-9_.-]*["']?\s*[:=]\s*["']?(?P<V>[A-Za-z0-9/+]{40})"#,
        valid: not_followed_by_b64,
    },
    Rule {
        kind: Kind::GoogleApiKey,
        pattern: r"\bAIza[0-9A-Za-z_-]{35}",
        valid: any,
    },
    Rule {
        kind: Kind::StripeKey,
        pattern: r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}|\bwhsec_[0-9A-Za-z]{24,}",
        valid: any,
    },
    Rule {
        kind: Kind::HuggingFaceToken,
        pattern: r"\b(?:hf|api_org)_[A-Za-z0-9]{30,}",
        valid: mixed,
    },
    Rule {
        kind: Kind::NpmToken,
        pattern: r"\bnpm_[A-Za-z0-9]{36}\b",
        valid: any,
    },
    Rule {
        kind: Kind::OtherToken,
        pattern: concat!(
            r"\bpypi-AgE[A-Za-z0-9_-]{50,}",
            r"|\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
            r"|\bdo[por]_v1_[a-f0-9]{64}\b",
            r"|\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b",
            r"|\bgsk_[A-Za-z0-9]{48,}",
            r"|\bxai-[A-Za-z0-9]{70,}",
            r"|\br8_[A-Za-z0-9]{37}\b",
            r"|\bdapi[a-f0-9]{32}\b",
            r"|\blin_api_[A-Za-z0-9]{40}\b",
            r"|\bATATT3[A-Za-z0-9_=-]{100,}",
            r"|\bglc_[A-Za-z0-9+/]{32,}={0,2}",
            r"|(?i:authorization:\s*bearer|\bbearer)\s+(?P<V>[A-Za-z0-9._~+/-]{20,}=*)"
        ),
        valid: any,
    },
    Rule {
        kind: Kind::OtherToken,
        pattern: concat!(
            r"\bya29\.[0-9A-Za-z_-]{20,}",
            r"|(?i:authorization)\\?[\x22']?\s*[:=]\s*\\?[\x22']?(?i:basic)\s+(?P<V>[A-Za-z0-9+/]{8,}=*)"
        ),
        valid: any,
    },
    Rule {
        kind: Kind::Secret,
        pattern: concat!(
            // Azure connection strings, API-key headers, docker config `auth`, URL key params.
            r"(?i:AccountKey|SharedAccessKey|SharedAccessSignature)=(?P<V>[A-Za-z0-9+/%=]{16,})",
            r"|(?i:x-api-key|api-key|x-auth-token|x-access-token|x-goog-api-key)[\x22']?\s*[:=]\s*[\x22']?(?P<V>[A-Za-z0-9._~+/=-]{8,})",
            r#"|"auth\\?"\s*:\s*\\?"(?P<V>[A-Za-z0-9+/=]{8,})"#,
            r"|[?&](?i:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|token|secret|password|passwd|client[_-]?secret|sig|signature|key)=(?P<V>[^&\s\x22'#<>]{6,})",
            // `.netrc`, mysql -pX, --password X
            r"|(?i:\blogin\s+\S+\s+password)\s+(?P<V>\S{3,})",
            r"|\bmysql(?:dump|admin|sh)?\b[^\n|;&]*?\s-p(?P<V>[^\s'\x22-][^\s'\x22]{2,})",
            r"|--(?i:password|passwd|pass|db-password|token|api-key|apikey|secret|client-secret)(?:=|\s+)(?P<V>[^\s'\x22-][^\s'\x22]{2,})",
        ),
        valid: unquoted_secret,
    },
    Rule {
        kind: Kind::Secret,
        pattern: concat!(
            r#"(?i:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|client[_-]?secret|credentials?|private[_-]?key(?:[_-]?id)?)"#,
            r#"[A-Za-z0-9_]*\\?["']?\s*[:=]\s*\\?["'](?P<V>[^\s"'`\\]{8,})\\?["']"#,
            r#"|\b[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY)[A-Z0-9_]*=(?P<V>[^\s"'`$]{6,})"#
        ),
        valid: secret_value,
    },
    Rule {
        kind: Kind::Secret,
        // Unquoted values in YAML, .env, INI, TOML-ish and connection strings:
        // `password: x`, `db_password=x`, `Password=x;`.
        pattern: r"(?i:[A-Za-z0-9_]*(?:pass(?:word|wd)|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|private[_-]?key(?:[_-]?id)?))[\x22']?[ \t]*[:=][ \t]*(?P<V>[^\s\x22'`;,]{4,})",
        valid: unquoted_secret,
    },
    Rule {
        kind: Kind::UrlPassword,
        pattern: r#"\b[A-Za-z][A-Za-z0-9+.-]+://[^\s:/@"'<>]+:(?P<V>[^\s/@"'<>]+)@"#,
        valid: url_password,
    },
    Rule {
        kind: Kind::Jwt,
        pattern: r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
        valid: any,
    },
    Rule {
        kind: Kind::Email,
        pattern: r"\b[A-Za-z0-9_][A-Za-z0-9._%+_-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b",
        valid: email,
    },
    Rule {
        kind: Kind::Ipv6,
        pattern: r"(?i:\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,7}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6}\b)?|::[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){1,6}\b)",
        valid: ipv6,
    },
    Rule {
        kind: Kind::Ipv4,
        pattern: r"\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\b",
        valid: ipv4,
    },
    Rule {
        kind: Kind::Card,
        pattern: r"\b[2-6][0-9]{3}(?:[ -]?[0-9]{4}){2}[ -]?[0-9]{1,4}(?:[ -]?[0-9]{1,3})?\b|\b3[47][0-9]{2}[ -]?[0-9]{6}[ -]?[0-9]{5}\b",
        valid: card,
    },
    Rule {
        kind: Kind::Ssn,
        pattern: r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b",
        valid: ssn,
    },
    Rule {
        kind: Kind::Iban,
        pattern: r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
        valid: iban,
    },
    Rule {
        kind: Kind::Address,
        pattern: concat!(
            r"\b[1-9][0-9]{0,5} (?:[A-Z][a-z]+ ){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|Way|Square|Sq|Strasse|Straße)\b\.?",
            r"|\b(?:[A-Z][a-z]+(?:straße|strasse|weg|gasse|platz)) [1-9][0-9]{0,3}[a-z]?\b",
            r"|\b(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) [0-9][ABD-HJLNP-UW-Z]{2}\b"
        ),
        valid: any,
    },
    Rule {
        kind: Kind::Phone,
        pattern: r"\+[1-9][0-9]{7,14}\b|\b00[1-9][0-9]{0,2}[ .-]?[0-9]{2,4}(?:[ .-]?[0-9]{2,4}){2,4}\b",
        valid: phone,
    },
    Rule {
        kind: Kind::Phone,
        pattern: r"\(?\b[2-9][0-9]{2}\)? [2-9][0-9]{2} [0-9]{4}\b",
        valid: phone_spaced,
    },
    Rule {
        kind: Kind::Phone,
        pattern: r"\+[1-9][0-9]{0,2}[ .-]?(?:\([0-9]{1,4}\)[ .-]?)?[0-9]{1,4}(?:[ .-]?[0-9]{2,4}){1,4}|(?:\([0-9]{3}\) ?|\b[0-9]{3}[.-])[0-9]{3}[.-][0-9]{4}\b",
        valid: phone,
    },
    Rule {
        kind: Kind::HomeUser,
        pattern: r#"(?:/Users/|/home/|\b[A-Za-z]:(?:\\\\|\\|/)(?i:Users|Documents and Settings)(?:\\\\|\\|/))(?P<V>[^/\\\s<>"'`:*?|()\[\]{},;]+)"#,
        valid: home_user,
    },
];

struct Compiled {
    re: Regex,
    /// Per rule: the outer group index and the indices of its `V` groups.
    groups: Vec<(usize, Vec<usize>)>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut src = String::new();
    for (i, r) in RULES.iter().enumerate() {
        if i > 0 {
            src.push('|');
        }
        // ASCII word boundaries keep the lazy DFA usable on non-ASCII text.
        let mut p = r.pattern.replace(r"\b", r"(?-u:\b)");
        let mut j = 0;
        while let Some(pos) = p.find("(?P<V>") {
            p.replace_range(pos..pos + 6, &format!("(?P<v{i}_{j}>"));
            j += 1;
        }
        src.push_str(&format!("(?P<r{i}>{p})"));
    }
    // The lazy DFA of ~30 combined rules outgrows the default 2 MiB cache on real transcripts
    // and is then rebuilt again and again (measured: 24 MB/s at 2 MiB, 87 MB/s at 4 MiB, no
    // better at 16 MiB); the cache is per thread and grows only as needed.
    let re = regex::RegexBuilder::new(&src)
        .dfa_size_limit(4 << 20)
        .build()
        .expect("redaction rules compile");
    let names: Vec<Option<&str>> = re.capture_names().collect();
    let groups = (0..RULES.len())
        .map(|i| {
            let outer = names
                .iter()
                .position(|n| *n == Some(&format!("r{i}")))
                .unwrap_or(0);
            let prefix = format!("v{i}_");
            let inner = names
                .iter()
                .enumerate()
                .filter(|(_, n)| n.is_some_and(|n| n.starts_with(&prefix)))
                .map(|(k, _)| k)
                .collect();
            (outer, inner)
        })
        .collect();
    Compiled { re, groups }
});

/// Redact `text` with the built-in rules.
pub fn redact(text: &str) -> Redacted<'_> {
    Redactor::default().redact(text)
}

/// A redactor that also removes caller-supplied names (the session owner's user name, taken
/// from the home directory in the session's working directory) wherever they appear.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    names: Option<Regex>,
}

/// Account names that are not personal and are also ordinary words in transcripts.
const NOT_PERSONAL: [&str; 16] = [
    "root", "admin", "user", "users", "dev", "ubuntu", "runner", "vagrant", "test", "home",
    "shared", "public", "default", "guest", "ec2-user", "app",
];

impl Redactor {
    /// Build a redactor that also replaces each of `names` (whole words, any case) with
    /// `<user>`. Names shorter than 3 characters or generic account names are ignored.
    pub fn with_names<I: IntoIterator<Item = S>, S: AsRef<str>>(names: I) -> Redactor {
        let mut alts: Vec<String> = names
            .into_iter()
            .map(|n| n.as_ref().trim().to_string())
            .filter(|n| n.chars().count() >= 3)
            .filter(|n| !NOT_PERSONAL.contains(&n.to_ascii_lowercase().as_str()))
            .map(|n| regex::escape(&n))
            .collect();
        alts.sort();
        alts.dedup();
        if alts.is_empty() {
            return Redactor { names: None };
        }
        let src = format!(r"(?i)(?-u:\b)(?:{})(?-u:\b)", alts.join("|"));
        Redactor {
            names: Regex::new(&src).ok(),
        }
    }

    /// User names that appear as home directories in `text` (for [`Redactor::with_names`]).
    pub fn home_names(text: &str) -> Vec<String> {
        let c = &*COMPILED;
        let home = RULES
            .iter()
            .position(|r| r.kind == Kind::HomeUser)
            .unwrap_or(0);
        let mut out = Vec::new();
        for caps in c.re.captures_iter(text) {
            for &g in &c.groups[home].1 {
                if let Some(m) = caps.get(g) {
                    let name = m.as_str().trim_end_matches(['.', '!', '?']);
                    if !name.is_empty() && home_user(text, m.start(), m.start() + name.len()) {
                        out.push(name.to_string());
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Redact `text`. Returns the input borrowed when nothing matched. Evasions are undone
    /// first ([`normalise`]): the rules see NFKC text without zero-width characters and with
    /// `%40`, `\u0040` and `&#64;` read as `@`.
    pub fn redact<'a>(&self, text: &'a str) -> Redacted<'a> {
        match normalise(text) {
            Cow::Borrowed(t) => self.redact_normalised(t),
            Cow::Owned(n) => {
                let r = self.redact_normalised(&n);
                Redacted {
                    text: Cow::Owned(r.text.into_owned()),
                    counts: r.counts,
                }
            }
        }
    }

    fn redact_normalised<'a>(&self, text: &'a str) -> Redacted<'a> {
        let mut counts = Counts::default();
        let first = redact_rules(text, &mut counts);
        let text = match (&self.names, first) {
            (Some(re), Cow::Borrowed(t)) => names_pass(re, t, &mut counts),
            (Some(re), Cow::Owned(t)) => Cow::Owned(names_pass(re, &t, &mut counts).into_owned()),
            (None, t) => t,
        };
        Redacted { text, counts }
    }

    /// Redact and return an owned string, adding to `counts`.
    pub fn redact_into(&self, text: &str, counts: &mut Counts) -> String {
        let r = self.redact(text);
        counts.add(&r.counts);
        r.text.into_owned()
    }
}

/// Characters that render as nothing and can split a token so no rule sees it.
fn zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
    )
}

/// NFKC of one character when that is a single ASCII character (fullwidth `Ａ` and `＠`,
/// mathematical `𝐚`, circled or small forms, …); anything else is kept, so typographic
/// characters such as `…` or `→` in the rendering stay as they are.
fn fold(c: char) -> char {
    use unicode_normalization::UnicodeNormalization;
    let mut it = std::iter::once(c).nfkc();
    match (it.next(), it.next()) {
        (Some(a), None) if a.is_ascii() && !a.is_ascii_control() => a,
        _ => c,
    }
}

/// Undo the evasions a rule would miss: Unicode compatibility forms folded ([`fold`]: NFKC
/// where it gives one ASCII character — fullwidth `＠` and letters, …), zero-width characters
/// removed, and the encoded `@` forms
/// `%40`, `\u0040` and `&#64;` decoded. ASCII text without those encodings is returned
/// borrowed (the common case, no copy); lines that are pure ASCII are never re-encoded.
pub fn normalise(text: &str) -> Cow<'_, str> {
    // The JSON-escaped `\\u0040` first, so it does not leave a backslash before the `@`.
    const AT: [&str; 5] = ["\\\\u0040", "%40", "\\u0040", "&#64;", "\\u{40}"];
    let encoded_at = AT.iter().any(|p| text.contains(p));
    if text.is_ascii() && !encoded_at {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    if text.is_ascii() {
        out.push_str(text);
    } else {
        for line in text.split_inclusive('\n') {
            if line.is_ascii() {
                out.push_str(line);
            } else {
                for c in line.chars() {
                    if c.is_ascii() {
                        out.push(c);
                    } else if !zero_width(c) {
                        out.push(fold(c));
                    }
                }
            }
        }
    }
    if encoded_at {
        for p in AT {
            if out.contains(p) {
                out = out.replace(p, "@");
            }
        }
    }
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

/// Names that a transcript itself reveals, for [`Redactor::with_names`]: home-directory users,
/// git author and committer names (`Author: Jane Doe <jdoe@…>`, `Signed-off-by:`,
/// `Co-authored-by:`, `user.name "…"`) with their e-mail local parts, and the local parts of
/// `user.email`. Full names are returned whole and as their capitalised parts of 4+ letters.
pub fn revealed_names(text: &str) -> Vec<String> {
    static GIT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"(?m)(?:Author|Commit|Committer|Signed-off-by|Co-authored-by|Reviewed-by):[ \t]*",
            r"(?P<n>[A-Z][A-Za-z'.-]+(?: [A-Z][A-Za-z'.-]+){0,3})[ \t]*<(?P<l>[^>@\s]+)@",
            r#"|user\.name[ \t=]+["']?(?P<n2>[A-Za-z][A-Za-z'. -]{2,40}?)["']?[ \t]*(?:$|\n|;|&)"#,
            r#"|user\.email[ \t=]+["']?(?P<l2>[A-Za-z0-9._+-]{3,})@"#,
        ))
        .expect("names regex compiles")
    });
    let mut out = Redactor::home_names(text);
    let not_names = [
        "Claude",
        "Anthropic",
        "GitHub",
        "Bot",
        "Actions",
        "Noreply",
        "Dependabot",
    ];
    for c in GIT.captures_iter(text) {
        for g in ["n", "n2"] {
            if let Some(m) = c.name(g) {
                let full = m.as_str().trim();
                if not_names.iter().any(|n| full.contains(n)) {
                    continue;
                }
                out.push(full.to_string());
                out.extend(
                    full.split(' ')
                        .filter(|p| p.len() >= 4 && p.starts_with(|c: char| c.is_ascii_uppercase()))
                        .map(str::to_string),
                );
            }
        }
        for g in ["l", "l2"] {
            if let Some(m) = c.name(g) {
                let l = m.as_str();
                if l.len() >= 3 && !l.eq_ignore_ascii_case("noreply") && !l.contains("noreply") {
                    out.push(l.to_string());
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn names_pass<'a>(re: &Regex, text: &'a str, counts: &mut Counts) -> Cow<'a, str> {
    let mut n = 0;
    let out = re.replace_all(text, |_: &regex::Captures| {
        n += 1;
        "<user>"
    });
    for _ in 0..n {
        counts.bump(Kind::KnownName);
    }
    out
}

fn redact_rules<'a>(text: &'a str, counts: &mut Counts) -> Cow<'a, str> {
    let c = &*COMPILED;
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `text` already accounted for in `out`
    let mut pos = 0;
    while pos <= text.len() {
        let Some(caps) = c.re.captures_at(text, pos) else {
            break;
        };
        let whole = caps.get(0).expect("group 0 always matches");
        let Some(ri) = (0..RULES.len()).find(|&i| caps.get(c.groups[i].0).is_some()) else {
            break;
        };
        let rule = &RULES[ri];
        let (s, mut e) = match c.groups[ri].1.iter().find_map(|&g| caps.get(g)) {
            Some(v) => (v.start(), v.end()),
            None => (whole.start(), whole.end()),
        };
        if rule.kind == Kind::PrivateKey {
            e = private_key_end(text, e);
        }
        let next = if whole.end() > whole.start() {
            whole.end().max(e)
        } else {
            whole.end() + 1
        };
        if s >= copied && (rule.valid)(text, s, e) {
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
            buf.push_str(&text[copied..s]);
            buf.push_str(rule.kind.marker());
            copied = e;
            counts.bump(rule.kind);
            pos = next.max(e);
        } else {
            // Rejected look-alike: resume just after its start so an overlapping real match
            // (e.g. an e-mail inside a rejected token) is still found.
            pos = next_char(text, whole.start());
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut buf) => {
            buf.push_str(&text[copied..]);
            Cow::Owned(buf)
        }
    }
}

fn next_char(text: &str, i: usize) -> usize {
    let mut j = i + 1;
    while j < text.len() && !text.is_char_boundary(j) {
        j += 1;
    }
    j
}

/// End of a private key block whose header ends at `header_end`: the matching `-----END …-----`
/// line, or, when the block was cut off, the end of the base64 body.
fn private_key_end(text: &str, header_end: usize) -> usize {
    let rest = &text[header_end..];
    if let Some(i) = rest.find("-----END") {
        let after = header_end + i + 8;
        if let Some(j) = text[after..].find("-----") {
            if j < 80 {
                return after + j + 5;
            }
        }
        return after;
    }
    // No footer: consume the base64 body, with real or JSON-escaped newlines.
    let b = text.as_bytes();
    let mut k = header_end;
    while k < b.len() {
        let ch = b[k];
        if ch.is_ascii_alphanumeric() || matches!(ch, b'+' | b'/' | b'=' | b'\n' | b'\r') {
            k += 1;
        } else if ch == b'\\' && matches!(b.get(k + 1), Some(b'n' | b'r')) {
            k += 2;
        } else {
            break;
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        redact(s).text.into_owned()
    }

    #[test]
    fn provider_tokens_are_redacted() {
        let cases = [
            ("key sk-ant-api03-AbCdEf0123456789AbCdEf0123456789xyz_-QQ end", Kind::AnthropicKey),
            ("sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34", Kind::OpenAiKey),
            ("sk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90", Kind::OpenAiKey),
            ("ghp_0123456789abcdefghijABCDEFGHIJ012345", Kind::GitHubToken),
            ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", Kind::GitHubToken),
            ("glpat-xYz0123456789abcdefGH", Kind::GitLabToken),
            ("xoxb-1234567890-0987654321-AbCdEfGhIj", Kind::SlackToken),
            ("AKIAIOSFODNN7EXAMPLE", Kind::AwsAccessKey),
            ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Kind::AwsSecretKey),
            ("AIzaSyA1234567890abcdefghijklmnopqrstuv", Kind::GoogleApiKey),
            ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", Kind::StripeKey),
            ("hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", Kind::HuggingFaceToken),
            ("npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", Kind::NpmToken),
            ("Authorization: Bearer abcDEF0123456789ghiJKLmnop", Kind::OtherToken),
            ("DB_PASSWORD=hunter2xyz", Kind::Secret),
            ("password: \"s3cr3t-Pa55\"", Kind::Secret),
            ("postgres://app:pa55w0rd@db.internal:5432/x", Kind::UrlPassword),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                Kind::Jwt,
            ),
            ("mail jane.doe+x@example.co.uk now", Kind::Email),
            ("from john_doe@corp.io", Kind::Email),
            ("password: \"Password123!\"", Kind::Secret),
            ("host 203.0.113.42 up", Kind::Ipv4),
            ("addr 2001:db8:85a3::8a2e:370:7334 up", Kind::Ipv6),
            ("call +44 20 7946 0958 now", Kind::Phone),
            ("call (415) 555-0132 now", Kind::Phone),
            ("cd /Users/janedoe/src", Kind::HomeUser),
            ("cd /home/jdoe/src", Kind::HomeUser),
            (r"C:\Users\JaneD\repo", Kind::HomeUser),
        ];
        for (text, kind) in cases {
            let out = redact(text);
            assert_eq!(
                out.counts.get(kind),
                1,
                "{kind:?} not found in {text:?}: {}",
                out.text
            );
            assert!(out.text.contains(kind.marker()), "{text:?} -> {}", out.text);
            // Idempotent.
            let again = redact(&out.text);
            assert_eq!(again.text, out.text);
            assert_eq!(
                again.counts.total(),
                0,
                "{text:?} re-redacted: {}",
                again.text
            );
        }
    }

    #[test]
    fn private_key_blocks_with_and_without_footer() {
        let full =
            "x\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK==\n-----END RSA PRIVATE KEY-----\ny";
        assert_eq!(r(full), "x\n[REDACTED:private_key]\ny");
        let cut = "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1r\\nAAAA done";
        assert_eq!(r(cut), "[REDACTED:private_key] done");
    }

    #[test]
    fn look_alikes_are_kept() {
        for s in [
            "version 1.2.3.4.5 of lib",
            "icon@2x.png",
            "git@github.com:org/repo.git",
            "use std::fmt::Display; a::b",
            "sk-learn-is-a-python-library-name",
            "@@ -12,7 +12,8 @@",
            "2025-06-01T12:34:56Z",
            "token = get_token()",
            "password: \"${DB_PASSWORD}\"",
            "http://localhost:8080/path",
            "127.0.0.1 and 0.0.0.0",
            "/Users/<user>/src",
        ] {
            assert_eq!(r(s), s);
        }
    }

    #[test]
    fn known_names_are_replaced_everywhere() {
        let text = "cwd /Users/janedoe/x, author janedoe, JaneDoe wrote it; dev server";
        let names = Redactor::home_names(text);
        assert_eq!(names, vec!["janedoe".to_string()]);
        let red = Redactor::with_names(names.iter().chain(["dev".to_string()].iter()));
        let out = red.redact(text);
        assert_eq!(
            out.text,
            "cwd /Users/<user>/x, author <user>, <user> wrote it; dev server"
        );
        assert_eq!(out.counts.get(Kind::HomeUser), 1);
        assert_eq!(out.counts.get(Kind::KnownName), 2);
    }

    #[test]
    fn unicode_text_is_safe() {
        let s = "héllo wörld — jane@exämple.com 名前 /home/名前/x ünïcode";
        let out = r(s);
        assert!(out.contains("/home/<user>/x"));
        assert!(redact(&out).counts.total() == 0);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_is_idempotent(s in "\\PC{0,200}") {
            let once = r(&s);
            let twice = r(&once);
            proptest::prop_assert_eq!(once, twice);
        }

        #[test]
        fn idempotent_on_token_soup(s in "([a-z0-9@:./+ -]|sk-ant-|ghp_|/Users/|AKIA|eyJ|\\+1 ){0,40}") {
            let once = r(&s);
            proptest::prop_assert_eq!(r(&once), once);
        }
    }
}
