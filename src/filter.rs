//! Which items a feed takes, and which of them a subscriber's keywords pick: the one
//! matching rule that publishing ([`crate::publish`]) and notification ([`crate::notify`])
//! share, so that a feed and the mails or messages made from it never disagree.

use crate::config::{FeedConfig, Filter};
use crate::model::Item;

/// What filters are matched against: the title and the text (else the summary).
fn haystack(item: &Item) -> String {
    let text = item
        .content_text
        .as_deref()
        .or(item.summary.as_deref())
        .unwrap_or("");
    format!("{}\n{}", item.title, text)
}

/// Whether `item` belongs to `feed`: it comes from one of the feed's sources, any
/// include matches (or there are none), and no exclude matches.
pub fn feed_accepts(feed: &FeedConfig, item: &Item) -> bool {
    if !feed.sources.contains(&item.source) {
        return false;
    }
    passes(feed, item)
}

/// The feed's include/exclude filters alone (the caller already chose the sources).
pub fn passes(feed: &FeedConfig, item: &Item) -> bool {
    if feed.include.is_empty() && feed.exclude.is_empty() {
        return true;
    }
    let haystack = haystack(item);
    (feed.include.is_empty() || feed.include.iter().any(|f| f.matches(&haystack)))
        && !feed.exclude.iter().any(|f| f.matches(&haystack))
}

/// A subscriber's personal keywords: `Ok(None)` when there are none (everything
/// passes), `Ok(Some(k))` with the first keyword that matches, `Err(())` when none does.
/// Keywords match like a feed's `include` keywords: case-insensitive substrings of the
/// title and text.
#[allow(clippy::result_unit_err)]
pub fn keyword_match<'k>(keywords: &'k [String], item: &Item) -> Result<Option<&'k str>, ()> {
    if keywords.is_empty() {
        return Ok(None);
    }
    let haystack = haystack(item);
    keywords
        .iter()
        .find(|k| Filter::Keyword((*k).clone()).matches(&haystack))
        .map(|k| Some(k.as_str()))
        .ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(include: Vec<Filter>, exclude: Vec<Filter>) -> FeedConfig {
        FeedConfig {
            id: "f".into(),
            title: None,
            description: None,
            sources: vec!["s".into()],
            include,
            exclude,
            limit: 0,
        }
    }

    pub(crate) fn item(title: &str, text: &str) -> Item {
        Item {
            source: "s".into(),
            id: title.into(),
            url: None,
            title: title.into(),
            published: None,
            updated: None,
            author: None,
            origin: None,
            subtitle: None,
            summary: None,
            content_text: Some(text.into()),
            content_html: None,
            first_seen: chrono::Utc::now(),
            revision: 0,
        }
    }

    #[test]
    fn include_matches_title_or_text_and_exclude_wins() {
        let f = feed(
            vec![Filter::Keyword("棉花".into())],
            vec![Filter::Regex(regex::Regex::new("^广告").unwrap())],
        );
        assert!(feed_accepts(&f, &item("今年棉花丰收", "")));
        assert!(feed_accepts(&f, &item("新闻", "说到棉花")));
        assert!(!feed_accepts(&f, &item("新闻", "无关")));
        assert!(!feed_accepts(&f, &item("广告：棉花", "")));
        let mut other = item("今年棉花丰收", "");
        other.source = "elsewhere".into();
        assert!(!feed_accepts(&f, &other), "a source the feed does not name");
    }

    #[test]
    fn personal_keywords_name_the_one_that_matched() {
        let k = vec!["棉花".to_string(), "Rust".to_string()];
        assert_eq!(
            keyword_match(&k, &item("今年棉花丰收", "")),
            Ok(Some("棉花"))
        );
        assert_eq!(
            keyword_match(&k, &item("x", "about rust")),
            Ok(Some("Rust"))
        );
        assert_eq!(keyword_match(&k, &item("科协", "")), Err(()));
        assert_eq!(keyword_match(&[], &item("科协", "")), Ok(None));
    }
}
