//! Month names as dates are written in pages and feeds, in one place.

/// English three-letter abbreviations, January first: the prefix every English month
/// name starts with ("sept", "september" and "sep" all start with "sep").
pub const ABBREVIATIONS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// English full names, January first.
pub const FULL: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The month an English month name starting with an abbreviation names ("Sept.", "august").
pub fn by_abbreviation(word: &str) -> Option<u32> {
    let lower = word.to_ascii_lowercase();
    ABBREVIATIONS
        .iter()
        .position(|name| lower.starts_with(name))
        .map(|i| i as u32 + 1)
}

/// The month a (English, German, French, Spanish, Italian …) month name or abbreviation names.
pub fn number(name: &str) -> Option<u32> {
    let n = name.to_lowercase();
    const MONTHS: &[(&[&str], u32)] = &[
        (
            &[
                "jan", "january", "januar", "janvier", "enero", "gennaio", "jänner",
            ],
            1,
        ),
        (
            &[
                "feb", "february", "februar", "février", "fevrier", "febrero", "febbraio",
            ],
            2,
        ),
        (&["mar", "march", "märz", "maerz", "mars", "marzo"], 3),
        (&["apr", "april", "avril", "abril", "aprile"], 4),
        (&["may", "mai", "mayo", "maggio"], 5),
        (&["jun", "june", "juni", "juin", "junio", "giugno"], 6),
        (&["jul", "july", "juli", "juillet", "julio", "luglio"], 7),
        (&["aug", "august", "août", "aout", "agosto"], 8),
        (
            &[
                "sep",
                "sept",
                "september",
                "septembre",
                "septiembre",
                "settembre",
            ],
            9,
        ),
        (
            &[
                "oct", "october", "okt", "oktober", "octobre", "octubre", "ottobre",
            ],
            10,
        ),
        (&["nov", "november", "novembre", "noviembre"], 11),
        (
            &[
                "dec",
                "december",
                "dez",
                "dezember",
                "décembre",
                "decembre",
                "diciembre",
                "dicembre",
            ],
            12,
        ),
        // Russian and Ukrainian genitive forms ("15 августа 2016").
        (&["января", "січня"], 1),
        (&["февраля", "лютого"], 2),
        (&["марта", "березня"], 3),
        (&["апреля", "квітня"], 4),
        (&["мая", "травня"], 5),
        (&["июня", "червня"], 6),
        (&["июля", "липня"], 7),
        (&["августа", "серпня"], 8),
        (&["сентября", "вересня"], 9),
        (&["октября", "жовтня"], 10),
        (&["ноября", "листопада"], 11),
        (&["декабря", "грудня"], 12),
    ];
    MONTHS
        .iter()
        .find(|(names, _)| names.contains(&n.as_str()))
        .map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_names_in_several_languages() {
        assert_eq!(number("März"), Some(3));
        assert_eq!(number("августа"), Some(8));
        assert_eq!(number("sept"), Some(9));
        assert_eq!(number("foo"), None);
        assert_eq!(by_abbreviation("Sept."), Some(9));
        assert_eq!(by_abbreviation("xyz"), None);
    }
}
