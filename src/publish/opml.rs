//! OPML 2.0 of the served feeds: one outline per feed, pointing at its Atom address, for
//! import into a feed reader (`GET /opml`, `tidings export opml`); and OPML of the
//! configured sources, filed in folders by feed (`tidings export opml --sources`), which
//! `tidings import opml` reads back into another configuration.

use super::{Format, base_url, feed_url, xml_text};
use crate::config::{Config, SourceKind};

pub fn render(config: &Config) -> String {
    let base = base_url(config);
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n");
    out.push_str("  <head>\n    <title>tidings feeds</title>\n  </head>\n  <body>\n");
    for feed in &config.feeds {
        let title = feed.title.as_deref().unwrap_or(&feed.id);
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{t}\" title=\"{t}\" xmlUrl=\"{x}\" htmlUrl=\"{h}\"",
            t = attr(title),
            x = attr(&feed_url(&base, &feed.id, Format::Atom)),
            h = attr(&format!("{base}/")),
        ));
        if let Some(d) = &feed.description {
            out.push_str(&format!(" description=\"{}\"", attr(d)));
        }
        out.push_str("/>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

/// The configured sources as OPML: each `[[feed]]` a folder holding its sources, and
/// sources in no feed at the top level. `tidingsId` and `tidingsKind` carry what OPML has
/// no name for, so that `tidings import opml` reproduces the same sources and feeds.
pub fn render_sources(config: &Config) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n");
    out.push_str("  <head>\n    <title>tidings sources</title>\n  </head>\n  <body>\n");
    let source_outline = |s: &crate::config::SourceConfig, indent: &str| {
        let title = s.title.as_deref().unwrap_or(&s.id);
        let kind = match s.kind {
            SourceKind::Auto => "auto",
            SourceKind::Feed => "feed",
            SourceKind::Html => "html",
        };
        format!(
            "{indent}<outline type=\"rss\" text=\"{t}\" title=\"{t}\" xmlUrl=\"{x}\" tidingsId=\"{id}\" tidingsKind=\"{kind}\"/>\n",
            t = attr(title),
            x = attr(s.url.as_str()),
            id = attr(&s.id),
        )
    };
    for feed in &config.feeds {
        let title = feed.title.as_deref().unwrap_or(&feed.id);
        out.push_str(&format!(
            "    <outline text=\"{t}\" title=\"{t}\" tidingsId=\"{id}\">\n",
            t = attr(title),
            id = attr(&feed.id)
        ));
        for s in config
            .sources
            .iter()
            .filter(|s| feed.sources.contains(&s.id))
        {
            out.push_str(&source_outline(s, "      "));
        }
        out.push_str("    </outline>\n");
    }
    for s in &config.sources {
        if !config.feeds.iter().any(|f| f.sources.contains(&s.id)) {
            out.push_str(&source_outline(s, "    "));
        }
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

/// An XML attribute value: the five special characters escaped, and line breaks kept as
/// character references so that parsers do not normalise them to spaces.
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in xml_text(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_escaped_and_chinese_kept() {
        assert_eq!(
            attr("博州 \"要闻\" & <更多>"),
            "博州 &quot;要闻&quot; &amp; &lt;更多&gt;"
        );
    }
}
