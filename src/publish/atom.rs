//! Atom 1.0 (`atom_syndication`).

use super::{FeedDoc, FeedEntry, Format};
use atom_syndication::extension::{Extension, ExtensionMap};
use atom_syndication::{Content, Entry, Feed, Generator, Link, Person, Text};
use std::collections::BTreeMap;

pub fn render(doc: &FeedDoc) -> Result<Vec<u8>, String> {
    let feed = Feed {
        id: doc.url(Format::Atom),
        title: Text::plain(doc.title.clone()),
        subtitle: doc.description.clone().map(Text::plain),
        updated: doc.updated(),
        // Atom wants an author for every entry; entries without one inherit this.
        authors: vec![person(&doc.title)],
        links: vec![
            link(doc.url(Format::Atom), "self", Some(Format::Atom)),
            link(doc.hub.clone(), "hub", None),
            link(format!("{}/", doc.base_url), "alternate", None),
        ],
        generator: Some(Generator {
            value: "tidings".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        entries: doc.entries.iter().map(entry).collect(),
        namespaces: BTreeMap::from([("dc".to_string(), DC_NS.to_string())]),
        ..Default::default()
    };
    feed.write_to(Vec::new()).map_err(|e| e.to_string())
}

fn entry(e: &FeedEntry) -> Entry {
    Entry {
        id: e.id.clone(),
        title: Text::plain(e.title.clone()),
        updated: e.updated,
        published: e.published,
        authors: e.author.as_deref().map(person).into_iter().collect(),
        links: e
            .link
            .iter()
            .map(|l| link(l.clone(), "alternate", None))
            .collect(),
        summary: e.summary_html.clone().map(Text::html),
        content: e.content_html.clone().map(|html| Content {
            value: Some(html),
            content_type: Some("html".into()),
            ..Default::default()
        }),
        extensions: e.origin.as_deref().map(dc_source).unwrap_or_default(),
        ..Default::default()
    }
}

/// Dublin Core, for `dc:source` (the origin, 来源) in entries.
const DC_NS: &str = "http://purl.org/dc/elements/1.1/";

fn dc_source(origin: &str) -> ExtensionMap {
    let source = Extension {
        name: "dc:source".into(),
        value: Some(origin.to_string()),
        ..Default::default()
    };
    BTreeMap::from([(
        "dc".to_string(),
        BTreeMap::from([("source".to_string(), vec![source])]),
    )])
}

fn person(name: &str) -> Person {
    Person {
        name: name.to_string(),
        ..Default::default()
    }
}

fn link(href: String, rel: &str, format: Option<Format>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: format.map(|f| {
            f.content_type()
                .split(';')
                .next()
                .unwrap_or_default()
                .to_string()
        }),
        ..Default::default()
    }
}
