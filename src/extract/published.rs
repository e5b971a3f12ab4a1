//! The publication date: `<meta>` tags, JSON-LD, the metadata line under the title,
//! `<time>`, dates written near the heading or before the body, and the URL last.

use super::credits;
use super::metadata::{Line, PageMeta};
use super::metaline;
use crate::dates::{self, find_date, parse_date};
use crate::model::PubDate;
use chrono_tz::Tz;
use url::Url;
const DATE_TAGS: &[&str] = &[
    "pubdate",
    "publishdate",
    "publish_date",
    "publish-date",
    "publishtime",
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "published_time",
    "article.published",
    "article_date_original",
    "datepublished",
    "originalpublicationdate",
    "publication_date",
    "pub_date",
    "firstpublishedtime",
    "sailthru.date",
    "parsely-pub-date",
    "citation_publication_date",
    "citation_date",
    "dc.date.issued",
    "dc.date.created",
    "dcterms.issued",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "date",
    "weibo:article:create_at",
    "bt:pubdate",
    "release_date",
];

/// Metadata from the lines around the title heading.
pub(crate) struct NearTitle {
    pub published: Option<PubDate>,
    pub labelled: bool,
    pub author: Option<String>,
    /// An unlabelled reporter byline (`（记者 胡晓蓉）`) in or around the article.
    pub reporter: Option<String>,
    /// A `By Jane Doe` / `Posted by Jane Doe @ 12:00` line under the title or after
    /// the body (western pages).
    pub written_by: Option<String>,
    pub origin: Option<String>,
    /// The labelled author's line comes after the body (a blog's poster under a
    /// reprinted article whose own byline is in the body).
    pub author_after_body: bool,
    /// Names standing alone at the start of the body (`胡平` under the title) or closing
    /// it (`（常书香 马丹阳）`, `张三 摄`).
    pub signed: Option<String>,
    /// The credit closing a western article (`Quelle: kathpress`).
    pub credited: Option<String>,
    /// The press contact named under a release (`Pressekontakt` ⏎ `Dr. Tim Loppe`).
    pub contact: Option<String>,
}

/// Read the metadata lines: those after the title heading first, nearest first.
/// `content_start` is the first node of the extracted body: an unlabelled date just
/// before it is the usual place of a bare publication date.
pub(crate) fn near_title(
    lines: &[Line],
    anchor: Option<usize>,
    content: (Option<usize>, Option<usize>),
    tz: Tz,
) -> NearTitle {
    let (content_start, content_end) = content;
    let position = |node: usize| {
        lines
            .iter()
            .position(|l| l.node >= node)
            .unwrap_or(lines.len())
    };
    let start = anchor.map(position).unwrap_or(0);
    // Names are read only around the article: lists of other stories below it have
    // their own "记者：" and "来源：".
    let names_from = start.saturating_sub(15);
    let names_to = content_end.map_or(lines.len(), |e| position(e) + 8);
    // Search the lines after the heading, then the ones before it (some pages print the
    // metadata above the title).
    let order = (start..lines.len()).chain((0..start).rev());
    let mut out = NearTitle {
        published: None,
        labelled: false,
        author: None,
        reporter: None,
        written_by: None,
        origin: None,
        author_after_body: false,
        signed: None,
        credited: None,
        contact: None,
    };
    let end_line = content_end.map(position);
    let mut author_line = None;
    for i in order {
        let text = &lines[i].text;
        if text.chars().count() > 250 {
            continue;
        }
        let m = metaline::parse(text, tz);
        if m.labels > 0 {
            // A date on a line with labels is the line's date, labelled or not.
            if out.published.is_none() && m.published.is_some() {
                out.published = m.published;
                out.labelled = true;
            }
            let near = (names_from..=names_to).contains(&i);
            if out.author.is_none() && near && m.author.is_some() {
                out.author = m.author;
                author_line = Some(i);
            }
            if out.origin.is_none() && near {
                out.origin = m.origin;
                // `来源：<span>⏎ 某某日报 ⏎</span>` on a line of its own.
                if m.origin_open
                    && let Some(next) = lines.get(i + 1)
                    && metaline::parse(&next.text, tz).labels == 0
                {
                    out.origin = metaline::clean_name(&next.text, 30);
                }
            }
        }
        if out.published.is_some() && out.author.is_some() && out.origin.is_some() {
            break;
        }
    }
    // Bylines: the article's lines first, then the ones above the heading. A long
    // paragraph carries one only at its start or end (`据新华社拉萨电（记者 格桑边觉）…`).
    let byline_at = |i: usize| {
        let text = &lines.get(i)?.text;
        let n = text.chars().count();
        if n <= 120 {
            return metaline::reporter(text);
        }
        let head = text.char_indices().nth(40).map_or(text.len(), |(b, _)| b);
        let tail = text.char_indices().nth(n - 40).map_or(0, |(b, _)| b);
        metaline::reporter(&text[..head]).or_else(|| metaline::reporter(&text[tail..]))
    };
    let found = (start..names_to.min(lines.len()))
        .chain((names_from..start.min(lines.len())).rev())
        .find_map(|i| Some((i, byline_at(i)?)));
    // The labelled author printed after the body, or far below the byline that opens it.
    out.author_after_body = author_line.is_some_and(|a| {
        end_line.is_some_and(|e| a > e) || found.as_ref().is_some_and(|(r, _)| a > r + 5)
    });
    out.reporter = found.map(|(i, names)| {
        // `本报实习生 刘国栋` then `本报记者 王燕平`: both writers.
        match byline_at(i + 1) {
            Some(next) if next != names => format!("{names}, {next}"),
            _ => names,
        }
    });
    // A name alone under the title or at the start of the body, else a signature
    // closing the body.
    let body_start = content_start.map_or(start, position);
    out.signed = (start.min(body_start)..(body_start + 5).min(lines.len()))
        .take_while(|&i| lines[i].text.chars().count() < 40)
        .find_map(|i| metaline::bare_names(&lines[i].text))
        .or_else(|| {
            let e = end_line?.min(lines.len().saturating_sub(1));
            let text = |i: usize| lines.get(i).map_or("", |l| l.text.as_str());
            (e.saturating_sub(2)..=e)
                .rev()
                .find_map(|i| metaline::closing_names(text(i)))
                .or_else(|| {
                    // A notice signed by its issuer over the date (落款).
                    (e.saturating_sub(3)..e)
                        .rev()
                        .find(|&i| metaline::is_bare_date(text(i + 1), tz))
                        .and_then(|i| metaline::issuer(text(i)))
                })
        });
    let end = content_end.map_or(lines.len(), position);
    let by_line = |i: usize| {
        let text = &lines[i].text;
        metaline::written_by(text).or_else(|| {
            // `Autor:` with the name on the next line.
            let next = lines
                .get(i + 1)
                .filter(|_| metaline::is_byline_label(text))?;
            metaline::written_by(&format!("{text} {}", next.text))
        })
    };
    out.written_by = (start..(start + 20).min(lines.len()))
        .chain(end.saturating_sub(3)..names_to.min(lines.len()))
        .find_map(by_line)
        .or_else(|| {
            // `11.12.2019 - Amelie Loevenich` right under (or over) the headline.
            anchor?;
            (start..(start + 6).min(lines.len()))
                .chain((start.saturating_sub(3)..start.min(lines.len())).rev())
                .find_map(|i| metaline::dated_name(&lines[i].text))
        });
    // Credits close the article: its last lines and the few after it.
    out.credited = (end.saturating_sub(3)..names_to.min(lines.len()))
        .find_map(|i| credits::source_credit(&lines[i].text));
    out.contact = (end.saturating_sub(15)..names_to.min(lines.len()))
        .find(|&i| credits::is_contact_label(&lines[i].text))
        .and_then(|i| credits::person_name(&lines.get(i + 1)?.text));
    if out.published.is_some() {
        return out;
    }
    let short_date = |i: usize| -> Option<PubDate> {
        let text = &lines.get(i)?.text;
        if text.chars().count() > 80 {
            return None;
        }
        find_date(text, tz)
    };
    // Unlabelled: right under the heading, else just before the body, else early on.
    let mut unlabelled = None;
    if anchor.is_some() {
        unlabelled = (start..(start + 12).min(lines.len())).find_map(short_date);
    }
    if unlabelled.is_none()
        && let Some(cs) = content_start
    {
        let c = position(cs);
        unlabelled = (c.saturating_sub(12)..c.min(lines.len()))
            .rev()
            .chain(c..(c + 3).min(lines.len()))
            .find_map(short_date);
    }
    if unlabelled.is_none() && anchor.is_none() {
        unlabelled = (0..40.min(lines.len())).find_map(short_date);
    }
    out.published = unlabelled;
    out
}

/// The publication date, strongest evidence first.
pub(crate) fn published(
    meta: &PageMeta,
    near: &NearTitle,
    lines: &[Line],
    anchor: Option<usize>,
    content: (Option<usize>, Option<usize>),
    url: &Url,
    tz: Tz,
) -> Option<PubDate> {
    let (content_start, content_end) = content;
    let from_tags = DATE_TAGS
        .iter()
        .find_map(|k| meta.tag(k).and_then(|v| parse_date(v, tz)))
        .or_else(|| {
            // Vendor-prefixed names (`shareaholic:article_published_time`).
            meta.tags.iter().find_map(|(k, v)| {
                (k.ends_with("published_time")
                    || k.ends_with("publish_date")
                    || k.ends_with("date_published"))
                .then(|| parse_date(v, tz))
                .flatten()
            })
        });
    let from_ld = meta.ld_published.as_deref().and_then(|v| parse_date(v, tz));
    let structured = from_tags.or(from_ld);
    // The date printed under the title (发布时间/时间/日期) wins over a tag that
    // disagrees: CMS tags such as TRS `PubDate` are often when the page was generated.
    let generated = [
        "pubdate",
        "publishdate",
        "publish_date",
        "publishtime",
        "firstpublishedtime",
    ]
    .iter()
    .find_map(|k| meta.tag(k).and_then(|v| parse_date(v, tz)));
    if let (Some(s), Some(line)) = (structured, near.published)
        && generated == Some(s)
        && near.labelled
        && line.day() != s.day()
        && lines.iter().any(|l| {
            l.text.chars().count() <= 150
                && metaline::parse(&l.text, tz).labelled_date
                && metaline::parse(&l.text, tz).published == Some(line)
        })
    {
        return Some(line);
    }
    if let Some(s) = structured {
        // Portals print midnight when they only know the day.
        let s = match s {
            PubDate::Instant(t) if t.time() == chrono::NaiveTime::MIN => {
                PubDate::Day(t.date_naive())
            }
            other => other,
        };
        // The metadata line may be more precise than the tag (a time, seconds).
        if let Some(line) = near.published
            && line.day() == s.day()
        {
            let more_precise = match (s, line) {
                (PubDate::Day(_), _) => true,
                (PubDate::Instant(a), PubDate::Instant(b)) => {
                    use chrono::Timelike;
                    a.second() == 0
                        && a.format("%H:%M").to_string() == b.format("%H:%M").to_string()
                }
                _ => false,
            };
            if more_precise {
                return Some(line);
            }
        }
        return Some(s);
    }
    if near.labelled {
        return near.published;
    }
    let from_time = meta.times.iter().find_map(|(_, v)| parse_date(v, tz));
    if from_time.is_some() {
        return from_time;
    }
    if near.published.is_some() {
        return near.published;
    }
    let from_dated = meta.dated.iter().find_map(|(_, t)| {
        find_date(t, tz).or_else(|| dates::find_date_words(t).map(PubDate::Day))
    });
    if from_dated.is_some() {
        return from_dated;
    }
    // Western pages: a written date near the title, else just before the body.
    let position = |node: usize| {
        lines
            .iter()
            .position(|l| l.node >= node)
            .unwrap_or(lines.len())
    };
    let date_at = |i: usize| -> Option<PubDate> {
        let text = &lines.get(i)?.text;
        // A long line counts only by its start (`01.02.2022 „Der Arbeitsmarkt…`).
        let text = match text.char_indices().nth(150) {
            Some(_) => &text[..text.char_indices().nth(40).map_or(text.len(), |(i, _)| i)],
            None => text.as_str(),
        };
        dates::find_date_words(text)
            .map(PubDate::Day)
            .or_else(|| find_date(text, tz))
    };
    let mut order: Vec<usize> = Vec::new();
    if let Some(a) = anchor {
        let h = position(a);
        order.extend(h..(h + 40).min(lines.len()));
        order.extend((h.saturating_sub(15)..h).rev());
    }
    if let Some(c) = content_start {
        let c = position(c);
        order.extend((c.saturating_sub(20)..c.min(lines.len())).rev());
        order.extend(c..(c + 5).min(lines.len()));
    }
    if let Some(d) = order.into_iter().find_map(date_at) {
        return Some(d);
    }
    // A reprinted magazine article closes with its issue (`——《北京之春》1998年3月号`).
    if let (Some(cs), Some(ce)) = (content_start, content_end) {
        let (from, to) = (position(cs), (position(ce) + 3).min(lines.len()));
        if let Some(d) = lines[from.min(to)..to]
            .iter()
            .rev()
            .find_map(|l| dates::find_issue_month(&l.text))
        {
            return Some(PubDate::Day(d));
        }
    }
    dates::url_date(url.as_str()).map(PubDate::Day)
}
