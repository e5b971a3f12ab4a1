//! RSS 2.0 (`rss`), with `atom:link rel="self"` (readers use it to find the feed's own
//! address), `content:encoded` for full content and `dc:creator` for authors (RSS's own
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
        extensions: self_link(&doc.url(Format::Rss)),
        namespaces: BTreeMap::from([("atom".to_string(), ATOM_NS.to_string())]),
        items: doc.entries.iter().map(item).collect(),
        ..Default::default()
    };
    channel.write_to(Vec::new()).map_err(|e| e.to_string())
}

fn self_link(href: &str) -> ExtensionMap {
    let link = Extension {
        name: "atom:link".into(),
        value: None,
        attrs: BTreeMap::from([
            ("href".to_string(), href.to_string()),
            ("rel".to_string(), "self".to_string()),
            ("type".to_string(), "application/rss+xml".to_string()),
        ]),
        children: BTreeMap::new(),
    };
    BTreeMap::from([(
        "atom".to_string(),
        BTreeMap::from([("link".to_string(), vec![link])]),
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
