//! The article's text as the page's JSON-LD gives it (`articleBody`), for pages whose
//! markup shows little of it: a script renders the text, or a paywall or teaser shows
//! only its start while the metadata carries it whole.

use super::content::{compute_stats, weighted_len};
use super::dom::Dom;
use super::render;
use serde_json::Value;
use url::Url;

/// The JSON-LD text is taken only when it is this long (weighted characters) …
const MIN_WEIGHT: f64 = 500.0;
/// … and this many times longer than the body found in the markup.
const MIN_RATIO: f64 = 2.0;

/// The page's one `articleBody` in its JSON-LD blocks; none when they carry several
/// different ones (a list of articles: which is this page's is not known).
pub(crate) fn article_body(dom: &Dom) -> Option<String> {
    let mut bodies: Vec<String> = Vec::new();
    for id in 0..dom.nodes.len() {
        let is_ld = dom.tag(id) == "script"
            && dom
                .attr(id, "type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
        if !is_ld {
            continue;
        }
        let raw = dom.own_text(id);
        if raw.len() > 2_000_000 {
            continue;
        }
        let Some(v) = parse(raw.trim()) else { continue };
        find(&v, &mut bodies, 0);
    }
    match bodies.len() {
        1 => bodies.pop(),
        _ => None,
    }
}

/// Valid JSON, or JSON with raw line breaks inside its strings (which browsers'
/// consumers accept): read with the breaks kept as `\n`.
fn parse(raw: &str) -> Option<Value> {
    serde_json::from_str(raw).ok().or_else(|| {
        let mut escaped = String::with_capacity(raw.len() + 64);
        let (mut in_string, mut backslash) = (false, false);
        for c in raw.chars() {
            if in_string {
                match c {
                    '\n' if !backslash => escaped.push_str("\\n"),
                    c if c.is_ascii_control() => escaped.push(' '),
                    c => escaped.push(c),
                }
                if c == '"' && !backslash {
                    in_string = false;
                }
                backslash = c == '\\' && !backslash;
            } else {
                in_string = c == '"';
                escaped.push(c);
            }
        }
        serde_json::from_str(&escaped).ok()
    })
}

fn find(v: &Value, bodies: &mut Vec<String>, depth: usize) {
    if depth > 8 || bodies.len() > 4 {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match x {
                    Value::String(s) if k == "articleBody" => {
                        if !s.trim().is_empty() && !bodies.contains(s) {
                            bodies.push(s.clone());
                        }
                    }
                    _ => find(x, bodies, depth + 1),
                }
            }
        }
        Value::Array(items) => {
            for x in items {
                find(x, bodies, depth + 1);
            }
        }
        _ => {}
    }
}

/// The JSON-LD body rendered (HTML, text) when it is much longer than `found`, the
/// text read from the markup.
pub(crate) fn replacement(dom: &Dom, found: &str, base: &Url) -> Option<(String, String)> {
    let body = article_body(dom)?;
    let weight = weighted_len(&body).0;
    if weight < MIN_WEIGHT || weight < weighted_len(found).0 * MIN_RATIO {
        return None;
    }
    let html = as_html(&body);
    let parsed = crate::text::parse_document(&html);
    let dom = Dom::from_html(&parsed);
    let stats = compute_stats(&dom);
    let roots = dom.find_all("body");
    let out = render::render(&dom, &stats, &roots, base);
    if weighted_len(&out.text).0 < MIN_WEIGHT {
        return None;
    }
    // A teaser shown above a paywall is often not part of `articleBody`: paragraphs
    // of the page's own text that it lacks come first.
    let plain = crate::text::compact(&out.text);
    let teaser: Vec<&str> = found
        .lines()
        .filter(|l| l.chars().count() >= 100 && !plain.contains(&crate::text::compact(l)))
        .collect();
    let mut html = String::new();
    let mut text = String::new();
    for l in teaser {
        html.push_str("<p>");
        crate::text::escape_html_into(l, &mut html);
        html.push_str("</p>\n");
        text.push_str(l);
        text.push('\n');
    }
    html.push_str(&out.html);
    text.push_str(&out.text);
    Some((html, text))
}

/// `articleBody` as markup: some sites put HTML there, most plain text with line
/// breaks between paragraphs (entities are left for the parser to decode).
fn as_html(body: &str) -> String {
    let markup = body.char_indices().any(|(i, c)| {
        c == '<' && body[i + 1..].starts_with(|n: char| n.is_ascii_alphabetic() || n == '/')
    });
    if markup {
        return format!("<html><body>{body}</body></html>");
    }
    let mut html = String::from("<html><body>");
    for para in body.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
        html.push_str("<p>");
        html.push_str(&para.replace('<', "&lt;").replace('>', "&gt;"));
        html.push_str("</p>");
    }
    html.push_str("</body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    #[test]
    fn the_article_body_is_found_in_a_graph_with_raw_line_breaks() {
        let html = r#"<html><head><script type="application/ld+json">{"@graph":[
            {"@type":"WebPage","name":"x"},
            {"@type":"NewsArticle","articleBody":"First paragraph.
Second paragraph &amp; more."}]}</script></head><body></body></html>"#;
        let dom = Dom::from_html(&Html::parse_document(html));
        let body = article_body(&dom).expect("articleBody");
        assert!(body.contains("First paragraph.\nSecond"), "{body}");
        let h = as_html(&body);
        assert!(h.contains("<p>First paragraph.</p><p>Second paragraph &amp; more.</p>"));
    }

    #[test]
    fn several_different_article_bodies_give_none() {
        let html = r#"<html><head><script type="application/ld+json">[
            {"@type":"NewsArticle","articleBody":"The first story of the list."},
            {"@type":"NewsArticle","articleBody":"The second story of the list."}]
            </script></head><body></body></html>"#;
        let dom = Dom::from_html(&Html::parse_document(html));
        assert_eq!(article_body(&dom), None);
    }

    #[test]
    fn a_short_article_body_does_not_replace_the_text() {
        let html = r#"<html><head><script type="application/ld+json">
            {"@type":"Article","articleBody":"A teaser of the story."}</script></head></html>"#;
        let dom = Dom::from_html(&Html::parse_document(html));
        let base = Url::parse("http://example.com/a").expect("static url");
        assert!(replacement(&dom, "", &base).is_none());
    }
}
