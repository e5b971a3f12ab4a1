//! `tidings import opml FILE|URL`: the feeds another reader exported become `[[source]]`s
//! of feeds.toml, and its folders `[[feed]]`s serving them.
//!
//! The file is edited in place through [`ConfigEdit`] (comments and layout kept, written
//! only when the result validates, atomically). A URL already configured is not added
//! again (compared canonically); an outline that cannot be imported is reported with its
//! line and why; a document that is not OPML changes nothing.

use crate::config::SourceKind;
use crate::config::edit::{ConfigEdit, EditError, NewSource};
use crate::fetch::Fetcher;
use crate::parse::feed::opml::{Folder, parse_opml};
use std::collections::HashMap;
use std::path::Path;
use url::Url;

/// What one run did, for the summary line.
#[derive(Default)]
struct Tally {
    added: usize,
    skipped: usize,
    feeds_created: usize,
    feeds_extended: usize,
}

/// `tidings import opml FILE|URL [-c feeds.toml] [--dry-run]`.
pub(super) async fn opml(target: &str, config: &Path, dry_run: bool) -> anyhow::Result<i32> {
    let creating = !config.exists();
    let opened = if creating {
        ConfigEdit::from_text("", config)
    } else {
        ConfigEdit::open(config)
    };
    let mut edit = match opened {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(1);
        }
    };
    let text = match read(target, &edit).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(1);
        }
    };
    let opml = match parse_opml(&text) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {target}: {e}; {} unchanged", config.display());
            return Ok(1);
        }
    };
    let verb = if dry_run { "would add" } else { "added" };
    let mut tally = Tally::default();
    // Each source this run added → the line that listed it.
    let mut added_at: HashMap<String, usize> = HashMap::new();
    // Folders in the order they first appear, with the sources filed under each.
    let mut folders: Vec<(Folder, Vec<String>)> = Vec::new();
    // Reported in document order: outlines skipped while reading come between the feeds.
    let mut skips = opml.skipped.iter().peekable();
    let mut report_skips_before = |line: usize, tally: &mut Tally| {
        while let Some(skip) = skips.next_if(|s| s.line < line) {
            tally.skipped += 1;
            println!(
                "skipped line {}{}: {}",
                skip.line,
                skip.title
                    .as_deref()
                    .map(|t| format!(" \"{t}\""))
                    .unwrap_or_default(),
                skip.reason
            );
        }
    };
    for feed in &opml.feeds {
        report_skips_before(feed.line, &mut tally);
        let id = match edit.configured(&feed.url).map(str::to_string) {
            Some(id) => {
                tally.skipped += 1;
                let why = match added_at.get(&id) {
                    Some(line) => format!("listed before (line {line}) as source \"{id}\""),
                    None => format!("already configured as source \"{id}\""),
                };
                println!("skipped line {}: {}: {why}", feed.line, feed.url);
                id
            }
            None => {
                let kind = match feed.kind.as_deref() {
                    Some("html") => SourceKind::Html,
                    Some("auto") => SourceKind::Auto,
                    _ => SourceKind::Feed,
                };
                let wanted = feed
                    .id
                    .clone()
                    .filter(|id| crate::config::edit::is_valid_id(id) && !edit.has_id(id));
                let new = NewSource {
                    url: feed.url.clone(),
                    id: wanted,
                    title: feed.title.clone(),
                    kind,
                };
                match edit.add_source(&new) {
                    Ok(id) => {
                        tally.added += 1;
                        added_at.insert(id.clone(), feed.line);
                        println!(
                            "{verb} source \"{id}\"{}: {}",
                            feed.title
                                .as_deref()
                                .map(|t| format!(" (\"{t}\")"))
                                .unwrap_or_default(),
                            feed.url
                        );
                        id
                    }
                    Err(e) => {
                        tally.skipped += 1;
                        println!("skipped line {}: {}: {e}", feed.line, feed.url);
                        continue;
                    }
                }
            }
        };
        for folder in &feed.folders {
            match folders.iter_mut().find(|(f, _)| f == folder) {
                Some((_, ids)) => {
                    if !ids.contains(&id) {
                        ids.push(id.clone());
                    }
                }
                None => folders.push((folder.clone(), vec![id.clone()])),
            }
        }
    }
    report_skips_before(usize::MAX, &mut tally);
    if let Err(e) = file_folders(&mut edit, &folders, dry_run, &mut tally) {
        eprintln!("error: {e}; {} unchanged", config.display());
        return Ok(1);
    }
    let summary = if dry_run {
        format!(
            "would add {} source{}, skip {}; would create {} feed{}, extend {}",
            tally.added,
            plural(tally.added),
            tally.skipped,
            tally.feeds_created,
            plural(tally.feeds_created),
            tally.feeds_extended
        )
    } else {
        format!(
            "{} source{} added, {} skipped; {} feed{} created, {} extended",
            tally.added,
            plural(tally.added),
            tally.skipped,
            tally.feeds_created,
            plural(tally.feeds_created),
            tally.feeds_extended
        )
    };
    if tally.added == 0 && tally.feeds_created == 0 && tally.feeds_extended == 0 {
        println!(
            "{summary}: nothing to change; {} unchanged",
            config.display()
        );
        return Ok(0);
    }
    let saved = if dry_run { edit.check() } else { edit.write() };
    if let Err(e) = saved {
        eprintln!("error: {e}");
        return Ok(1);
    }
    if dry_run {
        println!(
            "{summary}\ndry run: {} unchanged; the result passes `tidings check`",
            config.display()
        );
    } else {
        println!(
            "{summary}\n{} {}; a running daemon picks it up within seconds (or at once on SIGHUP)",
            config.display(),
            if creating { "created" } else { "updated" }
        );
    }
    Ok(0)
}

/// Each folder becomes the `[[feed]]` of its sources: the feed with its id (written by
/// `tidings export opml --sources`) or its title is extended, else one is created.
fn file_folders(
    edit: &mut ConfigEdit,
    folders: &[(Folder, Vec<String>)],
    dry_run: bool,
    tally: &mut Tally,
) -> Result<(), EditError> {
    for (folder, ids) in folders {
        let existing = folder
            .id
            .as_deref()
            .filter(|id| edit.has_feed(id))
            .map(str::to_string)
            .or_else(|| edit.feed_titled(&folder.title).map(str::to_string));
        match existing {
            Some(feed) => {
                let mut named = 0;
                for id in ids {
                    if edit.add_to_feed(&feed, id)? {
                        named += 1;
                    }
                }
                if named > 0 {
                    tally.feeds_extended += 1;
                    println!(
                        "feed \"{feed}\" (\"{}\") {} {named} more source{}",
                        folder.title,
                        if dry_run { "would name" } else { "names" },
                        plural(named)
                    );
                }
            }
            None => {
                let feed = edit.add_feed(folder.id.as_deref(), &folder.title, ids)?;
                tally.feeds_created += 1;
                println!(
                    "feed \"{feed}\" (\"{}\") {} with {} source{}: {}",
                    folder.title,
                    if dry_run {
                        "would be created"
                    } else {
                        "created"
                    },
                    ids.len(),
                    plural(ids.len()),
                    ids.join(", ")
                );
            }
        }
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The OPML text: a URL is fetched with the project's client (the configuration's
/// `[fetch]` settings), anything else is a local file. Either is decoded as a feed is.
async fn read(target: &str, edit: &ConfigEdit) -> anyhow::Result<String> {
    if let Ok(url) = Url::parse(target)
        && matches!(url.scheme(), "http" | "https")
    {
        let fetcher = Fetcher::new(&edit.config().fetch)?;
        let page = fetcher.get_fresh(&url).await?;
        return Ok(crate::text::decode(
            &page.body,
            page.content_type.as_deref(),
        ));
    }
    let bytes = std::fs::read(target).map_err(|e| anyhow::anyhow!("{target}: cannot read: {e}"))?;
    Ok(crate::text::decode(&bytes, None))
}
