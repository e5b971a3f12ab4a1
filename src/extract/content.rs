//! Finding the main content: a readability-style scorer. Paragraph-like blocks score
//! by their text and punctuation; scores flow to their ancestors; the best-scoring
//! container, less its link share, wins, and related siblings join it. Chinese text
//! weighs more per character than Latin text (it carries more per glyph).

use super::dom::{Data, Dom};
use crate::text::{is_block, is_cjk};
use regex::Regex;
use std::sync::LazyLock;

/// Class or id words of blocks that are not the article: navigation, comments, share
/// bars, and boxes laid over the page (`overlay`, `modal`: an outdated-browser notice, a
/// sign-in dialog) which a reader closes to reach the text.
static UNLIKELY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"-ad-|ai2html|banner|breadcrumb|crumb|combx|comment|kommentar|comentario|community|cover-wrap|disqus|extra|footer|gdpr|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|pagination|pager|popup|modal|overlay|yom-remote|copyright|topbar|navbar|subnav|share|weizhi|dqwz|location|position|consent|cookie",
    )
    .expect("static regex")
});
static MAYBE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"and|article|body|column|content|main|mathjax|shadow|text|zoom|detail|zw")
        .expect("static regex")
});
static POSITIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story|zoom|detail|zhengwen|news_con|con_txt|artic|zw|wenzhang")
        .expect("static regex")
});
static NEGATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|footer|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|widget|nav|menu|foot|copyright|recommend|hot|rank|list|link|crumb|tool|login|consent|cookie")
        .expect("static regex")
});
/// Class or id words of a lead printed above the body (intro, teaser, chapô, Vorspann):
/// the first paragraph set apart, not a one-line display summary (`dek`, `standfirst`).
static LEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s_-])(?:lead|intro|introtext|teaser|teasertext|chapo|chapeau|abstract|subtitle|subhead|sapo|entradilla|bajada|copete|vorspann)(?:$|[\s_-])")
        .expect("static regex")
});
/// Class or id words of blocks around the text that are not the article's prose: bylines,
/// author boxes, dates, captions.
static NOT_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"author|byline|subline|dateline|timestamp|\bbio|caption|credit|meta")
        .expect("static regex")
});
/// Class or id words of a box about the writer printed with the article (its photo,
/// bio and links): not the article's text.
static AUTHOR_BOX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"author[-_]?(?:box|bio|info|description|desc|about|profile|card|details)|about[-_]?(?:the[-_]?)?author|saboxplugin")
        .expect("static regex")
});
/// Class or id words of a notice about the page rather than its text: an advertising
/// disclosure, an editorial disclaimer.
static DISCLAIMER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"disclaimer|disclosure").expect("static regex"));
static HIDDEN_STYLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)display\s*:\s*none|visibility\s*:\s*hidden").expect("static regex")
});

/// Per-node counts over its live subtree.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stats {
    /// Weighted characters (a CJK character counts two).
    pub chars: f64,
    /// Weighted characters inside links.
    pub link_chars: f64,
    pub commas: u32,
    pub p: u32,
    pub img: u32,
    pub li: u32,
    pub headings: u32,
}

impl Stats {
    pub fn link_density(&self) -> f64 {
        if self.chars <= 0.0 {
            0.0
        } else {
            (self.link_chars / self.chars).min(1.0)
        }
    }
}

pub(crate) fn weighted_len(s: &str) -> (f64, u32) {
    let mut len = 0.0;
    let mut commas = 0;
    for c in s.chars() {
        if c.is_whitespace() {
            continue;
        }
        len += if is_cjk(c) { 2.0 } else { 1.0 };
        if matches!(c, ',' | '，' | '、' | '،' | '﹐') {
            commas += 1;
        }
    }
    (len, commas)
}

/// Counts for every node, ignoring removed subtrees.
pub(crate) fn compute_stats(dom: &Dom) -> Vec<Stats> {
    let mut stats = vec![Stats::default(); dom.nodes.len()];
    for id in (0..dom.nodes.len()).rev() {
        let node = &dom.nodes[id];
        if node.removed {
            continue;
        }
        match &node.data {
            Data::Text(_) => {
                let (len, commas) = node.weight;
                stats[id].chars = len;
                stats[id].commas = commas;
            }
            Data::Element(e) => {
                let s = &mut stats[id];
                match e.tag.as_str() {
                    "p" => s.p += 1,
                    "img" => s.img += 1,
                    "li" => s.li += 1,
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => s.headings += 1,
                    "a" => s.link_chars = s.chars,
                    _ => {}
                }
            }
        }
        if let Some(parent) = node.parent {
            let s = stats[id];
            let p = &mut stats[parent];
            p.chars += s.chars;
            p.link_chars += s.link_chars;
            p.commas += s.commas;
            p.p += s.p;
            p.img += s.img;
            p.li += s.li;
            p.headings += s.headings;
        }
    }
    stats
}

/// Class/id weight, as readability: ±25 per matching pattern.
pub(crate) fn class_weight(dom: &Dom, id: usize) -> f64 {
    let Some(e) = dom.elem(id) else { return 0.0 };
    let mut w = 0.0;
    for k in ["class", "id"] {
        if let Some(v) = e.attr(k) {
            let v = v.to_ascii_lowercase();
            if v.is_empty() {
                continue;
            }
            if NEGATIVE.is_match(&v) {
                w -= 25.0;
            }
            if POSITIVE.is_match(&v) {
                w += 25.0;
            }
        }
    }
    w
}

fn is_hidden(dom: &Dom, id: usize) -> bool {
    let Some(e) = dom.elem(id) else { return false };
    e.attr("hidden").is_some()
        || e.attr("aria-hidden").is_some_and(|v| v == "true")
        || e.attr("style").is_some_and(|s| HIDDEN_STYLE.is_match(s))
}

/// Remove what cannot be content: hidden elements, navigation, and (when `strip_unlikely`)
/// containers whose class/id says they are boilerplate.
/// Returns whether a container named as boilerplate held most of the page and its
/// headline (a page-wide wrapper with an unlucky name).
pub(crate) fn remove_unlikely(dom: &mut Dom, strip_unlikely: bool) -> bool {
    let mut wrapper_removed = false;
    // A container holding most of the page is not navigation, whatever its tag or role
    // says (an unclosed <header role="banner"> swallows the whole page). Class names are
    // trusted more: a comment section can hold most of a page's text.
    let before = compute_stats(dom);
    let most = before[0].chars * 0.4;
    let mut in_table = vec![false; dom.nodes.len()];
    for id in 1..dom.nodes.len() {
        let parent = dom.nodes[id].parent.unwrap_or(0);
        if dom.nodes[parent].removed {
            // Mark the whole subtree: later passes then need not walk up.
            dom.nodes[id].removed = true;
            continue;
        }
        let Some(e) = dom.elem(id) else { continue };
        let tag = e.tag.as_str();
        in_table[id] = in_table[parent] || matches!(tag, "table" | "code" | "pre");
        if matches!(tag, "head" | "title" | "meta" | "script") {
            dom.nodes[id].removed = true;
            continue;
        }
        if is_hidden(dom, id) {
            dom.nodes[id].removed = true;
            continue;
        }
        let holds_most = before[id].chars > most;
        // Some layouts put the whole article in an <aside> (the page's "direct content"
        // panel): one holding the article's body is no sidebar.
        if matches!(tag, "nav" | "aside") && !holds_most && !holds_article_body(dom, id) {
            dom.nodes[id].removed = true;
            continue;
        }
        let role = e.attr("role").unwrap_or("");
        if matches!(
            role,
            "navigation" | "menu" | "menubar" | "complementary" | "dialog" | "alert" | "banner"
        ) && !holds_most
        {
            dom.nodes[id].removed = true;
            continue;
        }
        if !strip_unlikely
            || in_table[id]
            || matches!(tag, "body" | "a" | "article" | "main" | "html")
        {
            continue;
        }
        if tag == "footer" && !holds_most {
            dom.nodes[id].removed = true;
            continue;
        }
        let ci = dom.class_id(id);
        if !ci.trim().is_empty()
            && (UNLIKELY.is_match(&ci) && !MAYBE.is_match(&ci)
                || AUTHOR_BOX.is_match(&ci)
                || DISCLAIMER.is_match(&ci))
        {
            // A wrapper around most of the page and its headline is the page itself,
            // whatever its name says (`div.above-footer` around everything): the caller
            // then also tries without these removals.
            wrapper_removed |= holds_most && holds_headline(dom, id);
            dom.nodes[id].removed = true;
        }
    }
    wrapper_removed
}

/// Whether a subtree holds the page's headline (`<h1>`) or its `<main>` element.
fn holds_headline(dom: &Dom, id: usize) -> bool {
    dom.descendants(id)
        .into_iter()
        .any(|d| matches!(dom.tag(d), "h1" | "main"))
}

/// Whether a subtree holds an element marked up as the article's body.
fn holds_article_body(dom: &Dom, id: usize) -> bool {
    dom.descendants(id).into_iter().any(|d| {
        dom.elem(d).is_some_and(|e| {
            e.attr("itemprop")
                .is_some_and(|p| p.eq_ignore_ascii_case("articlebody"))
        })
    })
}

/// Whether an element holds only inline content (no block-level child).
fn is_leaf_block(dom: &Dom, id: usize) -> bool {
    dom.nodes[id]
        .children
        .iter()
        .all(|&c| dom.nodes[c].removed || dom.elem(c).is_none_or(|e| !is_block(&e.tag)))
}

fn base_score(dom: &Dom, id: usize, weight_classes: bool) -> f64 {
    let tag_score = match dom.tag(id) {
        "div" | "article" | "main" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    tag_score
        + if weight_classes {
            class_weight(dom, id)
        } else {
            0.0
        }
}

/// What the scorer found: the article's top-level nodes in document order.
pub(crate) struct Selection {
    pub nodes: Vec<usize>,
}

/// Readability's paragraph score (1 + commas + a point per 100 characters, at most 3),
/// scaled down for short paragraphs: a hundred table cells of "Name, Place" are a list,
/// not an article.
fn paragraph_score(chars: f64, commas: u32) -> f64 {
    let base = 1.0 + commas as f64 + (chars / 100.0).floor().min(3.0);
    base * (chars / 80.0).min(1.0)
}

/// Scores being accumulated: the total (base + gained) and what text earned.
struct Scores {
    total: Vec<Option<f64>>,
    gained: Vec<f64>,
}

fn add_score(dom: &Dom, scores: &mut Scores, id: usize, amount: f64, weight_classes: bool) {
    if id == 0 || dom.elem(id).is_none() {
        return;
    }
    let s = scores.total[id].get_or_insert_with(|| base_score(dom, id, weight_classes));
    *s += amount;
    scores.gained[id] += amount;
}

/// Score the live tree and pick the article.
pub(crate) fn select(dom: &Dom, stats: &[Stats], weight_classes: bool) -> Option<Selection> {
    let n = dom.nodes.len();
    let mut scores = Scores {
        total: vec![None; n],
        gained: vec![0.0; n],
    };
    let body = dom.find_all("body").first().copied().unwrap_or(0);

    for id in 1..n {
        if dom.nodes[id].removed {
            continue;
        }
        let Some(e) = dom.elem(id) else { continue };
        let tag = e.tag.as_str();
        if !is_block(tag) || matches!(tag, "body" | "html" | "head" | "#root") {
            continue;
        }
        if is_leaf_block(dom, id) {
            // A paragraph: its ancestors gain its score.
            if !matches!(
                tag,
                "p" | "td"
                    | "pre"
                    | "div"
                    | "section"
                    | "article"
                    | "center"
                    | "blockquote"
                    | "h2"
                    | "h3"
                    | "h4"
                    | "h5"
                    | "h6"
                    | "font"
                    | "dd"
                    | "main"
            ) {
                continue;
            }
            let s = stats[id];
            let own = s.chars - s.link_chars;
            if s.chars < 25.0 || own < 12.0 {
                continue;
            }
            // A block of many short lines (`Name, Affiliation<br>` a hundred times) is
            // a list: its commas separate fields, not clauses.
            let factor = if is_line_list(&line_lengths(dom, id)) {
                LINE_LIST_FACTOR
            } else {
                1.0
            };
            let score = paragraph_score(s.chars, s.commas) * factor;
            if score > 0.0 {
                spread(dom, &mut scores, id, score, 0, weight_classes);
            }
        } else {
            // Mixed content: runs of inline text directly inside act as paragraphs of
            // this element (gov pages often put the body as text + <br> in a div/td).
            let runs = inline_runs(dom, stats, id);
            if runs.iter().all(|&(len, _)| len < 25.0) {
                continue;
            }
            let factor = if is_line_list(&line_lengths(dom, id)) {
                LINE_LIST_FACTOR
            } else {
                1.0
            };
            for &(len, commas) in &runs {
                if len >= 25.0 {
                    let score = paragraph_score(len, commas) * factor;
                    spread(dom, &mut scores, id, score, 1, weight_classes);
                }
            }
        }
    }

    // Final scores discount link-heavy containers, and small ones: a comment box with
    // a promising class name must not beat an article of real length.
    let mut candidates: Vec<(usize, f64)> = Vec::new();
    for (id, s) in scores.total.iter_mut().enumerate() {
        if let Some(v) = s {
            // A class name alone cannot outweigh the text that earned the score.
            if weight_classes {
                let excess = class_weight(dom, id) - scores.gained[id];
                if excess > 0.0 {
                    *v -= excess;
                }
            }
            *v *= 1.0 - stats[id].link_density();
            // Only the choice of the top candidate weighs mass; siblings and parents
            // are compared on the plain score.
            let own = stats[id].chars - stats[id].link_chars;
            let mass = (own / 400.0).sqrt().min(1.0);
            candidates.push((id, *v * mass));
        }
    }
    let scores = scores.total;
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
    let &(mut top, top_massed) = candidates.first()?;
    let top_score = scores[top].unwrap_or(top_massed);
    if top_score <= 0.0 {
        return None;
    }

    // Several near-equal candidates sharing an ancestor: the ancestor is the article
    // (content split into sibling blocks).
    let alternatives: Vec<usize> = candidates
        .iter()
        .skip(1)
        .take(4)
        .filter(|(_, s)| *s >= top_massed * 0.75)
        .map(|(id, _)| *id)
        .collect();
    if alternatives.len() >= 3 {
        for anc in dom.ancestors(top).collect::<Vec<_>>() {
            if anc == body || dom.tag(anc) == "html" {
                break;
            }
            let inside = alternatives
                .iter()
                .filter(|&&a| dom.ancestors(a).any(|x| x == anc))
                .count();
            if inside >= 3 {
                top = anc;
                break;
            }
        }
    }

    // The text split into two near-equal containers (a lead block and the body, two
    // rows of a grid): their close common ancestor is the article.
    let is_ancestor = |a: usize, b: usize| dom.ancestors(b).any(|x| x == a);
    if let Some(&(alt, _)) = candidates.iter().skip(1).take(6).find(|&&(c, s)| {
        s >= top_massed * 0.45 && c != top && !is_ancestor(c, top) && !is_ancestor(top, c)
    }) {
        let top_chain: Vec<usize> = dom.ancestors(top).take(4).collect();
        if let Some(common) = dom.ancestors(alt).take(4).find(|a| top_chain.contains(a))
            && common != body
            && stats[common].link_density() < 0.3
        {
            top = common;
        }
    }

    // Climb while the parent scores at least as well (the text spans several children).
    let mut last = scores[top].unwrap_or(0.0);
    let threshold = last / 3.0;
    let mut parent = dom.nodes[top].parent;
    while let Some(p) = parent {
        if p == 0 || p == body || dom.tag(p) == "html" {
            break;
        }
        let Some(ps) = scores[p] else {
            parent = dom.nodes[p].parent;
            continue;
        };
        if ps < threshold {
            break;
        }
        if ps > last {
            top = p;
            break;
        }
        last = ps;
        parent = dom.nodes[p].parent;
    }
    // A lone child is the same content as its parent.
    while let Some(p) = dom.nodes[top].parent {
        if p == 0 || p == body || dom.tag(p) == "html" {
            break;
        }
        let live = dom.nodes[p]
            .children
            .iter()
            .filter(|&&c| !dom.nodes[c].removed && dom.elem(c).is_some())
            .count();
        if live != 1 {
            break;
        }
        top = p;
    }

    // The article printed as a series of like blocks (the steps of a how-to, each a
    // `div.step` with its paragraph and picture): the chosen block, or a near ancestor,
    // is one of three or more siblings sharing its class. The series is the article;
    // the sibling pass below takes the other blocks of that class.
    if let Some(a) = series_member(dom, stats, top, body) {
        top = a;
    }

    // Siblings that belong to the article.
    let top_score = scores[top].unwrap_or(0.0);
    let threshold = (top_score * 0.2).max(10.0);
    let mut nodes = Vec::new();
    let Some(parent) = dom.nodes[top].parent.filter(|&p| p != 0) else {
        return Some(Selection { nodes: vec![top] });
    };
    let top_class = dom.attr(top, "class").unwrap_or("").to_string();
    let mut seen_top = false;
    for &sib in &dom.nodes[parent].children {
        if dom.nodes[sib].removed {
            continue;
        }
        if sib == top {
            nodes.push(sib);
            seen_top = true;
            continue;
        }
        if dom.elem(sib).is_none() {
            continue;
        }
        let mut bonus = 0.0;
        if !top_class.is_empty() && dom.attr(sib, "class") == Some(top_class.as_str()) {
            bonus += top_score * 0.2;
        }
        if let Some(s) = scores[sib]
            && s + bonus >= threshold
        {
            nodes.push(sib);
            continue;
        }
        // A block of the same kind as the article's (its class repeated: the steps of a
        // how-to, the text blocks of a page builder), with text and few links, is more of
        // the article even when too short to score.
        if !top_class.trim().is_empty()
            && dom.attr(sib, "class") == Some(top_class.as_str())
            && stats[sib].chars >= 25.0
            && stats[sib].link_density() < 0.25
        {
            nodes.push(sib);
            continue;
        }
        if matches!(dom.tag(sib), "p") || dom.tag(sib) == "div" && is_leaf_block(dom, sib) {
            let s = stats[sib];
            let ld = s.link_density();
            let text = dom.text(sib);
            let dense = s.chars > 80.0 && ld < 0.25;
            let sentence = s.chars > 0.0
                && s.chars <= 80.0
                && ld == 0.0
                && (text.ends_with('.') || text.ends_with('。') || text.contains(". "));
            if dense || sentence {
                nodes.push(sib);
            }
            continue;
        }
        // A lead before the body (a teaser in the article header): dense text, no
        // links, no boilerplate name.
        let s = stats[sib];
        if !seen_top
            && s.chars >= 100.0
            && s.link_density() < 0.1
            && s.p >= 1
            && class_weight(dom, sib) >= 0.0
        {
            nodes.push(sib);
        }
    }
    Some(Selection {
        nodes: fill_gaps(dom, stats, parent, nodes),
    })
}

/// Runs of inline content directly inside a mixed element, split at its blocks and
/// `<br>`s: (weighted characters less link text, commas) per non-empty run.
fn inline_runs(dom: &Dom, stats: &[Stats], id: usize) -> Vec<(f64, u32)> {
    let mut runs = Vec::new();
    let (mut len, mut commas) = (0.0, 0);
    for &c in &dom.nodes[id].children {
        if dom.nodes[c].removed {
            continue;
        }
        match &dom.nodes[c].data {
            Data::Text(_) => {
                len += stats[c].chars;
                commas += stats[c].commas;
            }
            Data::Element(ce) if !is_block(&ce.tag) && ce.tag != "br" => {
                len += stats[c].chars - stats[c].link_chars;
                commas += stats[c].commas;
            }
            _ => {
                if len > 0.0 {
                    runs.push((len, commas));
                }
                (len, commas) = (0.0, 0);
            }
        }
    }
    if len > 0.0 {
        runs.push((len, commas));
    }
    runs
}

/// The lines of an element's own text as a reader sees them: split at `<br>`s (at any
/// depth of inline markup) and at block children, whose text is theirs, not this
/// element's; the weighted length of each non-empty line. Each node is visited by its
/// nearest block ancestor only, so calling this for every block stays linear.
fn line_lengths(dom: &Dom, id: usize) -> Vec<f64> {
    let mut lines = Vec::new();
    let mut len = 0.0;
    let mut stack: Vec<usize> = dom.nodes[id].children.iter().rev().copied().collect();
    while let Some(d) = stack.pop() {
        let node = &dom.nodes[d];
        if node.removed {
            continue;
        }
        let breaks = match &node.data {
            Data::Text(_) => {
                len += node.weight.0;
                false
            }
            Data::Element(e) if e.tag == "br" || is_block(&e.tag) => true,
            Data::Element(_) => {
                stack.extend(node.children.iter().rev());
                false
            }
        };
        if breaks && len > 0.0 {
            lines.push(len);
            len = 0.0;
        }
    }
    if len > 0.0 {
        lines.push(len);
    }
    lines
}

/// Lines shorter than this (weighted characters) are entries of a list, not sentences.
const LIST_LINE: f64 = 60.0;
/// What a run of a line-by-line list earns, against a paragraph of the same length.
const LINE_LIST_FACTOR: f64 = 0.25;

/// Whether an element's lines are a list printed line by line (`Name,
/// Affiliation<br>` a hundred times under an open letter, an address block): at least
/// ten lines, nearly all short. Their commas separate fields, not clauses, so they must
/// not outscore the prose around them.
fn is_line_list(lines: &[f64]) -> bool {
    let short = lines.iter().filter(|&&len| len < LIST_LINE).count();
    lines.len() >= 10 && short * 10 >= lines.len() * 8
}

/// `top` or one of its three nearest ancestors when it is one of a series: at least two
/// siblings carry its exact class, each with text and few links.
fn series_member(dom: &Dom, stats: &[Stats], top: usize, body: usize) -> Option<usize> {
    std::iter::once(top)
        .chain(dom.ancestors(top).take(3))
        .take_while(|&a| a != body && !matches!(dom.tag(a), "body" | "html"))
        .find(|&a| {
            let Some(class) = dom.attr(a, "class").filter(|c| !c.trim().is_empty()) else {
                return false;
            };
            let Some(parent) = dom.nodes[a].parent else {
                return false;
            };
            if class_weight(dom, a) < 0.0 {
                return false;
            }
            let like = dom.nodes[parent]
                .children
                .iter()
                .filter(|&&s| {
                    s != a
                        && !dom.nodes[s].removed
                        && dom.attr(s, "class") == Some(class)
                        && stats[s].chars >= 25.0
                        && stats[s].link_density() < 0.25
                })
                .count();
            like >= 2
        })
}

/// Blocks lying between two parts of the article are part of it too (a list, a
/// subheading, a short line between paragraphs), unless they are links or say they are
/// furniture.
fn fill_gaps(dom: &Dom, stats: &[Stats], parent: usize, nodes: Vec<usize>) -> Vec<usize> {
    let (Some(&first), Some(&last)) = (nodes.first(), nodes.last()) else {
        return nodes;
    };
    if first == last {
        return nodes;
    }
    // Both lists are in document order: walk them together.
    let mut out = Vec::with_capacity(nodes.len());
    let mut next = nodes.iter().copied().peekable();
    let mut inside = false;
    for &c in &dom.nodes[parent].children {
        if c == first {
            inside = true;
        }
        if next.peek() == Some(&c) {
            next.next();
            out.push(c);
        } else if inside
            && !dom.nodes[c].removed
            && dom.elem(c).is_some()
            && stats[c].chars > 0.0
            && stats[c].link_density() < 0.3
            && class_weight(dom, c) >= 0.0
            && !NOT_TEXT.is_match(&dom.class_id(c))
        {
            out.push(c);
        }
        if c == last {
            break;
        }
    }
    out
}

fn spread(
    dom: &Dom,
    scores: &mut Scores,
    id: usize,
    score: f64,
    start_level: usize,
    weight_classes: bool,
) {
    // Level 0 is the paragraph's parent (or the mixed element itself).
    let mut chain: Vec<usize> = Vec::with_capacity(5);
    if start_level == 1 {
        chain.push(id);
    }
    for a in dom.ancestors(id) {
        if chain.len() >= 5 {
            break;
        }
        chain.push(a);
    }
    for (level, &a) in chain.iter().enumerate() {
        if dom.tag(a) == "html" {
            break;
        }
        let divider = match level {
            0 => 1.0,
            1 => 2.0,
            l => l as f64 * 3.0,
        };
        add_score(dom, scores, a, score / divider, weight_classes);
    }
}

/// Remove link-heavy or list-like blocks inside the article (readability's
/// "clean conditionally"): navigation boxes, related-link lists, tag clouds.
pub(crate) fn clean_conditionally(dom: &mut Dom, stats: &[Stats], roots: &[usize]) {
    for &root in roots {
        for id in dom.descendants(root) {
            if dom.is_removed(id) {
                continue;
            }
            // A box about the writer (photo, bio, links) printed inside the article.
            if stats[id].chars < 1500.0 && AUTHOR_BOX.is_match(&dom.class_id(id)) {
                dom.nodes[id].removed = true;
                continue;
            }
            let tag = dom.tag(id).to_string();
            if !matches!(
                tag.as_str(),
                "table" | "ul" | "ol" | "div" | "section" | "form" | "fieldset" | "dl" | "center"
            ) {
                continue;
            }
            if tag == "table" && is_data_table(dom, id) {
                continue;
            }
            if should_remove(dom, stats, id, &tag) {
                dom.nodes[id].removed = true;
            }
        }
    }
}

fn is_data_table(dom: &Dom, id: usize) -> bool {
    let d = dom.descendants(id);
    let mut rows = 0;
    let mut th = false;
    let mut nested = false;
    for &n in &d {
        match dom.tag(n) {
            "tr" => rows += 1,
            "th" | "caption" | "thead" => th = true,
            "table" => nested = true,
            _ => {}
        }
    }
    !nested && (th || rows >= 3)
}

fn should_remove(dom: &Dom, stats: &[Stats], id: usize, tag: &str) -> bool {
    let s = stats[id];

    let weight = class_weight(dom, id);
    if weight < 0.0 && s.chars < 200.0 {
        return true;
    }
    if s.commas >= 10 {
        return false;
    }
    let is_list = matches!(tag, "ul" | "ol" | "dl");
    let ld = s.link_density();
    let content_len = s.chars;
    let p = s.p as f64;
    let img = s.img as f64;
    let li = s.li as f64;
    if img > 1.0 && p / img < 0.5 && content_len < 100.0 {
        return true;
    }
    if !is_list && li > p + 2.0 && ld > 0.3 {
        return true;
    }
    if !is_list && content_len < 25.0 && (img == 0.0 || img > 2.0) && ld > 0.0 {
        return true;
    }
    if is_list && ld > 0.5 && content_len < 1000.0 {
        return true;
    }
    if weight < 25.0 && ld > 0.35 && content_len < 600.0 {
        return true;
    }
    if weight >= 25.0 && ld > 0.5 {
        return true;
    }
    false
}

/// Weighted characters of other text allowed between a lead and the body (the headline,
/// a byline, a date line).
const LEAD_GAP: f64 = 300.0;

/// The lead printed just above the body, outside the container chosen as the article: a
/// block marked as a lead or teaser (`p.lead`, `div.article-intro`, `h2.subtitle`) with
/// text and few links, before `first` and close to it (under one of its near ancestors,
/// with little other text in between). News sites print the standfirst in the article's
/// header and the body in a separate block.
pub(crate) fn lead(dom: &Dom, stats: &[Stats], first: usize) -> Option<usize> {
    let chain: Vec<usize> = dom.ancestors(first).take(4).collect();
    let scope = chain
        .iter()
        .copied()
        .take_while(|&a| !matches!(dom.tag(a), "body" | "html"))
        .last()?;
    let acceptable = |id: usize| {
        let s = stats[id];
        !dom.nodes[id].removed
            && !chain.contains(&id)
            && !matches!(
                dom.tag(id),
                "a" | "h1" | "li" | "ul" | "ol" | "table" | "tr" | "td" | "figure" | "figcaption"
            )
            && (40.0..=1500.0).contains(&s.chars)
            && s.link_density() < 0.3
            && s.img == 0
            && {
                let ci = dom.class_id(id);
                LEAD.is_match(&ci) && !NOT_TEXT.is_match(&ci)
            }
    };
    // Text met walking back from the body, the candidate's own text included (its text
    // nodes come after it in document order, so they are met first).
    let mut seen = 0.0;
    let mut id = first;
    while id > scope + 1 {
        id -= 1;
        if dom.nodes[id].removed {
            continue;
        }
        if dom.elem(id).is_none() {
            seen += stats[id].chars;
            continue;
        }
        if !acceptable(id) {
            continue;
        }
        if seen - stats[id].chars > LEAD_GAP {
            return None;
        }
        // The outermost marked block (`div.intro > p.lead`).
        let mut lead = id;
        while let Some(p) = dom.nodes[lead].parent {
            if p <= scope || !acceptable(p) {
                break;
            }
            lead = p;
        }
        return (!dom.is_removed(lead)).then_some(lead);
    }
    None
}
