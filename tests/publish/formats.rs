//! The three feed formats, read back by feed-rs and by Python's feedparser.

use super::*;
use serde_json::Value;
use tidings::model::PubDate;
use tidings::publish::tag_uri;

const TITLE_A: &str = "博州召开棉花产业发展大会";
const TITLE_B: &str = "AT&T <新> \"引号\" 与 'apos'";

/// Four items covering what sources give: full metadata, markup-like title and an
/// `updated` time, text-only content without a date, and a day-only date.
fn items() -> Vec<Item> {
    let mut a = item("boz", "a", TITLE_A, Some("2022-09-07T10:45:00+08:00"));
    a.author = Some("谢慧变".into());
    a.origin = Some("天山网-新疆日报".into());
    a.summary = Some("<p>大会<b>摘要</b></p>".into());
    a.content_html =
        Some(r#"<p>正文第一段。<img src="/img/1.jpg" alt="图"></p><p>第二段。</p>"#.into());
    let mut b = item(
        "boz",
        "b?x=1&y=2",
        TITLE_B,
        Some("2022-09-08T08:00:00+08:00"),
    );
    b.updated = Some(at("2022-09-09T09:00:00+08:00"));
    let mut c = item("boz", "c", "无日期的文章", None);
    c.content_html = None;
    c.content_text = Some("第一行\n第二行 <不是标签>".into());
    c.first_seen = at("2026-01-02T03:04:05Z").with_timezone(&Utc);
    let mut d = item("boz", "d", "只有日期", None);
    d.published = Some(PubDate::Day(
        chrono::NaiveDate::from_ymd_opt(2022, 9, 6).unwrap(),
    ));
    vec![a, b, c, d]
}

/// Newest first: c (first seen 2026), b, a, d.
const ORDER: [&str; 4] = ["c", "b?x=1&y=2", "a", "d"];

async fn server_with(items: Vec<Item>) -> Server {
    Server::start(|config, store| {
        config.sources.push(source("boz", "区内要闻"));
        config.feeds.push(feed("news", "博州要闻", &["boz"]));
        store.store_batch("boz", items).unwrap();
    })
    .await
}

/// What every reader should see for an item.
struct Expected {
    id: String,
    title: String,
    link: String,
    /// Published as a Unix time (a bare day is midnight in the source's zone, here the
    /// configured Asia/Shanghai), if the item has one.
    published: Option<i64>,
    /// What RSS carries as pubDate: published, else the last change.
    rss_date: i64,
    author: Option<String>,
}

fn expected(items: &[Item]) -> Vec<Expected> {
    ORDER
        .iter()
        .map(|id| {
            let i = items.iter().find(|i| i.id == *id).unwrap();
            let published = i.published.map(|p| match p {
                PubDate::Instant(t) => t.timestamp(),
                PubDate::Day(d) => d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() - 8 * 3600,
            });
            let changed = i
                .updated
                .map(|u| u.timestamp())
                .or(published)
                .unwrap_or(i.first_seen.timestamp());
            Expected {
                id: tag_uri(&i.source, &i.id),
                title: i.title.clone(),
                link: i.url.clone().unwrap(),
                published,
                rss_date: published.unwrap_or(changed),
                author: i.author.clone(),
            }
        })
        .collect()
}

#[tokio::test]
async fn every_format_parses_back_with_the_stored_items() {
    let items = items();
    let want = expected(&items);
    let server = server_with(items).await;
    for (path, content_type) in [
        ("/feeds/news.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds/news.rss", "application/rss+xml; charset=utf-8"),
        ("/feeds/news.json", "application/feed+json; charset=utf-8"),
    ] {
        let resp = server.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], content_type, "{path}");
        let body = resp.bytes().await.unwrap();
        // Chinese is written as UTF-8, not as character references or \u escapes.
        let text = std::str::from_utf8(&body).unwrap();
        assert!(text.contains(TITLE_A), "{path}: title not byte-exact");
        assert!(text.contains("谢慧变"), "{path}: author not byte-exact");

        let parsed = feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(parsed.title.unwrap().content, "博州要闻", "{path}");
        assert_eq!(parsed.entries.len(), want.len(), "{path}");
        for (got, want) in parsed.entries.iter().zip(&want) {
            assert_eq!(got.id, want.id, "{path}");
            assert_eq!(got.title.as_ref().unwrap().content, want.title, "{path}");
            assert_eq!(got.links[0].href, want.link, "{path}");
            let date = if path.ends_with(".rss") {
                Some(want.rss_date)
            } else {
                want.published
            };
            assert_eq!(
                got.published.map(|t| t.timestamp()),
                date,
                "{path} {}",
                want.id
            );
            let authors: Vec<&str> = got
                .authors
                .iter()
                .filter_map(|p| p.name.as_deref())
                .collect();
            if let Some(author) = &want.author {
                assert!(authors.contains(&author.as_str()), "{path}: {authors:?}");
            }
        }
        // Full content is carried, with relative URLs made absolute against the article.
        let a = &parsed.entries[2];
        let content = a.content.as_ref().and_then(|c| c.body.clone()).unwrap();
        assert!(content.contains("正文第一段"), "{path}: {content}");
        assert!(
            content.contains("https://www.example.gov.cn/img/1.jpg"),
            "{path}: {content}"
        );
        // Text-only content arrives as paragraphs, its angle brackets as text.
        let c = parsed.entries[0]
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap();
        assert!(
            c.contains("第一行") && c.contains("&lt;不是标签&gt;"),
            "{path}: {c}"
        );
    }
    server.stop().await;
}

#[tokio::test]
#[cfg_attr(
    no_feedparser,
    ignore = "needs Python with feedparser (set TIDINGS_PYTHON)"
)]
async fn atom_and_rss_satisfy_feedparser() {
    let python = feedparser_python();
    let items = items();
    let want = expected(&items);
    let server = server_with(items).await;
    for path in ["/feeds/news.atom", "/feeds/news.rss"] {
        let d = feedparser_dump(&python, &server.get_text(path).await).await;
        assert_eq!(d["bozo"], false, "{path}: {}", d["bozo_exception"]);
        assert_eq!(d["title"], "博州要闻", "{path}");
        assert_eq!(d["self"][0], server.url(path), "{path}: self link");
        let entries = d["entries"].as_array().unwrap();
        assert_eq!(entries.len(), want.len(), "{path}");
        for (got, want) in entries.iter().zip(&want) {
            assert_eq!(got["id"], want.id.as_str(), "{path}");
            assert_eq!(got["title"], want.title.as_str(), "{path}");
            assert_eq!(got["link"], want.link.as_str(), "{path}");
            let date = if path.ends_with(".rss") {
                Some(want.rss_date)
            } else {
                want.published
            };
            assert_eq!(got["published"].as_i64(), date, "{path} {}", want.id);
            if let Some(author) = &want.author {
                assert_eq!(got["author"], author.as_str(), "{path}");
            }
        }
        let a = &entries[2];
        assert!(
            a["content"][0].as_str().unwrap().contains("正文第一段"),
            "{path}"
        );
        assert!(a["summary"].as_str().unwrap().contains("摘要"), "{path}");
        // The origin (来源): a machine-readable dc:source, and a first line readers see.
        assert_eq!(a["dc_source"], "天山网-新疆日报", "{path}");
        let content = a["content"][0].as_str().unwrap();
        assert!(
            content.starts_with("<p>来源：天山网-新疆日报</p>"),
            "{path}: {content}"
        );
        assert!(
            entries[0]["dc_source"].is_null(),
            "{path}: no origin, no field"
        );
    }
    // Atom carries the item's own `updated`.
    let atom = feedparser_dump(&python, &server.get_text("/feeds/news.atom").await).await;
    let b_updated = at("2022-09-09T09:00:00+08:00").timestamp();
    assert_eq!(atom["entries"][1]["updated"].as_i64(), Some(b_updated));
    server.stop().await;
}

#[tokio::test]
async fn json_feed_has_the_fields_and_types_of_version_1_1() {
    let items = items();
    let want = expected(&items);
    let server = server_with(items).await;
    let body = server.get_text("/feeds/news.json").await;
    let feed: Value = serde_json::from_str(&body).unwrap();
    assert_json_feed_1_1(&feed);
    assert_eq!(feed["feed_url"], server.url("/feeds/news.json"));
    let got = feed["items"].as_array().unwrap();
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got["id"], want.id.as_str());
        assert_eq!(got["title"], want.title.as_str());
        assert_eq!(got["url"], want.link.as_str());
        let published = got["date_published"]
            .as_str()
            .map(|d| DateTime::parse_from_rfc3339(d).unwrap().timestamp());
        assert_eq!(published, want.published, "{}", want.id);
    }
    // The publisher's own offset is kept in the date, not converted to UTC.
    assert_eq!(got[2]["date_published"], "2022-09-07T10:45:00+08:00");
    assert_eq!(got[2]["authors"][0]["name"], "谢慧变");
    assert_eq!(got[2]["summary"], "大会摘要");
    // The origin in our extension field, and as the content's first line.
    assert_eq!(got[2]["_tidings"]["origin"], "天山网-新疆日报");
    assert!(got[0].get("_tidings").is_none(), "no origin, no extension");
    assert!(
        got[2]["content_html"]
            .as_str()
            .unwrap()
            .starts_with("<p>来源：天山网-新疆日报</p>")
    );
    // A bare day is midnight where the source is, not midnight UTC.
    assert_eq!(got[3]["date_published"], "2022-09-06T00:00:00+08:00");
    server.stop().await;
}

/// The JSON Feed 1.1 spec's required fields and their types.
pub fn assert_json_feed_1_1(feed: &Value) {
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert!(feed["title"].is_string(), "title is required");
    assert!(feed["items"].is_array(), "items is required");
    for key in ["home_page_url", "feed_url", "description"] {
        assert!(feed.get(key).is_none_or(Value::is_string), "{key}");
    }
    for item in feed["items"].as_array().unwrap() {
        assert!(item["id"].is_string(), "item id is required and a string");
        assert!(
            item["content_html"].is_string() || item["content_text"].is_string(),
            "content_html or content_text is required: {item}"
        );
        for key in ["url", "title", "summary", "content_html", "content_text"] {
            assert!(item.get(key).is_none_or(Value::is_string), "{key}: {item}");
        }
        for key in ["date_published", "date_modified"] {
            if let Some(d) = item.get(key) {
                DateTime::parse_from_rfc3339(d.as_str().unwrap())
                    .unwrap_or_else(|e| panic!("{key} is not RFC 3339: {d} ({e})"));
            }
        }
        if let Some(authors) = item.get("authors") {
            for a in authors.as_array().unwrap() {
                assert!(a["name"].is_string(), "author name: {a}");
            }
        }
    }
}

/// A server whose one entry carries every kind of active content.
async fn hostile_server() -> Server {
    let mut evil = item("boz", "evil", "危险条目", Some("2022-09-10T08:00:00+08:00"));
    evil.url = Some("javascript:alert(document.cookie)".into());
    evil.summary = Some(r#"<a href="javascript:alert(1)" onclick="steal()">点我</a>"#.into());
    evil.content_html = Some(
        r#"<p onmouseover="steal()">内容<script>alert(1)</script><img src="x.png" onerror="steal()">
        <iframe src="https://evil.example/"></iframe><a href="JaVaScRiPt:alert(2)">链接</a>
        <style>body{display:none}</style><svg onload="steal()"></svg></p>"#
            .into(),
    );
    server_with(vec![evil]).await
}

#[tokio::test]
async fn a_hostile_entry_comes_out_inert_in_every_format() {
    let server = hostile_server().await;
    for path in ["/feeds/news.atom", "/feeds/news.rss", "/feeds/news.json"] {
        let body = server.get_text(path).await;
        // Neither raw nor escaped: nothing of the active content is left to re-activate.
        let lower = body.to_lowercase();
        for bad in [
            "<script",
            "&lt;script",
            "alert(",
            "steal(",
            "onerror",
            "onclick",
            "onmouseover",
            "onload",
            "javascript",
            "<iframe",
            "&lt;iframe",
            "<style",
            "&lt;style",
            "<svg",
        ] {
            assert!(!lower.contains(bad), "{path} contains {bad}:\n{body}");
        }
        assert!(
            body.contains("内容") && body.contains("点我"),
            "{path}: text kept"
        );
        let parsed = feed_rs::parser::parse(body.as_bytes()).unwrap();
        assert!(
            parsed.entries[0].links.is_empty(),
            "{path}: a javascript: link is no link"
        );
    }
    server.stop().await;
}

#[tokio::test]
#[cfg_attr(
    no_feedparser,
    ignore = "needs Python with feedparser (set TIDINGS_PYTHON)"
)]
async fn a_hostile_entry_is_well_formed_for_feedparser() {
    let server = hostile_server().await;
    let python = feedparser_python();
    for path in ["/feeds/news.atom", "/feeds/news.rss"] {
        let d = feedparser_dump(&python, &server.get_text(path).await).await;
        assert_eq!(d["bozo"], false, "{path}: {}", d["bozo_exception"]);
    }
    server.stop().await;
}

/// `$TIDINGS_PYTHON` (default `python3`), which can import feedparser.
pub fn feedparser_python() -> String {
    tool(
        "Python feedparser",
        crate::support::probe::feedparser_python(),
    )
    .0
}

pub async fn feedparser_dump(python: &str, feed: &str) -> Value {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), feed).unwrap();
    let out = tokio::process::Command::new(python)
        .arg(fixture("feedparser_dump.py"))
        .arg(file.path())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
