//! URLs as the same article: resolved, normalised, without what only tracks a click.
//! Items are keyed by it, deliveries deduped by it, and `tidings add` compares sources
//! with it, so it sits on the floor every stage stands on.

use url::Url;

/// Query parameters that only track where a click came from.
fn is_tracking_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "yclid"
                | "igshid"
                | "mc_cid"
                | "mc_eid"
                | "_hsenc"
                | "_hsmi"
                | "spm"
                | "scm"
                | "share_token"
                | "from_source"
        )
}

/// Resolve `href` against `base` and normalise it: lower-cased host (the `url` crate
/// does that, and drops default ports), no fragment, no tracking parameters.
pub fn canonical_url(href: &str, base: Option<&Url>) -> Option<Url> {
    let href = href.trim();
    let mut url = match base {
        Some(b) => b.join(href).ok()?,
        None => Url::parse(href).ok()?,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !is_tracking_param(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonical_url(s, None)
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn canonical_urls_drop_tracking_and_fragments() {
        assert_eq!(
            canon("https://WWW.Example.gov.cn:443/a/b.html?utm_source=x&id=3&fbclid=y#top"),
            "https://www.example.gov.cn/a/b.html?id=3"
        );
        assert_eq!(
            canon("http://example.org/x?utm_medium=rss"),
            "http://example.org/x"
        );
        assert_eq!(canon("javascript:void(0)"), "");
        let base = Url::parse("http://example.org/news/index.html").unwrap();
        assert_eq!(
            canonical_url("../a/t20220907_1.html", Some(&base))
                .unwrap()
                .as_str(),
            "http://example.org/a/t20220907_1.html"
        );
    }
}
