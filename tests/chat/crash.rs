//! A daemon killed between "stored" and "sent" delivers each queued chat message exactly
//! once after a restart, as the email outbox does (tests/notify/outbox.rs).

use super::{ChatRig, D1, D2, D3, GROUP};
use crate::support::botapi::Fault;
use crate::support::daemon::{daemon, wait_for_log};
use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn a_daemon_killed_between_stored_and_sent_sends_each_message_once_after_restart() {
    let rig = ChatRig::new(
        "",
        &format!("[[chat]]\nchat_id = {GROUP}\nfeeds = [\"all\"]\n"),
    )
    .await;
    // Seen once: the backlog is announced to nobody.
    rig.serve(&[("old", "旧闻", "x", D1)]);
    rig.poll().await;
    let rig = rig.close();
    let config_path = rig.config_path();
    // The daemon polls every second, so that it stores the news at once.
    let text = std::fs::read_to_string(&config_path).unwrap().replace(
        "title = \"区内要闻\"\n",
        "title = \"区内要闻\"\nschedule = \"* * * * * *\"\n",
    );
    std::fs::write(&config_path, text).unwrap();

    // The Bot API refuses for an hour: what the daemon stores is queued, not sent.
    rig.api.fail(GROUP, &[Fault::RetryAfter(3600)]);
    rig.feeds.set(
        "/feed.xml",
        crate::support::server::Reply::ok(
            "application/rss+xml",
            super::rss(&[
                ("a", "新闻一", "内容一", D2),
                ("b", "新闻二", "内容二", D3),
                ("old", "旧闻", "x", D1),
            ]),
        ),
    );
    let mut child = daemon(&config_path);
    wait_for_log(&mut child, "will retry");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(rig.api.sent_to(GROUP).is_empty(), "{:?}", rig.api.sent());
    let refused = sends(&rig.api.calls());

    // The fake answers again; a manual delivery sends what the killed daemon queued.
    let deliver = || {
        let path = config_path.clone();
        tokio::task::spawn_blocking(move || {
            let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
                .args(["deliver", "--now", "-c"])
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
    };
    let first = deliver().await.unwrap();
    assert!(first.starts_with("sent 2,"), "{first}");
    let again = deliver().await.unwrap();
    assert!(again.starts_with("sent 0,"), "{again}");

    let sent = rig.api.sent_to(GROUP);
    let titles: Vec<String> = sent
        .iter()
        .map(|s| s.text.lines().next().unwrap_or_default().to_string())
        .collect();
    // In order, each once: the refused head and the rest of the chat's queue behind it
    // are put back in one transaction, so no kill can leave the second message due first.
    assert_eq!(
        titles,
        ["新闻一", "新闻二"],
        "in order, each once: {sent:#?}"
    );
    assert_eq!(
        sends(&rig.api.calls()) - refused,
        2,
        "no sendMessage beyond the two deliveries"
    );
    let store = tidings::store::Store::open(&rig.config.daemon.data_dir).unwrap();
    assert!(store.outbox().unwrap().is_empty());
}

fn sends(calls: &[String]) -> usize {
    calls.iter().filter(|c| *c == "sendmessage").count()
}
