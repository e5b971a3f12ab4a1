//! Ids of sources, feeds and lists: their format, uniqueness, and references to them.

use super::reader::{Ctx, Span, Str};

/// The ids of one kind of thing (sources, feeds …), in file order.
pub(super) struct Ids {
    /// How messages name the kind: "source", "feed".
    what: &'static str,
    seen: Vec<(String, Span)>,
}

impl Ids {
    pub fn new(what: &'static str) -> Self {
        Ids {
            what,
            seen: Vec::new(),
        }
    }

    /// Record an id, reporting a bad format or a duplicate. Returns whether it is usable.
    pub fn add(&mut self, cx: &mut Ctx, id: &Str) -> bool {
        let what = self.what;
        if !is_valid_id(&id.value) {
            cx.error(
                &id.span,
                format!(
                    "{what} id \"{}\" may contain only lowercase letters a-z, digits and \"-\" \
                     (it appears in URLs and commands)",
                    id.value
                ),
            );
            return false;
        }
        if let Some((_, first)) = self.seen.iter().find(|(s, _)| *s == id.value) {
            let line = cx.line(first);
            cx.error(
                &id.span,
                format!(
                    "duplicate {what} id \"{}\" (first defined on line {line})",
                    id.value
                ),
            );
            return false;
        }
        self.seen.push((id.value.clone(), id.span.clone()));
        true
    }

    /// Resolve a list of references: `"*"` means every id; an unknown id is reported at
    /// its position. `field` names the list in messages.
    pub fn resolve(&self, cx: &mut Ctx, refs: &[Str], field: &str) -> Vec<String> {
        let what = self.what;
        if refs.iter().any(|r| r.value == "*") {
            return self.seen.iter().map(|(id, _)| id.clone()).collect();
        }
        let mut out: Vec<String> = Vec::with_capacity(refs.len());
        for r in refs {
            if self.seen.iter().any(|(id, _)| *id == r.value) {
                if !out.contains(&r.value) {
                    out.push(r.value.clone());
                }
            } else {
                let known = if self.seen.is_empty() {
                    format!("no [[{what}]] is defined")
                } else {
                    let names: Vec<&str> = self.seen.iter().map(|(id, _)| id.as_str()).collect();
                    format!("known: {}", names.join(", "))
                };
                cx.error(
                    &r.span,
                    format!("`{field}` names unknown {what} \"{}\" ({known})", r.value),
                );
            }
        }
        out
    }
}

/// `[a-z0-9-]+`: ids appear in URLs (`/feeds/{id}.atom`) and on command lines.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::is_valid_id;

    #[test]
    fn ids_are_lowercase_ascii_digits_and_dashes() {
        assert!(is_valid_id("boz-qnyw"));
        assert!(is_valid_id("2024"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("Boz"));
        assert!(!is_valid_id("a_b"));
        assert!(!is_valid_id("要闻"));
    }
}
