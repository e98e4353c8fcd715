//! Files a shell command writes, and the lines it writes when the command carries them: agents
//! that edit through the shell (`cat > f <<EOF`, `tee`, `sed -i`, `echo … > f`, PowerShell's
//! `Set-Content` / `Add-Content` / `Out-File`, a Python heredoc that `open(…, "w")`s) would
//! otherwise read as "nothing changed".
//!
//! Lines are counted only where the content is in the command: a heredoc's or here-string's body,
//! an `echo`'s argument. `sed -i`, `tee` from a pipe, `printf` and scripts touch files whose
//! changed lines the command does not show: the file counts, its lines do not. Writes to
//! `/dev/null` and to file descriptors are not files.

/// One file written by a shell command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellWrite {
    pub path: String,
    /// Lines written, when the command carries the content.
    pub lines: Option<u64>,
}

/// The files `cmd` writes (in order, each once).
pub fn shell_writes(cmd: &str) -> Vec<ShellWrite> {
    // Most commands (reads, searches, builds, tests) have nothing a write needs: they are not
    // tokenised at all.
    if !may_write(cmd) {
        return Vec::new();
    }
    writes_parsed(cmd)
}

/// Whether `cmd` may write a file: `false` only when nothing [`writes_of`] looks for can be in
/// it, so [`shell_writes`] skips the tokenising. Every write needs one of:
/// - a `>` (every redirection target, whatever the program: `cat`, `echo`, `printf`, a heredoc);
/// - a `(` and a heredoc's `<<` or a here-string's `@` (the patterns of [`opened_for_writing`],
///   read in a body only);
/// - a program that writes without `>`: `tee`, `sed` in place (with a `-i…` word), `perl`,
///   PowerShell's `Set-Content`, `Add-Content`, `Out-File`.
///
/// Program names are looked for as [`writes_of`] sees them: in the text without its quote
/// bytes (`segments` drops them), ASCII case folded, as whole runs of `shell::word_runs`.
fn may_write(cmd: &str) -> bool {
    let b = cmd.as_bytes();
    if memchr::memchr(b'>', b).is_some()
        || (memchr::memchr(b'(', b).is_some() && memchr::memchr2(b'<', b'@', b).is_some())
    {
        return true;
    }
    let quote = |c: u8| c == b'\'' || c == b'"';
    let mut sed = false;
    let named = crate::shell::word_runs(b, quote, true, |run, whole| {
        sed |= run == b"sed";
        whole
            && matches!(
                run,
                b"tee" | b"perl" | b"set-content" | b"add-content" | b"out-file"
            )
    });
    // `sed` writes in place only with a word holding `-i` (quotes left out, case folded).
    named
        || sed
            && memchr::memchr_iter(b'-', b).any(|p| {
                b[p + 1..]
                    .iter()
                    .find(|&&c| !quote(c))
                    .is_some_and(|&c| c == b'i' || c == b'I')
            })
}

/// [`shell_writes`] without the pre-check: the command tokenised line by line.
fn writes_parsed(cmd: &str) -> Vec<ShellWrite> {
    let mut out: Vec<ShellWrite> = Vec::new();
    let lines: Vec<&str> = cmd.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        // A heredoc or a PowerShell here-string starting on this line: its body follows.
        let body: Option<Vec<&str>> = if let Some((delim, strip_tabs)) = heredoc(line) {
            let mut b = Vec::new();
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                let t = if strip_tabs {
                    l.trim_start_matches('\t')
                } else {
                    l
                };
                if t.trim_end() == delim {
                    break;
                }
                b.push(l);
            }
            Some(b)
        } else if let Some(close) = here_string(line) {
            let mut b = Vec::new();
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                if l.trim_start().starts_with(close) {
                    break;
                }
                b.push(l);
            }
            Some(b)
        } else {
            None
        };
        for seg in segments(line) {
            writes_of(&seg, body.as_deref(), &mut out);
        }
    }
    out
}

/// `<<EOF`, `<< 'EOF'`, `<<-"EOF"` in a line (not `<<<`): the delimiter and whether leading tabs
/// are stripped.
fn heredoc(line: &str) -> Option<(String, bool)> {
    let mut from = 0;
    while let Some(p) = line[from..].find("<<") {
        let at = from + p + 2;
        from = at;
        if line[at..].starts_with('<') || line[..at - 2].ends_with('<') {
            continue;
        }
        let mut rest = &line[at..];
        let strip = rest.starts_with('-');
        if strip {
            rest = &rest[1..];
        }
        let rest = rest.trim_start();
        let rest = rest.trim_start_matches(['\'', '"', '\\']);
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !word.is_empty() {
            return Some((word, strip));
        }
    }
    None
}

/// A PowerShell here-string opened at the end of the line (`@'` or `@"`): its closing marker.
fn here_string(line: &str) -> Option<&'static str> {
    let t = line.trim_end();
    if t.ends_with("@'") {
        Some("'@")
    } else if t.ends_with("@\"") {
        Some("\"@")
    } else {
        None
    }
}

/// The simple commands of a line, split at `&&`, `||`, `;` and `|` (outside quotes), as words
/// with quotes removed. Redirections stay words (`>`, `>>`, `>f`).
fn segments(line: &str) -> Vec<Vec<String>> {
    let mut segs = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut w = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    let chars: Vec<char> = line.chars().collect();
    let mut k = 0;
    let end_word = |w: &mut String, words: &mut Vec<String>, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(w));
            *in_word = false;
        }
    };
    while k < chars.len() {
        let c = chars[k];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => w.push(c),
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    in_word = true;
                }
                ' ' | '\t' => end_word(&mut w, &mut words, &mut in_word),
                ';' | '|' | '&' => {
                    // `&>`/`2>&1` are redirections, not separators.
                    let redirect = c == '&' && (chars.get(k + 1) == Some(&'>') || w.ends_with('>'));
                    if redirect {
                        w.push(c);
                        in_word = true;
                    } else {
                        end_word(&mut w, &mut words, &mut in_word);
                        if !words.is_empty() {
                            segs.push(std::mem::take(&mut words));
                        }
                        while k + 1 < chars.len() && matches!(chars[k + 1], '|' | '&') {
                            k += 1;
                        }
                    }
                }
                '>' => {
                    // A redirection operator is a word of its own (`2>` keeps its fd).
                    if in_word && !w.chars().all(|c| c.is_ascii_digit()) {
                        end_word(&mut w, &mut words, &mut in_word);
                    }
                    w.push('>');
                    in_word = true;
                    if chars.get(k + 1) == Some(&'>') {
                        w.push('>');
                        k += 1;
                    }
                    if chars.get(k + 1) != Some(&'&') {
                        end_word(&mut w, &mut words, &mut in_word);
                    }
                }
                _ => {
                    w.push(c);
                    in_word = true;
                }
            },
        }
        k += 1;
    }
    end_word(&mut w, &mut words, &mut in_word);
    if !words.is_empty() {
        segs.push(words);
    }
    segs
}

fn is_file(path: &str) -> bool {
    !path.is_empty()
        && path != "/dev/null"
        && !path.starts_with('&')
        && !path.starts_with("/dev/")
        && !path.starts_with('$')
        && path != "-"
}

fn push(out: &mut Vec<ShellWrite>, path: &str, lines: Option<u64>) {
    if !is_file(path) {
        return;
    }
    match out.iter_mut().find(|w| w.path == path) {
        Some(w) => {
            w.lines = match (w.lines, lines) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            }
        }
        None => out.push(ShellWrite {
            path: path.to_string(),
            lines,
        }),
    }
}

/// The `>`/`>>` targets of a command's words (stdout only: `2>` is not its content).
fn redirect_targets(words: &[String]) -> Vec<&str> {
    let mut v = Vec::new();
    let mut k = 0;
    while k < words.len() {
        let w = words[k].as_str();
        let op = w == ">" || w == ">>" || w == "1>" || w == "1>>";
        if op {
            if let Some(t) = words.get(k + 1) {
                v.push(t.as_str());
                k += 1;
            }
        } else if let Some(t) = w.strip_prefix(">>").or_else(|| w.strip_prefix('>')) {
            if !t.is_empty() && !t.starts_with('&') {
                v.push(t);
            }
        }
        k += 1;
    }
    v
}

fn basename(w: &str) -> &str {
    w.rsplit(['/', '\\']).next().unwrap_or(w)
}

/// The writes of one simple command; `body` is the heredoc / here-string that starts on its line.
fn writes_of(words: &[String], body: Option<&[&str]>, out: &mut Vec<ShellWrite>) {
    let mut w = words;
    // Wrappers that run the rest: `sudo`, `env`, `command`, `time`.
    while let Some(first) = w.first() {
        if matches!(
            first.as_str(),
            "sudo" | "env" | "command" | "time" | "nohup"
        ) {
            w = &w[1..];
        } else {
            break;
        }
    }
    let Some(first) = w.first() else { return };
    let prog = basename(first).to_ascii_lowercase();
    let body_lines = body.map(|b| b.len() as u64);
    match prog.as_str() {
        "cat" => {
            for t in redirect_targets(w) {
                push(out, t, body_lines);
            }
        }
        "tee" => {
            for a in w[1..].iter().filter(|a| !a.starts_with(['-', '>', '<'])) {
                push(out, a, body_lines);
            }
        }
        "echo" => {
            // `-e` reads `\n` escapes as new lines.
            let escapes = w[1..].iter().any(|a| a == "-e");
            let text: Vec<&String> = w[1..]
                .iter()
                .take_while(|a| !a.starts_with(['>', '<']) && !a.starts_with("1>"))
                .filter(|a| !matches!(a.as_str(), "-n" | "-e" | "-E"))
                .collect();
            let n = text
                .iter()
                .map(|a| {
                    a.matches('\n').count() as u64
                        + if escapes {
                            a.matches("\\n").count() as u64
                        } else {
                            0
                        }
                })
                .sum::<u64>()
                + 1;
            for t in redirect_targets(w) {
                push(out, t, Some(n));
            }
        }
        "printf" => {
            for t in redirect_targets(w) {
                push(out, t, None);
            }
        }
        "sed" | "perl" => {
            let in_place = w[1..].iter().any(|a| {
                a == "-i"
                    || a.starts_with("-i") && prog == "sed"
                    || a == "--in-place"
                    || (prog == "perl" && a.starts_with('-') && a.contains('i') && a.contains('p'))
            });
            if !in_place {
                return;
            }
            // The script is `-e X` / `-f X`, else the first operand; the rest are files.
            let mut files = Vec::new();
            let mut script_seen = false;
            let mut k = 1;
            while k < w.len() {
                let a = w[k].as_str();
                if a == "-e" || a == "-f" || a == "--expression" {
                    script_seen = true;
                    k += 2;
                    continue;
                }
                if a.starts_with('-') || a.starts_with('>') {
                    k += 1;
                    continue;
                }
                if !script_seen {
                    script_seen = true;
                } else {
                    files.push(a);
                }
                k += 1;
            }
            for f in files {
                push(out, f, None);
            }
        }
        "set-content" | "add-content" | "out-file" => {
            // `-Path X` / `-FilePath X` / `-LiteralPath X`, else the first positional argument.
            let mut path = None;
            let mut k = 1;
            let mut positional = None;
            while k < w.len() {
                let a = w[k].to_ascii_lowercase();
                if matches!(a.as_str(), "-path" | "-filepath" | "-literalpath") {
                    path = w.get(k + 1).map(String::as_str);
                    k += 2;
                    continue;
                }
                if a.starts_with('-') {
                    k += 2;
                    continue;
                }
                if positional.is_none() && !a.starts_with('@') {
                    positional = Some(w[k].as_str());
                }
                k += 1;
            }
            if let Some(p) = path.or(positional) {
                push(out, p, body_lines);
            }
        }
        "python" | "python3" | "node" | "ruby" => {
            if let Some(b) = body {
                for l in b {
                    for p in opened_for_writing(l) {
                        push(out, p, None);
                    }
                }
            }
            for t in redirect_targets(w) {
                push(out, t, None);
            }
        }
        _ => {
            // Any other command whose heredoc goes to a file (`cat`-like: `>` with a heredoc).
            if body.is_some() && prog != "git" {
                for t in redirect_targets(w) {
                    push(out, t, body_lines);
                }
            }
        }
    }
}

/// A quoted string at the start of `s` (after spaces): its text and the bytes it took.
fn quoted(s: &str) -> Option<(&str, usize)> {
    let s0 = s.trim_start();
    let skip = s.len() - s0.len();
    let q = s0.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = s0[1..].find(q)?;
    Some((&s0[1..1 + end], skip + end + 2))
}

/// Paths a script line opens for writing: `open("p", "w")` (any of `w`, `a`, `x`, with `b`/`+`),
/// `Path("p").write_text(`, `fs.writeFileSync("p"`.
fn opened_for_writing(line: &str) -> Vec<&str> {
    let mut v = Vec::new();
    let mut from = 0;
    while let Some(p) = line[from..].find("open(") {
        let at = from + p + 5;
        from = at;
        if let Some((path, used)) = quoted(&line[at..]) {
            let rest = line[at + used..].trim_start();
            if let Some(rest) = rest.strip_prefix(',') {
                if let Some((mode, _)) = quoted(rest) {
                    if mode.contains(['w', 'a', 'x']) {
                        v.push(path);
                    }
                }
            }
        }
    }
    for pat in ["Path(", "writeFileSync(", "writeFile("] {
        let mut from = 0;
        while let Some(p) = line[from..].find(pat) {
            let at = from + p + pat.len();
            from = at;
            if let Some((path, used)) = quoted(&line[at..]) {
                let writes = if pat == "Path(" {
                    line[at + used..].trim_start().starts_with(").write_")
                } else {
                    true
                };
                if writes {
                    v.push(path);
                }
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(cmd: &str) -> Vec<(String, Option<u64>)> {
        shell_writes(cmd)
            .into_iter()
            .map(|w| (w.path, w.lines))
            .collect()
    }

    fn one(p: &str, l: Option<u64>) -> Vec<(String, Option<u64>)> {
        vec![(p.to_string(), l)]
    }

    #[test]
    fn heredocs_carry_their_lines() {
        assert_eq!(w("cat > a.txt <<'EOF'\nx\ny\nEOF"), one("a.txt", Some(2)));
        assert_eq!(
            w("cat <<EOF > src/b.rs\nfn b() {}\nEOF\necho done"),
            one("src/b.rs", Some(1))
        );
        assert_eq!(
            w("cat >> log.md << \"END\"\n- one\n- two\n- three\nEND"),
            one("log.md", Some(3))
        );
        assert_eq!(
            w("tee notes.md <<-EOF\n\tline\n\tEOF"),
            one("notes.md", Some(1))
        );
        assert_eq!(
            w("mkdir -p d && cat > d/c.py <<'PY'\nprint(1)\nPY"),
            one("d/c.py", Some(1))
        );
    }

    #[test]
    fn commands_that_do_not_carry_lines_count_the_file() {
        assert_eq!(
            w("sed -i 's/a/b/' x.txt y.txt"),
            vec![("x.txt".to_string(), None), ("y.txt".to_string(), None)]
        );
        assert_eq!(
            w("sed -i.bak -e 's/a/b/' -e 's/c/d/' z.c"),
            one("z.c", None)
        );
        assert_eq!(w("perl -pi -e 's/x/y/' f.pl"), one("f.pl", None));
        assert_eq!(w("npm run build | tee build.log"), one("build.log", None));
        assert_eq!(w("printf '%s\\n' a b > list.txt"), one("list.txt", None));
        assert_eq!(w("echo 'hello' > greet.txt"), one("greet.txt", Some(1)));
        assert_eq!(
            w("echo -e \"\\n# Red\\nred\" >> c.md"),
            one("c.md", Some(3))
        );
    }

    #[test]
    fn powershell_and_scripts() {
        assert_eq!(
            w("Set-Content -Path C:\\p\\a.ps1 -Value @'\nWrite-Host 1\nWrite-Host 2\n'@"),
            one("C:\\p\\a.ps1", Some(2))
        );
        assert_eq!(w("Add-Content notes.txt 'more'"), one("notes.txt", None));
        assert_eq!(
            w("python3 - <<'EOF'\nopen('out.json', 'w').write('{}')\nPath(\"r.md\").write_text('x')\nopen('in.txt').read()\nEOF"),
            vec![("out.json".to_string(), None), ("r.md".to_string(), None)]
        );
    }

    /// Commands built from what `writes_of` looks for (program names in several cases, quoted
    /// apart, behind paths; heredocs, here-strings, script patterns) and what surrounds it.
    const COMMANDS: &str = "(tee|TEE|Tee|t'e'e|t\"ee\"|sed|SED|s'ed'|perl|Perl|Set-Content|\
        add-content|Out-File|out-'file'|-i|-I|-pi|-n|--in-place|open\\(|Path\\(|writeFile|\
        <<|<<-|EOF|@'|'@|@\"|\"@|python3|node|echo|cat|printf|sudo|env|git|\
        [ \t\n\r;|&'\"ab0_.\\-/\\\\é]){0,30}";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// The pre-check never hides a write: the same writes as the full tokenising, for
        /// commands with and without `>`.
        #[test]
        fn precheck_keeps_every_write(s in COMMANDS, t in COMMANDS, redirect in "(>|>>|1>|2>|&>)?") {
            let s = format!("{s}{redirect}{t}");
            proptest::prop_assert_eq!(shell_writes(&s), writes_parsed(&s));
        }

        /// The same for programs that write without `>`, spelt in many ways, with their flags.
        #[test]
        fn precheck_keeps_writes_without_redirections(
            pre in COMMANDS,
            prog in r#"(sed|SED|s'ed'|/bin/sed|perl|tee|T"ee"|Set-Content|out-'file'|sudo sed|env tee|cat)"#,
            flag in r#"(-i|-I|-'i'|"-"i|--in-place|-i.bak|-pi|-n|-e|-a|)"#,
            rest in r#"( 's/a/b/'| x.txt| -e 's/x/y/' y.c| "a b"|;|\n){0,3}"#,
            post in COMMANDS,
        ) {
            let s = format!("{pre} {prog} {flag}{rest}{post}");
            proptest::prop_assert_eq!(shell_writes(&s), writes_parsed(&s));
        }
    }

    #[test]
    fn precheck_passes_what_may_write_only() {
        for cmd in [
            "sed -n '1,200p' src/lib.rs",
            "rg -n \"used|based\" crates",
            "cargo test -p x",
            "grep -i tee_time notes.md",
            "ls committee/",
            "perl_tidy x",
        ] {
            assert!(!may_write(cmd), "{cmd}");
        }
        for (cmd, path) in [
            ("t'e'e out.txt", "out.txt"),
            ("/usr/bin/TEE -a log", "log"),
            ("s\"ed\" -i 's/a/b/' f", "f"),
            (
                "Microsoft.PowerShell.Management\\Set-Content x.ps1 'y'",
                "x.ps1",
            ),
            ("python3 - <<'EOF'\nopen('o.txt', 'w')\nEOF", "o.txt"),
        ] {
            assert!(may_write(cmd), "{cmd}");
            assert_eq!(w(cmd), one(path, None), "{cmd}");
        }
    }

    #[test]
    fn what_is_not_a_file_write() {
        assert!(w("cargo test 2>&1 | tail -5").is_empty());
        assert!(w("ls > /dev/null 2>&1").is_empty());
        assert!(w("git commit -m x <<EOF\nmsg\nEOF").is_empty());
        assert!(w("grep -n foo src/*.rs").is_empty());
        assert!(w("sed -n '1,5p' a.txt").is_empty());
        assert!(w("cat a.txt | wc -l").is_empty());
        assert!(w("python3 -c 'print(1<<3)'").is_empty());
    }
}
