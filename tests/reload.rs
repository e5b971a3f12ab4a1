//! The running daemon picks up feeds.toml changes (issue 13): on SIGHUP, and when the
//! file changes (`tidings add`); an invalid edit is refused and the running
//! configuration kept.

use crate::support::server::{FixtureServer, Reply};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn rss(title: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>
<item><title>{title} 1</title><link>http://example.org/{title}/1</link><guid>{title}-1</guid></item>
</channel></rss>"#
    )
    .into_bytes()
}

fn config(dir: &std::path::Path, sources: &[(&str, String)], feeds: &str) -> String {
    let mut t = format!(
        "# kept by hand\n[daemon]\ndata_dir = {:?}\nlisten = \"127.0.0.1:0\"\ntimezone = \"Asia/Shanghai\"\n\n[fetch]\nper_host_interval_ms = 0\ntimeout_secs = 5\n\n",
        dir.join("data").display().to_string()
    );
    for (id, url) in sources {
        t.push_str(&format!("[[source]]\nid = \"{id}\"\nurl = \"{url}\"\n\n"));
    }
    t.push_str(feeds);
    t
}

/// The daemon's stderr, collected line by line as it comes.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn count(&self, needle: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    async fn wait_for(&self, needle: &str, times: usize) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.count(needle) >= times {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    fn text(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }
}

async fn get(addr: &str, path: &str) -> u16 {
    reqwest::get(format!("http://{addr}{path}"))
        .await
        .map_or(0, |r| r.status().as_u16())
}

#[tokio::test]
async fn sighup_and_file_changes_reload_and_an_invalid_edit_is_refused() {
    let s = FixtureServer::start().await;
    for name in ["a", "b", "c"] {
        s.set(
            &format!("/{name}.xml"),
            Reply::ok("application/rss+xml", rss(name)),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("feeds.toml");
    let news = "[[feed]]\nid = \"news\"\nsources = [\"a\"]\n";
    std::fs::write(&cfg, config(dir.path(), &[("a", s.url("/a.xml"))], news)).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["run", "-c", cfg.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "tidings=info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Log::default();
    let stderr = child.stderr.take().unwrap();
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.0.lock().unwrap().push(line);
        }
    });
    assert!(log.wait_for("tidings running", 1).await, "{}", log.text());
    let addr = {
        let text = log.text();
        let at = text.find("addr=").unwrap() + "addr=".len();
        text[at..].split_whitespace().next().unwrap().to_string()
    };
    assert!(
        s.wait_for_request("/a.xml", Duration::from_secs(20)).await,
        "the daemon polled its first source"
    );

    // SIGHUP: the file gains a source and a feed, its modification time put back so that
    // only the signal can tell the daemon.
    let before = std::fs::metadata(&cfg).unwrap().modified().unwrap();
    let more = "[[feed]]\nid = \"more\"\nsources = [\"b\"]\n";
    std::fs::write(
        &cfg,
        config(
            dir.path(),
            &[("a", s.url("/a.xml")), ("b", s.url("/b.xml"))],
            &format!("{news}\n{more}"),
        ),
    )
    .unwrap();
    std::fs::File::options()
        .write(true)
        .open(&cfg)
        .unwrap()
        .set_modified(before)
        .unwrap();
    assert_eq!(get(&addr, "/feeds/more.atom").await, 404);
    Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(
        log.wait_for("configuration reloaded", 1).await,
        "{}",
        log.text()
    );
    assert!(log.text().contains("trigger=\"SIGHUP\""), "{}", log.text());
    assert!(log.text().contains("added=[\"b\"]"), "{}", log.text());
    assert!(
        s.wait_for_request("/b.xml", Duration::from_secs(20)).await,
        "the new source is polled"
    );
    assert_eq!(
        get(&addr, "/feeds/more.atom").await,
        200,
        "the server sees the new feed"
    );

    // `tidings add` rewrites the file: the daemon notices by itself.
    let add = {
        let (c, url) = (cfg.to_str().unwrap().to_string(), s.url("/c.xml"));
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_tidings"))
                .args(["add", &url, "-c", &c, "--id", "c", "--feed", "news"])
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert!(add.status.success(), "{add:?}");
    assert!(
        log.wait_for("configuration reloaded", 2).await,
        "{}",
        log.text()
    );
    assert!(
        log.text().contains("trigger=\"file changed\""),
        "{}",
        log.text()
    );
    assert!(
        s.wait_for_request("/c.xml", Duration::from_secs(20)).await,
        "the added source is polled"
    );

    // An invalid edit: reported, and the running configuration stays.
    std::fs::write(&cfg, "[[source]]\nid = \"Bad Id\"\n").unwrap();
    Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(
        log.wait_for("is invalid; keeping the running configuration", 1)
            .await,
        "{}",
        log.text()
    );
    assert!(log.text().contains("feeds.toml:2:6:"), "{}", log.text());
    assert_eq!(get(&addr, "/feeds/more.atom").await, 200);
    assert_eq!(get(&addr, "/feeds/news.atom").await, 200);
    assert_eq!(log.count("configuration reloaded"), 2);

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit 0 on SIGTERM, got {status:?}");
}
