//! Bot commands by long polling against the fake Bot API.

use super::{ChatRig, GROUP};
use super::{D2, D3};
use std::time::Duration;
use tidings::notify::bot::CommandBot;
use tidings::store::Target;
use tokio_util::sync::CancellationToken;

const ADMIN: i64 = 501;
const MEMBER: i64 = 502;

#[tokio::test]
async fn subscribe_by_an_admin_is_accepted_and_by_a_member_refused_and_it_survives_a_restart() {
    let rig = ChatRig::new("admins = [9]", "").await;
    rig.api.set_member(GROUP, ADMIN, "administrator");
    let cancel = CancellationToken::new();
    let bot = CommandBot::new(&rig.notifier).expect("a bot");
    let task = tokio::spawn(bot.run(cancel.clone()));

    rig.api
        .push_message(GROUP, MEMBER, "/subscribe@TidingsBot all");
    let replies = rig.api.wait_for(GROUP, 1, Duration::from_secs(10)).await;
    assert!(
        replies[0].text.contains("only the group's administrators"),
        "{:?}",
        replies[0].text
    );

    rig.api.push_message(GROUP, ADMIN, "/subscribe nosuch");
    let replies = rig.api.wait_for(GROUP, 2, Duration::from_secs(10)).await;
    assert!(replies[1].text.contains("There is no feed") && replies[1].text.contains("all"));

    rig.api.push_message(GROUP, ADMIN, "/subscribe all 棉花");
    let replies = rig.api.wait_for(GROUP, 3, Duration::from_secs(10)).await;
    assert!(
        replies[2].text.starts_with("Subscribed"),
        "{:?}",
        replies[2].text
    );

    rig.api.push_message(GROUP, MEMBER, "/status");
    rig.api.push_message(GROUP, MEMBER, "/frobnicate");
    let replies = rig.api.wait_for(GROUP, 5, Duration::from_secs(10)).await;
    assert!(
        replies[3].text.contains("administrators"),
        "{:?}",
        replies[3].text
    );
    assert!(replies[4].text.contains("/help"), "{:?}", replies[4].text);
    assert!(rig.api.calls().contains(&"getchatmember".to_string()));
    cancel.cancel();
    task.await.unwrap();

    // The subscription narrows by keyword, and reaches the chat.
    rig.news(&[("a", "棉花丰收", "", D2), ("b", "别的", "", D3)])
        .await;
    rig.deliver().await;
    let news: Vec<_> = rig.api.sent_to(GROUP).into_iter().skip(5).collect();
    assert_eq!(news.len(), 1, "{news:?}");
    assert!(news[0].text.contains("#棉花"), "says why: {}", news[0].text);

    // After a restart (the store reopened), the subscription is still there.
    let ChatRig {
        notifier,
        poller,
        store,
        dir,
        ..
    } = rig;
    drop((notifier, poller));
    drop(Arc::try_unwrap(store).ok().expect("the only handle"));
    let store = tidings::store::Store::open(&dir.path().join("data")).unwrap();
    let chat = store
        .chat(&Target::Telegram { chat_id: GROUP })
        .unwrap()
        .unwrap();
    assert_eq!(chat.subs.len(), 1);
    assert_eq!(chat.subs[0].keywords, ["棉花"]);
}

use std::sync::Arc;
