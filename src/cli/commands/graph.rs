//! `cacheman graph`: the dependency graph as a tree, Graphviz, or JSON.

use std::io::Write;

use clap::Args;
use serde_json::json;

use crate::cli::commands::ls;
use crate::cli::context::Context;
use crate::cli::output;
use crate::error::Result;
use crate::exit_code::ExitCode;
use crate::name::CacheName;
use crate::store::unknown_cache;

/// Show the dependency graph: an indented tree, Graphviz (--dot) or JSON
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cacheman graph                  # every cache, under the caches it depends on
  cacheman graph sources          # sources and everything depending on it
  cacheman graph --dot | dot -Tsvg > graph.svg")]
pub struct GraphArgs {
    /// Show only this cache and what depends on it
    pub cache: Option<String>,
    /// Print Graphviz DOT
    #[arg(long, conflicts_with = "json")]
    pub dot: bool,
    /// Print {"caches": [...], "edges": [{"root": .., "dependent": ..}]}
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: GraphArgs, out: &mut dyn Write) -> Result<ExitCode> {
    let graph = ctx.store.graph()?;
    let all: Vec<String> = ctx
        .store
        .list()?
        .into_iter()
        .map(|c| c.name.to_string())
        .collect();
    let (caches, tops) = match &args.cache {
        Some(name) => {
            let cache = CacheName::new(name)?;
            if !all.iter().any(|c| c == cache.as_str()) {
                return Err(unknown_cache(&cache));
            }
            (graph.cascade([cache.as_str()]), vec![cache.to_string()])
        }
        None => {
            let tops = all
                .iter()
                .filter(|c| graph.roots(c).next().is_none())
                .cloned()
                .collect();
            (all, tops)
        }
    };
    let mut bound = crate::store::bindings_if_any(&*ctx.store)?;
    bound.retain(|cache, _| caches.contains(cache));
    let edges: Vec<(&str, &str)> = graph
        .edges()
        .filter(|(root, dep)| caches.iter().any(|c| c == root) && caches.iter().any(|c| c == dep))
        .collect();
    if args.json {
        let edges: Vec<_> = edges
            .iter()
            .map(|(r, d)| json!({ "root": r, "dependent": d }))
            .collect();
        let bound: serde_json::Map<String, serde_json::Value> = bound
            .iter()
            .map(|(cache, binding)| (cache.clone(), ls::patterns_json(&binding.patterns)))
            .collect();
        output::json_line(
            out,
            &json!({ "caches": caches, "edges": edges, "bindings": bound }),
        )?;
    } else if args.dot {
        let mut text = String::from("digraph cacheman {\n");
        for cache in &caches {
            text.push_str(&format!("  {cache:?};\n"));
        }
        for (root, dep) in &edges {
            text.push_str(&format!("  {root:?} -> {dep:?};\n"));
        }
        for (cache, binding) in &bound {
            for pattern in &binding.patterns {
                let file = pattern.to_string();
                text.push_str(&format!(
                    "  {file:?} [shape=note];\n  {file:?} -> {cache:?};\n"
                ));
            }
        }
        text.push_str("}\n");
        output::write_all(out, text.as_bytes())?;
    } else {
        let mut text = graph.tree(&tops);
        for (cache, binding) in &bound {
            for pattern in &binding.patterns {
                text.push_str(&format!("{cache} <- {}\n", pattern.shown()));
            }
        }
        output::write_all(out, text.as_bytes())?;
    }
    Ok(ExitCode::Success)
}
