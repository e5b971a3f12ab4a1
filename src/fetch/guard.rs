//! Which addresses Tidings may fetch from: the one rule against server-side request
//! forgery (DESIGN.md, "Security model").
//!
//! Only URLs the operator wrote may reach loopback, private, link-local and other
//! non-public addresses. Everything learned at run time (article links, redirects,
//! WebSub callbacks, links followed by `tidings discover`) must resolve to public
//! addresses only, unless the operator widened it (`allow_private = true` on a source).
//!
//! The rule is checked on the addresses actually connected to, not on the host name: a
//! name is resolved by [`PublicResolver`] at connect time and refused when any of its
//! addresses is not public, so a name that resolves to a public address when checked and
//! to `127.0.0.1` when connected (DNS rebinding) is still refused. Literal IP hosts never
//! reach a resolver, so [`check_literal`] checks them before the request.
//!
//! - [`classify`]: what kind of address an IP is (every range, incl. IPv4-mapped,
//!   -compatible, NAT64 and 6to4 forms of IPv4 addresses).
//! - [`check_ip`] / [`check_url`]: whether run-time URLs may reach an address / a URL
//!   (`check_url` resolves the name: for a one-off check such as a WebSub callback; the
//!   fetch itself must still go through [`PublicResolver`]).
//! - [`Reach`]: for one fetch, which hosts the operator vouched for.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::{Host, Url};

/// What kind of address an IP is. Everything but [`AddressClass::Public`] is refused for
/// URLs the operator did not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16), IPv6 unique local fc00::/7, the deprecated
    /// site-local fec0::/10 and local-use NAT64 64:ff9b:1::/48.
    Private,
    /// 169.254.0.0/16 (where cloud metadata services answer, 169.254.169.254), fe80::/10.
    LinkLocal,
    /// 100.64.0.0/10: carrier-grade NAT, often an internal network.
    Shared,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 0.0.0.0/8 ("this network"; many systems connect 0.0.0.0 to themselves), ::.
    Unspecified,
    /// 255.255.255.255.
    Broadcast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32.
    Documentation,
    /// 198.18.0.0/15, 2001:2::/48.
    Benchmarking,
    /// 192.0.0.0/24 (protocol assignments), 240.0.0.0/4, 100::/64 (discard), Teredo
    /// 2001::/32 (tunnels to an address hidden in the bits) and other special ranges.
    Reserved,
}

impl AddressClass {
    pub fn is_public(self) -> bool {
        self == AddressClass::Public
    }

    /// "a loopback address", as errors say it.
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "a public address",
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private address",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::Shared => "a shared (carrier-grade NAT) address",
            AddressClass::Multicast => "a multicast address",
            AddressClass::Unspecified => "an unspecified address",
            AddressClass::Broadcast => "the broadcast address",
            AddressClass::Documentation => "a documentation address",
            AddressClass::Benchmarking => "a benchmarking address",
            AddressClass::Reserved => "a reserved address",
        }
    }
}

/// What kind of address `ip` is. IPv6 forms that carry an IPv4 address (mapped
/// `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4
/// `2002:aabb:ccdd::`) are classified by that IPv4 address, since that is where a
/// connection to them ends up.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    use AddressClass::*;
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        _ if ip.is_broadcast() => Broadcast,
        (0, ..) => Unspecified,
        (127, ..) => Loopback,
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => Private,
        (169, 254, _) => LinkLocal,
        (100, 64..=127, _) => Shared,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Documentation,
        (198, 18..=19, _) => Benchmarking,
        (192, 0, 0) => Reserved,
        (224..=239, ..) => Multicast,
        (240..=255, ..) => Reserved,
        _ => Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    use AddressClass::*;
    let s = ip.segments();
    if ip.is_unspecified() {
        return Unspecified;
    }
    if ip.is_loopback() {
        return Loopback;
    }
    let embedded = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        classify_v4(Ipv4Addr::new(a, b, c, d))
    };
    match s {
        // IPv4-mapped ::ffff:0:0/96 and the deprecated IPv4-compatible ::/96.
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] => embedded(hi, lo),
        // NAT64, well-known prefix 64:ff9b::/96: translated to the IPv4 address.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => embedded(hi, lo),
        // NAT64 local-use prefix: the operator's own translator.
        [0x64, 0xff9b, 1, ..] => Private,
        // 6to4: 2002:AABB:CCDD::/48 tunnels to AA.BB.CC.DD.
        [0x2002, hi, lo, ..] => embedded(hi, lo),
        [0x2001, 0xdb8, ..] => Documentation,
        [0x2001, 2, 0, ..] => Benchmarking,
        // Teredo: the IPv4 end is hidden (xor-ed) in the address.
        [0x2001, 0, ..] => Reserved,
        // Discard-only 100::/64.
        [0x100, 0, 0, 0, ..] => Reserved,
        [first, ..] if first & 0xfe00 == 0xfc00 => Private,
        [first, ..] if first & 0xffc0 == 0xfe80 => LinkLocal,
        [first, ..] if first & 0xffc0 == 0xfec0 => Private,
        [first, ..] if first & 0xff00 == 0xff00 => Multicast,
        _ => Public,
    }
}

/// A connection refused by the rule: the host as written, the address it is (or resolved
/// to), and what kind of address that is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The host as the URL wrote it (a name, or the address itself).
    pub host: String,
    pub ip: IpAddr,
    pub class: AddressClass,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (ip, class) = (self.ip, self.class.describe());
        if self.host.trim_matches(['[', ']']) == ip.to_string() {
            write!(f, "refused: {ip} is {class}")?;
        } else {
            write!(f, "refused: {} resolves to {ip}, {class}", self.host)?;
        }
        if ip == IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)) {
            f.write_str(" (the cloud metadata service)")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refused {}

/// Whether a URL learned at run time may connect to `ip` (`host`: the name it was
/// resolved from, for the message). This is the whole rule; everything else applies it.
pub fn check_ip(host: &str, ip: IpAddr) -> Result<(), Refused> {
    let class = classify(ip);
    if class.is_public() {
        Ok(())
    } else {
        Err(Refused {
            host: host.to_string(),
            ip,
            class,
        })
    }
}

/// The check a literal IP host needs before the request (names are checked by
/// [`PublicResolver`] when connecting; literal addresses never reach a resolver).
/// `Ok` for a name.
pub fn check_literal(url: &Url) -> Result<(), Refused> {
    match url.host() {
        Some(Host::Ipv4(ip)) => check_ip(&ip.to_string(), IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => check_ip(&ip.to_string(), IpAddr::V6(ip)),
        _ => Ok(()),
    }
}

/// Whether a URL learned at run time may be fetched: its host is a public address, or a
/// name whose every address is public. A name that does not resolve passes (fetching it
/// fails anyway). This is a check at one instant: a client that then connects must use
/// [`PublicResolver`] too, or a rebinding name gets through.
pub async fn check_url(url: &Url) -> Result<(), Refused> {
    check_literal(url)?;
    let Some(Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    match resolve_public(name).await {
        Err(ResolveError::Refused(r)) => Err(r),
        Ok(_) | Err(ResolveError::Lookup(_)) => Ok(()),
    }
}

#[derive(Debug)]
enum ResolveError {
    Refused(Refused),
    Lookup(std::io::Error),
}

/// Resolve `name` and refuse it when any of its addresses is not public (a name that
/// mixes public and private addresses is a rebinding trick, not a mirror).
async fn resolve_public(name: &str) -> Result<Vec<SocketAddr>, ResolveError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, 0))
        .await
        .map_err(ResolveError::Lookup)?
        .collect();
    for a in &addrs {
        check_ip(name, a.ip()).map_err(ResolveError::Refused)?;
    }
    Ok(addrs)
}

/// A `reqwest` resolver that only hands out public addresses: the connect-time half of
/// the rule. Use it with `ClientBuilder::dns_resolver` on any client that fetches URLs
/// learned at run time, together with [`check_literal`] before each request.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicResolver;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_string();
        Box::pin(async move {
            match resolve_public(&name).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                Err(ResolveError::Refused(r)) => Err(Box::new(r) as _),
                Err(ResolveError::Lookup(e)) => Err(Box::new(e) as _),
            }
        })
    }
}

/// The [`Refused`] somewhere in an error's chain of causes (a `reqwest` error whose
/// connection [`PublicResolver`] refused).
pub fn find_refused<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<Refused>() {
            return Some(r);
        }
        cur = err.source();
    }
    None
}

/// For one fetch, who vouches for which hosts: the host of a URL the operator wrote may
/// be on any address; every other host (article links on other hosts, redirects to
/// other hosts) must be public, unless `allow_private`.
#[derive(Debug, Clone)]
pub struct Reach {
    /// The host the operator named (lower case), if any.
    operator_host: Option<String>,
    /// `allow_private = true`: the operator widened the rule for this source.
    allow_private: bool,
    /// Whose links these are, for errors: `source "boz-qnyw"`.
    whose: String,
    /// How to widen the rule, for errors.
    widen: String,
}

impl Reach {
    /// A source's fetches: its own host is the operator's; `allow_private` widens the rest.
    pub fn source(id: &str, url: &Url, allow_private: bool) -> Reach {
        Reach {
            operator_host: host_key(url),
            allow_private,
            whose: format!("source \"{id}\""),
            widen: format!("set allow_private = true on source \"{id}\" to allow it"),
        }
    }

    /// A URL the operator gave on the command line (`tidings extract URL`, `discover`, `add`):
    /// its host is trusted; redirects and links to other hosts are not.
    pub fn command_line(url: &Url) -> Reach {
        Reach {
            operator_host: host_key(url),
            allow_private: false,
            whose: url.host_str().unwrap_or("the URL given").to_string(),
            widen: "give the private address on the command line".into(),
        }
    }

    /// Nothing vouched for: every address must be public (WebSub callbacks).
    pub fn public(whose: &str) -> Reach {
        Reach {
            operator_host: None,
            allow_private: false,
            whose: whose.to_string(),
            widen: "only addresses the operator configures may be private".into(),
        }
    }

    /// Whether `url` may reach any address: its host is the operator's, or the operator
    /// widened the rule.
    pub fn trusts(&self, url: &Url) -> bool {
        self.allow_private || (self.operator_host.is_some() && host_key(url) == self.operator_host)
    }

    /// The sentence after "refused: 127.0.0.2 is a loopback address".
    pub fn explain(&self, redirected_from: Option<&Url>) -> String {
        let what = match redirected_from {
            Some(from) => format!(
                "a redirect from {} (of {})",
                crate::text::redact_url(from.as_str()),
                self.whose
            ),
            None => format!("links found in the content of {}", self.whose),
        };
        format!("not allowed for {what}; {}", self.widen)
    }
}

/// A URL's host as compared by [`Reach::trusts`]: lower case, without a trailing dot.
fn host_key(url: &Url) -> Option<String> {
    url.host_str()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use AddressClass::*;

    fn class(ip: &str) -> AddressClass {
        classify(ip.parse().unwrap())
    }

    #[test]
    fn every_ipv4_range() {
        for (ip, want) in [
            ("127.0.0.1", Loopback),
            ("127.0.0.2", Loopback),
            ("127.255.255.254", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("169.254.169.254", LinkLocal),
            ("169.254.0.1", LinkLocal),
            ("100.64.0.1", Shared),
            ("100.127.255.255", Shared),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("255.255.255.255", Broadcast),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("198.18.0.1", Benchmarking),
            ("198.19.255.1", Benchmarking),
            ("192.0.0.8", Reserved),
            ("240.0.0.1", Reserved),
            // Neighbours of the ranges are public.
            ("8.8.8.8", Public),
            ("172.32.0.1", Public),
            ("172.15.255.255", Public),
            ("100.128.0.1", Public),
            ("100.63.255.255", Public),
            ("169.253.1.1", Public),
            ("198.20.0.1", Public),
            ("192.0.3.1", Public),
            ("223.255.255.255", Public),
            ("11.0.0.1", Public),
        ] {
            assert_eq!(class(ip), want, "{ip}");
        }
    }

    #[test]
    fn every_ipv6_range_and_ipv4_in_ipv6() {
        for (ip, want) in [
            ("::1", Loopback),
            ("::", Unspecified),
            ("fc00::1", Private),
            ("fd12:3456::1", Private),
            ("fec0::1", Private),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("2001:2::1", Benchmarking),
            ("2001::1", Reserved),
            ("100::1", Reserved),
            ("64:ff9b:1::1", Private),
            // IPv4-mapped, -compatible, NAT64 and 6to4 forms take their IPv4's class.
            ("::ffff:127.0.0.2", Loopback),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:100.64.0.1", Shared),
            ("::ffff:0.0.0.0", Unspecified),
            ("::ffff:224.0.0.1", Multicast),
            ("::ffff:8.8.8.8", Public),
            ("::127.0.0.1", Loopback),
            ("::192.168.0.1", Private),
            ("::8.8.8.8", Public),
            ("64:ff9b::127.0.0.1", Loopback),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
            ("64:ff9b::8.8.8.8", Public),
            ("2002:7f00:1::", Loopback),
            ("2002:c0a8:101::1", Private),
            ("2002:808:808::1", Public),
            // Public unicast.
            ("2001:4860:4860::8888", Public),
            ("2400:3200::1", Public),
            ("fbff::1", Public),
        ] {
            assert_eq!(class(ip), want, "{ip}");
        }
    }

    #[test]
    fn a_refusal_says_what_the_address_is() {
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        let r = check_ip("127.0.0.2", ip).unwrap_err();
        assert_eq!(r.to_string(), "refused: 127.0.0.2 is a loopback address");
        let r = check_ip("evil.example", ip).unwrap_err();
        assert_eq!(
            r.to_string(),
            "refused: evil.example resolves to 127.0.0.2, a loopback address"
        );
        let meta: IpAddr = "169.254.169.254".parse().unwrap();
        assert!(
            check_ip("169.254.169.254", meta)
                .unwrap_err()
                .to_string()
                .ends_with("link-local address (the cloud metadata service)")
        );
        assert!(check_ip("example.org", "93.184.216.34".parse().unwrap()).is_ok());
    }

    #[tokio::test]
    async fn urls_are_checked_on_their_addresses() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(check_url(&url("http://127.0.0.1:8080/")).await.is_err());
        assert!(check_url(&url("http://[::ffff:7f00:1]/")).await.is_err());
        assert!(check_url(&url("http://[fe80::1]/")).await.is_err());
        assert!(
            check_url(&url("http://169.254.169.254/latest/"))
                .await
                .is_err()
        );
        // A name is resolved: localhost is loopback however it is spelled.
        let r = check_url(&url("http://localhost:9/")).await.unwrap_err();
        assert_eq!(r.class, Loopback, "{r}");
        assert!(check_url(&url("http://8.8.8.8/")).await.is_ok());
    }

    #[test]
    fn the_operators_host_is_trusted_and_no_other() {
        let source = Url::parse("http://127.0.0.1:8080/list/").unwrap();
        let reach = Reach::source("intranet", &source, false);
        assert!(reach.trusts(&Url::parse("http://127.0.0.1:9999/a.html").unwrap()));
        assert!(!reach.trusts(&Url::parse("http://127.0.0.2:8080/a.html").unwrap()));
        assert!(!Reach::public("a callback").trusts(&source));
        let wide = Reach::source("intranet", &source, true);
        assert!(wide.trusts(&Url::parse("http://10.0.0.1/").unwrap()));
        assert!(
            reach
                .explain(None)
                .contains("set allow_private = true on source \"intranet\"")
        );
    }
}
