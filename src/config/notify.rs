//! Where new articles are pushed: `[email]` + `[[list]]`, `[telegram]` + `[[chat]]`,
//! and `[[webhook]]` group robots.

use super::daemon::{CronSpec, parse_cron, parse_http_url};
use super::ids::Ids;
use super::reader::{Ctx, Section, Span, Str};
use std::fmt;
use toml::de::DeTable;
use url::Url;

/// `[email]`: how mails are sent. Its `Debug` hides the SMTP password.
#[derive(Clone)]
pub struct EmailConfig {
    /// `smtp`: the mail server, `smtp://` (plain), `smtp+starttls://` or `smtps://` (TLS),
    /// with an optional `user:password@` (percent-encode special characters; use `${ENV}`
    /// to keep the password out of the file) and port.
    pub smtp: Url,
    /// `from`: the sender, `Name <address@example.org>` or `address@example.org`.
    pub from: String,
    /// `connections`: SMTP connections kept open and used at once (default 16). A local
    /// relay takes many; a provider may limit a client to a few.
    pub connections: u32,
}

/// `[[list]]`: an email list people subscribe to.
#[derive(Debug, Clone)]
pub struct ListConfig {
    /// `id`: `[a-z0-9-]+`, unique among lists; appears in subscribe links.
    pub id: String,
    /// `title`: shown on the subscribe page and in mail subjects.
    pub title: String,
    /// `description`: optional, shown on the subscribe page.
    pub description: Option<String>,
    /// `feeds`: feed ids whose new items the list sends; `["*"]` is every feed.
    pub feeds: Vec<String>,
    /// `schedule`: when to send a digest (cron with seconds, in the daemon's time zone);
    /// without it, one mail per new item.
    pub schedule: Option<CronSpec>,
    /// `notify_updates`: also send items whose title or text changed after they were sent
    /// (default false).
    pub notify_updates: bool,
    /// `language`: the language of the list's mails and pages, `"en"` (default) or `"zh"`.
    pub language: Language,
}

/// The language of a list's mails and sign-up pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    En,
    Zh,
}

impl Language {
    /// The code written in `feeds.toml` and in `lang` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Zh => "zh",
        }
    }

    fn parse(s: &str) -> Result<Language, String> {
        match s.to_ascii_lowercase().as_str() {
            "en" | "en-us" | "en-gb" | "english" => Ok(Language::En),
            "zh" | "zh-cn" | "zh-hans" | "chinese" => Ok(Language::Zh),
            _ => Err(format!(
                "unknown language \"{s}\"; expected \"en\" or \"zh\""
            )),
        }
    }
}

/// `[telegram]`: the bot that posts to chats. Its `Debug` hides the token.
#[derive(Clone)]
pub struct TelegramConfig {
    /// `token`: the bot token from @BotFather; write `"${TELEGRAM_BOT_TOKEN}"` to keep it
    /// out of the file.
    pub token: String,
    /// `api_url`: the Bot API server (default `https://api.telegram.org`).
    pub api_url: Url,
    /// `admins`: Telegram user ids allowed `/status`; they also receive operator alerts
    /// in their private chat with the bot (each must have sent it `/start` once).
    pub admins: Vec<i64>,
    /// `chat_interval_ms`: the least time between two messages to one chat (default 1000,
    /// Telegram's "about one message per second" per chat).
    pub chat_interval_ms: u64,
    /// `group_per_minute`: messages a minute to one group or channel (default 20).
    pub group_per_minute: u32,
    /// `bot_per_second`: messages a second for the whole bot (default 30).
    pub bot_per_second: u32,
    /// `burst_digest`: when this many items or more wait for one chat at once, they go
    /// as one digest message instead (default 10; 0 turns it off).
    pub burst_digest: usize,
    /// `commands`: answer bot commands (`/start`, `/subscribe` …) by long polling
    /// (default true). Turn it off when another program reads this bot's updates.
    pub commands: bool,
}

/// `[[chat]]`: a Telegram chat that receives feeds.
#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// `chat_id`: the chat's numeric id (groups are negative, e.g. -1001234567890).
    pub chat_id: i64,
    /// `feeds`: feed ids posted to the chat; `["*"]` is every feed.
    pub feeds: Vec<String>,
    /// `schedule`: a digest message at these times instead of one message per item.
    pub schedule: Option<CronSpec>,
}

/// `kind` of a `[[webhook]]`: which robot API the message is shaped for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// `"wecom"`: WeCom (企业微信) group robot.
    WeCom,
    /// `"dingtalk"`: DingTalk (钉钉) custom robot.
    DingTalk,
    /// `"feishu"`: Feishu / Lark (飞书) custom bot.
    Feishu,
    /// `"slack"`: Slack incoming webhook.
    Slack,
    /// `"discord"`: Discord webhook.
    Discord,
    /// `"json"`: a plain JSON POST of the item, for anything else.
    Json,
}

impl WebhookKind {
    const NAMES: [(&'static str, WebhookKind); 6] = [
        ("wecom", WebhookKind::WeCom),
        ("dingtalk", WebhookKind::DingTalk),
        ("feishu", WebhookKind::Feishu),
        ("slack", WebhookKind::Slack),
        ("discord", WebhookKind::Discord),
        ("json", WebhookKind::Json),
    ];

    /// The name written in `feeds.toml`.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("json", |(n, _)| n)
    }
}

/// `[[webhook]]`: a group robot that receives feeds. Its `Debug` hides the secret and the
/// URL's query (where robots carry their access token).
#[derive(Clone)]
pub struct WebhookConfig {
    /// `id`: `[a-z0-9-]+`, unique among webhooks; names it in logs and the outbox.
    /// Default `{kind}-{n}`, n counting webhooks from 1; set it so that reordering the
    /// file does not change which deliveries belong to which robot.
    pub id: String,
    /// `kind`: `wecom`, `dingtalk`, `feishu`, `slack`, `discord` or `json`.
    pub kind: WebhookKind,
    /// `url`: the robot's webhook URL (`${ENV}` keeps its token out of the file).
    pub url: Url,
    /// `secret`: the signing secret, for platforms that sign requests (DingTalk, Feishu).
    pub secret: Option<String>,
    /// `feeds`: feed ids posted to the robot; `["*"]` is every feed.
    pub feeds: Vec<String>,
    /// `schedule`: a digest message at these times instead of one message per item.
    pub schedule: Option<CronSpec>,
    /// `per_minute`: messages a minute the robot accepts (default 20, the WeCom and
    /// DingTalk limit).
    pub per_minute: u32,
    /// `burst_digest`: as `[telegram] burst_digest`, for this robot (default 10).
    pub burst_digest: usize,
}

// Configurations get logged with `{:?}`; credentials must not go with them.
const HIDDEN: &str = "***";

impl fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut smtp = self.smtp.clone();
        if smtp.password().is_some() {
            // Only fails for URLs that cannot have a password, and this one has one.
            let _ = smtp.set_password(Some(HIDDEN));
        }
        f.debug_struct("EmailConfig")
            .field("smtp", &smtp.as_str())
            .field("from", &self.from)
            .field("connections", &self.connections)
            .finish()
    }
}

impl fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramConfig")
            .field("token", &HIDDEN)
            .field("api_url", &self.api_url.as_str())
            .field("admins", &self.admins)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.url.clone();
        if url.query().is_some() {
            url.set_query(Some(HIDDEN));
        }
        f.debug_struct("WebhookConfig")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("url", &url.as_str())
            .field("secret", &self.secret.as_ref().map(|_| HIDDEN))
            .field("feeds", &self.feeds)
            .finish_non_exhaustive()
    }
}

pub(super) fn read_email(cx: &mut Ctx, table: &DeTable, span: Span) -> Option<EmailConfig> {
    let sec = Section::new(cx, "[email]", table, span, &["smtp", "from", "connections"]);
    let smtp = sec.required_string(
        cx,
        "smtp",
        "\"smtp+starttls://user:${SMTP_PASSWORD}@smtp.example.org:587\"",
    );
    let smtp = smtp.and_then(|s| parse_smtp(&s.value).map_err(|m| cx.error(&s.span, m)).ok());
    let from = sec.required_string(cx, "from", "\"Tidings <news@example.org>\"");
    let from = from.and_then(|s| {
        check_mailbox(&s.value)
            .map(|()| s.value.clone())
            .map_err(|m| cx.error(&s.span, m))
            .ok()
    });
    let connections = sec
        .integer(cx, "connections", 1, 256)
        .map_or(DEFAULT_CONNECTIONS, |n| n as u32);
    Some(EmailConfig {
        smtp: smtp?,
        from: from?,
        connections,
    })
}

/// SMTP connections when `[email]` sets none.
pub const DEFAULT_CONNECTIONS: u32 = 16;

fn parse_smtp(s: &str) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|e| format!("invalid smtp URL \"{s}\": {e}"))?;
    match url.scheme() {
        "smtp" | "smtp+starttls" | "smtps" if url.host_str().is_some_and(|h| !h.is_empty()) => {
            Ok(url)
        }
        "smtp" | "smtp+starttls" | "smtps" => Err(format!("invalid smtp URL \"{s}\": no host")),
        other => Err(format!(
            "smtp URL must start with smtp://, smtp+starttls:// or smtps://, not {other}://"
        )),
    }
}

/// `Name <local@domain>` or `local@domain`: what a mail `From:` header accepts.
fn check_mailbox(s: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "invalid mailbox \"{s}\": {why}; write \"Name <address@example.org>\" or \"address@example.org\""
        ))
    };
    let s = s.trim();
    let address = match (s.rfind('<'), s.ends_with('>')) {
        (Some(open), true) => &s[open + 1..s.len() - 1],
        (None, false) => s,
        _ => return bad("unbalanced <>"),
    };
    let Some((local, domain)) = address.rsplit_once('@') else {
        return bad("no @ in the address");
    };
    if local.is_empty() || domain.is_empty() {
        return bad("empty name before or domain after @");
    }
    if address
        .chars()
        .any(|c| c.is_whitespace() || "<>,;\"".contains(c))
        || domain.contains('@')
    {
        return bad("the address contains spaces or special characters");
    }
    Ok(())
}

const LIST_FIELDS: &[&str] = &[
    "id",
    "title",
    "description",
    "feeds",
    "schedule",
    "notify_updates",
    "language",
];

pub(super) fn read_list(
    cx: &mut Ctx,
    table: &DeTable,
    span: Span,
    list_ids: &mut Ids,
    feed_ids: &Ids,
) -> Option<ListConfig> {
    let sec = Section::new(cx, "[[list]]", table, span, LIST_FIELDS);
    let id = sec.required_string(cx, "id", "\"daily\"");
    if let Some(id) = &id {
        list_ids.add(cx, id);
    }
    let title = sec.required_string(cx, "title", "\"Daily news\"");
    let description = sec.string(cx, "description").map(|s| s.value);
    let feeds = read_feed_refs(cx, &sec, feed_ids);
    let schedule = sec.parsed(cx, "schedule", parse_cron);
    let notify_updates = sec.boolean(cx, "notify_updates").unwrap_or(false);
    let language = sec
        .parsed(cx, "language", Language::parse)
        .unwrap_or_default();
    Some(ListConfig {
        id: id?.value,
        title: title?.value,
        description,
        feeds: feeds?,
        schedule,
        notify_updates,
        language,
    })
}

const TELEGRAM_FIELDS: &[&str] = &[
    "token",
    "api_url",
    "admins",
    "chat_interval_ms",
    "group_per_minute",
    "bot_per_second",
    "burst_digest",
    "commands",
];

pub(super) fn read_telegram(cx: &mut Ctx, table: &DeTable, span: Span) -> Option<TelegramConfig> {
    let sec = Section::new(cx, "[telegram]", table, span, TELEGRAM_FIELDS);
    let token = sec.required_string(cx, "token", "\"${TELEGRAM_BOT_TOKEN}\"");
    if let Some(t) = &token
        && (t.value.trim().is_empty() || t.value.contains(char::is_whitespace))
    {
        cx.error(
            &t.span,
            "`token` must be a bot token such as 123456:ABC-DEF…, without spaces",
        );
    }
    let api_url = match sec.get("api_url") {
        None => Some(Url::parse("https://api.telegram.org").expect("a valid literal URL")),
        Some(_) => sec.parsed(cx, "api_url", |s| parse_http_url(s, "api_url")),
    };
    let admins = integers(cx, &sec, "admins").unwrap_or_default();
    let chat_interval_ms = sec
        .integer(cx, "chat_interval_ms", 0, 3_600_000)
        .unwrap_or(1000) as u64;
    let group_per_minute = sec
        .integer(cx, "group_per_minute", 1, 100_000)
        .unwrap_or(20) as u32;
    let bot_per_second = sec.integer(cx, "bot_per_second", 1, 100_000).unwrap_or(30) as u32;
    let burst_digest = sec.integer(cx, "burst_digest", 0, 100_000).unwrap_or(10) as usize;
    let commands = sec.boolean(cx, "commands").unwrap_or(true);
    Some(TelegramConfig {
        token: token?.value,
        api_url: api_url?,
        admins,
        chat_interval_ms,
        group_per_minute,
        bot_per_second,
        burst_digest,
        commands,
    })
}

/// An optional array of integers (`admins = [123456789]`).
fn integers(cx: &mut Ctx, sec: &Section, key: &str) -> Option<Vec<i64>> {
    let value = sec.get(key)?;
    let bad = |cx: &mut Ctx, span: &Span| {
        cx.error(
            span,
            format!("`{key}` must be an array of numeric user ids, like [123456789]"),
        );
    };
    let Some(array) = value.get_ref().as_array() else {
        bad(cx, &value.span());
        return None;
    };
    let mut out = Vec::new();
    for item in array.iter() {
        match item
            .get_ref()
            .as_integer()
            .and_then(|i| i64::from_str_radix(i.as_str(), i.radix()).ok())
        {
            Some(n) => out.push(n),
            None => bad(cx, &item.span()),
        }
    }
    Some(out)
}

pub(super) fn read_chat(
    cx: &mut Ctx,
    table: &DeTable,
    span: Span,
    seen: &mut Vec<(i64, Span)>,
    feed_ids: &Ids,
) -> Option<ChatConfig> {
    let sec = Section::new(
        cx,
        "[[chat]]",
        table,
        span,
        &["chat_id", "feeds", "schedule"],
    );
    let chat_id = match sec.get("chat_id") {
        None => {
            sec.missing(cx, "chat_id", "-1001234567890");
            None
        }
        Some(value) => sec
            .integer(cx, "chat_id", i64::MIN, i64::MAX)
            .inspect(|&id| {
                if let Some((_, first)) = seen.iter().find(|(c, _)| *c == id) {
                    let line = cx.line(first);
                    cx.error(
                        &value.span(),
                        format!("duplicate chat_id {id} (first defined on line {line})"),
                    );
                } else {
                    seen.push((id, value.span()));
                }
            }),
    };
    let feeds = read_feed_refs(cx, &sec, feed_ids);
    let schedule = sec.parsed(cx, "schedule", parse_cron);
    Some(ChatConfig {
        chat_id: chat_id?,
        feeds: feeds?,
        schedule,
    })
}

const WEBHOOK_FIELDS: &[&str] = &[
    "id",
    "kind",
    "url",
    "secret",
    "feeds",
    "schedule",
    "per_minute",
    "burst_digest",
];

pub(super) fn read_webhook(
    cx: &mut Ctx,
    table: &DeTable,
    span: Span,
    number: usize,
    webhook_ids: &mut Ids,
    feed_ids: &Ids,
) -> Option<WebhookConfig> {
    let sec = Section::new(cx, "[[webhook]]", table, span.clone(), WEBHOOK_FIELDS);
    let kind = match sec.get("kind") {
        None => {
            sec.missing(cx, "kind", "\"dingtalk\"");
            None
        }
        Some(_) => sec.parsed(cx, "kind", |s| {
            WebhookKind::NAMES
                .iter()
                .find(|(n, _)| *n == s)
                .map(|(_, k)| *k)
                .ok_or_else(|| {
                    format!(
                        "unknown webhook kind \"{s}\"; expected one of: wecom, dingtalk, feishu, slack, discord, json"
                    )
                })
        }),
    };
    let id = match sec.string(cx, "id") {
        Some(id) => Some(id),
        None if sec.get("id").is_none() => kind.map(|k| Str {
            value: format!("{}-{number}", k.name()),
            span: span.clone(),
        }),
        None => None,
    };
    if let Some(id) = &id {
        webhook_ids.add(cx, id);
    }
    let url = match sec.get("url") {
        None => {
            sec.missing(
                cx,
                "url",
                "\"https://oapi.dingtalk.com/robot/send?access_token=${DINGTALK_TOKEN}\"",
            );
            None
        }
        Some(_) => sec.parsed(cx, "url", |s| parse_http_url(s, "webhook url")),
    };
    let secret = sec.string(cx, "secret").map(|s| s.value);
    if let (Some(k @ (WebhookKind::DingTalk | WebhookKind::Feishu)), Some(s)) =
        (kind, sec.get("secret"))
        && secret.as_deref().is_some_and(|s| s.trim().is_empty())
    {
        cx.error(
            &s.span(),
            format!(
                "`secret` is empty; give the {} robot's signing secret, or leave the field out",
                k.name()
            ),
        );
    }
    let feeds = read_feed_refs(cx, &sec, feed_ids);
    let schedule = sec.parsed(cx, "schedule", parse_cron);
    let per_minute = sec.integer(cx, "per_minute", 1, 100_000).unwrap_or(20) as u32;
    let burst_digest = sec.integer(cx, "burst_digest", 0, 100_000).unwrap_or(10) as usize;
    Some(WebhookConfig {
        id: id?.value,
        kind: kind?,
        url: url?,
        secret,
        feeds: feeds?,
        schedule,
        per_minute,
        burst_digest,
    })
}

/// The required `feeds = [...]` of a list, chat or webhook, resolved against feed ids.
fn read_feed_refs(cx: &mut Ctx, sec: &Section, feed_ids: &Ids) -> Option<Vec<String>> {
    let Some(value) = sec.get("feeds") else {
        sec.missing(cx, "feeds", "[\"news\"]");
        return None;
    };
    let refs = sec.strings(cx, "feeds")?;
    if refs.is_empty() {
        cx.error(
            &value.span(),
            "`feeds` is empty; name feed ids, or \"*\" for every feed",
        );
    }
    Some(feed_ids.resolve(cx, &refs, "feeds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_name_their_security() {
        assert!(parse_smtp("smtp://127.0.0.1:2525").is_ok());
        assert!(parse_smtp("smtp+starttls://u:p@mail.example.org:587").is_ok());
        assert!(parse_smtp("smtps://mail.example.org").is_ok());
        let e = parse_smtp("http://mail.example.org").unwrap_err();
        assert!(e.contains("smtp+starttls://"), "{e}");
    }

    #[test]
    fn mailboxes_with_or_without_a_name() {
        assert!(check_mailbox("Tidings <news@example.org>").is_ok());
        assert!(check_mailbox("博州要闻 <news@example.org>").is_ok());
        assert!(check_mailbox("news@example.org").is_ok());
        assert!(check_mailbox("news").is_err());
        assert!(check_mailbox("Tidings <news@example.org").is_err());
        assert!(check_mailbox("a b@example.org").is_err());
    }

    #[test]
    fn debug_output_hides_credentials() {
        let email = EmailConfig {
            smtp: parse_smtp("smtps://user:hunter2@mail.example.org").unwrap(),
            from: "news@example.org".into(),
            connections: DEFAULT_CONNECTIONS,
        };
        let telegram = TelegramConfig {
            token: "123:SECRET".into(),
            api_url: Url::parse("https://api.telegram.org").unwrap(),
            admins: vec![],
            chat_interval_ms: 1000,
            group_per_minute: 20,
            bot_per_second: 30,
            burst_digest: 10,
            commands: true,
        };
        let hook = WebhookConfig {
            id: "h".into(),
            kind: WebhookKind::DingTalk,
            url: Url::parse("https://oapi.dingtalk.com/robot/send?access_token=SECRET").unwrap(),
            secret: Some("SECRET".into()),
            feeds: vec![],
            schedule: None,
            per_minute: 20,
            burst_digest: 10,
        };
        let shown = format!("{email:?} {telegram:?} {hook:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("SECRET"),
            "{shown}"
        );
        assert!(
            shown.contains("smtps://user:***@mail.example.org"),
            "{shown}"
        );
    }

    #[test]
    fn webhook_kind_names_round_trip() {
        for (name, kind) in WebhookKind::NAMES {
            assert_eq!(kind.name(), name);
        }
    }
}
