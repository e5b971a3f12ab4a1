//! Hostile titles, bodies, authors and URLs through every path to HTML or markup:
//! published Atom, RSS and JSON feeds, the mail's HTML part, the status page, the
//! sign-up, confirm and unsubscribe pages, Telegram HTML and robot markdown. Nothing
//! executable may survive: no script element, no event handler, no `javascript:`,
//! `vbscript:` or `data:` (other than images) URL however it is spelled, no CSS
//! `expression` or `url(javascript:…)`, no frame, object or base element.

use crate::publish::Server;
use chrono::Utc;
use std::sync::Arc;
use tidings::config::Config;
use tidings::model::{Entry, Item, ItemStatus};
use tidings::notify::channel::Outgoing;
use tidings::notify::view::{Content, ItemView};
use tidings::store::{Held, ItemRef, SourceState, Target};
use url::Url;

/// Markup meant to run script, in the forms filters miss.
const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" oNeRrOr = \"alert(1)\">",
    "<a href=\"javascript:alert(1)\">j</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">c</a>",
    "<a href=\"&#106;&#97;vascript:alert(1)\">e</a>",
    "<a href=\"&#x6A;avascript&#x3A;alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">t</a>",
    "<a href=\"  javascript:alert(1)\">s</a>",
    "<a href=\"java\nscript:alert(1)\">n</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">d</a>",
    "<a href=\"vbscript:msgbox(1)\">v</a>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)><circle/></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<div style=\"width: expression(alert(1))\">x</div>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<style>body{background:url(\"javascript:alert(1)\")}</style>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object><embed src=x.swf>",
    "<form action=\"javascript:alert(1)\"><button formaction=javascript:alert(1)>x</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
    "<p>unclosed <b><i>broken <a href=javascript:alert(1)>markup",
];

/// URLs that must not become links.
const HOSTILE_URLS: &[&str] = &[
    "javascript:alert(1)",
    " JavaScript:alert(document.cookie)",
    "jav\tascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://ok.example/a\"><script>alert(1)</script>",
    "https://ok.example/a'onmouseover='alert(1)",
];

/// Whether a URL attribute's value would run script (after the decoding a browser does:
/// entities are already decoded by the parser; whitespace and controls are dropped).
fn runs_script(value: &str) -> bool {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    v.starts_with("javascript:")
        || v.starts_with("vbscript:")
        || v.starts_with("livescript:")
        || (v.starts_with("data:") && !v.starts_with("data:image/"))
}

fn css_runs_script(css: &str) -> bool {
    let c: String = css
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    c.contains("expression(")
        || c.contains("javascript:")
        || c.contains("vbscript:")
        || c.contains("-moz-binding")
        || c.contains("behavior:")
}

/// Fail if `html`, parsed as a browser would, holds anything that runs script. `page`
/// says which path it came from. The templates' own `<style>` blocks and `<link
/// rel=alternate>` are allowed; their content is still checked.
fn assert_inert(html: &str, page: &str) {
    let doc = scraper::Html::parse_document(html);
    for node in doc.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let name = el.name().to_ascii_lowercase();
        assert!(
            ![
                "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
                "meta", "form", "button", "svg", "math",
            ]
            .contains(&name.as_str())
                || (name == "meta" && el.attr("charset").is_some())
                || (name == "meta" && el.attr("name").is_some() && el.attr("http-equiv").is_none())
                || (["form", "button"].contains(&name.as_str()) && page.starts_with("sign-up")),
            "{page}: a <{name}> element survived:\n{html}"
        );
        if name == "link" {
            assert_eq!(el.attr("rel"), Some("alternate"), "{page}: <link>:\n{html}");
        }
        if name == "style" {
            let css: String = scraper::ElementRef::wrap(node).unwrap().text().collect();
            assert!(
                !css_runs_script(&css),
                "{page}: <style> runs script:\n{html}"
            );
        }
        for (attr, value) in el.attrs() {
            let attr = attr.to_ascii_lowercase();
            assert!(
                !attr.starts_with("on"),
                "{page}: event handler {attr}={value:?} survived:\n{html}"
            );
            assert!(attr != "srcdoc", "{page}: srcdoc survived:\n{html}");
            if [
                "href",
                "src",
                "action",
                "formaction",
                "data",
                "xlink:href",
                "background",
                "poster",
                "cite",
                "lowsrc",
                "dynsrc",
                "content",
            ]
            .contains(&attr.as_str())
            {
                assert!(
                    !runs_script(value),
                    "{page}: {attr}={value:?} runs script:\n{html}"
                );
            }
            if attr == "style" {
                assert!(
                    !css_runs_script(value),
                    "{page}: style={value:?} runs script:\n{html}"
                );
            }
        }
    }
}

/// For markdown (robots): no raw tag a renderer might pass through, no link target that
/// runs script.
fn assert_inert_markdown(md: &str, page: &str) {
    let lower = md.to_ascii_lowercase();
    let tag = regex::Regex::new(r"<\s*/?\s*[a-z!]").unwrap();
    assert!(!tag.is_match(&lower), "{page}: a raw tag survived:\n{md}");
    let link = regex::Regex::new(r"\]\(\s*([^)\s]*)").unwrap();
    for c in link.captures_iter(md) {
        assert!(
            !runs_script(&c[1]),
            "{page}: link target {:?}:\n{md}",
            &c[1]
        );
        assert!(
            c[1].starts_with("http://") || c[1].starts_with("https://"),
            "{page}: link target {:?} is not http(s):\n{md}",
            &c[1]
        );
    }
}

/// Hostile entries as a source would give them, turned into items the way polling does.
fn hostile_items() -> Vec<Item> {
    let base = Url::parse("https://www.example.gov.cn/news/").unwrap();
    let mut entries = Vec::new();
    for (i, h) in HOSTILE.iter().enumerate() {
        entries.push(Entry {
            url: Some(format!("https://www.example.gov.cn/news/{i}.html")),
            title: Some(format!("标题 {h} {i}")),
            author: Some(format!("作者{h}")),
            origin: Some(format!("来源{h}")),
            summary: Some(format!("摘要 {h}")),
            content_html: Some(format!("<p>正文 {i}</p>{h}<p>之后</p>")),
            ..Default::default()
        });
    }
    for (i, u) in HOSTILE_URLS.iter().enumerate() {
        entries.push(Entry {
            id: Some(format!("url-{i}")),
            url: Some(u.to_string()),
            title: Some(format!("链接 {u}")),
            content_html: Some(format!("<a href=\"{u}\">链接</a><img src=\"{u}\">")),
            ..Default::default()
        });
    }
    tidings::process::to_items(&entries, "evil", Some(&base), Utc::now())
}

fn config(addr: std::net::SocketAddr) -> Config {
    let hostile = "</title><script>alert(1)</script>\\\"><img src=x onerror=alert(1)>";
    let text = format!(
        "[daemon]\nlisten = \"{addr}\"\npublic_url = \"http://{addr}\"\ntimezone = \"Asia/Shanghai\"\n\
         [[source]]\nid = \"evil\"\nurl = \"https://www.example.gov.cn/news/\"\ntitle = \"{hostile}\"\n\
         [[feed]]\nid = \"news\"\ntitle = \"{hostile}\"\nsources = [\"evil\"]\nlimit = 500\n\
         [email]\nsmtp = \"smtp://127.0.0.1:1\"\nfrom = \"Tidings <news@example.org>\"\n\
         [[list]]\nid = \"daily\"\ntitle = \"{hostile}\"\nfeeds = [\"news\"]\n\
         [telegram]\ntoken = \"1:x\"\n[[chat]]\nchat_id = -100\nfeeds = [\"news\"]\n"
    );
    Config::parse(&text, std::path::Path::new("feeds.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn views(config: &Config, items: &[Item]) -> Vec<ItemView> {
    items
        .iter()
        .map(|item| {
            let held = Held {
                item: ItemRef {
                    source: item.source.clone(),
                    id: item.id.clone(),
                },
                status: ItemStatus::New,
                keyword: Some("<script>alert(1)</script>".into()),
            };
            ItemView::new(config, item, &held)
        })
        .collect()
}

#[test]
fn published_feeds_carry_no_executable_markup() {
    let config = config("127.0.0.1:8080".parse().unwrap());
    let items = hostile_items();
    assert_eq!(items.len(), HOSTILE.len() + HOSTILE_URLS.len());
    let doc =
        tidings::publish::FeedDoc::new(&config, &config.feeds[0], items, |_| chrono_tz::Tz::UTC);
    let tag = regex::Regex::new(r"<\s*/?\s*[a-zA-Z!]").unwrap();
    for format in [
        tidings::publish::Format::Atom,
        tidings::publish::Format::Rss,
        tidings::publish::Format::Json,
    ] {
        let bytes = tidings::publish::render(&doc, format).unwrap();
        let page = format!("{format:?} feed");
        // What a reader gets once it decodes the document: HTML fields sanitised, and
        // text fields (title, author) holding no markup at all, since some readers render
        // them as HTML too.
        let no_markup = |text: &str, field: &str| {
            assert!(
                !tag.is_match(text),
                "{page}: markup in the {field}: {text:?}"
            );
        };
        if format == tidings::publish::Format::Json {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            for item in v["items"].as_array().unwrap() {
                if let Some(html) = item["content_html"].as_str() {
                    assert_inert(html, &page);
                }
                if let Some(url) = item["url"].as_str() {
                    assert!(url.starts_with("https://"), "{page}: url {url}");
                }
                no_markup(item["title"].as_str().unwrap_or(""), "title");
                for a in item["authors"].as_array().into_iter().flatten() {
                    no_markup(a["name"].as_str().unwrap_or(""), "author");
                }
            }
        } else {
            let feed = feed_rs::parser::parse(&bytes[..]).unwrap();
            assert!(!feed.entries.is_empty());
            for e in &feed.entries {
                for html in e
                    .content
                    .iter()
                    .filter_map(|c| c.body.as_deref())
                    .chain(e.summary.iter().map(|s| s.content.as_str()))
                {
                    assert_inert(html, &page);
                }
                for l in &e.links {
                    assert!(l.href.starts_with("https://"), "{page}: link {}", l.href);
                }
                if let Some(t) = &e.title {
                    no_markup(&t.content, "title");
                }
                for a in &e.authors {
                    no_markup(a.name.as_deref().unwrap_or(""), "author");
                }
            }
        }
    }
}

#[test]
fn mails_telegram_and_robots_carry_no_executable_markup() {
    let config = config("127.0.0.1:8080".parse().unwrap());
    let templates = Arc::new(tidings::templates::Templates::embedded());
    let email = tidings::notify::email::EmailChannel::new(
        &config,
        config.email.as_ref().unwrap(),
        templates.clone(),
    )
    .unwrap();
    let views = views(&config, &hostile_items());
    let mut contents: Vec<Content> = views
        .iter()
        .map(|v| Content::Item { item: v.clone() })
        .collect();
    contents.push(Content::Digest {
        run: "2026-12-01 08:00".into(),
        count: views.len(),
        groups: tidings::notify::view::group(
            &config,
            &["news".to_string()],
            hostile_items().into_iter().zip(views.clone()).collect(),
        ),
    });
    for (n, content) in contents.iter().enumerate() {
        let out = Outgoing {
            id: format!("d{n}"),
            target: Target::Email {
                list: "daily".into(),
                address: "reader@example.org".into(),
            },
            content: content.clone(),
            unsubscribe_url: Some("https://news.example.org/unsubscribe?token=t".into()),
        };
        let mail = String::from_utf8(email.message(&out).unwrap().formatted()).unwrap();
        assert_inert(&html_part(&mail), "mail (HTML part)");

        for part in tidings::notify::telegram::render(&templates, content).unwrap() {
            assert_inert(&part, "telegram HTML");
            // Telegram accepts only its own few tags; links must be http(s).
            let doc = scraper::Html::parse_fragment(&part);
            let a = scraper::Selector::parse("a").unwrap();
            for link in doc.select(&a) {
                let href = link.attr("href").unwrap_or("");
                assert!(
                    href.starts_with("https://"),
                    "telegram link {href}:\n{part}"
                );
            }
        }
        for kind in [
            tidings::config::WebhookKind::WeCom,
            tidings::config::WebhookKind::DingTalk,
        ] {
            let body = tidings::notify::robot::body(kind, content);
            for md in strings_in(&body) {
                assert_inert_markdown(&md, &format!("{kind:?} robot"));
            }
        }
        // Feishu's post format is structured: text nodes are shown as text, links are
        // `{"tag": "a", "href": …}` nodes, whose targets `strings_in` checks.
        let feishu = tidings::notify::robot::body(tidings::config::WebhookKind::Feishu, content);
        strings_in(&feishu);
    }
}

/// Every string in a JSON value (a robot's request body).
fn strings_in(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a.iter().flat_map(strings_in).collect(),
        serde_json::Value::Object(o) => o
            .iter()
            .filter(|(k, _)| !["href", "url"].contains(&k.as_str()))
            .flat_map(|(_, v)| strings_in(v))
            .chain(
                o.iter()
                    .filter(|(k, _)| ["href", "url"].contains(&k.as_str()))
                    .filter_map(|(_, v)| v.as_str())
                    .map(|u| {
                        assert!(!runs_script(u), "robot link {u}");
                        String::new()
                    }),
            )
            .collect(),
        _ => Vec::new(),
    }
}

/// The decoded `text/html` part of a formatted mail.
fn html_part(mail: &str) -> String {
    use base64::Engine;
    let start = mail.find("Content-Type: text/html").expect("an HTML part");
    let rest = &mail[start..];
    let body_start = rest.find("\r\n\r\n").unwrap() + 4;
    let body: String = rest[body_start..]
        .lines()
        .take_while(|l| !l.starts_with("--"))
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn the_status_and_sign_up_pages_carry_no_executable_markup() {
    let dir = tempfile::tempdir().unwrap();
    let store = tidings::store::Store::open(&dir.path().join("data")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = config(listener.local_addr().unwrap());
    store.store_batch("evil", hostile_items()).unwrap();
    store
        .update_source_state("evil", |s: &mut SourceState| {
            s.last_poll = Some(Utc::now());
            s.last_error = Some(format!("HTTP 500 {}", HOSTILE.join(" ")));
            s.last_error_at = Some(Utc::now());
            s.failures = 2;
            s.alarm = Some(format!("the list {} yielded no items", HOSTILE[4]));
        })
        .unwrap();
    let s = Server::start_with(listener, config, store, dir);
    assert_inert(&s.get_text("/").await, "status page");

    let form = s.get_text("/subscribe/daily").await;
    assert_inert(&form, "sign-up form");
    for h in HOSTILE.iter().chain(HOSTILE_URLS) {
        for (path, what) in [
            (
                format!("/confirm?token={}", urlencode(h)),
                "sign-up confirm",
            ),
            (
                format!("/unsubscribe?token={}", urlencode(h)),
                "sign-up unsubscribe",
            ),
        ] {
            let r = s.get(&path).await;
            let page = r.text().await.unwrap();
            assert_inert(&page, what);
        }
        let r = s
            .client
            .post(s.url("/subscribe/daily"))
            .form(&[
                ("email", format!("a{h}@example.org")),
                ("keywords", h.to_string()),
            ])
            .send()
            .await
            .unwrap();
        let page = r.text().await.unwrap();
        assert_inert(&page, "sign-up answer");
    }
    s.stop().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn the_checks_catch_every_sample_left_raw() {
    // The checks above can fail: each hostile sample, unsanitised, is caught.
    for h in HOSTILE
        .iter()
        .filter(|h| !h.starts_with("\"><") && !h.starts_with("'><"))
    {
        let html = format!("<html><body>{h}</body></html>");
        let caught = std::panic::catch_unwind(|| assert_inert(&html, "raw")).is_err();
        assert!(caught, "not caught: {h}");
    }
    for u in &HOSTILE_URLS[..5] {
        let html = format!("<a href=\"{}\">x</a>", u.replace('"', "&quot;"));
        assert!(
            std::panic::catch_unwind(|| assert_inert(&html, "raw")).is_err(),
            "{u}"
        );
        let md = format!("[x]({u})");
        assert!(
            std::panic::catch_unwind(|| assert_inert_markdown(&md, "raw")).is_err(),
            "{u}"
        );
    }
}
