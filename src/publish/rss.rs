//! RSS 2.0 (`rss`), with `atom:link rel="self"` (readers use it to find the feed's own
//! address) and `atom:link rel="hub"` (its WebSub hub), `content:encoded` for full content and `dc:creator` for authors (RSS's own
//! `author` element must be an e-mail address).

use super::{FeedDoc, FeedEntry, Format};
use rss::extension::dublincore::DublinCoreExtension;
use rss::extension::{Extension, ExtensionMap};
use rss::{Channel, Guid, Item};
use std::collections::BTreeMap;

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

pub fn render(doc: &FeedDoc) -> Result<Vec<u8>, String> {
    let channel = Channel {
        title: doc.title.clone(),
        link: format!("{}/", doc.base_url),
        // RSS requires a description; the title is the best one there is without it.
        description: doc.description.clone().unwrap_or_else(|| doc.title.clone()),
        last_build_date: doc.entries.first().map(|_| doc.updated().to_rfc2822()),
        generator: Some(format!("tidings {}", env!("CARGO_PKG_VERSION"))),
        extensions: atom_links(&doc.url(Format::Rss), &doc.hub),
        namespaces: BTreeMap::from([("atom".to_string(), ATOM_NS.to_string())]),
        items: doc.entries.iter().map(item).collect(),
        ..Default::default()
    };
    channel.write_to(Vec::new()).map_err(|e| e.to_string())
}

fn atom_links(self_href: &str, hub: &str) -> ExtensionMap {
    let link = |attrs: &[(&str, &str)]| Extension {
        name: "atom:link".into(),
        value: None,
        attrs: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        children: BTreeMap::new(),
    };
    let links = vec![
        link(&[
            ("href", self_href),
            ("rel", "self"),
            ("type", "application/rss+xml"),
        ]),
        link(&[("href", hub), ("rel", "hub")]),
    ];
    BTreeMap::from([(
        "atom".to_string(),
        BTreeMap::from([("link".to_string(), links)]),
    )])
}

fn item(e: &FeedEntry) -> Item {
    Item {
        title: Some(e.title.clone()),
        link: e.link.clone(),
        // Readers show `description`; it carries the summary, else the full content.
        description: e.summary_html.clone().or_else(|| e.content_html.clone()),
        guid: Some(Guid {
            value: e.id.clone(),
            permalink: false,
        }),
        pub_date: Some(e.published.unwrap_or(e.updated).to_rfc2822()),
        content: e.content_html.clone(),
        // dc:creator is the writer; dc:source the origin (来源).
        dublin_core_ext: (e.author.is_some() || e.origin.is_some()).then(|| DublinCoreExtension {
            creators: e.author.iter().cloned().collect(),
            sources: e.origin.iter().cloned().collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}
