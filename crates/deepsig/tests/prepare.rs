//! `deepsig prepare --shard`: shards fill the cache with exactly the entries one process
//! would, and a whole prepare afterwards finds every trajectory there.

use std::collections::BTreeSet;
use std::path::Path;

use crate::{deepsig, stderr};

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn prepare(dir: &Path, cache: &str, shard: &str) -> serde_json::Value {
    let args = [
        "prepare",
        "--manifest",
        "data/manifest.toml",
        "--cache",
        cache,
        "--shard",
        shard,
        "--preset",
        "small",
        "--json",
    ];
    let out = deepsig(&args, dir);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn shards_fill_the_cache_one_process_would() {
    let dir = tempfile::tempdir().unwrap();
    let generate = ["generate", "motion", "-o", "data", "--per-class", "3", "--frames", "30"];
    let out = deepsig(&[&generate[..], &["--residues", "10"]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let (a, b) = (prepare(dir.path(), "sharded", "0/2"), prepare(dir.path(), "sharded", "1/2"));
    assert_eq!((a["read"].as_u64(), b["read"].as_u64()), (Some(3), Some(3)));
    let whole = prepare(dir.path(), "whole", "0/1");
    assert_eq!(whole["read"].as_u64(), Some(6));
    assert_eq!(entries(&dir.path().join("sharded")), entries(&dir.path().join("whole")));
    // Everything is there now: a whole prepare over the sharded cache reads nothing.
    let again = prepare(dir.path(), "sharded", "0/1");
    assert_eq!((again["read"].as_u64(), again["cached"].as_u64()), (Some(0), Some(6)));
    // And `train` on that cache starts from it (a bad shard is refused by name).
    let out = deepsig(
        &["prepare", "--manifest", "data/manifest.toml", "--cache", "c", "--shard", "2/2"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--shard \"2/2\""), "{}", stderr(&out));
}
