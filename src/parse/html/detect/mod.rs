//! Finding the article list on a page without selectors.
//!
//! Every visible link is a possible list row, and so is each of its ancestors a few
//! levels up. Rows are grouped by the element that contains them and the shape of the
//! path down to them (`ul > li`, or `div.cnt > ul.list_txt > li` when a list is split
//! into several blocks). Each group is scored by what distinguishes an article list from
//! a menu, a sidebar or a link directory: title-length link texts, a date on each row,
//! article URLs that share one shape (`/202209/t20220907_123.html`), one title link per
//! row, and no `nav`/`footer`/`sidebar` around it. A group counts one row per URL (a
//! menu whose entries share a placeholder href is not a list of them), and two or three
//! rows need more evidence: dates on every row, or titled article links of one shape.
//! The best group wins if it looks like a list at all; a page with only menus, a
//! directory of other sites or a previous/next pair yields nothing.
//!
//! - this file: candidate rows, grouped by container and path shape;
//! - [`score`]: how much a group looks like the page's article list;
//! - [`urls`]: what article URLs look like (shapes, ids, dates, slugs).

mod score;
#[cfg(test)]
mod tests;
mod urls;

use super::page::{base_url, hides_content, link_target, normalise, visible_text};
use super::row::{Link, Row, TITLE_LIKE, read_row};
use super::when::Shown;
use crate::model::ListItem;
use chrono_tz::Tz;
use ego_tree::NodeId;
use ego_tree::iter::Edge;
use regex::Regex;
use score::score_group;
use scraper::{ElementRef, Html};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use url::Url;
pub(crate) use urls::is_article_url;
use urls::url_shape;

/// How far above a link its row may be (a card's title link sits deep inside it).
const ROW_LEVELS: usize = 8;
/// How far above a row the list container may be: one level for `ul > li`, more for a
/// list split into blocks.
const CONTAINER_LEVELS: usize = 3;

/// Link texts of pagination and "more" links, never articles.
static PAGER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:[\[【(（]?\s*\d{1,4}\s*[\]】)）]?|首页|尾页|末页|上一?页|下一?页|前一页|后一页|上一篇|下一篇|(?:查看)?更多.{0,6}|(?:read\s+|view\s+|load\s+)?more\s*[>»›.…]*|next\s*[>»›]*|prev(?:ious)?\s*[<«‹]*|first\s*[<«‹]*|last\s*[>»›]*|[<>«»‹›]+|\.\.\.|…|跳转|go|返回.{0,4}|打印.{0,4}|关闭.{0,4})$",
    )
    .expect("static regex")
});

/// The part of [`PAGER_RE`] that is page navigation (not "more" links, which head
/// sidebar blocks as often as lists).
static PAGE_NAV_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:[\[【(（]?\s*\d{1,4}\s*[\]】)）]?|首页|尾页|末页|上一?页|下一?页|前一页|后一页|next\s*[>»›]*|prev(?:ious)?\s*[<«‹]*|last\s*[>»›]*|[<>«»‹›]+)$",
    )
    .expect("static regex")
});

/// How many levels above a pagination link count as "around" it.
const PAGER_LEVELS: usize = 5;

/// One group of candidate rows under one container.
#[derive(Default)]
struct Group {
    /// Rows in document order, each with the indexes of its links.
    rows: Vec<(NodeId, Vec<usize>)>,
    container: Option<NodeId>,
    levels: usize,
}

/// A row as read, with what scoring needs to know about its URL.
struct Facts {
    row: Row,
    shape: String,
    article: bool,
}

/// The main list of a page, or nothing when the page has none.
pub(super) fn detect(doc: &Html, page_url: &Url, tz: Tz) -> Vec<ListItem> {
    let base = base_url(doc, page_url);
    let (links, near_pager) = visible_links(doc, &base, page_url);
    let groups = group_rows(&links);

    // Each row is read once, however many groups it is a candidate in.
    let mut read: Vec<Facts> = Vec::new();
    let mut memo: HashMap<NodeId, Option<usize>> = HashMap::new();
    let mut best: Option<(f64, &Group, Vec<usize>)> = None;
    for group in &groups {
        if group.rows.len() < 2 {
            continue;
        }
        let rows: Vec<usize> = group
            .rows
            .iter()
            .filter_map(|(id, link_ids)| {
                *memo.entry(*id).or_insert_with(|| {
                    let row = read_row_at(doc, *id, link_ids, &links, tz)?;
                    read.push(Facts {
                        shape: url_shape(&row.url),
                        article: is_article_url(&row.url),
                        row,
                    });
                    Some(read.len() - 1)
                })
            })
            .collect();
        let facts: Vec<&Facts> = rows.iter().map(|&i| &read[i]).collect();
        let Some(score) = score_group(doc, group, &facts, &near_pager) else {
            continue;
        };
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, group, rows));
        }
    }

    let Some((_, group, rows)) = best else {
        return Vec::new();
    };
    let rows: Vec<Row> = rows.into_iter().map(|i| read[i].row.clone()).collect();
    let rows = expand_nested_rows(doc, group, rows, &links, tz);
    let mut items: Vec<ListItem> = Vec::with_capacity(rows.len());
    let mut seen: HashSet<String> = HashSet::new();
    for row in rows {
        let url = row.url.to_string();
        if !seen.insert(url.clone()) {
            continue;
        }
        items.push(ListItem {
            url,
            title: row.title,
            published: match row.shown {
                Shown::Date(d) => Some(d),
                _ => None,
            },
        });
    }
    items
}

fn read_row_at(doc: &Html, id: NodeId, link_ids: &[usize], links: &[Link], tz: Tz) -> Option<Row> {
    let el = doc.tree.get(id).and_then(ElementRef::wrap)?;
    let row_links: Vec<Link> = link_ids.iter().map(|&i| links[i].clone()).collect();
    read_row(el, &row_links, tz)
}

/// Split rows that hold several articles. Broken table markup nests rows (a pinned
/// `<tr>` left inside an unclosed table ends up inside the next row, deeper than rows
/// are looked for), and some templates put two articles side by side in one row. A
/// row with several links is cut into its nested rows of the same tag, else into its
/// children; the parts are kept when at least two of them each hold one title-like
/// article link, and the row is read whole otherwise.
fn expand_nested_rows(
    doc: &Html,
    group: &Group,
    rows: Vec<Row>,
    links: &[Link],
    tz: Tz,
) -> Vec<Row> {
    // Every link inside each row, however deep.
    let row_ids: Vec<NodeId> = group.rows.iter().map(|(id, _)| *id).collect();
    let is_row: HashSet<NodeId> = row_ids.iter().copied().collect();
    let mut inside: HashMap<NodeId, Vec<usize>> = HashMap::new();
    for (i, link) in links.iter().enumerate() {
        let mut cur = link.el.parent();
        while let Some(node) = cur {
            if is_row.contains(&node.id()) {
                inside.entry(node.id()).or_default().push(i);
                break;
            }
            cur = node.parent();
        }
    }
    let nests = |id: &NodeId| {
        inside.get(id).is_some_and(|ids| {
            let mut urls: Vec<&Url> = ids.iter().map(|&i| &links[i].url).collect();
            urls.dedup();
            urls.len() > 1
        })
    };
    if !row_ids.iter().any(nests) {
        return rows;
    }

    let mut out = Vec::new();
    for (id, own_links) in &group.rows {
        let link_ids = inside.get(id).map(Vec::as_slice).unwrap_or_default();
        let Some(row_el) = doc.tree.get(*id).and_then(ElementRef::wrap) else {
            continue;
        };
        let tag = row_el.value().name();
        // Each link's part: its nearest ancestor of the row's own tag below the row,
        // else the row's child that holds it.
        let mut parts: Vec<(NodeId, Vec<usize>)> = Vec::new();
        let mut part_at: HashMap<NodeId, usize> = HashMap::new();
        for &i in link_ids {
            let mut part = links[i].el.id();
            let mut cur = links[i].el.parent().and_then(ElementRef::wrap);
            while let Some(e) = cur {
                if e.id() == *id {
                    break;
                }
                if e.value().name() == tag {
                    part = e.id();
                    break;
                }
                part = e.id();
                cur = e.parent().and_then(ElementRef::wrap);
            }
            let at = *part_at.entry(part).or_insert_with(|| {
                parts.push((part, Vec::new()));
                parts.len() - 1
            });
            parts[at].1.push(i);
        }
        let subrows: Vec<Row> = parts
            .iter()
            .filter_map(|(part, ids)| read_row_at(doc, *part, ids, links, tz))
            .filter(|r| r.weight >= TITLE_LIKE && r.title_links == 1 && is_article_url(&r.url))
            .collect();
        if subrows.len() >= 2 {
            out.extend(subrows);
        } else if let Some(row) = read_row_at(doc, *id, own_links, links, tz) {
            out.push(row);
        }
    }
    out
}

/// Links a reader can see and follow, in document order, without pagination and
/// "more" links; and the blocks around pagination links (a few levels up), since the
/// main list of a column page is the one its pager follows.
fn visible_links<'a>(
    doc: &'a Html,
    base: &Url,
    page_url: &Url,
) -> (Vec<Link<'a>>, HashSet<NodeId>) {
    let mut links = Vec::new();
    let mut near_pager = HashSet::new();
    let mut hidden_at: Option<NodeId> = None;
    for edge in doc.root_element().traverse() {
        match edge {
            Edge::Open(node) => {
                if hidden_at.is_some() {
                    continue;
                }
                let Some(el) = ElementRef::wrap(node) else {
                    continue;
                };
                if hides_content(&el) {
                    hidden_at = Some(node.id());
                    continue;
                }
                if el.value().name() != "a" {
                    continue;
                }
                let Some(href) = el.value().attr("href") else {
                    continue;
                };
                let text = normalise(&visible_text(el, None));
                if PAGER_RE.is_match(&text) {
                    // Page navigation, often `javascript:` links: remember where it is.
                    if PAGE_NAV_RE.is_match(&text) {
                        near_pager.extend(el.ancestors().take(PAGER_LEVELS).map(|a| a.id()));
                    }
                    continue;
                }
                let Some(url) = link_target(href, base, page_url) else {
                    continue;
                };
                links.push(Link { el, url });
            }
            Edge::Close(node) => {
                if hidden_at == Some(node.id()) {
                    hidden_at = None;
                }
            }
        }
    }
    (links, near_pager)
}

/// Group every link's possible rows by (container, path shape from container to row).
fn group_rows(links: &[Link]) -> Vec<Group> {
    let mut index: HashMap<(NodeId, String), usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (i, link) in links.iter().enumerate() {
        let mut chain: Vec<ElementRef> = vec![link.el];
        let mut up = link.el;
        while chain.len() < ROW_LEVELS + CONTAINER_LEVELS + 1 {
            match up.parent().and_then(ElementRef::wrap) {
                Some(p) if p.value().name() != "html" => {
                    chain.push(p);
                    up = p;
                }
                _ => break,
            }
        }
        for r in 0..ROW_LEVELS.min(chain.len()) {
            let row = chain[r];
            let mut shape = row.value().name().to_string();
            for j in 1..=CONTAINER_LEVELS {
                let Some(container) = chain.get(r + j) else {
                    break;
                };
                if j > 1 {
                    shape = format!("{}>{shape}", signature(chain[r + j - 1]));
                }
                let key = (container.id(), shape.clone());
                let g = *index.entry(key).or_insert_with(|| {
                    groups.push(Group {
                        container: Some(container.id()),
                        levels: j,
                        ..Group::default()
                    });
                    groups.len() - 1
                });
                let rows = &mut groups[g].rows;
                match rows.last_mut() {
                    Some((id, ids)) if *id == row.id() => ids.push(i),
                    _ => rows.push((row.id(), vec![i])),
                }
            }
        }
    }
    groups
}

/// `tag.class1.class2`: what a block of a split list shares with its siblings.
fn signature(el: ElementRef) -> String {
    let mut sig = el.value().name().to_string();
    for class in el.value().classes() {
        sig.push('.');
        sig.push_str(class);
    }
    sig
}
