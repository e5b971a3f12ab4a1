//! The bot's commands, read by long polling (`getUpdates`, with teloxide's client and
//! types): `/start`, `/help`, `/feeds`, `/subscribe <feed> [keywords…]`,
//! `/unsubscribe <feed>`, `/list`, and `/status` for `[telegram] admins`. In groups only
//! chat administrators (`getChatMember`) change subscriptions. Subscriptions live in the
//! `chats` tree and survive restarts. Replies go out within the same flood limits as
//! news.

use super::Notifier;
use super::telegram::TelegramChannel;
use crate::store::{ChatState, ChatSub, Reach, Target};
use crate::templates::telegram_escape as esc;
use std::sync::Arc;
use std::time::Duration;
use teloxide::Bot;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::prelude::Requester;
use teloxide::types::{AllowedUpdate, Message, UpdateKind};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Seconds a `getUpdates` waits for news (below teloxide's client timeout of 17 s).
const POLL_TIMEOUT: u32 = 10;

/// The command loop.
pub struct CommandBot {
    notifier: Arc<Notifier>,
    bot: Bot,
    telegram: Arc<TelegramChannel>,
}

/// A parsed command: `/name@bot args…`.
#[derive(Debug, PartialEq)]
pub struct Command<'a> {
    pub name: String,
    /// The bot it is addressed to, when the user wrote `@name`.
    pub to: Option<&'a str>,
    pub args: Vec<&'a str>,
}

/// `/subscribe@TidingsBot news 棉花` → name, bot, args. Not a command: `None`.
pub fn parse_command(text: &str) -> Option<Command<'_>> {
    let mut words = text.split_whitespace();
    let head = words.next()?.strip_prefix('/')?;
    let (name, to) = match head.split_once('@') {
        Some((n, b)) => (n, Some(b)),
        None => (head, None),
    };
    if name.is_empty() {
        return None;
    }
    Some(Command {
        name: name.to_lowercase(),
        to,
        args: words.collect(),
    })
}

const HELP: &str = "I post news from Tidings feeds here.\n\n\
/feeds — the feeds you can subscribe to\n\
/subscribe &lt;feed&gt; [keywords…] — post a feed here (only items with one of the keywords, if given)\n\
/unsubscribe &lt;feed&gt; — stop posting a feed here\n\
/list — what this chat receives\n\
/status — the sources' health (bot admins)\n\n\
In groups, only administrators can change subscriptions.";

impl CommandBot {
    /// The loop, when a bot is configured and `[telegram] commands` is on.
    pub fn new(notifier: &Arc<Notifier>) -> Option<CommandBot> {
        let snapshot = notifier.config.get();
        let config = snapshot.telegram.as_ref()?;
        if !config.commands {
            return None;
        }
        let telegram = notifier.telegram.clone()?;
        let bot = Bot::new(config.token.clone()).set_api_url(config.api_url.clone());
        Some(CommandBot {
            notifier: notifier.clone(),
            bot,
            telegram,
        })
    }

    /// Long-poll until cancelled. Errors (network, a bad token) are logged and retried
    /// with backoff; a command in hand is answered before stopping.
    pub async fn run(self, cancel: CancellationToken) {
        let mut failures = 0u32;
        let username = loop {
            match tokio::select! {
                _ = cancel.cancelled() => return,
                me = self.bot.get_me() => me,
            } {
                Ok(me) => break me.username().to_string(),
                Err(e) => {
                    failures += 1;
                    warn!(error = %e, "Telegram getMe failed; bot commands wait");
                    if !pause(&cancel, failures).await {
                        return;
                    }
                }
            }
        };
        info!(bot = %username, "answering bot commands");
        let mut offset: i32 = 0;
        failures = 0;
        loop {
            let request = self
                .bot
                .get_updates()
                .offset(offset)
                .timeout(POLL_TIMEOUT)
                .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::MyChatMember]);
            let updates = tokio::select! {
                _ = cancel.cancelled() => return,
                u = request => u,
            };
            let updates = match updates {
                Ok(u) => {
                    failures = 0;
                    u
                }
                Err(e) => {
                    failures += 1;
                    warn!(error = %e, "Telegram getUpdates failed");
                    if !pause(&cancel, failures).await {
                        return;
                    }
                    continue;
                }
            };
            for update in updates {
                offset = offset.max(update.id.as_offset());
                match update.kind {
                    UpdateKind::Message(m) => {
                        if let Err(e) = self.on_message(&m, &username).await {
                            warn!(error = %e, chat = m.chat.id.0, "bot command failed");
                        }
                    }
                    UpdateKind::MyChatMember(m) => {
                        // Added back to a group the bot was kicked from: active again.
                        let target = Target::Telegram {
                            chat_id: m.chat.id.0,
                        };
                        if m.new_chat_member.is_present()
                            && let Ok(Some(c)) = self.notifier.store.chat(&target)
                            && !c.is_active()
                            && c.migrated_to.is_none()
                        {
                            let _ = self.notifier.store.update_chat(&target, |c| {
                                c.reach = Reach::Active;
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    async fn on_message(&self, m: &Message, username: &str) -> anyhow::Result<()> {
        let Some(cmd) = m.text().and_then(parse_command) else {
            return Ok(());
        };
        if cmd.to.is_some_and(|to| !to.eq_ignore_ascii_case(username)) {
            return Ok(());
        }
        let chat_id = m.chat.id.0;
        debug!(chat = chat_id, command = %cmd.name, "bot command");
        let reply = self.answer(m, &cmd).await?;
        self.telegram
            .send_text(chat_id, &reply, false, false)
            .await
            .map_err(|e| anyhow::anyhow!("replying: {e}"))?;
        Ok(())
    }

    /// Whether the sender may change this chat's subscriptions.
    async fn may_manage(&self, m: &Message) -> anyhow::Result<bool> {
        if m.chat.is_private() {
            return Ok(true);
        }
        // An anonymous administrator posts as the group itself.
        if m.sender_chat.as_ref().is_some_and(|c| c.id == m.chat.id) {
            return Ok(true);
        }
        let Some(user) = &m.from else {
            return Ok(false);
        };
        let member = self.bot.get_chat_member(m.chat.id, user.id).await?;
        Ok(member.is_privileged())
    }

    async fn answer(&self, m: &Message, cmd: &Command<'_>) -> anyhow::Result<String> {
        let config = self.notifier.config.get();
        let store = &self.notifier.store;
        let target = Target::Telegram {
            chat_id: m.chat.id.0,
        };
        let feed_list = || {
            config
                .feeds
                .iter()
                .map(|f| {
                    format!(
                        "• <code>{}</code> — {}",
                        esc(&f.id),
                        esc(f.title.as_deref().unwrap_or(&f.id))
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let touch = |c: &mut ChatState| {
            if c.title.is_none() {
                c.title = m
                    .chat
                    .title()
                    .map(str::to_string)
                    .or_else(|| m.from.as_ref().map(|u| u.full_name()));
            }
        };
        Ok(match cmd.name.as_str() {
            "start" | "help" => {
                // Whoever talks to the bot here shows it is back in the chat.
                if let Some(c) = store.chat(&target)?
                    && !c.is_active()
                    && c.migrated_to.is_none()
                {
                    store.update_chat(&target, |c| c.reach = Reach::Active)?;
                }
                HELP.to_string()
            }
            "feeds" => format!("Feeds:\n{}", feed_list()),
            "subscribe" | "unsubscribe" => {
                let Some(feed_id) = cmd.args.first() else {
                    return Ok(format!(
                        "Which feed? Write /{} &lt;feed&gt;.\n\nFeeds:\n{}",
                        cmd.name,
                        feed_list()
                    ));
                };
                let Some(feed) = config.feeds.iter().find(|f| f.id == *feed_id) else {
                    return Ok(format!(
                        "There is no feed “{}”.\n\nFeeds:\n{}",
                        esc(feed_id),
                        feed_list()
                    ));
                };
                if !self.may_manage(m).await? {
                    return Ok(
                        "Sorry, only the group's administrators can change its subscriptions."
                            .to_string(),
                    );
                }
                let keywords: Vec<String> = cmd.args[1..].iter().map(|k| k.to_string()).collect();
                let title = esc(feed.title.as_deref().unwrap_or(&feed.id));
                if cmd.name == "subscribe" {
                    store.update_chat(&target, |c| {
                        touch(c);
                        c.reach = Reach::Active;
                        c.subs.retain(|s| s.feed != feed.id);
                        c.subs.push(ChatSub {
                            feed: feed.id.clone(),
                            keywords: keywords.clone(),
                        });
                    })?;
                    if keywords.is_empty() {
                        format!("Subscribed: new items of {title} will be posted here.")
                    } else {
                        format!(
                            "Subscribed: items of {title} that mention {} will be posted here.",
                            esc(&keywords.join(", "))
                        )
                    }
                } else {
                    let mut had = false;
                    store.update_chat(&target, |c| {
                        had = c.subs.iter().any(|s| s.feed == feed.id);
                        c.subs.retain(|s| s.feed != feed.id);
                    })?;
                    let in_file = config
                        .chats
                        .iter()
                        .any(|c| c.chat_id == m.chat.id.0 && c.feeds.contains(&feed.id));
                    match (had, in_file) {
                        (_, true) => format!(
                            "{title} is posted here by the daemon's configuration; ask its operator."
                        ),
                        (true, false) => format!("Unsubscribed from {title}."),
                        (false, false) => format!("This chat was not subscribed to {title}."),
                    }
                }
            }
            "list" => {
                let mut lines = Vec::new();
                for c in config.chats.iter().filter(|c| c.chat_id == m.chat.id.0) {
                    for f in &c.feeds {
                        lines.push(format!("• <code>{}</code> (configured)", esc(f)));
                    }
                }
                if let Some(state) = store.chat(&target)? {
                    for s in &state.subs {
                        let kw = if s.keywords.is_empty() {
                            String::new()
                        } else {
                            format!(" — {}", esc(&s.keywords.join(", ")))
                        };
                        lines.push(format!("• <code>{}</code>{kw}", esc(&s.feed)));
                    }
                }
                if lines.is_empty() {
                    "This chat receives nothing yet. /feeds lists what there is.".to_string()
                } else {
                    format!("This chat receives:\n{}", lines.join("\n"))
                }
            }
            "status" => {
                let admin = m.from.as_ref().is_some_and(|u| {
                    config
                        .telegram
                        .as_ref()
                        .is_some_and(|t| t.admins.contains(&(u.id.0 as i64)))
                });
                if !admin {
                    "Sorry, /status is for the daemon's administrators.".to_string()
                } else {
                    super::alerts::status_summary(&self.notifier)?
                }
            }
            other => format!("I don't know /{}. /help lists what I can do.", esc(other)),
        })
    }
}

/// Wait before retrying after `failures` failures in a row (5 s doubling to 5 min);
/// false when cancelled meanwhile.
async fn pause(cancel: &CancellationToken, failures: u32) -> bool {
    let wait = Duration::from_secs((5u64 << failures.min(6)).min(300));
    tokio::select! {
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(wait) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed_with_or_without_the_bot_name() {
        let c = parse_command("/subscribe@TidingsBot news 棉花 科协").unwrap();
        assert_eq!(c.name, "subscribe");
        assert_eq!(c.to, Some("TidingsBot"));
        assert_eq!(c.args, vec!["news", "棉花", "科协"]);
        assert_eq!(parse_command("/List").unwrap().name, "list");
        assert!(parse_command("hello /start").is_none());
        assert!(parse_command("/").is_none());
    }
}
