//! `[store]`: how much the database keeps. Per-source `keep_items`/`keep_days` override it.

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
    let sec = Section::new(cx, "[store]", table, span, &["keep_items", "keep_days"]);
    StoreConfig {
        keep: read_keep(cx, &sec, Keep::DEFAULT),
    }
}
