//! Where discovery may go: the site the operator named, and no private address unless
//! the operator's own URL is on one (DESIGN.md, "Security model").

use std::net::IpAddr;
use url::{Host, Url};

/// The bounds of one discovery run.
#[derive(Debug, Clone)]
pub struct SiteGuard {
    /// The start host without `www.`: links must be on it or one of its subdomains.
    site: String,
    /// Whether the operator's URL itself is on a loopback or private address.
    allow_private: bool,
}

impl SiteGuard {
    /// The guard of a run started at `start` (the host is resolved once to see whether
    /// the operator pointed at a private address).
    pub async fn new(start: &Url) -> SiteGuard {
        let host = start.host_str().unwrap_or("").to_ascii_lowercase();
        let site = host.strip_prefix("www.").unwrap_or(&host).to_string();
        SiteGuard {
            site,
            allow_private: resolves_private(start).await,
        }
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

    /// Whether discovery may fetch `url`: same site, and not a private address unless
    /// the run started on one.
    pub async fn allows(&self, url: &Url) -> bool {
        self.same_site(url) && (self.allow_private || !resolves_private(url).await)
    }
}

/// Whether a URL's host is, or resolves to, a loopback, private, link-local or otherwise
/// non-public address. A host that does not resolve is not private (its fetch fails).
pub async fn resolves_private(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                return true;
            }
            let port = url.port_or_known_default().unwrap_or(80);
            match tokio::net::lookup_host((d.as_str(), port)).await {
                Ok(mut addrs) => addrs.any(|a| is_private(a.ip())),
                Err(_) => false,
            }
        }
        None => false,
    }
}

/// Loopback, private (RFC 1918, unique local), link-local, shared (100.64/10),
/// unspecified, and IPv4-mapped forms of them.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(site: &str) -> SiteGuard {
        SiteGuard {
            site: site.into(),
            allow_private: false,
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

    #[test]
    fn private_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:4860::8888", "100.128.0.1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn a_public_run_may_not_reach_loopback() {
        let g = guard("127.0.0.1");
        let url = Url::parse("http://127.0.0.1:8080/").unwrap();
        assert!(g.same_site(&url));
        assert!(!g.allows(&url).await);
        let g = SiteGuard::new(&url).await;
        assert!(g.allows(&url).await, "the operator's own loopback URL");
    }
}
