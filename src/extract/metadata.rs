//! What the page says about itself, read once: `<meta>` tags (the national portal
//! standard `ArticleTitle`/`PubDate`/`ContentSource`, Open Graph, Dublin Core), JSON-LD,
//! headings, bylines, the page's text as lines; and the title chosen from them.

use super::alnum;
use super::dom::{Data, Dom};
use crate::text::{compact, fold_whitespace, is_block, is_cjk};
use serde_json::Value;
use url::Url;

/// One line of page text (a block's inline content), with the first node it came from.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub node: usize,
    pub text: String,
}

/// Everything in the page's head and structured data, read once.
#[derive(Debug, Default)]
pub(crate) struct PageMeta {
    /// `<meta>` name/property/itemprop (lower-case) → content, in document order.
    pub tags: Vec<(String, String)>,
    pub doc_title: Option<String>,
    pub ld_headline: Option<String>,
    pub ld_published: Option<String>,
    pub ld_authors: Vec<String>,
    /// Authors given only by `{"@id": …}` (Yoast graphs), resolved against `ld_people`.
    pub ld_author_ids: Vec<String>,
    /// Authors of a JSON-LD `WebPage` (by name or by `@id`), used when no article node
    /// names one.
    pub ld_page_authors: Vec<String>,
    pub ld_page_author_ids: Vec<String>,
    /// JSON-LD `Person` nodes: `@id` → name.
    pub ld_people: Vec<(String, String)>,
    /// Headings (h1–h3) as (node, level, text), document order; a kicker inside the
    /// heading (`<span class="kicker">`) is not part of its text.
    pub headings: Vec<(usize, u8, String)>,
    /// Kickers found inside headings: (heading node, text).
    pub kickers: Vec<(usize, String)>,
    /// Other elements that look like a headline: a class or id such as `title`, `tit`,
    /// `bt`, `lblTitle`, or large bold text standing alone. (node, text), document order.
    pub titled: Vec<(usize, String)>,
    /// `<time datetime>` and `itemprop=datePublished` values, document order.
    pub times: Vec<(usize, String)>,
    /// Byline elements (rel/itemprop/class author): (node, text).
    pub bylines: Vec<(usize, String)>,
    /// Links to a writer's page of the site (`/author/jane-doe/`) standing alone in
    /// their line, outside comments and teasers: (href, text), document order.
    pub author_links: Vec<(String, String)>,
    /// Short lines set wholly in bold or italics, or aligned right, that read as a
    /// person's name (`<p><b><i>Stefan Wasmer</i></b></p>`): (block node, text).
    pub signatures: Vec<(usize, String)>,
    /// The line naming the account that posted the page (Drupal's `submitted`
    /// element): (node, text).
    pub posters: Vec<(usize, String)>,
    /// Elements whose class/id names a date: (node, text).
    pub dated: Vec<(usize, String)>,
    /// Short texts of elements whose class/id is `source` (the 来源 of news portals).
    pub sources: Vec<String>,
}

impl PageMeta {
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }
}

pub(crate) fn read(dom: &Dom) -> PageMeta {
    let mut m = PageMeta::default();
    let mut link_checks = 0;
    for id in 0..dom.nodes.len() {
        let Some(e) = dom.elem(id) else { continue };
        match e.tag.as_str() {
            "meta" => {
                let key = e
                    .attr("name")
                    .or_else(|| e.attr("property"))
                    .or_else(|| e.attr("itemprop"))
                    .or_else(|| e.attr("http-equiv"));
                // `property="og:title twitter:title"`: one value under each name.
                if let (Some(k), Some(v)) = (key, e.attr("content")) {
                    for k in k.split_whitespace().take(8) {
                        m.tags.push((k.to_ascii_lowercase(), v.to_string()));
                    }
                }
            }
            "title" if m.doc_title.is_none() => {
                let t = dom.text(id);
                if !t.is_empty() {
                    m.doc_title = Some(t);
                }
            }
            "script" => {
                let raw = dom.own_text(id);
                if raw.len() < 2_000_000
                    && let Some(v) = parse_json_ld(raw.trim())
                {
                    read_json_ld(&v, &mut m, 0);
                }
            }
            "h1" | "h2" | "h3" => {
                let level = e.tag.as_bytes()[1] - b'0';
                let (t, kicker) = heading_text(dom, id);
                if !t.is_empty() && t.chars().count() <= 300 {
                    m.headings.push((id, level, t));
                    if let Some(k) = kicker {
                        m.kickers.push((id, k));
                    }
                }
            }
            "time" => {
                if let Some(d) = e.attr("datetime") {
                    m.times.push((id, d.to_string()));
                }
            }
            _ => {}
        }
        if m.titled.len() < 40 && looks_titled(dom, id) {
            let t = dom.text(id);
            let n = t.chars().count();
            if (4..=120).contains(&n) {
                m.titled.push((id, t));
            }
        }
        if e.tag != "meta" {
            if e.attr("itemprop")
                .or_else(|| e.attr("property"))
                .is_some_and(|p| {
                    let p = p.trim_start_matches("schema:").to_ascii_lowercase();
                    p == "datepublished" || p == "datecreated"
                })
                && let Some(v) = e.attr("content").or_else(|| e.attr("datetime"))
            {
                m.times.push((id, v.to_string()));
            }
            let is_byline = e.attr("rel").is_some_and(|r| r.contains("author"))
                || e.attr("itemprop").is_some_and(|p| p == "author")
                || {
                    let ci = dom.class_id(id);
                    ci.contains("byline") || ci.contains("author") && !ci.contains("authority")
                };
            // Commenters are bylines too, of other texts.
            let in_comments = || {
                dom.ancestors(id).take(12).any(|a| {
                    let ci = dom.class_id(a);
                    ["comment", "reply", "tie-"].iter().any(|k| ci.contains(k))
                })
            };
            // A teaser of another article: the byline inside a link that holds more
            // (its headline, its lead).
            let in_teaser = |t: &str| {
                dom.ancestors(id).take(6).any(|a| {
                    dom.tag(a) == "a" && dom.text(a).chars().count() > t.chars().count() + 40
                })
            };
            if e.tag == "a"
                && m.author_links.len() < 10
                && link_checks < 40
                && let Some(href) = e.attr("href").filter(|h| is_author_archive(h))
                && !in_comments()
            {
                link_checks += 1;
                let t = dom.text(id);
                let n = t.chars().count();
                // Alone in its line (not a link in prose), and not beside a teaser's
                // headline (another story's writer).
                let line = dom
                    .ancestors(id)
                    .find(|&a| dom.elem(a).is_some_and(|ae| is_block(&ae.tag)))
                    .map_or(0, |a| dom.text(a).chars().count());
                let teaser = dom.ancestors(id).take(2).any(|a| {
                    dom.descendants(a)
                        .iter()
                        .any(|&d| d != id && dom.tag(d) == "a" && dom.text(d).chars().count() >= 30)
                });
                if (2..=60).contains(&n) && line <= n * 3 + 60 && !teaser {
                    m.author_links.push((href.to_string(), t));
                }
            }
            if matches!(e.tag.as_str(), "p" | "div")
                && m.signatures.len() < 50
                && let Some(name) = signature(dom, id)
            {
                m.signatures.push((id, name));
            }
            if is_byline && m.bylines.len() < 20 && !in_comments() {
                let t = dom.text(id);
                if !t.is_empty() && t.chars().count() <= 100 && !in_teaser(&t) {
                    m.bylines.push((id, t));
                }
            }
            // Drupal's `Submitted by jane on 3 May 2017`: the posting account.
            if !is_byline
                && m.posters.len() < 5
                && dom
                    .class_id(id)
                    .split_whitespace()
                    .any(|w| w == "submitted")
                && !in_comments()
            {
                let t = dom.text(id);
                if !t.is_empty() && t.chars().count() <= 100 {
                    m.posters.push((id, t));
                }
            }
            let ci = dom.class_id(id);
            if ci
                .split_whitespace()
                .any(|w| w == "source" || w.ends_with("-source") || w.ends_with("_source"))
                && m.sources.len() < 5
            {
                let t = dom.text(id);
                if !t.is_empty() && t.chars().count() <= 40 {
                    m.sources.push(t);
                }
            }
            if (ci.contains("date") || ci.contains("time") || ci.contains("pub"))
                && !ci.contains("update")
                && m.dated.len() < 30
            {
                let t = dom.text(id);
                if !t.is_empty() && t.chars().count() <= 120 {
                    m.dated.push((id, t));
                }
            }
        }
    }
    // Yoast graphs may credit the writer on the WebPage node only.
    if m.ld_authors.is_empty() && m.ld_author_ids.is_empty() {
        m.ld_authors = std::mem::take(&mut m.ld_page_authors);
        m.ld_author_ids = std::mem::take(&mut m.ld_page_author_ids);
    }
    if m.ld_authors.is_empty() {
        m.ld_authors = m
            .ld_author_ids
            .iter()
            .filter_map(|id| m.ld_people.iter().find(|(p, _)| p == id))
            .filter_map(|(_, name)| super::metaline::clean_name(name, 60))
            .collect();
    }
    m
}

/// A block printing nothing but a name, in bold or italics or aligned right: a
/// signature when it closes the article.
fn signature(dom: &Dom, id: usize) -> Option<String> {
    let e = dom.elem(id)?;
    let kids = &dom.nodes[id].children;
    if kids.len() > 3
        || kids
            .iter()
            .any(|&c| dom.elem(c).is_some_and(|ce| is_block(&ce.tag)))
    {
        return None;
    }
    let t = dom.text(id);
    let words: Vec<&str> = t.split_whitespace().collect();
    let name = (2..=4).contains(&words.len())
        && t.chars().count() <= 40
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars().skip(1).any(char::is_lowercase)
                && w.chars().all(|c| c.is_alphabetic() || ".-'’".contains(c))
        });
    // The heading of a list of links (`Ähnliche Beiträge`, `Related Posts`) is no name.
    let lower = t.to_lowercase();
    if !name
        || [
            "beiträge",
            "artikel",
            "related",
            "posts",
            "themen",
            "kommentar",
            "weitere",
            "mehr",
            "links",
            "news",
            "more",
            "share",
            "teilen",
        ]
        .iter()
        .any(|w| lower.contains(w))
    {
        return None;
    }
    let right = e
        .attr("align")
        .is_some_and(|a| a.eq_ignore_ascii_case("right"))
        || e.attr("style").is_some_and(|st| {
            st.replace(' ', "")
                .to_ascii_lowercase()
                .contains("text-align:right")
        });
    // Every piece of text inside an emphasis.
    let emphasised = || {
        dom.descendants(id)
            .iter()
            .filter(|&&d| matches!(&dom.nodes[d].data, Data::Text(x) if !x.trim().is_empty()))
            .all(|&d| {
                dom.ancestors(d)
                    .take_while(|&a| a != id)
                    .any(|a| matches!(dom.tag(a), "b" | "strong" | "em" | "i"))
            })
    };
    (right || emphasised()).then_some(t)
}

/// Whether a link leads to a writer's page of the site (`/author/jane-doe/`,
/// `/autoren/georg-quaas/`, `?author=5`): its text is a byline.
fn is_author_archive(href: &str) -> bool {
    let path = href.split(['#']).next().unwrap_or("");
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let path = path.split_once("://").map_or(path, |(_, rest)| {
        rest.split_once('/').map_or("", |(_, p)| p)
    });
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let writer = |s: &str| {
        let s = s.to_ascii_lowercase();
        [
            "author", "authors", "autor", "autoren", "autorin", "auteur", "autore", "autori",
        ]
        .iter()
        .any(|w| s == *w || s.starts_with(&format!("{w}-")) || s.starts_with(&format!("{w}_")))
    };
    // A writer's own page: the word, then the writer's slug.
    segments
        .iter()
        .enumerate()
        .any(|(i, s)| writer(s) && i + 1 < segments.len())
        || query.split('&').any(|kv| {
            kv.split_once('=')
                .is_some_and(|(k, v)| k == "author" && !v.is_empty())
        })
}

/// Class or id words of a kicker (a line over the headline, part of the heading's markup).
fn is_kicker_class(ci: &str) -> bool {
    [
        "kicker",
        "dachzeile",
        "overline",
        "eyebrow",
        "supertitle",
        "topline",
        "roofline",
    ]
    .iter()
    .any(|k| ci.contains(k))
}

/// Class or id words of text kept for screen readers only.
fn is_visually_hidden(ci: &str) -> bool {
    [
        "visually-hidden",
        "visuallyhidden",
        "sr-only",
        "screen-reader",
        "hidden-text",
    ]
    .iter()
    .any(|k| ci.contains(k))
}

/// Class or id words of a subtitle (副题) or kicker (引题).
pub(crate) fn is_subtitle_class(ci: &str) -> bool {
    is_kicker_class(ci)
        || [
            "subtitle",
            "sub-title",
            "sub_title",
            "subhead",
            "sub-head",
            "fubiaoti",
            "futitle",
            "yinti",
            "standfirst",
        ]
        .iter()
        .any(|k| ci.contains(k))
        || ci
            .split_whitespace()
            .any(|w| w == "fbt" || w == "ft" || w == "yt")
}

/// A heading's text without its kicker and screen-reader-only pieces; the kicker apart.
fn heading_text(dom: &Dom, id: usize) -> (String, Option<String>) {
    let mut text = String::new();
    let mut kicker = None;
    let mut stack: Vec<usize> = dom.nodes[id].children.iter().rev().copied().collect();
    while let Some(n) = stack.pop() {
        match &dom.nodes[n].data {
            Data::Text(t) => text.push_str(t),
            Data::Element(e) => {
                let ci = dom.class_id(n);
                if is_visually_hidden(&ci) {
                    continue;
                }
                // Inside a heading, a topic or section label is a kicker too.
                let labelled = || {
                    ["topic", "rubri", "category"]
                        .iter()
                        .any(|k| ci.contains(k))
                };
                if kicker.is_none() && (is_kicker_class(&ci) || labelled()) {
                    kicker = Some(dom.text(n)).filter(|k| !k.is_empty());
                    continue;
                }
                if is_block(&e.tag) || e.tag == "br" {
                    text.push(' ');
                }
                stack.extend(dom.nodes[n].children.iter().rev());
            }
        }
    }
    // Soft hyphens are invisible break points.
    let mut text = fold_whitespace(&text.replace('\u{ad}', ""));
    // Arrows and bullets a template prints before every heading (`[> Jens Weber`,
    // `→ Title`) are decoration, not the title's.
    text = super::headline::trim_decoration(&text);
    // `<span class=overline>Kicker</span><span>: </span>Headline`: the separator
    // printed after a kicker goes with it.
    if kicker.is_some() {
        text = text
            .trim_start_matches([':', '|', '–', '—', '-', '·', ' '])
            .to_string();
    }
    match kicker {
        // A heading that is nothing but its kicker keeps its text.
        Some(k) if text.is_empty() => (k, None),
        k => (text, k),
    }
}

/// Whether an element (not h1–h3) looks like a headline: a class or id naming a title
/// (`tit`, `title`, `bt`, `lblTitle`, `article-title`; not a subtitle, the site's
/// title or a list's), or large bold text alone in its block; never a link or inside one.
fn looks_titled(dom: &Dom, id: usize) -> bool {
    let Some(e) = dom.elem(id) else { return false };
    if matches!(
        e.tag.as_str(),
        "h1" | "h2"
            | "h3"
            | "a"
            | "meta"
            | "title"
            | "script"
            | "body"
            | "html"
            | "li"
            | "ul"
            | "img"
            | "head"
    ) {
        return false;
    }
    let ci = dom.class_id(id);
    let named = ci.split(|c: char| c.is_whitespace()).any(|w| {
        let titled = w.contains("title")
            || w.contains("biaoti")
            || w.contains("headline")
            || w.split(['-', '_'])
                .any(|p| matches!(p, "tit" | "bt" | "btitle" | "tt" | "tm"));
        titled
            && ![
                "sub", "site", "logo", "nav", "list", "lanmu", "column", "menu", "more", "hot",
                "side", "foot", "header", "tab", "bar", "module", "box", "wrap", "page", "web",
                "img", "pic", "video", "link", "item", "lm", "dh",
            ]
            .iter()
            .any(|x| w.contains(x))
    });
    let large = !named && {
        let style = e.attr("style").unwrap_or("").to_ascii_lowercase();
        let font_size = e.tag == "font"
            && e.attr("size")
                .and_then(|s| s.trim().trim_start_matches('+').parse::<u8>().ok())
                .is_some_and(|s| s >= 4);
        font_size || style_font_px(&style).is_some_and(|px| px >= 18.0)
    };
    if !named && !large {
        return false;
    }
    // A leaf of inline content, outside links and list items.
    let leafish = dom.nodes[id].children.iter().all(|&c| {
        dom.elem(c)
            .is_none_or(|ce| ce.tag == "br" || !is_block(&ce.tag) && ce.tag != "a")
    });
    leafish
        && !dom
            .ancestors(id)
            .take(6)
            .any(|a| matches!(dom.tag(a), "a" | "li" | "nav" | "header" | "footer"))
}

/// `font-size: 22px` / `16pt` in an inline style, in pixels.
fn style_font_px(style: &str) -> Option<f64> {
    let i = style.find("font-size")?;
    let rest = style[i + "font-size".len()..].trim_start_matches([' ', ':']);
    let num: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v: f64 = num.parse().ok()?;
    let unit = &rest[num.len()..];
    if unit.starts_with("px") {
        Some(v)
    } else if unit.starts_with("pt") {
        Some(v * 4.0 / 3.0)
    } else {
        None
    }
}

fn read_json_ld(v: &Value, m: &mut PageMeta, depth: usize) {
    if depth > 6 {
        return;
    }
    match v {
        Value::Array(items) => {
            for item in items.iter().take(50) {
                read_json_ld(item, m, depth + 1);
            }
        }
        Value::Object(obj) => {
            if let Some(g) = obj.get("@graph") {
                read_json_ld(g, m, depth + 1);
            }
            let ty = match obj.get("@type") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => String::new(),
            };
            if ty.contains("Person")
                && m.ld_people.len() < 50
                && let (Some(id), Some(name)) = (
                    obj.get("@id").and_then(Value::as_str),
                    obj.get("name").and_then(Value::as_str),
                )
            {
                m.ld_people.push((id.to_string(), fold_whitespace(name)));
            }
            let articleish = ty.contains("Article")
                || ty.contains("Posting")
                || ty.contains("NewsArticle")
                || ty.contains("Report");
            if !articleish {
                if ty.contains("WebPage")
                    && m.ld_page_authors.is_empty()
                    && m.ld_page_author_ids.is_empty()
                    && let Some(a) = obj.get("author")
                {
                    collect_names(a, &mut m.ld_page_authors, 0);
                    if m.ld_page_authors.is_empty() {
                        collect_ids(a, &mut m.ld_page_author_ids, 0);
                    }
                }
                return;
            }
            if m.ld_headline.is_none()
                && let Some(h) = obj.get("headline").and_then(Value::as_str)
            {
                m.ld_headline = Some(fold_whitespace(h));
            }
            if m.ld_published.is_none()
                && let Some(d) = obj.get("datePublished").and_then(Value::as_str)
            {
                m.ld_published = Some(d.to_string());
            }
            if m.ld_authors.is_empty()
                && let Some(a) = obj.get("author")
            {
                collect_names(a, &mut m.ld_authors, 0);
                if m.ld_authors.is_empty() {
                    collect_ids(a, &mut m.ld_author_ids, 0);
                }
            }
        }
        _ => {}
    }
}

/// A JSON-LD block; one holding raw line breaks or tabs inside its strings (invalid
/// JSON that browsers' consumers accept) is read with them as spaces.
fn parse_json_ld(raw: &str) -> Option<Value> {
    match serde_json::from_str::<Value>(raw) {
        Ok(v) => Some(v),
        Err(_) if raw.contains(|c: char| c.is_ascii_control()) => {
            let spaced: String = raw
                .chars()
                .map(|c| if c.is_ascii_control() { ' ' } else { c })
                .collect();
            serde_json::from_str::<Value>(&spaced).ok()
        }
        Err(_) => None,
    }
}

fn collect_ids(v: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 3 || out.len() > 10 {
        return;
    }
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect_ids(x, out, depth + 1)),
        Value::Object(o) => {
            if let Some(id) = o.get("@id").and_then(Value::as_str) {
                out.push(id.to_string());
            }
        }
        _ => {}
    }
}

fn collect_names(v: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 3 || out.len() > 10 {
        return;
    }
    match v {
        Value::String(s) => {
            // An entity the CMS escaped twice (`Redacci&oacute;n`).
            let s = if s.contains('&') && s.contains(';') && !s.contains('<') {
                fold_whitespace(&crate::text::html_to_text(s))
            } else {
                fold_whitespace(s)
            };
            if !s.is_empty() && !s.starts_with("http") {
                out.push(s);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_names(x, out, depth + 1)),
        Value::Object(o) => {
            if let Some(n) = o.get("name") {
                collect_names(n, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// The page's text as lines (block by block), for metadata-line search.
pub(crate) fn lines(dom: &Dom) -> Vec<Line> {
    let body = dom.find_all("body").first().copied().unwrap_or(0);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_node = body;
    walk_lines(dom, body, &mut out, &mut cur, &mut cur_node);
    flush(&mut out, &mut cur, cur_node);
    out
}

fn flush(out: &mut Vec<Line>, cur: &mut String, node: usize) {
    let t = fold_whitespace(cur);
    if !t.is_empty() {
        out.push(Line { node, text: t });
    }
    cur.clear();
}

fn walk_lines(dom: &Dom, id: usize, out: &mut Vec<Line>, cur: &mut String, cur_node: &mut usize) {
    for &c in &dom.nodes[id].children {
        match &dom.nodes[c].data {
            Data::Text(t) => {
                if cur.trim().is_empty() {
                    *cur_node = c;
                }
                cur.push_str(t);
            }
            Data::Element(e) => {
                if matches!(e.tag.as_str(), "script" | "head" | "title") {
                    continue;
                }
                let block = is_block(&e.tag) || e.tag == "br";
                if block {
                    flush(out, cur, *cur_node);
                    *cur_node = c;
                }
                walk_lines(dom, c, out, cur, cur_node);
                if block {
                    flush(out, cur, *cur_node);
                } else if matches!(
                    e.tag.as_str(),
                    "span"
                        | "a"
                        | "font"
                        | "em"
                        | "strong"
                        | "b"
                        | "i"
                        | "label"
                        | "small"
                        | "time"
                ) {
                    // Inline neighbours printed without a space still read as separate fields.
                    cur.push(' ');
                }
            }
        }
    }
}

/// The article title.
pub(crate) fn title(meta: &PageMeta, url: &Url) -> Option<String> {
    let portal = meta.tag("articletitle").map(clean_title);
    let structured = meta
        .ld_headline
        .as_deref()
        .map(clean_title)
        .or_else(|| {
            [
                "dc.title",
                "dc:title",
                "dcterm:title",
                "dcterms.title",
                "og:title",
                "parsely-title",
            ]
            .iter()
            .find_map(|k| meta.tag(k))
            .map(clean_title)
        })
        .or_else(|| meta.tag("twitter:title").map(clean_title))
        .or_else(|| meta.tag("title").map(clean_title));
    let doc = meta.doc_title.as_deref().map(clean_title);

    // A heading whose text the <title>/og:title contains is the title without the site suffix.
    let wrappers: Vec<String> = [portal.as_ref(), structured.as_ref(), doc.as_ref()]
        .into_iter()
        .flatten()
        .map(|s| compact(s).to_lowercase())
        .collect();
    // `Article | Site`: a heading printing the article's part is the headline, before a
    // logo heading printing the site's.
    let site = SiteName::of(meta, url);
    let article_part = doc
        .as_deref()
        .or(structured.as_deref())
        .map(|d| compact(&site.strip(d)).to_lowercase())
        .filter(|p| !wrappers.contains(p));
    if let Some(part) = article_part
        && let Some((_, _, text)) = meta
            .headings
            .iter()
            .find(|(_, _, h)| compact(h).to_lowercase() == part)
    {
        return Some(text.clone());
    }
    let mut best_heading: Option<&str> = None;
    for (_, level, text) in &meta.headings {
        let c = compact(text).to_lowercase();
        if c.chars().count() < 4 {
            continue;
        }
        if wrappers.iter().any(|w| w == &c) {
            return Some(text.clone());
        }
        if best_heading.is_none()
            && *level <= 3
            && wrappers
                .iter()
                .any(|w| w.contains(&c) && c.chars().count() * 3 >= w.chars().count())
        {
            best_heading = Some(text);
        }
    }
    if let Some(p) = portal.filter(|p| !p.is_empty()) {
        return Some(p);
    }
    if let Some(h) = best_heading {
        return Some(h.to_string());
    }
    if let Some(s) = structured.filter(|s| !s.is_empty()) {
        // Cut at a separator only when no heading prints it whole (`Patchnotes 4.47.4 -
        // Tagundnachtgleiche Bugfix Build` under a `Patch Notes` kicker).
        let whole = title_key(&s);
        if meta
            .headings
            .iter()
            .any(|(_, _, h)| title_key(h).contains(&whole))
        {
            return Some(s);
        }
        return Some(site.strip(&s));
    }
    if let Some(d) = doc.filter(|d| !d.is_empty()) {
        return Some(site.strip(&d));
    }
    meta.headings
        .iter()
        .find(|(_, level, _)| *level == 1)
        .map(|(_, _, t)| t.clone())
}

/// A title for comparing: no whitespace, lower case, and one form for each kind of
/// quote, apostrophe and dash (a heading prints `„finished“` and `d’actions` where
/// `og:title` types `"finished"` and `d'actions`).
pub(crate) fn title_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '„' | '“' | '”' | '‟' | '«' | '»' | '″' => '"',
            '‘' | '’' | '‚' | '‛' | '‹' | '›' | '´' | '`' | '′' => '\'',
            '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => '-',
            c => c,
        })
        .collect()
}

/// A title from `<meta>` or `<title>`: whitespace folded, and entities a CMS escaped twice
/// (`Benko&#8211;Firma` in the attribute's value) decoded.
pub(crate) fn clean_title(s: &str) -> String {
    let s = fold_whitespace(s);
    if s.contains('&') && s.contains(';') && !s.contains('<') {
        crate::text::html_to_text(&s)
    } else {
        s
    }
}

/// Separators between a title's parts, strongest first.
const SEPS: &[&str] = &[
    " | ", " - ", " – ", " — ", " » ", " « ", "_", "｜", " :: ", " · ", "--", "——", "-",
];

/// How the page names its site: `og:site_name` and the domain's distinctive label.
struct SiteName {
    name: Option<String>,
    host_labels: Vec<String>,
}

impl SiteName {
    fn of(meta: &PageMeta, url: &Url) -> Self {
        let name = meta
            .tag("og:site_name")
            .map(fold_whitespace)
            .filter(|n| n.chars().count() >= 3);
        let host_labels = url
            .host_str()
            .unwrap_or("")
            .split('.')
            .filter(|l| l.len() >= 6 && !matches!(*l, "archive" | "blogspot" | "wordpress"))
            .map(|l| l.chars().filter(|c| c.is_alphanumeric()).collect())
            .collect();
        SiteName { name, host_labels }
    }

    /// Whether a part of a title is the site's name: `og:site_name`, or a name holding
    /// the domain's label (`EFC Bayrische Bembel Regensburg` on bayrische-bembel.de).
    fn is_site(&self, part: &str) -> bool {
        let squashed = alnum(part);
        self.name
            .as_deref()
            .is_some_and(|n| compact(n).to_lowercase() == compact(part).to_lowercase())
            || !squashed.is_empty()
                && self
                    .host_labels
                    .iter()
                    .any(|l| squashed.contains(l.as_str()))
    }

    /// The article's part of a title: the site's name removed where it stands as a whole
    /// part before or after a separator, else [`strip_site`].
    fn strip(&self, title: &str) -> String {
        if let Some(name) = self.name.as_deref()
            && let Some(rest) = SEPS
                .iter()
                .filter(|sep| sep.len() > 1 || is_cjk_title(title))
                .find_map(|sep| {
                    title
                        .strip_suffix(name)
                        .and_then(|r| r.strip_suffix(sep.trim_start()))
                        .or_else(|| {
                            title
                                .strip_prefix(name)
                                .and_then(|r| r.strip_prefix(sep.trim_end()))
                        })
                })
            && !rest.trim().is_empty()
        {
            return rest.trim().to_string();
        }
        // `Site - Article - Column`: the site's part set aside before choosing.
        for sep in SEPS.iter().filter(|s| s.len() > 1 && s.starts_with(' ')) {
            let parts: Vec<&str> = title.split(sep).map(str::trim).collect();
            if parts.len() >= 3 && self.is_site(parts[0]) && !parts[1].is_empty() {
                return strip_site(&parts[1..].join(sep));
            }
        }
        strip_site(title)
    }
}

fn is_cjk_title(title: &str) -> bool {
    title.chars().any(is_cjk)
}

/// `文章标题_栏目_站点名` / `Title | Site` → the article's part.
pub(crate) fn strip_site(title: &str) -> String {
    for sep in SEPS {
        // A bare hyphen separates only in Chinese titles (`标题-站点`); in Latin text it
        // joins words (`aria-hidden`).
        if !title.contains(sep) || *sep == "-" && !title.chars().any(is_cjk) {
            continue;
        }
        let parts: Vec<&str> = title
            .split(sep)
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() < 2 {
            continue;
        }
        let weight = |p: &str| -> usize {
            p.chars()
                .map(|c| {
                    if is_cjk(c) {
                        2
                    } else {
                        usize::from(!c.is_whitespace())
                    }
                })
                .sum()
        };
        let first = parts[0];
        if weight(first) >= 12 {
            return first.to_string();
        }
        return parts
            .iter()
            .max_by_key(|p| weight(p))
            .map_or(title, |p| p)
            .to_string();
    }
    title.to_string()
}
