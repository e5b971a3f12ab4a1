//! `[source.select]`, compiled once when `feeds.toml` is read: running code gets
//! [`scraper::Selector`]s, so there is no "invalid selector" error at poll time.

use super::reader::{Ctx, Section, Span, Str};
use scraper::Selector;
use toml::de::DeTable;

/// The link inside an item when `link` is not given.
const DEFAULT_LINK: &str = "a[href]";

/// One compiled CSS selector, with the text it was written as (for messages).
#[derive(Debug, Clone)]
pub struct Css {
    pub text: String,
    pub selector: Selector,
}

impl Css {
    /// Compile `text`; the error is the message `feeds.toml` reports.
    pub fn parse(text: &str) -> Result<Css, String> {
        Selector::parse(text)
            .map(|selector| Css {
                text: text.to_string(),
                selector,
            })
            .map_err(|e| format!("invalid CSS selector \"{text}\": {e}"))
    }
}

/// `[source.select]`: CSS selectors for an HTML list page, compiled.
#[derive(Debug, Clone)]
pub struct ListSelectors {
    /// `item`: one match per article.
    pub item: Css,
    /// `link`: inside an item, the element whose `href` is the article (default: the
    /// first `a[href]` in the item, or the item itself when it is a link).
    pub link: Css,
    /// `title`: inside an item, the title text (default: the link's text, or its
    /// `title` attribute when the text is cut with an ellipsis).
    pub title: Option<Css>,
    /// `date`: inside an item, the element holding the date (default: any date in the
    /// item's text outside the title).
    pub date: Option<Css>,
}

impl ListSelectors {
    /// Compile selectors given as text (tools and tests; `feeds.toml` goes through
    /// [`read_selectors`], which reports every error at its place).
    pub fn new(
        item: &str,
        link: Option<&str>,
        title: Option<&str>,
        date: Option<&str>,
    ) -> Result<ListSelectors, String> {
        Ok(ListSelectors {
            item: Css::parse(item)?,
            link: Css::parse(link.unwrap_or(DEFAULT_LINK))?,
            title: title.map(Css::parse).transpose()?,
            date: date.map(Css::parse).transpose()?,
        })
    }
}

pub(super) fn read_selectors(cx: &mut Ctx, table: &DeTable, span: Span) -> Option<ListSelectors> {
    let sec = Section::new(
        cx,
        "[source.select]",
        table,
        span,
        &["item", "link", "title", "date"],
    );
    // A bad selector is reported and read as absent, so that the others are checked too.
    let css = |cx: &mut Ctx, s: Option<Str>| -> Option<Css> {
        let s = s?;
        Css::parse(&s.value)
            .map_err(|message| cx.error(&s.span, message))
            .ok()
    };
    let item = sec.required_string(cx, "item", "\"ul.list li\"");
    let item = css(cx, item);
    let link = sec.string(cx, "link");
    let link_given = link.is_some();
    let link = css(cx, link);
    let title = sec.string(cx, "title");
    let title = css(cx, title);
    let date = sec.string(cx, "date");
    let date = css(cx, date);
    let link = match link {
        Some(link) => link,
        None if link_given => return None,
        None => Css::parse(DEFAULT_LINK).expect("the default link selector is valid"),
    };
    Some(ListSelectors {
        item: item?,
        link,
        title,
        date,
    })
}
