//! `tidings run` as a child process, for tests that kill it (SIGKILL) mid-delivery.

use std::process::{Command, Stdio};

/// `tidings run` as a child process with its stderr collected.
pub fn daemon(config: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["run", "-c"])
        .arg(config)
        .env("RUST_LOG", "tidings=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Read the child's stderr until a line contains `needle` (bounded: 60 s).
pub fn wait_for_log(child: &mut std::process::Child, needle: &str) -> String {
    use std::io::BufRead;
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let needle = needle.to_string();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let mut seen = log.lock().unwrap_or_else(|e| e.into_inner());
            seen.push_str(&line);
            seen.push('\n');
            if line.contains(&needle) {
                let _ = tx.send(Ok(seen.clone()));
            }
        }
        let _ = tx.send(Err(log.lock().unwrap_or_else(|e| e.into_inner()).clone()));
    });
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(Ok(log)) => log,
        Ok(Err(log)) => panic!("the daemon ended without logging it:\n{log}"),
        Err(_) => {
            let log = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
            panic!("the daemon did not log it within 60 s:\n{log}")
        }
    }
}
