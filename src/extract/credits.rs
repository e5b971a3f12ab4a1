//! Credits a western page prints around the body instead of a byline: the source
//! closing it (`Quelle: kathpress`), the press contact of a release (`Pressekontakt` ⏎
//! `Dr. Tim Loppe`), and the words printed around a writer's name that are not part of
//! it (`Rechtsanwalt`, `PhillyVoice Staff`, `im Gespräch mit`).

use super::alnum;

/// The credit of a line closing the article: `Quelle: MDR THÜRINGEN/ls`, `Source:
/// Reuters`. A picture's credit (`©`) or a web address is not one.
pub(crate) fn source_credit(line: &str) -> Option<String> {
    let line = line.trim();
    let lower = line.to_lowercase();
    let label = ["quelle", "source", "fuente", "fonte"]
        .iter()
        .find(|l| lower.starts_with(**l))?;
    let rest = line[label.len()..].trim_start();
    let value = rest.strip_prefix(':')?.trim();
    let value = value.trim_end_matches(['.', ' ']);
    let lower = value.to_lowercase();
    if value.is_empty()
        || value.chars().count() > 40
        || value.split_whitespace().count() > 4
        || ["©", "(c)", "http", "www.", "@"]
            .iter()
            .any(|w| lower.contains(w))
        || value.chars().filter(char::is_ascii_digit).count() >= 3
        || !value.chars().any(char::is_alphabetic)
    {
        return None;
    }
    Some(value.to_string())
}

/// Whether a line is the label of a press contact, the name on the next line.
pub(crate) fn is_contact_label(line: &str) -> bool {
    let l = line.trim().trim_end_matches([':', ' ']).to_lowercase();
    [
        "pressekontakt",
        "kontakt",
        "medienkontakt",
        "ansprechpartner",
        "ansprechpartnerin",
        "pressestelle",
        "press contact",
        "media contact",
        "contact",
    ]
    .contains(&l.as_str())
}

/// A line that is a person's name and nothing else: two to four capitalised words,
/// after an academic title (`Dr. Tim Loppe`, `Jan Koch`).
pub(crate) fn person_name(line: &str) -> Option<String> {
    let line = line.trim().trim_end_matches([',', ' ']);
    if line.chars().count() > 40 {
        return None;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let titles = ["Dr.", "Prof.", "Dipl.-Ing.", "Mag.", "Dr"];
    let first = words.iter().take_while(|w| titles.contains(w)).count();
    let name = &words[first..];
    let ok = (2..=4).contains(&name.len())
        && name.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars().skip(1).any(char::is_lowercase)
                && w.chars().all(|c| c.is_alphabetic() || ".-'’".contains(c))
        });
    ok.then(|| words.join(" "))
}

/// The owner of a blog named after them, when the page names no writer: a part of
/// `<title>` or `og:site_name` that is a person's name (`Gregory Szorc's Digital Home`,
/// `C.Habermueller`, `Damian Duchamps' Blog`) spelling the site's own address
/// (`gregoryszorc.com`, `chabermu.wordpress.com`). A publication's name is not one.
pub(crate) fn site_owner(
    doc_title: Option<&str>,
    site_name: Option<&str>,
    host: &str,
) -> Option<String> {
    let label = alnum(
        host.trim_start_matches("www.")
            .split('.')
            .next()
            .unwrap_or(""),
    );
    if label.chars().count() < 6 {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    if let Some(t) = doc_title {
        let split: Vec<&str> = t
            .split(['|', '–', '—', '»', '·'])
            .flat_map(|p| p.split(" - "))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if split.len() >= 2 {
            parts.push(split[0]);
            parts.push(split[split.len() - 1]);
        }
    }
    parts.extend(site_name);
    parts.into_iter().find_map(|p| {
        // `Jane Doe's Blog`: the owner before the possessive.
        let owner = ["'s ", "’s ", "' ", "’ "]
            .iter()
            .find_map(|s| p.split_once(s).map(|(a, _)| a))
            .unwrap_or(p)
            .trim();
        let bare = alnum(owner);
        let words: Vec<&str> = owner.split([' ', '.']).filter(|w| !w.is_empty()).collect();
        let publication = [
            "post", "times", "news", "journal", "zeitung", "blog", "magazin", "magazine", "daily",
            "herald", "tribune", "online", "media", "verlag", "press", "presse", "radio", "tv",
            "review", "world", "welt", "digital", "global",
        ];
        let person = (2..=3).contains(&words.len())
            && words.iter().all(|w| {
                w.chars().next().is_some_and(char::is_uppercase)
                    && w.chars().all(|c| c.is_alphabetic() || "-'’".contains(c))
                    && !publication.contains(&w.to_lowercase().as_str())
            });
        // Only a blog's: the owner's possessive, or a blog host's subdomain (a site
        // named `Royal Road` at royalroad.com is a publication).
        let possessive = owner.len() < p.len();
        let blog_host = [
            ".wordpress.com",
            ".blogspot.",
            ".tumblr.com",
            ".substack.com",
            ".typepad.com",
            ".livejournal.com",
            ".over-blog.",
            ".home.blog",
        ]
        .iter()
        .any(|b| host.contains(b));
        (person && (possessive || blog_host) && (bare == label || bare.starts_with(&label)))
            .then(|| owner.to_string())
    })
}

/// Whether an author value names an organisation rather than a person (`Bund der
/// Energieverbraucher e.V`, `Bayerische Landesanstalt für Wald und Forstwirtschaft`,
/// `L-MAG – Das Magazin für Lesben`, `Teufel Editorial Team`): a printed byline
/// naming a person is preferred to it.
pub(crate) fn is_organisation(value: &str) -> bool {
    const WORDS: &[&str] = &[
        "e.v",
        "e.v.",
        "gmbh",
        "ag",
        "se",
        "ltd",
        "inc",
        "inc.",
        "llc",
        "stiftung",
        "verband",
        "institut",
        "verein",
        "magazin",
        "magazine",
        "team",
        "redaktion",
        "editorial",
        "agencies",
        "für",
        "des",
        "das",
        "of",
        "for",
        "the",
        "–",
    ];
    value
        .split_whitespace()
        .any(|w| WORDS.contains(&w.to_lowercase().trim_end_matches(',')))
        || value.to_lowercase().contains("stiftung")
}

/// A writer's name without what pages print around it: a profession before it
/// (`Rechtsanwalt Sebastian Einbock`), the staff credit after it (`Adam Aaronson
/// PhillyVoice Staff`, the site's name dropped with it), and an interview's two people
/// as a list (`Richard David Precht im Gespräch mit Karin Fischer`).
pub(crate) fn tidy(author: &str, host: &str) -> String {
    let mut a = author.trim().to_string();
    for joint in [
        " im Gespräch mit ",
        " in conversation with ",
        " in Conversation with ",
    ] {
        if let Some((x, y)) = a.split_once(joint) {
            a = format!("{}, {}", x.trim(), y.trim());
        }
    }
    for title in [
        "Rechtsanwalt ",
        "Rechtsanwältin ",
        "Fachanwalt ",
        "Fachanwältin ",
        "Attorney ",
    ] {
        if let Some(rest) = a.strip_prefix(title)
            && rest.split_whitespace().count() >= 2
        {
            a = rest.trim().to_string();
        }
    }
    // The comments link printed after the name (`Jane Ein Kommentar`, `Jane 3 Comments`).
    for link in [
        " Ein Kommentar",
        " Keine Kommentare",
        " Kommentare",
        " Leave a comment",
        " No Comments",
        " Comments",
    ] {
        if let Some(i) = a.find(link)
            && i > 0
        {
            a = a[..i]
                .trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ')
                .to_string();
        }
    }
    // The date's label printed after the name (`Leena Simon Veröffentlicht am …`).
    for label in [
        " Veröffentlicht",
        " Aktualisiert",
        " Published",
        " Posted",
        " Updated",
    ] {
        if let Some(rest) = a.strip_suffix(label)
            && !rest.trim().is_empty()
        {
            a = rest.trim().to_string();
        }
    }
    for staff in [" Staff Writer", " Staff Reporter", " Staff"] {
        if let Some(rest) = a.strip_suffix(staff) {
            let mut words: Vec<&str> = rest.split_whitespace().collect();
            // `PhillyVoice` in `Adam Aaronson PhillyVoice Staff`: the site's own name.
            if words.len() >= 3
                && words
                    .last()
                    .map(|w| alnum(w))
                    .is_some_and(|w| w.len() >= 4 && host.starts_with(&w))
            {
                words.pop();
            }
            if words.len() >= 2 {
                a = words.join(" ");
            }
            break;
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_credits() {
        assert_eq!(
            source_credit("Quelle: kathpress").as_deref(),
            Some("kathpress")
        );
        assert_eq!(
            source_credit("Quelle: MDR THÜRINGEN/ls").as_deref(),
            Some("MDR THÜRINGEN/ls")
        );
        assert_eq!(
            source_credit("Source : Reuters.").as_deref(),
            Some("Reuters")
        );
        assert_eq!(
            source_credit("Quelle: © www.juragentur.de - Rechtsnews"),
            None
        );
        assert_eq!(source_credit("Quellen und weiterführende Links"), None);
        assert_eq!(
            source_credit("Quelle: Statistisches Bundesamt, Fachserie 17, Reihe 7, 2019"),
            None
        );
    }

    #[test]
    fn contacts() {
        assert!(is_contact_label("Pressekontakt"));
        assert!(is_contact_label("Kontakt:"));
        assert!(!is_contact_label("Kontaktformular"));
        assert_eq!(
            person_name("Dr. Tim Loppe").as_deref(),
            Some("Dr. Tim Loppe")
        );
        assert_eq!(person_name("Jan Koch").as_deref(), Some("Jan Koch"));
        assert_eq!(person_name("Telefon +49 40 123"), None);
        assert_eq!(person_name("Pressesprecher naturstrom AG"), None);
    }

    #[test]
    fn blogs_named_after_their_owner() {
        let o = |t: &str, h: &str| site_owner(Some(t), None, h);
        assert_eq!(
            o(
                "Gregory Szorc's Digital Home | Python 3",
                "gregoryszorc.com"
            )
            .as_deref(),
            Some("Gregory Szorc")
        );
        assert_eq!(
            o(
                "Per Update spioniert Microsoft | C.Habermueller",
                "chabermu.wordpress.com"
            )
            .as_deref(),
            Some("C.Habermueller")
        );
        assert_eq!(
            o(
                "Office 365 – HBDI | Damian Duchamps' Blog",
                "damianduchamps.wordpress.com"
            )
            .as_deref(),
            Some("Damian Duchamps")
        );
        assert_eq!(
            o("Storm hits | Washington Post", "washingtonpost.com"),
            None
        );
        assert_eq!(o("Storm hits | Jane Doe", "riverside.example"), None);
        assert_eq!(o("Jane Doe", "janedoe.example"), None);
        assert_eq!(
            o("Chapter 1 - Melas | Royal Road", "www.royalroad.com"),
            None
        );
    }

    #[test]
    fn organisations() {
        assert!(is_organisation("Bund der Energieverbraucher e.V"));
        assert!(is_organisation("Hanns-Seidel-Stiftung e.V"));
        assert!(is_organisation("L-MAG – Das Magazin für Lesben"));
        assert!(!is_organisation("Jose de la Cruz"));
        assert!(!is_organisation("Ursula von der Leyen"));
        assert!(!is_organisation("Jane Doe and John Roe"));
    }

    #[test]
    fn names_without_their_surroundings() {
        assert_eq!(
            tidy("Rechtsanwalt Sebastian Einbock", "juraforum.de"),
            "Sebastian Einbock"
        );
        assert_eq!(
            tidy("Adam Aaronson PhillyVoice Staff", "phillyvoice.com"),
            "Adam Aaronson"
        );
        assert_eq!(
            tidy("Richard David Precht im Gespräch mit Karin Fischer", "x.de"),
            "Richard David Precht, Karin Fischer"
        );
        assert_eq!(tidy("Jane Doe", "x.de"), "Jane Doe");
        assert_eq!(tidy("Leena Simon Veröffentlicht", "x.de"), "Leena Simon");
        assert_eq!(
            tidy("KleineGrüneMonster Ein Kommentar", "x.de"),
            "KleineGrüneMonster"
        );
        assert_eq!(tidy("Jane Doe 12 Comments", "x.de"), "Jane Doe");
        assert_eq!(tidy("Sports Staff", "x.de"), "Sports Staff");
    }
}
