//! `feeds.toml` → `Config`: the example parses, and every kind of mistake is reported at
//! the `FILE:LINE:COL` of the offending key or value, all of them at once.

use std::path::{Path, PathBuf};
use tidings::config::{Config, ConfigErrors, SourceKind, WebhookKind};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The environment tests see: fixed, so that no test depends on the machine's.
fn env(name: &str) -> Option<String> {
    match name {
        "TELEGRAM_BOT_TOKEN" => Some("123456:ABC-token".into()),
        "SMTP_PASSWORD" => Some("s3cret".into()),
        "DINGTALK_TOKEN" => Some("ding-token".into()),
        "DINGTALK_SECRET" => Some("SEC-ding".into()),
        "TIDINGS_ADMIN_TOKEN" => Some("0123456789abcdef0123456789abcdef".into()),
        "PGPASSWORD" => Some("pg-pass".into()),
        _ => None,
    }
}

fn parse(text: &str) -> Result<Config, ConfigErrors> {
    Config::parse_with_env(text, Path::new("feeds.toml"), &env)
}

/// Every error of a file that must not parse, as printed: `feeds.toml:LINE:COL: message`.
fn errors(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(_) => panic!("expected errors, the config parsed:\n{text}"),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

/// The file has exactly one error, at `line:col`, whose message contains every `needle`.
#[track_caller]
fn assert_one_error(text: &str, at: &str, needles: &[&str]) {
    let errors = errors(text);
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    let prefix = format!("feeds.toml:{at}: ");
    assert!(
        errors[0].starts_with(&prefix),
        "expected an error at {at}, got {}",
        errors[0]
    );
    for needle in needles {
        assert!(
            errors[0].contains(needle),
            "{:?} does not contain {needle:?}",
            errors[0]
        );
    }
}

/// One valid source and feed, for tests that add a mistake after them.
const BASE: &str = r#"[[source]]
id = "news"
url = "https://www.example.gov.cn/xwzx/"

[[feed]]
id = "all"
sources = ["*"]
"#;

// ---- the example -------------------------------------------------------------------------

#[test]
fn example_feeds_toml_parses() {
    let path = manifest_dir().join("feeds.toml");
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.summary(),
        "4 sources, 3 feeds, 0 email lists, 0 chats, 0 webhooks"
    );
    assert_eq!(config.daemon.data_dir, manifest_dir().join("data"));
    assert_eq!(config.daemon.timezone, chrono_tz::Asia::Shanghai);
    assert_eq!(config.daemon.listen.to_string(), "127.0.0.1:8080");

    // A Chinese government news column, read as an HTML list with selectors.
    let gd = config
        .source("gd-yw")
        .expect("the provincial portal source");
    assert!(gd.url.host_str().unwrap().ends_with(".gov.cn"));
    assert_eq!(gd.kind, SourceKind::Html);
    assert!(gd.full_text_for(false));
    let select = gd.select.as_ref().expect("[source.select]");
    assert_eq!(
        select.date.as_ref().map(|d| d.text.as_str()),
        Some("span.time")
    );
    assert_eq!(config.source_schedule(gd).expr, "0 */10 * * * *");

    // Defaults: kind auto, full text on, the daemon's schedule.
    let gov = config.source("gov-yw").unwrap();
    assert_eq!(gov.kind, SourceKind::Auto);
    assert!(gov.full_text_for(false) && gov.select.is_none());
    assert_eq!(config.source_schedule(gov).expr, "0 */15 * * * *");
    assert!(!config.source("rust-blog").unwrap().full_text_for(true));

    let all = config.feeds.iter().find(|f| f.id == "all").unwrap();
    assert_eq!(all.sources, ["gd-yw", "gov-yw", "chinanews", "rust-blog"]);
    let tech = config.feeds.iter().find(|f| f.id == "tech").unwrap();
    assert!(tech.include.iter().any(|f| f.matches("AI 大模型")));
    assert!(!tech.include.iter().any(|f| f.matches("棉花收购")));
}

/// The example's switched-off settings (`#[email]`, `#smtp = …`) parse when switched on,
/// so that the documentation cannot drift from what the loader accepts.
#[test]
fn example_optional_sections_parse_when_enabled() {
    let text = std::fs::read_to_string(manifest_dir().join("feeds.toml")).unwrap();
    let enabled: String = text
        .lines()
        .map(|line| match line.strip_prefix('#') {
            Some(rest)
                if rest.starts_with('[') || rest.starts_with(|c: char| c.is_ascii_lowercase()) =>
            {
                rest
            }
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(enabled, text, "the example shows no switched-off settings");
    let config = parse(&enabled).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.summary(),
        "4 sources, 3 feeds, 1 email list, 1 chat, 1 webhook"
    );
    let email = config.email.as_ref().unwrap();
    assert_eq!(email.smtp.scheme(), "smtp+starttls");
    assert_eq!(email.smtp.password(), Some("s3cret"));
    assert_eq!(config.lists[0].feeds, ["gov"]);
    assert_eq!(
        config.lists[0].schedule.as_ref().unwrap().expr,
        "0 0 8 * * *"
    );
    let telegram = config.telegram.as_ref().unwrap();
    assert_eq!(telegram.token, "123456:ABC-token");
    assert_eq!(config.chats[0].chat_id, -1001234567890);
    let hook = &config.webhooks[0];
    assert_eq!(hook.kind, WebhookKind::DingTalk);
    assert_eq!(hook.id, "team-dingtalk");
    assert!(hook.url.as_str().ends_with("access_token=ding-token"));
    assert_eq!(hook.secret.as_deref(), Some("SEC-ding"));
    assert!(config.fetch.user_agent.contains("example.org/contact"));
    let store = config.store.url.as_ref().unwrap();
    assert_eq!(
        store.expose(),
        "postgres://tidings:pg-pass@db.example.internal/tidings"
    );
    assert!(
        !format!("{store:?}").contains("pg-pass"),
        "the password never reaches a log"
    );
}

// ---- valid files -------------------------------------------------------------------------

#[test]
fn an_empty_file_is_a_daemon_with_defaults() {
    let config = Config::parse_with_env("", Path::new("/etc/tidings/feeds.toml"), &env).unwrap();
    assert_eq!(config.daemon.data_dir, Path::new("/etc/tidings/data"));
    assert_eq!(config.daemon.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.daemon.public_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(config.daemon.timezone, chrono_tz::UTC);
    assert_eq!(config.daemon.schedule.expr, "0 */15 * * * *");
    assert_eq!(config.fetch.timeout_secs, 30);
    assert_eq!(
        config.summary(),
        "0 sources, 0 feeds, 0 email lists, 0 chats, 0 webhooks"
    );
}

#[test]
fn data_dir_relative_to_the_file_absolute_kept() {
    let rel = "[daemon]\ndata_dir = \"var/db\"\n";
    let config = Config::parse_with_env(rel, Path::new("conf/feeds.toml"), &env).unwrap();
    assert_eq!(config.daemon.data_dir, Path::new("conf/var/db"));
    let abs = "[daemon]\ndata_dir = \"/srv/tidings\"\n";
    let config = Config::parse_with_env(abs, Path::new("conf/feeds.toml"), &env).unwrap();
    assert_eq!(config.daemon.data_dir, Path::new("/srv/tidings"));
}

#[test]
fn fetch_section_overrides_defaults() {
    let config = parse(
        "[fetch]\nuser_agent = \"bot (+mailto:ops@example.org)\"\ntimeout_secs = 5\n\
         per_host_concurrency = 1\nper_host_interval_ms = 3000\n",
    )
    .unwrap();
    assert_eq!(config.fetch.user_agent, "bot (+mailto:ops@example.org)");
    assert_eq!(config.fetch.timeout_secs, 5);
    assert_eq!(config.fetch.per_host_concurrency, 1);
    assert_eq!(config.fetch.per_host_interval_ms, 3000);
    assert_eq!(
        config.fetch.connect_timeout_secs, 10,
        "unset fields keep defaults"
    );
}

#[test]
fn stars_expand_to_every_source_and_feed() {
    let config = parse(&format!(
        "{BASE}\n[[source]]\nid = \"b\"\nurl = \"https://b.example.org/feed\"\n\
         [[feed]]\nid = \"b-only\"\nsources = [\"b\"]\n\
         [telegram]\ntoken = \"${{TELEGRAM_BOT_TOKEN}}\"\n\
         [[chat]]\nchat_id = 42\nfeeds = [\"*\"]\n"
    ))
    .unwrap();
    assert_eq!(config.feeds[0].sources, ["news", "b"]);
    assert_eq!(config.chats[0].feeds, ["all", "b-only"]);
    assert_eq!(
        config.telegram.unwrap().api_url.as_str(),
        "https://api.telegram.org/"
    );
}

#[test]
fn env_variables_are_expanded_anywhere_in_a_string() {
    let config = parse(
        "[[source]]\nid = \"a\"\nurl = \"https://example.org/?key=${SMTP_PASSWORD}&x=$${HOME}\"\n",
    )
    .unwrap();
    assert_eq!(
        config.sources[0].url.as_str(),
        "https://example.org/?key=s3cret&x=${HOME}"
    );
}

// ---- one test per kind of error ----------------------------------------------------------

#[test]
fn toml_syntax_error() {
    assert_one_error(
        "[daemon]\nlisten = \"127.0.0.1:8080\ntimezone = \"UTC\"\n",
        // The end of the line, where the closing quote is missing.
        "2:25",
        &["TOML syntax", "invalid basic string, expected `\"`"],
    );
}

#[test]
fn toml_syntax_errors_on_several_lines_are_all_reported() {
    assert_eq!(
        errors("[[source]]\nid = \"a\"\nid = \"b\"\nurl = https://a.example.org/\n"),
        [
            "feeds.toml:3:1: TOML syntax: duplicate key `id`",
            "feeds.toml:4:7: TOML syntax: string values must be quoted, expected literal string \
             (at `https://a.example.org/`)",
        ]
    );
}

#[test]
fn unknown_field_names_it_and_lists_the_valid_ones() {
    assert_one_error(
        &format!(
            "{BASE}\n[[source]]\nid = \"b\"\nurl = \"https://b.example.org/\"\ntitel = \"县要闻\"\n"
        ),
        "12:1",
        &[
            "unknown field `titel` in [[source]]",
            "did you mean `title`?",
            "id, url, title, kind, schedule, full_text, notify_existing, select, timezone",
        ],
    );
}

#[test]
fn unknown_section() {
    assert_one_error(
        "[sources]\nid = \"a\"\n",
        "1:2",
        &["unknown section `sources`", "did you mean `source`?"],
    );
}

#[test]
fn single_brackets_where_double_are_needed() {
    assert_one_error(
        "[source]\nid = \"a\"\nurl = \"https://a.example.org/\"\n",
        "1:1",
        &["write [[source]] (with double brackets"],
    );
}

#[test]
fn wrong_type() {
    assert_one_error(
        &format!("{BASE}limit = \"50\"\n"),
        "8:9",
        &["`limit` in [[feed]] must be an integer, found a string"],
    );
    assert_one_error(
        "[[source]]\nid = \"a\"\nurl = \"https://a.example.org/\"\nfull_text = \"yes\"\n",
        "4:13",
        &["must be a boolean (true or false), found a string"],
    );
}

#[test]
fn missing_required_field_points_at_the_table() {
    assert_one_error(
        "[daemon]\n\n[[source]]\nid = \"a\"\n",
        "3:1",
        &["missing `url` in [[source]]"],
    );
}

#[test]
fn bad_url() {
    assert_one_error(
        "[[source]]\nid = \"a\"\nurl = \"www.example.gov.cn/xwzx/\"\n",
        "3:7",
        &[
            "invalid source url \"www.example.gov.cn/xwzx/\"",
            "relative URL without a base",
        ],
    );
}

#[test]
fn source_url_must_be_http() {
    assert_one_error(
        "[[source]]\nid = \"a\"\nurl = \"ftp://files.example.org/news/\"\n",
        "3:7",
        &["must start with http:// or https://, not ftp:"],
    );
}

#[test]
fn bad_cron_expression() {
    assert_one_error(
        "[daemon]\nschedule = \"0 0 25 * * *\"\n",
        "2:12",
        &["invalid cron expression \"0 0 25 * * *\""],
    );
}

#[test]
fn five_field_cron_explains_seconds() {
    assert_one_error(
        &format!(
            "{BASE}[[source]]\nid = \"b\"\nurl = \"https://b.example.org/\"\nschedule = \"*/15 * * * *\"\n"
        ),
        "11:12",
        &[
            "has 5 fields",
            "start with seconds",
            "e.g. \"0 */15 * * * *\"",
        ],
    );
}

#[test]
fn bad_time_zone() {
    assert_one_error(
        "[daemon]\ntimezone = \"Asia/Beijing\"\n",
        "2:12",
        &["unknown time zone \"Asia/Beijing\"", "Asia/Shanghai"],
    );
}

#[test]
fn bad_listen_address() {
    assert_one_error(
        "[daemon]\nlisten = \"localhost:8080\"\n",
        "2:10",
        &[
            "invalid listen address \"localhost:8080\"",
            "127.0.0.1:8080",
        ],
    );
}

#[test]
fn duplicate_source_id() {
    assert_one_error(
        &format!("{BASE}\n[[source]]\nid = \"news\"\nurl = \"https://b.example.org/\"\n"),
        "10:6",
        &["duplicate source id \"news\" (first defined on line 2)"],
    );
}

#[test]
fn duplicate_feed_id() {
    assert_one_error(
        &format!("{BASE}\n[[feed]]\nid = \"all\"\nsources = [\"news\"]\n"),
        "10:6",
        &["duplicate feed id \"all\" (first defined on line 6)"],
    );
}

#[test]
fn duplicate_list_id() {
    let text = format!(
        "{BASE}[email]\nsmtp = \"smtp://127.0.0.1:2525\"\nfrom = \"news@example.org\"\n\
         [[list]]\nid = \"daily\"\ntitle = \"Daily\"\nfeeds = [\"all\"]\n\
         [[list]]\nid = \"daily\"\ntitle = \"Again\"\nfeeds = [\"all\"]\n"
    );
    assert_one_error(
        &text,
        "16:6",
        &["duplicate list id \"daily\" (first defined on line 12)"],
    );
}

#[test]
fn id_format() {
    assert_one_error(
        "[[source]]\nid = \"Boz_QNYW\"\nurl = \"https://a.example.org/\"\n",
        "2:6",
        &["source id \"Boz_QNYW\" may contain only lowercase letters a-z, digits and \"-\""],
    );
}

#[test]
fn feed_naming_an_unknown_source() {
    assert_one_error(
        &format!("{BASE}\n[[feed]]\nid = \"two\"\nsources = [\"news\", \"newz\"]\n"),
        "11:20",
        &["`sources` names unknown source \"newz\" (known: news)"],
    );
}

#[test]
fn list_chat_and_webhook_naming_unknown_feeds() {
    let text = format!(
        "{BASE}[email]\nsmtp = \"smtp://127.0.0.1:2525\"\nfrom = \"news@example.org\"\n\
         [[list]]\nid = \"daily\"\ntitle = \"Daily\"\nfeeds = [\"al\"]\n\
         [telegram]\ntoken = \"${{TELEGRAM_BOT_TOKEN}}\"\n\
         [[chat]]\nchat_id = -100\nfeeds = [\"all\", \"news\"]\n\
         [[webhook]]\nkind = \"wecom\"\nurl = \"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k\"\nfeeds = [\"tech\"]\n"
    );
    assert_eq!(
        errors(&text),
        [
            "feeds.toml:14:10: `feeds` names unknown feed \"al\" (known: all)",
            "feeds.toml:19:17: `feeds` names unknown feed \"news\" (known: all)",
            "feeds.toml:23:10: `feeds` names unknown feed \"tech\" (known: all)",
        ]
    );
}

#[test]
fn invalid_regex_filter() {
    assert_one_error(
        &format!("{BASE}exclude = [\"广告\", \"/(视频|图片/\"]\n"),
        "8:18",
        &[
            "`exclude`: invalid regular expression /(视频|图片/",
            "unclosed group",
        ],
    );
}

#[test]
fn bad_css_selector() {
    assert_one_error(
        "[[source]]\nid = \"a\"\nurl = \"https://a.example.org/\"\n\
         [source.select]\nitem = \"ul.list li\"\ndate = \"span..time\"\n",
        "6:8",
        &["invalid CSS selector \"span..time\""],
    );
}

#[test]
fn unknown_field_in_select() {
    // Was a serde test on the selectors type; `[source.select]` is read by the config
    // reader now, and compiled there.
    assert_one_error(
        "[[source]]\nid = \"a\"\nurl = \"https://a.example.org/\"\n\
         [source.select]\nitem = \"li\"\nlinks = \"a\"\n",
        "6:1",
        &[
            "unknown field `links` in [source.select]",
            "did you mean `link`?",
        ],
    );
}

#[test]
fn select_on_a_feed_source() {
    assert_one_error(
        "[[source]]\nid = \"a\"\nurl = \"https://a.example.org/rss.xml\"\nkind = \"feed\"\n\
         [source.select]\nitem = \"li\"\n",
        "5:1",
        &["`select` is for HTML list pages, but this source has kind = \"feed\""],
    );
}

#[test]
fn missing_env_variable_points_at_it() {
    assert_one_error(
        "[telegram]\ntoken = \"bot-${TELEGRAM_TOKEN}\"\n",
        "2:14",
        &["environment variable TELEGRAM_TOKEN is not set"],
    );
}

#[test]
fn email_settings_are_checked() {
    let text = format!(
        "{BASE}[email]\nsmtp = \"https://mail.example.org\"\nfrom = \"Tidings news@example.org\"\n"
    );
    assert_eq!(
        errors(&text),
        [
            "feeds.toml:9:8: smtp URL must start with smtp://, smtp+starttls:// or smtps://, not https://",
            "feeds.toml:10:8: invalid mailbox \"Tidings news@example.org\": the address contains \
             spaces or special characters; write \"Name <address@example.org>\" or \"address@example.org\"",
        ]
    );
}

#[test]
fn lists_need_email_and_chats_need_telegram() {
    let text = format!(
        "{BASE}[[list]]\nid = \"d\"\ntitle = \"D\"\nfeeds = [\"all\"]\n[[chat]]\nchat_id = 1\nfeeds = [\"all\"]\n"
    );
    let errors = errors(&text);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].starts_with("feeds.toml:8:1: [[list]] sends mail, but there is no [email]"));
    assert!(
        errors[1]
            .starts_with("feeds.toml:12:1: [[chat]] posts to Telegram, but there is no [telegram]")
    );
}

#[test]
fn unknown_webhook_kind() {
    assert_one_error(
        &format!(
            "{BASE}[[webhook]]\nkind = \"wechat\"\nurl = \"https://example.org/hook\"\nfeeds = [\"*\"]\n"
        ),
        "9:8",
        &[
            "unknown webhook kind \"wechat\"",
            "wecom, dingtalk, feishu, slack, discord, json",
        ],
    );
}

// ---- all errors at once ------------------------------------------------------------------

#[test]
fn a_file_with_several_errors_reports_all_in_file_order() {
    let path = manifest_dir().join("tests/fixtures/config/many-errors.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let err = Config::parse_with_env(&text, Path::new("many-errors.toml"), &env).unwrap_err();
    let at: Vec<String> = err
        .0
        .iter()
        .map(|e| format!("{}:{}", e.line, e.col))
        .collect();
    assert_eq!(
        at,
        [
            "3:10",  // listen: a host name
            "4:12",  // unknown time zone
            "5:12",  // 5-field cron
            "8:6",   // id with capitals and _
            "9:7",   // ftp:// source
            "10:13", // full_text = "yes"
            "16:1",  // titel
            "17:1",  // select on a feed source
            "22:22", // unknown source "town"
            "23:12", // bad regex
            "26:6",  // duplicate feed id
        ],
        "{err}"
    );
    let printed = err.to_string();
    assert_eq!(printed.lines().count(), 11);
    assert!(printed.starts_with("many-errors.toml:3:10: invalid listen address"));
}

#[test]
fn unreadable_file() {
    let err = Config::load(Path::new("/nonexistent/feeds.toml")).unwrap_err();
    assert!(err.to_string().starts_with("/nonexistent/feeds.toml:"));
    assert!(err.to_string().contains("cannot read"));
}
