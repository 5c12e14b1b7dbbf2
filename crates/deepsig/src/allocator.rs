//! Tells glibc's allocator to keep freed memory for reuse instead of returning it to the OS.
//!
//! The tensor backend allocates a fresh buffer for every operation's output, many of them
//! megabytes in size. By default glibc serves those with `mmap` and gives them back with
//! `munmap` on free, so every training step page-faults and zeroes its whole working set
//! again: a third of the CPU time of `deepsig bench train` at GPCR size went to page faults.
//! Serving every allocation from the heap and never trimming it makes a step reuse the
//! previous step's pages (BENCHMARKS.md, "Training"); peak memory is still the step's. One
//! arena per core, not glibc's default of eight per core (peak RSS at GPCR size 501 MB with
//! that default, 447 MB with one arena, in an earlier build), nor one for all threads, which
//! made micro-batches trained at once wait on its lock (a small system's epoch on two threads
//! 1.17 s with one arena, 0.96-1.09 s with two; GPCR size 578 MB with one, 589 MB with two:
//! BENCHMARKS.md, "Two micro-batches of a small system"). Measured on two cores only. A
//! known cost, from glibc's design: a thread's own arena grows in heaps of at most 64 MiB,
//! so a larger buffer allocated off the main thread (training runs on the pool's threads)
//! comes back as fresh pages each time, e.g. the LSTM input weights' gradient once
//! `clusters` exceeds about 60. Measured with `deepsig bench train --set clusters=70` (a
//! 91 MB gradient), 32 → 96 windows: 558 K → 1,446 K minor page faults on one thread, 484 K
//! → 865 K on two, against 223 K → 292 K at the default 50 clusters (46 MB).

/// Applies the settings; call once, first thing in `main`, before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn keep_freed_memory() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let arenas = i32::try_from(cores).unwrap_or(i32::MAX);
    // SAFETY: mallopt only changes allocator parameters; it is called before any other
    // thread exists, and each parameter is documented for such values (mallopt(3)).
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

/// Other platforms' allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn keep_freed_memory() {}
