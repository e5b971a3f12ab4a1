//! List reading on hand-written pages in the styles portals use (tests/fixtures/lists):
//! each `NAME.html` has a `NAME.expected.json` with the page URL and the exact items
//! (URL, title, date) a reader of the page would list. Plus `select_list` with
//! configured selectors and its errors.

use std::path::{Path, PathBuf};
use tidings::config::ListSelectors;
use tidings::model::{ListItem, PubDate};
use tidings::parse::html::{SelectError, detect_list, select_list};
use tidings::text::charset::decode;
use url::Url;

const SH: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

#[derive(serde::Deserialize)]
struct Expected {
    page_url: String,
    items: Vec<ListItem>,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lists")
}

/// The page as the pipeline would see it (bytes decoded, GBK included), its URL and the
/// expected items.
fn load(name: &str) -> (String, Url, Vec<ListItem>) {
    let dir = fixtures_dir();
    let bytes = std::fs::read(dir.join(format!("{name}.html"))).expect("fixture page");
    let expected: Expected = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{name}.expected.json"))).expect("fixture expectation"),
    )
    .expect("expectation JSON");
    let url = Url::parse(&expected.page_url).expect("fixture page_url");
    (decode(&bytes, None).text, url, expected.items)
}

fn assert_detects(name: &str) {
    let (html, url, expected) = load(name);
    let got = detect_list(&html, &url, SH);
    assert_eq!(
        got, expected,
        "{name}: detected list differs from the expected items"
    );
}

#[test]
fn every_fixture_has_an_expectation_and_is_checked() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".html")
                .map(String::from)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 6, "at least six list fixtures");
    for name in &names {
        assert_detects(name);
    }
}

#[test]
fn ul_list_beside_a_notice_sidebar_a_directory_and_pagination() {
    // Sidebar 通知公告 rows carry dates and long titles too; the main list is longer,
    // titled in full from title attributes when cut, and pagination is not an item.
    assert_detects("gov-ul-sidebar");
}

#[test]
fn table_rows_with_base_href_and_attachments() {
    let (html, url, expected) = load("gov-table-base");
    let got = detect_list(&html, &url, SH);
    assert_eq!(got, expected);
    // Relative links resolve against <base href="/art/">, not the column URL.
    assert!(
        got[0]
            .url
            .starts_with("http://www.example-jt.gov.cn/art/2022/9/7/")
    );
    // Attachments are items: the pipeline decides not to extract them.
    let attachments: Vec<&ListItem> = got
        .iter()
        .filter(|i| tidings::parse::html::is_attachment(&Url::parse(&i.url).expect("item URL")))
        .collect();
    assert_eq!(attachments.len(), 2);
}

#[test]
fn cards_with_thumbnails_summaries_and_time_elements() {
    let (html, url, expected) = load("news-cards");
    let got = detect_list(&html, &url, SH);
    assert_eq!(got, expected);
    assert_eq!(
        got[0].published,
        PubDate::parse("2022-09-07T10:45:00+08:00"),
        "the <time datetime> instant, with its offset"
    );
}

#[test]
fn gbk_page_with_yearless_dates() {
    assert_detects("gbk-dl-yearless");
}

#[test]
fn hidden_tab_and_download_icons_are_not_items() {
    let (html, url, _) = load("fund-pdf-tabs");
    let got = detect_list(&html, &url, SH);
    assert!(got.iter().all(|i| !i.url.contains("hidden")));
    assert!(got.iter().all(|i| !i.url.contains("download")));
    assert_detects("fund-pdf-tabs");
}

#[test]
fn a_page_without_an_article_list_yields_nothing() {
    let (html, url, _) = load("no-list-portal");
    assert_eq!(detect_list(&html, &url, SH), Vec::<ListItem>::new());
}

#[test]
fn a_portal_in_redesign_with_placeholder_menu_links_yields_nothing() {
    // Menu entries partly share one href, the footer lists three other governments'
    // home pages: no article list, so the poller can report that the list came out
    // empty.
    let (html, url, _) = load("nav-repeated-hrefs");
    assert_eq!(detect_list(&html, &url, SH), Vec::<ListItem>::new());
}

#[test]
fn the_last_page_of_a_column_with_two_articles() {
    // Two dated rows are a list, beside a menu of placeholder links, a column menu,
    // pagination and a footer of record numbers that are not.
    let (html, url, expected) = load("gov-last-page-short");
    let got = detect_list(&html, &url, SH);
    assert_eq!(got.len(), 2);
    assert_eq!(got, expected);
}

#[test]
fn day_and_month_in_separate_boxes() {
    assert_detects("edu-date-boxes");
}

#[test]
fn english_teasers_with_month_names() {
    assert_detects("english-teasers");
}

fn selectors(
    item: &str,
    link: Option<&str>,
    title: Option<&str>,
    date: Option<&str>,
) -> ListSelectors {
    ListSelectors::new(item, link, title, date).expect("valid selectors")
}

#[test]
fn select_list_reads_the_configured_rows() {
    let (html, url, expected) = load("gov-table-base");
    let sel = selectors("table.listtable tr", Some("td.bt a"), None, Some("td.rq"));
    // The header row has no link and is skipped.
    assert_eq!(
        select_list(&html, &url, &sel, SH).expect("selectors match"),
        expected
    );
}

#[test]
fn select_list_defaults_link_title_and_date() {
    let (html, url, expected) = load("gov-ul-sidebar");
    let sel = selectors("ul.list > li", None, None, None);
    assert_eq!(
        select_list(&html, &url, &sel, SH).expect("selectors match"),
        expected
    );
}

#[test]
fn select_list_with_a_title_selector() {
    let (html, url, expected) = load("news-cards");
    let sel = selectors("div.news-card", Some("h3 a"), Some("h3"), Some("time"));
    assert_eq!(
        select_list(&html, &url, &sel, SH).expect("selectors match"),
        expected
    );
}

#[test]
fn select_list_link_selector_may_name_the_element_around_the_link() {
    let (html, url, expected) = load("english-teasers");
    let sel = selectors("article.teaser", Some("h2"), None, Some(".teaser-date"));
    assert_eq!(
        select_list(&html, &url, &sel, SH).expect("selectors match"),
        expected
    );
}

#[test]
fn an_invalid_selector_is_refused_when_compiled_and_named() {
    // Selectors are compiled when the config is read; select_list never sees a bad one.
    let err = ListSelectors::new("ul.list > li", Some("td..bt a"), None, None)
        .expect_err("an invalid selector is an error");
    assert!(err.contains("invalid CSS selector \"td..bt a\""), "{err}");
}

#[test]
fn select_list_names_an_item_selector_that_matches_nothing() {
    let (html, url, _) = load("gov-ul-sidebar");
    let err = select_list(
        &html,
        &url,
        &selectors("div.article-list li", None, None, None),
        SH,
    )
    .expect_err("no match is an error");
    let SelectError::NoMatch { selector } = &err;
    assert_eq!(selector, "div.article-list li");
    assert!(err.to_string().contains("div.article-list li"), "{err}");
}

#[test]
fn two_articles_per_table_row_with_bullets_in_links() {
    let (html, url, expected) = load("gov-two-per-row");
    let got = detect_list(&html, &url, SH);
    assert_eq!(got.len(), 8, "both articles of each row");
    assert_eq!(got, expected);
}

#[test]
fn undated_blog_posts_with_slug_urls() {
    // No dates at all: the posts are told from the category menu by their titles and
    // their article-like URLs.
    assert_detects("blog-undated-slugs");
}
