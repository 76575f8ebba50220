//! `--explain`: which parts of a command's key changed since its last stored
//! result, as lines for stderr.

use std::collections::BTreeMap;

use crate::run::key::{Content, Parts};

/// Why `now` missed, compared with the parts of the last stored result of the
/// same command (`None` when there is none).
pub fn explain(earlier: Option<&Parts>, now: &Parts) -> Vec<String> {
    let Some(earlier) = earlier else {
        return vec!["no earlier result of this command is known".into()];
    };
    let mut why = Vec::new();
    if earlier.cwd != now.cwd {
        why.push(format!(
            "the working directory changed: {} -> {}",
            shown_opt(earlier.cwd.as_deref()),
            shown_opt(now.cwd.as_deref())
        ));
    }
    compare_env(earlier, now, &mut why);
    compare_inputs(earlier, now, &mut why);
    if earlier.stdin != now.stdin {
        why.push(match (earlier.stdin, now.stdin) {
            (Some(_), Some(_)) => "stdin changed".into(),
            (None, _) => "--stdin is new".into(),
            (_, None) => "--stdin was dropped".into(),
        });
    }
    if earlier.keys != now.keys {
        why.push(format!(
            "--key changed: [{}] -> [{}]",
            shown_list(&earlier.keys),
            shown_list(&now.keys)
        ));
    }
    if earlier.outputs != now.outputs {
        why.push(format!(
            "--output changed: [{}] -> [{}]",
            shown_list(&earlier.outputs),
            shown_list(&now.outputs)
        ));
    }
    if earlier.merged != now.merged {
        why.push(
            if now.merged {
                "stdout and stderr are now one file (merged), apart before"
            } else {
                "stdout and stderr are now apart, one file (merged) before"
            }
            .into(),
        );
    }
    if why.is_empty() {
        why.push("nothing changed: the stored result expired or its cache was invalidated".into());
    }
    why
}

fn compare_env(earlier: &Parts, now: &Parts, why: &mut Vec<String>) {
    let before: BTreeMap<_, _> = earlier.env.iter().cloned().collect();
    let after: BTreeMap<_, _> = now.env.iter().cloned().collect();
    for (name, value) in &after {
        let name_shown = shown(name);
        match (before.get(name), value) {
            (None, _) => why.push(format!("--env {name_shown} is newly declared")),
            (Some(old), new) if old == new => {}
            (Some(None), Some(_)) => why.push(format!("env {name_shown} is now set (was unset)")),
            (Some(Some(_)), None) => why.push(format!("env {name_shown} is now unset")),
            (Some(_), _) => why.push(format!("env {name_shown} changed")),
        }
    }
    for name in before.keys().filter(|n| !after.contains_key(*n)) {
        why.push(format!("--env {} is no longer declared", shown(name)));
    }
}

fn compare_inputs(earlier: &Parts, now: &Parts, why: &mut Vec<String>) {
    let files = |parts: &Parts| -> BTreeMap<Vec<u8>, Content> {
        parts
            .inputs
            .iter()
            .flat_map(|input| input.files.iter().cloned())
            .collect()
    };
    let specs =
        |parts: &Parts| -> Vec<Vec<u8>> { parts.inputs.iter().map(|i| i.spec.clone()).collect() };
    if specs(earlier) != specs(now) {
        why.push(format!(
            "--input changed: [{}] -> [{}]",
            shown_list(&specs(earlier)),
            shown_list(&specs(now))
        ));
    }
    let (before, after) = (files(earlier), files(now));
    for (path, content) in &after {
        let path_shown = shown(path);
        match (before.get(path), content) {
            (None, _) => why.push(format!("input {path_shown} is new")),
            (Some(old), new) if old == new => {}
            (_, Content::Missing) => why.push(format!("input {path_shown} is now missing")),
            (Some(Content::Missing), _) => why.push(format!("input {path_shown} now exists")),
            (Some(_), _) => why.push(format!("input {path_shown} changed")),
        }
    }
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        why.push(format!("input {} is gone", shown(path)));
    }
}

fn shown(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn shown_opt(bytes: Option<&[u8]>) -> String {
    bytes.map_or_else(|| "(not part of the key)".into(), shown)
}

fn shown_list(items: &[Vec<u8>]) -> String {
    items
        .iter()
        .map(|i| shown(i))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::key::{Input, hash};

    fn parts() -> Parts {
        Parts {
            argv: vec![b"cc".to_vec()],
            cwd: Some(b"/a".to_vec()),
            env: vec![(b"CC".to_vec(), Some(hash(b"gcc")))],
            inputs: vec![Input {
                spec: b"src".to_vec(),
                files: vec![(b"src/x.c".to_vec(), Content::File(hash(b"x")))],
            }],
            ..Parts::default()
        }
    }

    #[test]
    fn names_what_changed() {
        let mut now = parts();
        now.cwd = Some(b"/b".to_vec());
        now.env[0].1 = None;
        now.inputs[0].files[0].1 = Content::File(hash(b"y"));
        let why = explain(Some(&parts()), &now).join("\n");
        assert!(why.contains("working directory changed: /a -> /b"), "{why}");
        assert!(why.contains("env CC is now unset"), "{why}");
        assert!(why.contains("input src/x.c changed"), "{why}");
        assert_eq!(
            explain(Some(&parts()), &parts()),
            ["nothing changed: the stored result expired or its cache was invalidated"]
        );
        assert_eq!(explain(None, &parts()).len(), 1);
    }
}
