//! Tells glibc's allocator to keep freed memory for reuse instead of returning it to the OS.
//!
//! The tensor backend allocates a fresh buffer for every operation's output, many of them
//! megabytes in size. By default glibc serves those with `mmap` and gives them back with
//! `munmap` on free, so every training step page-faults and zeroes its whole working set
//! again: a third of the CPU time of `deepsig bench train` at GPCR size went to page faults.
//! Serving every allocation from the heap and never trimming it makes a step reuse the
//! previous step's pages (BENCHMARKS.md, "Training"); peak memory is still the step's. One
//! arena for all threads: the matrix product's worker threads would otherwise each grow a
//! heap of their own (peak RSS 501 MB with per-thread arenas, 447 MB with one).

/// Applies the settings; call once, first thing in `main`, before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn keep_freed_memory() {
    // SAFETY: mallopt only changes allocator parameters; it is called before any other
    // thread exists, and both parameters are documented for these values (mallopt(3)).
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Other platforms' allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn keep_freed_memory() {}
