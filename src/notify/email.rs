//! The email channel: `multipart/alternative` mails rendered from templates, sent with
//! `lettre` over a pooled SMTP connection.
//!
//! Headers a mailbox provider looks for are all there: `Date`, a deterministic
//! `Message-ID` per (item or digest, recipient) so a resend is recognisable, `List-Id`,
//! and `List-Unsubscribe` + `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
//! (RFC 8058) pointing at the daemon's own unsubscribe route. The envelope sender is
//! always `email.from`, never anything a feed said.

use super::channel::{Channel, Outgoing, SendError};
use super::smtp::SmtpPool;
use super::view::Content;
use crate::config::{Config, EmailConfig, ListConfig};
use crate::store::Target;
use crate::templates::{Templates, words};
use futures_util::future::BoxFuture;
use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart, header};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum EmailSetupError {
    #[error("[email] from: {0}")]
    From(#[from] lettre::address::AddressError),
}

pub struct EmailChannel {
    smtp: SmtpPool,
    from: Mailbox,
    lists: Vec<ListConfig>,
    /// The host part of `Message-ID`s and `List-Id`s: the public URL's host.
    host: String,
    templates: Arc<Templates>,
}

impl EmailChannel {
    pub fn new(
        config: &Config,
        email: &EmailConfig,
        templates: Arc<Templates>,
    ) -> Result<EmailChannel, EmailSetupError> {
        Ok(EmailChannel {
            smtp: SmtpPool::new(email),
            from: email.from.parse()?,
            lists: config.lists.clone(),
            host: config
                .daemon
                .public_url
                .host_str()
                .unwrap_or("localhost")
                .to_string(),
            templates,
        })
    }

    /// The mail for one message, ready to send (public for tests and `--dry-run`s).
    pub fn message(&self, out: &Outgoing) -> Result<Message, SendError> {
        let Target::Email { list, address } = &out.target else {
            return Err(SendError::permanent(format!(
                "the email channel cannot send to {}",
                out.target
            )));
        };
        let list = self
            .lists
            .iter()
            .find(|l| l.id == *list)
            .ok_or_else(|| SendError::permanent(format!("no [[list]] \"{list}\" any more")))?;
        let to: Mailbox = address
            .parse()
            .map_err(|e| SendError::permanent(format!("invalid address {address}: {e}")))?;
        if let Content::Alert { .. } = out.content {
            return Err(SendError::permanent(
                "alerts go to chats and robots, not lists",
            ));
        }
        let t = words(list.language);
        let subject = match &out.content {
            Content::Item { item } if item.updated => {
                format!("[{}] {}: {}", list.title, t["updated"], item.title)
            }
            Content::Item { item } => format!("[{}] {}", list.title, item.title),
            Content::Digest { run, count, .. } => {
                format!("{} — {run} ({count} {})", list.title, t["items"])
            }
            Content::Confirm { .. } | Content::Alert { .. } | Content::Feed(_) => {
                format!("{} {}", t["confirm_subject"], list.title)
            }
        };
        let name = match &out.content {
            Content::Item { .. } => "item",
            Content::Digest { .. } => "digest",
            Content::Confirm { .. } | Content::Alert { .. } | Content::Feed(_) => "confirm",
        };
        let ctx = serde_json::json!({
            "list": {"id": list.id, "title": list.title, "description": list.description},
            "lang": list.language.code(),
            "t": t,
            "address": address,
            "content": out.content,
            "unsubscribe_url": out.unsubscribe_url,
            "subject": subject,
        });
        let render = |ext: &str| {
            self.templates
                .render(&format!("mail/{name}.{ext}"), &ctx)
                .map_err(|e| SendError::permanent(e.to_string()))
        };
        let text = render("txt")?;
        let html = render("html")?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .date_now()
            .message_id(Some(format!("<{}@{}>", out.id, self.host)))
            .header(ListId(format!("<{}.{}>", list.id, self.host)));
        if let Some(url) = &out.unsubscribe_url {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(part(header::ContentType::TEXT_PLAIN, text))
                    .singlepart(part(header::ContentType::TEXT_HTML, html)),
            )
            .map_err(|e| SendError::permanent(format!("cannot build the mail: {e}")))
    }
}

/// A UTF-8 body part; base64 keeps long Chinese lines intact through any relay.
fn part(ct: header::ContentType, body: String) -> SinglePart {
    SinglePart::builder()
        .header(ct)
        .header(ContentTransferEncoding::Base64)
        .body(body)
}

impl Channel for EmailChannel {
    fn handles(&self, target: &Target) -> bool {
        matches!(target, Target::Email { .. })
    }

    fn send<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let message = self.message(out)?;
            match self
                .smtp
                .send(message.envelope(), &message.formatted())
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(SendError::permanent(e.to_string())),
                Err(e) => Err(SendError::transient(e.to_string())),
            }
        })
    }
}

/// `List-Id` (RFC 2919).
#[derive(Clone)]
struct ListId(String);
/// `List-Unsubscribe` (RFC 2369): a URL in angle brackets.
#[derive(Clone)]
struct ListUnsubscribe(String);
/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListId {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Id")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListId(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}
