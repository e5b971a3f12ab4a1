//! OPML subscription lists, as other readers export them (Miniflux, FreshRSS, Inoreader,
//! Feedly, NetNewsWire) and as RSSHub route lists are shared: text → the feeds they list,
//! each with the folders it is filed under, and a reason for every outline left out.
//!
//! Read with the same forgiving XML reader as feeds, so HTML entities in titles
//! (`&nbsp;`, `&mdash;`) and bare `&` in URLs come out as a browser would read them.
//! Attribute names are matched without regard to case (`xmlUrl`, `xmlurl`). A document
//! that is not OPML at all, or is cut off before `</opml>`, is an error as a whole:
//! importing half of it would be worse than importing nothing.

use super::{line_col, xml};
use url::Url;

/// Outlines nested deeper than this are not read (no reader nests folders so deep).
const MAX_FOLDER_DEPTH: usize = 16;

/// A feed listed in the OPML document.
#[derive(Debug, Clone, PartialEq)]
pub struct OpmlFeed {
    pub url: Url,
    /// `title`, else `text`, whitespace folded; `None` when both are empty.
    pub title: Option<String>,
    /// The folders it is filed under, outermost first.
    pub folders: Vec<Folder>,
    /// Where its outline is (1-based), for messages.
    pub line: usize,
    /// `tidingsId` / `tidingsKind`, written by `tidings export opml --sources`.
    pub id: Option<String>,
    pub kind: Option<String>,
}

/// A folder outline (an outline without `xmlUrl` that holds others).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Folder {
    pub title: String,
    /// `tidingsId`, written by `tidings export opml --sources`.
    pub id: Option<String>,
}

/// An outline that is not imported, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct OpmlSkip {
    pub line: usize,
    /// Its title or text, for the operator to recognise it.
    pub title: Option<String>,
    pub reason: String,
}

/// What an OPML document lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Opml {
    /// `<head><title>`.
    pub title: Option<String>,
    pub feeds: Vec<OpmlFeed>,
    pub skipped: Vec<OpmlSkip>,
}

/// Why a document is not read at all.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OpmlError {
    #[error("not OPML: the file is empty")]
    Empty,
    #[error("not OPML: it is not XML (starts with {0:?})")]
    NotXml(String),
    #[error("not OPML: the document is <{0}>, not <opml>{hint}", hint = hint(.0))]
    NotOpml(String),
    #[error("not OPML: <opml> has no <body>")]
    NoBody,
    #[error("the OPML document ends before </opml> (line {0}): is the file cut off?")]
    Truncated(usize),
}

fn hint(root: &str) -> &'static str {
    match root.to_ascii_lowercase().as_str() {
        "html" => " (a web page: save the reader's OPML export, not the page about it)",
        "rss" | "feed" | "rdf" => " (a feed: add it with `tidings add URL`)",
        _ => "",
    }
}

/// Read an OPML document.
pub fn parse_opml(text: &str) -> Result<Opml, OpmlError> {
    let text = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if text.trim().is_empty() {
        return Err(OpmlError::Empty);
    }
    if !text.starts_with('<') {
        return Err(OpmlError::NotXml(text.chars().take(40).collect()));
    }
    let Some(root) = xml::parse(text, None) else {
        return Err(OpmlError::NotXml(text.chars().take(40).collect()));
    };
    if !root.name.eq_ignore_ascii_case("opml") {
        return Err(OpmlError::NotOpml(root.name.clone()));
    }
    if !text.to_ascii_lowercase().contains("</opml>") {
        return Err(OpmlError::Truncated(line_col(text, text.len()).0));
    }
    let head_title = root
        .children
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case("head"))
        .and_then(|h| {
            h.children
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case("title"))
        })
        .and_then(|t| clean(&t.text));
    let body = root
        .children
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case("body"))
        .ok_or(OpmlError::NoBody)?;
    let mut out = Opml {
        title: head_title,
        ..Opml::default()
    };
    let mut folders = Vec::new();
    walk(text, body, &mut folders, &mut out);
    Ok(out)
}

fn walk(text: &str, parent: &xml::Node, folders: &mut Vec<Folder>, out: &mut Opml) {
    for node in &parent.children {
        if !node.name.eq_ignore_ascii_case("outline") {
            continue;
        }
        let line = line_col(text, node.inner.start).0;
        let title = attr(node, "title")
            .and_then(clean)
            .or_else(|| attr(node, "text").and_then(clean));
        let skip = |reason: String, out: &mut Opml| {
            out.skipped.push(OpmlSkip {
                line,
                title: title.clone(),
                reason,
            })
        };
        let has_children = node
            .children
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case("outline"));
        match attr(node, "xmlUrl")
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            Some(raw) => match web_url(raw) {
                Ok(url) => out.feeds.push(OpmlFeed {
                    url,
                    title: title.clone(),
                    folders: folders.clone(),
                    line,
                    id: attr(node, "tidingsId").map(str::to_string),
                    kind: attr(node, "tidingsKind").map(str::to_string),
                }),
                Err(why) => skip(why, out),
            },
            None if has_children => {}
            None => {
                let reason = match attr(node, "htmlUrl").or(attr(node, "url")) {
                    Some(page) => format!(
                        "no xmlUrl (only a web page, {}: `tidings add` it to find its feed or list)",
                        page.trim()
                    ),
                    None => "no xmlUrl: not a feed (an empty folder, or a note)".to_string(),
                };
                skip(reason, out);
            }
        }
        if has_children {
            if folders.len() >= MAX_FOLDER_DEPTH {
                skip(
                    format!("folders nested deeper than {MAX_FOLDER_DEPTH}: not read"),
                    out,
                );
                continue;
            }
            // A feed outline that also holds outlines files them where it is filed.
            let folder = attr(node, "xmlUrl").is_none().then(|| Folder {
                title: title.clone().unwrap_or_else(|| "untitled".into()),
                id: attr(node, "tidingsId").map(str::to_string),
            });
            let pushed = folder.is_some();
            folders.extend(folder);
            walk(text, node, folders, out);
            if pushed {
                folders.pop();
            }
        }
    }
}

/// An attribute by name, whatever its case.
fn attr<'a>(node: &'a xml::Node, name: &str) -> Option<&'a str> {
    node.attrs
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .map(|a| a.value.as_str())
}

/// Whitespace folded (titles carry `&nbsp;` and line breaks); `None` when empty.
fn clean(s: &str) -> Option<String> {
    let s = crate::text::fold_whitespace(s);
    (!s.is_empty()).then_some(s)
}

fn web_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("xmlUrl {raw:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("xmlUrl {raw:?} is not an http:// or https:// URL"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_nest_and_titles_lose_their_entities() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My&nbsp;feeds</title></head><body>
  <outline text="Tech" title="Tech">
    <outline text="Rust" title="Rust">
      <outline type="rss" text="This Week in Rust &mdash; weekly" xmlUrl="https://this-week-in-rust.org/atom.xml"/>
    </outline>
    <outline type="rss" TEXT="HN &amp; more" XMLURL="https://news.ycombinator.com/rss?a=1&b=2"/>
  </outline>
  <outline type="rss" title="" text="" xmlUrl="https://www.example.gov.cn/rss.xml"/>
  <outline text="no url"/>
  <outline text="bad" xmlUrl="ftp://x.org/feed"/>
</body></opml>"#;
        let o = parse_opml(doc).unwrap();
        assert_eq!(o.title.as_deref(), Some("My feeds"));
        assert_eq!(o.feeds.len(), 3, "{o:?}");
        assert_eq!(
            o.feeds[0].title.as_deref(),
            Some("This Week in Rust \u{2014} weekly")
        );
        let names = |f: &OpmlFeed| {
            f.folders
                .iter()
                .map(|x| x.title.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&o.feeds[0]), ["Tech", "Rust"]);
        assert_eq!(names(&o.feeds[1]), ["Tech"]);
        assert_eq!(o.feeds[1].title.as_deref(), Some("HN & more"));
        assert_eq!(
            o.feeds[1].url.as_str(),
            "https://news.ycombinator.com/rss?a=1&b=2"
        );
        assert!(o.feeds[2].title.is_none() && o.feeds[2].folders.is_empty());
        assert_eq!(o.feeds[0].line, 5);
        assert_eq!(o.skipped.len(), 2, "{o:?}");
        assert!(o.skipped[0].reason.contains("no xmlUrl"), "{o:?}");
        assert!(o.skipped[1].reason.contains("http"), "{o:?}");
    }

    #[test]
    fn what_is_not_opml_is_an_error() {
        assert_eq!(parse_opml(""), Err(OpmlError::Empty));
        assert!(matches!(
            parse_opml("name,url\na,b"),
            Err(OpmlError::NotXml(_))
        ));
        let e = parse_opml("<!DOCTYPE html><html><body>x</body></html>").unwrap_err();
        assert!(e.to_string().contains("web page"), "{e}");
        assert!(matches!(
            parse_opml("<rss><channel/></rss>"),
            Err(OpmlError::NotOpml(_))
        ));
        assert_eq!(parse_opml("<opml><head/></opml>"), Err(OpmlError::NoBody));
        let cut = "<opml><body>\n<outline xmlUrl=\"https://a.org/f\"/>\n<outline xmlU";
        assert!(matches!(parse_opml(cut), Err(OpmlError::Truncated(3))));
    }
}
