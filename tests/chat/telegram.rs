//! Telegram through the outbox: escaping, splitting, `retry_after`, a kicked chat, a
//! migration.

use super::{ChatRig, GROUP};
use super::{D2, D3};
use crate::support::botapi::Fault;
use tidings::store::{Reach, Target};

fn chat_section(extra: &str) -> String {
    format!("[[chat]]\nchat_id = {GROUP}\nfeeds = [\"all\"]\n{extra}\n")
}

#[tokio::test]
async fn one_message_per_new_item_with_every_feed_string_escaped() {
    let rig = ChatRig::new("", &chat_section("")).await;
    rig.news(&[
        (
            "a",
            "1 &lt; 2 &amp; 3 &gt; \"4\" 棉花",
            "正文 &lt;i&gt;",
            D2,
        ),
        ("b", "第二条", "内容", D3),
    ])
    .await;
    let pass = rig.deliver().await;
    assert_eq!(pass.sent, 2, "{pass:?}");
    let sent = rig.api.sent_to(GROUP);
    assert_eq!(sent.len(), 2);
    // The title `<b>&amp;` arrives literally, as text, and in order (oldest first).
    assert!(
        sent[0].text.starts_with("1 < 2 & 3 > \"4\" 棉花"),
        "{:?}",
        sent[0].text
    );
    assert!(
        sent[0]
            .html
            .contains("1 &lt; 2 &amp; 3 &gt; &quot;4&quot; 棉花"),
        "{}",
        sent[0].html
    );
    assert!(
        sent[0]
            .html
            .contains("<a href=\"http://example.org/a/a.html\">"),
        "{}",
        sent[0].html
    );
    assert!(sent[0].text.contains("区内要闻"), "the source's name");
    assert!(
        sent[0].text.contains("2022-09-08 09:00"),
        "time in the daemon's zone"
    );
    assert!(sent[1].text.starts_with("第二条"));
    assert_eq!(rig.deliver().await, Default::default(), "nothing twice");
}

#[tokio::test]
async fn a_ten_thousand_character_item_is_split_within_the_limit() {
    let rig = ChatRig::new("", &chat_section("")).await;
    let title = "棉花丰收&amp;".repeat(2000); // 10,000 characters once decoded
    rig.news(&[("long", &title, "", D2)]).await;
    assert_eq!(rig.deliver().await.sent, 1);
    let sent = rig.api.sent_to(GROUP);
    assert!(sent.len() >= 3, "{} parts", sent.len());
    for part in &sent {
        let units: usize = part.text.encode_utf16().count();
        assert!(units <= 4096, "{units}");
        assert_eq!(
            part.html.matches("<a ").count(),
            part.html.matches("</a>").count(),
            "tags closed in every part: {}",
            &part.html[part.html.len().saturating_sub(80)..]
        );
    }
    let all: String = sent.iter().map(|s| s.text.as_str()).collect();
    assert!(
        all.contains(&"棉花丰收&".repeat(2000)),
        "nothing lost or doubled"
    );
}

#[tokio::test]
async fn retry_after_pauses_the_chat_exactly_that_long_then_resumes_in_order() {
    let rig = ChatRig::new("", &chat_section("")).await;
    rig.api.fail(GROUP, &[Fault::RetryAfter(7)]);
    rig.news(&[
        ("a", "一", "", "Wed, 07 Sep 2022 11:00:00 +0800"),
        ("b", "二", "", D2),
        ("c", "三", "", D3),
    ])
    .await;
    let before = chrono::Utc::now();
    let pass = rig.deliver().await;
    let after = chrono::Utc::now();
    assert_eq!((pass.sent, pass.retried), (0, 1), "{pass:?}");
    let queued = rig.store.outbox().unwrap();
    assert_eq!(queued.len(), 3, "nothing dropped");
    // Due 7 s after the answer came, however long the pass itself took.
    let pause = chrono::Duration::seconds(7);
    assert!(
        queued[0].due >= before + pause && queued[0].due <= after + pause,
        "due {} for a pass between {before} and {after}",
        queued[0].due
    );
    assert!(
        queued.iter().all(|q| q.due == queued[0].due),
        "the rest waits behind it"
    );
    let chat = rig
        .store
        .chat(&Target::Telegram { chat_id: GROUP })
        .unwrap()
        .unwrap();
    assert!(chat.paused_until.is_some(), "{chat:?}");
    // Not yet: six seconds later nothing goes.
    assert_eq!(
        rig.deliver_at(before + chrono::Duration::seconds(6))
            .await
            .sent,
        0
    );
    let pass = rig.deliver_at(queued[0].due).await;
    assert_eq!(pass.sent, 3, "{pass:?}");
    let titles: Vec<String> = rig
        .api
        .sent_to(GROUP)
        .iter()
        .map(|s| s.text.lines().next().unwrap().to_string())
        .collect();
    assert_eq!(titles, ["一", "二", "三"]);
}

#[tokio::test]
async fn a_kicked_bot_deactivates_the_chat_and_stops_sending() {
    let rig = ChatRig::new("", &chat_section("")).await;
    rig.api.fail(GROUP, &[Fault::Kicked]);
    rig.news(&[("a", "一", "", D2), ("b", "二", "", D3)]).await;
    let pass = rig.deliver().await;
    assert_eq!((pass.failed, pass.dropped), (1, 1), "{pass:?}");
    let chat = rig
        .store
        .chat(&Target::Telegram { chat_id: GROUP })
        .unwrap()
        .unwrap();
    assert!(
        matches!(&chat.reach, Reach::Inactive { why, .. } if why.contains("kicked")),
        "{chat:?}"
    );
    assert!(rig.api.sent_to(GROUP).is_empty());
    // New items are not even queued for it.
    rig.serve(&[
        ("c", "三", "", D3),
        ("a", "一", "", D2),
        ("b", "二", "", D3),
    ]);
    rig.poll().await;
    assert!(rig.store.outbox().unwrap().is_empty());
}

#[tokio::test]
async fn a_group_that_became_a_supergroup_is_followed_with_its_queue() {
    let rig = ChatRig::new("", &chat_section("")).await;
    let supergroup = -100_777;
    rig.api.fail(GROUP, &[Fault::Migrate(supergroup)]);
    rig.news(&[("a", "一", "", D2), ("b", "二", "", D3)]).await;
    rig.deliver().await;
    rig.deliver().await;
    let sent = rig.api.sent_to(supergroup);
    assert_eq!(sent.len(), 2, "{:?}", rig.api.sent());
    let old = rig
        .store
        .chat(&Target::Telegram { chat_id: GROUP })
        .unwrap()
        .unwrap();
    assert_eq!(old.migrated_to, Some(supergroup));
    // Later news goes straight to the supergroup.
    rig.serve(&[
        ("c", "三", "", D3),
        ("a", "一", "", D2),
        ("b", "二", "", D3),
    ]);
    rig.poll().await;
    rig.deliver().await;
    assert_eq!(rig.api.sent_to(supergroup).len(), 3);
}

#[tokio::test]
async fn a_burst_becomes_one_digest() {
    let rig = ChatRig::new("burst_digest = 5", &chat_section("")).await;
    let items: Vec<(String, String)> = (0..12)
        .map(|i| (format!("i{i}"), format!("新闻{i}")))
        .collect();
    let list: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|(g, t)| (g.as_str(), t.as_str(), "", D2))
        .collect();
    rig.news(&list).await;
    let pass = rig.deliver().await;
    assert_eq!((pass.sent, pass.merged), (1, 12), "{pass:?}");
    let sent = rig.api.sent_to(GROUP);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].text.contains("12"), "{}", sent[0].text);
    assert!((0..12).all(|i| sent[0].text.contains(&format!("新闻{i}"))));
}

#[tokio::test]
async fn a_scheduled_chat_gets_a_digest_at_its_firing() {
    let rig = ChatRig::new("", &chat_section("schedule = \"0 0 9 * * *\"")).await;
    rig.news(&[("a", "一", "", D2), ("b", "二", "", D3)]).await;
    assert_eq!(
        rig.deliver().await,
        Default::default(),
        "held for the digest"
    );
    let run = chrono::NaiveDate::from_ymd_opt(2022, 9, 10)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    assert!(
        rig.notifier
            .run_target_digest(&Target::Telegram { chat_id: GROUP }, run)
            .unwrap()
    );
    assert_eq!(rig.deliver().await.sent, 1);
    let sent = rig.api.sent_to(GROUP);
    assert!(sent[0].text.contains("2022-09-10 09:00") && sent[0].text.contains("一"));
}
