//! The parts of a parsed page that list reading needs: the base for relative links,
//! which links lead somewhere worth listing, which elements a reader never sees, and
//! visible text. Every walk here is iterative, so a deeply nested page cannot overflow
//! the stack.

use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};
use url::Url;

/// Elements whose content is never shown as page text.
const INVISIBLE_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "textarea", "select", "head", "title", "iframe",
    "svg",
];

/// The URL relative links resolve against: `<base href>` (itself relative to the page),
/// else the page URL.
pub(super) fn base_url(doc: &Html, page_url: &Url) -> Url {
    let base = doc
        .root_element()
        .descendent_elements()
        .find(|e| e.value().name() == "base" && e.value().attr("href").is_some());
    base.and_then(|e| e.value().attr("href"))
        .and_then(|href| page_url.join(href.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or_else(|| page_url.clone())
}

/// The absolute http(s) URL an anchor leads to, or `None` for links that are not
/// articles: empty, fragment-only, `javascript:`, `mailto:`, `tel:`, and links back to
/// the page itself.
pub(super) fn link_target(href: &str, base: &Url, page_url: &Url) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    if same_page(&url, page_url) {
        return None;
    }
    Some(url)
}

/// Whether two URLs name the same page, ignoring the fragment and a directory index
/// file (`/news/` and `/news/index.html` are one page).
pub(super) fn same_page(a: &Url, b: &Url) -> bool {
    fn key(u: &Url) -> String {
        let mut u = u.clone();
        u.set_fragment(None);
        let path = u.path().to_string();
        let dir_index = [
            "index.html",
            "index.htm",
            "index.shtml",
            "index.php",
            "default.aspx",
        ]
        .iter()
        .find_map(|name| path.strip_suffix(name).filter(|p| p.ends_with('/')));
        if let Some(dir) = dir_index {
            u.set_path(dir);
        }
        u.to_string()
    }
    key(a) == key(b)
}

/// Whether the element itself hides its content (`hidden`, inline `display:none` or
/// `visibility:hidden`, or a tag whose content is not rendered).
pub(super) fn hides_content(el: &ElementRef) -> bool {
    let v = el.value();
    if INVISIBLE_TAGS.contains(&v.name()) || v.attr("hidden").is_some() {
        return true;
    }
    v.attr("style").is_some_and(|style| {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        style.contains("display:none") || style.contains("visibility:hidden")
    })
}

/// The visible text under `el`. With `separator`, one is put between the texts of
/// different elements, so that `<span>2022-09</span><span>07</span>` stays two tokens;
/// without, text is concatenated as a reader sees it inline.
pub(super) fn visible_text(el: ElementRef, separator: Option<char>) -> String {
    visible_text_except(el, separator, |_| false)
}

/// [`visible_text`], leaving out the subtrees of elements for which `skip` is true.
pub(super) fn visible_text_except(
    el: ElementRef,
    separator: Option<char>,
    skip: impl Fn(ElementRef) -> bool,
) -> String {
    let mut out = String::new();
    let mut skipping: Option<ego_tree::NodeId> = None;
    for edge in el.traverse() {
        match edge {
            Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Text(text) => out.push_str(text),
                    Node::Element(_) => {
                        let child = ElementRef::wrap(node).expect("an element node wraps");
                        if child != el && (hides_content(&child) || skip(child)) {
                            skipping = Some(node.id());
                        } else if let Some(sep) = separator {
                            out.push(sep);
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if skipping == Some(node.id()) {
                    skipping = None;
                } else if let Some(sep) = separator
                    && skipping.is_none()
                    && node.value().is_element()
                {
                    out.push(sep);
                }
            }
        }
    }
    out
}

/// The first visible text node under `el` for which `f` gives a value.
pub(super) fn find_text<T>(el: ElementRef, mut f: impl FnMut(&str) -> Option<T>) -> Option<T> {
    let mut skipping: Option<ego_tree::NodeId> = None;
    for edge in el.traverse() {
        match edge {
            Edge::Open(node) if skipping.is_none() => match node.value() {
                Node::Text(text) => {
                    if let Some(found) = f(text) {
                        return Some(found);
                    }
                }
                Node::Element(_) => {
                    let child = ElementRef::wrap(node).expect("an element node wraps");
                    if child != el && hides_content(&child) {
                        skipping = Some(node.id());
                    }
                }
                _ => {}
            },
            Edge::Close(node) if skipping == Some(node.id()) => skipping = None,
            _ => {}
        }
    }
    None
}

/// Text as the labels and a reader compare it: zero-width characters removed, runs of
/// whitespace (ideographic space and NBSP included) collapsed to one space, ends trimmed.
pub(super) fn normalise(text: &str) -> String {
    let visible: String = text
        .chars()
        .filter(|c| !matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}'))
        .collect();
    crate::text::fold_whitespace(&visible)
}

/// A length that treats scripts alike: each CJK character counts one, each Latin word
/// two (a word carries about as much as two Chinese characters).
pub(super) fn text_weight(text: &str) -> usize {
    let mut weight = 0;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() && (c.is_ascii() || !crate::text::is_cjk(c)) {
            if !in_word {
                weight += 2;
                in_word = true;
            }
        } else {
            in_word = false;
            if crate::text::is_cjk(c) {
                weight += 1;
            }
        }
    }
    weight
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    #[test]
    fn base_href_wins_over_page_url() {
        let page = url("https://www.example.gov.cn/zwdt/qnyw/index.html");
        let doc = Html::parse_document(
            r#"<html><head><base href="/cms/"></head><body><a href="x.html">x</a></body></html>"#,
        );
        let base = base_url(&doc, &page);
        assert_eq!(base.as_str(), "https://www.example.gov.cn/cms/");
        let target = link_target("202209/t20220907_1.html", &base, &page);
        assert_eq!(
            target.map(|u| u.to_string()).as_deref(),
            Some("https://www.example.gov.cn/cms/202209/t20220907_1.html")
        );
    }

    #[test]
    fn relative_links_resolve_against_the_page() {
        let page = url("https://www.example.gov.cn/zwdt/qnyw/index.html");
        let doc = Html::parse_document("<p>no base</p>");
        let base = base_url(&doc, &page);
        let t = |href: &str| link_target(href, &base, &page).map(|u| u.to_string());
        assert_eq!(
            t("../../info/1057/8920.htm").as_deref(),
            Some("https://www.example.gov.cn/info/1057/8920.htm")
        );
        assert_eq!(
            t(" //cdn.example.com/a.pdf ").as_deref(),
            Some("https://cdn.example.com/a.pdf")
        );
    }

    #[test]
    fn non_article_links_are_dropped() {
        let page = url("https://www.example.gov.cn/zwdt/qnyw/index.html");
        let t = |href: &str| link_target(href, &page, &page);
        for href in [
            "",
            "#top",
            "javascript:;",
            "JavaScript:void(0)",
            "mailto:a@b.cn",
            "tel:12345",
            "index.html",
            "./",
            "index.html#list",
        ] {
            assert_eq!(t(href), None, "{href:?}");
        }
        assert!(t("index_1.html").is_some());
    }

    #[test]
    fn text_is_normalised_like_the_labels() {
        assert_eq!(
            normalise("\u{200b} 关于征集\u{3000}\u{a0}见习岗位的 公 告\n"),
            "关于征集 见习岗位的 公 告"
        );
    }

    #[test]
    fn hidden_and_script_text_is_not_visible() {
        let doc = Html::parse_document(
            r#"<div id="r"><span>2022-09</span><span>07</span><script>var x = "2019-01-01";</script><p style="display: none">secret</p></div>"#,
        );
        let sel = scraper::Selector::parse("#r").expect("test selector");
        let el = doc.select(&sel).next().expect("test element");
        assert_eq!(normalise(&visible_text(el, Some(' '))), "2022-09 07");
        assert_eq!(visible_text(el, None), "2022-0907");
    }

    #[test]
    fn weight_counts_words_and_characters() {
        assert_eq!(text_weight("要闻"), 2);
        assert_eq!(text_weight("Contact us"), 4);
        assert_eq!(text_weight("2022年报"), 4);
    }
}
