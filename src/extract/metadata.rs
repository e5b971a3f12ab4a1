//! Title, date, author and origin: from `<meta>` tags (the national portal standard
//! `ArticleTitle`/`PubDate`/`ContentSource`, Open Graph, Dublin Core), JSON-LD, the
//! heading near the body, the metadata line under it, and the URL as a last resort.

use super::dom::{Data, Dom, collapse_ws, compact, is_block, is_cjk};
use super::metaline;
use crate::dates::{self, find_date, parse_date};
use crate::model::PubDate;
use chrono_tz::Tz;
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
    /// Headings (h1–h3) as (node, level, text), document order.
    pub headings: Vec<(usize, u8, String)>,
    /// `<time datetime>` and `itemprop=datePublished` values, document order.
    pub times: Vec<(usize, String)>,
    /// Byline elements (rel/itemprop/class author): (node, text).
    pub bylines: Vec<(usize, String)>,
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
    for id in 0..dom.nodes.len() {
        let Some(e) = dom.elem(id) else { continue };
        match e.tag.as_str() {
            "meta" => {
                let key = e
                    .attr("name")
                    .or_else(|| e.attr("property"))
                    .or_else(|| e.attr("itemprop"))
                    .or_else(|| e.attr("http-equiv"));
                if let (Some(k), Some(v)) = (key, e.attr("content")) {
                    m.tags.push((k.trim().to_ascii_lowercase(), v.to_string()));
                }
            }
            "title" if m.doc_title.is_none() => {
                let t = dom.text(id);
                if !t.is_empty() {
                    m.doc_title = Some(t);
                }
            }
            "script" => {
                let raw: String = dom.nodes[id]
                    .children
                    .iter()
                    .filter_map(|&c| match &dom.nodes[c].data {
                        Data::Text(t) => Some(t.as_str()),
                        Data::Element(_) => None,
                    })
                    .collect();
                if raw.len() < 2_000_000
                    && let Ok(v) = serde_json::from_str::<Value>(raw.trim())
                {
                    read_json_ld(&v, &mut m, 0);
                }
            }
            "h1" | "h2" | "h3" => {
                let level = e.tag.as_bytes()[1] - b'0';
                let t = dom.text(id);
                if !t.is_empty() && t.chars().count() <= 300 {
                    m.headings.push((id, level, t));
                }
            }
            "time" => {
                if let Some(d) = e.attr("datetime") {
                    m.times.push((id, d.to_string()));
                }
            }
            _ => {}
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
            if is_byline && m.bylines.len() < 20 && !in_comments() {
                let t = dom.text(id);
                if !t.is_empty() && t.chars().count() <= 100 {
                    m.bylines.push((id, t));
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
    m
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
            let articleish = ty.contains("Article")
                || ty.contains("Posting")
                || ty.contains("NewsArticle")
                || ty.contains("Report");
            if !articleish {
                return;
            }
            if m.ld_headline.is_none()
                && let Some(h) = obj.get("headline").and_then(Value::as_str)
            {
                m.ld_headline = Some(collapse_ws(h));
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
            let s = collapse_ws(s);
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
    let t = collapse_ws(cur);
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
pub(crate) fn title(meta: &PageMeta) -> Option<String> {
    let portal = meta.tag("articletitle").map(collapse_ws);
    let structured = meta
        .ld_headline
        .clone()
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
            .map(collapse_ws)
        })
        .or_else(|| meta.tag("twitter:title").map(collapse_ws))
        .or_else(|| meta.tag("title").map(collapse_ws));
    let doc = meta.doc_title.clone();

    // A heading whose text the <title>/og:title contains is the title without the site suffix.
    let wrappers: Vec<String> = [portal.as_ref(), structured.as_ref(), doc.as_ref()]
        .into_iter()
        .flatten()
        .map(|s| compact(s).to_lowercase())
        .collect();
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
        return Some(strip_site(&s));
    }
    if let Some(d) = doc.filter(|d| !d.is_empty()) {
        return Some(strip_site(&d));
    }
    meta.headings
        .iter()
        .find(|(_, level, _)| *level == 1)
        .map(|(_, _, t)| t.clone())
}

/// `文章标题_栏目_站点名` / `Title | Site` → the article's part.
pub(crate) fn strip_site(title: &str) -> String {
    const SEPS: &[&str] = &[
        " | ", " - ", " – ", " — ", "_", "｜", " :: ", " · ", "--", "——", "-",
    ];
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

const DATE_TAGS: &[&str] = &[
    "pubdate",
    "publishdate",
    "publish_date",
    "publish-date",
    "publishtime",
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "published_time",
    "article.published",
    "article_date_original",
    "datepublished",
    "originalpublicationdate",
    "publication_date",
    "pub_date",
    "firstpublishedtime",
    "sailthru.date",
    "parsely-pub-date",
    "citation_publication_date",
    "citation_date",
    "dc.date.issued",
    "dc.date.created",
    "dcterms.issued",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "date",
    "weibo:article:create_at",
    "bt:pubdate",
    "release_date",
];

/// Metadata from the lines around the title heading.
pub(crate) struct NearTitle {
    pub published: Option<PubDate>,
    pub labelled: bool,
    pub author: Option<String>,
    pub origin: Option<String>,
}

/// Read the metadata lines: those after the title heading first, nearest first.
/// `content_start` is the first node of the extracted body: an unlabelled date just
/// before it is the usual place of a bare publication date.
pub(crate) fn near_title(
    lines: &[Line],
    anchor: Option<usize>,
    content: (Option<usize>, Option<usize>),
    tz: Tz,
) -> NearTitle {
    let (content_start, content_end) = content;
    let position = |node: usize| {
        lines
            .iter()
            .position(|l| l.node >= node)
            .unwrap_or(lines.len())
    };
    let start = anchor.map(position).unwrap_or(0);
    // Names are read only around the article: lists of other stories below it have
    // their own "记者：" and "来源：".
    let names_from = start.saturating_sub(15);
    let names_to = content_end.map_or(lines.len(), |e| position(e) + 8);
    // Search the lines after the heading, then the ones before it (some pages print the
    // metadata above the title).
    let order = (start..lines.len()).chain((0..start).rev());
    let mut out = NearTitle {
        published: None,
        labelled: false,
        author: None,
        origin: None,
    };
    for i in order {
        let text = &lines[i].text;
        if text.chars().count() > 250 {
            continue;
        }
        let m = metaline::parse(text, tz);
        if m.labels > 0 {
            // A date on a line with labels is the line's date, labelled or not.
            if out.published.is_none() && m.published.is_some() {
                out.published = m.published;
                out.labelled = true;
            }
            let near = (names_from..=names_to).contains(&i);
            if out.author.is_none() && near {
                out.author = m.author;
            }
            if out.origin.is_none() && near {
                out.origin = m.origin;
            }
        }
        if out.published.is_some() && out.author.is_some() && out.origin.is_some() {
            break;
        }
    }
    if out.published.is_some() {
        return out;
    }
    let short_date = |i: usize| -> Option<PubDate> {
        let text = &lines.get(i)?.text;
        if text.chars().count() > 80 {
            return None;
        }
        find_date(text, tz)
    };
    // Unlabelled: right under the heading, else just before the body, else early on.
    let mut unlabelled = None;
    if anchor.is_some() {
        unlabelled = (start..(start + 12).min(lines.len())).find_map(short_date);
    }
    if unlabelled.is_none()
        && let Some(cs) = content_start
    {
        let c = position(cs);
        unlabelled = (c.saturating_sub(12)..c.min(lines.len()))
            .rev()
            .chain(c..(c + 3).min(lines.len()))
            .find_map(short_date);
    }
    if unlabelled.is_none() && anchor.is_none() {
        unlabelled = (0..40.min(lines.len())).find_map(short_date);
    }
    out.published = unlabelled;
    out
}

/// The publication date, strongest evidence first.
pub(crate) fn published(
    meta: &PageMeta,
    near: &NearTitle,
    lines: &[Line],
    anchor: Option<usize>,
    content_start: Option<usize>,
    url: &Url,
    tz: Tz,
) -> Option<PubDate> {
    let from_tags = DATE_TAGS
        .iter()
        .find_map(|k| meta.tag(k).and_then(|v| parse_date(v, tz)))
        .or_else(|| {
            // Vendor-prefixed names (`shareaholic:article_published_time`).
            meta.tags.iter().find_map(|(k, v)| {
                (k.ends_with("published_time")
                    || k.ends_with("publish_date")
                    || k.ends_with("date_published"))
                .then(|| parse_date(v, tz))
                .flatten()
            })
        });
    let from_ld = meta.ld_published.as_deref().and_then(|v| parse_date(v, tz));
    let structured = from_tags.or(from_ld);
    if let Some(s) = structured {
        // Portals print midnight when they only know the day.
        let s = match s {
            PubDate::Instant(t) if t.time() == chrono::NaiveTime::MIN => {
                PubDate::Day(t.date_naive())
            }
            other => other,
        };
        // The metadata line may be more precise than the tag (a time, seconds).
        if let Some(line) = near.published
            && line.day() == s.day()
        {
            let more_precise = match (s, line) {
                (PubDate::Day(_), _) => true,
                (PubDate::Instant(a), PubDate::Instant(b)) => {
                    use chrono::Timelike;
                    a.second() == 0
                        && a.format("%H:%M").to_string() == b.format("%H:%M").to_string()
                }
                _ => false,
            };
            if more_precise {
                return Some(line);
            }
        }
        return Some(s);
    }
    if near.labelled {
        return near.published;
    }
    let from_time = meta.times.iter().find_map(|(_, v)| parse_date(v, tz));
    if from_time.is_some() {
        return from_time;
    }
    if near.published.is_some() {
        return near.published;
    }
    let from_dated = meta.dated.iter().find_map(|(_, t)| {
        find_date(t, tz).or_else(|| dates::find_date_words(t).map(PubDate::Day))
    });
    if from_dated.is_some() {
        return from_dated;
    }
    // Western pages: a written date near the title, else just before the body.
    let position = |node: usize| {
        lines
            .iter()
            .position(|l| l.node >= node)
            .unwrap_or(lines.len())
    };
    let date_at = |i: usize| -> Option<PubDate> {
        let text = &lines.get(i)?.text;
        // A long line counts only by its start (`01.02.2022 „Der Arbeitsmarkt…`).
        let text = match text.char_indices().nth(150) {
            Some(_) => &text[..text.char_indices().nth(40).map_or(text.len(), |(i, _)| i)],
            None => text.as_str(),
        };
        dates::find_date_words(text)
            .map(PubDate::Day)
            .or_else(|| find_date(text, tz))
    };
    let mut order: Vec<usize> = Vec::new();
    if let Some(a) = anchor {
        let h = position(a);
        order.extend(h..(h + 40).min(lines.len()));
        order.extend((h.saturating_sub(15)..h).rev());
    }
    if let Some(c) = content_start {
        let c = position(c);
        order.extend((c.saturating_sub(20)..c.min(lines.len())).rev());
        order.extend(c..(c + 5).min(lines.len()));
    }
    if let Some(d) = order.into_iter().find_map(date_at) {
        return Some(d);
    }
    dates::url_date(url.as_str()).map(PubDate::Day)
}

/// The author: the metadata line, else structured data, else a byline element. A name
/// that is the site's own (in the `<title>` suffix or `og:site_name`) is not an author.
/// A name equal to the origin is the publisher, not a writer.
pub(crate) fn author(
    meta: &PageMeta,
    near: &NearTitle,
    title: Option<&str>,
    content_end: Option<usize>,
) -> Option<String> {
    if let Some(a) = &near.author {
        return Some(a.clone());
    }
    let site = site_names(meta, title);
    let origin = origin(meta, near).map(|o| compact(&o).to_lowercase());
    structured_authors(meta, content_end)
        .into_iter()
        .find(|found| {
            let c = compact(found).to_lowercase();
            // A Chinese brand in the title suffix (`…_网易财经` for 网易) is the site; a
            // western blogger's name in `Post | Jane Doe's blog` is the author.
            let is_site = c.chars().any(is_cjk) && site.iter().any(|s| s.contains(&c));
            !is_site && origin.as_deref() != Some(c.as_str())
        })
}

/// Where the site names itself: `og:site_name`, and what `<title>` adds to the title.
fn site_names(meta: &PageMeta, title: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = meta.tag("og:site_name") {
        out.push(compact(s).to_lowercase());
    }
    if let (Some(doc), Some(t)) = (&meta.doc_title, title) {
        let doc = compact(doc).to_lowercase();
        let t = compact(t).to_lowercase();
        if !t.is_empty() && doc != t {
            out.push(doc.replace(&t, " "));
        }
    }
    out
}

/// Author candidates, strongest first: JSON-LD, `<meta>` tags, byline elements.
fn structured_authors(meta: &PageMeta, content_end: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    if !meta.ld_authors.is_empty() {
        let mut names: Vec<String> = Vec::new();
        for n in &meta.ld_authors {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        out.push(names.join(", "));
    }
    for key in [
        "author",
        "article:author",
        "byl",
        "dc.creator",
        "sailthru.author",
        "parsely-author",
        "citation_author",
    ] {
        if let Some(v) = meta.tag(key)
            && !v.starts_with("http")
            && let Some(a) = clean_byline(v)
        {
            out.push(a);
        }
    }
    // Chinese byline elements after the body are commenters' (western author boxes
    // often close the article).
    out.extend(
        meta.bylines
            .iter()
            .filter(|(node, t)| {
                content_end.is_none_or(|end| *node <= end) || !t.chars().any(is_cjk)
            })
            .filter_map(|(_, t)| clean_byline(t)),
    );
    out
}

fn clean_byline(text: &str) -> Option<String> {
    let t = collapse_ws(text);
    let lower = t.to_lowercase();
    let t = if lower.starts_with("by ") {
        t.get(3..).unwrap_or("").trim().to_string()
    } else if lower.starts_with("von ") {
        t.get(4..).unwrap_or("").trim().to_string()
    } else {
        t
    };
    // Editors are not authors; an address is not a name.
    if ["编辑", "责编", "审核", "校对", "@", "授权"]
        .iter()
        .any(|e| t.contains(e))
    {
        return None;
    }
    let t = t
        .trim_start_matches(['作', '者', '记', '：', ':'])
        .trim()
        .to_string();
    if t.is_empty()
        || t.chars().count() > 60
        || t.chars().filter(|c| c.is_ascii_digit()).count() >= 4
    {
        return None;
    }
    metaline::clean_name(&t, 60)
}

/// The original publisher (来源): the metadata line, the portal's `ContentSource`, else
/// a short element named `source` on a Chinese page.
pub(crate) fn origin(meta: &PageMeta, near: &NearTitle) -> Option<String> {
    near.origin
        .clone()
        .or_else(|| {
            meta.tag("contentsource")
                .and_then(|v| metaline::clean_name(v, 60))
        })
        .or_else(|| {
            meta.sources.iter().find_map(|t| {
                let t = t.trim_start_matches(['来', '源', '：', ':', ' ']);
                let cjk = t.chars().filter(|&c| is_cjk(c)).count();
                (cjk >= 2).then(|| metaline::clean_name(t, 30)).flatten()
            })
        })
}
