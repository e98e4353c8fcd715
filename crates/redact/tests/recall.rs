//! Recall on a planted corpus: every secret and personal-data shape the attack found (and the
//! formats the rules were written for), each in several contexts (prose, JSON, YAML, shell,
//! Markdown), plus the evasions (zero-width splits, encoded `@`, fullwidth forms). The figure
//! is published in docs/LLM.md; the test fails if any case survives.

use agentstat_redact::{redact, revealed_names, Redactor};

/// (name, text as it would appear, the part that must not survive).
fn secrets() -> Vec<(&'static str, String, String)> {
    let mut v: Vec<(&'static str, String, String)> = Vec::new();
    let mut add = |name: &'static str, text: &str, secret: &str| {
        v.push((name, text.to_string(), secret.to_string()))
    };
    // Payment cards (Luhn-valid test numbers), plain, spaced and dashed.
    for (n, c, s) in [
        ("visa", "4111111111111111", "111111111111"),
        ("visa spaced", "4111 1111 1111 1111", "1111 1111 1111"),
        ("visa dashed", "4111-1111-1111-1111", "1111-1111-1111"),
        ("mastercard", "5555555555554444", "555555554444"),
        ("mastercard spaced", "5555 5555 5555 4444", "5555 5555 4444"),
        ("mastercard 2-series", "2223003122003222", "3122003222"),
        ("amex", "378282246310005", "8282246310005"),
        ("amex spaced", "3782 822463 10005", "822463 10005"),
        ("discover", "6011111111111117", "111111111117"),
        ("jcb", "3530111333300000", "111333300000"),
    ] {
        add(n, c, s);
    }
    add("ssn", "123-45-6789", "123-45-6789");
    add("ssn 2", "078-05-1120", "078-05-1120");
    add("iban de", "DE89370400440532013000", "370400440532013000");
    add("iban gb spaced", "GB82 WEST 1234 5698 7654 32", "5698 7654");
    add(
        "iban fr",
        "FR1420041010050500013M02606",
        "20041010050500013M02606",
    );
    add(
        "google oauth",
        "ya29.a0AfH6SMBx3k9Qz7vYtLpW2mN4sR8uE1oI",
        "a0AfH6SMBx3k9Qz7vYtLpW2mN4sR8uE1oI",
    );
    add(
        "azure account key",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg==;EndpointSuffix=core.windows.net",
        "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg",
    );
    add(
        "yaml password",
        "database:\n  password: Tr0ub4dor&3\n",
        "Tr0ub4dor&3",
    );
    add(
        "yaml password word",
        "password: correcthorse9",
        "correcthorse9",
    );
    add("env db_password", "db_password=s3cretValue", "s3cretValue");
    add("env upper", "DB_PASSWORD=hunter22", "hunter22");
    add(
        "netrc",
        "machine api.example.com login alice password pa55word",
        "pa55word",
    );
    add("mysql -p", "mysql -u root -pS3cretPass mydb", "S3cretPass");
    add(
        "--password",
        "pg_dump --password Sup3rS3cret db",
        "Sup3rS3cret",
    );
    add("--password=", "tool --password=Sup3rS3cret", "Sup3rS3cret");
    add(
        "connection string",
        "Server=db;Database=app;User Id=sa;Password=P@ssw0rd1;",
        "P@ssw0rd1",
    );
    add(
        "basic auth header",
        "Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==",
        "dXNlcjpwYXNzd29yZDEyMw",
    );
    add(
        "basic auth json",
        r#"{"Authorization": "Basic dXNlcjpwYXNzd29yZDEyMw=="}"#,
        "dXNlcjpwYXNzd29yZDEyMw",
    );
    add(
        "x-api-key",
        "x-api-key: 9f8e7d6c5b4a39281726",
        "9f8e7d6c5b4a39281726",
    );
    add(
        "x-api-key curl",
        r#"curl -H "x-api-key: abcd1234efgh5678" https://api.x.io"#,
        "abcd1234efgh5678",
    );
    add(
        "docker auth",
        r#"{"auths":{"ghcr.io":{"auth":"dXNlcjpnaHBfdG9rZW4xMjM0"}}}"#,
        "dXNlcjpnaHBfdG9rZW4xMjM0",
    );
    add(
        "url api_key",
        "https://api.example.com/v1/data?api_key=8f7e6d5c4b3a2910&q=1",
        "8f7e6d5c4b3a2910",
    );
    add(
        "url token",
        "https://x.io/hook?token=ab12cd34ef56",
        "ab12cd34ef56",
    );
    add(
        "url key",
        "https://maps.example.com/api?key=Zx9Yw8Vu7Ts6",
        "Zx9Yw8Vu7Ts6",
    );
    add(
        "private_key_id",
        r#""private_key_id": "1a2b3c4d5e6f7a8b9c0d""#,
        "1a2b3c4d5e6f7a8b9c0d",
    );
    add(
        "url credentials",
        "postgres://admin:Pa55w0rdX@db.internal:5432/app",
        "Pa55w0rdX",
    );
    add(
        "phone spaced",
        "call me at 415 555 0188 tomorrow",
        "555 0188",
    );
    add("phone e164", "+447911123456", "7911123456");
    add("phone 0044", "0044 7911 123456", "7911 123456");
    add("phone na dashed", "415-555-0132", "555-0132");
    add("phone na parens", "(415) 555-0132", "555-0132");
    add("phone intl spaced", "+44 20 7946 0958", "7946 0958");
    add("email", "mail jane.doe@example.org please", "jane.doe");
    add(
        "anthropic key",
        "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-1234",
        "AbCdEfGhIjKlMnOpQrStUvWx",
    );
    add(
        "openai key",
        "sk-proj-AbCd1234EfGh5678IjKl9012MnOp",
        "AbCd1234EfGh5678IjKl9012MnOp",
    );
    add(
        "github pat",
        "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    );
    add("aws access key", "AKIAIOSFODNN7EXAMPL2", "IOSFODNN7EXAMPL2");
    add(
        "aws secret",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI",
    );
    add(
        "google api key",
        "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
        "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    );
    add(
        "slack",
        "xoxb-1234567890-abcdefghijkl",
        "1234567890-abcdefghijkl",
    );
    add(
        "stripe",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "4eC39HqLyjWDarjtT1zdp7dc",
    );
    add(
        "jwt",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N",
        "dozjgNryP4J3jVmNHl0w5N",
    );
    add(
        "bearer",
        "Authorization: Bearer abcdef0123456789abcdef01",
        "abcdef0123456789abcdef01",
    );
    add("home dir", "/Users/jsmith/code/app", "jsmith");
    add("ipv4", "ssh deploy@10.20.30.40", "10.20.30.40");
    add(
        "private key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1y2z3\n-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEAx1y2z3",
    );
    add(
        "us street address",
        "ship to 1600 Pennsylvania Avenue NW",
        "1600 Pennsylvania",
    );
    add(
        "street address st",
        "office at 221 Baker St. London",
        "221 Baker",
    );
    add("uk postcode", "London SW1A 1AA, United Kingdom", "SW1A 1AA");
    add(
        "german address",
        "Hauptstraße 12, 10115 Berlin",
        "Hauptstraße 12",
    );
    // Evasions.
    add(
        "zero-width split key",
        "sk-ant-api03-AbCdEfGh\u{200B}IjKlMnOpQrStUvWx-1234",
        "IjKlMnOpQrStUvWx",
    );
    add(
        "zero-width split aws",
        "AKIA\u{200C}IOSFODNN7EXAMPL2",
        "IOSFODNN7EXAMPL2",
    );
    add("email %40", "jane.doe%40example.org", "jane.doe");
    add("email \\u0040", r"jane.doe\u0040example.org", "jane.doe");
    add("email fullwidth at", "jane.doe＠example.org", "jane.doe");
    add("email &#64;", "jane.doe&#64;example.org", "jane.doe");
    add(
        "fullwidth key",
        "ｓｋ-ant-api03-ＡｂＣｄＥｆＧｈＩｊＫｌＭｎＯｐＱｒＳｔ",
        "AbCdEfGhIjKl",
    );
    add(
        "soft hyphen split",
        "AKIA\u{00AD}IOSFODNN7EXAMPL2",
        "IOSFODNN7EXAMPL2",
    );
    v
}

/// Each secret in five contexts.
fn contexts(text: &str) -> Vec<String> {
    let json = json_escape(text);
    vec![
        format!("Here it is: {text} — keep it safe."),
        format!("{{\"note\": \"{json}\", \"n\": 1}}"),
        format!("config:\n  value: |\n    {text}\n"),
        format!("$ echo '{text}' | tee out.txt"),
        format!("> **Output**\n>\n> {text}\n"),
    ]
}

fn json_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[test]
fn planted_corpus_recall() {
    let mut total = 0;
    let mut missed = Vec::new();
    for (name, text, secret) in secrets() {
        for (i, ctx) in contexts(&text).into_iter().enumerate() {
            total += 1;
            let out = redact(&ctx).text.into_owned();
            // The secret, and its JSON-escaped form, must be gone.
            if out.contains(&secret) || out.contains(&json_escape(&secret)) {
                missed.push(format!("{name} (context {i}): {out}"));
            }
        }
    }
    let recall = 1.0 - missed.len() as f64 / total as f64;
    eprintln!(
        "planted corpus: {total} cases, recall {:.1}%",
        100.0 * recall
    );
    assert!(total >= 200, "at least 200 cases ({total})");
    assert!(
        missed.is_empty(),
        "{} of {total} survived:\n{}",
        missed.len(),
        missed.join("\n")
    );
}

#[test]
fn names_the_transcript_reveals_are_replaced_everywhere() {
    let log = "commit 1a2b3c\nAuthor: Priya Raman <praman@corp.example>\nDate: Mon\n\n    fix\n";
    let cfg = "git config user.name \"Tomasz Wojcik\"\ngit config user.email tw0jcik@corp.example";
    let mut names = revealed_names(log);
    names.extend(revealed_names(cfg));
    for n in [
        "Priya Raman",
        "Priya",
        "Raman",
        "praman",
        "Tomasz Wojcik",
        "tw0jcik",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} not in {names:?}");
    }
    let r = Redactor::with_names(&names);
    let text = "Thanks Priya! Raman's branch; ping praman or Tomasz about it.";
    let out = r.redact(text).text.into_owned();
    for n in ["Priya", "Raman", "praman", "Tomasz"] {
        assert!(!out.contains(n), "{n} survived: {out}");
    }
    // Bots and the agent are not people.
    assert!(revealed_names("Co-authored-by: Claude <noreply@anthropic.com>").is_empty());
}

#[test]
fn ordinary_code_is_left_alone() {
    for code in [
        "let token = next_token(&mut lexer);",
        "password: str = Field(...)",
        "def login(password: str, token: Optional[str] = None):",
        "self.secret_key = settings.SECRET_KEY",
        "version 1.2.3 released 2024-01-15",
        "timestamp 1767225600000 and id 4000",
        "for i in 0..100 { sum += i }",
        "api_key = os.environ[\"API_KEY\"]",
        "the password field is required",
        "ISBN 978-3-16-148410-0",
        "commit 3f2a1b4c5d6e7f8091a2b3c4d5e6f708192a3b4c",
    ] {
        let out = redact(code);
        assert_eq!(out.text, code, "changed ordinary code: {code}");
    }
}
