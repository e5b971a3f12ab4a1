//! The chosen nodes → clean HTML (a small tag set, absolute `src`/`href`, no other
//! attributes) and plain text (one paragraph per line).

use super::content::Stats;
use super::dom::{Data, Dom};
use crate::text::escape_html_into as escape;
use crate::text::{fold_whitespace, is_block};
use regex::Regex;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;
use url::Url;

pub(crate) struct Rendered {
    pub html: String,
    pub text: String,
}

/// Render the article roots in order.
pub(crate) fn render(dom: &Dom, stats: &[Stats], roots: &[usize], base: &Url) -> Rendered {
    let mut r = Renderer {
        dom,
        stats,
        base,
        html: String::new(),
        text: TextOut::default(),
        tables: std::collections::HashMap::new(),
        open_tables: 0,
    };
    for &root in roots {
        // A table part chosen on its own (a layout cell) is written without table
        // markup: rows and cells are kept only inside a data table being written.
        r.node(root);
    }
    r.text.newline();
    Rendered {
        html: nfc(tidy(&r.html)),
        text: nfc(r.text.finish()),
    }
}

/// Text in Unicode's composed form (NFC): pages write `ü` as one character or as `u` and
/// a combining mark, and Bengali `য়` either way; both must read, search and filter alike.
fn nfc(s: String) -> String {
    if unicode_normalization::is_nfc(&s) {
        s
    } else {
        s.nfc().collect()
    }
}

/// Whitespace at the edges of blocks is noise from the page's indentation.
fn tidy(html: &str) -> String {
    static OPEN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(<(?:p|li|td|th|h2|h3|h4|blockquote|figcaption|dt|dd|pre)>|<br>)\s+")
            .expect("static regex")
    });
    static CLOSE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\s+(</(?:p|li|td|th|h2|h3|h4|blockquote|figcaption|dt|dd)>|<br>)")
            .expect("static regex")
    });
    static BETWEEN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(</(?:p|li|tr|table|ul|ol|h2|h3|h4|blockquote|figure|dl|pre)>)\s*")
            .expect("static regex")
    });
    let html = OPEN.replace_all(html, "$1");
    let html = CLOSE.replace_all(&html, "$1");
    let html = BETWEEN.replace_all(&html, "$1\n");
    html.trim().to_string()
}

#[derive(Default)]
struct TextOut {
    lines: Vec<String>,
    line: String,
}

impl TextOut {
    fn push(&mut self, s: &str) {
        let starts_ws = s.starts_with(|c: char| c.is_whitespace() || c == '\u{a0}');
        let ends_ws = s.ends_with(|c: char| c.is_whitespace() || c == '\u{a0}');
        let t = fold_whitespace(s);
        if t.is_empty() {
            if starts_ws && !self.line.is_empty() && !self.line.ends_with(' ') {
                self.line.push(' ');
            }
            return;
        }
        if starts_ws && !self.line.is_empty() && !self.line.ends_with(' ') {
            self.line.push(' ');
        }
        self.line.push_str(&t);
        if ends_ws {
            self.line.push(' ');
        }
    }

    fn space(&mut self) {
        if !self.line.is_empty() && !self.line.ends_with(' ') {
            self.line.push(' ');
        }
    }

    fn newline(&mut self) {
        let l = self.line.trim();
        if !l.is_empty() {
            self.lines.push(l.to_string());
        }
        self.line.clear();
    }

    fn finish(self) -> String {
        self.lines.join("\n")
    }
}

struct Renderer<'a> {
    dom: &'a Dom,
    stats: &'a [Stats],
    base: &'a Url,
    html: String,
    text: TextOut,
    /// Whether each table met so far holds data (memoised: rows ask for their table).
    tables: std::collections::HashMap<usize, bool>,
    /// Data tables being written: rows and cells are kept only inside one.
    open_tables: usize,
}

impl Renderer<'_> {
    fn absolute(&self, link: &str) -> Option<String> {
        let link = link.trim();
        if link.is_empty() || link.starts_with('#') {
            return None;
        }
        let u = self.base.join(link).ok()?;
        matches!(u.scheme(), "http" | "https" | "mailto" | "ftp").then(|| u.to_string())
    }

    fn children(&mut self, id: usize) {
        for &c in &self.dom.nodes[id].children {
            self.node(c);
        }
    }

    fn wrap(&mut self, tag: &str, id: usize) {
        self.html.push('<');
        self.html.push_str(tag);
        self.html.push('>');
        self.children(id);
        self.html.push_str("</");
        self.html.push_str(tag);
        self.html.push('>');
    }

    fn node(&mut self, id: usize) {
        let node = &self.dom.nodes[id];
        if node.removed {
            return;
        }
        let e = match &node.data {
            Data::Text(t) => {
                escape(&collapse_text(t), &mut self.html);
                self.text.push(t);
                return;
            }
            Data::Element(e) => e,
        };
        let tag = e.tag.as_str();
        if tag == "br" {
            self.html.push_str("<br>");
            self.text.newline();
            return;
        }
        if tag == "img" {
            self.image(id);
            return;
        }
        if tag == "hr" {
            self.text.newline();
            return;
        }
        let s = self.stats[id];
        if s.chars <= 0.0 && s.img == 0 {
            return;
        }
        // Cells of a data table share their row's line.
        let cell = matches!(tag, "td" | "th") && self.open_tables > 0;
        let block = is_block(tag) && !cell;
        if block {
            self.text.newline();
        }
        match tag {
            "h1" | "h2" => self.wrap("h2", id),
            "h3" => self.wrap("h3", id),
            "h4" | "h5" | "h6" => self.wrap("h4", id),
            "ul" | "ol" | "li" | "blockquote" | "pre" | "figure" | "figcaption" | "dl" | "dt"
            | "dd" | "strong" | "em" | "b" | "i" | "sub" | "sup" | "code" => self.wrap(tag, id),
            "table" if self.data_table(id) => {
                self.open_tables += 1;
                self.wrap("table", id);
                self.open_tables -= 1;
            }
            "thead" | "tbody" | "tfoot" | "tr" if self.open_tables > 0 => self.wrap(tag, id),
            "td" | "th" if self.open_tables > 0 => {
                self.wrap(tag, id);
                self.text.space();
                return;
            }
            "a" => match e.attr("href").and_then(|h| self.absolute(h)) {
                Some(href) => {
                    self.html.push_str("<a href=\"");
                    escape(&href, &mut self.html);
                    self.html.push_str("\">");
                    self.children(id);
                    self.html.push_str("</a>");
                }
                None => self.children(id),
            },
            _ if block && only_inline(self.dom, id) => self.wrap("p", id),
            _ => self.children(id),
        }
        if block {
            self.text.newline();
        }
    }

    fn data_table(&mut self, table: usize) -> bool {
        let dom = self.dom;
        *self
            .tables
            .entry(table)
            .or_insert_with(|| is_data_table(dom, table))
    }

    fn image(&mut self, id: usize) {
        let Some(e) = self.dom.elem(id) else { return };
        let src = ["data-src", "data-original", "data-lazy-src", "src"]
            .iter()
            .filter_map(|k| e.attr(k))
            .find(|v| !v.trim().is_empty() && !v.trim_start().starts_with("data:"));
        let Some(src) = src.and_then(|s| self.absolute(s)) else {
            return;
        };
        self.html.push_str("<img src=\"");
        escape(&src, &mut self.html);
        self.html.push('"');
        if let Some(alt) = e.attr("alt").map(str::trim).filter(|a| !a.is_empty()) {
            self.html.push_str(" alt=\"");
            escape(alt, &mut self.html);
            self.html.push('"');
        }
        self.html.push('>');
    }
}

/// HTML text with runs of whitespace collapsed (keeping a single edge space).
fn collapse_text(t: &str) -> String {
    let inner = fold_whitespace(t);
    let lead = t.starts_with(|c: char| c.is_whitespace()) && !inner.is_empty();
    let trail = t.ends_with(|c: char| c.is_whitespace()) && !inner.is_empty();
    let mut s = String::with_capacity(inner.len() + 2);
    if lead {
        s.push(' ');
    }
    s.push_str(&inner);
    if trail {
        s.push(' ');
    }
    if inner.is_empty() && !t.is_empty() {
        s.push(' ');
    }
    s
}

fn only_inline(dom: &Dom, id: usize) -> bool {
    dom.nodes[id]
        .children
        .iter()
        .all(|&c| dom.nodes[c].removed || dom.elem(c).is_none_or(|e| !is_block(&e.tag)))
}

/// A table of data (headers, or rows of several cells, no nested tables) rather than
/// layout.
pub(crate) fn is_data_table(dom: &Dom, id: usize) -> bool {
    let mut rows = 0;
    let mut widest = 0;
    let mut header = false;
    let mut stack = dom.nodes[id].children.clone();
    while let Some(n) = stack.pop() {
        match dom.tag(n) {
            "table" => return false,
            "tr" => {
                rows += 1;
                let cells = dom.nodes[n]
                    .children
                    .iter()
                    .filter(|&&c| matches!(dom.tag(c), "td" | "th"))
                    .count();
                widest = widest.max(cells);
            }
            "th" | "caption" | "thead" => header = true,
            _ => {}
        }
        stack.extend(&dom.nodes[n].children);
    }
    // One cell per row is layout (a column of blocks), not data.
    header || rows >= 2 && widest >= 2
}
