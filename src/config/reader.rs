//! Reading the parsed TOML tree by hand, with positions, so that every problem in a file
//! is reported (serde stops at the first) and each points at the offending key or value.

use super::env;
use super::error::{ConfigError, position};
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub(super) type Span = Range<usize>;
pub(super) type Value<'i> = Spanned<DeValue<'i>>;

/// A string value after `${ENV}` expansion, with where it was written.
#[derive(Debug, Clone)]
pub(super) struct Str {
    pub value: String,
    pub span: Span,
}

/// The state of one validation pass: the text, and the errors found so far.
pub(super) struct Ctx<'s> {
    src: &'s str,
    file: &'s Path,
    env: &'s dyn Fn(&str) -> Option<String>,
    pub errors: Vec<ConfigError>,
}

impl<'s> Ctx<'s> {
    pub fn new(src: &'s str, file: &'s Path, env: &'s dyn Fn(&str) -> Option<String>) -> Self {
        Ctx {
            src,
            file,
            env,
            errors: Vec::new(),
        }
    }

    pub fn error(&mut self, span: &Span, message: impl Into<String>) {
        let (line, col) = position(self.src, span.start);
        self.errors.push(ConfigError {
            file: self.file.to_path_buf(),
            line,
            col,
            message: message.into(),
        });
    }

    /// The line a span starts on, for "first defined at line N".
    pub fn line(&self, span: &Span) -> usize {
        position(self.src, span.start).0
    }

    /// Expand `${NAME}`s in a string value; each problem points at its `${` in the file.
    fn expand(&mut self, raw: &str, span: &Span) -> Option<String> {
        match env::expand(raw, self.env) {
            Ok(s) => Some(s),
            Err(errors) => {
                let written = self.src.get(span.clone()).unwrap_or("");
                for e in errors {
                    // Escapes in the TOML string can hide the `${`; then the value's start
                    // is the best position there is.
                    let at = written
                        .find(&e.needle())
                        .map_or(span.start, |i| span.start + i);
                    self.error(&(at..at), e.message());
                }
                None
            }
        }
    }
}

/// A table of the file (`[daemon]`, one `[[source]]` …) being read field by field.
pub(super) struct Section<'a, 'i> {
    /// How messages name it: `[daemon]`, `[[source]]`, `[source.select]`.
    pub name: &'static str,
    pub table: &'a DeTable<'i>,
    /// Where the table is written (its header, or the inline table).
    pub span: Span,
}

impl<'a, 'i> Section<'a, 'i> {
    /// Start reading a table; every key not in `fields` is reported as unknown.
    pub fn new(
        cx: &mut Ctx,
        name: &'static str,
        table: &'a DeTable<'i>,
        span: Span,
        fields: &[&str],
    ) -> Self {
        let mut unknown: Vec<_> = table
            .keys()
            .filter(|k| !fields.contains(&k.get_ref().as_ref()))
            .collect();
        unknown.sort_by_key(|k| k.span().start);
        for key in unknown {
            let key_name: &str = key.get_ref();
            let what = if name.is_empty() {
                format!("unknown section `{key_name}`")
            } else {
                format!("unknown field `{key_name}` in {name}")
            };
            let hint = closest(key_name, fields)
                .map(|f| format!("; did you mean `{f}`?"))
                .unwrap_or_default();
            cx.error(
                &key.span(),
                format!("{what}{hint} (expected one of: {})", fields.join(", ")),
            );
        }
        Section { name, table, span }
    }

    pub fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        self.table.get(key)
    }

    fn type_error(&self, cx: &mut Ctx, key: &str, value: &Value, expected: &str) {
        cx.error(
            &value.span(),
            format!(
                "`{key}` in {} must be {expected}, found {}",
                self.name,
                a_type(value.get_ref())
            ),
        );
    }

    /// Report a required field that is absent, at the table's header.
    pub fn missing(&self, cx: &mut Ctx, key: &str, example: &str) {
        cx.error(
            &self.span,
            format!("missing `{key}` in {} (e.g. {key} = {example})", self.name),
        );
    }

    /// An optional string, `${ENV}`-expanded.
    pub fn string(&self, cx: &mut Ctx, key: &str) -> Option<Str> {
        let value = self.get(key)?;
        string_value(cx, value).or_else(|| {
            if !value.get_ref().is_str() {
                self.type_error(cx, key, value, "a string");
            }
            None
        })
    }

    /// A required string; `example` shows the user what to write.
    pub fn required_string(&self, cx: &mut Ctx, key: &str, example: &str) -> Option<Str> {
        if self.get(key).is_none() {
            self.missing(cx, key, example);
            return None;
        }
        self.string(cx, key)
    }

    /// An optional string turned into `T` by `parse`, whose error message is reported at
    /// the value.
    pub fn parsed<T>(
        &self,
        cx: &mut Ctx,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let s = self.string(cx, key)?;
        parse(&s.value).map_err(|m| cx.error(&s.span, m)).ok()
    }

    pub fn boolean(&self, cx: &mut Ctx, key: &str) -> Option<bool> {
        let value = self.get(key)?;
        let b = value.get_ref().as_bool();
        if b.is_none() {
            self.type_error(cx, key, value, "a boolean (true or false)");
        }
        b
    }

    /// An optional integer within `min..=max`.
    pub fn integer(&self, cx: &mut Ctx, key: &str, min: i64, max: i64) -> Option<i64> {
        let value = self.get(key)?;
        let Some(int) = value.get_ref().as_integer() else {
            self.type_error(cx, key, value, "an integer");
            return None;
        };
        match i64::from_str_radix(int.as_str(), int.radix()) {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ if max >= i64::from(u32::MAX) => {
                cx.error(
                    &value.span(),
                    format!("`{key}` must be at least {min}, found {int}"),
                );
                None
            }
            _ => {
                cx.error(
                    &value.span(),
                    format!("`{key}` must be between {min} and {max}, found {int}"),
                );
                None
            }
        }
    }

    /// An optional array of strings, each `${ENV}`-expanded.
    pub fn strings(&self, cx: &mut Ctx, key: &str) -> Option<Vec<Str>> {
        let value = self.get(key)?;
        let Some(array) = value.get_ref().as_array() else {
            self.type_error(cx, key, value, "an array of strings, like [\"a\", \"b\"]");
            return None;
        };
        let mut out = Vec::with_capacity(array.len());
        let mut ok = true;
        for item in array.iter() {
            match string_value(cx, item) {
                Some(s) => out.push(s),
                None => {
                    if !item.get_ref().is_str() {
                        cx.error(
                            &item.span(),
                            format!(
                                "`{key}` in {} must list strings, found {}",
                                self.name,
                                a_type(item.get_ref())
                            ),
                        );
                    }
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// An optional sub-table (`[source.select]` or an inline `select = { … }`).
    pub fn table(&self, cx: &mut Ctx, key: &str) -> Option<(&'a DeTable<'i>, Span)> {
        let value = self.get(key)?;
        match value.get_ref().as_table() {
            Some(t) => Some((t, value.span())),
            None => {
                self.type_error(cx, key, value, "a table");
                None
            }
        }
    }
}

/// A string value, expanded; `None` when it is not a string (the caller reports that) or
/// expansion failed (already reported).
fn string_value(cx: &mut Ctx, value: &Value) -> Option<Str> {
    let raw = value.get_ref().as_str()?;
    let span = value.span();
    cx.expand(raw, &span).map(|value| Str { value, span })
}

/// A top-level `[name]` table, written once.
pub(super) fn single_table<'a, 'i>(
    cx: &mut Ctx,
    root: &'a DeTable<'i>,
    name: &str,
) -> Option<(&'a DeTable<'i>, Span)> {
    let value = root.get(name)?;
    match value.get_ref() {
        DeValue::Table(t) => Some((t, value.span())),
        DeValue::Array(_) => {
            cx.error(
                &value.span(),
                format!("[{name}] is a single table: write [{name}], not [[{name}]]"),
            );
            None
        }
        other => {
            cx.error(
                &value.span(),
                format!("`{name}` must be a [{name}] table, found {}", a_type(other)),
            );
            None
        }
    }
}

/// The entries of a top-level `[[name]]` array of tables.
pub(super) fn array_of_tables<'a, 'i>(
    cx: &mut Ctx,
    root: &'a DeTable<'i>,
    name: &str,
) -> Vec<(&'a DeTable<'i>, Span)> {
    let Some(value) = root.get(name) else {
        return Vec::new();
    };
    match value.get_ref() {
        DeValue::Array(items) => items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::Table(t) => Some((t, item.span())),
                other => {
                    cx.error(
                        &item.span(),
                        format!("each {name} is a [[{name}]] table, found {}", a_type(other)),
                    );
                    None
                }
            })
            .collect(),
        DeValue::Table(_) => {
            cx.error(
                &value.span(),
                format!("write [[{name}]] (with double brackets, one per {name}), not [{name}]"),
            );
            Vec::new()
        }
        other => {
            cx.error(
                &value.span(),
                format!(
                    "`{name}` must be [[{name}]] tables, found {}",
                    a_type(other)
                ),
            );
            Vec::new()
        }
    }
}

fn a_type(value: &DeValue) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The valid name closest to a misspelt one, if it is close enough to be a typo.
fn closest<'f>(name: &str, valid: &[&'f str]) -> Option<&'f str> {
    valid
        .iter()
        .map(|v| (edit_distance(name, v), *v))
        .filter(|(d, v)| *d <= 2.max(v.len() / 3) && *d < v.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            row.push((prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1));
        }
        prev = row;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let fields = ["id", "url", "title", "full_text", "schedule"];
        assert_eq!(closest("titel", &fields), Some("title"));
        assert_eq!(closest("fulltext", &fields), Some("full_text"));
        assert_eq!(closest("sources", &["source", "feed"]), Some("source"));
        assert_eq!(closest("colour", &fields), None);
        assert_eq!(closest("x", &fields), None);
    }
}
