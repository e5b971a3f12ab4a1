//! SMTP connections for the email channel: a pool of `lettre` connections on sockets with
//! `TCP_NODELAY`.
//!
//! lettre writes a message's body and then the end-of-data marker (`\r\n.\r\n`) as two
//! writes. Without `TCP_NODELAY` (lettre's own transport does not set it) the small second
//! write waits for the server to acknowledge the first, and servers delay that ACK (about
//! 40 ms on Linux): one connection then carries about 22 mails a second, however fast both
//! ends are. So connections are opened here, on our own sockets, and pooled: at most
//! `[email] connections` at once, idle ones reused.
//!
//! `smtps://` (TLS from the first byte) is left to lettre's connector, which owns the
//! socket; `smtp://` and `smtp+starttls://` get the fast path.

use crate::config::EmailConfig;
use lettre::address::Envelope;
use lettre::transport::smtp::Error;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// The longest connecting, or one SMTP command, may take.
const TIMEOUT: Duration = Duration::from_secs(60);
/// An idle connection used more recently than this is reused without a NOOP first.
const FRESH: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// `smtp://`: a local relay, no TLS.
    Plain,
    /// `smtp+starttls://`: plain, then upgraded by STARTTLS (required).
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Tls,
}

pub struct SmtpPool {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    /// Open connections not in use, with when they were last used.
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    /// One permit per connection that may be open.
    slots: Semaphore,
}

impl SmtpPool {
    pub fn new(email: &EmailConfig) -> SmtpPool {
        let url = &email.smtp;
        let security = match url.scheme() {
            "smtps" => Security::Tls,
            "smtp+starttls" => Security::StartTls,
            _ => Security::Plain,
        };
        let port = url.port().unwrap_or(match security {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::Plain => 25,
        });
        let credentials = (!url.username().is_empty()).then(|| {
            Credentials::new(
                percent_decode(url.username()),
                percent_decode(url.password().unwrap_or("")),
            )
        });
        SmtpPool {
            // The config reader only lets URLs with a host through.
            host: url.host_str().unwrap_or("localhost").to_string(),
            port,
            security,
            credentials,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(email.connections.max(1) as usize),
        }
    }

    /// Send one message (already formatted) to its envelope. A connection that failed is
    /// dropped; one that worked goes back to the pool.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Response, SmtpFailure> {
        // The semaphore is never closed, so acquiring cannot fail.
        let _slot = self.slots.acquire().await;
        let reused = self.idle.lock().await.pop();
        // A connection used moments ago is taken as is; one idle for a while is asked
        // first (NOOP), since servers close idle connections.
        let mut conn = match reused {
            Some((c, used)) if !c.has_broken() && used.elapsed() < FRESH => c,
            Some((mut c, _)) => {
                if !c.has_broken() && c.test_connected().await {
                    c
                } else {
                    c.abort().await;
                    self.connect().await?
                }
            }
            None => self.connect().await?,
        };
        let result = match tokio::time::timeout(TIMEOUT * 2, conn.send(envelope, message)).await {
            Ok(r) => r.map_err(SmtpFailure::Smtp),
            Err(_) => Err(SmtpFailure::Timeout),
        };
        match &result {
            Ok(_) => self.idle.lock().await.push((conn, Instant::now())),
            // The server's answer ends the transaction, not the connection (lettre sent
            // RSET); anything else (a network error, a timeout) leaves it unknown.
            Err(SmtpFailure::Smtp(e))
                if (e.is_permanent() || e.is_transient()) && !conn.has_broken() =>
            {
                self.idle.lock().await.push((conn, Instant::now()))
            }
            Err(_) => conn.abort().await,
        }
        result
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpFailure> {
        let mut conn = match self.security {
            Security::Tls => {
                let tls = TlsParameters::new(self.host.clone()).map_err(SmtpFailure::Session)?;
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(TIMEOUT),
                    &self.hello,
                    Some(tls),
                    None,
                )
                .await
                .map_err(SmtpFailure::Session)?
            }
            Security::Plain | Security::StartTls => {
                let tcp = tokio::time::timeout(
                    TIMEOUT,
                    tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
                )
                .await
                .map_err(|_| SmtpFailure::Timeout)?
                .map_err(SmtpFailure::Connect)?;
                tcp.set_nodelay(true).map_err(SmtpFailure::Connect)?;
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                    .await
                    .map_err(SmtpFailure::Session)?
            }
        };
        if self.security == Security::StartTls {
            let tls = TlsParameters::new(self.host.clone()).map_err(SmtpFailure::Session)?;
            conn.starttls(tls, &self.hello)
                .await
                .map_err(SmtpFailure::Session)?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(SmtpFailure::Session)?;
        }
        Ok(conn)
    }
}

/// Why a send failed: the server's answer or lettre's view of the connection, or our own
/// connecting.
#[derive(Debug, thiserror::Error)]
pub enum SmtpFailure {
    #[error("{}", describe(.0))]
    Smtp(#[from] Error),
    #[error("cannot connect to the SMTP server: {0}")]
    Connect(std::io::Error),
    /// Opening the session failed (greeting, STARTTLS, AUTH): the operator's settings or
    /// the server are at fault, never the recipient, so it is not a bounce.
    #[error("SMTP session: {}", describe(.0))]
    Session(Error),
    #[error("the SMTP server did not answer within {} s", TIMEOUT.as_secs())]
    Timeout,
}

fn describe(e: &Error) -> String {
    match e.status() {
        Some(code) => format!("SMTP {code}: {e}"),
        None => format!("SMTP: {e}"),
    }
}

impl SmtpFailure {
    /// A 5xx answer to the message: the address or the message is refused for good.
    /// Everything else (4xx, connection trouble, timeouts, a session that could not be
    /// opened, such as a wrong password) is worth another try.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SmtpFailure::Smtp(e) if e.is_permanent())
    }
}

/// `user:password@` as written in the URL, percent-decoded (`%40` for `@`); `+` stays `+`.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
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
