//! [`sanitize_html`](super::sanitize_html) without a parse, for HTML where the parse
//! would only push and pop.
//!
//! The sanitiser (ammonia) parses with html5ever, drops what its allow-list does not
//! name and serialises the tree. For tidy HTML (most feed bodies) the tree follows the
//! tags one for one, so the same output can be written while reading: each allowed
//! start tag with its allowed attributes (links checked and resolved the way ammonia
//! does), each other tag left out with its text kept, text and attribute values
//! decoded and escaped again as html5ever's serialiser escapes them, comments dropped,
//! open elements closed at the end.
//!
//! [`sanitize`] follows the tags with the model of the parser's stack of open elements
//! that `text::quick` uses for `html_to_text`, and gives up (`None`: the caller runs
//! the full sanitiser) wherever the tree or the output could differ: everything that
//! model gives up on (an end tag that does not close the current element, implied end
//! tags, misplaced table parts, raw-text elements such as `script` and `style`, forms,
//! references it does not fully know, comments a parser ends early, a tag cut off,
//! nesting near the bounds), and beyond it a NUL or byte-order mark anywhere, a table
//! column outside a `colgroup`, a reference right after `<pre>`, an element of SVG or
//! MathML (ammonia drops those with their content), and a policy with options this
//! scan does not model. Where it gives up nothing has been decided: the full
//! sanitiser sees the whole input. It never lets through what the full sanitiser
//! would remove: tests compare the two on hostile cases, on every content field and
//! page of the corpora, and in the fuzz targets.

use crate::text::quick::{
    MAX_DEPTH, MAX_ELEMENTS, MAX_FORMATTING, Start, comment, in_table_structure, is_formatting,
    memchr3, reference, start, tag, tag_with,
};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use url::Url;

/// The allow-list of an ammonia builder, read once, in the form the scan asks it.
pub(super) struct Policy {
    tags: HashSet<&'static str>,
    generic_attributes: HashSet<&'static str>,
    tag_attributes: HashMap<&'static str, HashSet<&'static str>>,
    url_schemes: HashSet<&'static str>,
    clean_content_tags: HashSet<&'static str>,
    link_rel: Option<String>,
    /// Whether the builder uses only what the scan models (else it always gives up).
    modelled: bool,
}

impl Policy {
    /// The policy of `b`. Options the scan does not model (attribute values allowed by
    /// value, attributes set on tags, classes, attribute prefixes, kept comments) make
    /// every call give up; options without a getter (id prefixes, attribute filters,
    /// style properties) must not be set on the builder this reads.
    pub(super) fn of(b: &ammonia::Builder<'static>) -> Policy {
        let modelled = b.clone_tag_attribute_values().is_empty()
            && b.clone_set_tag_attribute_values().is_empty()
            && b.clone_allowed_classes().is_empty()
            && b
                .clone_generic_attribute_prefixes()
                .is_none_or(|p| p.is_empty())
            && b.will_strip_comments();
        Policy {
            tags: b.clone_tags(),
            generic_attributes: b.clone_generic_attributes(),
            tag_attributes: b.clone_tag_attributes(),
            url_schemes: b.clone_url_schemes(),
            clean_content_tags: b.clone_clean_content_tags(),
            link_rel: b.get_link_rel().map(str::to_string),
            modelled,
        }
    }

    fn allows_attribute(&self, tag: &str, attr: &str) -> bool {
        self.generic_attributes.contains(attr)
            || self
                .tag_attributes
                .get(tag)
                .is_some_and(|set| set.contains(attr))
    }
}

/// An element open in the model of the parser's stack.
struct Open<'a> {
    name: Cow<'a, str>,
    /// Written to the output (allowed), or left out with its content kept.
    kept: bool,
}

impl AsRef<str> for Open<'_> {
    fn as_ref(&self) -> &str {
        &self.name
    }
}

/// `html` as the full sanitiser would write it, or `None` when the full sanitiser
/// must decide. `base` resolves relative links; without one they are dropped.
pub(super) fn sanitize(html: &str, base: Option<&Url>, policy: &Policy) -> Option<String> {
    if !policy.modelled
        || html.len() > crate::text::MAX_PARSED_BYTES
        || html.contains(['\0', '\u{feff}'])
    {
        return None;
    }
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut stack: Vec<Open<'_>> = Vec::with_capacity(16);
    let mut attrs: Vec<(&str, Option<&str>)> = Vec::new();
    let mut elements = 0usize;
    let mut formatting = 0usize;
    let mut i = 0;
    while i < b.len() {
        let next = memchr3(b'<', b'&', b'\r', &b[i..]).map_or(b.len(), |n| i + n);
        if next > i {
            text(&html[i..next], &stack, &mut out)?;
            i = next;
            if i == b.len() {
                break;
            }
        }
        match b[i] {
            b'\r' => {
                text("\n", &stack, &mut out)?;
                i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            }
            b'&' => {
                let (s, len) = reference(&html[i..])?;
                text(&s, &stack, &mut out)?;
                i += len;
            }
            _ => match b.get(i + 1) {
                Some(c) if c.is_ascii_alphabetic() => {
                    attrs.clear();
                    let (name, end) = tag_with(html, i + 1, |n, v| attrs.push((n, v)))?;
                    i = end;
                    elements += 1;
                    if policy.clean_content_tags.contains(name.as_ref()) || is_foreign(&name) {
                        return None;
                    }
                    let current = stack.last().map_or("", |o| o.name.as_ref());
                    // A column straight in a table gets an implied `colgroup`.
                    if name == "col" && current == "table" {
                        return None;
                    }
                    let how = start(&name, &stack)?;
                    // A row straight in a table gets an implied `tbody`, closed by the
                    // table's end tag.
                    if name == "tr" && current == "table" {
                        let kept = policy.tags.contains("tbody");
                        if kept {
                            out.push_str("<tbody>");
                        }
                        stack.push(Open {
                            name: Cow::Borrowed("tbody"),
                            kept,
                        });
                    }
                    let kept = policy.tags.contains(name.as_ref());
                    if kept {
                        start_tag(&name, &attrs, base, policy, &mut out)?;
                    }
                    match how {
                        Start::Void => {
                            // The serialiser writes no end tag for exactly these.
                            if kept && !is_void(&name) {
                                return None;
                            }
                        }
                        Start::Push => {
                            if kept && is_void(&name) {
                                return None;
                            }
                            if is_formatting(&name) {
                                formatting += 1;
                            }
                            if stack.len() >= MAX_DEPTH || formatting > MAX_FORMATTING {
                                return None;
                            }
                            let drops_lf = matches!(name.as_ref(), "pre" | "listing");
                            stack.push(Open { name, kept });
                            // A parser drops a line feed right after these start tags.
                            if drops_lf {
                                match b.get(i) {
                                    Some(b'\n') => i += 1,
                                    Some(b'\r') => {
                                        i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 }
                                    }
                                    Some(b'&') => return None,
                                    _ => {}
                                }
                            }
                        }
                    }
                    if elements > MAX_ELEMENTS {
                        return None;
                    }
                }
                Some(b'/') if b.get(i + 2).is_some_and(u8::is_ascii_alphabetic) => {
                    let (name, end) = tag(html, i + 2)?;
                    i = end;
                    // The table's end tag closes a `tbody` left open in it (implied or
                    // not: a parser closes both).
                    if name == "table"
                        && stack.last().is_some_and(|o| o.name == "tbody")
                        && stack.len() >= 2
                        && stack[stack.len() - 2].name == "table"
                    {
                        close(stack.pop(), &mut out);
                    }
                    if stack.last().map(|o| &o.name) != Some(&name) {
                        return None;
                    }
                    if is_formatting(&name) {
                        formatting -= 1;
                    }
                    close(stack.pop(), &mut out);
                }
                Some(b'!') if html[i..].starts_with("<!--") => {
                    i = comment(html, i)?;
                }
                Some(b'!' | b'?' | b'/') => return None,
                _ => {
                    text("<", &stack, &mut out)?;
                    i += 1;
                }
            },
        }
    }
    while let Some(open) = stack.pop() {
        close(Some(open), &mut out);
    }
    Some(out)
}

/// The end tag of an element taken off the stack, if it was written.
fn close(open: Option<Open<'_>>, out: &mut String) {
    if let Some(Open { name, kept: true }) = open {
        out.push_str("</");
        out.push_str(&name);
        out.push('>');
    }
}

/// Text in the current element, escaped. Text a parser would move out of a table
/// ends the scan.
fn text(s: &str, stack: &[Open<'_>], out: &mut String) -> Option<()> {
    if stack.last().is_some_and(|o| in_table_structure(&o.name))
        && !s
            .bytes()
            .all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r'))
    {
        return None;
    }
    escape(s, false, out);
    Some(())
}

/// An allowed start tag with the attributes the policy keeps, as ammonia keeps them:
/// the first of repeated names, allowed names only, URLs only with an allowed scheme
/// or relative (and then resolved against `base`, or dropped without one), and `rel`
/// added to links.
fn start_tag(
    name: &str,
    raw: &[(&str, Option<&str>)],
    base: Option<&Url>,
    policy: &Policy,
    out: &mut String,
) -> Option<()> {
    let mut seen: Vec<Cow<'_, str>> = Vec::with_capacity(raw.len());
    // Name, value, and whether the value is a relative URL.
    let mut kept: Vec<(Cow<'_, str>, Cow<'_, str>, bool)> = Vec::with_capacity(raw.len() + 1);
    for &(raw_name, raw_value) in raw {
        let attr = if raw_name.bytes().any(|c| c.is_ascii_uppercase()) {
            Cow::Owned(raw_name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(raw_name)
        };
        // The tokenizer keeps the first of repeated attributes.
        if seen.contains(&attr) {
            continue;
        }
        seen.push(attr.clone());
        if !policy.allows_attribute(name, &attr) {
            continue;
        }
        let value = attribute_value(raw_value.unwrap_or(""))?;
        let mut relative = false;
        if is_url_attr(name, &attr) {
            match Url::parse(&value) {
                Ok(url) if policy.url_schemes.contains(url.scheme()) => {}
                Ok(_) => continue,
                Err(url::ParseError::RelativeUrlWithoutBase) if base.is_some() => relative = true,
                Err(_) => continue,
            }
        }
        kept.push((attr, value, relative));
    }
    if name == "a"
        && let Some(rel) = &policy.link_rel
    {
        kept.push((Cow::Borrowed("rel"), Cow::Owned(rel.clone()), false));
    }
    // Relative URLs resolved; those that do not resolve are removed the way ammonia
    // removes them (`swap_remove`, last first), which reorders what follows.
    let mut unresolved = Vec::new();
    for (n, (_, value, relative)) in kept.iter_mut().enumerate() {
        if *relative {
            match base.and_then(|b| b.join(value).ok()) {
                Some(url) => *value = Cow::Owned(String::from(url)),
                None => unresolved.push(n),
            }
        }
    }
    for n in unresolved.into_iter().rev() {
        kept.swap_remove(n);
    }
    out.push('<');
    out.push_str(name);
    for (attr, value, _) in &kept {
        out.push(' ');
        out.push_str(attr);
        out.push_str("=\"");
        escape(value, true, out);
        out.push('"');
    }
    out.push('>');
    Some(())
}

/// An attribute's value as the tokenizer reads it: references decoded, line ends
/// normalised. `None` for references the scan does not fully know.
fn attribute_value(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains(['&', '\r']) {
        return Some(Cow::Borrowed(raw));
    }
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < b.len() {
        let next = b[i..].iter().position(|&c| c == b'&' || c == b'\r').map_or(b.len(), |n| i + n);
        out.push_str(&raw[i..next]);
        i = next;
        if i == b.len() {
            break;
        }
        if b[i] == b'\r' {
            out.push('\n');
            i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
        } else {
            let (s, len) = reference(&raw[i..])?;
            out.push_str(&s);
            i += len;
        }
    }
    Some(Cow::Owned(out))
}

/// html5ever's serialiser escaping: `&`, no-break space, `<` and `>` everywhere, and
/// `"` in attribute values.
fn escape(s: &str, attribute: bool, out: &mut String) {
    let b = s.as_bytes();
    let mut from = 0;
    for (i, &c) in b.iter().enumerate() {
        let with = match c {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' if attribute => "&quot;",
            0xa0 if i > 0 && b[i - 1] == 0xc2 => {
                out.push_str(&s[from..i - 1]);
                out.push_str("&nbsp;");
                from = i + 1;
                continue;
            }
            _ => continue,
        };
        out.push_str(&s[from..i]);
        out.push_str(with);
        from = i + 1;
    }
    out.push_str(&s[from..]);
}

/// Elements html5ever's serialiser writes without an end tag.
fn is_void(tag: &str) -> bool {
    matches!(
        tag,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// ammonia's attributes that hold URLs (its `is_url_attr`, for HTML elements).
fn is_url_attr(tag: &str, attr: &str) -> bool {
    matches!(attr, "href" | "xlink:href" | "src")
        || (tag == "form" && attr == "action")
        || (tag == "object" && attr == "data")
        || (matches!(tag, "button" | "input") && attr == "formaction")
        || (tag == "a" && attr == "ping")
        || (tag == "video" && attr == "poster")
}

/// Names ammonia takes for SVG or MathML elements (its `is_svg_tag` and
/// `is_mathml_tag`, lowercased, less the ones its `is_html_tag` also accepts): an HTML
/// element of one of these names is removed with its content.
fn is_foreign(tag: &str) -> bool {
    FOREIGN.binary_search(&tag).is_ok()
}

#[rustfmt::skip]
const FOREIGN: &[&str] = &[
    "abs", "and", "animate", "animatecolor", "animatemotion", "animatetransform",
    "annotation", "annotation-xml", "apply", "approx", "arccos", "arccosh", "arccot",
    "arccoth", "arccsc", "arccsch", "arcsec", "arcsech", "arcsin", "arcsinh", "arctan",
    "arctanh", "arg", "bind", "bvar", "card", "cartesianproduct", "cbytes", "ceiling",
    "cerror", "ci", "circle", "clippath", "cn", "codomain", "complexes", "compose",
    "condition", "conjugate", "cos", "cosh", "cot", "coth", "cs", "csc", "csch", "csymbol",
    "curl", "declare", "defs", "degree", "desc", "determinant", "diff", "discard",
    "divergence", "divide", "domain", "domainofapplication", "ellipse", "emptyset", "eq",
    "equivalent", "eulergamma", "exists", "exp", "exponentiale", "factorial", "factorof",
    "false", "feblend", "fecolormatrix", "fecomponenttransfer", "fecomposite",
    "feconvolvematrix", "fediffuselighting", "fedisplacementmap", "fedistantlight",
    "fedropshadow", "feflood", "fefunca", "fefuncb", "fefuncg", "fefuncr",
    "fegaussianblur", "feimage", "femerge", "femergenode", "femorphology", "feoffset",
    "fepointlight", "fespecularlighting", "fespotlight", "fetile", "feturbulence",
    "filter", "floor", "fn", "forall", "foreignobject", "g", "gcd", "geq", "grad", "gt",
    "ident", "image", "imaginary", "imaginaryi", "implies", "in", "infinity", "int",
    "integers", "intersect", "interval", "inverse", "lambda", "laplacian", "lcm", "leq",
    "limit", "line", "lineargradient", "list", "ln", "log", "logbase", "lowlimit", "lt",
    "maction", "maligngroup", "malignmark", "marker", "mask", "math", "matrix",
    "matrixrow", "max", "mean", "median", "menclose", "merror", "metadata", "mfenced",
    "mfrac", "mglyph", "mi", "min", "minus", "mlabeledtr", "mlongdiv", "mmultiscripts",
    "mn", "mo", "mode", "moment", "momentabout", "mover", "mpadded", "mpath", "mphantom",
    "mprescripts", "mroot", "mrow", "ms", "mscarries", "mscarry", "msgroup", "msline",
    "mspace", "msqrt", "msrow", "mstack", "mstyle", "msub", "msubsup", "msup", "mtable",
    "mtd", "mtext", "mtr", "munder", "munderover", "naturalnumbers", "neq", "none", "not",
    "notanumber", "notin", "notprsubset", "notsubset", "or", "otherwise", "outerproduct",
    "partialdiff", "path", "pattern", "pi", "piece", "piecewise", "plus", "polygon",
    "polyline", "power", "primes", "product", "prsubset", "quotient", "radialgradient",
    "rationals", "real", "reals", "rect", "reln", "rem", "root", "scalarproduct", "sdev",
    "sec", "sech", "selector", "semantics", "sep", "set", "setdiff", "share", "sin",
    "sinh", "stop", "subset", "sum", "svg", "switch", "symbol", "tan", "tanh", "tendsto",
    "text", "textpath", "times", "transpose", "true", "tspan", "union", "uplimit", "use",
    "variance", "vector", "vectorproduct", "view", "xor",
];
