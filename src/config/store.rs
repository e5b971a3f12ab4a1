//! `[store]`: which database, and how much it keeps. Per-source `keep_items`/`keep_days`
//! override the latter.

use super::reader::{Ctx, Section, Span};
use crate::store::Keep;
use toml::de::DeTable;

/// `[store]`: the database. Every field is optional.
#[derive(Debug, Clone, Default)]
pub struct StoreConfig {
    /// `keep_items` (default 200) and `keep_days` (default 30): an item is removed when
    /// it is neither among its source's newest `keep_items` nor first stored less than
    /// `keep_days` ago (whichever keeps more wins; 0 turns one limit off, not both).
    /// Items still listed by their source leave a tombstone, so they are never announced
    /// again. See [`crate::store::retention`].
    pub keep: Keep,
    /// `url`: a PostgreSQL database (`postgres://user:${PGPASSWORD}@host/db`) shared by
    /// any number of `tidings run` replicas; without it, sled in `[daemon] data_dir`.
    pub url: Option<StoreUrl>,
}

/// A `postgres://` URL, checked when read. Its password never reaches a log.
#[derive(Clone, PartialEq)]
pub struct StoreUrl(String);

impl StoreUrl {
    /// Check a URL as `[store] url` takes it: `postgres://` or `postgresql://`, and
    /// understood by the client.
    pub fn parse(s: &str) -> Result<StoreUrl, String> {
        if !(s.starts_with("postgres://") || s.starts_with("postgresql://")) {
            return Err(format!(
                "`url` must be a PostgreSQL URL (postgres://user:password@host:port/database), not {:?}",
                redact(s)
            ));
        }
        s.parse::<tokio_postgres::Config>()
            .map_err(|e| format!("`url` is not a PostgreSQL URL the client understands: {e}"))?;
        Ok(StoreUrl(s.to_string()))
    }

    /// The URL with its password, for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", redact(&self.0))
    }
}

/// A database URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(unparsable)".to_string(),
    }
}

/// Bounds catch typos; a year of days or a million items is still allowed.
const MAX_ITEMS: i64 = 1_000_000;
const MAX_DAYS: i64 = 36_500;

/// Read `keep_items` and `keep_days` of a section over `base`; both 0 is an error at
/// the section (it would keep nothing).
pub(super) fn read_keep(cx: &mut Ctx, sec: &Section, base: Keep) -> Keep {
    let items = sec.integer(cx, "keep_items", 0, MAX_ITEMS);
    let days = sec.integer(cx, "keep_days", 0, MAX_DAYS);
    let keep = Keep {
        items: items.map_or(base.items, |n| n as usize),
        days: days.map_or(base.days, |n| n as u32),
    };
    if (items.is_some() || days.is_some()) && keep.items == 0 && keep.days == 0 {
        let at = sec
            .get("keep_items")
            .or(sec.get("keep_days"))
            .map_or(sec.span.clone(), |v| v.span());
        cx.error(
            &at,
            format!(
                "{} would keep no items: keep_items = 0 and keep_days = 0; \
                 set at least one of them above 0",
                sec.name
            ),
        );
    }
    keep
}

pub(super) fn read_store(cx: &mut Ctx, table: Option<(&DeTable, Span)>) -> StoreConfig {
    let Some((table, span)) = table else {
        return StoreConfig::default();
    };
    let sec = Section::new(cx, "[store]", table, span, &["keep_items", "keep_days", "url"]);
    StoreConfig {
        keep: read_keep(cx, &sec, Keep::DEFAULT),
        url: sec.parsed(cx, "url", StoreUrl::parse),
    }
}
