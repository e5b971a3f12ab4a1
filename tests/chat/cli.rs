//! `tidings chats list`: every chat and robot with its state, feeds, keywords and queue,
//! from the database when no daemon runs and through the admin API when one does.

use super::{ChatRig, Closed, D2, D3, GROUP};
use crate::support::botapi::Fault;
use std::process::Command;
use tidings::notify::status::ChatStatus;
use tidings::store::{ChatSub, Target};

const PAUSED: i64 = -1002;
const PRIVATE: i64 = 4242;

fn sections() -> String {
    format!(
        "[[chat]]\nchat_id = {GROUP}\nfeeds = [\"all\"]\n\n\
         [[chat]]\nchat_id = {PAUSED}\nfeeds = [\"all\"]\n\n\
         [[webhook]]\nid = \"ding\"\nkind = \"dingtalk\"\nurl = \"{{robots}}/dingtalk\"\nsecret = \"wrong\"\nfeeds = [\"cotton\"]\n"
    )
}

/// A kicked group, a group paused by `retry_after`, a robot with a bad signature, and a
/// private chat that subscribed with keywords.
async fn every_state() -> Closed {
    let rig = ChatRig::new("", &sections()).await;
    rig.api.fail(GROUP, &[Fault::Kicked]);
    rig.api.fail(PAUSED, &[Fault::RetryAfter(3600)]);
    rig.robots.set_secret("/dingtalk", "right");
    rig.news(&[("a", "棉花一", "", D2), ("b", "二", "", D3)])
        .await;
    rig.deliver().await;
    rig.store
        .update_chat(&Target::Telegram { chat_id: PRIVATE }, |c| {
            c.subs.push(ChatSub {
                feed: "cotton".into(),
                keywords: vec!["棉花".into(), "科协".into()],
            })
        })
        .unwrap();
    rig.close()
}

fn chats_list(config: &std::path::Path, json: bool) -> (String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tidings"));
    c.args(["chats", "list", "-c"]).arg(config);
    if json {
        c.arg("--json");
    }
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

fn parse(stdout: &str) -> Vec<ChatStatus> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn find<'a>(rows: &'a [ChatStatus], target: &str) -> &'a ChatStatus {
    rows.iter()
        .find(|c| c.target == target)
        .unwrap_or_else(|| panic!("no {target} in {rows:#?}"))
}

#[tokio::test]
async fn chats_list_shows_every_chat_and_robot_with_its_state() {
    let rig = every_state().await;
    let (text, _) = chats_list(&rig.config_path(), false);
    let block = |target: &str| {
        let start = text
            .find(&format!("{target} "))
            .unwrap_or_else(|| panic!("no {target}:\n{text}"));
        let rest = &text[start..];
        let end = rest[1..]
            .find("\n") // the header line …
            .map(|i| {
                // … and its indented lines.
                let mut end = i + 2;
                for line in rest[end..].lines() {
                    if !line.starts_with("    ") {
                        break;
                    }
                    end += line.len() + 1;
                }
                end
            })
            .unwrap_or(rest.len());
        rest[..end.min(rest.len())].to_string()
    };
    let kicked = block(&format!("telegram:{GROUP}"));
    assert!(
        kicked.contains("inactive") && kicked.contains("kicked"),
        "{kicked}"
    );
    let paused = block(&format!("telegram:{PAUSED}"));
    assert!(paused.contains("paused until"), "{paused}");
    assert!(paused.contains("2 queued"), "{paused}");
    let ding = block("webhook:ding");
    assert!(
        ding.contains("dingtalk") && ding.contains("inactive") && ding.contains("310000"),
        "{ding}"
    );
    assert!(ding.contains("feeds: cotton"), "{ding}");
    let private = block(&format!("telegram:{PRIVATE}"));
    assert!(
        private.contains("(bot)") && private.contains("cotton [棉花, 科协]"),
        "{private}"
    );

    let (json, _) = chats_list(&rig.config_path(), true);
    let rows = parse(&json);
    assert_eq!(rows.len(), 4, "{rows:#?}");
    let kicked = find(&rows, &format!("telegram:{GROUP}"));
    assert_eq!(kicked.state, "inactive");
    assert!(
        kicked.why.as_deref().unwrap().contains("kicked"),
        "{kicked:?}"
    );
    assert!(kicked.configured);
    let paused = find(&rows, &format!("telegram:{PAUSED}"));
    assert_eq!((paused.state.as_str(), paused.queued), ("paused", 2));
    assert!(paused.paused_until.is_some());
    let private = find(&rows, &format!("telegram:{PRIVATE}"));
    assert_eq!(
        (
            private.state.as_str(),
            private.configured,
            private.kind.as_str()
        ),
        ("active", false, "private")
    );
    assert_eq!(private.feeds[0].keywords, ["棉花", "科协"]);
}

/// The rig's configuration with a fixed port and an admin token, for a daemon in this
/// process and a CLI in another.
fn daemon_config(rig: &Closed) -> tidings::config::Config {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = std::fs::read_to_string(rig.config_path()).unwrap().replace(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"127.0.0.1:{port}\"\nadmin_token = \"0123456789abcdef0123\""),
    );
    crate::support::config(rig.dir.path(), &text)
}

/// The daemon in this process, once sled's background thread let go of the closed rig's
/// database.
async fn start(config: tidings::config::Config) -> tidings::app::Running {
    for _ in 0..100 {
        match tidings::app::start(config.clone()).await {
            Ok(running) => return running,
            Err(e) if e.to_string().contains("in use") => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            Err(e) => panic!("{e:#}"),
        }
    }
    panic!("the database stayed locked for 10 s");
}

#[tokio::test(flavor = "multi_thread")]
async fn chats_list_asks_the_running_daemon_and_the_status_page_agrees() {
    let rig = every_state().await;
    let config = daemon_config(&rig);
    let running = start(config).await;
    let path = rig.config_path();
    let (json, stderr) = tokio::task::spawn_blocking(move || chats_list(&path, true))
        .await
        .unwrap();
    assert!(
        stderr.contains("asking it"),
        "went through the daemon: {stderr}"
    );
    let rows = parse(&json);
    let kicked = find(&rows, &format!("telegram:{GROUP}"));
    assert_eq!(kicked.state, "inactive");
    assert!(
        kicked.why.as_deref().unwrap().contains("kicked"),
        "{kicked:?}"
    );
    assert_eq!(find(&rows, "webhook:ding").state, "inactive");

    // The status page shows the same states.
    let page = reqwest::get(format!("http://{}/", running.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = |target: &str| {
        let id = format!("id=\"chat-{}\"", target.replace(':', "-"));
        let start = page.find(&id).unwrap_or_else(|| panic!("no {id}:\n{page}"));
        let end = page[start..].find("</tr>").unwrap();
        page[start..start + end].to_string()
    };
    let kicked = row(&format!("telegram:{GROUP}"));
    assert!(
        kicked.contains("class=\"state inactive\"") && kicked.contains("kicked"),
        "{kicked}"
    );
    let paused = row(&format!("telegram:{PAUSED}"));
    assert!(
        paused.contains("class=\"state paused\"") && paused.contains("paused until"),
        "{paused}"
    );
    assert!(paused.contains("2 queued"), "{paused}");
    let ding = row("webhook:ding");
    assert!(
        ding.contains("dingtalk") && ding.contains("inactive") && ding.contains("310000"),
        "{ding}"
    );
    let private = row(&format!("telegram:{PRIVATE}"));
    assert!(
        private.contains("class=\"state active\"")
            && private.contains("by bot command")
            && private.contains("棉花, 科协"),
        "{private}"
    );

    // The admin API wants its token.
    let r = reqwest::get(format!("http://{}/admin/chats", running.addr))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    running.shutdown().await.unwrap();
}
