//! The notification stage end to end: loopback feeds, a real SMTP server (aiosmtpd) and
//! the daemon's own HTTP server. Mails are read back through Python's MIME parser.
//! Time is driven by the tests (`deliver_due_at`, `run_digest` at a chosen firing),
//! never waited for.

mod email;
mod outbox;
mod signup;

use crate::support::server::{FixtureServer, Reply};
use crate::support::smtp::SmtpSink;
use std::sync::Arc;
use tidings::config::Config;
use tidings::notify::{Notifier, Pass};
use tidings::poll::{PollOutcome, Poller};
use tidings::store::Store;
use tidings::templates::Templates;
use tokio_util::sync::CancellationToken;

/// An RSS feed of `(guid, title, description, pubDate)` items.
pub fn rss(items: &[(&str, &str, &str, &str)]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>博州要闻</title><link>http://example.org/</link>"#,
    );
    for (guid, title, desc, date) in items {
        s.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title><link>http://example.org/a/{guid}.html</link><description>{desc}</description><pubDate>{date}</pubDate></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// Feeds on loopback, a real SMTP server, a store, a poller and a worker.
pub struct Rig {
    pub feeds: FixtureServer,
    pub sink: SmtpSink,
    pub dir: tempfile::TempDir,
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub poller: Poller,
    pub notifier: Notifier,
}

/// `[daemon]`, `[fetch]`, one source `news` at `/feed.xml` (plus `extra_sources` ids at
/// `/{id}.xml`), a feed `all` of every source, `[email]` at the sink; `lists` is the
/// `[[list]]` sections.
pub fn config_text(
    dir: &std::path::Path,
    feeds: &FixtureServer,
    smtp: &str,
    extra_sources: &[&str],
    source_extra: &str,
    lists: &str,
) -> String {
    let mut t = format!(
        "[daemon]\ndata_dir = {:?}\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://news.example.org/\"\ntimezone = \"Asia/Shanghai\"\nadmin_token = \"0123456789abcdef0123\"\n\n[fetch]\nper_host_interval_ms = 0\ntimeout_secs = 5\n\n[[source]]\nid = \"news\"\ntitle = \"区内要闻\"\nurl = \"{}\"\n{source_extra}\n\n",
        dir.join("data").display().to_string(),
        feeds.url("/feed.xml")
    );
    for id in extra_sources {
        t.push_str(&format!(
            "[[source]]\nid = \"{id}\"\nurl = \"{}\"\n\n",
            feeds.url(&format!("/{id}.xml"))
        ));
    }
    t.push_str(&format!(
        "[[feed]]\nid = \"all\"\ntitle = \"全部\"\nsources = [\"*\"]\n\n[email]\nsmtp = \"{smtp}\"\nfrom = \"博州要闻 <news@example.org>\"\n\n{lists}"
    ));
    t
}

/// A [`Rig`] whose store is closed.
pub struct Closed {
    pub feeds: FixtureServer,
    pub sink: SmtpSink,
    pub dir: tempfile::TempDir,
    pub config: Arc<Config>,
}

impl Closed {
    pub fn serve(&self, path: &str, items: &[(&str, &str, &str, &str)]) {
        self.feeds
            .set(path, Reply::ok("application/rss+xml", rss(items)));
    }
}

impl Rig {
    /// `None` when the SMTP server cannot run here (the test is then built ignored).
    pub async fn new(source_extra: &str, lists: &str, extra_sources: &[&str]) -> Rig {
        let sink = SmtpSink::start().expect("aiosmtpd is available (see build.rs)");
        Rig::with_sink(sink, source_extra, lists, extra_sources).await
    }

    pub async fn with_sink(
        sink: SmtpSink,
        source_extra: &str,
        lists: &str,
        extra_sources: &[&str],
    ) -> Rig {
        let url = sink.url();
        Rig::with_smtp(sink, &url, source_extra, lists, extra_sources).await
    }

    /// A rig whose `[email] smtp` is `smtp` (credentials, another scheme).
    pub async fn with_smtp(
        sink: SmtpSink,
        smtp: &str,
        source_extra: &str,
        lists: &str,
        extra_sources: &[&str],
    ) -> Rig {
        let feeds = FixtureServer::start().await;
        let dir = tempfile::tempdir().unwrap();
        let text = config_text(dir.path(), &feeds, smtp, extra_sources, source_extra, lists);
        let config = Arc::new(crate::support::config(dir.path(), &text));
        let store = Arc::new(Store::open(&config.daemon.data_dir).unwrap());
        let poller = Poller::new(config.clone(), store.clone()).unwrap();
        let notifier = Notifier::new(
            config.clone(),
            store.clone(),
            Arc::new(Templates::embedded()),
        )
        .unwrap();
        Rig {
            feeds,
            sink,
            dir,
            config,
            store,
            poller,
            notifier,
        }
    }

    /// Let go of the database (for a `tidings` process to open it), keeping the servers.
    pub fn close(self) -> Closed {
        Closed {
            feeds: self.feeds,
            sink: self.sink,
            dir: self.dir,
            config: self.config,
        }
    }

    pub fn serve(&self, path: &str, items: &[(&str, &str, &str, &str)]) {
        self.feeds
            .set(path, Reply::ok("application/rss+xml", rss(items)));
    }

    pub async fn poll(&self, source: &str) -> PollOutcome {
        let s = self.config.source(source).unwrap().clone();
        self.poller
            .poll(&s, false, &CancellationToken::new())
            .await
            .unwrap()
    }

    pub async fn deliver(&self) -> Pass {
        self.notifier
            .deliver_due(&CancellationToken::new())
            .await
            .unwrap()
    }

    /// A pass with the clock `ahead` in the future (retries come due).
    pub async fn deliver_later(&self, ahead: chrono::Duration) -> Pass {
        self.notifier
            .deliver_due_at(chrono::Utc::now() + ahead, &CancellationToken::new())
            .await
            .unwrap()
    }

    /// An active subscriber (as `subscribers add --confirmed`).
    pub fn subscribe(&self, list: &str, address: &str, keywords: &[&str]) {
        tidings::notify::subscription::add(
            &self.store,
            &self.config,
            list,
            address,
            keywords.iter().map(|k| k.to_string()).collect(),
            true,
            chrono::Utc::now(),
        )
        .unwrap();
    }
}

pub const D1: &str = "Wed, 07 Sep 2022 10:45:00 +0800";
pub const D2: &str = "Thu, 08 Sep 2022 09:00:00 +0800";
pub const D3: &str = "Fri, 09 Sep 2022 16:30:00 +0800";
