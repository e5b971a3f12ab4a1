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
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        unsafe extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        /// glibc's `M_ARENA_MAX` (malloc.h).
        const M_ARENA_MAX: std::ffi::c_int = -8;
        // SAFETY: mallopt takes two integers and only changes the allocator's settings;
        // it is called first thing in main, before any other thread exists.
        unsafe {
            mallopt(M_ARENA_MAX, 2);
        }
    }
}
