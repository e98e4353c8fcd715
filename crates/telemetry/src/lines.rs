//! Lines added and removed by one edit or write, computed from the tool input when the agent
//! recorded no structured patch: a line diff of `old_string` → `new_string` (Edit, MultiEdit,
//! NotebookEdit), or every content line for a Write (counted as added).

use agentstat_session::{Action, LineDelta};

pub use agentstat_session::lines::{count_lines, diff_lines};

/// Lines changed by an edit/write action, from its input. `None` for tools we cannot read.
pub fn lines_from_input(action: &Action) -> Option<LineDelta> {
    let input = &action.input;
    let s = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    let si = |k: &str| input.get_str(k);
    let tool = action.tool.rsplit("__").next().unwrap_or(&action.tool);
    match tool {
        "Write" | "write_file" | "create_file" => {
            let content = si("content").or_else(|| si("file_text"))?;
            Some(LineDelta {
                added: count_lines(&content),
                removed: 0,
            })
        }
        "MultiEdit" => {
            let value = input.value();
            let edits = value.get("edits")?.as_array()?;
            let mut d = LineDelta::default();
            for e in edits {
                let x = diff_lines(
                    &s(e, "old_string").unwrap_or_default(),
                    &s(e, "new_string").unwrap_or_default(),
                );
                d.added = d.added.saturating_add(x.added);
                d.removed = d.removed.saturating_add(x.removed);
            }
            Some(d)
        }
        "NotebookEdit" => {
            let new = si("new_source").unwrap_or_default();
            match si("edit_mode").as_deref() {
                Some("delete") => None,
                _ => Some(LineDelta {
                    added: count_lines(&new),
                    removed: 0,
                }),
            }
        }
        _ => {
            let old = si("old_string").or_else(|| si("old_str"));
            let new = si("new_string").or_else(|| si("new_str"));
            if old.is_none() && new.is_none() {
                // Other write-like tools: content if any.
                let content = si("content").or_else(|| si("file_text"))?;
                return Some(LineDelta {
                    added: count_lines(&content),
                    removed: 0,
                });
            }
            Some(diff_lines(
                &old.unwrap_or_default(),
                &new.unwrap_or_default(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines() {
        assert_eq!(count_lines(""), 0);
        assert_eq!(count_lines("a"), 1);
        assert_eq!(count_lines("a\n"), 1);
        assert_eq!(count_lines("a\nb"), 2);
        assert_eq!(count_lines("\n"), 1);
    }

    #[test]
    fn diffs_like_diff() {
        let d = diff_lines("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(
            d,
            LineDelta {
                added: 2,
                removed: 1
            }
        );
        assert_eq!(
            diff_lines("", "x\ny"),
            LineDelta {
                added: 2,
                removed: 0
            }
        );
        assert_eq!(
            diff_lines("x\ny", ""),
            LineDelta {
                added: 0,
                removed: 2
            }
        );
        assert_eq!(
            diff_lines("same", "same"),
            LineDelta {
                added: 0,
                removed: 0
            }
        );
        // A moved line: one removed, one added.
        assert_eq!(
            diff_lines("a\nb\nc", "b\nc\na"),
            LineDelta {
                added: 1,
                removed: 1
            }
        );
    }
}
