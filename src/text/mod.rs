//! Text helpers every stage stands on: decoding, whitespace, scripts, HTML ↔ text,
//! cutting. Pure functions with no knowledge of feeds, pages or the store.
//!
//! - [`charset`]: bytes → text (BOM, HTTP header, XML prolog, `<meta>`, detection).
//! - [`months`]: month names as dates are written.
//! - [`nesting`]: HTML nested too deep flattened before a parser sees it.
//! - `quick`: [`html_to_text`] of tidy HTML in one scan, without a parse.
//! - [`redact`]: URLs as they may be shown (no credentials, no secret parameters).
//!
//! Stored revisions hash text made by [`html_to_text`], [`fold_whitespace`] and
//! [`might_contain_tags`] (see `process`): a change to what they return changes the
//! revision of every stored item, so `process::tests::revisions_are_stable` pins them.

pub mod charset;
pub mod months;
pub mod nesting;
pub(crate) mod quick;
pub mod redact;
pub mod url;

pub use redact::{redact_url, redact_urls_in};

/// Bytes as fetched → text, given the HTTP `Content-Type` header if there was one
/// (see [`charset::decode`]).
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    charset::decode(bytes, content_type).text
}

/// Full-width ASCII forms (`０`–`９`, `：`, `＋`, `－`, `／`, `．`, full-width letters) and the
/// ideographic space as their ASCII selves. Chinese pages type dates and offsets in them
/// (`10:45+０８００`), and every reader of numbers here knows ASCII digits only. Borrowed
/// when there is nothing to change.
pub fn ascii_forms(s: &str) -> std::borrow::Cow<'_, str> {
    let wide = |c: char| matches!(c, '\u{ff01}'..='\u{ff5e}' | '\u{3000}');
    if !s.chars().any(wide) {
        return s.into();
    }
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            // The full-width block mirrors ASCII 0x21..=0x7e at a fixed distance.
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            c => c,
        })
        .collect::<String>()
        .into()
}

/// Runs of whitespace (ideographic space and no-break space included: Unicode
/// `White_Space`) folded to one space, ends trimmed.
pub fn fold_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The text with all whitespace removed: how Chinese lines are compared.
pub fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Han (with the supplementary planes), kana, Hangul and compatibility ideographs:
/// scripts that pack more meaning per character than Latin letters.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff | 0xac00..=0xd7af
        | 0x20000..=0x2fa1f)
}

/// At most `max` bytes of `s`, cut at a character boundary (a bound on work, not a
/// presentation: no ellipsis).
pub fn head(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// At most `n` characters of `s`, with `…` where it was cut (for summaries and titles
/// a reader sees).
pub fn truncate_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", s[..i].trim_end()),
        None => s.to_string(),
    }
}

/// Plain text → HTML that shows it as is.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_html_into(text, &mut out);
    out
}

/// [`escape_html`] appending to `out` (for writers that build one buffer).
pub fn escape_html_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

/// Plain text as HTML paragraphs, one `<p>` per non-empty line.
pub fn text_to_paragraphs(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str("<p>");
        escape_html_into(line, &mut out);
        out.push_str("</p>\n");
    }
    out
}

/// Whether text may hold tags: a `<` and a `>` anywhere. Loose on purpose: it decides
/// which stored titles and summaries go through [`html_to_text`], so it is part of
/// every stored revision. The parsers, which see markup first, use the stricter
/// `parse::feed` check (tags or character references).
pub fn might_contain_tags(s: &str) -> bool {
    s.contains('<') && s.contains('>')
}

/// Block-level tags: they start a new line of text in a page's DOM (extraction).
pub fn is_block(tag: &str) -> bool {
    (tag != "br" && breaks_line(tag))
        || matches!(
            tag,
            "address"
                | "aside"
                | "body"
                | "center"
                | "dd"
                | "details"
                | "dir"
                | "dl"
                | "dt"
                | "fieldset"
                | "figcaption"
                | "figure"
                | "footer"
                | "form"
                | "header"
                | "hgroup"
                | "hr"
                | "main"
                | "menu"
                | "nav"
                | "ol"
                | "summary"
                | "tbody"
                | "thead"
                | "tfoot"
                | "td"
                | "th"
                | "caption"
                | "ul"
                | "html"
                | "head"
                | "title"
                | "#root"
        )
}

/// The tags [`html_to_text`] puts on a line of their own: the block tags that stored
/// content uses, and `br`. A subset of [`is_block`] (table cells, for one, stay on
/// their row's line); widening it would change the text, and so the revision, of
/// stored items.
fn breaks_line(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "br"
            | "div"
            | "li"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "tr"
            | "blockquote"
            | "pre"
            | "section"
            | "article"
            | "table"
    )
}

/// A page parsed, its nesting bounded first ([`nesting::flatten`]): fetched HTML goes
/// to html5ever only through this and [`parse_fragment`].
pub fn parse_document(html: &str) -> scraper::Html {
    scraper::Html::parse_document(&nesting::flatten(head(html, MAX_PARSED_BYTES)))
}

/// Pages are cut to this many bytes before parsing: no article or list page needs more,
/// and parsing stays bounded in time and memory whatever the body cap lets through.
pub const MAX_PARSED_BYTES: usize = 4 << 20;

/// An HTML fragment (feed content) parsed, its nesting bounded first.
pub fn parse_fragment(html: &str) -> scraper::Html {
    scraper::Html::parse_fragment(&nesting::flatten(head(html, MAX_PARSED_BYTES)))
}

/// HTML → plain text: lines broken at [`breaks_line`] tags, whitespace folded within
/// lines, empty lines dropped, scripts and styles ignored.
///
/// Defined by a parse ([`html_to_text_by_parse`]); tidy HTML (what the sanitiser writes,
/// most feed bodies) is read in one scan that gives the same text, and anything the
/// scan cannot vouch for is parsed.
pub fn html_to_text(html: &str) -> String {
    match quick::text_of(html) {
        Some(raw) => fold_lines(&raw),
        None => html_to_text_by_parse(html),
    }
}

/// Whether [`html_to_text`] reads `html` without parsing it (for tests and benchmarks).
pub fn reads_quickly(html: &str) -> bool {
    quick::text_of(html).is_some()
}

/// [`html_to_text`] by way of html5ever's tree: the definition the quick path is held
/// to (tests compare the two).
pub fn html_to_text_by_parse(html: &str) -> String {
    let doc = parse_fragment(html);
    let mut out = String::new();
    for node in doc.root_element().descendants() {
        match node.value() {
            scraper::Node::Text(t) => {
                if node.ancestors().any(|a| {
                    a.value()
                        .as_element()
                        .is_some_and(|e| matches!(e.name(), "script" | "style"))
                }) {
                    continue;
                }
                out.push_str(t);
            }
            scraper::Node::Element(e) if breaks_line(e.name()) => out.push('\n'),
            _ => {}
        }
    }
    fold_lines(&out)
}

/// Each line's whitespace folded ([`fold_whitespace`]), empty lines dropped, lines
/// joined by `\n`.
fn fold_lines(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for line in raw.split('\n') {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else {
            continue;
        };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(first);
        for w in words {
            out.push(' ');
            out.push_str(w);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_folds_ideographic_and_no_break_spaces() {
        assert_eq!(fold_whitespace("\u{3000} a \u{a0}\n b  "), "a b");
        assert_eq!(compact(" 时 间\u{3000}:"), "时间:");
    }

    #[test]
    fn full_width_forms_read_as_ascii() {
        assert_eq!(ascii_forms("10:45+０８００"), "10:45+0800");
        assert_eq!(
            ascii_forms("２０２２年９月７日\u{3000}１０：４５"),
            "2022年9月7日 10:45"
        );
        assert!(matches!(
            ascii_forms("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
        // Other scripts' digits are left alone (and no reader takes them for numbers).
        assert_eq!(ascii_forms("٢٠٢٢"), "٢٠٢٢");
    }

    #[test]
    fn cutting_respects_characters() {
        assert_eq!(head("时间", 4), "时");
        assert_eq!(truncate_chars("一二三四", 2), "一二…");
        assert_eq!(truncate_chars("一二", 2), "一二");
    }

    #[test]
    fn text_becomes_escaped_paragraphs_and_back() {
        let html = text_to_paragraphs("一 <b>\n\n二 & 三");
        assert_eq!(html, "<p>一 &lt;b&gt;</p>\n<p>二 &amp; 三</p>\n");
        assert_eq!(html_to_text(&html), "一 <b>\n二 & 三");
    }

    #[test]
    fn every_line_breaking_tag_is_a_block() {
        for tag in ["p", "div", "li", "tr", "table", "pre"] {
            assert!(breaks_line(tag) && is_block(tag));
        }
        assert!(is_block("td") && !breaks_line("td"));
        assert!(!is_block("br"), "a line break is not a block");
    }
}
