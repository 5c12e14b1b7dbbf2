//! House rules that are cheap to check mechanically (see ARCHITECTURE.md).

use std::fs;
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

fn all_rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    assert!(files.len() > 10, "found only {} Rust files; is the walk broken?", files.len());
    files
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    for file in all_rust_files() {
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} must start with a `//!` line saying what it holds",
            file.display()
        );
    }
}

#[test]
fn files_stay_readable_in_one_sitting() {
    const MAX_LINES: usize = 500;
    for file in all_rust_files() {
        let lines = fs::read_to_string(&file).unwrap().lines().count();
        assert!(
            lines <= MAX_LINES,
            "{} has {lines} lines; split it (limit {MAX_LINES})",
            file.display()
        );
    }
}

#[test]
fn no_should_panic_ignore_or_trailing_whitespace() {
    let forbidden = [concat!("#[should", "_panic"), concat!("#[ig", "nore")];
    for file in all_rust_files() {
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for f in forbidden {
                assert!(
                    !line.contains(f),
                    "{}:{}: {f} is not allowed: test errors, not panics",
                    file.display(),
                    n + 1
                );
            }
            assert!(!line.ends_with(' '), "{}:{}: trailing whitespace", file.display(), n + 1);
        }
    }
}

/// The crate graph reads as the pipeline: the maths and the data crates stand alone, and
/// the test helpers are a dev-dependency only (of every crate), depending on none.
#[test]
fn library_crates_depend_on_no_internal_crate_above_them() {
    let root = workspace_root();
    let allowed: &[(&str, &[&str])] = &[
        ("deepsig-signature", &[]),
        ("deepsig-md", &[]),
        ("deepsig", &["deepsig-signature", "deepsig-md", "deepsig-model"]),
        ("deepsig-testutil", &[]),
    ];
    for (krate, deps) in allowed {
        let manifest =
            fs::read_to_string(root.join("crates").join(krate).join("Cargo.toml")).unwrap();
        let mut section = "";
        for line in manifest.lines() {
            if line.starts_with('[') {
                section = line.trim();
            }
            let name = line.split(['=', '.']).next().unwrap_or("").trim();
            let test_helpers = name == "deepsig-testutil" && section == "[dev-dependencies]";
            if name.starts_with("deepsig") && !test_helpers && !line.starts_with("name") {
                assert!(deps.contains(&name), "{krate} must not depend on {name}");
            }
        }
    }
}

/// The top-level modules of `crate_dir/src` that each one names as `crate::MODULE`, outside
/// comments and `#[cfg(test)]` blocks: module → the modules it uses.
fn module_imports(crate_dir: &Path) -> std::collections::BTreeMap<String, Vec<String>> {
    let src = crate_dir.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let top = |p: &Path| -> String {
        let rel = p.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        first.trim_end_matches(".rs").to_string()
    };
    let modules: std::collections::BTreeSet<String> = files.iter().map(|p| top(p)).collect();
    let mut imports: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for path in &files {
        let from = top(path);
        if from == "lib" || from == "main" {
            continue;
        }
        let text = fs::read_to_string(path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for line in code.lines() {
            let line = line.split("//").next().unwrap_or("");
            // `crate::a::b`, and the groups of `use crate::{a::x, b::{y, z}}`.
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                    group
                        .split(',')
                        .map(|item| item.trim().split("::").next().unwrap_or(""))
                        .collect()
                } else {
                    vec![rest.split("::").next().unwrap_or("")]
                };
                for name in names {
                    let name: String = name
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if name != from && modules.contains(&name) {
                        let list = imports.entry(from.clone()).or_default();
                        if !list.contains(&name) {
                            list.push(name);
                        }
                    }
                }
            }
        }
    }
    imports
}

#[test]
fn the_modules_of_each_crate_form_layers_without_a_cycle() {
    let root = workspace_root();
    let mut cycles = Vec::new();
    for name in ["deepsig-signature", "deepsig-md", "deepsig-model", "deepsig", "deepsig-py"] {
        let imports = module_imports(&root.join("crates").join(name));
        // Depth-first search; a module met again on the current path closes a cycle.
        fn visit(
            m: &str,
            imports: &std::collections::BTreeMap<String, Vec<String>>,
            path: &mut Vec<String>,
            done: &mut std::collections::BTreeSet<String>,
            cycles: &mut Vec<String>,
        ) {
            if let Some(at) = path.iter().position(|p| p == m) {
                cycles.push(format!("{} -> {m}", path[at..].join(" -> ")));
                return;
            }
            if !done.insert(m.to_string()) {
                return;
            }
            path.push(m.to_string());
            for next in imports.get(m).into_iter().flatten() {
                visit(next, imports, path, done, cycles);
            }
            path.pop();
        }
        let mut done = Default::default();
        for m in imports.keys() {
            visit(m, &imports, &mut Vec::new(), &mut done, &mut cycles);
        }
        for c in cycles.iter_mut().filter(|c| !c.contains(':')) {
            *c = format!("{name}: {c}");
        }
    }
    assert!(cycles.is_empty(), "module import cycles:\n{}", cycles.join("\n"));
}

/// One style of error in the library crates above the maths: every exported `…Error` or
/// `…ErrorKind` type derives `thiserror::Error` (its message beside each variant) and is
/// `#[non_exhaustive]` (a new case is not a breaking change). deepsig-signature depends on
/// nothing, so its one `Error` writes `Display` by hand.
#[test]
fn library_errors_derive_thiserror_and_are_non_exhaustive() {
    let mut checked = 0;
    for krate in ["deepsig-md", "deepsig-model"] {
        // The public API: what lib.rs exports, or modules it makes public.
        let lib =
            fs::read_to_string(workspace_root().join("crates").join(krate).join("src/lib.rs"))
                .unwrap();
        let mut files = Vec::new();
        rust_files(&workspace_root().join("crates").join(krate).join("src"), &mut files);
        for file in files {
            let text = fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (k, line) in lines.iter().enumerate() {
                let Some(rest) =
                    line.strip_prefix("pub enum ").or_else(|| line.strip_prefix("pub struct "))
                else {
                    continue;
                };
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
                let public = lib.contains(&name);
                let module_public = file
                    .file_stem()
                    .is_some_and(|m| lib.contains(&format!("pub mod {}", m.to_string_lossy())));
                if !(name.ends_with("Error") || name.ends_with("ErrorKind"))
                    || !(public || module_public)
                {
                    continue;
                }
                let attributes: Vec<&str> = lines[..k]
                    .iter()
                    .rev()
                    .map(|l| l.trim())
                    .take_while(|l| !l.is_empty() && !l.ends_with('}') && !l.ends_with(';'))
                    .collect();
                let has = |needle: &str| attributes.iter().any(|a| a.contains(needle));
                let at = format!("{}:{}", file.display(), k + 1);
                assert!(has("thiserror::Error"), "{at}: {name} must derive thiserror::Error");
                assert!(has("#[non_exhaustive]"), "{at}: {name} must be #[non_exhaustive]");
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "checked only {checked} error types; is the scan broken?");
}
