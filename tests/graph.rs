//! The dependency graph through the real binary: depend/undepend, cascading
//! invalidation (chain, diamond, a root with 1000 dependents), cycles, soft and
//! key-level invalidation, epoch tokens for `set --if-epoch`, `graph` in every
//! format, `ls` columns, `drop --force`, space reclaimed at sync, and batch.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::thread;

use common::{Env, assert_error_form, json};
use serde_json::{Value, json};

// ---------------------------------------------------------------- helpers

/// The value is served: `get` prints it, `has` agrees, `keys` lists the key.
fn assert_hit(env: &Env, cache: &str, key: &str, value: &str) {
    env.cmd(["get", cache, key]).stdout(value).run();
    env.cmd(["has", cache, key]).run();
    assert!(
        env.keys(cache).contains(&key.as_bytes().to_vec()),
        "keys {cache} omits {key}"
    );
}

/// A miss everywhere: `get` exits 1 silently, `has` exits 1, `keys` omits it.
fn assert_miss(env: &Env, cache: &str, key: &str) {
    env.cmd(["get", cache, key]).status(1).run();
    env.cmd(["has", cache, key]).status(1).run();
    assert!(
        !env.keys(cache).contains(&key.as_bytes().to_vec()),
        "keys {cache} still lists {key}"
    );
}

/// `invalidate ARGS... --json`, parsed.
fn invalidate_json(env: &Env, args: &[&str]) -> Value {
    let mut all = vec!["invalidate"];
    all.extend(args);
    all.push("--json");
    json(&env.cmd(all).any_stdout().run().stdout)
}

/// `cacheman epoch`, parsed.
fn epoch(env: &Env) -> u64 {
    let out = env.cmd(["epoch"]).any_stdout().run().stdout;
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.ends_with('\n') && text.lines().count() == 1,
        "{text:?}"
    );
    text.trim_end()
        .parse()
        .unwrap_or_else(|_| panic!("epoch printed {text:?}"))
}

/// `graph [CACHE] --json`, parsed.
fn graph_json(env: &Env, cache: Option<&str>) -> Value {
    let mut test = env.cmd(["graph", "--json"]);
    if let Some(cache) = cache {
        test = test.arg(cache);
    }
    json(&test.any_stdout().run().stdout)
}

/// The edges of `graph --json` as (root, dependent) pairs.
fn edges(graph: &Value) -> BTreeSet<(String, String)> {
    graph["edges"]
        .as_array()
        .expect("edges is an array")
        .iter()
        .map(|e| {
            (
                e["root"].as_str().unwrap().to_owned(),
                e["dependent"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter()
        .map(|(r, d)| (r.to_string(), d.to_string()))
        .collect()
}

/// A field of `ls --json` that is an array of names.
fn ls_names(env: &Env, cache: &str, field: &str) -> Vec<String> {
    let entry = env.ls_cache(cache);
    entry[field]
        .as_array()
        .unwrap_or_else(|| panic!("ls --json: {cache}.{field} is not an array: {entry}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The strings of a JSON array.
fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// Runs a `cacheman batch` script and returns its answers, checked to be one
/// JSON line per command, in order.
fn batch(env: &Env, script: &str) -> Vec<Value> {
    let out = env
        .cmd(["batch"])
        .stdin(script)
        .any_stdout()
        .any_stderr()
        .run()
        .stdout;
    let text = String::from_utf8(out).expect("batch answers in UTF-8");
    let answers: Vec<Value> = text.lines().map(|l| json(l.as_bytes())).collect();
    let commands = script
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(answers.len(), commands, "one answer per command");
    for (i, answer) in answers.iter().enumerate() {
        assert!(answer["line"].as_u64().unwrap() > 0, "{answer}");
        if i > 0 {
            assert!(answer["line"].as_u64() > answers[i - 1]["line"].as_u64());
        }
    }
    answers
}

/// The chain `sources -> objects -> binaries`, one key in each, plus an
/// unrelated cache.
fn chain() -> Env {
    let env = Env::new();
    env.cmd(["depend", "sources", "objects"]).run();
    env.cmd(["depend", "objects", "binaries"]).run();
    fill_chain(&env);
    env.set("other", "k", "untouched");
    env
}

fn fill_chain(env: &Env) {
    env.set("sources", "main.c", "int main;");
    env.set("objects", "main.o", "OBJ");
    env.set("binaries", "app", "ELF");
}

/// The diamond `a -> b, a -> c, b -> d, c -> d`, one key in each.
fn diamond() -> Env {
    let env = Env::new();
    env.cmd(["depend", "a", "b", "c"]).run();
    env.cmd(["depend", "b", "d"]).run();
    env.cmd(["depend", "c", "d"]).run();
    for cache in ["a", "b", "c", "d"] {
        env.set(cache, "k", format!("{cache}-value"));
    }
    env
}

// ---------------------------------------------------------------- depend

#[test]
fn depend_creates_missing_caches_and_records_the_edges() {
    let env = Env::new();
    env.set("sources", "k", "v");
    env.cmd(["depend", "sources", "objects", "docs"]).run();
    let names: Vec<_> = env.ls().iter().map(|c| c["name"].clone()).collect();
    assert_eq!(names, ["docs", "objects", "sources"]);
    assert_eq!(env.ls_cache("objects")["entries"], 0);
    assert_eq!(ls_names(&env, "sources", "dependents"), ["docs", "objects"]);
    assert_eq!(ls_names(&env, "sources", "roots"), Vec::<String>::new());
    assert_eq!(ls_names(&env, "objects", "roots"), ["sources"]);
    assert_eq!(
        ls_names(&env, "objects", "dependents"),
        Vec::<String>::new()
    );
    // The root's own entries are untouched by depend.
    assert_hit(&env, "sources", "k", "v");

    // Adding an edge again is fine and changes nothing in the graph.
    env.cmd(["depend", "sources", "objects"]).run();
    assert_eq!(
        edges(&graph_json(&env, None)),
        pairs(&[("sources", "docs"), ("sources", "objects")])
    );
}

#[test]
fn depend_with_a_bad_name_is_refused_and_creates_nothing() {
    let env = Env::new();
    env.cmd(["depend", "a", "b"]).run();
    let before = env.tree();
    env.cmd(["depend", "a", "ok", "bad/name"])
        .usage_error("bad/name")
        .run();
    env.cmd(["depend", "../up", "b"]).usage_error("up").run();
    before.assert_same(&env.tree(), "depend with a bad name");
}

#[test]
fn an_edge_added_after_an_invalidation_does_not_reach_back() {
    let env = Env::new();
    env.set("a", "k", "1");
    env.set("b", "k", "2");
    env.cmd(["invalidate", "a", "-q"]).run();
    env.cmd(["depend", "a", "b"]).run();
    assert_hit(&env, "b", "k", "2");
    assert_miss(&env, "a", "k");
}

// ---------------------------------------------------------------- cascades

#[test]
fn a_chain_invalidated_at_the_top_clears_all_three() {
    let env = chain();
    env.cmd(["invalidate", "sources"])
        .stderr("invalidated 3 caches: sources, objects, binaries\n")
        .run();
    assert_miss(&env, "sources", "main.c");
    assert_miss(&env, "objects", "main.o");
    assert_miss(&env, "binaries", "app");
    assert_hit(&env, "other", "k", "untouched");
    // Writes after the invalidation are ordinary hits again.
    fill_chain(&env);
    assert_hit(&env, "sources", "main.c", "int main;");
    assert_hit(&env, "objects", "main.o", "OBJ");
    assert_hit(&env, "binaries", "app", "ELF");
}

#[test]
fn a_chain_invalidated_in_the_middle_keeps_its_root() {
    let env = chain();
    env.cmd(["invalidate", "objects"])
        .stderr("invalidated 2 caches: objects, binaries\n")
        .run();
    assert_hit(&env, "sources", "main.c", "int main;");
    assert_miss(&env, "objects", "main.o");
    assert_miss(&env, "binaries", "app");
    assert_hit(&env, "other", "k", "untouched");

    // The leaf alone touches nothing above it.
    fill_chain(&env);
    env.cmd(["invalidate", "binaries"])
        .stderr("invalidated 1 cache: binaries\n")
        .run();
    assert_hit(&env, "sources", "main.c", "int main;");
    assert_hit(&env, "objects", "main.o", "OBJ");
    assert_miss(&env, "binaries", "app");
}

#[test]
fn a_diamond_invalidates_its_bottom_once_and_last() {
    let env = diamond();
    let before = env.tree();
    let out = env
        .cmd(["invalidate", "a", "--dry-run"])
        .any_stdout()
        .stderr("would invalidate 4 caches: a, b, c, d\n")
        .run()
        .stdout;
    before.assert_same(&env.tree(), "invalidate --dry-run");
    let listed: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert_eq!(listed[0], "a");
    assert_eq!(listed[3], "d");
    assert_eq!(
        listed[1..3].iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from(["b", "c"])
    );
    assert!(out.ends_with(b"d\n"));
    for cache in ["a", "b", "c", "d"] {
        assert_hit(&env, cache, "k", &format!("{cache}-value"));
    }

    let report = invalidate_json(&env, &["a"]);
    let caches = strings(&report["caches"]);
    assert_eq!(caches.len(), 4, "{report}");
    assert_eq!(caches.first().unwrap(), "a");
    assert_eq!(caches.last().unwrap(), "d");
    for cache in ["a", "b", "c", "d"] {
        assert_miss(&env, cache, "k");
    }
}

#[test]
fn a_diamond_side_reaches_the_bottom_only() {
    let env = diamond();
    env.cmd(["invalidate", "b", "-q"]).run();
    assert_hit(&env, "a", "k", "a-value");
    assert_miss(&env, "b", "k");
    assert_hit(&env, "c", "k", "c-value");
    assert_miss(&env, "d", "k");
}

#[test]
fn several_named_caches_cascade_in_one_order_without_repeats() {
    let env = diamond();
    // Named bottom-first, listed roots-first; d appears once, after b and c.
    env.cmd(["invalidate", "d", "c", "b", "--dry-run", "-q"])
        .stdout("b\nc\nd\n")
        .run();
    let env = chain();
    env.cmd(["invalidate", "binaries", "sources", "--dry-run", "-q"])
        .stdout("sources\nobjects\nbinaries\n")
        .run();
    env.cmd(["invalidate", "objects", "sources", "-q"]).run();
    assert_miss(&env, "sources", "main.c");
    assert_miss(&env, "objects", "main.o");
    assert_miss(&env, "binaries", "app");
    assert_hit(&env, "other", "k", "untouched");
}

/// One root with 1000 dependents: one `depend`, one batch to fill, and batches
/// of `get`s to check all 1001 caches.
#[test]
fn a_root_with_a_thousand_dependents() {
    const N: usize = 1000;
    let env = Env::new();
    let deps: Vec<String> = (0..N).map(|i| format!("dep{i:04}")).collect();
    let mut depend = vec!["depend".to_owned(), "root".to_owned()];
    depend.extend(deps.iter().cloned());
    env.cmd(&depend).run();
    assert_eq!(ls_names(&env, "root", "dependents"), deps);

    let mut sets = String::from("set root k root-value\n");
    let mut gets = String::from("get root k\n");
    for dep in &deps {
        sets.push_str(&format!("set {dep} k value-of-{dep}\n"));
        gets.push_str(&format!("get {dep} k\n"));
    }
    let answers = batch(&env, &sets);
    assert_eq!(answers.len(), N + 1);
    for answer in &answers {
        assert_eq!(answer["status"], 0, "{answer}");
    }

    // A leaf: itself only.
    let report = invalidate_json(&env, &["dep0500"]);
    assert_eq!(strings(&report["caches"]), ["dep0500"]);
    let answers = batch(&env, &gets);
    assert_eq!(answers[0]["status"], 0);
    assert_eq!(answers[0]["output"], "root-value");
    for (i, dep) in deps.iter().enumerate() {
        let answer = &answers[i + 1];
        if dep == "dep0500" {
            assert_eq!(answer["status"], 1, "{answer}");
            assert_eq!(answer["output"], "", "{answer}");
        } else {
            assert_eq!(answer["status"], 0, "{dep}: {answer}");
            assert_eq!(answer["output"], format!("value-of-{dep}"));
        }
    }

    // The root: all 1001, the root first.
    let report = invalidate_json(&env, &["root"]);
    let caches = strings(&report["caches"]);
    assert_eq!(caches.len(), N + 1);
    assert_eq!(caches[0], "root");
    assert_eq!(
        caches[1..].iter().collect::<BTreeSet<_>>(),
        deps.iter().collect::<BTreeSet<_>>()
    );
    let answers = batch(&env, &gets);
    for answer in &answers {
        assert_eq!(answer["status"], 1, "{answer}");
        assert_eq!(answer["output"], "", "{answer}");
    }
}

// ---------------------------------------------------------------- cycles

#[test]
fn a_cycle_is_refused_naming_its_path_and_nothing_changes() {
    let env = Env::new();
    env.cmd(["depend", "a", "b"]).run();
    env.cmd(["depend", "b", "c"]).run();
    env.set("a", "k", "v");
    let before = env.tree();
    env.cmd(["depend", "c", "a"])
        .usage_error("c -> a -> b -> c")
        .run();
    before.assert_same(&env.tree(), "depend c a");
    env.cmd(["depend", "a", "a"]).usage_error("a -> a").run();
    before.assert_same(&env.tree(), "depend a a");
    env.cmd(["depend", "b", "b"]).usage_error("b -> b").run();
    // A cycle anywhere in the list refuses the whole command: the fresh cache
    // named before it is not created, nor its edge added.
    env.cmd(["depend", "c", "fresh", "a"])
        .usage_error("c -> a -> b -> c")
        .run();
    before.assert_same(&env.tree(), "depend c fresh a");
    assert_eq!(
        edges(&graph_json(&env, None)),
        pairs(&[("a", "b"), ("b", "c")])
    );
    assert!(env.ls().iter().all(|c| c["name"] != "fresh"));
    assert_hit(&env, "a", "k", "v");
}

#[test]
fn a_cycle_against_a_missing_store_creates_nothing() {
    let env = Env::new();
    env.cmd(["depend", "a", "a"]).usage_error("a -> a").run();
    env.cmd(["depend", "x", "y", "x"])
        .usage_error("x -> x")
        .run();
    assert!(!env.store().exists(), "a refused depend created the store");
}

// ---------------------------------------------------------------- invalidate options

#[test]
fn dry_run_lists_and_changes_nothing() {
    let env = chain();
    let before = env.tree();
    env.cmd(["invalidate", "sources", "--dry-run"])
        .stdout("sources\nobjects\nbinaries\n")
        .stderr("would invalidate 3 caches: sources, objects, binaries\n")
        .run();
    env.cmd(["invalidate", "sources", "--dry-run", "--no-cascade", "-q"])
        .stdout("sources\n")
        .run();
    env.cmd(["invalidate", "objects", "--dry-run", "--soft"])
        .stdout("objects\nbinaries\n")
        .stderr("would mark stale 2 caches: objects, binaries\n")
        .run();
    let before_epoch = epoch(&env);
    let report = invalidate_json(&env, &["objects", "--dry-run"]);
    assert_eq!(
        report,
        json!({"caches": ["objects", "binaries"], "keys": null, "soft": false,
               "dry_run": true, "epoch": before_epoch})
    );
    before.assert_same(&env.tree(), "invalidate --dry-run");
    assert_eq!(epoch(&env), before_epoch);
    assert_hit(&env, "sources", "main.c", "int main;");
    assert_hit(&env, "objects", "main.o", "OBJ");
    assert_hit(&env, "binaries", "app", "ELF");
}

#[test]
fn no_cascade_invalidates_only_the_named_caches() {
    let env = chain();
    env.cmd(["invalidate", "sources", "--no-cascade"])
        .stderr("invalidated 1 cache: sources\n")
        .run();
    assert_miss(&env, "sources", "main.c");
    assert_hit(&env, "objects", "main.o", "OBJ");
    assert_hit(&env, "binaries", "app", "ELF");
    let report = invalidate_json(&env, &["sources", "binaries", "--no-cascade"]);
    assert_eq!(strings(&report["caches"]), ["sources", "binaries"]);
    assert_hit(&env, "objects", "main.o", "OBJ");
    assert_miss(&env, "binaries", "app");
}

#[test]
fn json_reports_caches_keys_soft_dry_run_and_epoch() {
    let env = chain();
    let start = epoch(&env);
    let report = invalidate_json(&env, &["objects"]);
    assert_eq!(
        report,
        json!({"caches": ["objects", "binaries"], "keys": null, "soft": false,
               "dry_run": false, "epoch": start + 1})
    );
    assert_eq!(epoch(&env), start + 1);
    let report = invalidate_json(&env, &["sources", "--soft"]);
    assert_eq!(
        report,
        json!({"caches": ["sources", "objects", "binaries"], "keys": null, "soft": true,
               "dry_run": false, "epoch": start + 2})
    );
    env.set("sources", "p/1", "x");
    env.set("sources", "p/2", "y");
    env.set("sources", "q", "z");
    let report = invalidate_json(&env, &["sources", "--prefix", "p/", "--dry-run"]);
    assert_eq!(report["keys"], 2, "{report}");
    assert_eq!(report["dry_run"], true);
    let report = invalidate_json(&env, &["sources", "--prefix", "p/"]);
    assert_eq!(report["keys"], 2, "{report}");
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["epoch"], epoch(&env));
    assert_eq!(
        strings(&report["caches"]),
        ["sources", "objects", "binaries"]
    );
}

#[test]
fn quiet_prints_nothing_and_the_summary_is_one_stderr_line() {
    let env = chain();
    let out = env
        .cmd(["invalidate", "binaries"])
        .any_stderr()
        .run()
        .stderr;
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1, "{text:?}");
    assert!(text.contains("binaries"), "{text:?}");
    // Default expectations: exit 0, empty stdout and stderr.
    env.cmd(["invalidate", "sources", "--quiet"]).run();
    env.cmd(["invalidate", "sources", "-q", "--soft"]).run();
    env.cmd(["invalidate", "sources", "-q", "--prefix", "x"])
        .run();
    assert_miss(&env, "objects", "main.o");
}

#[test]
fn unknown_caches_are_refused_and_nothing_changes() {
    let env = chain();
    let before = env.tree();
    env.cmd(["invalidate", "nope"])
        .usage_error("no cache named 'nope'")
        .run();
    // A bad name among good ones refuses the whole command.
    env.cmd(["invalidate", "sources", "nope"])
        .usage_error("nope")
        .run();
    env.cmd(["invalidate", "bad/name"])
        .usage_error("bad/name")
        .run();
    env.cmd(["invalidate", "sources", "--prefix", "a", "--match", "b"])
        .usage_error("")
        .run();
    before.assert_same(&env.tree(), "refused invalidations");
    assert_hit(&env, "sources", "main.c", "int main;");
}

// ---------------------------------------------------------------- soft

#[test]
fn soft_invalidation_makes_entries_stale() {
    let env = chain();
    env.cmd(["invalidate", "objects", "--soft"])
        .stderr("marked stale 2 caches: objects, binaries\n")
        .run();
    for (cache, key, value) in [("objects", "main.o", "OBJ"), ("binaries", "app", "ELF")] {
        env.cmd(["get", cache, key]).status(1).run();
        env.cmd(["has", cache, key]).status(1).run();
        env.cmd(["get", cache, key, "--stale-ok"])
            .stdout(value)
            .run();
        let out = env
            .cmd(["get", cache, key, "--json", "--stale-ok"])
            .any_stdout()
            .run()
            .stdout;
        let item = &json(&out)[0];
        assert_eq!(item["hit"], true, "{item}");
        assert_eq!(item["stale"], true, "{item}");
        assert_eq!(item["value"], value, "{item}");
        let out = env
            .cmd(["get", cache, key, "--json"])
            .status(1)
            .any_stdout()
            .run()
            .stdout;
        assert_eq!(json(&out)[0]["hit"], false);
    }
    assert_hit(&env, "sources", "main.c", "int main;");

    // A new value is fresh.
    env.set("objects", "main.o", "OBJ2");
    assert_hit(&env, "objects", "main.o", "OBJ2");
    let out = env
        .cmd(["get", "objects", "main.o", "--json", "--stale-ok"])
        .any_stdout()
        .run()
        .stdout;
    assert_eq!(json(&out)[0]["stale"], false);
}

#[test]
fn stale_entries_survive_a_sync_and_a_hard_invalidation_ends_them() {
    let env = chain();
    env.cmd(["invalidate", "objects", "--soft", "-q"]).run();
    env.cmd(["sync", "-q"]).run();
    env.cmd(["get", "objects", "main.o"]).status(1).run();
    env.cmd(["get", "objects", "main.o", "--stale-ok"])
        .stdout("OBJ")
        .run();
    env.cmd(["invalidate", "objects", "-q"]).run();
    env.cmd(["get", "objects", "main.o", "--stale-ok"])
        .status(1)
        .run();
    env.cmd(["get", "binaries", "app", "--stale-ok"])
        .status(1)
        .run();
    // A soft invalidation never revives what a hard one removed.
    env.cmd(["invalidate", "objects", "--soft", "-q"]).run();
    env.cmd(["get", "objects", "main.o", "--stale-ok"])
        .status(1)
        .run();
}

// ---------------------------------------------------------------- some keys

#[test]
fn prefix_invalidates_matching_keys_and_dependents_whole() {
    let env = chain();
    env.set("sources", "src/a.c", "a");
    env.set("sources", "src/b.c", "b");
    env.set("sources", "include/a.h", "h");
    env.cmd(["invalidate", "sources", "--prefix", "src/"])
        .stderr_contains("2 keys in sources")
        .run();
    assert_miss(&env, "sources", "src/a.c");
    assert_miss(&env, "sources", "src/b.c");
    assert_hit(&env, "sources", "include/a.h", "h");
    assert_hit(&env, "sources", "main.c", "int main;");
    assert_miss(&env, "objects", "main.o");
    assert_miss(&env, "binaries", "app");
    assert_hit(&env, "other", "k", "untouched");
}

#[test]
fn match_with_no_cascade_leaves_dependents_alone() {
    let env = chain();
    env.set("sources", "a.c", "a");
    env.set("sources", "b.h", "b");
    let report = invalidate_json(&env, &["sources", "--match", "*.c", "--no-cascade"]);
    assert_eq!(strings(&report["caches"]), ["sources"]);
    assert_eq!(report["keys"], 2, "{report}");
    assert_miss(&env, "sources", "a.c");
    assert_miss(&env, "sources", "main.c");
    assert_hit(&env, "sources", "b.h", "b");
    assert_hit(&env, "objects", "main.o", "OBJ");
    assert_hit(&env, "binaries", "app", "ELF");
    // Nothing matching: zero keys, still fine.
    let report = invalidate_json(&env, &["sources", "--match", "*.zig", "--no-cascade"]);
    assert_eq!(report["keys"], 0);
    assert_hit(&env, "sources", "b.h", "b");
}

#[test]
fn soft_prefix_marks_matching_keys_stale() {
    let env = chain();
    env.set("sources", "p/1", "one");
    env.set("sources", "q/1", "other");
    env.cmd(["invalidate", "sources", "--prefix", "p/", "--soft", "-q"])
        .run();
    env.cmd(["get", "sources", "p/1"]).status(1).run();
    env.cmd(["has", "sources", "p/1"]).status(1).run();
    env.cmd(["get", "sources", "p/1", "--stale-ok"])
        .stdout("one")
        .run();
    assert_hit(&env, "sources", "q/1", "other");
    // Dependents go whole, and stale (not gone).
    env.cmd(["get", "objects", "main.o"]).status(1).run();
    env.cmd(["get", "objects", "main.o", "--stale-ok"])
        .stdout("OBJ")
        .run();
    // Still stale after a sync.
    env.cmd(["sync", "-q"]).run();
    let out = env
        .cmd(["get", "sources", "p/1", "--json", "--stale-ok"])
        .any_stdout()
        .run()
        .stdout;
    assert_eq!(json(&out)[0]["stale"], true);
    assert_hit(&env, "sources", "q/1", "other");
}

#[test]
fn prefix_reaches_synced_entries_and_stays_after_the_next_sync() {
    let env = Env::new();
    for i in 0..20 {
        env.set("c", format!("gone/{i:02}"), "x");
        env.set("c", format!("kept/{i:02}"), "y");
    }
    env.set("c", "gone/big", "b".repeat(50_000));
    env.cmd(["sync", "-q"]).run();
    env.cmd(["invalidate", "c", "--prefix", "gone/", "-q"])
        .run();
    assert_eq!(env.keys("c").len(), 20);
    env.cmd(["sync", "-q"]).run();
    assert_eq!(env.ls_cache("c")["entries"], 20);
    assert_miss(&env, "c", "gone/big");
    assert_miss(&env, "c", "gone/07");
    assert_hit(&env, "c", "kept/07", "y");
}

#[test]
fn a_named_cache_downstream_of_another_named_cache_goes_whole() {
    let env = Env::new();
    env.cmd(["depend", "a", "b"]).run();
    env.set("a", "p1", "1");
    env.set("b", "p2", "2");
    env.set("b", "derived", "3");
    // `b` depends on `a`, some of whose keys change, so any of b's entries may
    // be out of date: as a dependent it must go whole (as it does when `a` is
    // named alone).
    env.cmd(["invalidate", "a", "b", "--prefix", "p", "-q"])
        .run();
    assert_miss(&env, "a", "p1");
    assert_miss(&env, "b", "p2");
    assert_miss(&env, "b", "derived");
}

// ---------------------------------------------------------------- tokens

#[test]
fn epoch_is_a_number_that_each_invalidation_advances() {
    let env = Env::new();
    let start = epoch(&env);
    env.cmd(["depend", "a", "b"]).run();
    env.set("a", "k", "v");
    assert_eq!(epoch(&env), start, "only invalidations move the epoch");
    env.cmd(["invalidate", "a", "-q"]).run();
    assert_eq!(epoch(&env), start + 1);
    env.cmd(["invalidate", "b", "--soft", "-q"]).run();
    assert_eq!(epoch(&env), start + 2);
    env.cmd(["invalidate", "a", "--dry-run", "-q"])
        .stdout("a\nb\n")
        .run();
    assert_eq!(epoch(&env), start + 2);
}

#[test]
fn get_with_token_prints_the_token_first() {
    let env = Env::new();
    env.set("c", "k", "value");
    env.cmd(["invalidate", "c", "-q"]).run();
    env.set("c", "k", "value");
    let token = epoch(&env);
    env.cmd(["get", "c", "k", "--with-token"])
        .stdout(format!("{token}\nvalue"))
        .run();
    env.cmd(["get", "c", "nope", "--with-token"])
        .status(1)
        .stdout(format!("{token}\n"))
        .run();
    let out = env
        .cmd(["get", "c", "k", "nope", "--json", "--with-token"])
        .status(1)
        .any_stdout()
        .run()
        .stdout;
    let items = json(&out);
    assert_eq!(items[0]["token"], token);
    assert_eq!(items[0]["value"], "value");
    assert_eq!(items[1]["token"], token);
    assert_eq!(items[1]["hit"], false);
}

#[test]
fn set_if_epoch_stores_when_nothing_was_invalidated() {
    let env = chain();
    let token = epoch(&env).to_string();
    env.cmd(["set", "objects", "new.o", "NEW", "--if-epoch", &token])
        .run();
    assert_hit(&env, "objects", "new.o", "NEW");
    // An invalidation of an unrelated cache, or of a dependent, does not matter.
    env.cmd(["invalidate", "other", "-q"]).run();
    env.cmd(["invalidate", "binaries", "-q"]).run();
    env.cmd(["set", "objects", "later.o", "L", "--if-epoch", &token])
        .run();
    assert_hit(&env, "objects", "later.o", "L");
    // A value stored with an old token is still cleared by a later invalidation.
    env.cmd(["invalidate", "objects", "-q"]).run();
    assert_miss(&env, "objects", "later.o");
    // A token taken from a miss works the same way.
    let out = env
        .cmd(["get", "objects", "main.o", "--with-token"])
        .status(1)
        .any_stdout()
        .run()
        .stdout;
    let token = String::from_utf8(out).unwrap().trim_end().to_owned();
    env.cmd(["set", "objects", "main.o", "fresh", "--if-epoch", &token])
        .run();
    assert_hit(&env, "objects", "main.o", "fresh");
}

/// Runs a `set --if-epoch` that must be refused as out of date: exit 1, one
/// error line and a hint, nothing on stdout, nothing changed on disk.
fn refused_set(env: &Env, cache: &str, key: &str, value: &str, token: u64) {
    let before = env.tree();
    let out = env
        .cmd(["set", cache, key, value, "--if-epoch", &token.to_string()])
        .status(1)
        .any_stderr()
        .run();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_error_form(&stderr);
    assert_eq!(stderr.lines().count(), 2, "expected a hint: {stderr}");
    assert!(stderr.contains(cache), "{stderr}");
    before.assert_same(&env.tree(), "a refused set --if-epoch");
}

#[test]
fn set_if_epoch_is_refused_after_the_cache_or_a_root_was_invalidated() {
    let env = chain();
    let token = epoch(&env);
    env.cmd(["invalidate", "objects", "-q"]).run();
    refused_set(&env, "objects", "main.o", "computed before", token);
    assert_miss(&env, "objects", "main.o");
    // A dependent of the invalidated cache is refused too.
    refused_set(&env, "binaries", "app", "computed before", token);
    assert_miss(&env, "binaries", "app");

    // Through a root: the old value stays as it was (here: fresh, then missing).
    fill_chain(&env);
    let token = epoch(&env);
    env.cmd(["invalidate", "sources", "-q"]).run();
    refused_set(&env, "binaries", "app", "old build", token);
    assert_miss(&env, "binaries", "app");

    // Soft invalidation refuses as well, and the stale value stays stale.
    fill_chain(&env);
    let token = epoch(&env);
    env.cmd(["invalidate", "objects", "--soft", "-q"]).run();
    refused_set(&env, "objects", "main.o", "computed before", token);
    env.cmd(["get", "objects", "main.o", "--stale-ok"])
        .stdout("OBJ")
        .run();
    env.cmd(["get", "objects", "main.o"]).status(1).run();

    // With a fresh token it lands.
    let token = epoch(&env).to_string();
    env.cmd([
        "set",
        "objects",
        "main.o",
        "recomputed",
        "--if-epoch",
        &token,
    ])
    .run();
    assert_hit(&env, "objects", "main.o", "recomputed");
}

#[test]
fn set_if_epoch_with_a_token_from_the_future_is_bad_input() {
    let env = chain();
    let future = (epoch(&env) + 1).to_string();
    let before = env.tree();
    env.cmd(["set", "objects", "main.o", "x", "--if-epoch", &future])
        .usage_error(&future)
        .run();
    env.cmd(["set", "objects", "main.o", "x", "--if-epoch", "soon"])
        .usage_error("soon")
        .run();
    env.cmd(["set", "objects", "main.o", "x", "--if-epoch", "-1"])
        .usage_error("")
        .run();
    before.assert_same(&env.tree(), "set --if-epoch with a bad token");
    assert_hit(&env, "objects", "main.o", "OBJ");
}

#[test]
fn set_if_epoch_with_a_future_token_creates_no_cache() {
    let env = chain();
    let future = (epoch(&env) + 1).to_string();
    let before = env.tree();
    env.cmd(["set", "brand-new", "k", "x", "--if-epoch", &future])
        .usage_error(&future)
        .run();
    before.assert_same(&env.tree(), "set --if-epoch into a new cache");
    assert!(env.ls().iter().all(|c| c["name"] != "brand-new"));
}

#[test]
fn set_if_epoch_is_refused_after_a_key_level_invalidation() {
    let env = Env::new();
    env.set("c", "k", "old");
    let token = epoch(&env);
    env.cmd(["invalidate", "c", "--prefix", "k", "-q"]).run();
    assert_miss(&env, "c", "k");
    // The value was computed from data the invalidation declared out of date.
    refused_set(&env, "c", "k", "computed before", token);
    assert_miss(&env, "c", "k");
}

// ---------------------------------------------------------------- undepend

#[test]
fn undepend_removes_edges_and_their_cascade() {
    let env = chain();
    env.cmd(["depend", "sources", "docs"]).run();
    env.set("docs", "index", "html");
    env.cmd(["undepend", "objects", "binaries"]).run();
    assert_eq!(ls_names(&env, "binaries", "roots"), Vec::<String>::new());
    assert_eq!(
        ls_names(&env, "objects", "dependents"),
        Vec::<String>::new()
    );
    env.cmd(["invalidate", "sources", "-q"]).run();
    assert_miss(&env, "objects", "main.o");
    assert_miss(&env, "docs", "index");
    assert_hit(&env, "binaries", "app", "ELF");

    // Exit 1 when no edge existed; 0 when at least one did.
    env.cmd(["undepend", "objects", "binaries"]).status(1).run();
    env.cmd(["undepend", "sources", "binaries", "docs"]).run();
    env.cmd(["undepend", "sources", "docs"]).status(1).run();
    assert_eq!(
        edges(&graph_json(&env, None)),
        pairs(&[("sources", "objects")])
    );
}

#[test]
fn undepend_of_an_unknown_cache_is_refused() {
    let env = chain();
    let before = env.tree();
    env.cmd(["undepend", "nope", "objects"])
        .usage_error("no cache named 'nope'")
        .run();
    env.cmd(["undepend", "sources", "objects", "nope"])
        .usage_error("nope")
        .run();
    before.assert_same(&env.tree(), "undepend of an unknown cache");
    assert_eq!(ls_names(&env, "sources", "dependents"), ["objects"]);
}

// ---------------------------------------------------------------- drop

#[test]
fn drop_of_a_root_needs_force() {
    let env = chain();
    let before = env.tree();
    env.cmd(["drop", "objects"])
        .usage_error("'binaries' depend")
        .run();
    before.assert_same(&env.tree(), "a refused drop");
    assert_hit(&env, "objects", "main.o", "OBJ");

    env.cmd(["drop", "objects", "--force"]).run();
    assert!(!env.cache_dir("objects").exists());
    let graph = graph_json(&env, None);
    assert!(edges(&graph).is_empty(), "{graph}");
    assert!(!strings(&graph["caches"]).contains(&"objects".to_owned()));
    let dot = env.cmd(["graph", "--dot"]).any_stdout().run().stdout;
    assert!(!String::from_utf8(dot).unwrap().contains("objects"));
    assert_eq!(
        ls_names(&env, "sources", "dependents"),
        Vec::<String>::new()
    );
    assert_eq!(ls_names(&env, "binaries", "roots"), Vec::<String>::new());
    // The former dependent keeps its entries and is cut off from the old root.
    assert_hit(&env, "binaries", "app", "ELF");
    env.cmd(["invalidate", "sources", "-q"]).run();
    assert_hit(&env, "binaries", "app", "ELF");
    // A cache of the same name is new and unconnected.
    env.set("objects", "main.o", "again");
    env.cmd(["invalidate", "sources", "-q"]).run();
    assert_hit(&env, "objects", "main.o", "again");
}

#[test]
fn drop_of_a_dependent_needs_no_force() {
    let env = chain();
    env.cmd(["drop", "binaries"]).run();
    assert_eq!(
        ls_names(&env, "objects", "dependents"),
        Vec::<String>::new()
    );
    assert_eq!(
        edges(&graph_json(&env, None)),
        pairs(&[("sources", "objects")])
    );
    env.cmd(["invalidate", "sources", "--dry-run", "-q"])
        .stdout("sources\nobjects\n")
        .run();
}

// ---------------------------------------------------------------- graph and ls

#[test]
fn graph_prints_a_tree() {
    let env = chain();
    env.cmd(["graph"])
        .stdout("other\nsources\n└── objects\n    └── binaries\n")
        .run();
    env.cmd(["graph", "objects"])
        .stdout("objects\n└── binaries\n")
        .run();
    env.cmd(["graph", "binaries"]).stdout("binaries\n").run();

    let env = diamond();
    env.cmd(["graph"])
        .stdout("a\n├── b\n│   └── d\n└── c\n    └── d (see above)\n")
        .run();
    env.cmd(["graph", "c"]).stdout("c\n└── d\n").run();
}

#[test]
fn graph_dot_lists_every_edge() {
    let env = diamond();
    env.set("lonely", "k", "v");
    let out = env.cmd(["graph", "--dot"]).any_stdout().run().stdout;
    let dot = String::from_utf8(out).unwrap();
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.trim_end().ends_with('}'), "{dot}");
    assert_eq!(dot.matches('{').count(), 1, "{dot}");
    let arrows: BTreeSet<&str> = dot
        .lines()
        .filter(|l| l.contains("->"))
        .map(str::trim)
        .collect();
    assert_eq!(
        arrows,
        BTreeSet::from([
            r#""a" -> "b";"#,
            r#""a" -> "c";"#,
            r#""b" -> "d";"#,
            r#""c" -> "d";"#,
        ])
    );
    for cache in ["a", "b", "c", "d", "lonely"] {
        assert!(
            dot.contains(&format!("\"{cache}\"")),
            "{cache} missing:\n{dot}"
        );
    }
    // Only the part below a cache.
    let out = env.cmd(["graph", "b", "--dot"]).any_stdout().run().stdout;
    let dot = String::from_utf8(out).unwrap();
    let arrows: Vec<&str> = dot
        .lines()
        .filter(|l| l.contains("->"))
        .map(str::trim)
        .collect();
    assert_eq!(arrows, [r#""b" -> "d";"#]);
    assert!(!dot.contains("\"a\"") && !dot.contains("lonely"), "{dot}");
}

#[test]
fn graph_json_lists_caches_and_edges() {
    let env = diamond();
    env.set("lonely", "k", "v");
    let graph = graph_json(&env, None);
    assert_eq!(strings(&graph["caches"]), ["a", "b", "c", "d", "lonely"]);
    assert_eq!(
        edges(&graph),
        pairs(&[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    );
    assert_eq!(graph["edges"].as_array().unwrap().len(), 4);
    let below_c = graph_json(&env, Some("c"));
    let mut caches = strings(&below_c["caches"]);
    caches.sort();
    assert_eq!(caches, ["c", "d"]);
    assert_eq!(edges(&below_c), pairs(&[("c", "d")]));
}

#[test]
fn graph_of_an_unknown_cache_or_an_empty_store() {
    let env = Env::new();
    env.cmd(["graph"]).run();
    env.cmd(["graph", "--json"])
        .stdout("{\"bindings\":{},\"caches\":[],\"edges\":[]}\n")
        .run();
    env.cmd(["graph", "nope"])
        .usage_error("no cache named 'nope'")
        .run();
    env.cmd(["graph", "nope", "--json"])
        .usage_error("nope")
        .run();
    assert!(!env.store().exists(), "reading the graph created the store");
    env.set("c", "k", "v");
    env.cmd(["graph", "nope"]).usage_error("nope").run();
    env.cmd(["graph", "c"]).stdout("c\n").run();
}

#[test]
fn ls_shows_roots_and_dependents() {
    let env = diamond();
    let table_text = String::from_utf8(env.cmd(["ls"]).any_stdout().run().stdout).unwrap();
    let rows = common::table(&table_text);
    let by_name: BTreeMap<&str, &BTreeMap<String, String>> =
        rows.iter().map(|r| (r["NAME"].as_str(), r)).collect();
    assert_eq!(by_name.len(), 4, "{table_text}");
    assert_eq!(by_name["a"]["ROOTS"], "-");
    assert_eq!(by_name["a"]["DEPENDENTS"], "b,c");
    assert_eq!(by_name["b"]["ROOTS"], "a");
    assert_eq!(by_name["b"]["DEPENDENTS"], "d");
    assert_eq!(by_name["d"]["ROOTS"], "b,c");
    assert_eq!(by_name["d"]["DEPENDENTS"], "-");

    assert_eq!(ls_names(&env, "a", "roots"), Vec::<String>::new());
    assert_eq!(ls_names(&env, "a", "dependents"), ["b", "c"]);
    assert_eq!(ls_names(&env, "d", "roots"), ["b", "c"]);
    assert_eq!(ls_names(&env, "d", "dependents"), Vec::<String>::new());
}

// ---------------------------------------------------------------- disk, processes, batch

#[test]
fn space_is_reclaimed_at_the_next_sync() {
    let env = chain();
    for i in 0..50 {
        env.set("objects", format!("o{i}"), "x".repeat(100));
    }
    env.cmd(["sync", "-q"]).run();
    env.set("objects", "after-sync", "y");
    assert_eq!(env.ls_cache("objects")["entries"], 52);
    env.cmd(["invalidate", "objects", "-q"]).run();
    assert!(env.keys("objects").is_empty());
    env.cmd(["sync", "-q", "objects"]).run();
    let objects = env.ls_cache("objects");
    assert_eq!(objects["entries"], 0, "{objects}");
    assert_eq!(objects["bytes"], 0, "{objects}");
    assert_eq!(objects["pending"], 0, "{objects}");
    env.cmd(["sync", "-q", "binaries"]).run();
    assert_eq!(env.ls_cache("binaries")["entries"], 0);
    assert_eq!(env.ls_cache("sources")["entries"], 1);
    // New writes count again.
    env.set("objects", "new", "n");
    assert_eq!(env.ls_cache("objects")["entries"], 1);
    assert_hit(&env, "objects", "new", "n");
}

#[test]
fn an_invalidation_is_on_disk_for_every_later_process() {
    let env = chain();
    let before = env.tree();
    env.cmd(["invalidate", "objects", "-q"]).run();
    let after = env.tree();
    assert_ne!(before, after, "the invalidation wrote nothing");
    // Each check below is a new process reading the store from disk.
    assert_miss(&env, "objects", "main.o");
    assert_miss(&env, "binaries", "app");
    // And through a differently named store: the same directory via --dir.
    env.cmd(["get", "binaries", "app", "--dir"])
        .arg(env.store())
        .status(1)
        .run();
}

#[test]
fn invalidation_inside_a_batch() {
    let env = chain();
    let answers = batch(
        &env,
        "get objects main.o\n\
         invalidate sources --quiet\n\
         get sources main.c\n\
         get objects main.o\n\
         get binaries app\n\
         get other k\n\
         set objects main.o rebuilt\n\
         get objects main.o\n\
         invalidate objects --soft --quiet\n\
         get objects main.o --stale-ok\n\
         invalidate binaries --dry-run --quiet\n\
         depend other binaries\n\
         graph other\n",
    );
    let got: Vec<(i64, String)> = answers
        .iter()
        .map(|a| {
            (
                a["status"].as_i64().unwrap(),
                a["output"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(i64, &str)> = vec![
        (0, "OBJ"),
        (0, ""),
        (1, ""),
        (1, ""),
        (1, ""),
        (0, "untouched"),
        (0, ""),
        (0, "rebuilt"),
        (0, ""),
        (0, "rebuilt"),
        (0, "binaries\n"),
        (0, ""),
        (0, "other\n└── binaries\n"),
    ];
    let expected: Vec<(i64, String)> = expected
        .into_iter()
        .map(|(s, o)| (s, o.to_owned()))
        .collect();
    assert_eq!(got, expected, "{answers:#?}");
    // Seen by later processes too.
    assert_miss(&env, "sources", "main.c");
    env.cmd(["get", "objects", "main.o"]).status(1).run();
    env.cmd(["get", "objects", "main.o", "--stale-ok"])
        .stdout("rebuilt")
        .run();
    assert_eq!(ls_names(&env, "other", "dependents"), ["binaries"]);
}

#[test]
fn a_cycle_inside_a_batch_is_an_error_answer() {
    let env = chain();
    let out = env
        .cmd(["batch"])
        .stdin("depend binaries sources\nget sources main.c\n")
        .status(2)
        .any_stdout()
        .any_stderr()
        .run()
        .stdout;
    let answers: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| json(l.as_bytes()))
        .collect();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["status"], 2);
    let error = answers[0]["error"].as_str().unwrap();
    assert!(
        error.contains("binaries -> sources -> objects -> binaries"),
        "{error}"
    );
    assert_eq!(answers[1]["status"], 0);
    assert_eq!(answers[1]["output"], "int main;");
}

// ---------------------------------------------------------------- concurrency

#[test]
fn concurrent_depends_lose_no_edge() {
    const WORKERS: usize = 16;
    let env = Env::new();
    thread::scope(|scope| {
        for i in 0..WORKERS {
            let env = &env;
            scope.spawn(move || {
                let out = env
                    .std_command()
                    .args(["depend", "root", &format!("d{i:02}")])
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{out:?}");
            });
        }
    });
    let expected: BTreeSet<(String, String)> = (0..WORKERS)
        .map(|i| ("root".to_owned(), format!("d{i:02}")))
        .collect();
    assert_eq!(edges(&graph_json(&env, None)), expected);
    assert_eq!(env.ls().len(), WORKERS + 1);
}

#[test]
fn concurrent_invalidations_each_advance_the_epoch() {
    const WORKERS: u64 = 12;
    let env = chain();
    let start = epoch(&env);
    thread::scope(|scope| {
        for i in 0..WORKERS {
            let env = &env;
            scope.spawn(move || {
                let cache = ["sources", "objects", "binaries"][i as usize % 3];
                let out = env
                    .std_command()
                    .args(["invalidate", cache, "-q"])
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{out:?}");
            });
        }
    });
    assert_eq!(epoch(&env), start + WORKERS);
    assert_miss(&env, "sources", "main.c");
    assert_miss(&env, "objects", "main.o");
    assert_miss(&env, "binaries", "app");
    assert_hit(&env, "other", "k", "untouched");
}
