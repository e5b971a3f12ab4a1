//! A forgiving XML reader for feeds: text in, a tree of elements out.
//!
//! Real feeds are often not well-formed XML: HTML entities that XML does not declare
//! (`&nbsp;`, `&mdash;`), bare `&` in URLs and titles, a stray `<`, unclosed or
//! mis-nested tags, a document cut off mid-way. A strict parser rejects the whole feed
//! for one such byte; this reader keeps going the way a browser would, so that the
//! entries before and after the damage still come out. Namespaces are resolved (the
//! mapping code matches on namespace URIs, not prefixes) and `xml:base` is tracked per
//! element.
//!
//! A [`Sink`] may take elements of the document's root as they close (a feed's
//! entries, converted one at a time), so that a feed of 100,000 entries never stands
//! as a tree of 100,000 subtrees: memory follows what the caller keeps, not the
//! document.

use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;
use url::Url;

pub(super) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Elements nested deeper than this are skipped (their text still counts). No feed
/// needs it, and a hostile body of a million nested tags would otherwise exhaust the
/// stack when the tree is dropped.
const MAX_DEPTH: usize = 256;

/// Longest value kept for an entity declared in the document's DTD.
const MAX_ENTITY_LEN: usize = 64;

/// An element with its resolved namespace, attributes, child elements and text.
#[derive(Debug, Default)]
pub(super) struct Node {
    /// Namespace URI ("" when none is in scope).
    pub ns: String,
    /// Local name (without prefix).
    pub name: String,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
    /// The element's own text (not its descendants'), entities decoded, CDATA unwrapped.
    pub text: String,
    /// Byte range of the element's content (between its start and end tags) in the
    /// source, for content that is markup (unescaped XHTML inside a description).
    pub inner: Range<usize>,
    /// The base URL in effect for this element (`xml:base`, inherited): shared with
    /// the parent's unless the element sets its own.
    pub base: Option<Rc<Url>>,
}

#[derive(Debug)]
pub(super) struct Attr {
    pub ns: String,
    pub name: String,
    pub value: String,
}

impl Node {
    pub fn is(&self, ns: &[&str], name: &str) -> bool {
        self.name == name && ns.contains(&self.ns.as_str())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name && (a.ns.is_empty() || a.ns == self.ns))
            .map(|a| a.value.as_str())
    }

    pub fn attr_ns(&self, ns: &str, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name && a.ns == ns)
            .map(|a| a.value.as_str())
    }

    /// The first child with this name in one of these namespaces.
    pub fn child(&self, ns: &[&str], name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// The text of all descendants, in document order.
    pub fn deep_text(&self, source: &str) -> String {
        if self.children.is_empty() {
            return self.text.clone();
        }
        super::html::to_text(&self.inner_markup(source))
    }

    /// The element's content as markup: its text when it has no child elements (an
    /// escaped HTML description), else its source between the tags (inline XHTML).
    pub fn inner_markup(&self, source: &str) -> String {
        if self.children.is_empty() {
            return self.text.clone();
        }
        let raw = source.get(self.inner.clone()).unwrap_or_default();
        raw.replace("<![CDATA[", "").replace("]]>", "")
    }
}

/// Parse `source` into its root element, or `None` when there is no element at all.
/// `base` is the document's own URL, against which `xml:base` and links resolve.
/// When junk precedes the document (`<br/><rss …>`), the first root with a feed's
/// name is the root.
pub(super) fn parse(source: &str, base: Option<&Url>) -> Option<Node> {
    parse_into(source, base, &mut KeepAll)
}

/// [`parse`], offering `sink` every child and grandchild of the root as it closes
/// (see [`Sink`]); what the sink takes is not in the tree returned.
pub(super) fn parse_into(source: &str, base: Option<&Url>, sink: &mut dyn Sink) -> Option<Node> {
    let mut reader = Reader {
        src: source,
        base: base.cloned().map(Rc::new),
        pos: 0,
        stack: Vec::new(),
        roots: Vec::new(),
        entities: HashMap::new(),
        sink,
        feed_root_closed: false,
    };
    reader.run();
    let mut roots = reader.roots;
    let feed_root = roots
        .iter()
        .position(|r| is_feed_root_name(&r.name))
        .unwrap_or(0);
    (feed_root < roots.len()).then(|| roots.swap_remove(feed_root))
}

/// The names a feed's root element has; the first root with one of them is the
/// document's root.
fn is_feed_root_name(name: &str) -> bool {
    ["rss", "rdf", "feed", "channel", "entry"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
}

/// Takes elements out of the tree while the document is read.
pub(super) trait Sink {
    /// `node` has just closed, at `depth` 1 (a child of `root`, and `parent` is `root`)
    /// or 2 (a child of `parent`, a child of `root`), inside the root element that will
    /// be the document's root (the first with a feed's name). `root` and `parent` are
    /// still open: they hold their attributes and the children that closed before
    /// `node`, not what follows. Return the node to keep it in the tree; `None` when
    /// the sink has taken it.
    fn closed(&mut self, depth: usize, root: &Node, parent: &Node, node: Node) -> Option<Node>;
}

/// The sink that takes nothing: the whole tree.
struct KeepAll;

impl Sink for KeepAll {
    fn closed(&mut self, _: usize, _: &Node, _: &Node, node: Node) -> Option<Node> {
        Some(node)
    }
}

struct Open {
    node: Node,
    qname: String,
    /// Namespace declarations made on this element: (prefix, uri).
    scope: Vec<(String, String)>,
}

struct Reader<'a> {
    src: &'a str,
    base: Option<Rc<Url>>,
    pos: usize,
    stack: Vec<Open>,
    roots: Vec<Node>,
    /// Entities declared in the document's internal DTD subset.
    entities: HashMap<String, String>,
    sink: &'a mut dyn Sink,
    /// Whether a root with a feed's name has closed (a later one is not the document's
    /// root, so the sink is not offered its elements).
    feed_root_closed: bool,
}

impl Reader<'_> {
    fn run(&mut self) {
        while self.pos < self.src.len() {
            let rest = &self.src[self.pos..];
            let Some(lt) = rest.find('<') else {
                self.text(self.pos, self.src.len());
                break;
            };
            self.text(self.pos, self.pos + lt);
            self.markup();
        }
        // A document cut off mid-way: close what is open, keeping the entries read.
        let end = self.src.len();
        while !self.stack.is_empty() {
            self.close_top(end);
        }
    }

    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    /// Handle the markup at `self.pos` (which is at a `<`).
    fn markup(&mut self) {
        let rest = self.rest();
        if rest.starts_with("<!--") {
            self.skip_past("-->", 4);
        } else if rest.starts_with("<![CDATA[") {
            let start = self.pos + 9;
            let end = self.src[start..]
                .find("]]>")
                .map_or(self.src.len(), |e| start + e);
            if let Some(top) = self.stack.last_mut() {
                top.node.text.push_str(&self.src[start..end]);
            }
            self.pos = (end + 3).min(self.src.len());
        } else if rest.starts_with("<?") {
            self.skip_past("?>", 2);
        } else if rest.starts_with("<!") {
            self.doctype();
        } else if rest.starts_with("</") {
            self.end_tag();
        } else if rest[1..].starts_with(|c: char| c.is_alphabetic() || c == '_' || c == ':') {
            self.start_tag();
        } else {
            // A lone `<` in text ("a < b"): keep it as text.
            self.text(self.pos, self.pos + 1);
        }
    }

    fn skip_past(&mut self, end: &str, from: usize) {
        self.pos = match self.src[self.pos + from..].find(end) {
            Some(e) => self.pos + from + e + end.len(),
            None => self.src.len(),
        };
    }

    /// `<!DOCTYPE …>` with an optional internal subset, whose `<!ENTITY name "value">`
    /// declarations are kept.
    fn doctype(&mut self) {
        let src = self.src;
        let rest = &src[self.pos..];
        // Only a `[` before the first `>` opens an internal subset; looking further
        // would rescan the document for every stray `<!x>`.
        let end = match rest.find('>') {
            Some(gt) => match rest[..gt].find('[') {
                Some(open) => rest[open..]
                    .find(']')
                    .and_then(|close| rest[open + close..].find('>').map(|g| open + close + g))
                    .unwrap_or(rest.len() - 1),
                None => gt,
            },
            None => rest.len() - 1,
        };
        let decl = &rest[..=end.min(rest.len() - 1)];
        for part in decl.split("<!ENTITY").skip(1) {
            let part = part.trim_start();
            let name: String = part.chars().take_while(|c| !c.is_whitespace()).collect();
            let after = part[name.len()..].trim_start();
            // Short values only: a declared entity is expanded at every reference, and
            // a long one referenced many times would multiply the document's size.
            if let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'')
                && let Some(close) = after[1..].find(q)
                && close <= MAX_ENTITY_LEN
            {
                self.entities.insert(name, after[1..=close].to_string());
            }
        }
        self.pos += end + 1;
    }

    fn text(&mut self, start: usize, end: usize) {
        if start == end {
            return;
        }
        let raw = &self.src[start..end];
        if let Some(top) = self.stack.last_mut() {
            let from = top.node.text.len();
            decode_entities_into(raw, &self.entities, &mut top.node.text);
            // C1 control characters in text are Windows-1252 bytes that went through a
            // Latin-1 conversion ("don\u{92}t"); show them as the 1252 characters meant.
            if contains_c1(&top.node.text[from..]) {
                let fixed: String = top.node.text[from..]
                    .chars()
                    .map(|c| {
                        if is_c1(c) {
                            char::from_u32(cp1252_remap(c as u32)).unwrap_or(c)
                        } else {
                            c
                        }
                    })
                    .collect();
                top.node.text.truncate(from);
                top.node.text.push_str(&fixed);
            }
        }
        self.pos = end;
    }

    fn start_tag(&mut self) {
        let start = self.pos;
        let (tag_end, next, self_closing) = find_tag_end(self.src, start + 1);
        let body = &self.src[start + 1..tag_end];
        let body = body.strip_suffix('/').unwrap_or(body);
        let qname_len = body
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(body.len());
        let qname = body[..qname_len].to_string();
        self.pos = next;
        if self.stack.len() >= MAX_DEPTH {
            return;
        }
        let raw_attrs = parse_attrs(&body[qname_len..], &self.entities);

        let scope: Vec<(String, String)> = raw_attrs
            .iter()
            .filter_map(|(name, value)| {
                if name == "xmlns" {
                    Some((String::new(), value.clone()))
                } else {
                    name.strip_prefix("xmlns:")
                        .map(|p| (p.to_string(), value.clone()))
                }
            })
            .collect();
        let mut open = Open {
            node: Node::default(),
            qname,
            scope,
        };
        let (prefix, local) = split_qname(&open.qname);
        open.node.name = local.to_string();
        open.node.ns = self.resolve(&open.scope, prefix);
        for (name, value) in raw_attrs {
            if name == "xmlns" || name.starts_with("xmlns:") {
                continue;
            }
            let (prefix, local) = split_qname(&name);
            let ns = match prefix {
                None => String::new(),
                Some("xml") => XML_NS.to_string(),
                Some(p) => self.resolve(&open.scope, Some(p)),
            };
            open.node.attrs.push(Attr {
                ns,
                name: local.to_string(),
                value,
            });
        }
        let parent_base = match self.stack.last() {
            Some(parent) => parent.node.base.clone(),
            None => self.base.clone(),
        };
        open.node.base = match open.node.attr_ns(XML_NS, "base") {
            Some(b) => resolve_url(parent_base.as_deref(), b)
                .map(Rc::new)
                .or(parent_base),
            None => parent_base,
        };
        open.node.inner = self.pos..self.pos;
        self.stack.push(open);
        if self_closing {
            self.close_top(self.pos);
        }
    }

    fn end_tag(&mut self) {
        let start = self.pos;
        let end = self.src[start..]
            .find('>')
            .map_or(self.src.len(), |e| start + e);
        let qname = self.src[start + 2..end].trim();
        self.pos = (end + 1).min(self.src.len());
        // Close up to the matching element; an end tag that matches nothing open is
        // ignored (mis-nesting such as `<b><i></b></i>`).
        if let Some(depth) = self.stack.iter().rposition(|o| o.qname == qname) {
            while self.stack.len() > depth + 1 {
                self.close_top(start);
            }
            self.close_top(start);
        }
    }

    fn close_top(&mut self, inner_end: usize) {
        let Some(mut open) = self.stack.pop() else {
            return;
        };
        open.node.inner.end = inner_end.max(open.node.inner.start);
        let mut node = open.node;
        let depth = self.stack.len();
        if (depth == 1 || depth == 2)
            && !self.feed_root_closed
            && is_feed_root_name(&self.stack[0].node.name)
        {
            let root = &self.stack[0].node;
            let parent = &self.stack[depth - 1].node;
            match self.sink.closed(depth, root, parent, node) {
                Some(kept) => node = kept,
                None => return,
            }
        }
        match self.stack.last_mut() {
            Some(parent) => parent.node.children.push(node),
            None => {
                self.feed_root_closed |= is_feed_root_name(&node.name);
                self.roots.push(node);
            }
        }
    }

    fn resolve(&self, own: &[(String, String)], prefix: Option<&str>) -> String {
        let prefix = prefix.unwrap_or("");
        if prefix == "xml" {
            return XML_NS.to_string();
        }
        let scopes = self.stack.iter().rev().map(|o| o.scope.as_slice());
        for scope in std::iter::once(own).chain(scopes) {
            if let Some((_, uri)) = scope.iter().rev().find(|(p, _)| p == prefix) {
                return uri.clone();
            }
        }
        // An undeclared prefix (common: `dc:` or `content:` used without xmlns) maps
        // to the namespace everyone means by it.
        well_known_prefix(prefix).unwrap_or("").to_string()
    }
}

/// The namespaces feeds use without declaring them.
fn well_known_prefix(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "dc" => "http://purl.org/dc/elements/1.1/",
        "dcterms" => "http://purl.org/dc/terms/",
        "content" => "http://purl.org/rss/1.0/modules/content/",
        "atom" => "http://www.w3.org/2005/Atom",
        "rdf" => "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "media" => "http://search.yahoo.com/mrss/",
        "itunes" => "http://www.itunes.com/dtds/podcast-1.0.dtd",
        _ => return None,
    })
}

fn split_qname(qname: &str) -> (Option<&str>, &str) {
    match qname.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, qname),
    }
}

pub(super) fn resolve_url(base: Option<&Url>, href: &str) -> Option<Url> {
    let href = href.trim();
    match base {
        Some(b) => b.join(href).ok(),
        None => Url::parse(href).ok(),
    }
}

/// Where the tag that starts before `from` ends (its `>`, skipping `>` inside quoted
/// attribute values), where reading goes on, and whether it closes itself (`/>`).
fn find_tag_end(src: &str, from: usize) -> (usize, usize, bool) {
    let bytes = src.as_bytes();
    let mut quote = None;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            // XML forbids `<` in attribute values: the quote was never closed.
            Some(_) if b == b'<' => return (i, i, false),
            Some(_) => {}
            None if b == b'"' || b == b'\'' => {
                // Only a quote that opens an attribute value (after `=`) counts.
                let prev = src[..i].trim_end().as_bytes().last().copied();
                if prev == Some(b'=') {
                    quote = Some(b);
                }
            }
            None if b == b'>' => return (i, i + 1, i > from && bytes[i - 1] == b'/'),
            // A `<` before any `>`: the tag was never closed; end it here.
            None if b == b'<' => return (i, i, false),
            None => {}
        }
        i += 1;
    }
    (bytes.len(), bytes.len(), false)
}

/// `name="value"` pairs (values may also be single-quoted or unquoted).
fn parse_attrs(s: &str, entities: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            break;
        }
        let name_len = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_len].to_string();
        rest = rest[name_len..].trim_start();
        let mut value = String::new();
        if let Some(after_eq) = rest.strip_prefix('=') {
            let after_eq = after_eq.trim_start();
            let raw;
            if let Some(q) = after_eq.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let close = after_eq[1..].find(q).map_or(after_eq.len(), |c| c + 1);
                raw = &after_eq[1..close];
                rest = after_eq.get(close + 1..).unwrap_or("");
            } else {
                let end = after_eq.find(char::is_whitespace).unwrap_or(after_eq.len());
                raw = &after_eq[..end];
                rest = &after_eq[end..];
            }
            decode_entities_into(raw, entities, &mut value);
        }
        if name_len == 0 {
            // Not an attribute name (a stray character); skip it.
            rest = rest.get(1..).unwrap_or("");
            continue;
        }
        out.push((name, value));
    }
    out
}

/// Decode character and entity references: XML's five, the document's own, and every
/// HTML named entity. A `&` that starts no known reference is kept as it is.
pub(super) fn decode_entities_into(raw: &str, doc: &HashMap<String, String>, out: &mut String) {
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match reference_into(rest, doc, out) {
            Some(len) => rest = &rest[len..],
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

/// Decode the reference at the start of `s` (which begins with `&`) onto `out`, and
/// return its length; `None` (and nothing written) when it is not one.
fn reference_into(s: &str, doc: &HashMap<String, String>, out: &mut String) -> Option<usize> {
    // Names are short; looking no further than this keeps a text full of bare `&`
    // linear.
    let window = &s.as_bytes()[1..s.len().min(40)];
    let semi = window.iter().position(|&b| b == b';')? + 1;
    let name = &s[1..semi];
    if name.is_empty() {
        return None;
    }
    // XML's own five (escaped HTML is full of them), unless the document redefines one.
    let xml = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    };
    if let Some(c) = xml.filter(|_| doc.is_empty()) {
        out.push(c);
    } else if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        // Windows-1252 code points written as numbers (`&#150;`) mean the 1252
        // character, as browsers read them.
        let code = cp1252_remap(code);
        out.push(
            char::from_u32(code)
                .filter(|c| *c != '\0')
                .unwrap_or('\u{FFFD}'),
        );
    } else if let Some(v) = doc.get(name) {
        out.push_str(v);
    } else {
        out.push_str(&html_entity(name)?);
    }
    Some(semi + 1)
}

/// A named HTML (or XML) entity, without `&` and `;`.
pub(super) fn html_entity(name: &str) -> Option<String> {
    let key = format!("{name};");
    let (a, b) = web_atoms::NAMED_ENTITIES.get(key.as_str())?;
    let mut s = String::new();
    s.extend(char::from_u32(*a));
    if *b != 0 {
        s.extend(char::from_u32(*b));
    }
    Some(s)
}

/// Whether `s` holds a C1 control character (U+0080–U+009F: UTF-8 `C2 80`–`C2 9F`),
/// looked for byte-wise: text is mostly free of them, and mostly not ASCII.
fn contains_c1(s: &str) -> bool {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = b[from..].iter().position(|&x| x == 0xC2) {
        let at = from + i;
        if b.get(at + 1).is_some_and(|n| (0x80..=0x9F).contains(n)) {
            return true;
        }
        from = at + 1;
    }
    false
}

fn is_c1(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c)
}

fn cp1252_remap(code: u32) -> u32 {
    if !(0x80..=0x9F).contains(&code) {
        return code;
    }
    let byte = [code as u8];
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
    text.chars().next().map_or(code, |c| c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str) -> String {
        let mut out = String::new();
        decode_entities_into(s, &HashMap::new(), &mut out);
        out
    }

    #[test]
    fn html_entities_undeclared_in_xml_are_decoded() {
        assert_eq!(
            decode("a&nbsp;b&mdash;c &eacute; &hellip;"),
            "a\u{a0}b—c é …"
        );
        assert_eq!(decode("&lt;b&gt; &amp; &quot;&apos;"), "<b> & \"'");
        assert_eq!(decode("&#233;&#xE9;&#150;"), "éé–");
    }

    #[test]
    fn bare_ampersands_stay() {
        assert_eq!(decode("Tom & Jerry"), "Tom & Jerry");
        assert_eq!(decode("?a=1&b=2&c"), "?a=1&b=2&c");
        assert_eq!(decode("AT&T; &unknown; x"), "AT&T; &unknown; x");
    }

    #[test]
    fn broken_documents_still_give_a_tree() {
        let src = "<rss><channel><title>A & B&nbsp;C</title><item><title>one</title></item>\
                   <item><title>two <b>bold</title></item><item><title>cut";
        let root = parse(src, None).expect("root");
        let channel = root.child(&[""], "channel").expect("channel");
        assert_eq!(channel.child(&[""], "title").unwrap().text, "A & B\u{a0}C");
        let items: Vec<_> = channel
            .children
            .iter()
            .filter(|c| c.name == "item")
            .collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[2].child(&[""], "title").unwrap().text, "cut");
    }

    #[test]
    fn namespaces_and_xml_base_are_resolved() {
        let src = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.com/a/">
            <entry xml:base="b/"><link href="c.html"/><dc:creator>x</dc:creator></entry></feed>"#;
        let root = parse(src, None).unwrap();
        assert_eq!(root.ns, "http://www.w3.org/2005/Atom");
        let entry = &root.children[0];
        assert_eq!(
            entry.base.as_ref().unwrap().as_str(),
            "http://example.com/a/b/"
        );
        assert_eq!(entry.children[1].ns, "http://purl.org/dc/elements/1.1/");
    }

    #[test]
    fn hostile_nesting_is_cut_off() {
        let src = "<rss>".to_string() + &"<a>".repeat(1_000_000) + "deep";
        let root = parse(&src, None).unwrap();
        let mut depth = 1;
        let mut node = &root;
        while let Some(child) = node.children.first() {
            node = child;
            depth += 1;
        }
        assert_eq!(depth, MAX_DEPTH);
        assert_eq!(node.text, "deep");
    }

    #[test]
    fn a_text_of_bare_ampersands_is_read_once() {
        let src = "<rss><title>".to_string() + &"&".repeat(500_000) + "</title></rss>";
        let root = parse(&src, None).unwrap();
        assert_eq!(root.children[0].text.len(), 500_000);
    }

    #[test]
    fn stray_markup_declarations_are_read_once() {
        let src = "<rss>".to_string() + &"<!x>".repeat(200_000) + "<title>t</title></rss>";
        let root = parse(&src, None).unwrap();
        assert_eq!(root.children[0].text, "t");
    }

    #[test]
    fn doctype_entities_and_cdata() {
        let src = "<!DOCTYPE rss [<!ENTITY who \"Ann\">]><rss><t>&who; <![CDATA[<b>&amp;</b>]]></t></rss>";
        let root = parse(src, None).unwrap();
        assert_eq!(root.children[0].text, "Ann <b>&amp;</b>");
    }
}
