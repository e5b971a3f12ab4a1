//! Who wrote it and who published it first: the author (作者/记者, bylines, JSON-LD,
//! `<meta name="author">`) and the origin (来源, `ContentSource`), never guessed.

use super::alnum;
use super::credits;
use super::dom::{Data, Dom};
use super::metadata::PageMeta;
use super::metaline;
use super::published::NearTitle;
use crate::text::{compact, fold_whitespace, is_cjk};
use url::Url;
/// The author: the metadata line, else structured data, else a byline element. A name
/// that is the site's own (in the `<title>` suffix or `og:site_name`) is not an author.
/// A name equal to the origin is the publisher, not a writer.
pub(crate) fn author(
    dom: &Dom,
    meta: &PageMeta,
    near: &NearTitle,
    title: Option<&str>,
    content_end: Option<usize>,
    url: &Url,
) -> Option<String> {
    let host = url.host_str().unwrap_or("").trim_start_matches("www.");
    find_author(dom, meta, near, title, content_end, url)
        .map(|a| list_names(&credits::tidy(&a, host)))
}

/// Several Chinese names printed side by side (`王五 赵六`, `王五、赵六`) as a list:
/// `王五, 赵六`. One name printed with a gap (`王 五`) stays as it is.
fn list_names(author: &str) -> String {
    if author.chars().any(|c| c.is_ascii_alphabetic()) {
        return author.to_string();
    }
    let parts: Vec<&str> = author
        .split(|c: char| c.is_whitespace() || "、，,;；".contains(c))
        .filter(|p| !p.is_empty())
        .collect();
    let names = parts.len() >= 2
        && parts.iter().all(|p| {
            let n = p.chars().count();
            (2..=4).contains(&n) && p.chars().all(is_cjk)
        });
    if names {
        parts.join(", ")
    } else {
        author.to_string()
    }
}

fn find_author(
    dom: &Dom,
    meta: &PageMeta,
    near: &NearTitle,
    title: Option<&str>,
    content_end: Option<usize>,
    url: &Url,
) -> Option<String> {
    // A byline in the body beats a poster's name under it.
    if near.author_after_body
        && let Some(r) = &near.reporter
    {
        return Some(r.clone());
    }
    if let Some(a) = near.author.as_ref().or(near.reporter.as_ref()) {
        return Some(a.clone());
    }
    let site = site_names(meta, title);
    let host = alnum(url.host_str().unwrap_or("").trim_start_matches("www."));
    let origin = origin(meta, near).map(|o| compact(&o).to_lowercase());
    let bare = |s: &str| -> String { s.chars().filter(|c| c.is_alphanumeric()).collect() };
    let candidates: Vec<String> = structured_authors(meta, content_end)
        .into_iter()
        .chain(near.written_by.clone())
        .chain(near.credited.clone())
        .filter(|found| origin.as_deref() != Some(compact(found).to_lowercase().as_str()))
        .collect();
    // A Chinese brand in the title suffix (`…_网易财经` for 网易) is the site; a western
    // blogger's name in `Post | Jane Doe's blog` is the author. A western site's own name
    // (`National Geographic` beside og:site_name) gives way to a writer named elsewhere,
    // and stays when none is (a blog named after its writer).
    let is_site = |found: &str| {
        let c = compact(found).to_lowercase();
        if c.chars().any(is_cjk) {
            site.iter().any(|s| s.contains(&c))
        } else {
            let b = bare(&c);
            b.chars().count() >= 4 && site.iter().any(|s| bare(s) == b)
                // `LAOLA1.at`, `Deutsche Welle (www.dw.com)`: the site's own address.
                || host.chars().count() >= 5 && b.contains(&host)
        }
    };
    let western_site = |found: &str| !found.chars().any(is_cjk) && is_site(found);
    // `unocero - Alberto Ávila`: the site's name printed beside the writer's.
    let candidates: Vec<String> = candidates
        .into_iter()
        .map(|c| {
            for sep in [" - ", " – ", " | "] {
                if let Some((a, b)) = c.split_once(sep)
                    && !b.contains(sep)
                {
                    if is_site(a) && !is_site(b) {
                        return b.trim().to_string();
                    }
                    if is_site(b) && !is_site(a) {
                        return a.trim().to_string();
                    }
                }
            }
            c
        })
        .collect();
    // A person named anywhere before an organisation (`<meta name="author">` giving
    // the publisher, the page printing `Von Leonora Holling`).
    let chosen = candidates
        .iter()
        .find(|f| !is_site(f) && !credits::is_organisation(f))
        .or_else(|| candidates.iter().find(|f| !is_site(f)))
        .or_else(|| candidates.iter().find(|f| western_site(f)))
        .cloned();
    // The same writer listed with co-authors elsewhere (JSON-LD names the first,
    // `<meta name="author">` all of them): the fuller list. A first name alone
    // (`Nils`, a blog's display name) gives way to the full name printed elsewhere
    // (`Eine Kolumne von Nils Pickert`).
    let chosen = chosen.map(|c| {
        let first_name = c.chars().next().is_some_and(char::is_uppercase)
            && c.chars().skip(1).all(char::is_lowercase);
        if first_name
            && c.chars().count() >= 3
            && let Some(full) = near.written_by.iter().find(|o| {
                let words: Vec<&str> = o.split_whitespace().collect();
                (2..=3).contains(&words.len())
                    && words[0].to_lowercase() == c.to_lowercase()
                    && !is_site(o)
            })
        {
            return full.clone();
        }
        let names = name_set(&c);
        candidates
            .iter()
            .filter(|o| !is_site(o) && o.split([',', '&']).all(|p| !is_site(p.trim())))
            .find(|o| {
                let more = name_set(o);
                more.len() > names.len() && names.iter().all(|n| more.contains(n))
            })
            .cloned()
            .unwrap_or(c)
    });
    chosen
        .or_else(|| near.signed.clone())
        .or_else(|| closing_signature(dom, meta, content_end))
        .or_else(|| author_link(meta, url, &is_site))
        .or_else(|| {
            // The account that posted the page (Drupal's `Submitted by jane`).
            meta.posters
                .iter()
                .filter_map(|(_, t)| clean_byline(t))
                .find(|t| !is_site(t))
        })
        .or_else(|| near.contact.clone())
        .or_else(|| {
            credits::site_owner(
                meta.doc_title.as_deref(),
                meta.tag("og:site_name"),
                url.host_str().unwrap_or(""),
            )
        })
}

/// A name set apart on the last line of the body (`<p><b>Stefan Wasmer</b></p>`), no
/// text after it.
fn closing_signature(dom: &Dom, meta: &PageMeta, content_end: Option<usize>) -> Option<String> {
    let end = content_end?;
    let (node, name) = meta.signatures.iter().rev().find(|(n, _)| *n <= end)?;
    let last = dom.descendants(*node).last().copied().unwrap_or(*node);
    let after: usize = (last + 1..=end.min(dom.nodes.len().saturating_sub(1)))
        .filter_map(|i| match &dom.nodes[i].data {
            Data::Text(t) if !dom.nodes[i].removed => Some(t.trim().chars().count()),
            _ => None,
        })
        .sum();
    (after == 0).then(|| name.clone())
}

/// The first link to a writer's page on the site itself, when nothing else names one
/// (a blog's `Autor: <a href="/author/gnaddrig/">gnaddrig</a>`).
fn author_link(meta: &PageMeta, url: &Url, is_site: &dyn Fn(&str) -> bool) -> Option<String> {
    let host = url.host_str().unwrap_or("").trim_start_matches("www.");
    meta.author_links
        .iter()
        .filter(|(href, _)| match Url::parse(href) {
            Ok(u) => u.host_str().unwrap_or("").trim_start_matches("www.") == host,
            Err(_) => !href.contains("://"),
        })
        // A picture's credit inside the link is not the byline.
        .filter(|(_, t)| !t.contains('©'))
        .filter_map(|(_, t)| clean_byline(t))
        .find(|t| !is_site(t))
}

/// The names of an author value, compared loosely: split at `,`, `;`, `&`, `and`,
/// `und`, each lower-case with letters and digits only.
fn name_set(v: &str) -> Vec<String> {
    let lower = v.to_lowercase().replace(" and ", ",").replace(" und ", ",");
    lower
        .split([',', ';', '&', '、', '，'])
        .map(|p| {
            p.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// Where the site names itself: `og:site_name`, and what `<title>` adds to the title.
fn site_names(meta: &PageMeta, title: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = meta.tag("og:site_name") {
        out.push(compact(s).to_lowercase());
    }
    if let (Some(doc), Some(t)) = (&meta.doc_title, title) {
        let doc = compact(doc).to_lowercase();
        let t = compact(t).to_lowercase();
        if !t.is_empty() && doc != t {
            let rest = doc.replace(&t, " ");
            // `Title | Section | Site`: each part beside the title.
            out.extend(
                rest.split(['|', '–', '—', '»', '«', '·', '｜'])
                    .map(|p| p.trim_matches(['-', ' ', ':']).to_string())
                    .filter(|p| p.chars().count() >= 4),
            );
            out.push(rest);
        }
    }
    if let Some(s) = meta.tag("application-name") {
        out.push(compact(s).to_lowercase());
    }
    out
}

/// Author candidates, strongest first: JSON-LD, `<meta>` tags, byline elements.
fn structured_authors(meta: &PageMeta, content_end: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    if !meta.ld_authors.is_empty() {
        let mut names: Vec<String> = Vec::new();
        for n in &meta.ld_authors {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        out.push(names.join(", "));
    }
    for key in [
        "author",
        "article:author",
        "og:article:author",
        "byl",
        "dc.creator",
        "sailthru.author",
        "parsely-author",
        "shareaholic:article_author_name",
        "citation_author",
    ] {
        // One tag per writer (`dc.Creator`, `citation_author` repeated): all of them.
        let mut names: Vec<String> = Vec::new();
        for v in meta
            .tags
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
        {
            if !v.is_empty()
                && !v.starts_with("http")
                && !is_vendor(meta, v)
                && let Some(a) = clean_byline(v)
                && !names.contains(&a)
                && names.len() < 10
            {
                names.push(a);
            }
        }
        if !names.is_empty() {
            out.push(names.join(", "));
        }
    }
    // `twitter:label1 = Written by`, `twitter:data1 = Jane Doe` (Yoast, Ghost).
    for i in 1..=4 {
        let label = meta
            .tag(&format!("twitter:label{i}"))
            .map(str::to_lowercase);
        if label.as_deref().is_some_and(|l| {
            [
                "written by",
                "verfasst von",
                "geschrieben von",
                "author",
                "autor",
                "autorin",
                "écrit par",
                "escrito por",
                "scritto da",
            ]
            .contains(&l.trim())
        }) && let Some(a) = meta.tag(&format!("twitter:data{i}")).and_then(clean_byline)
        {
            out.push(a);
        }
    }
    // Chinese byline elements after the body are commenters' (western author boxes
    // often close the article).
    out.extend(
        meta.bylines
            .iter()
            .filter(|(node, t)| {
                content_end.is_none_or(|end| *node <= end) || !t.chars().any(is_cjk)
            })
            // A picture's credit inside the link is not the byline.
            .filter(|(_, t)| !t.contains('©'))
            .filter_map(|(_, t)| clean_byline(t)),
    );
    out
}

/// Words a byline element prints before the name (`Posted by`, `Veröffentlicht von`,
/// `Autor:`), longest first; also glued to the name (`AuthorAndreas Kalt`).
const BYLINE_PREFIXES: &[&str] = &[
    "view all posts by",
    "alle beiträge von",
    "alle artikel von",
    "all posts by",
    "beiträge von",
    "alles von",
    "mehr von",
    "more from",
    "posts by",
    "gespeichert von",
    "submitted by",
    "eine kolumne von",
    "ein kommentar von",
    "ein gastbeitrag von",
    "veröffentlicht von",
    "geschrieben von",
    "eingestellt von",
    "verfasst von",
    "erstellt von",
    "artikel von",
    "beitrag von",
    "published by",
    "written by",
    "posted by",
    "autorinnen",
    "autorin",
    "auteurs",
    "auteur",
    "authors",
    "author",
    "autoren",
    "autor",
    "by",
    "von",
    "vom",
    "par",
    "por",
];

/// What byline elements hold when they hold no name: a label alone, a date label, a
/// link text.
const NOT_NAMES: &[&str] = &[
    "posted on",
    "posted",
    "published",
    "published on",
    "publiziert am",
    "veröffentlicht am",
    "follow",
    "no author",
    "alle beiträge",
    "all posts",
    "gesponserte inhalte",
];

/// `text` without a leading byline word, or `None` when none leads it.
fn strip_byline_prefix(text: &str) -> Option<&str> {
    let lower = text.to_lowercase();
    for p in BYLINE_PREFIXES {
        // Lower-casing keeps these prefixes' byte lengths (ö is two bytes either way).
        if !lower.starts_with(p) || !text.is_char_boundary(p.len()) {
            continue;
        }
        let rest = &text[p.len()..];
        let sep = rest.trim_start_matches([' ', ':', '\u{a0}']);
        let glued = rest.starts_with(|c: char| c.is_uppercase()) && p.len() > 3;
        if sep.len() < rest.len() || glued {
            return Some(sep.trim());
        }
    }
    None
}

/// Whether a `<meta name="author">` names the maker of the site's software (`大汉网络`
/// beside `<meta name="generator" content="大汉版通">`, a `…科技有限公司`), not a writer.
fn is_vendor(meta: &PageMeta, value: &str) -> bool {
    let v = compact(value);
    if ["网络", "科技", "公司", "软件", "网络技术"]
        .iter()
        .any(|s| v.ends_with(s))
    {
        return true;
    }
    // A web agency's credit or the CMS's own name; a credit holding a web address
    // (`Web Commerce GmbH www.w-commerce.de`, `Frank Bueltge - http://bueltge.de`).
    let lower = v.to_lowercase();
    if (lower.contains("www.") || lower.contains("://"))
        && ["gmbh", " ag ", "ltd", "inc.", "llc", " kg "]
            .iter()
            .any(|c| format!(" {lower} ").contains(c))
    {
        return true;
    }
    if [
        "品牌策划",
        "技术支持",
        "网站建设",
        "网站设计",
        "设计制作",
        "建站",
        "制作维护",
        "designedby",
        "designby",
        "poweredby",
        "discuz",
        "dedecms",
        "phpcms",
        "comsenz",
        "empirecms",
        "帝国cms",
        "织梦",
        "wordpress",
        "joomla",
        "typecho",
        "drupal",
    ]
    .iter()
    .any(|s| lower.contains(s))
    {
        return true;
    }
    meta.tag("generator").is_some_and(|g| {
        let g = compact(g);
        let brand: String = v.chars().take(2).collect();
        brand.chars().count() == 2 && brand.chars().all(is_cjk) && g.starts_with(&brand)
    })
}

fn clean_byline(text: &str) -> Option<String> {
    // An entity the CMS escaped twice (`Redacci&oacute;n`).
    let t = if text.contains('&') && text.contains(';') && !text.contains('<') {
        crate::text::html_to_text(text)
    } else {
        text.to_string()
    };
    // `| Autor: Jane`: a separator from the field printed before it.
    let t = fold_whitespace(&t)
        .trim_start_matches(['|', '·', '•', '/', '–', '—', ' '])
        .to_string();
    let lower = t.to_lowercase();
    let date_label = [
        "posted on ",
        "published on ",
        "publiziert am ",
        "veröffentlicht am ",
    ]
    .iter()
    .any(|l| lower.starts_with(l));
    if date_label
        || NOT_NAMES.contains(&lower.as_str())
        || BYLINE_PREFIXES.contains(&lower.trim_end_matches(':'))
    {
        return None;
    }
    let t = strip_byline_prefix(&t).unwrap_or(&t);
    // `Interview: Julia Lauter`, `Text: …`: the work credited, then the name.
    let lower = t.to_lowercase();
    let t = [
        "text und interview:",
        "interview:",
        "text:",
        "texte:",
        "words:",
    ]
    .iter()
    .find(|p| lower.starts_with(**p))
    .map_or(t, |p| t[p.len()..].trim());
    // What follows a bullet is the byline's time or role (`James Akinaka • 8h`).
    let t = t.split(" • ").next().unwrap_or(t);
    // A date printed after the name (`Georg Quaas, 21. Jan. 2015`, `Bo2man am
    // 29.12.2010, 13:36 Uhr`, `Jane Doe | March 3, 2020`).
    let t = cut_date(t);
    // What was left of a date (`Donnerstag, 4. November 2021`) is no name.
    if is_weekday(t) {
        return None;
    }
    let t = ["Alle Artikel", "All posts", "View all posts"]
        .iter()
        .find_map(|s| t.strip_suffix(s))
        .unwrap_or(t)
        .trim()
        .to_string();
    // Editors are not authors; an address is not a name.
    if ["编辑", "责编", "审核", "校对", "@", "授权"]
        .iter()
        .any(|e| t.contains(e))
    {
        return None;
    }
    let t = t
        .trim_start_matches(['作', '者', '：', ':'])
        .trim()
        .to_string();
    let t = if metaline::has_role(&t) {
        metaline::writers(&t).unwrap_or(t)
    } else {
        t
    };
    if t.is_empty()
        || t.chars().count() > 60
        || t.chars().filter(|c| c.is_ascii_digit()).count() >= 4
    {
        return None;
    }
    metaline::clean_name(&t, 60)
}

/// Whether `t` is the name of a day of the week.
fn is_weekday(t: &str) -> bool {
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "montag",
        "dienstag",
        "mittwoch",
        "donnerstag",
        "freitag",
        "samstag",
        "sonntag",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
        "domingo",
    ]
    .contains(
        &t.trim()
            .trim_end_matches([',', '.'])
            .to_lowercase()
            .as_str(),
    )
}

/// `name` without a date printed after it behind a separator or `am`/`on`/`le`.
fn cut_date(name: &str) -> &str {
    const SEPS: &[&str] = &[
        " am ", " on ", " le ", " el ", " | ", ", ", " - ", " – ", " — ", " · ",
    ];
    let cut = SEPS
        .iter()
        .filter_map(|sep| name.find(sep).map(|i| (i, sep.len())))
        .filter(|&(i, len)| i > 0 && metaline::has_date(&name[i + len..]))
        .map(|(i, _)| i)
        .min();
    match cut {
        Some(i) => name[..i].trim(),
        None => name,
    }
}

/// The original publisher (来源): the metadata line, the portal's `ContentSource`, else
/// a short element named `source` on a Chinese page.
pub(crate) fn origin(meta: &PageMeta, near: &NearTitle) -> Option<String> {
    near.origin
        .clone()
        .or_else(|| {
            meta.tag("contentsource")
                .and_then(|v| metaline::clean_name(v, 60))
        })
        .or_else(|| {
            meta.sources.iter().find_map(|t| {
                let t = t.trim_start_matches(['来', '源', '：', ':', ' ']);
                let cjk = t.chars().filter(|&c| is_cjk(c)).count();
                (cjk >= 2).then(|| metaline::clean_name(t, 30)).flatten()
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuller_lists_compare_by_names() {
        assert_eq!(name_set("Jane Doe and John Roe"), ["janedoe", "johnroe"]);
        assert_eq!(name_set("Sadhbh O'Sullivan,Elisabeth Kochan").len(), 2);
    }

    #[test]
    fn byline_words_are_not_names() {
        let c = |t: &str| clean_byline(t);
        assert_eq!(c("Posted by T. V. Raman").as_deref(), Some("T. V. Raman"));
        assert_eq!(
            c("Veröffentlicht vonChris Jung").as_deref(),
            Some("Chris Jung")
        );
        assert_eq!(c("AuthorAndreas Kalt").as_deref(), Some("Andreas Kalt"));
        assert_eq!(c("Autor: Petra Ruland").as_deref(), Some("Petra Ruland"));
        assert_eq!(
            c("Von: Moritz Pieczewski-Freimuth").as_deref(),
            Some("Moritz Pieczewski-Freimuth")
        );
        assert_eq!(c("erstellt von Dominique").as_deref(), Some("Dominique"));
        assert_eq!(
            c("Johanna Kropfitsch Alle Artikel").as_deref(),
            Some("Johanna Kropfitsch")
        );
        assert_eq!(c("Bylines Weekly").as_deref(), Some("Bylines Weekly"));
        assert_eq!(c("James Akinaka • 8h").as_deref(), Some("James Akinaka"));
        assert_eq!(c("Parker Smith").as_deref(), Some("Parker Smith"));
        assert_eq!(
            c("Georg Quaas, 21. Jan. 2015").as_deref(),
            Some("Georg Quaas")
        );
        assert_eq!(
            c("Author: Bo2man am 29.12.2010, 13:36 Uhr").as_deref(),
            Some("Bo2man")
        );
        assert_eq!(
            c("VON MORITZ GATHMANN am 21. April 2020").as_deref(),
            Some("MORITZ GATHMANN")
        );
        assert_eq!(
            c("Jane Doe, John Roe").as_deref(),
            Some("Jane Doe, John Roe")
        );
        assert_eq!(c("Donnerstag, 4. November 2021"), None);
        for none in [
            "By",
            "Posted on",
            "Published by",
            "Publiziert am",
            "Follow",
            "No Author",
        ] {
            assert_eq!(c(none), None, "{none}");
        }
    }
}
