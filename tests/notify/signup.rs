//! Subscribing and leaving over real HTTP: double opt-in, single-use tokens, RFC 8058
//! one-click unsubscribe, a sign-up flood throttled, and `tidings subscribers` going
//! through the admin API while the daemon holds the database.

use super::{D1, D2, config_text};
use crate::support::server::{FixtureServer, Reply};
use crate::support::smtp::SmtpSink;
use std::process::Command;
use tidings::store::SubscriberState;

const LIST: &str = "[[list]]\nid = \"daily\"\ntitle = \"每日要闻\"\ndescription = \"博州的新闻\"\nfeeds = [\"all\"]\nlanguage = \"zh\"\n";

struct Daemon {
    running: Option<tidings::app::Running>,
    base: String,
    sink: SmtpSink,
    feeds: FixtureServer,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Daemon {
    async fn start() -> Daemon {
        let sink = SmtpSink::start().expect("aiosmtpd is available (see build.rs)");
        let feeds = FixtureServer::start().await;
        feeds.set(
            "/feed.xml",
            Reply::ok("application/rss+xml", super::rss(&[("a", "旧", "x", D1)])),
        );
        let dir = tempfile::tempdir().unwrap();
        // A fixed port, so that a CLI in another process finds the admin API.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let text = config_text(
            dir.path(),
            &feeds,
            &sink.url(),
            &[],
            "schedule = \"* * * * * *\"",
            LIST,
        )
        .replace(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"127.0.0.1:{port}\""),
        );
        let config = crate::support::config(dir.path(), &text);
        let running = tidings::app::start(config).await.unwrap();
        let base = format!("http://{}", running.addr);
        // The source's first poll (its backlog, announced to nobody) happens at start-up.
        for _ in 0..600 {
            if running.store.source_state("news").unwrap().polls_ok > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(
            running.store.source_state("news").unwrap().polls_ok > 0,
            "no first poll in 30 s"
        );
        Daemon {
            running: Some(running),
            base,
            sink,
            feeds,
            dir,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    fn store(&self) -> &tidings::store::Store {
        &self.running.as_ref().unwrap().store
    }

    async fn sign_up(&self, email: &str, keywords: &str) -> (u16, String) {
        let r = self
            .http
            .post(format!("{}/subscribe/daily", self.base))
            .form(&[("email", email), ("keywords", keywords)])
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// A link from a mail (on the public URL), requested on this daemon.
    fn local(&self, link: &str) -> String {
        let url = url::Url::parse(link).unwrap();
        format!("{}{}?{}", self.base, url.path(), url.query().unwrap_or(""))
    }

    async fn get(&self, url: &str) -> (u16, String) {
        let r = self.http.get(url).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

fn link_after(text: &str, marker: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with(marker))
        .unwrap_or_else(|| panic!("no {marker} link in {text}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn double_opt_in_then_one_click_unsubscribe() {
    let d = Daemon::start().await;
    let (status, form) = d.get(&format!("{}/subscribe/daily", d.base)).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("<form method=\"post\"")
            && form.contains("每日要闻")
            && form.contains("lang=\"zh\""),
        "{form}"
    );
    assert!(!form.contains("<script"), "works without JavaScript");

    let (status, page) = d.sign_up("New.Reader@example.com", "棉花，科协").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("请查收邮件"), "{page}");
    let s = d
        .store()
        .subscriber("daily", "new.reader@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(s.state, SubscriberState::Pending);
    assert_eq!(s.keywords, ["棉花", "科协"]);

    let mail = d.sink.wait_for(1).remove(0);
    assert_eq!(mail.rcpt_tos, ["New.Reader@example.com"]);
    assert!(mail.subject.contains("每日要闻"), "{}", mail.subject);
    let confirm = link_after(
        mail.text.as_deref().unwrap(),
        "http://news.example.org/confirm?token=",
    );

    // A forged token is refused and changes nothing.
    let (status, page) = d.get(&format!("{}/confirm?token=forged", d.base)).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("Invalid") || page.contains("not valid"),
        "{page}"
    );
    assert_eq!(
        d.store()
            .subscriber("daily", "new.reader@example.com")
            .unwrap()
            .unwrap()
            .state,
        SubscriberState::Pending
    );

    let (status, page) = d.get(&d.local(&confirm)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("订阅已确认"), "{page}");
    assert_eq!(
        d.store()
            .subscriber("daily", "new.reader@example.com")
            .unwrap()
            .unwrap()
            .state,
        SubscriberState::Active
    );
    let (status, _) = d.get(&d.local(&confirm)).await;
    assert_eq!(status, 400, "a confirmation link works once");

    // Signing up again while active: the same answer, and no mail.
    let (status, page) = d.sign_up("new.reader@example.com", "").await;
    assert_eq!(status, 200);
    assert!(page.contains("请查收邮件"));

    // A new item reaches the subscriber: the daemon polls (every second here) and
    // delivers by itself.
    d.feeds.set(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            super::rss(&[("b", "棉花收购价格公布", "今年", D2), ("a", "旧", "x", D1)]),
        ),
    );
    let mails = d.sink.wait_for(2);
    let item = &mails[1];
    assert_eq!(item.subject, "[每日要闻] 棉花收购价格公布");
    assert_eq!(d.sink.mails().len(), 2, "no second confirmation mail");

    // RFC 8058 one-click: a POST to the List-Unsubscribe URL with its fixed body.
    let unsubscribe = item.list_unsubscribe.clone().unwrap();
    let unsubscribe = d.local(unsubscribe.trim_matches(['<', '>']));
    let (status, page) = d.get(&unsubscribe).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<form method=\"post\""),
        "GET only asks: {page}"
    );
    assert_eq!(
        d.store()
            .subscriber("daily", "new.reader@example.com")
            .unwrap()
            .unwrap()
            .state,
        SubscriberState::Active
    );
    let r = d
        .http
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("已退订"));
    assert_eq!(
        d.store()
            .subscriber("daily", "new.reader@example.com")
            .unwrap()
            .unwrap()
            .state,
        SubscriberState::Unsubscribed
    );
    let r = d
        .http
        .post(format!("{}/unsubscribe?token=forged", d.base))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    d.running.unwrap().shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn sign_up_floods_are_throttled_and_reveal_nothing() {
    let d = Daemon::start().await;
    // The same address twice within the hour: one confirmation mail.
    assert_eq!(d.sign_up("victim@example.com", "").await.0, 200);
    assert_eq!(d.sign_up("victim@example.com", "").await.0, 200);
    // A bad address is said plainly.
    let (status, page) = d.sign_up("not an address", "").await;
    assert_eq!(status, 422);
    assert!(page.contains("邮箱地址格式不正确"), "{page}");
    // Five sign-ups per client per ten minutes.
    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses.push(d.sign_up(&format!("r{i}@example.com"), "").await.0);
    }
    assert_eq!(statuses, [200, 200, 429, 429], "three used above");
    let mails = d.sink.wait_for(3);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mails_now = d.sink.mails();
    assert_eq!(
        mails_now.len(),
        3,
        "{:?}",
        mails.iter().map(|m| &m.rcpt_tos).collect::<Vec<_>>()
    );
    assert_eq!(
        mails_now
            .iter()
            .filter(|m| m.rcpt_tos == ["victim@example.com"])
            .count(),
        1
    );
    // An unknown list is a 404 page, and an oversized form is refused.
    assert_eq!(d.get(&format!("{}/subscribe/nope", d.base)).await.0, 404);
    let r = d
        .http
        .post(format!("{}/subscribe/daily", d.base))
        .form(&[("email", "x".repeat(100_000))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    d.running.unwrap().shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn subscribers_commands_work_while_the_daemon_runs() {
    let d = Daemon::start().await;
    let config = d.dir.path().join("feeds.toml");
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
            .args(args)
            .arg("-c")
            .arg(&config)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = cli(&[
        "subscribers",
        "add",
        "ops@example.com",
        "--list",
        "daily",
        "--confirmed",
        "--keywords",
        "棉花,科协",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("active on daily"), "{out}");
    assert!(
        err.contains("asking it"),
        "says it went through the daemon: {err}"
    );
    let s = d
        .store()
        .subscriber("daily", "ops@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.state, s.keywords.clone()),
        (
            SubscriberState::Active,
            vec!["棉花".to_string(), "科协".to_string()]
        )
    );

    let (code, out, _) = cli(&[
        "subscribers",
        "add",
        "pending@example.com",
        "--list",
        "daily",
    ]);
    assert_eq!(code, Some(0));
    assert!(out.contains("pending"), "{out}");
    let (code, out, _) = cli(&["subscribers", "list", "--list", "daily"]);
    assert_eq!(code, Some(0));
    assert!(
        out.lines()
            .any(|l| l.contains("ops@example.com") && l.contains("active")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("pending@example.com") && l.contains("pending")),
        "{out}"
    );
    // The status page tells the same story.
    let (status, page) = d.get(&format!("{}/", d.base)).await;
    assert_eq!(status, 200);
    let row = page
        .split("id=\"list-daily\"")
        .nth(1)
        .expect("a row for the list");
    assert!(row.contains("1 active, 1 pending"), "{row}");
    let (code, out, _) = cli(&["subscribers", "add", "x@example.com", "--list", "nope"]);
    assert_eq!(code, Some(1), "{out}");
    let (code, out, _) = cli(&["subscribers", "remove", "ops@example.com"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("removed from daily"), "{out}");
    assert!(
        d.store()
            .subscriber("daily", "ops@example.com")
            .unwrap()
            .is_none()
    );

    // The admin API answers only with the token.
    let r = d
        .http
        .get(format!("{}/admin/subscribers", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = d
        .http
        .get(format!("{}/admin/subscribers", d.base))
        .bearer_auth("0123456789abcdef0124")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    d.running.unwrap().shutdown().await.unwrap();

    // With the daemon stopped, the same commands open the database themselves.
    let (code, out, err) = cli(&["subscribers", "list"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("asking it"));
    assert!(out.contains("pending@example.com"), "{out}");
}
