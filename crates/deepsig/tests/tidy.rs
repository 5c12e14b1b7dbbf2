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
    const MAX_LINES: usize = 600;
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

/// The crate graph reads as the pipeline: the maths and the data crates stand alone.
#[test]
fn library_crates_depend_on_no_internal_crate_above_them() {
    let root = workspace_root();
    let allowed: &[(&str, &[&str])] = &[
        ("deepsig-signature", &[]),
        ("deepsig-md", &[]),
        ("deepsig", &["deepsig-signature", "deepsig-md", "deepsig-model"]),
    ];
    for (krate, deps) in allowed {
        let manifest =
            fs::read_to_string(root.join("crates").join(krate).join("Cargo.toml")).unwrap();
        for line in manifest.lines() {
            let name = line.split(['=', '.']).next().unwrap_or("").trim();
            if name.starts_with("deepsig") {
                assert!(deps.contains(&name), "{krate} must not depend on {name}");
            }
        }
    }
}
