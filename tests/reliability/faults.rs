//! Sink faults the notify and chat suites leave out: a storm of 429s and 5xx answers
//! from the Bot API, and an SMTP server that takes a message's DATA and then answers
//! 451 (while refusing one address for good). Once the fault ends everything is
//! delivered, in order, once; the permanent failure is recorded.

use crate::chat::{ChatRig, D2, D3, GROUP};
use crate::notify::Rig;
use crate::support::botapi::Fault;
use crate::support::smtp::Rules;
use chrono::{Duration, Utc};
use tidings::store::{SubscriberState, Target};

const D4: &str = "Sat, 10 Sep 2022 08:00:00 +0800";

#[tokio::test]
async fn a_storm_of_429s_and_5xx_from_the_bot_api_ends_with_each_message_once_in_order() {
    let rig = ChatRig::new(
        "",
        &format!("[[chat]]\nchat_id = {GROUP}\nfeeds = [\"all\"]\n"),
    )
    .await;
    rig.news(&[
        ("c", "新闻三", "内容三", D4),
        ("b", "新闻二", "内容二", D3),
        ("a", "新闻一", "内容一", D2),
    ])
    .await;
    rig.api.fail(
        GROUP,
        &[
            Fault::RetryAfter(3),
            Fault::ServerError(502),
            Fault::RetryAfter(40),
            Fault::ServerError(500),
            Fault::ServerError(503),
            Fault::RetryAfter(1),
            Fault::RetryAfter(2),
        ],
    );
    let mut at = Utc::now();
    let mut retried = 0;
    for _ in 0..30 {
        let pass = rig.deliver_at(at).await;
        retried += pass.retried + pass.deferred;
        if rig.api.sent_to(GROUP).len() >= 3 {
            break;
        }
        // Each pass a little later than the longest wait (40 s, or the 5xx backoff).
        at += Duration::minutes(5);
    }
    assert!(retried >= 7, "every fault was a retry: {retried}");
    let titles: Vec<String> = rig
        .api
        .sent_to(GROUP)
        .iter()
        .map(|s| s.text.lines().next().unwrap().to_string())
        .collect();
    assert_eq!(
        titles,
        ["新闻一", "新闻二", "新闻三"],
        "in order, each once"
    );
    assert!(rig.store.outbox().unwrap().is_empty());
    let chat = rig
        .store
        .chat(&Target::Telegram { chat_id: GROUP })
        .unwrap()
        .unwrap();
    assert!(chat.is_active(), "{chat:?}");
    assert_eq!(
        (chat.paused_until, chat.last_error.as_deref()),
        (None, None),
        "well again"
    );
    // Nothing more to send, however late.
    assert_eq!(
        rig.deliver_at(at + Duration::hours(7)).await,
        Default::default()
    );
    assert_eq!(rig.api.sent_to(GROUP).len(), 3);
}

const LIST: &str = "[[list]]\nid = \"instant\"\ntitle = \"快讯\"\nfeeds = [\"all\"]\n";

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn a_451_after_data_is_retried_once_accepted_and_a_550_is_recorded() {
    let rig = Rig::new("", LIST, &[]).await;
    rig.subscribe("instant", "one@example.com", &[]);
    rig.subscribe("instant", "two@example.com", &[]);
    rig.subscribe("instant", "gone@example.com", &[]);
    // The first three messages are received in full and refused with 451.
    rig.sink.set_rules(Rules {
        reject_rcpt: vec!["gone@".into()],
        tempfail_data: 3,
        ..Default::default()
    });
    rig.serve("/feed.xml", &[("a", "旧", "x", D2)]);
    rig.poll("news").await;
    rig.serve(
        "/feed.xml",
        &[
            ("c", "新闻二", "内容二", D4),
            ("b", "新闻一", "内容一", D3),
            ("a", "旧", "x", D2),
        ],
    );
    assert_eq!(rig.poll("news").await.stored.len(), 2);
    let mut total = tidings::notify::Pass::default();
    for minutes in [0, 5, 30, 120, 600] {
        let pass = rig.deliver_later(Duration::minutes(minutes)).await;
        total.sent += pass.sent;
        total.failed += pass.failed;
        total.dropped += pass.dropped;
        total.retried += pass.retried;
    }
    assert_eq!(total.sent, 4, "{total:?}");
    assert!(total.retried >= 3, "{total:?}");
    assert_eq!(total.failed + total.dropped, 2, "{total:?}");
    assert!(rig.store.outbox().unwrap().is_empty());
    let mails = rig.sink.mails();
    for who in ["one@example.com", "two@example.com"] {
        let mut subjects: Vec<&str> = mails
            .iter()
            .filter(|m| m.rcpt_tos == [who])
            .map(|m| m.subject.as_str())
            .collect();
        subjects.sort();
        assert_eq!(
            subjects,
            ["[快讯] 新闻一", "[快讯] 新闻二"],
            "{who}: each once"
        );
    }
    assert_eq!(
        mails.len(),
        4,
        "nothing twice, nothing to the refused address"
    );
    let gone = rig
        .store
        .subscriber("instant", "gone@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(gone.state, SubscriberState::Bouncing);
    assert!(gone.last_error.unwrap().contains("550"));
}
