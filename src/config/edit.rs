//! Editing `feeds.toml` in place: `tidings add` (and `tidings import opml`) add
//! `[[source]]` tables and name them in a `[[feed]]`'s `sources`.
//!
//! The file is edited as a TOML document ([`toml_edit`]), not rewritten from a model:
//! its comments, blank lines and key order stay as the operator wrote them. A new source
//! goes right after the last `[[source]]` (after its `[source.select]`, before whatever
//! comments head the next section). Nothing is written unless the edited text passes the
//! same validation as `tidings check`, and the file is replaced atomically (a temporary
//! file beside it, then a rename), so a running daemon that reloads it never reads half
//! a file.

pub use super::ids::is_valid_id;
use super::{Config, ConfigErrors, SourceKind};
use crate::text::url::canonical_url;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};
use url::Url;

/// The longest id derived from a URL or a title (they appear in feed URLs and commands).
const MAX_DERIVED_ID: usize = 40;

/// Why an edit was refused or could not be saved. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{path}: cannot read: {source}", path = .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is invalid before any edit: fix it first (`tidings check` shows why).
    #[error("{0}\n(fix these first: the file is only edited when it is valid)")]
    Invalid(ConfigErrors),
    #[error("{url} is already configured as source \"{id}\"")]
    AlreadyConfigured { url: String, id: String },
    #[error(
        "source id \"{0}\" may contain only lowercase letters a-z, digits and \"-\" \
         (it appears in URLs and commands)"
    )]
    BadId(String),
    #[error("a source with id \"{0}\" already exists; choose another with --id")]
    IdTaken(String),
    #[error("no [[feed]] with id \"{feed}\"{}", known_feeds(.known))]
    NoSuchFeed { feed: String, known: Vec<String> },
    #[error("{0}")]
    Unsupported(String),
    /// The edited text does not validate: a bug in the edit, reported rather than written.
    #[error("the edited configuration would not be valid, so nothing was written:\n{0}")]
    Rejected(ConfigErrors),
    #[error("{path}: cannot write: {source}", path = .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn known_feeds(known: &[String]) -> String {
    if known.is_empty() {
        " (the file has no [[feed]])".into()
    } else {
        format!(" (feeds: {})", known.join(", "))
    }
}

/// A source to add. `id: None` derives one from the title or the URL.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub url: Url,
    pub id: Option<String>,
    pub title: Option<String>,
    pub kind: SourceKind,
}

/// An open edit of one configuration file.
pub struct ConfigEdit {
    path: PathBuf,
    /// The configuration as read, before any edit.
    config: Config,
    doc: DocumentMut,
    /// Source ids taken, by the file or by this edit.
    ids: HashSet<String>,
    /// Canonical URL → source id, of the file and of this edit.
    urls: HashMap<String, String>,
    /// `[[feed]]` ids, in file order.
    feeds: Vec<String>,
    /// `[[feed]]` (id, title) pairs, of the file and of this edit.
    feed_titles: Vec<(String, String)>,
}

impl ConfigEdit {
    /// Open a file for editing; it must be a valid configuration.
    pub fn open(path: &Path) -> Result<ConfigEdit, EditError> {
        let text = std::fs::read_to_string(path).map_err(|source| EditError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        ConfigEdit::from_text(&text, path)
    }

    /// Edit configuration text; `path` is where it is written and how errors name it.
    pub fn from_text(text: &str, path: &Path) -> Result<ConfigEdit, EditError> {
        let config = Config::parse(text, path).map_err(EditError::Invalid)?;
        // A valid configuration is valid TOML, so this parse cannot fail in practice.
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            EditError::Unsupported(format!("{}: {e}", path.display()))
        })?;
        let mut edit = ConfigEdit {
            path: path.to_path_buf(),
            doc,
            ids: HashSet::new(),
            urls: HashMap::new(),
            feeds: config.feeds.iter().map(|f| f.id.clone()).collect(),
            feed_titles: config
                .feeds
                .iter()
                .map(|f| {
                    (
                        f.id.clone(),
                        f.title.clone().unwrap_or_else(|| f.id.clone()),
                    )
                })
                .collect(),
            config,
        };
        for s in &edit.config.sources {
            edit.ids.insert(s.id.clone());
            edit.urls.insert(canonical_key(&s.url), s.id.clone());
        }
        Ok(edit)
    }

    /// The configuration as it was read (its `[fetch]` settings, time zone …).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The id of the source already polling `url` (compared canonically: no fragment,
    /// no tracking parameters, host case and default ports ignored).
    pub fn configured(&self, url: &Url) -> Option<&str> {
        self.urls.get(&canonical_key(url)).map(String::as_str)
    }

    /// Whether a source id is taken.
    pub fn has_id(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// Add one `[[source]]`; returns its id (the one asked for, or a derived unique one).
    pub fn add_source(&mut self, new: &NewSource) -> Result<String, EditError> {
        if let Some(id) = self.configured(&new.url) {
            return Err(EditError::AlreadyConfigured {
                url: new.url.to_string(),
                id: id.to_string(),
            });
        }
        let id = match &new.id {
            Some(id) if !is_valid_id(id) => return Err(EditError::BadId(id.clone())),
            Some(id) if self.ids.contains(id) => return Err(EditError::IdTaken(id.clone())),
            Some(id) => id.clone(),
            None => derive_id(new.title.as_deref(), &new.url, &self.ids),
        };

        let mut table = Table::new();
        table.insert("id", value(id.as_str()));
        table.insert("url", value(new.url.as_str()));
        if let Some(title) = new.title.as_deref().filter(|t| !t.trim().is_empty()) {
            table.insert("title", value(title.trim()));
        }
        table.insert(
            "kind",
            value(match new.kind {
                SourceKind::Auto => "auto",
                SourceKind::Feed => "feed",
                SourceKind::Html => "html",
            }),
        );
        // A blank line before the header, as the example file separates its tables.
        table.decor_mut().set_prefix("\n");

        let first_source = !self.doc.contains_key("source");
        if first_source {
            // Appended to the document's keys, the table would print after everything;
            // placed just before the first section that follows sources in the example
            // file ([[feed]], [email] …), it sorts (stably) right after the table before it.
            if let Some(next) = self.first_position_after_sources() {
                table.set_position(Some(next - 1));
            }
            self.doc
                .insert("source", Item::ArrayOfTables(ArrayOfTables::new()));
        }
        match self.doc.get_mut("source") {
            // A table without a position prints after the one before it in the document:
            // after the last source and its `[source.select]`.
            Some(Item::ArrayOfTables(sources)) => sources.push(table),
            _ => {
                return Err(EditError::Unsupported(format!(
                    "{}: `source` is not written as [[source]] tables; add the source by hand",
                    self.path.display()
                )));
            }
        }
        self.ids.insert(id.clone());
        self.urls.insert(canonical_key(&new.url), id.clone());
        Ok(id)
    }

    /// Name `source` in `[[feed]] id = feed`'s `sources`. Returns false when the feed
    /// already takes it (it lists it, or takes every source with `"*"`).
    pub fn add_to_feed(&mut self, feed: &str, source: &str) -> Result<bool, EditError> {
        let no_such_feed = || EditError::NoSuchFeed {
            feed: feed.to_string(),
            known: self.feeds.clone(),
        };
        if !self.feeds.iter().any(|f| f == feed) {
            return Err(no_such_feed());
        }
        let table = self
            .doc
            .get_mut("feed")
            .and_then(Item::as_array_of_tables_mut)
            .and_then(|feeds| {
                feeds
                    .iter_mut()
                    .find(|t| t.get("id").and_then(Item::as_str) == Some(feed))
            });
        let unsupported = |what: &str| {
            EditError::Unsupported(format!(
                "[[feed]] \"{feed}\": {what}; add \"{source}\" to its sources by hand"
            ))
        };
        let Some(table) = table else {
            return Err(unsupported("not written as a [[feed]] table"));
        };
        let Some(sources) = table.get_mut("sources").and_then(Item::as_array_mut) else {
            return Err(unsupported("`sources` is not a plain array"));
        };
        let listed = |s: &str| sources.iter().any(|v| v.as_str() == Some(s));
        if listed("*") || listed(source) {
            return Ok(false);
        }
        push_keeping_layout(sources, source);
        Ok(true)
    }

    /// The `[[feed]]` whose title is `title` (ignoring case and surrounding blanks), of
    /// the file or of this edit.
    pub fn feed_titled(&self, title: &str) -> Option<&str> {
        let title = title.trim().to_lowercase();
        self.feed_titles
            .iter()
            .find(|(_, t)| t.trim().to_lowercase() == title)
            .map(|(id, _)| id.as_str())
    }

    /// Whether a `[[feed]]` id is taken.
    pub fn has_feed(&self, id: &str) -> bool {
        self.feeds.iter().any(|f| f == id)
    }

    /// Add a `[[feed]]` serving `sources` (at least one); returns its id (`id` when given
    /// and free, else one derived from the title).
    pub fn add_feed(
        &mut self,
        id: Option<&str>,
        title: &str,
        sources: &[String],
    ) -> Result<String, EditError> {
        let taken: HashSet<String> = self.feeds.iter().cloned().collect();
        let id = match id {
            Some(id) if is_valid_id(id) && !taken.contains(id) => id.to_string(),
            _ => derive_feed_id(title, &taken),
        };
        let mut table = Table::new();
        table.insert("id", value(id.as_str()));
        table.insert("title", value(title.trim()));
        let mut list = Array::new();
        for s in sources {
            list.push(s.as_str());
        }
        if sources.len() > 2 {
            for v in list.iter_mut() {
                v.decor_mut().set_prefix("\n    ");
            }
            list.set_trailing_comma(true);
            list.set_trailing("\n");
        }
        table.insert("sources", value(list));
        table.decor_mut().set_prefix("\n");
        if !self.doc.contains_key("feed") {
            if let Some(next) =
                self.first_position_of(&["email", "list", "telegram", "chat", "webhook"])
            {
                table.set_position(Some(next - 1));
            }
            self.doc
                .insert("feed", Item::ArrayOfTables(ArrayOfTables::new()));
        }
        match self.doc.get_mut("feed") {
            Some(Item::ArrayOfTables(feeds)) => feeds.push(table),
            _ => {
                return Err(EditError::Unsupported(format!(
                    "{}: `feed` is not written as [[feed]] tables; add the feed by hand",
                    self.path.display()
                )));
            }
        }
        self.feeds.push(id.clone());
        self.feed_titles
            .push((id.clone(), title.trim().to_string()));
        Ok(id)
    }

    /// The edited text.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    /// Validate the edited text as `tidings check` would.
    pub fn check(&self) -> Result<Config, EditError> {
        Config::parse(&self.text(), &self.path).map_err(EditError::Rejected)
    }

    /// Validate, then replace the file atomically. Returns the new configuration.
    pub fn write(&self) -> Result<Config, EditError> {
        let config = self.check()?;
        write_atomically(&self.path, self.text().as_bytes()).map_err(|source| {
            EditError::Write {
                path: self.path.clone(),
                source,
            }
        })?;
        Ok(config)
    }

    /// The smallest document position of the sections that follow sources.
    fn first_position_after_sources(&self) -> Option<isize> {
        self.first_position_of(&["feed", "email", "list", "telegram", "chat", "webhook"])
    }

    /// The smallest document position of these sections.
    fn first_position_of(&self, sections: &[&str]) -> Option<isize> {
        sections
            .iter()
            .filter_map(|key| match self.doc.get(key)? {
                Item::Table(t) => t.position(),
                Item::ArrayOfTables(a) => a.iter().filter_map(Table::position).min(),
                _ => None,
            })
            .min()
    }
}

/// Append a string to an array the way it is already written: on its own line in a
/// multi-line array, after ", " in a one-line one.
fn push_keeping_layout(array: &mut Array, item: &str) {
    let multiline = array
        .iter()
        .last()
        .and_then(|v| v.decor().prefix())
        .and_then(|p| p.as_str())
        .filter(|p| p.contains('\n'))
        .map(str::to_string);
    array.push(item);
    if let Some(prefix) = multiline
        && let Some(last) = array.iter_mut().last()
    {
        last.decor_mut().set_prefix(prefix);
        // The closing bracket stays on its own line: the trailing comma carries it.
        array.set_trailing_comma(true);
    }
}

/// How URLs are compared: canonical form, as items are.
fn canonical_key(url: &Url) -> String {
    canonical_url(url.as_str(), None).map_or_else(|| url.to_string(), |u| u.to_string())
}

/// A valid id not in `taken`: a slug of the title when it is written in Latin letters
/// ("Rust Blog" → `rust-blog`), else of the URL's host and path
/// (`https://www.example.gov.cn/zwdt/qnyw/index.html` → `example-gov-cn-zwdt-qnyw`), with
/// `-2`, `-3` … appended when taken.
pub fn derive_id(title: Option<&str>, url: &Url, taken: &HashSet<String>) -> String {
    let base = title
        .filter(|t| t.chars().filter(char::is_ascii_alphabetic).count() * 2 >= t.chars().count())
        .map(slug)
        .filter(|s| s.len() >= 3)
        .unwrap_or_else(|| url_slug(url));
    let base = if base.is_empty() {
        "source".to_string()
    } else {
        base
    };
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken.contains(id))
        .expect("an unbounded range finds a free id")
}

/// A valid feed id not in `taken`: a slug of the title when it is written in Latin
/// letters ("Tech News" → `tech-news`), else `folder`, with `-2`, `-3` … when taken.
pub fn derive_feed_id(title: &str, taken: &HashSet<String>) -> String {
    let base = Some(slug(title))
        .filter(|s| {
            s.len() >= 2
                && title.chars().filter(char::is_ascii_alphanumeric).count() * 2
                    >= title.trim().chars().count()
        })
        .unwrap_or_else(|| "folder".to_string());
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken.contains(id))
        .expect("an unbounded range finds a free id")
}

/// `[a-z0-9-]+`: lowercase ASCII letters and digits, every other run a single `-`, at
/// most [`MAX_DERIVED_ID`] characters, cut at a `-` where possible.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_string();
    if out.len() > MAX_DERIVED_ID {
        out.truncate(MAX_DERIVED_ID);
        if let Some(cut) = out.rfind('-').filter(|&i| i >= MAX_DERIVED_ID / 2) {
            out.truncate(cut);
        }
        out = out.trim_end_matches('-').to_string();
    }
    out
}

/// A slug of the host (without `www.`) and the path, without the file name of a
/// section's index page and without extensions.
pub fn url_slug(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    let host = host.strip_prefix("www.").unwrap_or(host);
    let mut parts: Vec<&str> = vec![host];
    let segments: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
    for (i, seg) in segments.iter().enumerate() {
        let stem = seg.split('.').next().unwrap_or("");
        let last = i + 1 == segments.len();
        if last && ["index", "default", "list", "home", "main"].contains(&stem) {
            continue;
        }
        parts.push(if last { stem } else { seg });
    }
    slug(&parts.join("-"))
}

/// Write `bytes` to `path` through a temporary file in the same directory and a rename,
/// keeping the file's permissions; a symlink is followed, so its target is replaced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "feeds.toml".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tidings-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        if let Ok(meta) = std::fs::metadata(&path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"# top comment
[daemon]
data_dir = "data" # trailing comment

# Sources
[[source]]
id = "one"
url = "https://example.org/one/"
[source.select]
item = "li"

# Feeds come next
[[feed]]
id = "news"
sources = ["one"]

[[feed]]
id = "all"
sources = [
    "one",
]
"#;

    fn edit(text: &str) -> ConfigEdit {
        ConfigEdit::from_text(text, Path::new("feeds.toml")).unwrap()
    }

    fn new(url: &str, title: Option<&str>) -> NewSource {
        NewSource {
            url: Url::parse(url).unwrap(),
            id: None,
            title: title.map(str::to_string),
            kind: SourceKind::Html,
        }
    }

    #[test]
    fn a_source_goes_after_the_last_one_keeping_comments() {
        let mut e = edit(BASE);
        let id = e
            .add_source(&new(
                "https://www.example.gov.cn/zwdt/qnyw/index.html",
                Some("区内要闻"),
            ))
            .unwrap();
        assert_eq!(id, "example-gov-cn-zwdt-qnyw");
        assert!(e.add_to_feed("news", &id).unwrap());
        assert!(e.add_to_feed("all", &id).unwrap());
        let text = e.text();
        let config = e.check().unwrap();
        assert_eq!(config.sources.len(), 2);
        assert!(
            config.sources[0].select.is_some(),
            "select kept with its source"
        );
        assert!(text.contains("# top comment\n[daemon]\ndata_dir = \"data\" # trailing comment\n"));
        let select = text.find("item = \"li\"").unwrap();
        let added = text.find("id = \"example-gov-cn-zwdt-qnyw\"").unwrap();
        let feeds = text.find("# Feeds come next").unwrap();
        assert!(select < added && added < feeds, "{text}");
        assert!(
            text.contains("title = \"区内要闻\"\nkind = \"html\"\n"),
            "{text}"
        );
        assert!(
            text.contains(r#"sources = ["one", "example-gov-cn-zwdt-qnyw"]"#),
            "{text}"
        );
        assert!(
            text.contains("sources = [\n    \"one\",\n    \"example-gov-cn-zwdt-qnyw\",\n]"),
            "{text}"
        );
    }

    #[test]
    fn the_first_source_goes_before_the_feeds() {
        let text =
            "[daemon]\ndata_dir = \"d\"\n\n# feeds\n[[feed]]\nid = \"f\"\nsources = [\"*\"]\n";
        let mut e = edit(text);
        let id = e
            .add_source(&new(
                "https://blog.rust-lang.org/feed.xml",
                Some("Rust Blog"),
            ))
            .unwrap();
        assert_eq!(id, "rust-blog");
        assert!(!e.add_to_feed("f", &id).unwrap(), "\"*\" takes it already");
        let out = e.text();
        assert!(
            out.find("rust-blog").unwrap() < out.find("# feeds").unwrap(),
            "{out}"
        );
        e.check().unwrap();
    }

    #[test]
    fn duplicates_and_bad_ids_are_refused() {
        let mut e = edit(BASE);
        let err = e
            .add_source(&new("https://EXAMPLE.org/one/?utm_source=x#top", None))
            .unwrap_err();
        assert!(
            matches!(err, EditError::AlreadyConfigured { ref id, .. } if id == "one"),
            "{err}"
        );
        let mut s = new("https://example.org/two/", None);
        s.id = Some("one".into());
        assert!(matches!(e.add_source(&s), Err(EditError::IdTaken(_))));
        s.id = Some("Two".into());
        assert!(matches!(e.add_source(&s), Err(EditError::BadId(_))));
        let err = e.add_to_feed("nope", "one").unwrap_err().to_string();
        assert!(err.contains("feeds: news, all"), "{err}");
    }

    #[test]
    fn derived_ids_are_unique_slugs() {
        let taken: HashSet<String> = ["example-org-news".to_string()].into();
        let url = Url::parse("https://example.org/news/").unwrap();
        assert_eq!(derive_id(None, &url, &taken), "example-org-news-2");
        assert_eq!(derive_id(Some("新闻"), &url, &taken), "example-org-news-2");
        assert_eq!(derive_id(Some("Hacker News!"), &url, &taken), "hacker-news");
        let long = Url::parse("https://a.example.org/very/long/path/of/many/segments/here/x.html")
            .unwrap();
        let id = derive_id(None, &long, &HashSet::new());
        assert!(id.len() <= MAX_DERIVED_ID && is_valid_id(&id), "{id}");
    }

    #[test]
    fn an_invalid_file_is_not_edited() {
        let err = ConfigEdit::from_text("[[source]]\nid = \"x\"\n", Path::new("f.toml"));
        assert!(matches!(err, Err(EditError::Invalid(_))));
    }
}
