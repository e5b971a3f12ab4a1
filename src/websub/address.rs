//! Where Tidings may send a request that someone else chose: a subscriber's callback, a
//! hub a source advertises. Not to loopback, private, link-local or other non-public
//! addresses unless the operator allows it (`[websub] allow_private`): anyone can ask
//! our hub to call a URL, and that must not reach into the operator's network
//! (DESIGN.md, "Security model"). The rule itself is [`crate::fetch::guard`]'s: checked
//! here before a request (so that a refusal can be answered with a reason), and again at
//! connect time by the clients [`clients`] builds (so that a rebinding name is refused).

use crate::fetch::guard;
use std::time::Duration;
use url::Url;

/// Why `url` may not be called, or `None` when it may.
pub async fn refused(url: &Url, allow_private: bool) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("{url} is not an http(s) URL"));
    }
    if allow_private {
        return None;
    }
    // One that takes too long to resolve is refused rather than guessed at.
    match tokio::time::timeout(Duration::from_secs(10), guard::check_url(url)).await {
        Ok(Ok(())) => None,
        Ok(Err(r)) => Some(format!(
            "{r}; set [websub] allow_private = true to allow it"
        )),
        Err(_) => Some(format!("{url}: resolving the host timed out")),
    }
}

/// The clients WebSub requests go through: one that connects only to public addresses
/// (checked on the addresses resolved at connect time), and one for when the operator
/// allowed private addresses. Neither follows redirects: a redirect could lead anywhere.
pub struct Clients {
    public: reqwest::Client,
    any: reqwest::Client,
}

impl Clients {
    /// The client to use under `allow_private`.
    pub fn get(&self, allow_private: bool) -> &reqwest::Client {
        if allow_private {
            &self.any
        } else {
            &self.public
        }
    }
}

pub fn clients(user_agent: &str, timeout: Duration) -> Clients {
    let builder = || {
        reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
    };
    // Only a TLS backend that fails to load makes these fail: nothing would work.
    Clients {
        public: builder()
            .dns_resolver(std::sync::Arc::new(guard::PublicResolver))
            .build()
            .expect("building the WebSub HTTP client"),
        any: builder().build().expect("building the WebSub HTTP client"),
    }
}
