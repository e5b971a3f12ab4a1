//! The outbox's promises: nothing lost when the SMTP server is down or refuses for a
//! while, permanent refusals recorded and not retried, nothing sent twice, and a process
//! killed between "stored" and "sent" delivering exactly once after a restart.

use super::{D1, D2, D3, Rig};
use crate::support::daemon::{daemon, wait_for_log};
use crate::support::smtp::Rules;
use std::process::Command;
use tidings::notify::Pass;
use tidings::store::SubscriberState;

const LIST: &str = "[[list]]\nid = \"instant\"\ntitle = \"快讯\"\nfeeds = [\"all\"]\n";

async fn with_news(rig: &Rig) {
    rig.serve("/feed.xml", &[("a", "旧", "x", D1)]);
    rig.poll("news").await;
    rig.serve(
        "/feed.xml",
        &[
            ("b", "新闻一", "内容一", D2),
            ("c", "新闻二", "内容二", D3),
            ("a", "旧", "x", D1),
        ],
    );
    assert_eq!(rig.poll("news").await.stored.len(), 2);
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn smtp_down_then_back_delivers_everything_once() {
    let mut rig = Rig::new("", LIST, &[]).await;
    rig.subscribe("instant", "reader@example.com", &[]);
    with_news(&rig).await;
    rig.sink.stop();
    let pass = rig.deliver().await;
    // The reader's first mail fails and is put back; the second waits behind it.
    assert_eq!((pass.sent, pass.retried), (0, 1), "{pass:?}");
    let queued = rig.store.outbox().unwrap();
    assert_eq!(queued.len(), 2, "kept, not dropped");
    assert!(queued.iter().all(|q| q.due > chrono::Utc::now()));
    let failed = queued.iter().find(|q| q.delivery.attempts == 1).unwrap();
    let error = failed.delivery.last_error.as_deref().unwrap();
    assert!(error.contains("SMTP"), "{error}");
    // Not due yet: a pass now sends nothing, even with the server back.
    rig.sink.restart();
    assert_eq!(rig.deliver().await.sent, 0);
    let pass = rig.deliver_later(chrono::Duration::minutes(5)).await;
    assert_eq!(pass.sent, 2, "{pass:?}");
    assert_eq!(rig.sink.wait_for(2).len(), 2);
    assert_eq!(
        rig.deliver_later(chrono::Duration::hours(7)).await,
        Default::default()
    );
    assert_eq!(rig.sink.mails().len(), 2, "nothing twice");
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn temporary_refusals_are_retried_and_a_550_is_recorded_for_good() {
    let rig = Rig::new("", LIST, &[]).await;
    rig.sink.set_rules(Rules {
        reject_rcpt: vec!["bounce@".into()],
        tempfail_rcpt: vec![("busy@".into(), 2)],
        ..Default::default()
    });
    rig.subscribe("instant", "bounce@example.com", &[]);
    rig.subscribe("instant", "busy@example.com", &[]);
    rig.subscribe("instant", "fine@example.com", &[]);
    with_news(&rig).await;
    let pass = rig.deliver().await;
    // busy@'s first mail gets a 451 and holds its second behind it.
    assert_eq!((pass.sent, pass.retried), (2, 1), "{pass:?}");
    // The two mails to the refused address: failed (550), or dropped when the first
    // refusal had already marked the address.
    assert!(
        pass.failed >= 1 && pass.failed + pass.dropped == 2,
        "{pass:?}"
    );
    let bounced = rig
        .store
        .subscriber("instant", "bounce@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(bounced.state, SubscriberState::Bouncing);
    assert!(
        bounced.last_error.as_deref().unwrap().contains("550"),
        "{:?}",
        bounced.last_error
    );
    // Nothing for the refused address is tried again; after the second 451 busy@'s
    // mails come through, in order.
    let mut later = Pass::default();
    for minutes in [5, 30] {
        let pass = rig.deliver_later(chrono::Duration::minutes(minutes)).await;
        later.sent += pass.sent;
        later.failed += pass.failed;
        later.retried += pass.retried;
    }
    assert_eq!(
        (later.sent, later.failed, later.retried),
        (2, 0, 1),
        "{later:?}"
    );
    assert_eq!(rig.store.outbox().unwrap().len(), 0);
    let mails = rig.sink.mails();
    let count = |a: &str| mails.iter().filter(|m| m.rcpt_tos == [a]).count();
    assert_eq!(count("fine@example.com"), 2);
    assert_eq!(count("busy@example.com"), 2, "delivered after two 451s");
    assert_eq!(count("bounce@example.com"), 0);
    // Visible in `subscribers list`.
    let rig = rig.close();
    let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["subscribers", "list", "-c"])
        .arg(rig.dir.path().join("feeds.toml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("bounce@example.com"))
        .unwrap();
    assert!(line.contains("bouncing") && line.contains("550"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn a_daemon_killed_between_stored_and_sent_delivers_exactly_once_after_restart() {
    let rig = Rig::new("schedule = \"* * * * * *\"", LIST, &[]).await;
    rig.subscribe("instant", "reader@example.com", &[]);
    rig.serve("/feed.xml", &[("a", "旧", "x", D1)]);
    rig.poll("news").await;
    // The daemon will hold the database; this process lets go of it.
    let mut rig = rig.close();
    let config_path = rig.dir.path().join("feeds.toml");

    rig.sink.stop();
    rig.serve(
        "/feed.xml",
        &[("b", "新闻一", "内容一", D2), ("a", "旧", "x", D1)],
    );
    let mut child = daemon(&config_path);
    // Stored and queued; the send failed (server down), so it is not sent.
    wait_for_log(&mut child, "will retry");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    rig.sink.restart();
    let deliver = |now: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tidings"));
        c.args(["deliver", "-c"]).arg(&config_path);
        if now {
            c.arg("--now");
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = deliver(true);
    assert!(first.starts_with("sent 1,"), "{first}");
    let again = deliver(true);
    assert!(again.starts_with("sent 0,"), "{again}");
    let mails = rig.sink.wait_for(1);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "[快讯] 新闻一");

    // A restarted daemon finds nothing left to send either.
    let store = tidings::store::Store::open(&rig.config.daemon.data_dir).unwrap();
    assert!(store.outbox().unwrap().is_empty());
    let reader = store
        .subscriber("instant", "reader@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(reader.state, SubscriberState::Active);
}
