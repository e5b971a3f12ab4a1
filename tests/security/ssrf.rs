//! The operator's source on 127.0.0.1 may be polled, and its links on that same host
//! followed; links to another host on a private address (127.0.0.2), and redirects to one
//! (127.0.0.3), are refused and nothing of them is published, unless the source says
//! `allow_private = true`.

use crate::support::server::{FixtureServer, Reply};
use crate::support::{self};
use tokio_util::sync::CancellationToken;

const TEXT: &str = "自治州科协组织开展科普大篷车进基层活动，走进博乐市青得里镇，为当地群众送去丰富多彩的科普展品和科普图书，受到广大群众的欢迎。活动现场，科技工作者向群众讲解了棉花病虫害防治等实用技术。";

fn article(title: &str, secret: &str) -> Reply {
    Reply::ok(
        "text/html; charset=utf-8",
        format!(
            "<!DOCTYPE html><html><head><title>{title}</title></head><body>\
             <div class=\"article\"><h1>{title}</h1><div class=\"info\">时间:2022-09-07 10:45</div>\
             <div class=\"content\"><p>{TEXT}</p><p>{secret}{TEXT}</p><p>{TEXT}</p></div></div></body></html>"
        ),
    )
}

fn list(links: &[(String, &str)]) -> Reply {
    let lis: String = links
        .iter()
        .map(|(href, title)| {
            format!("<li><a href=\"{href}\">{title}</a><span>2022-09-07</span></li>")
        })
        .collect();
    Reply::ok(
        "text/html; charset=utf-8",
        format!("<html><body><ul class=\"list\">{lis}</ul></body></html>"),
    )
}

struct Sites {
    operator: FixtureServer,
    internal: FixtureServer,
    metadata: FixtureServer,
}

/// The operator's list on 127.0.0.1 links to an article on its own host, one on
/// 127.0.0.2 and one that redirects to 127.0.0.3.
async fn sites() -> Sites {
    let operator = FixtureServer::start_on("127.0.0.1").await;
    let internal = FixtureServer::start_on("127.0.0.2").await;
    let metadata = FixtureServer::start_on("127.0.0.3").await;
    internal.set("/secret.html", article("内部文件", "INTERNAL-SECRET-2"));
    metadata.set("/latest/", article("元数据", "METADATA-SECRET-3"));
    operator.set("/own.html", article("本站新闻", "OWN-HOST-TEXT"));
    operator.set(
        "/jump.html",
        Reply::status(302).header("location", &metadata.url("/latest/")),
    );
    operator.set(
        "/list/",
        list(&[
            (operator.url("/own.html"), "本站新闻"),
            (internal.url("/secret.html"), "内部文件"),
            (operator.url("/jump.html"), "跳转"),
        ]),
    );
    Sites {
        operator,
        internal,
        metadata,
    }
}

fn config_for(dir: &std::path::Path, url: &str, extra: &str) -> tidings::config::Config {
    let toml = format!(
        "[daemon]\ndata_dir = \"data\"\ntimezone = \"Asia/Shanghai\"\n[fetch]\nper_host_interval_ms = 0\n\
         [[source]]\nid = \"intranet\"\nurl = \"{url}\"\nkind = \"html\"\nfull_text = true\n{extra}\
         [source.select]\nitem = \"ul.list li\"\nlink = \"a\"\ntitle = \"a\"\n"
    );
    support::config(dir, &toml)
}

fn all_text(stored: &[tidings::store::Stored]) -> String {
    stored
        .iter()
        .map(|s| {
            format!(
                "{} {:?} {:?}",
                s.item.title, s.item.content_html, s.item.content_text
            )
        })
        .collect()
}

#[tokio::test]
async fn links_to_other_private_hosts_are_refused_and_not_published() {
    let s = sites().await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &s.operator.url("/list/"), "");
    let (poller, _store) = support::poller(config);
    let source = poller.config.get().sources[0].clone();
    let out = poller
        .poll(&source, false, &CancellationToken::new())
        .await
        .expect("the operator's own source on 127.0.0.1 is polled");

    // The link on the operator's own host is fetched and published.
    assert_eq!(s.operator.requests("/own.html").len(), 1);
    let text = all_text(&out.stored);
    assert!(text.contains("OWN-HOST-TEXT"), "{text}");
    // The other hosts were never asked, and nothing of theirs is stored.
    assert!(s.internal.requests("/secret.html").is_empty());
    assert!(s.metadata.requests("/latest/").is_empty());
    assert!(!text.contains("SECRET"), "{text}");
    assert_eq!(out.stored.len(), 1, "only the own-host article: {text}");

    // Each refusal says which address, why, and how to allow it.
    let errors = out.article_errors.join("\n");
    assert!(
        errors.contains("refused: 127.0.0.2 is a loopback address, not allowed for links found in the content of source \"intranet\"; set allow_private = true on source \"intranet\""),
        "{errors}"
    );
    assert!(
        errors
            .contains("refused: 127.0.0.3 is a loopback address, not allowed for a redirect from"),
        "{errors}"
    );
    // Refused links are not kept for a later poll.
    assert_eq!(out.deferred, 0, "{errors}");
}

#[tokio::test]
async fn allow_private_lets_the_source_reach_other_private_hosts() {
    let s = sites().await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(
        dir.path(),
        &s.operator.url("/list/"),
        "allow_private = true\n",
    );
    let (poller, _store) = support::poller(config);
    let source = poller.config.get().sources[0].clone();
    let out = poller
        .poll(&source, false, &CancellationToken::new())
        .await
        .unwrap();
    assert!(out.article_errors.is_empty(), "{:?}", out.article_errors);
    let text = all_text(&out.stored);
    assert!(text.contains("INTERNAL-SECRET-2"), "{text}");
    assert!(text.contains("METADATA-SECRET-3"), "{text}");
    assert_eq!(s.internal.requests("/secret.html").len(), 1);
}

#[tokio::test]
async fn a_source_redirecting_to_another_private_host_is_refused() {
    let s = sites().await;
    s.operator.set(
        "/moved/",
        Reply::status(301).header("location", &s.metadata.url("/list/")),
    );
    s.metadata.set("/list/", list(&[]));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &s.operator.url("/moved/"), "");
    let (poller, store) = support::poller(config);
    let source = poller.config.get().sources[0].clone();
    let err = poller
        .poll(&source, false, &CancellationToken::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("refused: 127.0.0.3 is a loopback address, not allowed for a redirect from"),
        "{err}"
    );
    assert!(s.metadata.requests("/list/").is_empty());
    // Recorded on the source, as a permanent error (retrying will not help).
    let state = store.source_state("intranet").unwrap();
    assert!(state.error_permanent);
    assert!(state.last_error.unwrap().contains("allow_private = true"));
}

#[tokio::test]
async fn a_redirect_on_the_operators_own_host_is_followed() {
    let s = sites().await;
    s.operator
        .set("/old/", Reply::status(302).header("location", "/list/"));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &s.operator.url("/old/"), "");
    let (poller, _store) = support::poller(config);
    let source = poller.config.get().sources[0].clone();
    let out = poller
        .poll(&source, false, &CancellationToken::new())
        .await
        .unwrap();
    assert!(all_text(&out.stored).contains("OWN-HOST-TEXT"));
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_for_content_links() {
    // `localhost` is a name: the check is on the address it resolves to when connecting.
    let s = sites().await;
    let port = s.internal.addr.port();
    let via_name = format!("http://localhost:{port}/secret.html");
    s.operator.set("/list/", list(&[(via_name, "内部文件")]));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &s.operator.url("/list/"), "");
    let (poller, _store) = support::poller(config);
    let source = poller.config.get().sources[0].clone();
    let out = poller
        .poll(&source, false, &CancellationToken::new())
        .await
        .unwrap();
    let errors = out.article_errors.join("\n");
    assert!(
        errors.contains("refused: localhost resolves to 127.0.0.1, a loopback address")
            || errors.contains("refused: localhost resolves to ::1, a loopback address"),
        "{errors}"
    );
    assert!(out.stored.is_empty());
}
