//! Configuration errors, each pointing at a place in the file.

use std::fmt;
use std::path::PathBuf;

/// Every problem found in a configuration file, each printed as `FILE:LINE:COL: message`,
/// in the order they appear in the file.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<ConfigError>);

/// One problem, at a 1-based line and column (columns count characters, not bytes, so
/// that they match what an editor shows on a line with Chinese text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// The 1-based line and character column of a byte offset in `src`.
pub(super) fn position(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    // A byte-order mark is invisible in an editor; it takes no column.
    let line_text = before[line_start..].trim_start_matches('\u{feff}');
    let col = line_text.chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::position;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = "a = 1\ntitle = \"要闻\" x\n";
        assert_eq!(position(src, 0), (1, 1));
        assert_eq!(position(src, 6), (2, 1));
        let x = src.find(" x").unwrap() + 1;
        assert_eq!(position(src, x), (2, 14));
        assert_eq!(position(src, src.len()), (3, 1));
    }

    #[test]
    fn a_byte_order_mark_takes_no_column() {
        let src = "\u{feff}a = 1\r\nb = x\r\n";
        assert_eq!(position(src, src.find('a').unwrap()), (1, 1));
        assert_eq!(position(src, src.find('x').unwrap()), (2, 5));
    }
}
