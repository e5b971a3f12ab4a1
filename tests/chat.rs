//! Chats and robots end to end: loopback feeds, a fake Telegram Bot API and fake robot
//! platforms. Retries are driven with `deliver_due_at`; flood limits are proved in
//! virtual time (`tokio::time::pause`), never waited for.

mod bot;
mod cli;
mod crash;
mod flood;
mod robots;
mod telegram;

use crate::support::botapi::{BotApi, TOKEN};
use crate::support::robots::RobotFake;
use crate::support::server::{FixtureServer, Reply};
use std::sync::Arc;
use tidings::config::Config;
use tidings::notify::{Notifier, Pass};
use tidings::poll::{PollOutcome, Poller};
use tidings::store::Store;
use tidings::templates::Templates;
use tokio_util::sync::CancellationToken;

pub const GROUP: i64 = -1001;
pub const D1: &str = "Wed, 07 Sep 2022 10:45:00 +0800";
pub const D2: &str = "Thu, 08 Sep 2022 09:00:00 +0800";
pub const D3: &str = "Fri, 09 Sep 2022 16:30:00 +0800";

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

/// Feeds on loopback, the fake Bot API, the robot fakes, a store, a poller, a worker.
pub struct ChatRig {
    pub feeds: FixtureServer,
    pub api: BotApi,
    pub robots: RobotFake,
    pub dir: tempfile::TempDir,
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub poller: Poller,
    pub notifier: Arc<Notifier>,
}

/// A rig that let go of the database (for a `tidings` process or a daemon), keeping its
/// servers running while they are held.
#[allow(dead_code)]
pub struct Closed {
    pub feeds: FixtureServer,
    pub api: BotApi,
    pub robots: RobotFake,
    pub dir: tempfile::TempDir,
    pub config: Arc<Config>,
}

impl Closed {
    pub fn config_path(&self) -> std::path::PathBuf {
        self.dir.path().join("feeds.toml")
    }
}

impl ChatRig {
    /// Let go of the database, keeping the servers.
    pub fn close(self) -> Closed {
        Closed {
            feeds: self.feeds,
            api: self.api,
            robots: self.robots,
            dir: self.dir,
            config: self.config,
        }
    }

    /// `telegram_extra` goes into `[telegram]`; `sections` after it (`[[chat]]`,
    /// `[[webhook]]`, with `{robots}` replaced by the robot fake's base URL).
    pub async fn new(telegram_extra: &str, sections: &str) -> ChatRig {
        let feeds = FixtureServer::start().await;
        let api = BotApi::start().await;
        let robots = RobotFake::start().await;
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "[daemon]\ndata_dir = {:?}\nlisten = \"127.0.0.1:0\"\ntimezone = \"Asia/Shanghai\"\n\n\
             [fetch]\nper_host_interval_ms = 0\ntimeout_secs = 5\n\n\
             [[source]]\nid = \"news\"\ntitle = \"区内要闻\"\nurl = \"{}\"\n\n\
             [[feed]]\nid = \"all\"\ntitle = \"全部\"\nsources = [\"*\"]\n\n\
             [[feed]]\nid = \"cotton\"\ntitle = \"棉花\"\nsources = [\"*\"]\ninclude = [\"棉花\"]\n\n\
             [telegram]\ntoken = \"{TOKEN}\"\napi_url = \"{}\"\nchat_interval_ms = 0\n{telegram_extra}\n\n{}",
            dir.path().join("data").display().to_string(),
            feeds.url("/feed.xml"),
            api.url(),
            sections.replace("{robots}", &format!("http://{}", robots.addr)),
        );
        let config = Arc::new(crate::support::config(dir.path(), &text));
        let store = Arc::new(Store::open(&config.daemon.data_dir).unwrap());
        let poller = Poller::new(config.clone(), store.clone()).unwrap();
        let notifier = Arc::new(
            Notifier::new(
                config.clone(),
                store.clone(),
                Arc::new(Templates::embedded()),
            )
            .unwrap(),
        );
        ChatRig {
            feeds,
            api,
            robots,
            dir,
            config,
            store,
            poller,
            notifier,
        }
    }

    pub fn serve(&self, items: &[(&str, &str, &str, &str)]) {
        self.feeds
            .set("/feed.xml", Reply::ok("application/rss+xml", rss(items)));
    }

    pub async fn poll(&self) -> PollOutcome {
        let s = self.config.source("news").unwrap().clone();
        self.poller
            .poll(&s, false, &CancellationToken::new())
            .await
            .unwrap()
    }

    /// Seen once (no flood), then `items` are news.
    pub async fn news(&self, items: &[(&str, &str, &str, &str)]) {
        self.serve(&[("old", "旧闻", "x", D1)]);
        self.poll().await;
        let mut all = items.to_vec();
        all.push(("old", "旧闻", "x", D1));
        self.serve(&all);
        assert_eq!(self.poll().await.stored.len(), items.len());
    }

    pub async fn deliver(&self) -> Pass {
        self.notifier
            .deliver_due(&CancellationToken::new())
            .await
            .unwrap()
    }

    pub async fn deliver_at(&self, at: chrono::DateTime<chrono::Utc>) -> Pass {
        self.notifier
            .deliver_due_at(at, &CancellationToken::new())
            .await
            .unwrap()
    }
}
