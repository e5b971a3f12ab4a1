//! Text the body prints twice: a gallery's caption repeated on every slide, a caption
//! that only repeats its picture's `alt` text (kept with the picture in the HTML).
//! Neither adds anything a reader has not seen; both are noise in the plain text.

use super::alnum;
use super::content::weighted_len;
use super::dom::Dom;
use crate::text::{compact, is_block};
use std::collections::HashSet;

/// A line shorter than this (weighted characters) may well repeat (`Step 1`, `Photo`,
/// a refrain): only longer ones are judged.
const MIN_REPEAT: f64 = 40.0;

/// Remove, under `roots`, every caption that repeats one met earlier in the body or
/// the `alt` text of its picture. Returns whether any was removed.
pub(crate) fn drop_repeats(dom: &mut Dom, roots: &[usize]) -> bool {
    let mut seen: HashSet<String> = HashSet::new();
    let mut removed = false;
    let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
    while let Some(id) = stack.pop() {
        if dom.nodes[id].removed || dom.elem(id).is_none() {
            continue;
        }
        if !is_text_block(dom, id) {
            stack.extend(dom.nodes[id].children.iter().rev());
            continue;
        }
        // Only captions: an article may well repeat a paragraph (a refrain, a pull
        // quote printed twice), a gallery's captions are its slides' furniture.
        if !is_caption(dom, id) {
            continue;
        }
        let text = dom.text(id);
        if weighted_len(&text).0 < MIN_REPEAT {
            continue;
        }
        let key = compact(&text).to_lowercase();
        if !seen.insert(key) || repeats_alt(dom, id, &text) {
            dom.nodes[id].removed = true;
            removed = true;
        }
    }
    removed
}

/// A block element holding only inline content (a paragraph, a caption, a list item).
fn is_text_block(dom: &Dom, id: usize) -> bool {
    let tag = dom.tag(id);
    (is_block(tag) || tag == "figcaption")
        && dom.nodes[id].children.iter().all(|&c| {
            dom.nodes[c].removed
                || dom
                    .elem(c)
                    .is_none_or(|e| !is_block(&e.tag) && e.tag != "img")
        })
}

/// A `<figcaption>` or a block named as a caption, or a block inside one (up to three
/// levels).
fn is_caption(dom: &Dom, id: usize) -> bool {
    std::iter::once(id)
        .chain(dom.ancestors(id).take(3))
        .any(|a| {
            dom.tag(a) == "figcaption"
                || ["class", "id"]
                    .iter()
                    .any(|k| dom.attr(a, k).is_some_and(says_caption))
        })
}

/// Whether a class or id value holds the word `caption`, in any case.
fn says_caption(v: &str) -> bool {
    v.as_bytes()
        .windows(7)
        .any(|w| w.eq_ignore_ascii_case(b"caption"))
}

/// Whether `id`, a caption, says what its picture's `alt` text says: an `<img>` in the
/// same figure (under one of the caption's three nearest ancestors, which holds little
/// more text than the caption) has that text.
fn repeats_alt(dom: &Dom, id: usize, text: &str) -> bool {
    let own = alnum(text);
    if own.is_empty() {
        return false;
    }
    let limit = text.len() * 2 + 200;
    for a in dom.ancestors(id).take(3) {
        if dom.text(a).len() > limit {
            return false;
        }
        let same = dom.descendants(a).into_iter().any(|d| {
            dom.tag(d) == "img" && dom.attr(d, "alt").is_some_and(|alt| alnum(alt) == own)
        });
        if same {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    fn body(html: &str) -> (Dom, Vec<usize>) {
        let dom = Dom::from_html(&Html::parse_document(html));
        let roots = dom.find_all("body");
        (dom, roots)
    }

    #[test]
    fn a_gallery_caption_repeated_per_slide_is_kept_once() {
        let cap = "Workers unload a truck outside the plant in Littleton, Colo. (AP Photo)";
        let html = format!(
            "<body><p>First paragraph of the story, long enough to be text.</p>\
             <ul><li><div class=caption><p>{cap}</p></div></li>\
             <li><div class=caption><p>{cap}</p></div></li>\
             <li><div class=caption><p>{cap}</p></div></li></ul></body>"
        );
        let (mut dom, roots) = body(&html);
        assert!(drop_repeats(&mut dom, &roots));
        assert_eq!(dom.text(roots[0]).matches("Workers unload").count(), 1);
    }

    #[test]
    fn short_lines_and_distinct_captions_stay() {
        let html = "<body><h3>Step 1</h3><p>Cut the foam.</p><h3>Step 1</h3>\
             <figure><img src=a.jpg alt='A dog'><figcaption>Our dog Rex asleep on the \
             porch after the long walk home</figcaption></figure></body>";
        let (mut dom, roots) = body(html);
        assert!(!drop_repeats(&mut dom, &roots));
        assert_eq!(dom.text(roots[0]).matches("Step 1").count(), 2);
    }

    #[test]
    fn a_caption_repeating_the_alt_text_goes() {
        let html = "<body><p>Some text of the article.</p><figure>\
             <img src=a.jpg alt='Vietnamese Defense Minister Ngo Xuan Lich shakes hands in Hanoi'>\
             <figcaption>Vietnamese Defense Minister Ngo Xuan Lich shakes hands in Hanoi.\
             </figcaption></figure></body>";
        let (mut dom, roots) = body(html);
        assert!(drop_repeats(&mut dom, &roots));
        assert!(!dom.text(roots[0]).contains("Ngo Xuan"));
    }
}
