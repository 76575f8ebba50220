//! The dependency graph between caches: edges `root -> dependent`, kept acyclic,
//! and the cascade an invalidation follows.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::name::CacheName;

/// Edges from each root to the caches that depend on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Graph {
    edges: BTreeMap<String, BTreeSet<String>>,
}

/// Adding an edge would close this cycle, written `a -> b -> ... -> a`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle(pub Vec<String>);

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" -> "))
    }
}

impl Graph {
    /// Adds `root -> dependent`, refusing an edge that would close a cycle.
    /// Returns whether the edge is new.
    pub fn add(&mut self, root: &str, dependent: &str) -> Result<bool, Cycle> {
        if let Some(mut path) = self.path(dependent, root) {
            // dependent ->...-> root, closed by the new edge root -> dependent.
            path.insert(0, root.to_string());
            return Err(Cycle(path));
        }
        Ok(self
            .edges
            .entry(root.to_string())
            .or_default()
            .insert(dependent.to_string()))
    }

    /// Removes `root -> dependent`; returns whether it existed.
    pub fn remove(&mut self, root: &str, dependent: &str) -> bool {
        let Some(dependents) = self.edges.get_mut(root) else {
            return false;
        };
        let removed = dependents.remove(dependent);
        if dependents.is_empty() {
            self.edges.remove(root);
        }
        removed
    }

    /// Adds `root -> dependent` for each dependent, refusing a cycle with its
    /// path. Returns how many edges are new.
    pub(crate) fn add_all(&mut self, root: &CacheName, dependents: &[CacheName]) -> Result<usize> {
        let mut added = 0;
        for dependent in dependents {
            let new = self
                .add(root.as_str(), dependent.as_str())
                .map_err(|cycle| Error::Cycle {
                    root: root.to_string(),
                    dependent: dependent.to_string(),
                    cycle: cycle.0,
                })?;
            added += usize::from(new);
        }
        Ok(added)
    }

    /// Removes `root -> dependent` for each dependent; returns how many existed.
    pub(crate) fn remove_all(&mut self, root: &CacheName, dependents: &[CacheName]) -> usize {
        dependents
            .iter()
            .filter(|dependent| self.remove(root.as_str(), dependent.as_str()))
            .count()
    }

    /// Removes every edge that touches `cache`.
    pub fn remove_cache(&mut self, cache: &str) {
        self.edges.remove(cache);
        self.edges.retain(|_, dependents| {
            dependents.remove(cache);
            !dependents.is_empty()
        });
    }

    /// The caches that depend on `cache` directly.
    pub fn dependents(&self, cache: &str) -> impl Iterator<Item = &str> {
        self.edges
            .get(cache)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// The caches `cache` depends on directly.
    pub fn roots(&self, cache: &str) -> impl Iterator<Item = &str> {
        self.edges
            .iter()
            .filter(move |(_, dependents)| dependents.contains(cache))
            .map(|(root, _)| root.as_str())
    }

    /// Every edge, sorted.
    pub fn edges(&self) -> impl Iterator<Item = (&str, &str)> {
        self.edges
            .iter()
            .flat_map(|(root, deps)| deps.iter().map(move |dep| (root.as_str(), dep.as_str())))
    }

    /// A shortest path `from ->...-> to` along edges, if there is one.
    fn path(&self, from: &str, to: &str) -> Option<Vec<String>> {
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        let mut seen = BTreeSet::from([from]);
        while let Some(node) = queue.pop_front() {
            if node == to {
                let mut path = vec![to.to_string()];
                let mut at = to;
                while let Some(&prev) = came_from.get(at) {
                    path.push(prev.to_string());
                    at = prev;
                }
                path.reverse();
                return Some(path);
            }
            for next in self.dependents(node) {
                if seen.insert(next) {
                    came_from.insert(next, node);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// The named caches and all their transitive dependents, in cascade order:
    /// every cache after all of its roots that are in the cascade.
    pub fn cascade<'a>(&'a self, start: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut reached = BTreeSet::new();
        let mut stack: Vec<&str> = start.into_iter().collect();
        while let Some(node) = stack.pop() {
            if reached.insert(node) {
                stack.extend(self.dependents(node));
            }
        }
        // Kahn's algorithm over the reached part of the graph.
        let mut pending_roots: BTreeMap<&str, usize> = reached
            .iter()
            .map(|&node| {
                (
                    node,
                    self.roots(node).filter(|r| reached.contains(r)).count(),
                )
            })
            .collect();
        let mut ready: VecDeque<&str> = pending_roots
            .iter()
            .filter(|&(_, &n)| n == 0)
            .map(|(&node, _)| node)
            .collect();
        let mut order = Vec::with_capacity(reached.len());
        while let Some(node) = ready.pop_front() {
            order.push(node.to_string());
            for dep in self.dependents(node) {
                if let Some(n) = pending_roots.get_mut(dep) {
                    *n -= 1;
                    if *n == 0 {
                        ready.push_back(dep);
                    }
                }
            }
        }
        order
    }

    /// The graph below `top` (or below every cache without roots) as an indented
    /// tree. A cache reached again through another root is shown once, then
    /// marked `(see above)`.
    pub fn tree(&self, tops: &[String]) -> String {
        let mut out = String::new();
        let mut shown = BTreeSet::new();
        for top in tops {
            out.push_str(top);
            out.push('\n');
            shown.insert(top.clone());
            self.subtree(top, "", &mut shown, &mut out);
        }
        out
    }

    fn subtree(&self, node: &str, indent: &str, shown: &mut BTreeSet<String>, out: &mut String) {
        let children: Vec<&str> = self.dependents(node).collect();
        for (i, child) in children.iter().enumerate() {
            let last = i + 1 == children.len();
            out.push_str(indent);
            out.push_str(if last { "└── " } else { "├── " });
            out.push_str(child);
            if !shown.insert(child.to_string()) {
                out.push_str(" (see above)\n");
                continue;
            }
            out.push('\n');
            let deeper = format!("{indent}{}", if last { "    " } else { "│   " });
            self.subtree(child, &deeper, shown, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> Graph {
        let mut g = Graph::default();
        for (root, dep) in edges {
            g.add(root, dep).unwrap();
        }
        g
    }

    #[test]
    fn a_chain_cascades_in_order() {
        let g = graph(&[("sources", "objects"), ("objects", "binaries")]);
        assert_eq!(g.cascade(["sources"]), ["sources", "objects", "binaries"]);
        assert_eq!(g.cascade(["objects"]), ["objects", "binaries"]);
        assert_eq!(g.cascade(["binaries"]), ["binaries"]);
    }

    #[test]
    fn a_diamond_reaches_the_bottom_once_and_last() {
        let g = graph(&[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]);
        let order = g.cascade(["a"]);
        assert_eq!(order.len(), 4);
        assert_eq!(order.first().unwrap(), "a");
        assert_eq!(order.last().unwrap(), "d");
    }

    #[test]
    fn a_wide_graph_reaches_every_dependent() {
        let mut g = Graph::default();
        for i in 0..1000 {
            g.add("root", &format!("dep{i:04}")).unwrap();
        }
        let order = g.cascade(["root"]);
        assert_eq!(order.len(), 1001);
        assert_eq!(order[0], "root");
        assert_eq!(g.cascade(["dep0500"]), ["dep0500"]);
    }

    #[test]
    fn a_cycle_is_refused_with_its_path() {
        let mut g = graph(&[("a", "b"), ("b", "c")]);
        let cycle = g.add("c", "a").unwrap_err();
        assert_eq!(cycle.to_string(), "c -> a -> b -> c");
        assert_eq!(g.add("a", "a").unwrap_err().to_string(), "a -> a");
        assert_eq!(g.edges().count(), 2, "a refused edge is not added");
    }

    #[test]
    fn edges_come_and_go() {
        let mut g = graph(&[("a", "b"), ("a", "c"), ("c", "d")]);
        assert_eq!(g.add("a", "b"), Ok(false));
        assert!(g.remove("a", "b"));
        assert!(!g.remove("a", "b"));
        assert_eq!(g.roots("d").collect::<Vec<_>>(), ["c"]);
        g.remove_cache("c");
        assert_eq!(g.edges().count(), 0);
    }

    #[test]
    fn trees_mark_repeats() {
        let g = graph(&[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]);
        assert_eq!(
            g.tree(&["a".into()]),
            "a\n├── b\n│   └── d\n└── c\n    └── d (see above)\n"
        );
    }
}
