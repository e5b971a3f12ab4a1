//! The templates that mails, chat messages and pages are rendered from: defaults embedded
//! in the binary, each overridable by a file of the same name under
//! `[daemon] templates_dir` (e.g. `mail/item.html`).
//!
//! Names ending in `.html` are HTML-escaped automatically; `.txt` templates are not.
//! Every string a template shows comes from a feed or a visitor: templates must print it
//! with `{{ … }}` (escaped), never `|safe`, except HTML that the sanitiser already cleaned.

use crate::config::Language;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The embedded defaults, by name.
const EMBEDDED: &[(&str, &str)] = &[
    ("status.html", include_str!("../templates/status.html")),
    ("mail/item.txt", include_str!("../templates/mail/item.txt")),
    (
        "mail/item.html",
        include_str!("../templates/mail/item.html"),
    ),
    (
        "mail/digest.txt",
        include_str!("../templates/mail/digest.txt"),
    ),
    (
        "mail/digest.html",
        include_str!("../templates/mail/digest.html"),
    ),
    (
        "mail/confirm.txt",
        include_str!("../templates/mail/confirm.txt"),
    ),
    (
        "mail/confirm.html",
        include_str!("../templates/mail/confirm.html"),
    ),
    (
        "pages/subscribe.html",
        include_str!("../templates/pages/subscribe.html"),
    ),
    (
        "pages/message.html",
        include_str!("../templates/pages/message.html"),
    ),
    (
        "pages/unsubscribe.html",
        include_str!("../templates/pages/unsubscribe.html"),
    ),
    (
        "chat/item.html",
        include_str!("../templates/chat/item.html"),
    ),
    (
        "chat/digest.html",
        include_str!("../templates/chat/digest.html"),
    ),
    (
        "chat/alert.html",
        include_str!("../templates/chat/alert.html"),
    ),
];

/// Telegram's HTML knows four named entities (`&lt; &gt; &amp; &quot;`); the general HTML
/// escaper's `&#x2f;` in every link would be noise. `chat/*.html` escapes with this one.
const TELEGRAM_ESCAPE: &str = "telegram";

/// Escape text for Telegram's HTML parse mode: `& < > "`.
pub fn telegram_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template {name}: {source:#}")]
    Syntax {
        name: String,
        source: minijinja::Error,
    },
    #[error("rendering template {name}: {source:#}")]
    Render {
        name: String,
        source: minijinja::Error,
    },
}

/// The compiled templates. Built once at start-up: a syntax error in an operator's
/// override is a start-up error naming the file, not a failure at the first mail.
pub struct Templates {
    env: minijinja::Environment<'static>,
}

impl Templates {
    /// The embedded templates, with overrides from `dir` where it has a file of the same
    /// name.
    pub fn load(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut env = minijinja::Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.starts_with("chat/") {
                minijinja::AutoEscape::Custom(TELEGRAM_ESCAPE.into())
            } else {
                minijinja::default_auto_escape_callback(name)
            }
        });
        env.set_formatter(|out, state, value| {
            if matches!(state.auto_escape(), minijinja::AutoEscape::Custom(n) if n == TELEGRAM_ESCAPE)
            {
                if value.is_safe() {
                    return write!(out, "{value}").map_err(minijinja::Error::from);
                }
                let text = match value.as_str() {
                    Some(s) => telegram_escape(s),
                    None if value.is_none() || value.is_undefined() => String::new(),
                    None => telegram_escape(&value.to_string()),
                };
                return out.write_str(&text).map_err(minijinja::Error::from);
            }
            minijinja::escape_formatter(out, state, value)
        });
        for (name, source) in EMBEDDED {
            let over = dir.map(|d| d.join(name)).filter(|p| p.is_file());
            let source = match over {
                Some(path) => std::fs::read_to_string(&path)
                    .map_err(|source| TemplateError::Read { path, source })?,
                None => source.to_string(),
            };
            env.add_template_owned(name.to_string(), source)
                .map_err(|source| TemplateError::Syntax {
                    name: name.to_string(),
                    source,
                })?;
        }
        Ok(Templates { env })
    }

    /// The embedded templates only.
    pub fn embedded() -> Templates {
        // The embedded templates are part of the binary; tests render every one of them.
        Templates::load(None).expect("the embedded templates are valid")
    }

    pub fn render(&self, name: &str, ctx: impl Serialize) -> Result<String, TemplateError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(minijinja::value::Serde(&ctx)))
            .map_err(|source| TemplateError::Render {
                name: name.to_string(),
                source,
            })
    }
}

/// The words of mails and pages, in a list's language (`t.subscribe` in templates).
pub fn words(lang: Language) -> std::collections::BTreeMap<&'static str, &'static str> {
    let pairs: &[(&str, &str, &str)] = &[
        ("subscribe", "Subscribe", "订阅"),
        ("email", "Email address", "电子邮箱"),
        (
            "keywords",
            "Only items about (optional, separated by spaces or commas)",
            "只接收包含这些关键词的文章（可选，用空格或逗号分隔）",
        ),
        ("check_mail", "Check your mailbox", "请查收邮件"),
        (
            "check_mail_text",
            "If the address can receive this list, a message with a confirmation link is on its way. Nothing is sent until you confirm.",
            "如果该地址可以订阅本列表，一封带有确认链接的邮件正在发送。确认之前不会发送任何内容。",
        ),
        ("confirmed", "Subscription confirmed", "订阅已确认"),
        (
            "confirmed_text",
            "You will receive this list at",
            "以后将发送到",
        ),
        ("bad_token", "This link is not valid", "链接无效"),
        (
            "bad_token_text",
            "The link is unknown, expired or already used. Subscribe again to get a new one.",
            "该链接不存在、已过期或已被使用。请重新订阅以获取新链接。",
        ),
        ("unsubscribe", "Unsubscribe", "退订"),
        (
            "unsubscribe_question",
            "Stop receiving this list at",
            "停止向以下地址发送本列表：",
        ),
        ("unsubscribed", "You are unsubscribed", "已退订"),
        (
            "unsubscribed_text",
            "No more mail from this list will be sent to",
            "本列表将不再发送邮件到",
        ),
        (
            "bad_address",
            "That does not look like an email address",
            "邮箱地址格式不正确",
        ),
        (
            "too_many",
            "Too many requests; please try again later",
            "请求过于频繁，请稍后再试",
        ),
        ("unknown_list", "There is no such list", "没有这个订阅列表"),
        (
            "confirm_subject",
            "Confirm your subscription to",
            "请确认订阅",
        ),
        (
            "confirm_intro",
            "Someone, hopefully you, asked to receive this list at",
            "有人（希望是您）申请用以下地址订阅本列表：",
        ),
        ("confirm_action", "Confirm the subscription", "确认订阅"),
        (
            "confirm_ignore",
            "If it was not you, ignore this message: nothing will be sent.",
            "如果不是您本人操作，请忽略本邮件，我们不会再发送任何内容。",
        ),
        ("read_more", "Read more", "阅读全文"),
        ("updated", "Updated", "更新"),
        ("matched", "matched", "匹配关键词"),
        ("items", "items", "篇"),
        ("source", "Source", "来源"),
        ("author", "Author", "作者"),
        (
            "why",
            "You receive this because you subscribed to",
            "您收到这封邮件是因为订阅了",
        ),
        ("leave", "Unsubscribe", "退订"),
        ("digest", "Digest", "摘要"),
    ];
    let zh = lang == Language::Zh;
    pairs
        .iter()
        .map(|(k, en, cn)| (*k, if zh { *cn } else { *en }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_replaces_one_template_and_a_broken_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("mail")).unwrap();
        std::fs::write(dir.path().join("mail/item.txt"), "custom {{ item.title }}").unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        let out = t
            .render(
                "mail/item.txt",
                serde_json::json!({"item": {"title": "<b>"}}),
            )
            .unwrap();
        assert_eq!(out, "custom <b>", "text templates are not HTML-escaped");
        std::fs::write(dir.path().join("mail/item.html"), "{% if %}").unwrap();
        let e = Templates::load(Some(dir.path())).err().unwrap().to_string();
        assert!(e.contains("mail/item.html"), "{e}");
    }
}
