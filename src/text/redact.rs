//! URLs as they may be shown: without credentials and secret-looking parameters.
//!
//! Every place that shows a source or robot URL (the list alarm, the status page, logs,
//! CLI output, error messages) goes through [`redact_url`], or [`redact_urls_in`] for a
//! message that may hold URLs, so that a token pasted into `feeds.toml` (in `user:pass@`
//! or in `?access_token=`) is never shown back.

use std::sync::LazyLock;
use url::Url;

/// What a redacted part is replaced with.
const MASK: &str = "***";

/// Whether a query parameter's name looks like it holds a secret: `token`, `key`,
/// `secret`, `password`, `sig`, `signature`, `auth`, `access_token`, `api_key`,
/// `X-Amz-Signature`, `client_secret` … (any of its `_`/`-`/`.` separated words, or the
/// whole name run together). `keyword` or `monkey` are not secrets.
pub fn is_secret_param(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "token",
        "key",
        "secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "sig",
        "sign",
        "signature",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "session",
        "sessionid",
        "jwt",
        "ticket",
    ];
    const SUFFIXES: &[&str] = &[
        "token",
        "secret",
        "apikey",
        "signature",
        "password",
        "passwd",
        "sessionid",
    ];
    let n = name.to_ascii_lowercase();
    n.split(['_', '-', '.', '[', ']'])
        .any(|w| WORDS.contains(&w))
        || SUFFIXES.iter().any(|s| n.ends_with(s))
}

/// `url` as it may be shown: `user:pass@` replaced by `***@`, the values of secret-looking
/// query parameters by `***`, and a Telegram bot token in the path (`/bot123:ABC/`) masked.
/// Text that is not an absolute URL is returned unchanged.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_string();
    };
    if parsed.cannot_be_a_base() {
        return url.to_string();
    }
    let mut changed = false;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // Neither can fail on a URL that can be a base.
        let _ = parsed.set_password(None);
        let _ = parsed.set_username(MASK);
        changed = true;
    }
    if let Some(query) = parsed.query() {
        let mut secret = false;
        let parts: Vec<String> = query
            .split('&')
            .map(|pair| {
                let name = pair.split('=').next().unwrap_or("");
                let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
                if is_secret_param(&decoded) {
                    secret = true;
                    format!("{name}={MASK}")
                } else {
                    pair.to_string()
                }
            })
            .collect();
        if secret {
            parsed.set_query(Some(&parts.join("&")));
            changed = true;
        }
    }
    if BOT_TOKEN.is_match(parsed.path()) {
        let path = BOT_TOKEN
            .replace_all(parsed.path(), format!("/bot{MASK}"))
            .into_owned();
        parsed.set_path(&path);
        changed = true;
    }
    if changed {
        parsed.to_string()
    } else {
        url.to_string()
    }
}

/// A Telegram bot token in a path: `/bot123456:AAE…`.
static BOT_TOKEN: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"/bot[0-9]+:[A-Za-z0-9_-]+").expect("static regex"));

/// Every `http(s)://…` URL in a message redacted by [`redact_url`] (error messages carry
/// the URL they failed on).
pub fn redact_urls_in(text: &str) -> String {
    static URL_IN_TEXT: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#"(?i)\b[a-z][a-z0-9+.-]*://[^\s"'<>()]+"#).expect("static regex")
    });
    URL_IN_TEXT
        .replace_all(text, |c: &regex::Captures| {
            // A URL at the end of a sentence keeps its full stop or colon outside.
            let m = &c[0];
            let end = m.trim_end_matches(['.', ',', ':', ';']).len();
            format!("{}{}", redact_url(&m[..end]), &m[end..])
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked() {
        assert_eq!(
            redact_url("https://alice:s3cret@feeds.example.org/news.xml"),
            "https://***@feeds.example.org/news.xml"
        );
        assert_eq!(
            redact_url("smtp://mailer:hunter2@127.0.0.1:2525"),
            "smtp://***@127.0.0.1:2525"
        );
        assert_eq!(
            redact_url("https://token-only@example.org/"),
            "https://***@example.org/"
        );
    }

    #[test]
    fn secret_parameters_are_masked_and_others_kept() {
        assert_eq!(
            redact_url(
                "https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=1&sign=xyz"
            ),
            "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=***"
        );
        assert_eq!(
            redact_url("https://e.org/list?page=2&api_key=K&keyword=%E6%A3%89&Signature=S"),
            "https://e.org/list?page=2&api_key=***&keyword=%E6%A3%89&Signature=***"
        );
        for secret in [
            "token",
            "key",
            "secret",
            "password",
            "sig",
            "signature",
            "auth",
            "access_token",
            "api_key",
            "apikey",
            "X-Amz-Signature",
            "client_secret",
            "private_token",
            "AccessToken",
        ] {
            assert!(is_secret_param(secret), "{secret}");
        }
        for plain in ["page", "keyword", "id", "monkey", "category", "column"] {
            assert!(!is_secret_param(plain), "{plain}");
        }
        let plain = "http://www.example.gov.cn/zwdt/qnyw/index.html?page=2";
        assert_eq!(redact_url(plain), plain);
    }

    #[test]
    fn bot_tokens_in_paths_are_masked() {
        assert_eq!(
            redact_url("https://api.telegram.org/bot123456:AAE-x_y/sendMessage"),
            "https://api.telegram.org/bot***/sendMessage"
        );
    }

    #[test]
    fn urls_inside_messages() {
        let msg = "http://u:p@h.example/feed?token=t: HTTP 500. See https://x.example/?key=k.";
        assert_eq!(
            redact_urls_in(msg),
            "http://***@h.example/feed?token=***: HTTP 500. See https://x.example/?key=***."
        );
        assert_eq!(redact_urls_in("no url here"), "no url here");
    }
}
