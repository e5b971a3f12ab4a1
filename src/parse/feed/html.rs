//! Small HTML helpers for feed text: markup → plain text (titles, authors), text →
//! escaped HTML, and relative links inside content resolved against the entry's base.

use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;
use url::Url;

static TAG_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)<!--.*?-->|<(?:script|style)\b.*?</(?:script|style)\s*>|</?[A-Za-z!?][^>]*>")
        .expect("static regex")
});

static LINK_ATTR_RE: LazyLock<Regex> = LazyLock::new(|| {
    // An ASCII word boundary: a Unicode one sends the regex engine to its slow paths on
    // every non-ASCII (say, Chinese) body, and attribute names are ASCII.
    Regex::new(r#"(?i)(?-u:\b)(href|src)\s*=\s*("[^"]*"|'[^']*')"#).expect("static regex")
});

static MARKUP_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);",
    )
    .expect("static regex")
});

/// Whether text contains HTML tags or character references, i.e. needs decoding
/// before it can be shown as plain text.
pub(super) fn looks_like_html(s: &str) -> bool {
    (s.contains('<') || s.contains('&')) && MARKUP_RE.is_match(s)
}

/// Markup → plain text: tags dropped, references decoded, whitespace collapsed.
pub(crate) fn to_text(markup: &str) -> String {
    let stripped = TAG_RE.replace_all(markup, " ");
    let mut decoded = String::with_capacity(stripped.len());
    super::xml::decode_entities_into(&stripped, &HashMap::new(), &mut decoded);
    crate::text::fold_whitespace(&decoded)
}

pub(super) use crate::text::escape_html as escape;

/// Relative `href`/`src` values in `html` made absolute against `base`, so content
/// still links correctly once it is republished elsewhere.
pub(super) fn absolutize(html: &str, base: &Url) -> String {
    if !html.contains("href") && !html.contains("src") {
        return html.to_string();
    }
    LINK_ATTR_RE
        .replace_all(html, |caps: &regex::Captures| {
            let quoted = &caps[2];
            let quote = &quoted[..1];
            let value = &quoted[1..quoted.len() - 1];
            let mut decoded = String::new();
            super::xml::decode_entities_into(value, &HashMap::new(), &mut decoded);
            let value = decoded.trim();
            // Absolute URLs stay byte for byte; only relative ones are resolved.
            let relative = !value.starts_with('#')
                && matches!(
                    Url::parse(value),
                    Err(url::ParseError::RelativeUrlWithoutBase)
                );
            // Absolute URLs stay as written: no need to join them.
            if !relative {
                return caps[0].to_string();
            }
            match base.join(value) {
                Ok(url) => {
                    let href = url.as_str().replace('&', "&amp;").replace('"', "&quot;");
                    format!("{}={quote}{href}{quote}", &caps[1])
                }
                _ => caps[0].to_string(),
            }
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_text() {
        assert_eq!(
            to_text("Example <b>Atom</b> &amp; more&nbsp;text"),
            "Example Atom & more text"
        );
        assert_eq!(to_text("<script>x()</script><p>a</p>\n<p>b</p>"), "a b");
    }

    #[test]
    fn html_is_recognised() {
        assert!(looks_like_html("a <b>b</b>"));
        assert!(looks_like_html("caf&eacute;"));
        assert!(!looks_like_html("a < b & c"));
    }

    #[test]
    fn relative_links_in_content_are_resolved() {
        let base = Url::parse("http://example.com/feed/").unwrap();
        assert_eq!(
            absolutize(
                r##"<a href="../relative/uri?a=1&amp;b=2">x</a><img src='i.png'><a href="#top">t</a>"##,
                &base
            ),
            r##"<a href="http://example.com/relative/uri?a=1&amp;b=2">x</a><img src='http://example.com/feed/i.png'><a href="#top">t</a>"##
        );
    }
}
