//! Scoring a group of rows: what tells an article list from a menu, a sidebar, a
//! directory of links or a chance pair of links.

use super::*;

/// Class/id words of blocks that are not the main list.
pub(super) static CHROME_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(^|[^a-z])(nav|navbar|menu|submenu|footer|foot|header|topbar|breadcrumbs?|crumbs?|location|position|side|sidebar|aside|friend|friendlink|links|yqlj|pager|pagination|paging|pages|copyright|banner|slider?|swiper|carousel|focus|hot|hots|rank|ranking|recommend|tuijian|tags?|share|login)([^a-z]|$)",
    )
    .expect("static regex")
});

/// A list of at most this many articles must show more evidence than a long one
/// ([`tiny_list_holds`]).
pub(super) const TINY_LIST: usize = 3;

/// How much a group looks like the page's article list; `None` when it does not look
/// like an article list at all.
pub(super) fn score_group(
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
pub(super) fn tiny_list_holds(
    doc: &Html,
    group: &Group,
    facts: &[&Facts],
    shape_share: f64,
) -> bool {
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
pub(super) fn one_of_headed_boxes(list: ElementRef) -> bool {
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
pub(super) fn titled_blocks(doc: &Html, group: &Group) -> bool {
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

/// Whether an element sits in page chrome: `nav`/`header`/`footer`/`aside`, a scrolling
/// `marquee` of notices, or a block whose class or id names a menu, sidebar, footer,
/// pager or link directory.
pub(super) fn in_chrome(el: ElementRef) -> bool {
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
