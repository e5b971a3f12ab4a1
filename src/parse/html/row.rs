//! One row of a list (an `<li>`, a `<tr>`, a card): which of its links is the article,
//! the article's title, and the date shown beside it.

use super::page::{find_text, normalise, text_weight, visible_text, visible_text_except};
use super::when::{Shown, shown_date};
use crate::dates::parse_date;
use regex::Regex;
use scraper::{ElementRef, Node};
use std::collections::HashSet;
use std::sync::LazyLock;
use url::Url;

/// A link worth listing: visible, leading to another http(s) page.
#[derive(Debug, Clone)]
pub(super) struct Link<'a> {
    pub el: ElementRef<'a>,
    pub url: Url,
}

/// What one row shows.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub url: Url,
    pub title: String,
    pub shown: Shown,
    /// [`text_weight`] of the title.
    pub weight: usize,
    /// How many different URLs in the row have title-like text: one in a real list row,
    /// many when the "row" is really a whole block of links.
    pub title_links: usize,
}

/// Title-like link text has at least this [`text_weight`].
pub(super) const TITLE_LIKE: usize = 8;

/// A block with this many differently named links and no title among them is a menu.
const MENU_LINKS: usize = 5;

/// The label of a link to the previous or next article (`上一篇：`, `Next post:`), which
/// article pages show in pairs that look like a two-row list.
static PREV_NEXT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^[\[【(（]?\s*(?:(?:上|下)(?:一)?(?:篇|条|则|章)(?:文章|新闻)?(?:\s*[:：\]】)）]|\s|$)|(?:previous|prev|next)\s*(?:post|article|story|entry)?\s*[:：]|(?:previous|next)\s+(?:post|article|story|entry)(?:\s|$))",
    )
    .expect("static regex")
});

/// Read a row from its links (document order). `None` when no link carries text, and
/// for what only looks like a row: a menu block (many short links, none a title, even
/// when they all lead to one placeholder page) and a previous/next article link.
pub(super) fn read_row(row: ElementRef, links: &[Link], tz: chrono_tz::Tz) -> Option<Row> {
    let titled: Vec<(&Link, LinkTitle)> = links.iter().map(|l| (l, link_title(l.el))).collect();
    let best = pick_title_link(&titled)?;
    let (link, title) = (best.0, &best.1);

    // Counted by text, not URL: a menu whose entries share one href while the site is
    // rebuilt would otherwise pass for a row with a single link.
    let link_texts: HashSet<&str> = titled
        .iter()
        .filter(|(_, t)| t.weight > 0 && !t.from_image)
        .map(|(_, t)| t.text.as_str())
        .collect();
    if link_texts.len() >= MENU_LINKS && title.weight < TITLE_LIKE && !title.marked {
        return None;
    }
    let first_text = find_text(row, |t| {
        let t = t.trim();
        (!t.is_empty()).then(|| t.to_string())
    });
    let label = label_before(link.el);
    if [
        Some(title.text.as_str()),
        first_text.as_deref(),
        label.as_deref(),
    ]
    .into_iter()
    .flatten()
    .any(|t| PREV_NEXT_RE.is_match(t))
    {
        return None;
    }

    let title_urls: HashSet<&str> = titled
        .iter()
        .filter(|(_, t)| t.weight >= TITLE_LIKE)
        .map(|(l, _)| l.url.as_str())
        .collect();

    // Some templates print the date inside the link, before or after the title.
    let (text, affix_date) = split_date_affix(&title.text);
    let mut shown = row_date(row, link, tz);
    if shown == Shown::Nothing
        && let Some(date) = affix_date
    {
        shown = shown_date(date, link.url.as_str(), tz);
    }
    Some(Row {
        url: link.url.clone(),
        weight: text_weight(text),
        title: text.to_string(),
        shown,
        title_links: title_urls.len().max(1),
    })
}

/// The short text right before a link (`上一篇：<a>`, `<span>上一篇</span><a>`), looked
/// for among the link's preceding siblings and its parent's; longer texts are content,
/// not a label, and are not read whole.
fn label_before(link: ElementRef) -> Option<String> {
    const LABEL_BYTES: usize = 48;
    let mut node = *link;
    for _ in 0..2 {
        for sib in node.prev_siblings() {
            let mut text = String::new();
            for n in sib.descendants() {
                if let Node::Text(t) = n.value() {
                    text.push_str(t);
                }
                if text.len() > LABEL_BYTES {
                    return None;
                }
            }
            let text = text.trim();
            if !text.is_empty() {
                return Some(text.to_string());
            }
        }
        node = node.parent()?;
    }
    None
}

static DATE_AFFIX_RE: LazyLock<Regex> = LazyLock::new(|| {
    // A numeric date set off at either end of a link text: `[2022-09-07] 标题`,
    // `2022/09/07 标题`, `标题 (2022-09-07)`. `2022年9月7日基金净值公告` is a title.
    Regex::new(
        r"^[\[【(（]?\s*(?P<lead>(?:19|20)[0-9]{2}[-/.][0-9]{1,2}[-/.][0-9]{1,2}(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?)\s*(?:[\]】)）]\s*|\s+)(?P<rest_l>.+)$|^(?P<rest_t>.+?)(?:\s+|\s*[\[【(（])\s*(?P<trail>(?:19|20)[0-9]{2}[-/.][0-9]{1,2}[-/.][0-9]{1,2}(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?)\s*[\]】)）]?$",
    )
    .expect("static regex")
});

/// A title without a date printed at its start or end, and that date.
fn split_date_affix(title: &str) -> (&str, Option<&str>) {
    let Some(caps) = DATE_AFFIX_RE.captures(title) else {
        return (title, None);
    };
    let rest = caps.name("rest_l").or_else(|| caps.name("rest_t"));
    let date = caps.name("lead").or_else(|| caps.name("trail"));
    match (rest, date) {
        (Some(rest), Some(date)) if text_weight(rest.as_str()) >= 2 => {
            (rest.as_str().trim(), Some(date.as_str()))
        }
        _ => (title, None),
    }
}

/// A link's title and how it was found.
#[derive(Debug, Clone)]
pub(super) struct LinkTitle {
    pub text: String,
    pub weight: usize,
    /// Marked as the title by the markup: a heading, `<strong>`, or a class naming it.
    pub marked: bool,
    /// Only an image's `alt` text: a thumbnail link, used when nothing better exists.
    pub from_image: bool,
}

/// The title of one link: a heading inside it (card links that wrap a whole item),
/// else its text without date-only parts; the `title` attribute when the text is cut
/// with an ellipsis or empty; an image's `alt` as a last resort.
pub(super) fn link_title(el: ElementRef) -> LinkTitle {
    let heading = el
        .descendent_elements()
        .find(|e| is_heading(e.value().name()));
    let mut text = match heading {
        Some(h) => normalise(&visible_text(h, None)),
        None => normalise(&visible_text_except(el, None, |child| {
            is_date_only(&visible_text(child, Some(' ')))
        })),
    };
    let attr_title = el
        .value()
        .attr("title")
        .map(normalise)
        .filter(|t| !t.is_empty());
    // Templates cut long titles to a fixed length, usually with an ellipsis, sometimes
    // without one; the full title then is the attribute that begins with the text.
    if let Some(attr) = attr_title
        && (text.is_empty()
            || is_cut(&text)
            || (attr.len() > text.len() && text_weight(&text) >= 8 && attr.starts_with(&text)))
    {
        text = attr;
    }
    text = strip_bullet(&text).to_string();
    let mut from_image = false;
    if text.is_empty()
        && let Some(alt) = el
            .descendent_elements()
            .filter(|e| e.value().name() == "img")
            .find_map(|img| img.value().attr("alt").map(normalise))
    {
        text = alt;
        from_image = true;
    }
    LinkTitle {
        weight: text_weight(&text),
        marked: heading.is_some() || is_marked(el),
        from_image,
        text,
    }
}

/// A title without the list bullet some templates put inside the link (`· 标题`).
fn strip_bullet(text: &str) -> &str {
    text.trim_start_matches(|c: char| {
        matches!(
            c,
            '·' | '•'
                | '●'
                | '○'
                | '■'
                | '□'
                | '▪'
                | '▫'
                | '◆'
                | '◇'
                | '►'
                | '▶'
                | '▸'
                | '・'
                | '∙'
        ) || c.is_whitespace()
    })
}

/// Choose the article link of a row: a link the markup marks as the title, else the
/// first link whose text is at least half as long as the longest (so a `[社会]`
/// category tag before the title, or a long teaser after it, is passed over).
fn pick_title_link<'l>(
    titled: &'l [(&'l Link<'l>, LinkTitle)],
) -> Option<&'l (&'l Link<'l>, LinkTitle)> {
    let texts = || titled.iter().filter(|(_, t)| t.weight > 0 && !t.from_image);
    if let Some(marked) = texts().find(|(_, t)| t.marked && t.weight >= 4) {
        return Some(marked);
    }
    let longest = texts().map(|(_, t)| t.weight).max();
    match longest {
        Some(longest) => texts()
            .find(|(_, t)| t.weight * 2 >= longest && !is_tag_text(&t.text))
            .or_else(|| texts().next()),
        None => titled.iter().find(|(_, t)| t.weight > 0),
    }
}

/// The date a row shows: a `<time datetime>`, else the first piece of text that is only
/// a date (`<span>2022-09-07</span>`, `[ 2021-05-19 ]` even inside the link, `2 小时前`),
/// else a date anywhere in the row's text outside the title link. Looking for a
/// date-only piece first keeps a date quoted in a summary from passing for the row's.
fn row_date(row: ElementRef, link: &Link, tz: chrono_tz::Tz) -> Shown {
    let url = link.url.as_str();
    let time_attr = row
        .descendent_elements()
        .filter(|e| e.value().name() == "time")
        .find_map(|e| e.value().attr("datetime").and_then(|d| parse_date(d, tz)));
    if let Some(date) = time_attr {
        return Shown::Date(date);
    }
    let date_piece = find_text(row, |text| {
        is_date_only(text)
            .then(|| shown_date(text, url, tz))
            .filter(|shown| *shown != Shown::Nothing)
    });
    if let Some(shown) = date_piece {
        return shown;
    }
    let outside = visible_text_except(row, Some(' '), |e| e == link.el);
    shown_date(&outside, url, tz)
}

fn is_heading(tag: &str) -> bool {
    matches!(tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Whether the link or its parent says "this is the title" in its markup.
fn is_marked(el: ElementRef) -> bool {
    let says_title = |e: ElementRef| {
        let v = e.value();
        is_heading(v.name())
            || matches!(v.name(), "strong" | "b")
            || v.attr("class").is_some_and(|c| {
                let c = c.to_ascii_lowercase();
                c.contains("title") && !c.contains("subtitle")
            })
    };
    says_title(el)
        || el
            .parent()
            .and_then(ElementRef::wrap)
            .is_some_and(says_title)
}

/// Text cut short by the template: `…`, `...`, `..` or `。。。` at the end.
pub(super) fn is_cut(text: &str) -> bool {
    let t = text.trim_end();
    t.ends_with('…') || t.ends_with("..") || t.ends_with("。。。") || t.ends_with('⋯')
}

/// A category tag such as `[社会]` or `【通知】`, not a title.
fn is_tag_text(text: &str) -> bool {
    let t = text.trim();
    (t.starts_with('[') && t.ends_with(']')) || (t.starts_with('【') && t.ends_with('】'))
}

/// Whether a piece of text is only a date or time (`[ 2021-05-19 ]`, `发布时间：2022-09-07`,
/// `2 小时前`), with at most a short label.
pub(super) fn is_date_only(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let rest: String = text
        .chars()
        .filter(|c| !c.is_ascii_digit() && !c.is_whitespace())
        .filter(|c| !"-/:.[]()（）【】年月日时分秒：,".contains(*c))
        .collect();
    let relative = ["前", "刚刚", "昨天", "今天", "ago"]
        .iter()
        .any(|w| rest.contains(w));
    (digits >= 4 || relative) && text_weight(&rest) <= 5
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    fn first_link_title(html: &str) -> String {
        let doc = Html::parse_fragment(html);
        let sel = Selector::parse("a").expect("test selector");
        link_title(doc.select(&sel).next().expect("a link in the test")).text
    }

    #[test]
    fn cut_titles_take_the_title_attribute() {
        assert_eq!(
            first_link_title(
                r#"<a href="1.html" title="农业农村部农药检定所第六党支部参观纪念中国人民志愿军抗美援朝70周年主题展览">农业农村部农药检定所第六党支部参观纪念中国人民志愿军抗美援朝70...</a>"#
            ),
            "农业农村部农药检定所第六党支部参观纪念中国人民志愿军抗美援朝70周年主题展览"
        );
        assert_eq!(
            first_link_title(
                r#"<a href="1.html" title="完整标题">省物价局关于做好取消价格鉴证师注册核准后续…</a>"#
            ),
            "完整标题"
        );
        // Cut without an ellipsis: the attribute continues the text.
        assert_eq!(
            first_link_title(
                r#"<a href="1.html" title="关于做好2020年降成本重点工作的通知">关于做好2020年降成本重点工作</a>"#
            ),
            "关于做好2020年降成本重点工作的通知"
        );
        // Not cut: the text is the title even when the attribute differs.
        assert_eq!(
            first_link_title(r#"<a href="1.html" title="阅读全文">关于印发方案的通知</a>"#),
            "关于印发方案的通知"
        );
        // Cut without an attribute: the cut text is all the page has.
        assert_eq!(
            first_link_title(r#"<a href="1.html">恒生前海基金管理有限公司关于...</a>"#),
            "恒生前海基金管理有限公司关于..."
        );
    }

    #[test]
    fn dates_and_headings_inside_links_are_not_title() {
        assert_eq!(
            first_link_title(
                r#"<a href="1.htm"><p>我校被授予先进集体</p><span class="date">[ 2021-05-05 ]</span></a>"#
            ),
            "我校被授予先进集体"
        );
        assert_eq!(
            first_link_title(
                r#"<a href="/n/1"><div><span>2 小时前</span></div><h3>&#8203;全球首款机器人</h3><div>很长的摘要文字</div></a>"#
            ),
            "全球首款机器人"
        );
    }

    #[test]
    fn bullets_inside_links_are_not_title() {
        assert_eq!(
            first_link_title(r#"<a href="1.html">· 市商务局召开座谈会</a>"#),
            "市商务局召开座谈会"
        );
        assert_eq!(
            first_link_title(r#"<a href="1.html">■&nbsp;关于印发方案的通知</a>"#),
            "关于印发方案的通知"
        );
    }

    #[test]
    fn dates_printed_inside_the_link_are_split_off() {
        assert_eq!(
            split_date_affix("[2022-09-07] 关于开展秋季消防检查的通知"),
            ("关于开展秋季消防检查的通知", Some("2022-09-07"))
        );
        assert_eq!(
            split_date_affix("关于开展秋季消防检查的通知 2022/09/07"),
            ("关于开展秋季消防检查的通知", Some("2022/09/07"))
        );
        assert_eq!(
            split_date_affix("关于开展秋季消防检查的通知（2022-09-07 10:30）"),
            ("关于开展秋季消防检查的通知", Some("2022-09-07 10:30"))
        );
        for title in [
            "2022年9月7日基金净值公告",
            "2022-2023学年校历",
            "关于2022-09-07停电的通知",
        ] {
            assert_eq!(split_date_affix(title), (title, None));
        }
    }

    fn read_first(html: &str, row: &str) -> Option<Row> {
        let doc = Html::parse_fragment(html);
        let row_sel = Selector::parse(row).expect("test selector");
        let a = Selector::parse("a").expect("test selector");
        let row = doc.select(&row_sel).next().expect("the row in the test");
        let base = Url::parse("https://www.example.gov.cn/").expect("test URL");
        let links: Vec<Link> = row
            .select(&a)
            .map(|el| Link {
                el,
                url: base
                    .join(el.value().attr("href").expect("test href"))
                    .expect("test URL"),
            })
            .collect();
        read_row(row, &links, chrono_tz::Asia::Shanghai)
    }

    #[test]
    fn a_menu_block_is_not_a_row_even_when_its_links_share_one_url() {
        let menu: String = ["政务公开", "政务服务", "互动交流", "走进博州", "专题专栏"]
            .iter()
            .map(|t| format!(r#"<a href="/channel/12.html">{t}</a>"#))
            .collect();
        assert!(read_first(&format!(r#"<div class="t">{menu}</div>"#), "div.t").is_none());
        // A row with a title and several tag links is a row.
        let row = format!(
            r#"<div class="t"><a href="/a/1.html">全县秋粮收购工作会议召开</a>{menu}</div>"#
        );
        let row = read_first(&row, "div.t").expect("a row");
        assert_eq!(row.title, "全县秋粮收购工作会议召开");
    }

    #[test]
    fn previous_and_next_article_labels() {
        for text in [
            "上一篇：关于开展秋季消防检查的通知",
            "下一篇:",
            "上一条",
            "上篇",
            "【下一篇】全县教师节表彰大会举行",
            "下一篇 市商务局召开座谈会",
            "Previous post: Rust 2024",
            "Next article",
            "Next: Announcing the release",
        ] {
            assert!(PREV_NEXT_RE.is_match(text), "{text:?}");
        }
        for text in [
            "下一步工作安排的通知",
            "Next generation of public services",
            "Previously on the council",
        ] {
            assert!(!PREV_NEXT_RE.is_match(text), "{text:?}");
        }
    }

    #[test]
    fn date_only_text() {
        assert!(is_date_only("[ 2021-05-19 ]"));
        assert!(is_date_only("发布时间：2022-09-07"));
        assert!(is_date_only("2 小时前"));
        assert!(!is_date_only("2020年6月30日基金净值公告"));
        assert!(!is_date_only("我校被授予先进集体"));
    }
}
