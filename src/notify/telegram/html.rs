//! Telegram's HTML parse mode: message length as Telegram counts it (UTF-16 code units
//! of the text after the tags are removed and entities decoded), and splitting a long
//! message into parts that each fit, on paragraph or line boundaries when there are any,
//! never inside a tag, an entity or a surrogate pair. Tags open at a cut are closed at
//! the end of the part and opened again at the start of the next.

/// Telegram's limit for one message's text.
pub const MAX_UNITS: usize = 4096;

/// One indivisible piece of the markup.
#[derive(Debug, Clone, Copy)]
enum Atom<'a> {
    Open {
        name: &'a str,
        raw: &'a str,
    },
    Close {
        name: &'a str,
        raw: &'a str,
    },
    /// One character or one entity.
    Text {
        raw: &'a str,
        units: usize,
    },
}

impl<'a> Atom<'a> {
    fn raw(&self) -> &'a str {
        match self {
            Atom::Open { raw, .. } | Atom::Close { raw, .. } | Atom::Text { raw, .. } => raw,
        }
    }

    fn is_newline(&self) -> bool {
        matches!(self, Atom::Text { raw: "\n", .. })
    }
}

fn tag_name(inner: &str) -> &str {
    let end = inner
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(inner.len());
    &inner[..end]
}

/// The units an entity (`&amp;`, `&#128240;`, `&#x1F4F0;`) stands for, if it is one.
fn entity_units(body: &str) -> Option<usize> {
    let c = if let Some(num) = body.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(n)?
    } else {
        match body {
            "lt" | "gt" | "amp" | "quot" => '&',
            _ => return None,
        }
    };
    Some(c.len_utf16())
}

fn atoms(html: &str) -> Vec<Atom<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        if rest.starts_with('<')
            && let Some(end) = rest.find('>')
        {
            let raw = &rest[..=end];
            let atom = match raw[1..].strip_prefix('/') {
                Some(inner) => Atom::Close {
                    name: tag_name(inner),
                    raw,
                },
                None => Atom::Open {
                    name: tag_name(&raw[1..]),
                    raw,
                },
            };
            out.push(atom);
            i += raw.len();
            continue;
        }
        if rest.starts_with('&')
            && let Some(end) = rest.bytes().take(12).position(|b| b == b';')
            && let Some(units) = entity_units(&rest[1..end])
        {
            out.push(Atom::Text {
                raw: &rest[..=end],
                units,
            });
            i += end + 1;
            continue;
        }
        // `i` is always on a char boundary: every step above ends on an ASCII byte.
        let c = rest.chars().next().unwrap_or('\u{fffd}');
        out.push(Atom::Text {
            raw: &rest[..c.len_utf8()],
            units: c.len_utf16(),
        });
        i += c.len_utf8();
    }
    out
}

/// The message's length as Telegram counts it.
pub fn units(html: &str) -> usize {
    atoms(html)
        .iter()
        .map(|a| match a {
            Atom::Text { units, .. } => *units,
            _ => 0,
        })
        .sum()
}

/// Split `html` into parts of at most `max` units each (see the module's rules). A
/// character wider than `max` (a surrogate pair when `max` is 1) gets a part of its own.
pub fn split(html: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let atoms = atoms(html);
    let total: usize = atoms
        .iter()
        .map(|a| match a {
            Atom::Text { units, .. } => *units,
            _ => 0,
        })
        .sum();
    if total <= max {
        return vec![html.to_string()];
    }
    let mut parts = Vec::new();
    let mut start = 0;
    let mut open: Vec<Atom> = Vec::new();
    while start < atoms.len() {
        // Leading line breaks of a continuation are noise.
        while start < atoms.len() && atoms[start].is_newline() {
            start += 1;
        }
        if start >= atoms.len() {
            break;
        }
        let mut stack = open.clone();
        let mut used = 0;
        let mut paragraph: Option<(usize, Vec<Atom>)> = None;
        let mut line: Option<(usize, Vec<Atom>)> = None;
        let mut i = start;
        while i < atoms.len() {
            match atoms[i] {
                Atom::Text { units, .. } => {
                    // Every part takes at least one character, even one wider than
                    // `max` (a surrogate pair when `max` is 1): else the loop never ends.
                    if used + units > max && used > 0 {
                        break;
                    }
                    used += units;
                    if atoms[i].is_newline() {
                        let after = (i + 1, stack.clone());
                        if i > start && atoms[i - 1].is_newline() {
                            paragraph = Some(after.clone());
                        }
                        line = Some(after);
                    }
                }
                a @ Atom::Open { .. } => stack.push(a),
                Atom::Close { name, .. } => {
                    if let Some(pos) = stack.iter().rposition(
                        |o| matches!(o, Atom::Open { name: n, .. } if n.eq_ignore_ascii_case(name)),
                    ) {
                        stack.truncate(pos);
                    }
                }
            }
            i += 1;
        }
        let (cut, at_cut) = if i >= atoms.len() {
            (atoms.len(), stack)
        } else {
            // Prefer a paragraph, then a line, unless it leaves the part mostly empty.
            let min = start + (i - start) / 4;
            match (paragraph, line) {
                (Some(p), _) if p.0 > min => p,
                (_, Some(l)) if l.0 > min => l,
                _ => (i, stack),
            }
        };
        let mut part = String::new();
        for a in &open {
            part.push_str(a.raw());
        }
        let mut end = cut;
        while end > start && atoms[end - 1].is_newline() {
            end -= 1;
        }
        for a in &atoms[start..end] {
            part.push_str(a.raw());
        }
        for a in at_cut.iter().rev() {
            if let Atom::Open { name, .. } = a {
                part.push_str(&format!("</{name}>"));
            }
        }
        parts.push(part);
        start = cut;
        open = at_cut;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_utf16_after_entities_and_without_tags() {
        assert_eq!(units("<b>a&amp;b</b>"), 3);
        assert_eq!(units("😀"), 2);
        assert_eq!(units("&#x1F600;"), 2);
        assert_eq!(units("棉花"), 2);
        assert_eq!(units("a & b"), 5, "a bare ampersand is text");
        assert_eq!(
            units("&棉花丰收;"),
            6,
            "no entity, and no cut inside a character"
        );
    }

    #[test]
    fn short_messages_are_left_alone() {
        assert_eq!(split("<b>hi</b>", 10), vec!["<b>hi</b>"]);
    }

    #[test]
    fn splits_prefer_paragraphs_then_lines() {
        let text = format!("{}\n\n{}\n{}", "a".repeat(6), "b".repeat(3), "c".repeat(3));
        assert_eq!(split(&text, 10), vec!["aaaaaa", "bbb\nccc"]);
        let text = format!("{}\n{}", "a".repeat(6), "b".repeat(6));
        assert_eq!(split(&text, 10), vec!["aaaaaa", "bbbbbb"]);
    }

    #[test]
    fn a_cut_inside_a_link_closes_and_reopens_it_and_never_splits_an_entity() {
        let html = format!(
            "<b><a href=\"u\">{}&amp;😀{}</a></b>",
            "x".repeat(7),
            "y".repeat(5)
        );
        let parts = split(&html, 8);
        for p in &parts {
            assert!(units(p) <= 8, "{p}");
            assert_eq!(p.matches("<a ").count(), p.matches("</a>").count(), "{p}");
            assert!(p.starts_with("<b><a href=\"u\">"), "{p}");
        }
        assert_eq!(parts[0], "<b><a href=\"u\">xxxxxxx&amp;</a></b>");
        assert_eq!(parts[1], "<b><a href=\"u\">😀yyyyy</a></b>");
        let text: String = parts
            .iter()
            .map(|p| p.replace("<b><a href=\"u\">", "").replace("</a></b>", ""))
            .collect();
        assert_eq!(text, format!("{}&amp;😀{}", "x".repeat(7), "y".repeat(5)));
    }

    #[test]
    fn a_surrogate_pair_moves_whole_to_the_next_part() {
        let parts = split("abc😀", 4);
        assert_eq!(parts, vec!["abc", "😀"]);
    }

    /// Found by fuzzing: a character wider than the limit made no part at all, and the
    /// split looped for ever, piling up empty parts.
    #[test]
    fn a_character_wider_than_the_limit_still_makes_progress() {
        // A generous hang guard: before the fix this never returned.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send((split("a😀b", 1), split("<b>😀😀</b>", 1)));
        });
        let (plain, bold) = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("split did not return");
        assert_eq!(plain, vec!["a", "😀", "b"]);
        assert_eq!(bold, vec!["<b>😀</b>", "<b>😀</b>"]);
    }
}
