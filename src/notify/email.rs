//! The email channel: `multipart/alternative` mails rendered from templates, sent with
//! `lettre` over a pooled SMTP connection.
//!
//! Headers a mailbox provider looks for are all there: `Date`, a deterministic
//! `Message-ID` per (item or digest, recipient) so a resend is recognisable, `List-Id`,
//! and `List-Unsubscribe` + `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
//! (RFC 8058) pointing at the daemon's own unsubscribe route. The envelope sender is
//! always `email.from`, never anything a feed said.

use super::channel::{Channel, Outgoing, SendError};
use super::view::Content;
use crate::config::{Config, EmailConfig, ListConfig};
use crate::store::Target;
use crate::templates::{Templates, words};
use futures_util::future::BoxFuture;
use lettre::message::header::{ContentTransferEncoding, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart, header};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// Connections kept open to the SMTP server and shared by concurrent sends.
pub const POOL_SIZE: u32 = 8;
/// The longest one SMTP command may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum EmailSetupError {
    #[error("[email] smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("[email] from: {0}")]
    From(#[from] lettre::address::AddressError),
}

pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    lists: Vec<ListConfig>,
    /// The host part of `Message-ID`s and `List-Id`s: the public URL's host.
    host: String,
    templates: Arc<Templates>,
}

/// Build the SMTP transport an `[email] smtp` URL describes.
fn transport(email: &EmailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, EmailSetupError> {
    let url = &email.smtp;
    // The config reader only lets URLs with a host through.
    let host = url.host_str().unwrap_or("localhost").to_string();
    let builder = match url.scheme() {
        "smtps" => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&host)?.port(url.port().unwrap_or(465))
        }
        "smtp+starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)?
            .port(url.port().unwrap_or(587)),
        // `smtp://`: a local relay, without TLS.
        _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(url.port().unwrap_or(25)),
    };
    let builder = builder
        .timeout(Some(SMTP_TIMEOUT))
        .pool_config(PoolConfig::new().max_size(POOL_SIZE));
    let builder = if url.username().is_empty() {
        builder
    } else {
        let decode = |s: &str| percent_decode(s);
        builder.credentials(Credentials::new(
            decode(url.username()),
            decode(url.password().unwrap_or("")),
        ))
    };
    Ok(builder.build())
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

impl EmailChannel {
    pub fn new(
        config: &Config,
        email: &EmailConfig,
        templates: Arc<Templates>,
    ) -> Result<EmailChannel, EmailSetupError> {
        Ok(EmailChannel {
            transport: transport(email)?,
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
            Content::Confirm { .. } | Content::Alert { .. } => {
                format!("{} {}", t["confirm_subject"], list.title)
            }
        };
        let name = match &out.content {
            Content::Item { .. } => "item",
            Content::Digest { .. } => "digest",
            Content::Confirm { .. } | Content::Alert { .. } => "confirm",
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
            match self.transport.send(message).await {
                Ok(_) => Ok(()),
                Err(e) => Err(classify(e)),
            }
        })
    }
}

/// SMTP 5xx is permanent (the address or the mail is refused); 4xx, timeouts and
/// connection failures are transient.
fn classify(e: lettre::transport::smtp::Error) -> SendError {
    let message = match e.status() {
        Some(code) => format!("SMTP {code}: {e}"),
        None => format!("SMTP: {e}"),
    };
    if e.is_permanent() {
        SendError::permanent(message)
    } else {
        SendError::transient(message)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_url_are_percent_decoded() {
        assert_eq!(percent_decode("p%40ss%2Bw+rd"), "p@ss+w+rd");
        assert_eq!(percent_decode("plain"), "plain");
    }
}
