//! Reading one HTML page for what discovery may follow: feed links, and links to the
//! site's columns (navigation menus and "更多 >>" links). Pure: text in, URLs out.

use crate::parse::html::{is_attachment, looks_like_article};
use crate::text::fold_whitespace;
use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use std::sync::LazyLock;
use url::Url;

/// What a page offers to follow.
#[derive(Debug, Default)]
pub struct PageLinks {
    /// The page's `<title>`.
    pub title: Option<String>,
    /// Feeds it declares or links to, in page order.
    pub feeds: Vec<Url>,
    /// Possible columns, most promising first: "more" links, then navigation, then
    /// (only when the page has neither) its other short section links.
    pub columns: Vec<ColumnLink>,
}

/// A link that may lead to a column, with the column's name where the page shows one.
#[derive(Debug, Clone)]
pub struct ColumnLink {
    pub url: Url,
    pub name: Option<String>,
    pub via: Via,
}

/// Why a link was taken as a possible column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    /// A "更多 >>" / "more" link heading or closing a block.
    More,
    /// A link in the site's navigation (`nav`, `header`, a `menu`/`nav` class or id).
    Nav,
    /// Another short link to a section, taken only on pages with no navigation.
    Other,
}

static MORE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:查看|点击|阅读)?更多.{0,8}$|^(?:view\s+|read\s+|see\s+)?more\b.{0,8}$|^[>»›]{2,3}$")
        .expect("static regex")
});

/// Link texts of pages that are not news columns: accounts, search, site maps, services
/// and contact pages.
static NOT_COLUMN_TEXT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)登录|登陆|注册|退出|注销|搜索|检索|网站地图|站点地图|地图|导航|办事|服务|互动|留言|信箱|咨询|投诉|举报|无障碍|关于我们|联系我们|English|繁體|\blog\s?in\b|\blog\s?out\b|sign\s?(?:in|up|out)|register|search|site\s?map|contact|about\s+us|account|subscribe",
    )
    .expect("static regex")
});

/// Path words of such pages.
static NOT_COLUMN_PATH_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|[/_.-])(?:login|logon|logout|signin|signup|sign-in|sign-up|register|passport|sso|auth|oauth|account|user|member|search|sousuo|sitemap|wzdt|service|services|bsfw|wsbs|zwfw|hdjl|guestbook|contact|about|cart|download)(?:$|[/_.?-])",
    )
    .expect("static regex")
});

/// Paths where sites commonly serve their feed, tried when the page names none.
pub const USUAL_FEED_PATHS: &[&str] =
    &["/feed", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json"];

static FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/json",
    "text/xml",
    "application/xml",
];

/// Read a page for feeds and column links (resolved against `<base>`, else `page_url`).
pub fn scan(html: &str, page_url: &Url) -> PageLinks {
    let doc = crate::text::parse_document(html);
    let base = select(&doc, "base[href]")
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut out = PageLinks {
        title: select(&doc, "title")
            .next()
            .map(|t| fold_whitespace(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty()),
        ..Default::default()
    };

    for link in select(&doc, "link[href]") {
        let rel = link.value().attr("rel").unwrap_or("").to_ascii_lowercase();
        let kind = link.value().attr("type").unwrap_or("").to_ascii_lowercase();
        let kind = kind.split(';').next().unwrap_or("").trim();
        if rel.split_ascii_whitespace().any(|r| r == "alternate")
            && FEED_TYPES.contains(&kind)
            && let Some(url) = resolve(&base, link.value().attr("href"))
        {
            push_unique(&mut out.feeds, url);
        }
    }

    let mut others = Vec::new();
    for a in select(&doc, "a[href]") {
        let Some(url) = resolve(&base, a.value().attr("href")) else {
            continue;
        };
        if is_feed_link(&a, &url) {
            push_unique(&mut out.feeds, url);
            continue;
        }
        let text = fold_whitespace(&a.text().collect::<String>());
        let title_attr = a.value().attr("title").map(fold_whitespace);
        if !may_be_column(&url, page_url, &text) {
            continue;
        }
        let shown = if text.is_empty() {
            title_attr.clone().unwrap_or_default()
        } else {
            text.clone()
        };
        if MORE_RE.is_match(&shown) {
            out.columns.push(ColumnLink {
                url,
                name: block_heading(&a, &shown),
                via: Via::More,
            });
        } else if in_navigation(&a) {
            out.columns.push(ColumnLink {
                url,
                name: Some(shown).filter(|s| is_name_like(s)),
                via: Via::Nav,
            });
        } else if is_name_like(&shown) {
            others.push(ColumnLink {
                url,
                name: Some(shown),
                via: Via::Other,
            });
        }
    }
    if out.columns.is_empty() {
        out.columns = others;
    }
    // "More" links first; the sort is stable, so page order holds within each kind.
    out.columns.sort_by_key(|c| c.via);
    out
}

fn select<'a>(doc: &'a Html, css: &'static str) -> impl Iterator<Item = ElementRef<'a>> {
    // Static selectors that parse: checked by the tests of this module.
    let selector = Selector::parse(css).expect("static selector");
    doc.select(&selector).collect::<Vec<_>>().into_iter()
}

fn resolve(base: &Url, href: Option<&str>) -> Option<Url> {
    let href = href?.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

fn push_unique(list: &mut Vec<Url>, url: Url) {
    if !list.contains(&url) {
        list.push(url);
    }
}

/// An `<a>` that points at a feed: by its path (`.xml`, `/rss`, `/feed`, `atom`), its
/// text ("RSS", "订阅") or an RSS icon inside it. Site maps are not feeds.
fn is_feed_link(a: &ElementRef, url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    if path.contains("sitemap") {
        return false;
    }
    let last = path.rsplit('/').find(|s| !s.is_empty()).unwrap_or("");
    let by_path = [".xml", ".rss", ".atom", ".rdf"]
        .iter()
        .any(|e| path.ends_with(e))
        || ["rss", "feed", "feeds", "atom", "rss2", "feed.json"].contains(&last)
        || path.contains("/rss/")
        || path.contains("/feed/")
        || url
            .query()
            .is_some_and(|q| q.to_ascii_lowercase().contains("feed=") || q.contains("rss"));
    let text = fold_whitespace(&a.text().collect::<String>()).to_ascii_lowercase();
    let by_text = ["rss", "atom", "订阅", "rss订阅", "rss feed"].contains(&text.as_str());
    let by_icon = a.descendent_elements().any(|e| {
        e.value().name() == "img"
            && ["src", "alt", "title"].iter().any(|k| {
                e.value()
                    .attr(k)
                    .is_some_and(|v| v.to_ascii_lowercase().contains("rss"))
            })
    });
    by_path || by_text || by_icon
}

/// Whether a link may lead to a column: not the page itself, not an article, a
/// document, or an account, search, site-map or service page.
fn may_be_column(url: &Url, page_url: &Url, text: &str) -> bool {
    let mut bare = page_url.clone();
    bare.set_fragment(None);
    let home = url.path().len() <= 1 && url.query().is_none();
    let path_and_query = format!("{}?{}", url.path(), url.query().unwrap_or(""));
    let excluded = url == &bare
        || home
        || looks_like_article(url)
        || is_attachment(url)
        || NOT_COLUMN_TEXT_RE.is_match(text)
        || NOT_COLUMN_PATH_RE.is_match(&path_and_query);
    !excluded
}

/// A column's name as menus show it: short, and not a sentence.
fn is_name_like(s: &str) -> bool {
    let n = s.chars().count();
    (2..=16).contains(&n) && !s.ends_with(['。', '.', '!', '！', '?', '？'])
}

/// Whether a link sits in the site's navigation.
fn in_navigation(a: &ElementRef) -> bool {
    a.ancestors().filter_map(ElementRef::wrap).take(8).any(|e| {
        let el = e.value();
        if matches!(el.name(), "nav" | "header") {
            return true;
        }
        let names = format!(
            "{} {}",
            el.attr("class").unwrap_or(""),
            el.attr("id").unwrap_or("")
        )
        .to_ascii_lowercase();
        ["nav", "menu", "daohang", "lanmu"]
            .iter()
            .any(|k| names.contains(k))
    })
}

/// The name of the block a "more" link belongs to: the text of its nearest ancestor
/// that says more than the link, without the link's own text
/// (`<div><h2>区内要闻</h2><a>更多>></a></div>` → `区内要闻`).
fn block_heading(a: &ElementRef, link_text: &str) -> Option<String> {
    for e in a.ancestors().filter_map(ElementRef::wrap).take(3) {
        // A heading of the block, if it has one; else the block's own short text.
        let heading = e
            .descendent_elements()
            .find(|d| {
                matches!(d.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
                    || d.value()
                        .attr("class")
                        .is_some_and(|c| c.contains("title") || c.contains("tit"))
            })
            .map(|h| fold_whitespace(&h.text().collect::<String>()));
        let own = fold_whitespace(&e.text().collect::<String>().replace(link_text, ""));
        for candidate in heading.into_iter().chain([own]) {
            if is_name_like(&candidate) && !MORE_RE.is_match(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_feeds_more_links_and_navigation() {
        let html = r#"<html><head><title>某某市人民政府</title>
            <link rel="alternate" type="application/rss+xml" href="/rss.xml">
            <link rel="stylesheet" href="/a.css"></head><body>
            <div class="nav"><a href="/">首页</a><a href="/zwdt/">政务动态</a>
              <a href="/login.html">登录</a><a href="/bsfw/">办事服务</a></div>
            <div class="box"><h2>通知公告</h2><a href="/tzgg/index.html">更多>></a>
              <ul><li><a href="/tzgg/202401/t20240102_1.html">关于做好某项工作的通知</a></li></ul></div>
            <a href="/feed/"><img src="/img/rss.png"></a>
            </body></html>"#;
        let page = Url::parse("https://www.example.gov.cn/").unwrap();
        let links = scan(html, &page);
        assert_eq!(links.title.as_deref(), Some("某某市人民政府"));
        let feeds: Vec<&str> = links.feeds.iter().map(Url::path).collect();
        assert_eq!(feeds, ["/rss.xml", "/feed/"]);
        let cols: Vec<(&str, Option<&str>, Via)> = links
            .columns
            .iter()
            .map(|c| (c.url.path(), c.name.as_deref(), c.via))
            .collect();
        assert_eq!(
            cols,
            [
                ("/tzgg/index.html", Some("通知公告"), Via::More),
                ("/zwdt/", Some("政务动态"), Via::Nav),
            ]
        );
    }
}
