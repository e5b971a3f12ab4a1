//! [`html_to_text`](super::html_to_text) without building a tree, for the HTML where a
//! tree builder would do nothing but push and pop.
//!
//! Most HTML that reaches `html_to_text` is tidy: what the sanitiser wrote (html5ever's
//! serialiser: every element closed, attributes quoted, text escaped) and most feed
//! bodies. For such HTML the text a parse gives is the text between the tags, with a
//! line break at each line-breaking start tag; [`text_of`] reads it in one scan. It
//! models the stack of open elements and gives up (`None`, and the caller parses) at
//! the first thing after which html5ever's tree would not follow the tags one for one:
//! an end tag that does not close the current element, a block inside an open `<p>`
//! (implied end tags), `<li>` in `<li>`, a link in a link, table parts out of place or
//! text in a table outside its cells (foster parenting), raw-text elements, foreign
//! content, forms, character references it does not fully know, a NUL, a tag cut off,
//! and nesting near the bounds [`super::nesting`] would enforce. The parse is the
//! definition; `tests::quick_matches_the_parse` and the corpus test hold the two equal.

use super::breaks_line;
use std::borrow::Cow;

/// Deeper than this, or with more elements than [`MAX_ELEMENTS`], the parse decides
/// (below what `nesting::flatten` would start to cut).
pub(crate) const MAX_DEPTH: usize = 128;
pub(crate) const MAX_ELEMENTS: usize = 40_000;
/// Formatting elements open at once (`nesting::MAX_FORMATTING` is 64).
pub(crate) const MAX_FORMATTING: usize = 32;

/// The raw text of `html` as `html_to_text` collects it before folding lines (text of
/// text nodes, `\n` at line-breaking start tags), or `None` when the parse must decide.
pub(super) fn text_of(html: &str) -> Option<String> {
    if html.len() > super::MAX_PARSED_BYTES || html.starts_with('\u{feff}') {
        return None;
    }
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len() / 2);
    let mut stack: Vec<Cow<'_, str>> = Vec::with_capacity(16);
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
                // Input preprocessing: CR LF and lone CR become LF.
                text("\n", &stack, &mut out)?;
                i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            }
            b'&' => {
                let (s, len) = reference(&html[i..])?;
                text(&s, &stack, &mut out)?;
                i += len;
            }
            _ => {
                // `<`
                match b.get(i + 1) {
                    Some(c) if c.is_ascii_alphabetic() => {
                        // A `/>` on an element that is not void is ignored, as a
                        // parser does.
                        let (name, end) = tag(html, i + 1)?;
                        i = end;
                        elements += 1;
                        let breaks = breaks_line(&name);
                        match start(&name, &stack)? {
                            Start::Void => {}
                            Start::Push => {
                                if is_formatting(&name) {
                                    formatting += 1;
                                }
                                if stack.len() >= MAX_DEPTH || formatting > MAX_FORMATTING {
                                    return None;
                                }
                                stack.push(name);
                            }
                        }
                        if elements > MAX_ELEMENTS {
                            return None;
                        }
                        if breaks {
                            out.push('\n');
                        }
                    }
                    Some(b'/') if b.get(i + 2).is_some_and(u8::is_ascii_alphabetic) => {
                        let (name, end) = tag(html, i + 2)?;
                        i = end;
                        // Only the end tag of the current element is followed one for one.
                        if stack.last() != Some(&name) {
                            return None;
                        }
                        stack.pop();
                        if is_formatting(&name) {
                            formatting -= 1;
                        }
                    }
                    Some(b'!') if html[i..].starts_with("<!--") => {
                        i = comment(html, i)?;
                    }
                    // `<!x`, `<?x`, `</1`: bogus comments and the like.
                    Some(b'!' | b'?' | b'/') => return None,
                    // `a < b`, or `<` at the end: text.
                    _ => {
                        text("<", &stack, &mut out)?;
                        i += 1;
                    }
                }
            }
        }
    }
    // A parse closes what is left open: no text follows, so nothing changes.
    Some(out)
}

/// Text in the current element. Text a parser would move (foster parenting out of a
/// table) or drop (NUL) ends the quick path.
fn text(s: &str, stack: &[Cow<'_, str>], out: &mut String) -> Option<()> {
    if s.contains('\0') {
        return None;
    }
    if stack.last().is_some_and(|t| in_table_structure(t))
        && !s
            .bytes()
            .all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r'))
    {
        return None;
    }
    out.push_str(s);
    Some(())
}

/// Elements whose content is table structure, where text is moved out of the table.
pub(crate) fn in_table_structure(tag: &str) -> bool {
    matches!(
        tag,
        "table" | "tbody" | "thead" | "tfoot" | "tr" | "colgroup"
    )
}

pub(crate) enum Start {
    /// An element that takes no content (and is not pushed).
    Void,
    Push,
}

/// What a start tag does to the stack, or `None` when a parser would do more.
pub(crate) fn start<S: AsRef<str>>(name: &str, stack: &[S]) -> Option<Start> {
    let current = stack.last().map_or("", |c| c.as_ref());
    // In table structure only the next level of structure is followed.
    if in_table_structure(current) {
        let fits = match current {
            "table" => matches!(
                name,
                "caption" | "colgroup" | "col" | "tbody" | "thead" | "tfoot" | "tr"
            ),
            "tbody" | "thead" | "tfoot" => name == "tr",
            "tr" => matches!(name, "td" | "th"),
            _ => name == "col",
        };
        if !fits {
            return None;
        }
        return Some(if name == "col" {
            Start::Void
        } else {
            Start::Push
        });
    }
    let p_open = stack.iter().any(|t| t.as_ref() == "p");
    match name {
        // Table parts outside their place are dropped or close cells.
        "caption" | "colgroup" | "col" | "tbody" | "thead" | "tfoot" | "tr" | "td" | "th" => None,
        "address" | "article" | "aside" | "blockquote" | "center" | "details" | "dialog"
        | "dir" | "div" | "dl" | "fieldset" | "figcaption" | "figure" | "footer" | "header"
        | "hgroup" | "main" | "menu" | "nav" | "ol" | "p" | "search" | "section" | "summary"
        | "ul" | "pre" | "listing" | "table" => (!p_open).then_some(Start::Push),
        "hr" => (!p_open).then_some(Start::Void),
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
            (!p_open && !is_heading(current)).then_some(Start::Push)
        }
        "li" | "dd" | "dt" => {
            if p_open {
                return None;
            }
            // A parser closes an open item of the same list first.
            for open in stack.iter().rev().map(|t| t.as_ref()) {
                let same = match name {
                    "li" => open == "li",
                    _ => matches!(open, "dd" | "dt"),
                };
                if same {
                    return None;
                }
                if is_special(open) && !matches!(open, "address" | "div" | "p") {
                    break;
                }
            }
            Some(Start::Push)
        }
        "a" => (!stack.iter().any(|t| t.as_ref() == "a")).then_some(Start::Push),
        "rb" | "rtc" => (current == "ruby").then_some(Start::Push),
        "rp" | "rt" => matches!(current, "ruby" | "rtc").then_some(Start::Push),
        "area" | "br" | "embed" | "img" | "keygen" | "wbr" | "param" | "source" | "track"
        | "basefont" | "bgsound" | "link" | "meta" | "base" => Some(Start::Void),
        // Everything else a parser treats specially: raw text, forms, frames, foreign
        // content, document structure, obsolete oddities.
        "html" | "head" | "body" | "frameset" | "frame" | "noframes" | "script" | "style"
        | "template" | "title" | "form" | "plaintext" | "button" | "nobr" | "applet"
        | "marquee" | "object" | "image" | "input" | "textarea" | "xmp" | "iframe" | "noembed"
        | "noscript" | "select" | "optgroup" | "option" | "math" | "svg" | "menuitem"
        | "isindex" => None,
        // Formatting elements and every other name: pushed as they come.
        _ => Some(Start::Push),
    }
}

fn is_heading(tag: &str) -> bool {
    matches!(tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

pub(crate) fn is_formatting(tag: &str) -> bool {
    matches!(
        tag,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

/// HTML's "special" category, restricted to the elements the quick path pushes.
fn is_special(tag: &str) -> bool {
    matches!(
        tag,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "li"
            | "listing"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "search"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}

/// A tag's name (ASCII-lowercased, as a parser names it) and where reading goes on
/// after its `>`. `from` is the first byte of the name. `None` for a tag the document
/// ends inside (a parser drops it) or one with a NUL.
pub(crate) fn tag(html: &str, from: usize) -> Option<(Cow<'_, str>, usize)> {
    tag_with(html, from, |_, _| {})
}

/// [`tag`], telling `attribute` each attribute as written: its name (not yet
/// lowercased) and its value (`None` when it has no `=`; references not yet decoded).
pub(crate) fn tag_with<'a>(
    html: &'a str,
    from: usize,
    mut attribute: impl FnMut(&'a str, Option<&'a str>),
) -> Option<(Cow<'a, str>, usize)> {
    let b = html.as_bytes();
    let mut i = from;
    while i < b.len() && !matches!(b[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>') {
        i += 1;
    }
    let raw = &html[from..i];
    if raw.contains('\0') {
        return None;
    }
    let name = if raw.bytes().any(|c| c.is_ascii_uppercase()) {
        Cow::Owned(raw.to_ascii_lowercase())
    } else {
        Cow::Borrowed(raw)
    };
    // Attributes: names, then `=` and a quoted or unquoted value.
    loop {
        while i < b.len() && matches!(b[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ') {
            i += 1;
        }
        match b.get(i)? {
            b'>' => return Some((name, i + 1)),
            b'/' => {
                if b.get(i + 1) == Some(&b'>') {
                    return Some((name, i + 2));
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        // The attribute's name: its first character may be `=`; it ends at whitespace,
        // `/`, `>` or `=`.
        let name_at = i;
        i += 1;
        while i < b.len()
            && !matches!(
                b[i],
                b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>' | b'='
            )
        {
            i += 1;
        }
        let attr = &html[name_at..i];
        while i < b.len() && matches!(b[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ') {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            attribute(attr, None);
            continue;
        }
        i += 1;
        while i < b.len() && matches!(b[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ') {
            i += 1;
        }
        match b.get(i)? {
            q @ (b'"' | b'\'') => {
                let close = memchr(*q, &b[i + 1..])?;
                attribute(attr, Some(&html[i + 1..i + 1 + close]));
                i += close + 2;
            }
            b'>' => {
                attribute(attr, Some(""));
                return Some((name, i + 1));
            }
            _ => {
                let value_at = i;
                while i < b.len() && !matches!(b[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'>')
                {
                    i += 1;
                }
                attribute(attr, Some(&html[value_at..i]));
            }
        }
    }
}

/// Where reading goes on after a comment that starts at `at` (`<!--`). Comments a
/// parser ends early (`<!-->`, `<!--->`, `--!>`) or never (no `-->`) are left to it.
pub(crate) fn comment(html: &str, at: usize) -> Option<usize> {
    let body = &html[at + 4..];
    if body.starts_with('>') || body.starts_with("->") {
        return None;
    }
    let end = body.find("-->")?;
    if body[..end].contains("--!") {
        return None;
    }
    Some(at + 4 + end + 3)
}

/// The text of the character reference at the start of `s` (which begins with `&`),
/// and its length. A `&` that starts none is itself. `None` for references whose
/// reading has special cases (no `;`, code points a parser replaces).
pub(crate) fn reference(s: &str) -> Option<(std::borrow::Cow<'static, str>, usize)> {
    let b = s.as_bytes();
    match b.get(1) {
        Some(b'#') => {
            let (digits, radix) = match b.get(2) {
                Some(b'x' | b'X') => (&s[3..], 16),
                _ => (&s[2..], 10),
            };
            let len = digits
                .bytes()
                .take_while(|c| c.is_ascii_hexdigit() && (radix == 16 || c.is_ascii_digit()))
                .count();
            if len == 0 || len > 6 || digits.as_bytes().get(len) != Some(&b';') {
                return None;
            }
            let code = u32::from_str_radix(&digits[..len], radix).ok()?;
            // NUL, C1 controls (read as Windows-1252), surrogates and beyond Unicode
            // are replaced by a parser: left to it.
            if code == 0 || (0x80..=0x9f).contains(&code) {
                return None;
            }
            let c = char::from_u32(code)?;
            Some((c.to_string().into(), s.len() - digits.len() + len + 1))
        }
        Some(c) if c.is_ascii_alphanumeric() => {
            let len = b[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            if b.get(1 + len) != Some(&b';') {
                return None;
            }
            let name = &s[1..len + 2];
            let quick = match name {
                "amp;" => Some("&"),
                "lt;" => Some("<"),
                "gt;" => Some(">"),
                "quot;" => Some("\""),
                "nbsp;" => Some("\u{a0}"),
                _ => None,
            };
            if let Some(q) = quick {
                return Some((q.into(), len + 2));
            }
            let (a, z) = web_atoms::NAMED_ENTITIES.get(name)?;
            let mut t = String::new();
            t.extend(char::from_u32(*a));
            if *z != 0 {
                t.extend(char::from_u32(*z));
            }
            Some((t.into(), len + 2))
        }
        // Not a reference: the `&` is text.
        _ => Some(("&".into(), 1)),
    }
}

pub(crate) fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    ::memchr::memchr(needle, hay)
}

pub(crate) fn memchr3(a: u8, b: u8, c: u8, hay: &[u8]) -> Option<usize> {
    ::memchr::memchr3(a, b, c, hay)
}

#[cfg(test)]
mod tests {
    use super::super::{html_to_text, html_to_text_by_parse};
    use super::text_of;

    /// HTML the scan reads itself: its text must be the parse's.
    const TIDY: &[&str] = &[
        "<p>第一段</p><p>第二段<a href=\"/x?a=1&amp;b=2\" title='a>b'>链接</a></p>",
        "<div><p>一</p>\n<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul></div>",
        "<table><tr><td>a</td><td>b</td></tr>\n<tr><th>c</th></tr></table>尾",
        "<table>\n <thead><tr><th>h</th></tr></thead><tbody><tr><td>x</td></tr></tbody></table>",
        "<p>a &amp; b &lt;c&gt; &quot;d&quot; &nbsp;e &eacute; &#233; &#x4e2d; &#13;f</p>",
        "<P CLASS=x>Upper<BR>case</P><IMG SRC=a.png><br/>",
        "a < b and c <3 d, x & y, &, end <",
        "<p>line\r\nbreaks\rhere</p><pre>\ncode\n  kept</pre>",
        "<!-- comment <p> --><p>after</p>",
        "<o:p>word</o:p><st1:chsdate>2022年</st1:chsdate><custom-tag>x</custom-tag>",
        "<h1>t</h1><h2>s<span>u</span></h2><blockquote><p>q</p></blockquote>",
        "<dl><dt>k</dt><dd>v</dd><dt>k2</dt><dd>v2</dd></dl>",
        "<ruby>漢<rt>kan</rt>字<rp>(</rp><rt>ji</rt><rp>)</rp></ruby>",
        "<b><i>x</i></b><a>l</a><a>m</a><p/>after self-closing p",
        "<p>unclosed at the end <b>bold",
        "<table><caption>cap</caption><colgroup><col></colgroup><tr><td><table><tr><td>in</td></tr></table></td></tr></table>",
        "<div><hr><figure><img src=x><figcaption>c</figcaption></figure></div>",
        "<p>\u{3000}全角\u{a0}空格</p><p>  </p><p>x</p>",
    ];

    /// HTML a parser rebuilds: the scan must leave it to the parse.
    const UNTIDY: &[&str] = &[
        "<p>a<div>b</div>c</p>d",
        "<p>one<p>two",
        "<li>a<li>b",
        "<li>a<span><li>b</span></li>",
        "<a href=1>x<a href=2>y</a></a>",
        "<table>text<tr><td>a</td></tr></table>",
        "<table><td>a</td></table>",
        "<table><b>x</b></table>",
        "<tr><td>x</td></tr>",
        "<b><i>x</b></i>",
        "<p>x</p></p>y",
        "x<br></br>y",
        "<script>var s = '<p>';</script><p>t</p>",
        "<style>p{}</style>t",
        "<textarea><p>x</p></textarea>",
        "<title>a</title>b",
        "<svg><p>x</p></svg>",
        "<noscript><p>x</p></noscript>",
        "<h1>a<h2>b</h2></h1>c",
        "AT&T; and &copy2024 and &notit; and &#150;",
        "x&y, &#; &#",
        "<!-->x<p>y</p>",
        "<!DOCTYPE html><p>x</p>",
        "<p>cut <a href=\"x",
        "<button><p>x</p>y</button>z",
        "<p><button><p>x</p>y</button></p>w",
        "nul \0 here",
    ];

    #[test]
    fn quick_matches_the_parse() {
        for html in TIDY {
            assert!(text_of(html).is_some(), "the scan gave up on {html:?}");
            assert_eq!(
                html_to_text(html),
                html_to_text_by_parse(html),
                "on {html:?}"
            );
        }
        for html in UNTIDY {
            assert!(text_of(html).is_none(), "the scan read {html:?}");
            assert_eq!(html_to_text(html), html_to_text_by_parse(html));
        }
    }

    #[test]
    fn nesting_near_the_bounds_is_parsed() {
        let deep = "<div>".repeat(200) + "x";
        assert!(text_of(&deep).is_none());
        let bold = "<b>".repeat(40) + "x";
        assert!(text_of(&bold).is_none());
        let many = "<span>x</span>".repeat(50_000);
        assert!(text_of(&many).is_none());
        assert_eq!(html_to_text(&many), html_to_text_by_parse(&many));
    }

    /// What the sanitiser writes is always tidy: content read from feeds takes the
    /// quick path.
    #[test]
    fn sanitised_html_is_read_quickly() {
        let dirty =
            "<p>a<div>b</div><script>x</script><table>t<tr><td>c</table><font color=red>r</font>";
        let clean = crate::process::sanitize_html(dirty, None);
        assert!(text_of(&clean).is_some(), "{clean}");
        assert_eq!(html_to_text(&clean), html_to_text_by_parse(&clean));
    }
}
