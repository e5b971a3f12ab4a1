//! Per-item mails and digests: what arrives, to whom, and what does not.

use super::{D1, D2, D3, Rig};
use chrono::NaiveDate;

const PER_ITEM: &str =
    "[[list]]\nid = \"instant\"\ntitle = \"博州快讯\"\nfeeds = [\"all\"]\nlanguage = \"zh\"\n";

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn a_new_item_is_one_well_formed_mail_and_the_first_poll_sends_nothing() {
    let rig = Rig::new("", PER_ITEM, &[]).await;
    rig.subscribe("instant", "reader@example.com", &[]);
    rig.serve(
        "/feed.xml",
        &[("a", "旧闻一", "旧的内容", D1), ("b", "旧闻二", "旧的", D1)],
    );
    let first = rig.poll("news").await;
    assert_eq!(first.stored.len(), 2);
    assert_eq!(rig.deliver().await.sent, 0, "a first poll is the backlog");
    assert!(rig.store.outbox().unwrap().is_empty());

    rig.serve(
        "/feed.xml",
        &[
            (
                "c",
                "自治州科协 A &lt; B &amp;amp; C \"棉花\"",
                "<p>棉花丰收，科协&lt;送&gt;科技下乡。</p>",
                D3,
            ),
            ("a", "旧闻一", "旧的内容", D1),
            ("b", "旧闻二", "旧的", D1),
        ],
    );
    let second = rig.poll("news").await;
    assert_eq!(second.stored.len(), 1);
    let pass = rig.deliver().await;
    assert_eq!(pass.sent, 1, "{pass:?}");
    let mails = rig.sink.wait_for(1);
    let m = &mails[0];
    assert_eq!(
        m.mail_from, "news@example.org",
        "the envelope sender is email.from"
    );
    assert_eq!(m.rcpt_tos, ["reader@example.com"]);
    assert_eq!(m.subject, "[博州快讯] 自治州科协 A < B & C \"棉花\"");
    assert!(
        m.from.contains("博州要闻") && m.from.contains("news@example.org"),
        "{}",
        m.from
    );
    assert!(
        m.is_multipart && m.content_type == "multipart/alternative",
        "{}",
        m.content_type
    );
    let text = m.text.as_deref().unwrap();
    assert!(text.contains("棉花丰收，科协<送>科技下乡。"), "{text}");
    assert!(text.contains("http://example.org/a/c.html"), "{text}");
    assert!(
        text.contains("2022-09-09 16:30"),
        "time in the daemon's zone: {text}"
    );
    // minijinja escapes `/` in attributes too (`&#x2f;`); a browser reads it back as `/`.
    let html = m.html.as_deref().unwrap().replace("&#x2f;", "/");
    assert!(
        html.contains("自治州科协 A &lt; B &amp; C &quot;棉花&quot;"),
        "the title is escaped: {html}"
    );
    assert!(!html.contains("A < B"), "{html}");
    assert!(
        html.contains("href=\"http://example.org/a/c.html\""),
        "{html}"
    );
    assert!(m.date.is_some());
    let message_id = m.message_id.clone().unwrap();
    assert!(message_id.ends_with("@news.example.org>"), "{message_id}");
    assert_eq!(m.list_id.as_deref(), Some("<instant.news.example.org>"));
    let unsubscribe = m.list_unsubscribe.clone().unwrap();
    assert!(
        unsubscribe.starts_with("<http://news.example.org/unsubscribe?token="),
        "{unsubscribe}"
    );
    assert_eq!(
        m.list_unsubscribe_post.as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(
        text.contains(unsubscribe.trim_matches(['<', '>'])),
        "the text part has the link too"
    );

    // Nothing more to send, and the same items again send nothing.
    rig.poll("news").await;
    assert_eq!(rig.deliver().await, Default::default());
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn notify_existing_announces_the_newest_of_the_backlog() {
    let rig = Rig::new("notify_existing = 1", PER_ITEM, &[]).await;
    rig.subscribe("instant", "reader@example.com", &[]);
    rig.serve(
        "/feed.xml",
        &[
            ("a", "较早", "x", D1),
            ("b", "最新", "y", D3),
            ("c", "中间", "z", D2),
        ],
    );
    rig.poll("news").await;
    assert_eq!(rig.deliver().await.sent, 1);
    assert_eq!(rig.sink.wait_for(1)[0].subject, "[博州快讯] 最新");
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn one_article_from_two_sources_reaches_a_reader_once() {
    let rig = Rig::new("", PER_ITEM, &["column"]).await;
    rig.subscribe("instant", "reader@example.com", &[]);
    rig.serve("/feed.xml", &[("a", "旧", "x", D1)]);
    rig.serve("/column.xml", &[("a2", "旧", "x", D1)]);
    rig.poll("news").await;
    rig.poll("column").await;
    // The same article (same link) appears in both: different guids, one canonical URL.
    rig.serve(
        "/feed.xml",
        &[("n", "同一篇文章", "正文", D3), ("a", "旧", "x", D1)],
    );
    rig.feeds.set(
        "/column.xml",
        crate::support::server::Reply::ok(
            "application/rss+xml",
            super::rss(&[("a2", "旧", "x", D1)]).replace(
                "</channel>",
                &format!("<item><guid isPermaLink=\"false\">other-id</guid><title>同一篇文章</title><link>http://example.org/a/n.html?utm_source=column</link><description>正文</description><pubDate>{D3}</pubDate></item></channel>"),
            ),
        ),
    );
    assert_eq!(rig.poll("news").await.stored.len(), 1);
    assert_eq!(rig.poll("column").await.stored.len(), 1);
    assert_eq!(rig.deliver().await.sent, 1);
    assert_eq!(rig.sink.mails().len(), 1);
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn updates_are_sent_only_where_the_list_asks_and_keywords_narrow_a_subscriber() {
    let lists = "[[list]]\nid = \"instant\"\ntitle = \"快讯\"\nfeeds = [\"all\"]\n\n[[list]]\nid = \"edits\"\ntitle = \"Edits\"\nfeeds = [\"all\"]\nnotify_updates = true\n";
    let rig = Rig::new("", lists, &[]).await;
    rig.subscribe("instant", "all@example.com", &[]);
    rig.subscribe("instant", "cotton@example.com", &["棉花", "科协"]);
    rig.subscribe("edits", "editor@example.com", &[]);
    rig.serve("/feed.xml", &[("a", "旧", "x", D1)]);
    rig.poll("news").await;
    rig.serve(
        "/feed.xml",
        &[
            ("b", "棉花收购价格公布", "今年的价格", D2),
            ("c", "交通管制通知", "道路施工", D2),
            ("a", "旧", "x", D1),
        ],
    );
    rig.poll("news").await;
    assert_eq!(rig.deliver().await.sent, 5, "2 + 1 (keyword) + 2");
    let mails = rig.sink.wait_for(5);
    let to = |addr: &str| -> Vec<String> {
        let mut v: Vec<String> = mails
            .iter()
            .filter(|m| m.rcpt_tos == [addr])
            .map(|m| m.subject.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(to("cotton@example.com"), ["[快讯] 棉花收购价格公布"]);
    let cotton = mails
        .iter()
        .find(|m| m.rcpt_tos == ["cotton@example.com"])
        .unwrap();
    assert!(
        cotton.text.as_deref().unwrap().contains("棉花"),
        "says which keyword matched"
    );
    assert_eq!(to("all@example.com").len(), 2);

    // An edit: only the list with notify_updates hears of it.
    rig.serve(
        "/feed.xml",
        &[
            ("b", "棉花收购价格公布（更正）", "今年的价格有误", D2),
            ("c", "交通管制通知", "道路施工", D2),
            ("a", "旧", "x", D1),
        ],
    );
    let polled = rig.poll("news").await;
    assert_eq!(polled.stored.len(), 1);
    assert_eq!(rig.deliver().await.sent, 1);
    let mails = rig.sink.wait_for(6);
    assert_eq!(mails[5].rcpt_tos, ["editor@example.com"]);
    assert!(mails[5].subject.contains("Updated"), "{}", mails[5].subject);
}

const DIGEST: &str = "[[feed]]\nid = \"cotton\"\ntitle = \"棉花\"\nsources = [\"news\"]\ninclude = [\"棉花\"]\n\n[[list]]\nid = \"daily\"\ntitle = \"每日要闻\"\nfeeds = [\"cotton\", \"all\"]\nschedule = \"0 0 8 * * *\"\nlanguage = \"zh\"\n";

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn a_digest_is_one_mail_per_subscriber_grouped_by_feed_newest_first() {
    let rig = Rig::new("", DIGEST, &[]).await;
    rig.subscribe("daily", "one@example.com", &[]);
    rig.subscribe("daily", "two@example.com", &[]);
    // Pending and unsubscribed addresses get nothing.
    tidings::notify::subscription::add(
        &rig.store,
        &rig.config,
        "daily",
        "pending@example.com",
        vec![],
        false,
        chrono::Utc::now(),
    )
    .unwrap();
    rig.subscribe("daily", "gone@example.com", &[]);
    tidings::notify::subscription::remove(&rig.store, Some("daily"), "gone@example.com").unwrap();

    rig.serve("/feed.xml", &[("a", "旧", "x", D1)]);
    rig.poll("news").await;
    rig.serve(
        "/feed.xml",
        &[
            ("b", "棉花早讯", "棉花", D2),
            ("c", "晚间新闻", "其他", D3),
            ("d", "棉花晚讯", "棉花", D3),
            ("a", "旧", "x", D1),
        ],
    );
    rig.poll("news").await;
    // Until the digest runs, nothing is sent (the pending address has its confirmation).
    let before = rig.deliver().await;
    assert_eq!(before.sent, 1, "only the confirmation mail: {before:?}");
    let confirm = rig.sink.wait_for(1);
    assert_eq!(confirm[0].rcpt_tos, ["pending@example.com"]);

    let run = NaiveDate::from_ymd_opt(2022, 9, 10)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    let list = rig.config.lists[0].clone();
    assert_eq!(rig.notifier.run_digest(&list, run).unwrap(), 2);
    assert_eq!(
        rig.notifier.run_digest(&list, run).unwrap(),
        0,
        "nothing held any more"
    );
    assert_eq!(rig.deliver().await.sent, 2);
    let mails = rig.sink.wait_for(3);
    let digests: Vec<_> = mails[1..].iter().collect();
    let mut to: Vec<_> = digests.iter().map(|m| m.rcpt_tos[0].clone()).collect();
    to.sort();
    assert_eq!(to, ["one@example.com", "two@example.com"]);
    let d = digests[0];
    assert_eq!(d.subject, "每日要闻 — 2022-09-10 08:00 (3 篇)");
    let text = d.text.as_deref().unwrap();
    let pos = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("{s} missing in {text}"))
    };
    assert!(pos("== 棉花 ==") < pos("棉花晚讯"));
    assert!(pos("棉花晚讯") < pos("棉花早讯"), "newest first");
    assert!(pos("棉花早讯") < pos("== 全部 =="));
    assert!(pos("== 全部 ==") < pos("晚间新闻"));
    assert!(d.list_unsubscribe.is_some());

    // A subscriber who joins now gets only what arrives after.
    rig.subscribe("daily", "late@example.com", &[]);
    rig.serve(
        "/feed.xml",
        &[
            ("e", "新的一天", "内容", D3),
            ("b", "棉花早讯", "棉花", D2),
            ("c", "晚间新闻", "其他", D3),
            ("d", "棉花晚讯", "棉花", D3),
            ("a", "旧", "x", D1),
        ],
    );
    rig.poll("news").await;
    let run2 = run + chrono::Duration::days(1);
    assert_eq!(rig.notifier.run_digest(&list, run2).unwrap(), 3);
    rig.deliver().await;
    let mails = rig.sink.wait_for(6);
    let late = mails
        .iter()
        .find(|m| m.rcpt_tos == ["late@example.com"])
        .unwrap();
    assert!(late.subject.ends_with("(1 篇)"), "{}", late.subject);
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn the_digest_fires_at_its_local_time_on_the_daemons_schedule() {
    let rig = Rig::new("", DIGEST, &[]).await;
    rig.subscribe("daily", "one@example.com", &[]);
    rig.serve("/feed.xml", &[("a", "旧", "x", D1)]);
    rig.poll("news").await;
    rig.serve(
        "/feed.xml",
        &[("b", "棉花早讯", "棉花", D2), ("a", "旧", "x", D1)],
    );
    rig.poll("news").await;
    // The scheduler's clock is the test's: two days pass in no time.
    let notifier = std::sync::Arc::new(
        tidings::notify::Notifier::new(
            rig.config.clone(),
            rig.store.clone(),
            std::sync::Arc::new(tidings::templates::Templates::embedded()),
        )
        .unwrap(),
    );
    let list = rig.config.lists[0].clone();
    let cancel = tokio_util::sync::CancellationToken::new();
    tokio::time::pause();
    let task = tokio::spawn(tidings::notify::digest::digest_loop(
        notifier,
        tidings::notify::digest::DigestOwner::List(list),
        cancel.clone(),
    ));
    tokio::time::sleep(std::time::Duration::from_secs(2 * 86_400)).await;
    cancel.cancel();
    task.await.unwrap();
    tokio::time::resume();
    let queued = rig.store.outbox().unwrap();
    assert_eq!(
        queued.len(),
        1,
        "one digest: the held item, at the first firing"
    );
    let tidings::store::Payload::Digest { run, items } = &queued[0].delivery.payload else {
        panic!("{:?}", queued[0].delivery.payload)
    };
    assert!(run.ends_with(" 08:00"), "08:00 in Asia/Shanghai: {run}");
    let expected = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let first_eight = if *expected.format("%H:%M").to_string() < *"08:00" {
        expected.date_naive()
    } else {
        expected.date_naive().succ_opt().unwrap()
    };
    assert_eq!(run, &format!("{first_eight} 08:00"));
    assert_eq!(items.len(), 1);
    assert_eq!(rig.deliver().await.sent, 1);
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn smtp_auth_from_the_url_and_a_wrong_password_is_not_a_bounce() {
    let sink = crate::support::smtp::SmtpSink::start_with_auth(
        Default::default(),
        "news@example.org",
        "p@ss word",
    )
    .unwrap();
    let good = format!(
        "smtp://news%40example.org:p%40ss%20word@127.0.0.1:{}",
        sink.port
    );
    let rig = Rig::with_smtp(sink, &good, "", PER_ITEM, &[]).await;
    rig.subscribe("instant", "reader@example.com", &[]);
    rig.serve("/feed.xml", &[("a", "旧", "x", D1)]);
    rig.poll("news").await;
    rig.serve(
        "/feed.xml",
        &[("b", "新闻", "内容", D2), ("a", "旧", "x", D1)],
    );
    rig.poll("news").await;
    assert_eq!(rig.deliver().await.sent, 1);
    assert_eq!(rig.sink.wait_for(1)[0].rcpt_tos, ["reader@example.com"]);

    // The same server with a wrong password in the URL: the operator's fault, retried and
    // shown, never a bounce of the reader.
    let bad = good.replace("p%40ss%20word", "wrong");
    let rig = Rig::with_smtp(rig.sink, &bad, "", PER_ITEM, &[]).await;
    rig.subscribe("instant", "reader@example.com", &[]);
    rig.serve("/feed.xml", &[("a", "旧", "x", D1)]);
    rig.poll("news").await;
    rig.serve(
        "/feed.xml",
        &[("b", "新闻", "内容", D2), ("a", "旧", "x", D1)],
    );
    rig.poll("news").await;
    let pass = rig.deliver().await;
    assert_eq!(
        (pass.sent, pass.failed, pass.retried),
        (0, 0, 1),
        "{pass:?}"
    );
    let row = &rig.store.outbox().unwrap()[0];
    assert!(
        row.delivery.last_error.as_deref().unwrap().contains("535"),
        "{:?}",
        row.delivery.last_error
    );
    let reader = rig
        .store
        .subscriber("instant", "reader@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(reader.state, tidings::store::SubscriberState::Active);
}
