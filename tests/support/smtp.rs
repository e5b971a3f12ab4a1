//! A real SMTP server on loopback: `smtp_sink.py` (aiosmtpd) run as a child process.
//!
//! Every accepted message lands in the sink's temporary directory as raw `.eml` plus a
//! `.json` parse by Python's `email` package, read back here as [`Mail`]. [`Rules`] make
//! the server reject or tempfail recipients and messages; they can change while it runs.
//!
//! The interpreter is `$TIDINGS_PYTHON` (CI points it at a venv), else `python3`, and must
//! import `aiosmtpd`; where it cannot, `build.rs` builds the tests that use the sink
//! ignored (`no_aiosmtpd`), and [`SmtpSink::start`] panics if it is gone at run time.
//!
//! Everything is synchronous (std::process, std::thread::sleep), so it works from
//! `#[test]` and `#[tokio::test]` alike: the server is another process, so blocking the
//! test's thread while waiting never starves it.

use serde::Deserialize;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long [`SmtpSink::wait_for`] waits before giving up.
const WAIT: Duration = Duration::from_secs(30);

/// How the sink answers; see `smtp_sink.py`. Recipients match by substring.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// RCPT TO containing one of these: `550 5.1.1 mailbox unavailable`.
    pub reject_rcpt: Vec<String>,
    /// The first N RCPTs containing the substring: `451 4.3.0 try again later`.
    pub tempfail_rcpt: Vec<(String, u32)>,
    /// The first N messages: `451 4.3.0` at the end of DATA (received, not stored).
    pub tempfail_data: u32,
    /// Wait this long before answering the end of DATA.
    pub delay_data_ms: u64,
}

/// One message the sink accepted: the envelope, the parse by Python's `email` package
/// (header values RFC 2047-decoded, bodies as str with `\n` line ends) and the raw bytes.
#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub date: Option<String>,
    pub message_id: Option<String>,
    pub list_id: Option<String>,
    pub list_unsubscribe: Option<String>,
    pub list_unsubscribe_post: Option<String>,
    /// Of the top-level part, e.g. `multipart/alternative`.
    pub content_type: String,
    pub is_multipart: bool,
    /// The text/plain body (the preferred one in a multipart message).
    pub text: Option<String>,
    /// The text/html body.
    pub html: Option<String>,
    /// All top-level headers in order, values decoded.
    pub headers: Vec<(String, String)>,
    /// The message exactly as received (after dot-unstuffing).
    #[serde(skip)]
    pub raw: Vec<u8>,
}

impl Mail {
    /// The first header with this name (case-insensitive), decoded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A running `smtp_sink.py` on `127.0.0.1:port`; killed on drop.
pub struct SmtpSink {
    pub port: u16,
    python: String,
    auth: Option<String>,
    child: Option<(Child, BufReader<ChildStdout>)>,
    /// `mail/` (the messages), `rules.json`, `sink.log` (the server's stderr).
    dir: tempfile::TempDir,
    /// Bumped by every `set_rules`, so the sink restarts its tempfail counters.
    generation: AtomicU64,
}

impl SmtpSink {
    /// A sink accepting everything, or `None` (after a loud skip) without aiosmtpd.
    pub fn start() -> Option<SmtpSink> {
        Self::start_with(Rules::default())
    }

    /// A sink answering by `rules`.
    pub fn start_with(rules: Rules) -> Option<SmtpSink> {
        Self::launch(rules, None)
    }

    /// A sink that offers AUTH PLAIN and LOGIN (no TLS needed) and accepts only this
    /// user and password: MAIL before authenticating answers `530 5.7.0`.
    pub fn start_with_auth(rules: Rules, user: &str, password: &str) -> Option<SmtpSink> {
        Self::launch(rules, Some(format!("{user}:{password}")))
    }

    fn launch(rules: Rules, auth: Option<String>) -> Option<SmtpSink> {
        let python = python()?;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("mail")).unwrap();
        let mut sink = SmtpSink {
            port: 0,
            python,
            auth,
            child: None,
            dir,
            generation: AtomicU64::new(0),
        };
        sink.set_rules(rules);
        sink.spawn(0);
        Some(sink)
    }

    /// Replace the rules; the sink reads them on its next RCPT or DATA. Tempfail
    /// counts start again from zero.
    pub fn set_rules(&self, rules: Rules) {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let json = serde_json::json!({
            "reject_rcpt": rules.reject_rcpt,
            "tempfail_rcpt": rules
                .tempfail_rcpt
                .into_iter()
                .map(|(sub, n)| (sub, n.into()))
                .collect::<serde_json::Map<_, _>>(),
            "tempfail_data": rules.tempfail_data,
            "delay_data_ms": rules.delay_data_ms,
            "generation": generation,
        });
        let path = self.dir.path().join("rules.json");
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(&json).unwrap()).unwrap();
        // A rename, so the sink never reads half a file.
        std::fs::rename(&tmp, &path).unwrap();
    }

    /// `smtp://127.0.0.1:PORT` (plain SMTP, no TLS), for lettre's `from_url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far, in arrival order.
    pub fn mails(&self) -> Vec<Mail> {
        let dir = self.dir.path().join("mail");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.len() == 11 && n.ends_with(".json"))
            .collect();
        // Fixed-width numbers: name order is arrival order.
        names.sort();
        names
            .iter()
            .map(|name| {
                let path = dir.join(name);
                let json = std::fs::read(&path).unwrap();
                let mut mail: Mail = serde_json::from_slice(&json)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                // The .eml was renamed into place before the .json.
                mail.raw = std::fs::read(path.with_extension("eml")).unwrap();
                mail
            })
            .collect()
    }

    /// All messages once at least `n` have arrived; panics, showing what did arrive and
    /// the server's log, after 30 seconds.
    pub fn wait_for(&self, n: usize) -> Vec<Mail> {
        let deadline = Instant::now() + WAIT;
        loop {
            let mails = self.mails();
            if mails.len() >= n {
                return mails;
            }
            if Instant::now() > deadline {
                let got: Vec<String> = mails
                    .iter()
                    .map(|m| format!("  {:?} -> {:?}: {:?}", m.mail_from, m.rcpt_tos, m.subject))
                    .collect();
                panic!(
                    "SMTP sink: waited {WAIT:?} for {n} mails, got {}:\n{}\nserver log:\n{}",
                    mails.len(),
                    got.join("\n"),
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kill the server: the port is closed, clients get connection refused.
    pub fn stop(&mut self) {
        if let Some((mut child, _)) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start again on the same port with the same messages and rules; numbering
    /// continues. (Tempfail counts start again from zero in the new process.)
    pub fn restart(&mut self) {
        self.stop();
        self.spawn(self.port);
    }

    /// The server's stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sink.log")).unwrap_or_default()
    }

    /// The directory holding the `NNNNNN.eml`/`.json` pairs.
    pub fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// Run the server on `port` (0: any) and wait for its `PORT n` line. A given port
    /// may still be held for a moment by something else; try for a few seconds.
    fn spawn(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.try_spawn(port) {
                Ok((child, stdout, bound)) => {
                    self.port = bound;
                    self.child = Some((child, stdout));
                    return;
                }
                Err(why) if port == 0 || Instant::now() > deadline => {
                    panic!(
                        "SMTP sink did not start: {why}\nserver log:\n{}",
                        self.log()
                    )
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    fn try_spawn(&self, port: u16) -> Result<(Child, BufReader<ChildStdout>, u16), String> {
        let path = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path.join("sink.log"))
            .unwrap();
        let mut cmd = Command::new(&self.python);
        cmd.arg(script())
            .arg(port.to_string())
            .arg(path.join("mail"))
            .arg(path.join("rules.json"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        if let Some(auth) = &self.auth {
            cmd.arg("--auth").arg(auth);
        }
        let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", self.python))?;
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        match line.trim().strip_prefix("PORT ").map(str::parse) {
            Some(Ok(bound)) => Ok((child, stdout, bound)),
            _ => {
                let _ = child.kill();
                let status = child.wait();
                Err(format!("first line {line:?}, exit {status:?}"))
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn script() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/smtp_sink.py"
    ))
}

/// `$TIDINGS_PYTHON` (else `python3`), which must import aiosmtpd: the tests that use
/// the sink are built `#[ignore]`d where it cannot (`build.rs`), so reaching this without
/// it means it went away after the build.
fn python() -> Option<String> {
    match super::probe::aiosmtpd_python() {
        Ok((python, _)) => Some(python),
        Err(why) => panic!(
            "Python aiosmtpd is unavailable ({why}); pip install aiosmtpd==1.4.6 and set \
             TIDINGS_PYTHON (see .ci/run), then `touch build.rs`"
        ),
    }
}
