//! `[[source]]` (what to poll) and `[[feed]]` (what to republish).

use super::daemon::{CronSpec, parse_cron, parse_http_url, parse_tz};
use super::ids::Ids;
use super::reader::{Ctx, Section, Span};
use super::select::{ListSelectors, read_selectors};
use chrono_tz::Tz;
use toml::de::DeTable;
use url::Url;

/// `kind`: how a source's page is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `"auto"`: a feed if the body is one, else an HTML list page.
    Auto,
    /// `"feed"`: RSS, Atom or JSON Feed.
    Feed,
    /// `"html"`: an HTML list page of articles.
    Html,
}

/// `[[source]]`: one thing to poll.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// `id`: `[a-z0-9-]+`, unique among sources; feeds name sources by it.
    pub id: String,
    /// `url`: the feed or list page, `http://` or `https://`.
    pub url: Url,
    /// `title`: optional; else taken from the feed or page.
    pub title: Option<String>,
    /// `kind`: `"auto"` (default), `"feed"` or `"html"`.
    pub kind: SourceKind,
    /// `schedule`: this source's cron schedule, else the daemon's.
    pub schedule: Option<CronSpec>,
    /// `full_text`: open each item's page and extract the article. Unset: yes for list
    /// pages, no for feeds (whose entries usually carry their text; with `true`, a feed
    /// entry that is only a teaser gets its page extracted). See [`SourceConfig::full_text_for`].
    pub full_text: Option<bool>,
    /// `notify_existing`: on a source's first poll, how many of the items already listed
    /// to announce (default 0: they are marked as seen, so adding a source floods nobody).
    pub notify_existing: u32,
    /// `[source.select]`: CSS selectors for an HTML list page (`item`, and optional `link`,
    /// `title`, `date` inside it), compiled. Without it the article list is detected.
    pub select: Option<ListSelectors>,
    /// `timezone`: the zone of dates printed without an offset, else the daemon's.
    pub timezone: Option<Tz>,
    /// `charset`: read this source's pages (list and articles) in this encoding whatever
    /// they declare and whatever the bytes suggest, for the rare site whose declarations
    /// and bytes both lie. A WHATWG label (`"gb18030"`, `"big5"`, `"shift_jis"` …);
    /// GB2312/GBK read as GB18030.
    pub charset: Option<&'static encoding_rs::Encoding>,
    /// `keep_items`, `keep_days`: this source's retention, else `[store]`'s.
    pub keep: crate::store::Keep,
    /// `allow_private`: links found in this source's content, and redirects, may reach
    /// loopback, private and link-local addresses (default false: only the source's own
    /// host may; see [`crate::fetch::guard`]).
    pub allow_private: bool,
}

/// A keyword, or a `/regex/`, matched on title and text.
#[derive(Debug, Clone)]
pub enum Filter {
    /// Matched case-insensitively as a substring.
    Keyword(String),
    /// Written `/…/`; `(?i)` inside makes it case-insensitive.
    Regex(regex::Regex),
}

impl Filter {
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Filter::Keyword(k) => text.to_lowercase().contains(&k.to_lowercase()),
            Filter::Regex(r) => r.is_match(text),
        }
    }
}

/// `[[feed]]`: a feed served at `/feeds/{id}.atom`, `.rss` and `.json`.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// `id`: `[a-z0-9-]+`, unique among feeds; the feed's URL path.
    pub id: String,
    /// `title`: the feed's title (default: the id).
    pub title: Option<String>,
    /// `description`: optional subtitle.
    pub description: Option<String>,
    /// `sources`: source ids; `["*"]` is expanded to every source.
    pub sources: Vec<String>,
    /// `include`: keep only items whose title or text matches one of these (empty: all).
    pub include: Vec<Filter>,
    /// `exclude`: drop items whose title or text matches one of these.
    pub exclude: Vec<Filter>,
    /// `limit`: how many of the newest items the feed lists (default 50).
    pub limit: usize,
}

const SOURCE_FIELDS: &[&str] = &[
    "id",
    "url",
    "title",
    "kind",
    "schedule",
    "full_text",
    "notify_existing",
    "select",
    "timezone",
    "charset",
    "keep_items",
    "keep_days",
    "allow_private",
];

/// Read one `[[source]]`; its id is recorded in `ids` whenever it is valid, even when
/// other fields are not, so that feeds naming it raise no second error.
pub(super) fn read_source(
    cx: &mut Ctx,
    table: &DeTable,
    span: Span,
    ids: &mut Ids,
    keep: crate::store::Keep,
) -> Option<SourceConfig> {
    let sec = Section::new(cx, "[[source]]", table, span, SOURCE_FIELDS);
    let id = sec.required_string(cx, "id", "\"city-news\"");
    if let Some(id) = &id {
        ids.add(cx, id);
    }
    let url = match sec.get("url") {
        None => {
            sec.missing(cx, "url", "\"https://www.example.gov.cn/news/\"");
            None
        }
        Some(_) => sec.parsed(cx, "url", |s| parse_http_url(s, "source url")),
    };
    let title = sec.string(cx, "title").map(|s| s.value);
    let kind = sec.parsed(cx, "kind", |s| match s {
        "auto" => Ok(SourceKind::Auto),
        "feed" => Ok(SourceKind::Feed),
        "html" => Ok(SourceKind::Html),
        other => Err(format!(
            "unknown source kind \"{other}\"; expected \"auto\", \"feed\" or \"html\""
        )),
    });
    let kind = kind.unwrap_or(SourceKind::Auto);
    let schedule = sec.parsed(cx, "schedule", parse_cron);
    let full_text = sec.boolean(cx, "full_text");
    let notify_existing = sec
        .integer(cx, "notify_existing", 0, i64::from(u32::MAX))
        .map_or(0, |n| n as u32);
    let timezone = sec.parsed(cx, "timezone", parse_tz);
    let charset = sec.parsed(cx, "charset", parse_charset);
    let keep = super::store::read_keep(cx, &sec, keep);
    let allow_private = sec.boolean(cx, "allow_private").unwrap_or(false);
    let select = sec.table(cx, "select").and_then(|(table, span)| {
        if kind == SourceKind::Feed {
            cx.error(
                &span,
                "`select` is for HTML list pages, but this source has kind = \"feed\"; \
                 remove [source.select] or set kind = \"html\"",
            );
            return None;
        }
        read_selectors(cx, table, span)
    });
    // A source with a bad field is still returned (with that field's default) when its id
    // and url are usable: the whole file is rejected anyway, and reading on finds more.
    Some(SourceConfig {
        id: id?.value,
        url: url?,
        title,
        kind,
        schedule,
        full_text,
        notify_existing,
        select,
        timezone,
        charset,
        keep,
        allow_private,
    })
}

/// A charset label as `encoding_rs` knows it (WHATWG names and aliases).
fn parse_charset(s: &str) -> Result<&'static encoding_rs::Encoding, String> {
    crate::text::charset::encoding_for_label(s).ok_or_else(|| {
        format!(
            "unknown charset \"{s}\"; expected an encoding label such as \"gb18030\", \"big5\", \"utf-8\" or \"shift_jis\""
        )
    })
}

const FEED_FIELDS: &[&str] = &[
    "id",
    "title",
    "description",
    "sources",
    "include",
    "exclude",
    "limit",
];

pub(super) fn read_feed(
    cx: &mut Ctx,
    table: &DeTable,
    span: Span,
    feed_ids: &mut Ids,
    source_ids: &Ids,
) -> Option<FeedConfig> {
    let sec = Section::new(cx, "[[feed]]", table, span, FEED_FIELDS);
    let id = sec.required_string(cx, "id", "\"news\"");
    if let Some(id) = &id {
        feed_ids.add(cx, id);
    }
    let title = sec.string(cx, "title").map(|s| s.value);
    let description = sec.string(cx, "description").map(|s| s.value);
    let sources = match sec.get("sources") {
        None => {
            sec.missing(cx, "sources", "[\"*\"]");
            None
        }
        Some(value) => sec.strings(cx, "sources").map(|refs| {
            if refs.is_empty() {
                cx.error(
                    &value.span(),
                    "`sources` is empty; name source ids, or \"*\" for every source",
                );
            }
            source_ids.resolve(cx, &refs, "sources")
        }),
    };
    let include = read_filters(cx, &sec, "include");
    let exclude = read_filters(cx, &sec, "exclude");
    let limit = sec
        .integer(cx, "limit", 1, 10_000)
        .map_or(50, |n| n as usize);
    Some(FeedConfig {
        id: id?.value,
        title,
        description,
        sources: sources?,
        include,
        exclude,
        limit,
    })
}

fn read_filters(cx: &mut Ctx, sec: &Section, key: &str) -> Vec<Filter> {
    let Some(list) = sec.strings(cx, key) else {
        return Vec::new();
    };
    list.into_iter()
        .filter_map(|s| match parse_filter(&s.value) {
            Ok(f) => Some(f),
            Err(m) => {
                cx.error(&s.span, format!("`{key}`: {m}"));
                None
            }
        })
        .collect()
}

/// `/…/` is a regular expression; anything else a keyword.
fn parse_filter(s: &str) -> Result<Filter, String> {
    if s.len() >= 2
        && let Some(pattern) = s.strip_prefix('/').and_then(|p| p.strip_suffix('/'))
    {
        if pattern.is_empty() {
            return Err("empty regular expression \"//\"".into());
        }
        return regex::Regex::new(pattern)
            .map(Filter::Regex)
            .map_err(|e| format!("invalid regular expression {s}: {}", regex_reason(&e)));
    }
    if s.trim().is_empty() {
        return Err("empty keyword (it would match everything)".into());
    }
    Ok(Filter::Keyword(s.to_string()))
}

/// The one-line reason of a regex error (its Display draws the pattern over several lines).
fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(text.lines().last().unwrap_or(""))
        .trim()
        .to_string()
}

impl SourceConfig {
    /// What this source's fetches may reach: its own host, and other hosts on public
    /// addresses unless `allow_private`.
    pub fn reach(&self) -> crate::fetch::Reach {
        crate::fetch::Reach::source(&self.id, &self.url, self.allow_private)
    }

    /// Whether to open each item's page, once it is known whether the source turned out
    /// to be a feed (`kind = "auto"` decides on the body).
    pub fn full_text_for(&self, is_feed: bool) -> bool {
        self.full_text.unwrap_or(!is_feed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_keywords_or_slashed_regexes() {
        assert!(matches!(parse_filter("棉花"), Ok(Filter::Keyword(k)) if k == "棉花"));
        let re = parse_filter("/^关于.*通知$/").unwrap();
        assert!(re.matches("关于开展检查的通知"));
        assert!(!re.matches("通知"));
        assert!(parse_filter("/").is_ok(), "a lone slash is a keyword");
        let e = parse_filter("/a(b/").unwrap_err();
        assert!(e.contains("unclosed group"), "{e}");
        assert!(!e.contains('\n'));
    }

    #[test]
    fn keywords_ignore_case() {
        assert!(Filter::Keyword("Rust".into()).matches("rust 1.90 released"));
    }
}
