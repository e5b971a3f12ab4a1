//! `${NAME}` in configuration strings, replaced from the environment.
//!
//! `$${` writes a literal `${`. A `$` not followed by `{` is kept as it is, so URLs and
//! passwords with a lone `$` need no escaping.

/// Why a string could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum EnvError {
    /// `${NAME}` names a variable that is not set.
    Missing(String),
    /// `${` without a closing `}`.
    Unterminated,
    /// `${…}` whose content is not a variable name (letters, digits, `_`).
    BadName(String),
}

impl EnvError {
    /// The text to look for in the file to point at this error.
    pub(super) fn needle(&self) -> String {
        match self {
            EnvError::Missing(name) | EnvError::BadName(name) => format!("${{{name}}}"),
            EnvError::Unterminated => "${".to_string(),
        }
    }

    pub(super) fn message(&self) -> String {
        match self {
            EnvError::Missing(name) => format!(
                "environment variable {name} is not set (referenced as ${{{name}}}; write $${{ for a literal ${{)"
            ),
            EnvError::Unterminated => {
                "unterminated ${ (expected ${NAME}; write $${ for a literal ${)".to_string()
            }
            EnvError::BadName(name) => format!(
                "${{{name}}} is not a variable name (letters, digits and _, not starting with a digit)"
            ),
        }
    }
}

/// Replace every `${NAME}` in `s` using `lookup`. Reports every problem, not only the first.
pub(super) fn expand(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Vec<EnvError>> {
    if !s.contains('$') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut errors = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with("$${") {
            out.push_str("${");
            rest = &rest[3..];
        } else if let Some(after) = rest.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                errors.push(EnvError::Unterminated);
                break;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            if !is_var_name(name) {
                errors.push(EnvError::BadName(name.to_string()));
            } else if let Some(value) = lookup(name) {
                out.push_str(&value);
            } else {
                errors.push(EnvError::Missing(name.to_string()));
            }
        } else {
            out.push('$');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("abc".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn replaces_variables_anywhere_in_a_string() {
        assert_eq!(expand("bot${TOKEN}/x${EMPTY}", &env).unwrap(), "botabc/x");
        assert_eq!(expand("no vars", &env).unwrap(), "no vars");
    }

    #[test]
    fn keeps_lone_dollars_and_escapes() {
        assert_eq!(expand("pa$$word$", &env).unwrap(), "pa$$word$");
        assert_eq!(expand("$${TOKEN}", &env).unwrap(), "${TOKEN}");
    }

    #[test]
    fn reports_every_problem() {
        assert_eq!(
            expand("${A} ${TOKEN} ${1X} ${B", &env).unwrap_err(),
            vec![
                EnvError::Missing("A".into()),
                EnvError::BadName("1X".into()),
                EnvError::Unterminated
            ]
        );
    }
}
