//! A compact arena copy of the parsed page, built for extraction: indices instead of
//! reference-counted nodes, a removal flag per node, bounded depth and size.
//!
//! Nodes are stored in document (pre-)order, so every child has a larger index than
//! its parent: bottom-up passes are a reverse loop over the vector.

use crate::text::{fold_whitespace, is_block};
use scraper::{Html, Node as HtmlNode};

/// Elements deeper than this are flattened into their ancestor at this depth: every
/// recursive pass over the arena is then bounded, whatever the page does.
const MAX_DEPTH: usize = 160;
/// A page with more nodes than this is cut: no article needs them, and memory stays bounded.
const MAX_NODES: usize = 250_000;

/// Elements dropped while copying: never content, and some (scripts) would pollute text.
/// Ruby annotations (`<rt>`, `<rp>`: the reading printed over 子 in 子こども) would
/// double the text they gloss.
const SKIPPED: &[&str] = &[
    "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas",
    "select", "option", "textarea", "button", "input", "link", "video", "audio", "map", "frameset",
    "frame", "dialog", "rt", "rp",
];

/// Attributes extraction looks at; the rest are dropped.
const KEPT_ATTRS: &[&str] = &[
    "id",
    "class",
    "href",
    "src",
    "data-src",
    "data-original",
    "data-lazy-src",
    "alt",
    "style",
    "hidden",
    "aria-hidden",
    "role",
    "datetime",
    "itemprop",
    "rel",
    "name",
    "property",
    "content",
    "type",
    "http-equiv",
    "colspan",
    "rowspan",
];

#[derive(Debug)]
pub(crate) enum Data {
    Element(Elem),
    Text(String),
}

#[derive(Debug)]
pub(crate) struct Elem {
    /// Lower-case local name.
    pub tag: String,
    pub attrs: Vec<(&'static str, String)>,
}

impl Elem {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
pub(crate) struct Node {
    pub data: Data,
    /// For text: weighted length and comma count (see `content::weighted_len`),
    /// computed once since every pass needs them.
    pub weight: (f64, u32),
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub removed: bool,
}

#[derive(Debug)]
pub(crate) struct Dom {
    pub nodes: Vec<Node>,
}

impl Dom {
    /// Copy a parsed document into the arena. Node 0 is the document root.
    pub fn from_html(html: &Html) -> Dom {
        let mut nodes = vec![Node {
            data: Data::Element(Elem {
                tag: "#root".into(),
                attrs: Vec::new(),
            }),
            parent: None,
            children: Vec::new(),
            removed: false,
            weight: (0.0, 0),
        }];
        // (node in the html tree, arena parent, depth)
        let mut stack = Vec::new();
        for child in html.tree.root().children().rev() {
            stack.push((child, 0usize, 1usize));
        }
        while let Some((node, parent, depth)) = stack.pop() {
            if nodes.len() >= MAX_NODES {
                break;
            }
            let data = match node.value() {
                HtmlNode::Text(t) => Data::Text(t.text.to_string()),
                HtmlNode::Element(e) => {
                    let tag = e.name().to_ascii_lowercase();
                    if SKIPPED.contains(&tag.as_str()) {
                        continue;
                    }
                    if tag == "script" {
                        // Only JSON-LD is worth keeping (metadata); other scripts are noise.
                        let is_ld = e
                            .attr("type")
                            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
                        if !is_ld {
                            continue;
                        }
                    }
                    let mut attrs = Vec::new();
                    for (name, value) in e.attrs() {
                        if let Some(k) = KEPT_ATTRS.iter().find(|k| k.eq_ignore_ascii_case(name)) {
                            attrs.push((*k, value.to_string()));
                        }
                    }
                    Data::Element(Elem { tag, attrs })
                }
                _ => continue,
            };
            let is_element = matches!(data, Data::Element(_));
            let weight = match &data {
                Data::Text(t) => super::content::weighted_len(t),
                Data::Element(_) => (0.0, 0),
            };
            let id = nodes.len();
            nodes.push(Node {
                data,
                parent: Some(parent),
                children: Vec::new(),
                removed: false,
                weight,
            });
            nodes[parent].children.push(id);
            if is_element {
                // Past the depth cap, children become siblings of their parent: the
                // tree stops growing deeper and keeps all its text.
                let (child_parent, child_depth) = if depth >= MAX_DEPTH {
                    (parent, depth)
                } else {
                    (id, depth + 1)
                };
                for child in node.children().rev() {
                    stack.push((child, child_parent, child_depth));
                }
            }
        }
        Dom { nodes }
    }

    pub fn elem(&self, id: usize) -> Option<&Elem> {
        match &self.nodes[id].data {
            Data::Element(e) => Some(e),
            Data::Text(_) => None,
        }
    }

    pub fn tag(&self, id: usize) -> &str {
        self.elem(id).map_or("", |e| e.tag.as_str())
    }

    pub fn attr(&self, id: usize, name: &str) -> Option<&str> {
        self.elem(id).and_then(|e| e.attr(name))
    }

    /// `class` and `id` together, lower-cased: what the class-name heuristics read.
    pub fn class_id(&self, id: usize) -> String {
        let Some(e) = self.elem(id) else {
            return String::new();
        };
        let mut s = String::new();
        for k in ["class", "id"] {
            if let Some(v) = e.attr(k) {
                s.push_str(&v.to_ascii_lowercase());
                s.push(' ');
            }
        }
        s
    }

    /// Whether `id` or one of its ancestors is removed.
    pub fn is_removed(&self, mut id: usize) -> bool {
        loop {
            if self.nodes[id].removed {
                return true;
            }
            match self.nodes[id].parent {
                Some(p) => id = p,
                None => return false,
            }
        }
    }

    /// Ancestors of `id`, nearest first (the root excluded).
    pub fn ancestors(&self, id: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.nodes[id].parent, |&p| self.nodes[p].parent).filter(|&p| p != 0)
    }

    /// Live descendants of `id` in document order (not `id` itself).
    pub fn descendants(&self, id: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self.nodes[id].children.iter().rev().copied().collect();
        while let Some(n) = stack.pop() {
            if self.nodes[n].removed {
                continue;
            }
            out.push(n);
            stack.extend(self.nodes[n].children.iter().rev());
        }
        out
    }

    /// The text held directly by an element (a `<script>`'s source), as written.
    pub fn own_text(&self, id: usize) -> String {
        self.nodes[id]
            .children
            .iter()
            .filter_map(|&c| match &self.nodes[c].data {
                Data::Text(t) => Some(t.as_str()),
                Data::Element(_) => None,
            })
            .collect()
    }

    /// The text of a live subtree, whitespace collapsed.
    pub fn text(&self, id: usize) -> String {
        let mut out = String::new();
        self.push_text(id, &mut out);
        fold_whitespace(&out)
    }

    fn push_text(&self, id: usize, out: &mut String) {
        if self.nodes[id].removed {
            return;
        }
        match &self.nodes[id].data {
            Data::Text(t) => out.push_str(t),
            Data::Element(e) => {
                let block = is_block(&e.tag) || e.tag == "br";
                if block {
                    out.push(' ');
                }
                for &c in &self.nodes[id].children {
                    self.push_text(c, out);
                }
                if block {
                    out.push(' ');
                }
            }
        }
    }

    /// Live elements with this tag, in document order.
    pub fn find_all(&self, tag: &str) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.tag(i) == tag && !self.is_removed(i))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_capped() {
        let html = "<div>".repeat(5000) + "x" + &"</div>".repeat(5000);
        let dom = Dom::from_html(&Html::parse_document(&html));
        let deepest = (0..dom.nodes.len())
            .map(|i| dom.ancestors(i).count())
            .max()
            .unwrap_or(0);
        assert!(deepest <= MAX_DEPTH + 1, "depth {deepest}");
        assert!(dom.text(0).contains('x'));
    }

    #[test]
    fn scripts_are_dropped_but_json_ld_kept() {
        let html = r#"<html><head><script>var a = "junk";</script>
            <script type="application/ld+json">{"headline":"H"}</script></head>
            <body><p>text</p></body></html>"#;
        let dom = Dom::from_html(&Html::parse_document(html));
        let t = dom.text(0);
        assert!(!t.contains("junk"));
        assert!(t.contains("headline"));
    }

    #[test]
    fn ruby_readings_are_dropped() {
        let html = "<p><ruby>子<rp>(</rp><rt>こ</rt><rp>)</rp></ruby>どもへの<ruby>虐待<rt>ぎゃくたい</rt></ruby></p>";
        let dom = Dom::from_html(&Html::parse_document(html));
        assert_eq!(crate::text::compact(&dom.text(0)), "子どもへの虐待");
    }
}
