//! Checks of the tree's shape that ARCHITECTURE.md promises: no cycle between the
//! top-level modules of `src/`, and the pure modules import no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Top-level module → the top-level modules its files name as `crate::…`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).expect("under src/");
            let first = relative.components().next().expect("a first component");
            let module = first
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            if module == "main" || module == "lib" {
                continue;
            }
            let text = fs::read_to_string(&path).expect("a source file is UTF-8");
            let names = text.split("crate::").skip(1).filter_map(|rest| {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                (!name.is_empty()).then_some(name)
            });
            let targets = edges.entry(module.clone()).or_default();
            targets.extend(names.filter(|name| *name != module));
        }
    }
    edges
}

/// Whether `to` can be reached from `from` by following imports.
fn reaches(edges: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_owned()];
    while let Some(module) = stack.pop() {
        if module == to {
            return true;
        }
        if seen.insert(module.clone()) {
            stack.extend(edges.get(&module).into_iter().flatten().cloned());
        }
    }
    false
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let edges = imports();
    assert!(edges.contains_key("service") && edges.contains_key("mail"));
    let cycles: Vec<String> = edges
        .iter()
        .flat_map(|(from, targets)| targets.iter().map(move |to| (from, to)))
        .filter(|(from, to)| reaches(&edges, to, from))
        .map(|(from, to)| format!("{from} → {to}"))
        .collect();
    assert!(cycles.is_empty(), "imports in a cycle: {cycles:?}");
}

#[test]
fn pure_modules_reach_no_io() {
    let edges = imports();
    let io = ["store", "service", "http", "mail", "app", "files", "secret"];
    for pure in ["reference", "workflow", "outbox", "access", "link", "note"] {
        for module in io {
            assert!(
                !reaches(&edges, pure, module),
                "the pure module `{pure}` reaches `{module}`"
            );
        }
    }
}
