//! Where Tidings may send a request that someone else chose: a subscriber's callback, a
//! hub a source advertises. Not to loopback, private or link-local addresses unless the
//! operator allows it (`[websub] allow_private`): anyone can ask our hub to call a URL,
//! and that must not reach into the operator's network (DESIGN.md, "Security model").

use url::Url;

/// Why `url` may not be called, or `None` when it may. The one place the address rule
/// is asked for WebSub.
pub async fn refused(url: &Url, allow_private: bool) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("{url} is not an http(s) URL"));
    }
    if allow_private {
        return None;
    }
    // A name that does not resolve is not private: the request then fails on its own.
    // One that takes too long to say is refused rather than guessed at.
    let Ok(private) = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        crate::discover::site::resolves_private(url),
    )
    .await
    else {
        return Some(format!("{url}: resolving the host timed out"));
    };
    private.then(|| {
        format!(
            "{} is a loopback or private address; set [websub] allow_private = true to allow it",
            url.host_str().unwrap_or("")
        )
    })
}
