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
            && b.clone_generic_attribute_prefixes()
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
        let next = b[i..]
            .iter()
            .position(|&c| c == b'&' || c == b'\r')
            .map_or(b.len(), |n| i + n);
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
    let quote = if attribute { b'"' } else { b'&' };
    // The next `&`, `<` or `>`, and the next `"` or 0xc2 (which leads a no-break
    // space), each searched again only once passed: linear in the length.
    let mut next_markup = memchr3(b'&', b'<', b'>', b).unwrap_or(b.len());
    let mut next_other = memchr::memchr2(quote, 0xc2, b).unwrap_or(b.len());
    let mut from = 0;
    loop {
        let i = next_markup.min(next_other);
        if i == b.len() {
            break;
        }
        let mut after = i + 1;
        let with = match b[i] {
            b'&' => Some("&amp;"),
            b'<' => Some("&lt;"),
            b'>' => Some("&gt;"),
            b'"' => Some("&quot;"),
            _ if b.get(i + 1) == Some(&0xa0) => {
                after = i + 2;
                Some("&nbsp;")
            }
            _ => None,
        };
        if let Some(with) = with {
            out.push_str(&s[from..i]);
            out.push_str(with);
            from = after;
        }
        if next_markup < after {
            next_markup = memchr3(b'&', b'<', b'>', &b[after..]).map_or(b.len(), |n| after + n);
        }
        if next_other < after {
            next_other = memchr::memchr2(quote, 0xc2, &b[after..]).map_or(b.len(), |n| after + n);
        }
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

#[cfg(test)]
mod tests {
    use super::super::{sanitize_html, sanitize_html_by_parse, sanitizes_quickly};
    use url::Url;

    fn base() -> Url {
        Url::parse("http://x.org/a/b.html").unwrap()
    }

    /// HTML the scan writes itself: its output must be ammonia's, with and without a base.
    const TIDY: &[&str] = &[
        "<p>第一段</p><p>第二段<a href=\"/x?a=1&amp;b=2\" title='a>b'>链接</a></p>",
        "<p>text <a href=\"http://e.org/\">abs</a> <a href=\"rel.html\">rel</a> <a>bare</a></p>",
        "<div><p>一</p>\n<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul></div>",
        "<table><tr><td>a</td><td>b</td></tr>\n<tr><th>c</th></tr></table>尾",
        "<table>\n <thead><tr><th>h</th></tr></thead><tbody><tr><td>x</td></tr></tbody></table>",
        "<table><caption>cap</caption><colgroup><col span=2></colgroup><tr><td><table><tr><td>in</td></tr></table></td></tr></table>",
        "<p>a &amp; b &lt;c&gt; &quot;d&quot; &nbsp;e &eacute; &#233; &#x4e2d; &#13;f \u{a0}g</p>",
        "<P CLASS=x Title=\"T\">Upper<BR>case</P><IMG SRC=a.png ALT=\"a &amp; &quot;b&quot; <c>\"><br/>",
        "a < b and c <3 d, x & y, &, end <",
        "<p>line\r\nbreaks\rhere</p><pre>\ncode\n  kept</pre><pre>\r\nx</pre><pre>y</pre>",
        "<!-- comment <p> --><p>after</p>",
        "<o:p>word</o:p><st1:chsdate>2022年</st1:chsdate><custom-tag>x</custom-tag><font color=red>f</font><section>s</section>",
        "<h1>t</h1><h2>s<span style=\"color:red\" onclick=\"x()\">u</span></h2><blockquote cite=\"q.html\"><p>q</p></blockquote>",
        "<dl><dt>k</dt><dd>v</dd><dt>k2</dt><dd>v2</dd></dl>",
        "<ruby>漢<rt>kan</rt>字<rp>(</rp><rt>ji</rt><rp>)</rp></ruby>",
        "<b><i>x</i></b><a>l</a><a>m</a><p/>after self-closing p",
        "<p>unclosed at the end <b>bold",
        "<div><hr width=50 onmouseover=x><figure><img src=x.png width=\"600\" onerror=\"alert(1)\"><figcaption>c</figcaption></figure></div>",
        "<p>\u{3000}全角\u{a0}空格</p><p>  </p><p>x</p>",
        "<a href=\"javascript:alert(1)\">js</a><a href=\" JavaScript:alert(1)\">js2</a><img src=\"data:image/png;base64,xx\">",
        "<a href=\"mailto:a@b.c\" href=\"http://dup\" HREF=x rel=nofollow target=_blank>m</a>",
        "<a href=\"http://[::1\">bad</a><img src=\"//cdn.e.org/i.png\"><img src=\"?q=1\"><img src=\"#f\"><img src=\"\">",
        "<img src=\"a\r\nb.png\" alt=\"x\ry\">",
        "<ol start=3><li>x</li></ol><q cite=\"x\">q</q><del datetime=\"2022\">d</del><ins>i</ins>",
        "<table><tr><td>a</td></tr></table><table><tbody><tr><td>c</td></tr></tbody><tr><td>d</td></tr></table>",
        "<div id=main class=x lang=zh dir=rtl><bdo dir=rtl>b</bdo></div>",
        "<a href=x/y title=\"t\" hreflang=zh>rel with title</a>",
    ];

    /// Hostile or untidy HTML: whatever the scan does, the output must be ammonia's.
    const HOSTILE: &[&str] = &[
        "<script>alert(1)</script><p>t</p>",
        "<p>x<script>var s = '</p><img src=x onerror=alert(1)>';</script></p>",
        "<style>p{}</style>t<style>@import 'x'</style>",
        "<svg><script>alert(1)</script><a xlink:href=\"javascript:alert(1)\">x</a></svg>",
        "<svg><p>x</p></svg><math><mi>x</mi></math>",
        "<svg><iframe><a title=\"</iframe><img src onerror=alert(1)>\">test",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<p onclick=\"alert(1)\" onmouseover='x' style=\"background:url(javascript:x)\">on</p>",
        "<a href=\"javascript:alert(1)\">j</a><a href=\"jav&#x09;ascript:alert(1)\">k</a><a href=\"&#106;avascript:alert(1)\">l</a>",
        "<a href=\"java\nscript:alert(1)\">n</a><a href=vbscript:x>v</a><a href=\"data:text/html,<script>alert(1)</script>\">d</a>",
        "<img src=x onerror=alert(1)//><img/src=x/onerror=alert(1)>",
        "<a title=\"x\" title='y\"' href=\"a\"b>q</a><a title='\"><script>alert(1)</script>'>t</a>",
        "<a title=\"unclosed>x</a><p>y",
        "<p>cut <a href=\"x",
        "<b><i>x</b></i><p>a<div>b</div>c</p><li>a<li>b",
        "<table>text<tr><td>a</td></tr></table><table><td>a</td></table><table><col></table>",
        "<textarea><p>x</p></textarea><title>a</title><xmp><b>x</b></xmp><noscript><p>x</p></noscript>",
        "<iframe src=\"http://e\"></iframe><frame><object data=x></object><embed src=x>",
        "<form action=\"javascript:x\"><input formaction=x><button>b</button></form>",
        "<!DOCTYPE html><p>x</p><?php echo 1 ?><!-->x<!--->y<!-- a --!> b -->",
        "<![CDATA[<script>alert(1)</script>]]><p>after</p>",
        "AT&T; and &copy2024 and &notit; and &#150; &#0; &#xD800; &#x110000;",
        "nul \0 here<p>\0</p>",
        "\u{feff}<p>bom</p>",
        "<pre>&#10;x</pre><pre><!--c-->\ny</pre><listing>\nz</listing>",
        "<base href=\"http://evil/\"><link rel=stylesheet href=x><meta http-equiv=refresh content=0>",
        "<a><a>nested</a></a><h1><h2>x</h2></h1><p><table></table></p>",
        "<image src=x><img src=x></img><br></br><select><option>o</select>",
        "<set attributeName=href to=javascript:x><animate><g><path><text>t</text></path></g>",
        "<var>v</var><in>i</in><max>m</max><list>l</list><not>n</not>",
        "<template><script>x</script></template><plaintext><p>x",
        "<a href=\"http://x.org/\" onclick=x>ok</a><img src=\"https://x.org/i.png\" srcset=\"javascript:x 1x\">",
        "<div style=\"x\"><span class=\"y\" id=\"z\" data-x=1 aria-label=l>s</span></div>",
        "<a href=\"  http://x.org/ \">spaces</a><a href=\"HTTP://X.ORG\">case</a><a href=\"http:x\">h</a>",
        "<a href=\"file:///etc/passwd\">f</a><a href=\"ftp://x/\">ftp</a><a href=\"tel:1\">t</a>",
        "<dl><dt>a<dd>b<dt>c</dl><p>a<p>b",
        "<table><tr><td>b</td></tr><tbody><tr><td>c</td></tr></tbody></table>",
    ];

    /// No script, style, frame or foreign element, no event handler, no script URL in
    /// what a browser would build from `out`.
    fn inert(out: &str, from: &str) {
        let doc = scraper::Html::parse_fragment(out);
        for node in doc.root_element().descendants() {
            let Some(e) = node.value().as_element() else {
                continue;
            };
            assert!(
                !matches!(
                    e.name(),
                    "script"
                        | "style"
                        | "svg"
                        | "math"
                        | "iframe"
                        | "object"
                        | "embed"
                        | "form"
                        | "base"
                        | "meta"
                        | "link"
                ),
                "<{}> in {out:?} from {from:?}",
                e.name()
            );
            for (name, value) in e.attrs() {
                assert!(!name.starts_with("on"), "{name} in {out:?} from {from:?}");
                if !matches!(
                    name,
                    "href"
                        | "src"
                        | "xlink:href"
                        | "action"
                        | "formaction"
                        | "poster"
                        | "data"
                        | "srcset"
                        | "ping"
                ) {
                    continue;
                }
                let v = value.to_ascii_lowercase();
                let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
                assert!(
                    !(v.starts_with("javascript:")
                        || v.starts_with("vbscript:")
                        || v.starts_with("data:")),
                    "{name}={value:?} in {out:?} from {from:?}"
                );
            }
        }
    }

    fn check(html: &str, base: Option<&Url>) {
        let quick = sanitize_html(html, base);
        let full = sanitize_html_by_parse(html, base);
        assert_eq!(quick, full, "on {html:?} (base {base:?})");
    }

    #[test]
    fn quick_sanitising_matches_ammonia() {
        let b = base();
        for html in TIDY {
            assert!(
                sanitizes_quickly(html, Some(&b)),
                "the scan gave up on {html:?}"
            );
            check(html, Some(&b));
            check(html, None);
        }
        for html in HOSTILE {
            check(html, Some(&b));
            check(html, None);
            inert(&sanitize_html(html, Some(&b)), html);
        }
    }

    /// Every tag name, allowed or not, alone and with attributes: the scan either
    /// writes what ammonia writes or leaves it to ammonia.
    #[test]
    fn every_tag_name_matches_ammonia() {
        let b = base();
        let mut names: Vec<String> = super::FOREIGN.iter().map(|s| s.to_string()).collect();
        names.extend(super::super::POLICY.tags.iter().map(|s| s.to_string()));
        for n in [
            "font",
            "section",
            "main",
            "big",
            "label",
            "o:p",
            "address",
            "nobr",
            "center",
            "u",
            "x-y",
            "video",
            "audio",
            "source",
            "picture",
            "canvas",
            "dialog",
            "menu",
            "clippath",
            "foreignobject",
            "annotation-xml",
            "selectedcontent",
            "search",
        ] {
            names.push(n.to_string());
        }
        for n in &names {
            for html in [
                format!("<{n}>x</{n}>y"),
                format!("<p>a<{n} title=t href=h src=s onclick=c>x</{n}>b</p>"),
                format!("<div><{n}>x<b>y</b></{n}></div>"),
            ] {
                check(&html, Some(&b));
            }
        }
    }

    /// Relative links resolve against the base, or are dropped without one; a base that
    /// cannot take relative links drops them (and ammonia's removal order is kept).
    #[test]
    fn links_resolve_or_go() {
        let b = base();
        let html = "<a href=\"../c.html\" title=t>x</a><img src=\"i.png\" alt=a width=1>";
        assert_eq!(
            sanitize_html(html, Some(&b)),
            "<a href=\"http://x.org/c.html\" title=\"t\" rel=\"noopener noreferrer\">x</a><img src=\"http://x.org/a/i.png\" alt=\"a\" width=\"1\">"
        );
        assert_eq!(
            sanitize_html(html, None),
            "<a title=\"t\" rel=\"noopener noreferrer\">x</a><img alt=\"a\" width=\"1\">"
        );
        let opaque = Url::parse("mailto:a@b.c").unwrap();
        check(html, Some(&opaque));
        assert!(sanitizes_quickly(html, Some(&opaque)));
    }
}
