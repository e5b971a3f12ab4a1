//! Where discovery may go: the site the operator named, and no loopback or private
//! address but the operator's own host (the one rule of [`crate::fetch::guard`]).

use crate::fetch::guard::{self, Reach};
use url::Url;

/// The bounds of one discovery run.
#[derive(Debug, Clone)]
pub struct SiteGuard {
    /// The start host without `www.`: links must be on it or one of its subdomains.
    site: String,
    /// The operator's host may be on any address; other hosts must be public.
    reach: Reach,
}

impl SiteGuard {
    /// The guard of a run started at `start`.
    pub fn new(start: &Url) -> SiteGuard {
        let host = start.host_str().unwrap_or("").to_ascii_lowercase();
        let site = host.strip_prefix("www.").unwrap_or(&host).to_string();
        SiteGuard {
            site,
            reach: Reach::command_line(start),
        }
    }

    /// What the run's fetches may reach.
    pub fn reach(&self) -> &Reach {
        &self.reach
    }

    /// Whether `url` is http(s) on the same site: the start host, or a host under the
    /// start host without its `www.` (`www.example.gov.cn` → `example.gov.cn`,
    /// `news.example.gov.cn`). Never wider, so `example.gov.cn` never admits `gov.cn`.
    pub fn same_site(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        host == self.site
            || host
                .strip_suffix(&self.site)
                .is_some_and(|sub| sub.ends_with('.'))
    }

    /// Whether discovery may fetch `url`: same site, and the operator's own host or a
    /// public address (checked again on the address connected to when it is fetched).
    pub async fn allows(&self, url: &Url) -> bool {
        self.same_site(url) && (self.reach.trusts(url) || guard::check_url(url).await.is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(site: &str) -> SiteGuard {
        SiteGuard {
            site: site.into(),
            reach: Reach::public("a test"),
        }
    }

    #[test]
    fn same_site_is_the_host_and_its_subdomains() {
        let g = guard("example.gov.cn");
        let ok = |u: &str| g.same_site(&Url::parse(u).unwrap());
        assert!(ok("https://example.gov.cn/a"));
        assert!(ok("http://www.example.gov.cn/a"));
        assert!(ok("https://news.example.gov.cn/"));
        assert!(!ok("https://gov.cn/"));
        assert!(!ok("https://badexample.gov.cn/"));
        assert!(!ok("ftp://example.gov.cn/"));
    }

    #[tokio::test]
    async fn a_public_run_may_not_reach_loopback() {
        let g = guard("127.0.0.1");
        let url = Url::parse("http://127.0.0.1:8080/").unwrap();
        assert!(g.same_site(&url));
        assert!(!g.allows(&url).await);
        let g = SiteGuard::new(&url);
        assert!(g.allows(&url).await, "the operator's own loopback URL");
        let other = Url::parse("http://127.0.0.2:8080/").unwrap();
        assert!(
            !g.allows(&other).await,
            "another loopback host is not the operator's"
        );
    }
}
