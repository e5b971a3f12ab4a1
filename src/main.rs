fn main() {
    limit_malloc_arenas();
    std::process::exit(tidings::cli::main());
}

/// At most two glibc malloc arenas (what `MALLOC_ARENA_MAX=2` sets), unless the
/// environment chooses. glibc gives threads up to eight arenas per core, and each keeps
/// what a burst of polls freed in it; with two, the idle daemon of
/// `benches/daemon/run.sh` (1,000 sources) held 113–117 MiB instead of 132–139 MiB and
/// a cold `tidings poll` of 1,000 feeds peaked at 72 MiB instead of 81 MiB, for the same
/// CPU time (README, "Memory: the daemon, and N = 10,000").
///
/// And blocks of 128 KiB or more (feed bodies, their decoded text, sled's buffers) come
/// from their own mappings, given back when freed (what `MALLOC_MMAP_THRESHOLD_=131072`
/// sets). glibc starts there but raises the threshold to the largest block freed, after
/// which such blocks are carved from the arenas and leave holes that `malloc_trim`
/// cannot return: the idle daemon held 85 MiB with the moving threshold and 72 MiB with
/// this one, for 3 % more CPU in its first cycle.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        /// glibc's `M_ARENA_MAX` and `M_MMAP_THRESHOLD` (malloc.h).
        const M_ARENA_MAX: std::ffi::c_int = -8;
        const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
        // SAFETY: mallopt takes two integers and only changes the allocator's settings;
        // it is called first thing in main, before any other thread exists.
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            unsafe {
                mallopt(M_ARENA_MAX, 2);
            }
        }
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            // SAFETY: as above.
            unsafe {
                mallopt(M_MMAP_THRESHOLD, 128 * 1024);
            }
        }
    }
}
