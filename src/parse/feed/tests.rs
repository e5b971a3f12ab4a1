//! Broken-input handling, one format at a time.

use super::*;
use crate::model::PubDate;

const SH: Tz = chrono_tz::Asia::Shanghai;

fn url() -> Url {
    Url::parse("http://example.com/feeds/news.xml").unwrap()
}

fn parse(s: &str) -> ParsedFeed {
    parse_feed(s.as_bytes(), None, &url(), SH).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn rss2_basic_fields() {
    let f = parse(
        r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
        <channel><title>News</title><link>http://example.com/</link><description>All the news</description>
        <item><title>First</title><link>http://example.com/1</link><guid isPermaLink="false">id-1</guid>
        <pubDate>Wed, 07 Sep 2022 10:45:00 +0800</pubDate><author>ed@example.com (Ed Itor)</author>
        <description>&lt;p&gt;Teaser&lt;/p&gt;</description><content:encoded><![CDATA[<p>Full</p>]]></content:encoded></item>
        </channel></rss>"#,
    );
    assert_eq!(f.title.as_deref(), Some("News"));
    assert_eq!(f.link.as_deref(), Some("http://example.com/"));
    let e = &f.entries[0];
    assert_eq!(e.id.as_deref(), Some("id-1"));
    assert_eq!(e.url.as_deref(), Some("http://example.com/1"));
    assert_eq!(e.author.as_deref(), Some("Ed Itor"));
    assert_eq!(e.summary.as_deref(), Some("<p>Teaser</p>"));
    assert_eq!(e.content_html.as_deref(), Some("<p>Full</p>"));
    assert_eq!(
        e.published.unwrap().to_string(),
        "2022-09-07T10:45:00+08:00"
    );
}

#[test]
fn html_entities_and_bare_ampersands_still_yield_items() {
    let f = parse(
        "<rss version=\"2.0\"><channel><title>Caf&eacute; &amp; Bar&nbsp;News</title>\
         <item><title>Tom & Jerry &mdash; again</title><link>http://example.com/?a=1&b=2</link></item>\
         <item><title>Second&hellip;</title></item></channel></rss>",
    );
    assert_eq!(f.title.as_deref(), Some("Café & Bar News"));
    assert_eq!(f.entries.len(), 2);
    assert_eq!(f.entries[0].title.as_deref(), Some("Tom & Jerry — again"));
    assert_eq!(
        f.entries[0].url.as_deref(),
        Some("http://example.com/?a=1&b=2")
    );
    assert_eq!(f.entries[1].title.as_deref(), Some("Second…"));
}

#[test]
fn truncated_and_misnested_feeds_keep_their_items() {
    let f = parse(
        "<rss version=\"2.0\"><channel><item><title>One <b>bold</i></title></item>\
         <item><title>Two</title><description>cut off here",
    );
    assert_eq!(f.entries.len(), 2);
    assert_eq!(f.entries[0].title.as_deref(), Some("One bold"));
    assert_eq!(f.entries[1].summary.as_deref(), Some("cut off here"));
}

#[test]
fn relative_links_resolve_against_xml_base_then_the_feed_url() {
    let f = parse(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://other.example/base/">
        <link href="/home"/>
        <entry xml:base="sub/"><title>a</title><link rel="alternate" href="page.html"/>
        <content type="html">&lt;a href="x.html"&gt;x&lt;/a&gt;</content></entry></feed>"#,
    );
    assert_eq!(f.link.as_deref(), Some("http://other.example/home"));
    assert_eq!(
        f.entries[0].url.as_deref(),
        Some("http://other.example/base/sub/page.html")
    );
    assert_eq!(
        f.entries[0].content_html.as_deref(),
        Some(r#"<a href="http://other.example/base/sub/x.html">x</a>"#)
    );
    let f = parse("<rss><channel><item><link>../a/1.html</link></item></channel></rss>");
    assert_eq!(
        f.entries[0].url.as_deref(),
        Some("http://example.com/a/1.html")
    );
}

#[test]
fn dates_without_offset_are_read_in_the_source_zone() {
    let f = parse(
        "<rss><channel><item><title>x</title><pubDate>2022-09-07 10:45:00</pubDate></item>\
         <item><title>y</title><pubDate>2022年9月7日</pubDate></item></channel></rss>",
    );
    assert_eq!(
        f.entries[0].published.unwrap().to_string(),
        "2022-09-07T10:45:00+08:00"
    );
    assert_eq!(
        f.entries[1].published,
        Some(PubDate::Day(
            chrono::NaiveDate::from_ymd_opt(2022, 9, 7).unwrap()
        ))
    );
}

#[test]
fn atom03_and_rss1() {
    let f = parse(
        r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title mode="escaped">A &amp;lt;3</title>
        <entry><title>e</title><issued>2004-01-01T19:48:21Z</issued><modified>2004-01-02T00:00:00Z</modified>
        <author><email>me@example.com</email></author><content mode="xml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi</p></div></content></entry></feed>"#,
    );
    let e = &f.entries[0];
    assert_eq!(e.author.as_deref(), Some("me@example.com"));
    assert_eq!(
        e.published.unwrap().to_string(),
        "2004-01-01T19:48:21+00:00"
    );
    assert_eq!(e.content_html.as_deref(), Some("<p>Hi</p>"));
    assert_eq!(
        e.published.unwrap().to_string(),
        "2004-01-01T19:48:21+00:00"
    );
    assert!(e.updated.is_some());

    let f = parse(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
        <channel rdf:about="http://example.com/"><title>R</title><link>http://example.com/</link></channel>
        <item rdf:about="http://example.com/1"><title>One</title><link>http://example.com/1</link><dc:date>2004-01-01</dc:date><dc:creator>Ann</dc:creator></item>
        </rdf:RDF>"#,
    );
    assert_eq!(f.title.as_deref(), Some("R"));
    assert_eq!(f.entries.len(), 1);
    assert_eq!(f.entries[0].author.as_deref(), Some("Ann"));
}

#[test]
fn an_entry_dated_only_by_updated_is_published_then() {
    let f = parse(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>t</title>
        <updated>2024-03-01T08:00:00+08:00</updated></entry></feed>"#,
    );
    let e = &f.entries[0];
    assert_eq!(
        e.published.unwrap().to_string(),
        "2024-03-01T08:00:00+08:00"
    );
    assert_eq!(e.updated.unwrap().to_rfc3339(), "2024-03-01T08:00:00+08:00");
}

#[test]
fn junk_before_the_root_is_skipped() {
    let f =
        parse("<br/>\n<rss version=\"2.0\"><channel><item><title>x</title></item></channel></rss>");
    assert_eq!(f.entries.len(), 1);
}

#[test]
fn json_feed() {
    let f = parse(
        r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","home_page_url":"https://example.org/",
        "items":[{"id":1,"url":"/a","title":"A","content_text":"hi & bye","date_published":"2014-05-09T14:04:00-07:00",
        "authors":[{"name":"Brent"}]}]}"#,
    );
    let e = &f.entries[0];
    assert_eq!(e.id.as_deref(), Some("1"));
    assert_eq!(e.url.as_deref(), Some("https://example.org/a"));
    assert_eq!(e.content_html.as_deref(), Some("<p>hi &amp; bye</p>"));
    assert_eq!(e.author.as_deref(), Some("Brent"));
    assert_eq!(
        e.published.unwrap().to_string(),
        "2014-05-09T14:04:00-07:00"
    );
}

#[test]
fn wrong_declared_encoding_still_reads() {
    let mut body =
        b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><channel><item><title>".to_vec();
    body.extend(encoding_rs::GB18030.encode("区内要闻").0.iter());
    body.extend_from_slice(b"</title></item></channel></rss>");
    let f = parse_feed(&body, None, &url(), SH).unwrap();
    assert_eq!(f.entries[0].title.as_deref(), Some("区内要闻"));
}

#[test]
fn non_feeds_get_clear_errors() {
    let err = |s: &str| {
        parse_feed(s.as_bytes(), None, &url(), SH)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("<!DOCTYPE html><html><body>hi</body></html>"),
        "not a feed: an HTML page (<html> root)"
    );
    assert_eq!(
        err("<opml><body/></opml>"),
        "not a feed: unknown root element <opml>"
    );
    assert!(err("{\"a\": 1}").starts_with("not a feed: JSON without"));
    assert!(err("{\"a\": ").starts_with("JSON Feed error at line 1 col"));
    assert_eq!(
        err("<!-- nothing -->"),
        "XML error at line 1 col 1: no element found"
    );
    assert!(err("hello").starts_with("not a feed: neither XML nor JSON"));
}

#[test]
fn websub_hub_and_self_links_in_every_format() {
    let rss = parse(
        r#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title>
        <link>http://example.com/</link>
        <atom:link rel="self" href="/feeds/news.xml" type="application/rss+xml"/>
        <atom:link rel="hub" href="https://hub.example.org/"/>
        <atom:link rel="hub" href="https://hub2.example.org/"/></channel></rss>"#,
    );
    assert_eq!(
        rss.hubs,
        ["https://hub.example.org/", "https://hub2.example.org/"]
    );
    assert_eq!(
        rss.self_url.as_deref(),
        Some("http://example.com/feeds/news.xml")
    );
    let atom = parse(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.com/base/"><title>T</title>
        <link rel="alternate" href="/"/><link rel="hub self-x" href="hub"/>
        <link rel="self" href="https://example.com/atom"/></feed>"#,
    );
    assert_eq!(atom.hubs, ["http://example.com/base/hub"]);
    assert_eq!(atom.self_url.as_deref(), Some("https://example.com/atom"));
    let json = parse(
        r#"{"version":"https://jsonfeed.org/version/1.1","title":"T","feed_url":"https://example.com/f.json",
        "hubs":[{"type":"rssCloud","url":"https://cloud.example/"},{"type":"WebSub","url":"https://hub.example.org/"}],
        "items":[]}"#,
    );
    assert_eq!(json.hubs, ["https://hub.example.org/"]);
    assert_eq!(json.self_url.as_deref(), Some("https://example.com/f.json"));
    let none = parse(r#"<rss version="2.0"><channel><title>T</title></channel></rss>"#);
    assert!(none.hubs.is_empty() && none.self_url.is_none());
}

/// Both ways of reading a document: entries taken while it is read, and entries read
/// from the whole tree afterwards.
fn both_ways(s: &str) -> (String, String) {
    let streamed = read_feed(s, &url(), SH, true);
    let whole = read_feed(s, &url(), SH, false);
    (format!("{streamed:?}"), format!("{whole:?}"))
}

#[test]
fn a_feed_of_100000_entries_keeps_every_entry_and_its_base() {
    // RSS 2.0: a channel base, and every thousandth item with a base of its own.
    let mut rss = String::from(
        r#"<rss version="2.0"><channel xml:base="http://example.org/a/"><title>t</title>"#,
    );
    for i in 0..100_000 {
        let base = if i % 1000 == 0 {
            format!(r#" xml:base="/b{i}/""#)
        } else {
            String::new()
        };
        rss.push_str(&format!(
            "<item{base}><guid>m{i}</guid><link>p{i}.html</link><title>第{i}条</title></item>"
        ));
    }
    rss.push_str("</channel></rss>");
    let f = parse(&rss);
    assert_eq!(f.entries.len(), 100_000);
    for (i, e) in f.entries.iter().enumerate() {
        assert_eq!(e.id.as_deref(), Some(format!("m{i}").as_str()));
        let want = if i % 1000 == 0 {
            format!("http://example.org/b{i}/p{i}.html")
        } else {
            format!("http://example.org/a/p{i}.html")
        };
        assert_eq!(e.url.as_deref(), Some(want.as_str()), "entry {i}");
    }

    // Atom: the feed's author comes after its entries and is still inherited.
    let mut atom = String::from(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.org/x/"><title>t</title>"#,
    );
    for i in 0..100_000 {
        atom.push_str(&format!(
            r#"<entry><id>e{i}</id><link href="{i}"/><content type="html">&lt;a href="r{i}"&gt;r&lt;/a&gt;</content></entry>"#
        ));
    }
    atom.push_str("<author><name>Ann</name></author></feed>");
    let f = parse(&atom);
    assert_eq!(f.entries.len(), 100_000);
    let last = &f.entries[99_999];
    assert_eq!(last.id.as_deref(), Some("e99999"));
    assert_eq!(last.url.as_deref(), Some("http://example.org/x/99999"));
    assert_eq!(
        last.content_html.as_deref(),
        Some(r#"<a href="http://example.org/x/r99999">r</a>"#)
    );
    assert!(f.entries.iter().all(|e| e.author.as_deref() == Some("Ann")));
}

#[test]
fn entries_taken_while_reading_are_those_of_the_whole_tree() {
    let docs = [
        // RSS 1.0: items beside the channel, before and after it, in another
        // namespace, and an empty one.
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
           <item rdf:about="http://example.com/0"><title>before</title></item>
           <channel rdf:about="http://example.com/"><title>C</title><items/></channel>
           <item rdf:about="http://example.com/1"><title>after</title></item>
           <x:item xmlns:x="urn:other"><title>other</title></x:item><item/>
           <item rdf:about="http://example.com/2"><title>last</title></item></rdf:RDF>"#,
        // Junk before the root, a second channel, items with and without bases.
        r#"<br/><p>x</p><rss version="2.0"><channel xml:base="http://example.com/b/"><title>one</title>
           <item><link>1</link></item><item xml:base="/c/"><link>2</link></item><item></item>
           </channel><channel><item><title>second channel</title></item></channel>
           <item><title>beside</title></item></rss>"#,
        // A bare channel root, an RSS root in a namespace of its own invention.
        r#"<channel><title>bare</title><item><title>a</title></item><ITEM><title>b</title></ITEM></channel>"#,
        r#"<rss xmlns="urn:mine"><channel><item><title>mine</title></item></channel></rss>"#,
        // Atom: entries before the feed's title and author, a nested entry inside
        // another element, an empty entry, an entry of another namespace.
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>one</title></entry>
           <source><entry><title>nested</title></entry></source><entry/>
           <e:entry xmlns:e="urn:x"><title>other</title></e:entry>
           <title>T</title><author><name>Ann</name></author></feed>"#,
        // Two roots with a feed's name: only the first is read.
        r#"<rss><channel><item><title>first</title></item></channel></rss>
           <rss><channel><item><title>second</title></item></channel></rss>"#,
        // An entry document, a truncated feed, mis-nested markup.
        r#"<entry xmlns="http://www.w3.org/2005/Atom"><title>only</title></entry>"#,
        r#"<rss><channel><item><title>One <b>bold</i></title></item><item><title>cut"#,
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>a</title><entry><title>in</title></entry></entry></feed>"#,
        // No channel at all: an error either way.
        r#"<rss><item><title>no channel</title></item></rss>"#,
    ];
    for doc in docs {
        let (streamed, whole) = both_ways(doc);
        assert_eq!(streamed, whole, "{doc}");
    }
}

/// Every feed of the corpora reads the same with entries taken while reading as from
/// the whole tree.
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus (set TIDINGS_CORPUS_DIR)")]
fn entries_taken_while_reading_agree_on_the_corpora() {
    let corpus = std::env::var_os("TIDINGS_CORPUS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
        });
    let mut dirs: Vec<_> = [
        "feedparser",
        "w3c-feedvalidator",
        "feed-rs",
        "rust-syndication",
    ]
    .iter()
    .map(|d| corpus.join(d))
    .collect();
    let (mut files, mut with_entries) = (0, 0);
    while let Some(dir) = dirs.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in read.flatten().map(|e| e.path()) {
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let text = crate::text::decode(&bytes, None);
            let (streamed, whole) = both_ways(&text);
            assert_eq!(streamed, whole, "{}", path.display());
            files += 1;
            with_entries += usize::from(
                read_feed(&text, &url(), SH, true).is_ok_and(|f| !f.entries.is_empty()),
            );
        }
    }
    assert!(
        files > 1000 && with_entries > 500,
        "{files} files, {with_entries} with entries"
    );
}
