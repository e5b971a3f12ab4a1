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

use super::page::{base_url, hides_content, link_target, normalise, visible_text};
use super::row::{Link, Row, TITLE_LIKE, read_row};
use super::when::Shown;
use crate::model::ListItem;
use chrono_tz::Tz;
use ego_tree::NodeId;
use ego_tree::iter::Edge;
use regex::Regex;
use scraper::{ElementRef, Html};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use url::Url;

/// How far above a link its row may be (a card's title link sits deep inside it).
const ROW_LEVELS: usize = 8;
/// How far above a row the list container may be: one level for `ul > li`, more for a
/// list split into blocks.
const CONTAINER_LEVELS: usize = 3;

/// Class/id words of blocks that are not the main list.
static CHROME_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(^|[^a-z])(nav|navbar|menu|submenu|footer|foot|header|topbar|breadcrumbs?|crumbs?|location|position|side|sidebar|aside|friend|friendlink|links|yqlj|pager|pagination|paging|pages|copyright|banner|slider?|swiper|carousel|focus|hot|hots|rank|ranking|recommend|tuijian|tags?|share|login)([^a-z]|$)",
    )
    .expect("static regex")
});

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

/// A list of at most this many articles must show more evidence than a long one
/// ([`tiny_list_holds`]).
const TINY_LIST: usize = 3;

/// How many levels above a pagination link count as "around" it.
const PAGER_LEVELS: usize = 5;

/// Digit runs of an article id or a date in a URL.
static ARTICLE_URL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\d{4,}|/(?:19|20)\d{2}/|[0-9a-f]{8}-[0-9a-f]{4}|[a-z]+[-_]\d{2,}\.\w+$|/\d{2,}\.\w+$",
    )
    .expect("static regex")
});

static DIGITS_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+").expect("static regex"));

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

/// How much a group looks like the page's article list; `None` when it does not look
/// like an article list at all.
fn score_group(
    doc: &Html,
    group: &Group,
    facts: &[&Facts],
    near_pager: &HashSet<NodeId>,
) -> Option<f64> {
    // Menus whose entries share placeholder links (every section pointing at
    // `/channel/12.html` while the site is rebuilt) collapse to a few URLs; a list
    // links each row to its own article. The group is judged by what it would list:
    // one row per URL.
    let mut seen: HashSet<&str> = HashSet::new();
    let unique: Vec<&Facts> = facts
        .iter()
        .copied()
        .filter(|f| seen.insert(f.row.url.as_str()))
        .collect();
    let n = unique.len();
    if n < 2 || n * 2 < facts.len() {
        return None;
    }
    let facts = unique.as_slice();
    let nf = n as f64;
    let rows = || facts.iter().map(|f| &f.row);
    let dated = rows().filter(|r| matches!(r.shown, Shown::Date(_))).count() as f64;
    let relative = rows().filter(|r| r.shown == Shown::Relative).count() as f64;
    let mean_weight = rows().map(|r| r.weight).sum::<usize>() as f64 / nf;
    let date_share = (dated + relative) / nf;
    let article_share = facts.iter().filter(|f| f.article).count() as f64 / nf;

    let container = group
        .container
        .and_then(|id| doc.tree.get(id))
        .and_then(ElementRef::wrap)?;
    let chrome = in_chrome(container);
    // A list of articles has titles, or at least dates; a menu has neither. Undated
    // links count only when they lead to articles (a directory of sites or sections
    // does not), and never in a menu, footer or sidebar.
    if mean_weight < 6.0 && date_share < 0.5 {
        return None;
    }
    if date_share < 0.5 && (chrome || article_share < 0.5) {
        return None;
    }
    if group.levels > 1 && titled_blocks(doc, group) {
        return None;
    }

    let mut shapes: HashMap<&str, usize> = HashMap::new();
    for f in facts {
        *shapes.entry(f.shape.as_str()).or_default() += 1;
    }
    let shape_share = shapes.values().copied().max().unwrap_or(0) as f64 / nf;
    if n <= TINY_LIST && !tiny_list_holds(doc, group, facts, shape_share) {
        return None;
    }

    let row_sum: f64 = rows()
        .map(|r| {
            let title = ((r.weight as f64 - 2.0) / 10.0).clamp(0.05, 1.0);
            let date = match r.shown {
                Shown::Date(_) => 0.6,
                Shown::Relative => 0.4,
                Shown::Nothing => 0.0,
            };
            (title + date) / r.title_links as f64
        })
        .sum();

    let chrome = if chrome { 0.35 } else { 1.0 };
    // Pagination right around the list (inside the element holding its rows, or in a
    // block beside it) marks the column's own list.
    let list = group
        .rows
        .first()
        .and_then(|(id, _)| doc.tree.get(*id))
        .and_then(|row| row.parent());
    let paged = std::iter::successors(list, |e| e.parent())
        .take(3)
        .any(|e| near_pager.contains(&e.id()));
    let paged = if paged { 1.5 } else { 1.0 };
    let split = if group.levels > 1 { 0.98 } else { 1.0 };

    Some(row_sum * (0.5 + 0.5 * shape_share) * (0.4 + 0.6 * article_share) * chrome * paged * split)
}

/// Whether a group of two or three rows carries enough evidence to be an article list
/// (the last page of a column, a new column) rather than a chance pair of links: a menu
/// entry and a footer link, two links in a directory of other sites, a pair of blocks.
/// Every row must have some title text, neither the rows nor their container may be page
/// chrome, and either every row shows a date, or every row leads to an article-like URL
/// of one shape under a title-like text.
fn tiny_list_holds(doc: &Html, group: &Group, facts: &[&Facts], shape_share: f64) -> bool {
    let chrome = group
        .container
        .into_iter()
        .chain(group.rows.iter().map(|(id, _)| *id))
        .filter_map(|id| doc.tree.get(id).and_then(ElementRef::wrap))
        .any(in_chrome);
    if chrome || facts.iter().any(|f| f.row.weight < 4) {
        return false;
    }
    // The list element holding the rows and the blocks up to the group's container.
    let first_row = group.rows.first().and_then(|(id, _)| doc.tree.get(*id));
    let boxed = first_row
        .into_iter()
        .flat_map(|row| row.ancestors().take(group.levels))
        .filter_map(ElementRef::wrap)
        .any(one_of_headed_boxes);
    if boxed {
        return false;
    }
    let all_dated = facts.iter().all(|f| f.row.shown != Shown::Nothing);
    let all_articles = facts
        .iter()
        .all(|f| f.article && f.row.weight >= TITLE_LIKE)
        && shape_share >= 1.0;
    all_dated || all_articles
}

/// Whether a list is one of several boxes under their own headings (a sidebar of
/// 通知公告 / 专题专栏 boxes): its parent holds two headings or more, or the box around it
/// has a heading and a sibling box of the same kind has one too. A column's own list
/// has one title at most.
fn one_of_headed_boxes(list: ElementRef) -> bool {
    let is_heading =
        |e: &ElementRef| matches!(e.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
    let headings = |block: ElementRef| block.child_elements().filter(is_heading).count();
    let Some(parent) = list.parent().and_then(ElementRef::wrap) else {
        return false;
    };
    if headings(parent) >= 2 {
        return true;
    }
    if headings(parent) == 0 {
        return false;
    }
    let kind = signature(parent);
    let Some(grandparent) = parent.parent().and_then(ElementRef::wrap) else {
        return false;
    };
    grandparent
        .child_elements()
        .filter(|box_| *box_ != parent && signature(*box_) == kind && headings(*box_) > 0)
        .count()
        > 0
}

/// Whether a list split into blocks is really several boxes, each under its own heading
/// (a sidebar of 通知公告 / 政策解读 boxes), rather than one list cut into pieces.
fn titled_blocks(doc: &Html, group: &Group) -> bool {
    let rows: HashSet<NodeId> = group.rows.iter().map(|(id, _)| *id).collect();
    let mut blocks: HashSet<NodeId> = HashSet::new();
    for (id, _) in &group.rows {
        let block = doc
            .tree
            .get(*id)
            .and_then(|row| row.ancestors().nth(group.levels - 2));
        if let Some(block) = block {
            blocks.insert(block.id());
        }
    }
    let headed = blocks
        .iter()
        .filter_map(|id| doc.tree.get(*id).and_then(ElementRef::wrap))
        .filter(|block| {
            block.descendent_elements().any(|e| {
                matches!(e.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
                    && !e
                        .ancestors()
                        .take_while(|a| a.id() != block.id())
                        .any(|a| rows.contains(&a.id()))
            })
        })
        .count();
    headed >= 2
}

/// The shape of a URL: host and path with digit runs collapsed, so that
/// `/202209/t20220907_123.html` and `/202208/t20220831_98.html` share one.
fn url_shape(url: &Url) -> String {
    let path = url.path();
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    let ext = if ext.contains('/') { "" } else { ext };
    format!(
        "{}{}/*.{}",
        url.host_str().unwrap_or(""),
        DIGITS_RE.replace_all(dir, "0"),
        ext
    )
}

/// Whether a URL looks like an article or a document rather than a section: an id or a
/// date in the path, or an attachment; and not the site's home page.
fn is_article_url(url: &Url) -> bool {
    let path = url.path();
    if path.len() <= 1 && url.query().is_none() {
        return false;
    }
    // `index.html`, `index_2.html`, `list_3.shtml`, `default.aspx`: a section's pages.
    let last = path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
    if ["index", "default", "list"]
        .iter()
        .any(|p| last.starts_with(p))
    {
        return false;
    }
    if is_numbered_section(path) {
        return false;
    }
    super::is_attachment(url)
        || ARTICLE_URL_RE.is_match(path)
        || url.query().is_some_and(|q| ARTICLE_URL_RE.is_match(q))
        || is_slug(path)
}

/// A section named by its number: `/channel/12.html`, `/column/3.shtml`, `/category/7/`.
fn is_numbered_section(path: &str) -> bool {
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let (Some(last), Some(parent)) = (segments.next(), segments.next()) else {
        return false;
    };
    let stem = last.split('.').next().unwrap_or("");
    let parent = parent.to_ascii_lowercase();
    !stem.is_empty()
        && stem.bytes().all(|b| b.is_ascii_digit())
        && [
            "channel",
            "channels",
            "column",
            "columns",
            "col",
            "category",
            "categories",
            "cat",
            "node",
            "lanmu",
            "tag",
            "tags",
            "topic",
            "topics",
        ]
        .contains(&parent.as_str())
}

/// A last path segment made of several words (`/blog/how-we-moved-to-rust`): how
/// sites without ids name articles. Sections have one or two words (`/about-us/`).
fn is_slug(path: &str) -> bool {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let stem = last.split('.').next().unwrap_or("");
    stem.len() >= 12 && stem.chars().filter(|c| matches!(c, '-' | '_')).count() >= 2
}

/// Whether an element sits in page chrome: `nav`/`header`/`footer`/`aside`, a scrolling
/// `marquee` of notices, or a block whose class or id names a menu, sidebar, footer,
/// pager or link directory.
fn in_chrome(el: ElementRef) -> bool {
    let mut cur = Some(el);
    let mut depth = 0;
    while let Some(e) = cur {
        let v = e.value();
        if matches!(
            v.name(),
            "nav" | "header" | "footer" | "aside" | "menu" | "marquee"
        ) {
            return true;
        }
        let named = v.id().into_iter().chain(v.classes());
        for name in named {
            if CHROME_RE.is_match(name) {
                return true;
            }
        }
        depth += 1;
        if depth > 40 {
            break;
        }
        cur = e.parent().and_then(ElementRef::wrap);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn detect_str(html: &str) -> Vec<ListItem> {
        let url = Url::parse("https://www.example.gov.cn/zwdt/").expect("test URL");
        detect(&Html::parse_document(html), &url, SH)
    }

    fn rows(n: usize) -> String {
        (0..n)
            .map(|i| {
                format!(
                    r#"<li><a href="/zwdt/202209/t20220907_{i}.html">全县秋粮收购工作会议召开第{i}次</a><span>2022-09-07</span></li>"#
                )
            })
            .collect()
    }

    #[test]
    fn pagination_links_are_not_items() {
        let html = format!(
            r#"<ul class="list">{}</ul><div class="fy"><a href="index.html">首页</a><a href="index_1.html">上一页</a><a href="index_1.html">1</a><a href="index_2.html">[2]</a><a href="index_3.html">下一页</a><a href="index_9.html">尾页</a><a href="more.html">更多&gt;&gt;</a></div>"#,
            rows(3)
        );
        let items = detect_str(&html);
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|i| i.url.contains("t20220907_")));
        for text in [
            "首页",
            "上一页",
            "下一页",
            "尾页",
            "末页",
            "2",
            "[3]",
            "更多>>",
            "More",
            "»",
            "Next ›",
        ] {
            assert!(PAGER_RE.is_match(text), "{text:?} is pagination");
        }
        for text in ["2022年工作要点", "关于下一步工作的通知", "首页改版公告发布"]
        {
            assert!(!PAGER_RE.is_match(text), "{text:?} is a title");
        }
    }

    #[test]
    fn the_list_its_pager_follows_wins_over_a_longer_notice_block() {
        // The last page of a column shows few rows; a notice block beside it has more,
        // and nothing in its class names says "sidebar".
        let notices: String = (0..6)
            .map(|i| {
                format!(
                    r#"<li><a href="/tzgg/202209/t20220901_{i}.html">关于开展全县第{i}批次安全生产检查工作的通知</a><span>2022-09-01</span></li>"#
                )
            })
            .collect();
        let html = format!(
            r#"<div class="l"><div class="box2"><ul>{notices}</ul></div></div>
            <div class="r"><div class="box1"><ul>{}</ul><div class="fy"><a href="index_8.html">上一页</a><a href="index_8.html">9</a><span>10</span></div></div></div>"#,
            rows(5)
        );
        let items = detect_str(&html);
        assert_eq!(items.len(), 5);
        assert!(items.iter().all(|i| i.url.contains("/zwdt/202209/")));
    }

    #[test]
    fn boxes_under_their_own_headings_are_not_one_list() {
        let boxes: String = ["通知公告", "政策解读"]
            .iter()
            .enumerate()
            .map(|(b, name)| {
                let items: String = (0..5)
                    .map(|i| {
                        format!(
                            r#"<li><a href="/tzgg/202209/t20220901_{b}{i}.html">关于开展全县第{i}批次安全生产检查工作的通知</a><span>2022-09-01</span></li>"#
                        )
                    })
                    .collect();
                format!(r#"<div class="box"><h3>{name}</h3><ul>{items}</ul></div>"#)
            })
            .collect();
        let html = format!(
            r#"<div class="l">{boxes}</div><div class="r"><ul>{}</ul></div>"#,
            rows(8)
        );
        let items = detect_str(&html);
        assert_eq!(items.len(), 8);
        assert!(items.iter().all(|i| i.url.contains("/zwdt/202209/")));
    }

    #[test]
    fn a_menu_alone_is_not_a_list() {
        let html = r#"<ul class="menu"><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li><li><a href="/zjxq/">走进县情</a></li></ul>"#;
        assert!(detect_str(html).is_empty());
        assert!(detect_str("").is_empty());
        assert!(detect_str("<p>没有链接的页面</p>").is_empty());
    }

    #[test]
    fn menus_of_placeholder_links_are_not_a_list() {
        // While a site is rebuilt its menu entries all lead to one page; with
        // title-length names, an article-like href and no class naming a menu, only
        // the shared href tells.
        let entries: String = [
            "政府信息公开目录",
            "政务服务事项清单",
            "互动交流留言板块",
            "走进本州概况介绍",
            "专题专栏集中展示",
        ]
        .iter()
        .map(|t| format!(r#"<li><a href="/a/20220907/1234.html">{t}</a></li>"#))
        .collect();
        let html = format!(r#"<div class="dh"><ul>{entries}</ul></div><p>网站改版中</p>"#);
        assert!(detect_str(&html).is_empty());
    }

    #[test]
    fn two_links_need_dates_or_titled_article_links() {
        // The last page of a column: two dated rows.
        let html = format!(r#"<div class="main"><ul>{}</ul></div>"#, rows(2));
        assert_eq!(detect_str(&html).len(), 2);
        // Undated, but titled links to articles of one shape.
        let html = r#"<div class="main"><ul>
            <li><a href="/zwdt/202209/t20220907_1.html">全县秋粮收购工作会议召开</a></li>
            <li><a href="/zwdt/202209/t20220906_2.html">县长带队检查安全生产工作</a></li>
        </ul></div>"#;
        assert_eq!(detect_str(html).len(), 2);
        // Other sites' home pages under long names: a directory.
        let html = r#"<div class="yq"><ul>
            <li><a href="http://www.xinjiang.gov.cn/">新疆维吾尔自治区人民政府</a></li>
            <li><a href="http://www.gov.cn/">中华人民共和国中央人民政府</a></li>
        </ul></div>"#;
        assert!(detect_str(html).is_empty());
        // A footer not named as one: record numbers and a report link of two shapes.
        let html = r#"<div class="bottom"><p>
            <a href="https://beian.miit.gov.cn/">新ICP备05000001号-1</a>
            <a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=65270002000001">新公网安备 65270002000001号</a>
        </p></div>"#;
        assert!(detect_str(html).is_empty());
        // Undated titled article links of different shapes: a chance pair.
        let html = r#"<div class="c"><p><a href="/zwdt/202209/t20220907_1.html">全县秋粮收购工作会议召开</a></p>
            <p><a href="/info/1057/8920.htm">县长带队检查安全生产工作</a></p></div>"#;
        assert!(detect_str(html).is_empty());
    }

    #[test]
    fn two_links_in_one_of_several_headed_boxes_are_not_a_list() {
        let two = r#"<ul><li><a href="/tzgg/202209/t20220901_1.html">关于开展安全生产检查的通知</a></li>
            <li><a href="/tzgg/202209/t20220902_2.html">关于做好秋季防火工作的通知</a></li></ul>"#;
        let other = r#"<ul><li><a href="/ztzl/">学习贯彻党的二十大精神</a></li></ul>"#;
        // Headings and lists side by side in one block.
        let html =
            format!(r#"<div class="l"><h3>通知公告</h3>{two}<h3>专题专栏</h3>{other}</div>"#);
        assert!(detect_str(&html).is_empty());
        // Each box its own block of one kind.
        let html = format!(
            r#"<div class="l"><div class="box"><h3>通知公告</h3>{two}</div><div class="box"><h3>专题专栏</h3>{other}</div></div>"#
        );
        assert!(detect_str(&html).is_empty());
        // A column's own list under its title is read.
        let html = format!(r#"<div class="l"><div class="box"><h2>通知公告</h2>{two}</div></div>"#);
        assert_eq!(detect_str(&html).len(), 2);
    }

    #[test]
    fn previous_and_next_article_links_are_not_a_list() {
        let html = r#"<div class="article"><h1>全县秋粮收购工作会议召开</h1><p>正文</p>
            <div class="pn"><p>上一篇：<a href="/zwdt/202209/t20220906_2.html">县长带队检查安全生产工作</a></p>
            <p>下一篇：<a href="/zwdt/202209/t20220908_3.html">全县教师节表彰大会举行</a></p></div></div>"#;
        assert!(detect_str(html).is_empty());
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 3000;
        let html = format!(
            "{}<ul>{}</ul>{}",
            "<div>".repeat(depth),
            rows(5),
            "</div>".repeat(depth)
        );
        assert_eq!(detect_str(&html).len(), 5);
    }

    #[test]
    fn large_lists_are_read_whole() {
        let nav: String = (0..500)
            .map(|i| format!(r#"<li><a href="/col{i}/">栏目{i}</a></li>"#))
            .collect();
        let html = format!(
            r#"<ul class="nav">{nav}</ul><div class="main"><ul>{}</ul></div>"#,
            rows(5000)
        );
        let items = detect_str(&html);
        assert_eq!(items.len(), 5000);
        assert_eq!(
            items[4999].url,
            "https://www.example.gov.cn/zwdt/202209/t20220907_4999.html"
        );
    }

    #[test]
    fn article_urls() {
        let article = |s: &str| is_article_url(&Url::parse(s).expect("test URL"));
        for url in [
            "https://a.cn/zwdt/202209/t20220907_123.html",
            "https://a.cn/art/2022/9/7/art_3078_120931.html",
            "https://a.cn/info/1057/8920.htm",
            "https://a.cn/col1/articleinfo-459.html",
            "https://a.cn/news/show.php?id=12345",
            "https://a.cn/upload/notice.pdf",
            "https://blog.example.com/posts/how-we-moved-to-rust/",
        ] {
            assert!(article(url), "{url}");
        }
        for url in [
            "https://www.gov.cn/",
            "https://a.cn/zwgk/zfxxgkzn/",
            "https://a.cn/about-us/",
            "https://a.cn/col/col3078/index.html",
            "https://a.cn/channel/12.html",
            "https://a.cn/category/7/",
        ] {
            assert!(!article(url), "{url}");
        }
    }

    #[test]
    fn url_shapes_ignore_ids() {
        let shape = |s: &str| url_shape(&Url::parse(s).expect("test URL"));
        assert_eq!(
            shape("https://a.cn/zwdt/202209/t20220907_123.html"),
            shape("https://a.cn/zwdt/202208/t20220831_98.html")
        );
        assert_ne!(
            shape("https://a.cn/zwdt/202209/t20220907_123.html"),
            shape("https://a.cn/")
        );
    }
}
