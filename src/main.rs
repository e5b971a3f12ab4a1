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
    /// glibc's `M_ARENA_MAX` (malloc.h).
    const M_ARENA_MAX: i32 = -8;
    tidings::app::set_malloc_option("MALLOC_ARENA_MAX", M_ARENA_MAX, 2);
}
