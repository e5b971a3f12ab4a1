//! The headline as the page shows it, and the subtitle printed with it.
//!
//! Many CMS templates put only the site's name (or "site – column") in `<title>` and the
//! headline in an `<h1>`, an element named `tit`/`title`/`bt`/`lblTitle`, or large text
//! over the metadata line. The headline is the prominent text nearest the body: a heading
//! far above it, with the navigation in between, is the site's logo or a column's name.

use super::alnum;
use super::dom::{Data, Dom};
use super::metadata::{Line, PageMeta, title_key};
use super::metaline;
use crate::text::compact;
use chrono_tz::Tz;
use url::Url;

/// A heading this close to the body (weighted characters of text in between: a
/// metadata line, a teaser) stands over the article.
const NEAR_BEFORE: f64 = 600.0;
/// A heading inside the body's container counts only before its text starts.
const NEAR_INSIDE: f64 = 120.0;

/// A headline candidate near the body.
struct Near {
    node: usize,
    text: String,
    /// h1 = 0, h2 or an element named as a title = 1, h3 or large text = 2.
    rank: u8,
    gap: f64,
}

/// The chosen headline: its text and node (the anchor metadata lines are read from).
pub(crate) struct Headline {
    pub title: Option<String>,
    pub node: Option<usize>,
}

/// Weighted characters of text before each node (document order), for distances.
fn text_before(dom: &Dom) -> Vec<f64> {
    let mut out = Vec::with_capacity(dom.nodes.len() + 1);
    let mut sum = 0.0;
    for n in &dom.nodes {
        out.push(sum);
        if matches!(n.data, Data::Text(_)) {
            // JSON-LD is the only script kept, and it is not page text.
            let in_script = n.parent.is_some_and(|p| dom.tag(p) == "script");
            if !in_script {
                sum += n.weight.0;
            }
        }
    }
    out.push(sum);
    out
}

/// The last node of `id`'s subtree (nodes are in document order).
fn subtree_end(dom: &Dom, id: usize) -> usize {
    let mut e = id;
    while let Some(&c) = dom.nodes[e].children.last() {
        e = c;
    }
    e
}

/// Whether `part` is `whole` or the headline inside it (`whole` adding a kicker or the
/// site's name).
fn within(part: &str, whole: &str) -> bool {
    let (p, w) = (title_key(part), title_key(whole));
    let (np, nw) = (p.chars().count(), w.chars().count());
    !p.is_empty() && (p == w || np >= 4 && w.contains(&p) && np * 3 >= nw)
}

fn same_title(a: &str, b: &str) -> bool {
    let (a, b) = (title_key(a), title_key(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (na, nb) = (a.chars().count(), b.chars().count());
    a == b || na >= 4 && b.contains(&a) && na * 3 >= nb || nb >= 4 && a.contains(&b) && nb * 3 >= na
}

/// Whether `text` is the site's name: `og:site_name`, `application-name`, or what every
/// page of the site shares in `<title>` (the part beside the article's).
fn is_site_name(meta: &PageMeta, text: &str) -> bool {
    let c = compact(text).to_lowercase();
    [
        "og:site_name",
        "application-name",
        "apple-mobile-web-app-title",
    ]
    .iter()
    .filter_map(|k| meta.tag(k))
    .any(|s| compact(s).to_lowercase() == c)
}

/// Choose the headline. `title` is what the page's metadata and headings agree on
/// ([`super::metadata::title`]); `body` the first and last node of the extracted body.
pub(crate) fn headline(
    dom: &Dom,
    meta: &PageMeta,
    lines: &[Line],
    title: Option<String>,
    body: (Option<usize>, Option<usize>),
    url: &Url,
) -> Headline {
    let matching = |t: &str| {
        meta.headings
            .iter()
            .map(|(id, _, h)| (*id, h.as_str()))
            .find(|(_, h)| same_title(h, t))
            .map(|(id, _)| id)
    };
    let anchor = title.as_deref().and_then(matching);
    let keep = Headline {
        node: anchor,
        title: title.clone(),
    };
    // The national portal standard names the article itself.
    if meta.tag("articletitle").is_some() {
        return keep;
    }
    let (Some(first), Some(last)) = body else {
        return keep;
    };
    let before = text_before(dom);
    let mut near: Vec<Near> = Vec::new();
    let candidates = meta
        .headings
        .iter()
        .map(|(id, level, t)| (*id, level.saturating_sub(1), t))
        .chain(meta.titled.iter().map(|(id, t)| {
            let large = !dom.class_id(*id).contains("tit") && !dom.class_id(*id).contains("bt");
            (*id, if large { 2 } else { 1 }, t)
        }));
    for (id, rank, text) in candidates {
        if is_site_name(meta, text) || compact(text).chars().count() < 2 || is_logo(dom, id) {
            continue;
        }
        let gap = if id < first {
            let end = subtree_end(dom, id);
            if end >= first {
                // The body inside this element: it is a container, not a headline.
                continue;
            }
            before[first] - before[end + 1]
        } else if id <= last {
            let g = before[id] - before[first];
            if g > NEAR_INSIDE {
                continue;
            }
            g
        } else {
            continue;
        };
        if gap <= NEAR_BEFORE {
            near.push(Near {
                node: id,
                text: text.clone(),
                rank,
                gap,
            });
        }
    }
    // What the metadata says, shown near the body: the page's own wording wins (its
    // typography, without the site's suffix or a kicker).
    if let Some(t) = title.as_deref()
        && let Some(n) = near.iter().filter(|n| within(&n.text, t)).min_by(|a, b| {
            // One printing the whole title before one printing a part of it.
            let part = |n: &Near| title_key(&n.text) != title_key(t);
            a.rank
                .cmp(&b.rank)
                .then(part(a).cmp(&part(b)))
                .then(a.gap.total_cmp(&b.gap))
        })
    {
        // Equal but for case or spacing: the metadata's spelling (a heading's CSS may
        // change its case). Equal but for the kind of quotes and dashes: the heading's
        // (`„finished“`, `d’actions`, `–` where a CMS flattened them to ASCII in
        // `og:title`).
        let same_case = compact(&n.text).to_lowercase() == compact(t).to_lowercase();
        return Headline {
            title: Some(if same_case {
                t.to_string()
            } else {
                n.text.clone()
            }),
            node: Some(n.node),
        };
    }
    // Another heading stands over the body: it is the headline when what the metadata
    // gave is the site's name (or a column's), which one page alone still shows: in
    // `og:site_name`, in the domain, as the logo's heading far above the body, or in the
    // page's furniture around the body.
    let t = title.as_deref().unwrap_or("");
    // What metadata adds around it: `Change Font Size in R` printed as `Change Font Size
    // in R (5 Examples) | Axis Text`. The headline as printed wins.
    if !t.is_empty()
        && let Some(n) = near
            .iter()
            .filter(|n| n.rank <= 1 && extends(&n.text, t))
            .min_by(|a, b| a.rank.cmp(&b.rank).then(a.gap.total_cmp(&b.gap)))
    {
        return Headline {
            title: Some(n.text.clone()),
            node: Some(n.node),
        };
    }
    // The entry's own heading (`<h1 class="entry-title">`) wording the title otherwise:
    // `og:title` and `<title>` are often written for search engines and shares apart from
    // the headline printed over the article (`Kein Zutritt mehr mit Sparpreis-Tickets`
    // for the printed `Kein Zugang mehr mit Sparpreis-Ticket`). The printed one wins when
    // it is about the same thing (a word in common), neither holds the other (a kicker,
    // the site's name) and it reads cleanly.
    if !t.is_empty()
        && let Some(n) = near
            .iter()
            .filter(|n| {
                n.rank == 0
                    && is_entry_title(&dom.class_id(n.node))
                    && !links_home(dom, n.node)
                    && !n.text.contains('\u{fffd}')
                    && reworded(&n.text, t)
            })
            .min_by(|a, b| a.gap.total_cmp(&b.gap))
    {
        return Headline {
            title: Some(n.text.clone()),
            node: Some(n.node),
        };
    }
    // A title some heading shows is the site's name only when that heading is the logo.
    let site_like = is_generic(t)
        || dangling(t)
        || match anchor {
            Some(a) => is_logo(dom, a) || links_home(dom, a),
            None => {
                title.is_none()
                    || is_site_name(meta, t)
                    || in_host(t, url)
                    || in_footer(lines, t, body)
            }
        };
    let best = near
        .iter()
        .filter(|n| n.rank <= 1 && !links_home(dom, n.node))
        .min_by(|a, b| a.rank.cmp(&b.rank).then(a.gap.total_cmp(&b.gap)));
    match best {
        Some(n) if site_like => Headline {
            title: Some(n.text.clone()),
            node: Some(n.node),
        },
        _ => keep,
    }
}

/// Whether a heading prints `title` and more after it (a second part, a count) or a
/// catchword before it: at most twice as long, holding the whole title.
fn extends(heading: &str, title: &str) -> bool {
    let (h, t) = (
        compact(heading).to_lowercase(),
        compact(title).to_lowercase(),
    );
    let (nh, nt) = (h.chars().count(), t.chars().count());
    if nt < 12 || nh <= nt + 3 || nh > nt * 2 + 10 || nh > 160 {
        return false;
    }
    // A quote or a catchword printed before it (`"Pure Leere": Title`).
    if let Some(head) = h.strip_suffix(&t) {
        let head = head.trim_end();
        return head.ends_with(':') && head.chars().count() <= 40;
    }
    if !h.starts_with(&t) {
        return false;
    }
    // The rest must read as the title's second part (` (5 Examples)`, ` – was ist
    // günstiger?`), not a kicker, a date or a hidden site name run on after it.
    let rest: String = h.chars().skip(nt).collect();
    rest.starts_with(['(', '–', '—', '-', ':'])
}

/// Whether a class or id names the entry's own title (`entry-title`, `post-title`,
/// `post_title`, `article-title`, `title-post`), not a teaser's or the site's.
fn is_entry_title(ci: &str) -> bool {
    ci.split_whitespace().any(|w| {
        let parts: Vec<&str> = w.split(['-', '_']).collect();
        let has = |set: &[&str]| parts.iter().any(|p| set.contains(p));
        parts.len() <= 3
            && has(&["entry", "post", "article", "story"])
            && has(&["title", "headline"])
            && !has(&["site", "sub", "list", "related", "next", "prev", "widget"])
    })
}

/// Whether `heading` words `title` differently: a word (3+ letters) in common, and
/// neither holding the other.
fn reworded(heading: &str, title: &str) -> bool {
    let (h, t) = (title_key(heading), title_key(title));
    if h.is_empty() || t.is_empty() || h.contains(&t) || t.contains(&h) {
        return false;
    }
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect()
    };
    let tw = words(title);
    words(heading).iter().any(|w| tw.contains(w))
}

/// A heading's text without the arrows or bullets printed before it, and an opening
/// bracket they follow that nothing closes (`[> Jens Weber`).
pub(crate) fn trim_decoration(text: &str) -> String {
    // Not `»` or `›`: German and French quotation marks (`»frag.jetzt«`).
    const GLYPHS: &[char] = &['>', '→', '►', '▸', '▶', '■', '▪', '•', '|'];
    let rest = text
        .strip_prefix('[')
        .filter(|r| !r.contains(']') && r.starts_with(GLYPHS));
    let rest = rest.unwrap_or(text);
    let trimmed = rest.trim_start_matches(|c: char| GLYPHS.contains(&c) || c.is_whitespace());
    if trimmed.len() == rest.len() || !trimmed.starts_with(char::is_alphabetic) {
        return text.to_string();
    }
    trimmed.to_string()
}

/// Whether a title ends with a separator and nothing after it (`National Rail Enquiries
/// -`): the template's article part is empty, what is left is the site's name.
fn dangling(t: &str) -> bool {
    let t = t.trim_end();
    // Not `»`/`«`: quotation marks closing a quoted title (`« Les privatisations … »`).
    ['-', '|', '–', '—', '·', '｜']
        .iter()
        .any(|sep| t.strip_suffix(*sep).is_some_and(|r| r.ends_with(' ')))
}

/// Titles a template gives every page: never an article's.
fn is_generic(t: &str) -> bool {
    matches!(
        compact(t).to_lowercase().as_str(),
        "home" | "startseite" | "index" | "untitled" | "accueil" | "inicio" | "首页" | "主页"
    )
}

/// Whether the domain spells `t` (`Anwalt Niemeyer` on anwaltniemeyer.de, `bumm film
/// GmbH` on bummfilm.de).
fn in_host(t: &str, url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let squashed = alnum(t);
    if squashed.is_empty() {
        return false;
    }
    host.split('.')
        .filter(|l| l.len() >= 5 && !matches!(*l, "www" | "blogs" | "news" | "archive"))
        .any(|l| {
            let l: String = l.chars().filter(|c| c.is_alphanumeric()).collect();
            squashed == l || squashed.starts_with(&l) && squashed.len() <= l.len() + 8
        })
}

/// Whether `t` is printed after the body in the page's footer (`© 2023 Anwalt
/// Niemeyer`, `主办单位：某某县人民政府`) and not in the body.
fn in_footer(lines: &[Line], t: &str, body: (Option<usize>, Option<usize>)) -> bool {
    let (Some(first), Some(last)) = body else {
        return false;
    };
    let c = compact(t).to_lowercase();
    if c.chars().count() < 4 {
        return false;
    }
    let mut footer = false;
    for l in lines {
        let lc = compact(&l.text).to_lowercase();
        if !lc.contains(&c) {
            continue;
        }
        // In the body only as a line of its own: a notice signed by the site's owner.
        if (first..=last).contains(&l.node) && lc != c {
            return false;
        }
        footer |= l.node > last
            && [
                "©",
                "copyright",
                "版权",
                "主办",
                "承办",
                "all rights",
                "impressum",
            ]
            .iter()
            .any(|k| lc.contains(k));
    }
    footer
}

/// Whether a heading is the site's logo or motto, as its class or id says.
fn is_logo(dom: &Dom, id: usize) -> bool {
    std::iter::once(id)
        .chain(dom.ancestors(id).take(4))
        .any(|a| {
            let ci = dom.class_id(a);
            [
                "logo",
                "site-title",
                "sitetitle",
                "site-name",
                "sitename",
                "site-description",
                "tagline",
                "slogan",
                "brand",
                "masthead",
            ]
            .iter()
            .any(|k| ci.contains(k))
        })
}

/// Whether a heading is a link to the site's home page (a logo).
fn links_home(dom: &Dom, id: usize) -> bool {
    std::iter::once(id)
        .chain(dom.descendants(id))
        .filter(|&d| dom.tag(d) == "a")
        .filter_map(|d| dom.attr(d, "href"))
        .any(|h| {
            let h = h.trim();
            h == "/" || h == "./" || h.ends_with("/index.html") || {
                let rest = h.split("://").nth(1).unwrap_or("x/x");
                !rest.trim_end_matches('/').contains('/') && h.contains("://")
            }
        })
}

/// The subtitle printed with the headline: a kicker inside the heading, a line marked
/// as a subtitle, a heading or a `——` line right under the headline, or a short line
/// between the headline and the metadata line.
pub(crate) fn subtitle(
    dom: &Dom,
    meta: &PageMeta,
    lines: &[Line],
    headline: &Headline,
    tz: Tz,
) -> Option<String> {
    let h = headline.node?;
    let title = headline.title.as_deref().unwrap_or("");
    let ok = |t: &str| {
        let n = t.chars().count();
        (4..=80).contains(&n)
            && !same_title(t, title)
            && !t.ends_with(['。', ':', '：'])
            && !super::boilerplate::is_furniture(t)
            && metaline::parse(t, tz).labels == 0
            && !metaline::is_bare_date(t, tz)
    };
    if let Some((_, k)) = meta.kickers.iter().find(|(id, _)| *id == h)
        && ok(k)
    {
        return Some(k.clone());
    }
    let marked = |node: usize| {
        std::iter::once(node)
            .chain(dom.ancestors(node).take(3))
            .any(|a| {
                matches!(dom.tag(a), "h2" | "h3" | "h4" | "h5" | "h6")
                    || super::metadata::is_subtitle_class(&dom.class_id(a))
            })
    };
    let end = subtree_end(dom, h);
    let at = lines.iter().position(|l| l.node > end)?;
    for i in at..(at + 2).min(lines.len()) {
        let line = &lines[i];
        let t = line.text.as_str();
        if metaline::parse(t, tz).labels > 0 || metaline::is_bare_date(t, tz) {
            break;
        }
        let next_is_meta = lines.get(i + 1).is_some_and(|n| {
            n.text.chars().count() <= 150 && metaline::parse(&n.text, tz).labels > 0
        });
        if ok(t) && (marked(line.node) || t.starts_with(['—', '－']) || next_is_meta) {
            return Some(t.trim_start_matches(['—', '－', '-', ' ']).to_string());
        }
        if !marked(line.node) {
            break;
        }
    }
    // A kicker (引题) above the headline, marked as such.
    let above = lines.iter().rposition(|l| l.node < h)?;
    let line = &lines[above];
    (ok(&line.text)
        && std::iter::once(line.node)
            .chain(dom.ancestors(line.node).take(3))
            .any(|a| super::metadata::is_subtitle_class(&dom.class_id(a))))
    .then(|| line.text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_before_a_heading_are_dropped_but_quotes_and_numbers_kept() {
        assert_eq!(trim_decoration("[> Jens Weber"), "Jens Weber");
        assert_eq!(trim_decoration("→ Neue Radwege"), "Neue Radwege");
        assert_eq!(trim_decoration("»frag.jetzt«"), "»frag.jetzt«");
        assert_eq!(
            trim_decoration("> 50 Jahre Radverkehr"),
            "> 50 Jahre Radverkehr"
        );
        assert_eq!(
            trim_decoration("[Update] Council approves"),
            "[Update] Council approves"
        );
        assert_eq!(trim_decoration(">>"), ">>");
    }

    #[test]
    fn only_an_empty_last_part_is_a_dangling_separator() {
        assert!(dangling("National Rail Enquiries -"));
        assert!(dangling("Riverside Gazette | "));
        assert!(!dangling(
            "« Les privatisations sont au profit des multinationales »"
        ));
        assert!(!dangling("Council approves the new river lanes"));
        assert!(!dangling("Build 4.47-"));
    }

    #[test]
    fn the_entrys_title_class_is_told_from_teasers_and_the_site() {
        assert!(is_entry_title("post-title entry-title "));
        assert!(is_entry_title("post_title "));
        assert!(is_entry_title("title-post entry-title "));
        assert!(!is_entry_title("site-title "));
        assert!(!is_entry_title("related-post-title "));
        assert!(!is_entry_title("widget-title "));
        assert!(!is_entry_title("title "));
    }

    #[test]
    fn a_reworded_title_shares_a_word_and_holds_neither() {
        assert!(reworded(
            "DB Lounge: Kein Zugang mehr mit Sparpreis-Ticket",
            "DB Lounge: Kein Zutritt mehr mit Sparpreis-Tickets"
        ));
        // The site's name, nothing in common.
        assert!(!reworded(
            "Four Years Remaining",
            "Interning of Small Integers"
        ));
        // A kicker before the title, or a part of it: other rules' business.
        assert!(!reworded(
            "Klimaschutz: Bohren, bis es heiß wird",
            "Bohren, bis es heiß wird"
        ));
        assert!(!reworded("Blockhaus", "Blockhaus Typ 3 in Ludorf"));
    }
}
