//! Group robots against fakes that check shapes and signatures and answer with the
//! platforms' codes.

use super::ChatRig;
use super::{D2, D3};
use serde_json::json;
use tidings::store::{Reach, Target};

fn hooks(secret: &str) -> String {
    format!(
        "[[webhook]]\nid = \"ding\"\nkind = \"dingtalk\"\nurl = \"{{robots}}/dingtalk?access_token=T\"\nsecret = \"{secret}\"\nfeeds = [\"all\"]\n\n\
         [[webhook]]\nid = \"wecom\"\nkind = \"wecom\"\nurl = \"{{robots}}/wecom?key=K\"\nfeeds = [\"all\"]\n\n\
         [[webhook]]\nid = \"feishu\"\nkind = \"feishu\"\nurl = \"{{robots}}/feishu\"\nsecret = \"{secret}\"\nfeeds = [\"all\"]\n\n\
         [[webhook]]\nid = \"slack\"\nkind = \"slack\"\nurl = \"{{robots}}/slack\"\nfeeds = [\"all\"]\n\n\
         [[webhook]]\nid = \"discord\"\nkind = \"discord\"\nurl = \"{{robots}}/discord\"\nfeeds = [\"all\"]\n\n\
         [[webhook]]\nid = \"json\"\nkind = \"json\"\nurl = \"{{robots}}/json\"\nfeeds = [\"all\"]\n"
    )
}

#[tokio::test]
async fn every_platform_gets_its_shape_and_signature() {
    let rig = ChatRig::new("", &hooks("SECret")).await;
    rig.robots.set_secret("/dingtalk", "SECret");
    rig.robots.set_secret("/feishu", "SECret");
    rig.news(&[("a", "[棉花](javascript:x) 1 &lt; 2", "正文", D2)])
        .await;
    let pass = rig.deliver().await;
    assert_eq!(pass.sent, 6, "{pass:?}");
    let ding = &rig.robots.received("/dingtalk")[0];
    let text = ding.body["markdown"]["text"].as_str().unwrap();
    assert!(
        text.contains("\\[棉花\\]\\(javascript:x\\) 1 &lt; 2"),
        "{text}"
    );
    assert!(text.contains("(http://example.org/a/a.html)"), "{text}");
    let feishu = &rig.robots.received("/feishu")[0];
    assert_eq!(
        feishu.body["content"]["post"]["zh_cn"]["content"][0][0]["href"],
        "http://example.org/a/a.html"
    );
    let json_item = &rig.robots.received("/json")[0].body;
    assert_eq!(json_item["item"]["title"], "[棉花](javascript:x) 1 < 2");
    assert_eq!(json_item["item"]["source"], "区内要闻");
    let slack = rig.robots.received("/slack")[0].body["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(slack.contains("1 &lt; 2"), "{slack}");
}

#[tokio::test]
async fn a_bad_signature_deactivates_the_robot_and_says_why() {
    let rig = ChatRig::new("", &hooks("wrong")).await;
    rig.robots.set_secret("/dingtalk", "right");
    rig.news(&[("a", "一", "", D2)]).await;
    rig.deliver().await;
    let ding = rig
        .store
        .chat(&Target::Webhook { id: "ding".into() })
        .unwrap()
        .unwrap();
    assert!(
        matches!(&ding.reach, Reach::Inactive { why, .. } if why.contains("310000")),
        "{ding:?}"
    );
    assert!(rig.robots.received("/dingtalk").is_empty());
}

#[tokio::test]
async fn a_frequency_limit_is_retried_and_a_bad_token_is_permanent() {
    let rig = ChatRig::new("", &hooks("s")).await;
    rig.robots.set_secret("/dingtalk", "s");
    rig.robots.script(
        "/dingtalk",
        &[(
            200,
            json!({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
        )],
    );
    rig.robots.script(
        "/wecom",
        &[(
            200,
            json!({"errcode": 93000, "errmsg": "invalid webhook url"}),
        )],
    );
    rig.news(&[("a", "一", "", D2), ("b", "二", "", D3)]).await;
    let pass = rig.deliver().await;
    assert!(pass.retried >= 1 && pass.failed >= 1, "{pass:?}");
    let wecom = rig
        .store
        .chat(&Target::Webhook { id: "wecom".into() })
        .unwrap()
        .unwrap();
    assert!(!wecom.is_active(), "{wecom:?}");
    // DingTalk throttles for ten minutes; after that both items go, in order.
    let later = chrono::Utc::now() + chrono::Duration::minutes(11);
    rig.deliver_at(later).await;
    let got: Vec<String> = rig
        .robots
        .received("/dingtalk")
        .iter()
        .map(|r| r.body["markdown"]["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, ["一", "二"]);
}
