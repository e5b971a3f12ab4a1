//! Article pages → [`Article`]: main content, title, date, author, origin, with no
//! per-site rules.
//!
//! - [`dom`]: the page copied into a bounded arena (scripts dropped, depth capped).
//! - [`metadata`]: `<meta>` tags, JSON-LD, headings, bylines, text lines; the title.
//! - [`headline`]: the headline shown near the body (not the site's name), the subtitle.
//! - [`metaline`]: the `时间:… 作者:… 来源:…` line split into its fields.
//! - [`published`]: the publication date from all of those, strongest first.
//! - [`names`]: author and origin.
//! - [`credits`]: credits western pages print instead of a byline (`Quelle:`, press
//!   contacts) and the words around a writer's name that are not part of it.
//! - [`content`]: the readability-style scorer that finds the body.
//! - [`ld_body`]: the JSON-LD `articleBody`, for pages whose markup shows little of it.
//! - [`boilerplate`]: portal furniture (breadcrumbs, 【字体：大 中 小】, 打印本页 …).
//! - [`repeats`]: text the body prints twice (gallery captions, captions repeating `alt`).
//! - [`render`]: the chosen nodes → clean HTML and plain text.

mod boilerplate;
mod content;
mod credits;
mod dom;
mod headline;
mod ld_body;
mod metadata;
mod metaline;
mod names;
mod published;
mod render;
mod repeats;

use crate::model::Article;
use crate::text::compact;
use chrono_tz::Tz;
use content::Stats;
use dom::Dom;
use url::Url;

/// Pages longer than this are cut before parsing: an article is never that long, and
/// parsing stays bounded in time and memory.
const MAX_HTML_BYTES: usize = 4 << 20;
/// A body shorter than this (weighted characters) after the strict pass makes the
/// extractor try again without removing "unlikely" containers.
const RETRY_BELOW: f64 = 280.0;

/// Extract the article from page bytes as fetched. `content_type` is the HTTP header,
/// used for the charset; dates without an offset are read in `tz`.
pub fn extract(body: &[u8], url: &Url, content_type: Option<&str>, tz: Tz) -> Article {
    let text = crate::text::decode(body, content_type);
    extract_html(&text, url, tz)
}

/// Extract from already-decoded HTML.
pub fn extract_html(html: &str, url: &Url, tz: Tz) -> Article {
    let html = crate::text::head(html, MAX_HTML_BYTES);
    let article = extract_parsed(html, url, tz);
    // Pages that render the article from a script may carry it only in <noscript>
    // (parsed as raw text): with next to no body found, read those blocks as markup.
    if content::weighted_len(&article.content_text).0 < RETRY_BELOW
        && let Some(unwrapped) = unwrap_noscript(html)
    {
        let retry = extract_parsed(&unwrapped, url, tz);
        if retry.content_text.len() > article.content_text.len() * 3 / 2 + 200 {
            return retry;
        }
    }
    article
}

/// `html` with its `<noscript>` tags turned into `<div>`s, or `None` when it has none.
fn unwrap_noscript(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    if !lower.contains("<noscript") {
        return None;
    }
    // ASCII lower-casing keeps byte offsets, so positions found in `lower` cut `html`.
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    for (i, _) in lower.match_indices("noscript") {
        let tag = lower[..i].ends_with('<') || lower[..i].ends_with("</");
        if tag {
            out.push_str(&html[last..i]);
            out.push_str("div");
            last = i + "noscript".len();
        }
    }
    out.push_str(&html[last..]);
    Some(out)
}

/// Letters and digits only, lower-cased: how the extractor compares names, captions and
/// host labels that differ in spacing, punctuation and case (`C.Habermueller` and
/// `chabermu…`, an `alt` attribute and its caption).
fn alnum(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn extract_parsed(html: &str, url: &Url, tz: Tz) -> Article {
    let parsed = crate::text::parse_document(html);
    let mut dom = Dom::from_html(&parsed);
    drop(parsed);

    let meta = metadata::read(&dom);
    let lines = metadata::lines(&dom);
    let first_guess = metadata::title(&meta, url);

    let mut body = body_pass(&mut dom, true, first_guess.as_deref(), url, tz);
    if body.weight < RETRY_BELOW || body.wrapper_removed {
        for node in &mut dom.nodes {
            node.removed = false;
        }
        let loose = body_pass(&mut dom, false, first_guess.as_deref(), url, tz);
        if loose.weight > body.weight * 1.5 {
            body = loose;
        }
    }
    let head = headline::headline(
        &dom,
        &meta,
        &lines,
        first_guess.clone(),
        (body.first, body.last),
        url,
    );
    let subtitle = headline::subtitle(&dom, &meta, &lines, &head, tz);
    // The headline or subtitle found inside the body's container is not its first line.
    if head.title != first_guess || subtitle.is_some() {
        let lead: Vec<String> = head
            .title
            .iter()
            .chain(&subtitle)
            .map(|t| compact(t).to_lowercase())
            .collect();
        if drop_lead(&mut dom, &body.roots, &lead) {
            let stats = content::compute_stats(&dom);
            let out = render::render(&dom, &stats, &body.roots, url);
            body.html = out.html;
            body.text = out.text;
        }
    }
    // A page showing little of its text (rendered by a script, cut by a paywall) whose
    // JSON-LD carries it whole.
    if let Some((html, text)) = ld_body::replacement(&dom, &body.text, url) {
        body.html = html;
        body.text = text;
    }
    let title = head.title;
    let anchor = head.node;

    let near = published::near_title(&lines, anchor, (body.first, body.last), tz);
    let published = published::published(
        &meta,
        &near,
        &lines,
        anchor,
        (body.first, body.last),
        url,
        tz,
    );
    let author = names::author(&dom, &meta, &near, title.as_deref(), body.last, url);
    let origin = names::origin(&meta, &near);

    Article {
        title,
        subtitle,
        published,
        author,
        origin,
        content_html: body.html,
        content_text: body.text,
    }
}

struct Body {
    roots: Vec<usize>,
    /// The first node of the body, where metadata lines end.
    first: Option<usize>,
    /// The last node of the body (bylines after it belong to comments).
    last: Option<usize>,
    html: String,
    text: String,
    weight: f64,
    /// The strict pass removed a boilerplate-named wrapper of the whole page.
    wrapper_removed: bool,
}

/// One extraction pass over the arena; `strict` removes containers whose class/id
/// looks like boilerplate before scoring.
fn body_pass(dom: &mut Dom, strict: bool, title: Option<&str>, url: &Url, tz: Tz) -> Body {
    let wrapper_removed = content::remove_unlikely(dom, strict);
    let stats = content::compute_stats(dom);
    let mut roots = match content::select(dom, &stats, strict) {
        Some(sel) => sel.nodes,
        None => dom.find_all("body"),
    };
    // Where the article's own text starts (metadata lines end there), before a lead
    // printed above it joins the body.
    let first = roots.first().copied();
    if let Some(f) = first
        && let Some(lead) = content::lead(dom, &stats, f)
    {
        roots.insert(0, lead);
    }
    content::clean_conditionally(dom, &stats, &roots);
    strip_furniture(dom, &stats, &roots, title, tz);
    repeats::drop_repeats(dom, &roots);
    let stats = content::compute_stats(dom);
    let out = render::render(dom, &stats, &roots, url);
    let weight = content::weighted_len(&out.text).0;
    Body {
        roots: roots.clone(),
        first,
        last: roots
            .last()
            .map(|&r| dom.descendants(r).last().copied().unwrap_or(r)),
        html: out.html,
        text: out.text,
        weight,
        wrapper_removed,
    }
}

/// Drop furniture, metadata lines and the repeated title from the chosen subtrees.
fn strip_furniture(dom: &mut Dom, stats: &[Stats], roots: &[usize], title: Option<&str>, tz: Tz) {
    let title = title.map(|t| compact(t).to_lowercase()).unwrap_or_default();
    let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
    // A bare date is the publication date only before the text starts.
    let mut text_started = false;
    while let Some(id) = stack.pop() {
        if dom.nodes[id].removed {
            continue;
        }
        // Only short lines are judged as a whole; containers are searched inside (an
        // article of three short paragraphs is not a metadata line).
        let has_blocks = dom.nodes[id].children.iter().any(|&c| {
            !dom.nodes[c].removed && dom.elem(c).is_some_and(|e| crate::text::is_block(&e.tag))
        });
        if stats[id].chars <= 320.0 && !has_blocks {
            let text = dom.text(id);
            let drop = boilerplate::is_furniture(&text)
                || metaline::is_meta_line(&text, tz)
                || !text_started && metaline::is_bare_date(&text, tz)
                // Only before the text: a notice's sign-off may repeat what <title> says.
                || !text_started && !title.is_empty() && compact(&text).to_lowercase() == title;
            if drop {
                dom.nodes[id].removed = true;
                continue;
            }
        }
        if dom.elem(id).is_none() && stats[id].chars >= 40.0 {
            text_started = true;
        }
        // A kept line of real length holds no furniture of its own: do not judge its
        // pieces one by one (the costliest part of extraction otherwise).
        if !has_blocks && stats[id].chars > 120.0 {
            continue;
        }
        stack.extend(dom.nodes[id].children.iter().rev());
    }
}

/// Remove the lines of `lead` (compacted, lower-case) from the start of the body, before
/// its text begins; whether any was removed.
fn drop_lead(dom: &mut Dom, roots: &[usize], lead: &[String]) -> bool {
    let mut removed = false;
    let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
    let mut seen = 0.0;
    while let Some(id) = stack.pop() {
        if dom.nodes[id].removed || seen > 200.0 {
            continue;
        }
        let has_blocks = dom.nodes[id].children.iter().any(|&c| {
            !dom.nodes[c].removed && dom.elem(c).is_some_and(|e| crate::text::is_block(&e.tag))
        });
        if dom.elem(id).is_some() && !has_blocks {
            let text = dom.text(id);
            // Never a root, nor a line holding a picture.
            let pictured = || dom.descendants(id).iter().any(|&d| dom.tag(d) == "img");
            if roots.contains(&id) || pictured() {
                seen += content::weighted_len(&text).0;
                continue;
            }
            let c = compact(&text).to_lowercase();
            if !c.is_empty() && lead.contains(&c) {
                dom.nodes[id].removed = true;
                removed = true;
                continue;
            }
            seen += content::weighted_len(&text).0;
            continue;
        }
        if dom.elem(id).is_none() {
            seen += dom.nodes[id].weight.0;
            continue;
        }
        stack.extend(dom.nodes[id].children.iter().rev());
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_only_in_noscript_is_read() {
        let para = "<p>Over the past few years we have seen threats on the web becoming \
                    increasingly sophisticated, and the protection has to follow them.</p>";
        let html = format!(
            "<html><body><div id=app></div><NOSCRIPT><article>{}</article></noscript>\
             </body></html>",
            para.repeat(4)
        );
        let url = Url::parse("http://example.com/post").expect("static url");
        let a = extract_html(&html, &url, chrono_tz::UTC);
        assert!(a.content_text.contains("threats on the web"), "{a:?}");
        assert_eq!(unwrap_noscript("<p>x</p>"), None);
    }

    #[test]
    fn an_article_in_an_aside_marked_as_the_body_is_read() {
        let para = "<p>Für einen Roman über die alte Bundesrepublik hat der Autor den \
                    wichtigsten Preis der Branche erhalten, teilte die Jury mit.</p>";
        let nav = "<li><a href=/x>Ein Link zu einer anderen Seite der Zeitung</a></li>".repeat(60);
        let html = format!(
            "<html><body><ul>{nav}</ul><aside class=direct><div itemprop=articleBody>{}</div>\
             </aside><footer>{}</footer></body></html>",
            para.repeat(3),
            "<p>Impressum Datenschutz Kontakt Werbung Abo Newsletter</p>".repeat(30)
        );
        let url = Url::parse("http://example.com/a").expect("static url");
        let a = extract_html(&html, &url, chrono_tz::UTC);
        assert!(a.content_text.contains("Für einen Roman"), "{a:?}");
    }

    #[test]
    fn json_ld_authors_given_by_reference() {
        let html = r#"<html><head><script type="application/ld+json">{"@context":"https://schema.org","@graph":[
            {"@type":["Person","Organization"],"@id":"http://h.at/#/person/1","name":"Helge Fahrnberger"},
            {"@type":"Article","headline":"Mahu","author":{"@id":"http://h.at/#/person/1"}}]}</script></head>
            <body><h1>Mahu</h1><p>Some text of the article that is long enough to be a body.</p></body></html>"#;
        let url = Url::parse("http://h.at/mahu").expect("static url");
        let a = extract_html(html, &url, chrono_tz::UTC);
        assert_eq!(a.author.as_deref(), Some("Helge Fahrnberger"));
    }
}
