//! Bytes → text, for feeds and HTML pages alike.
//!
//! The encoding is taken from the first of: a byte-order mark, the HTTP `Content-Type`
//! charset, the XML prolog's `encoding=`, a `<meta charset>` / `<meta http-equiv
//! content="…charset=…">` in the first 4 KiB, and finally detection (`chardetng`).
//!
//! A declaration is a claim, not a fact. Portals routinely declare `gb2312` on UTF-8
//! pages and `utf-8` on GBK ones, so a declared encoding is used only when the bytes
//! agree with it: bytes that are valid UTF-8 with non-ASCII text are UTF-8 whatever the
//! label says, and a declared multi-byte encoding under which the bytes are malformed
//! gives way to detection. GB2312/GBK labels decode as GB18030, their superset (the
//! WHATWG mapping would pick GBK, which lacks characters portals do use).

use encoding_rs::{
    Encoding, GB18030, GBK, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED,
};

/// How far into a document `<meta charset>` is looked for. Pages with long `<head>`
/// sections (inline scripts, many `<link>`s) put it past the 1024 bytes HTML requires.
const META_SCAN_LIMIT: usize = 4096;

/// Text decoded from a page or feed, and the encoding that was used.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
}

/// Decode `bytes`, given the HTTP `Content-Type` header if there was one.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return decode_with(&bytes[bom_len..], encoding);
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        return decode_with(bytes, encoding);
    }
    let declared = content_type
        .and_then(charset_param)
        .and_then(encoding_for_label)
        .or_else(|| xml_prolog_encoding(bytes))
        .or_else(|| meta_charset(bytes));
    let encoding = match declared {
        Some(declared) => check_declared(bytes, declared),
        None => detect(bytes),
    };
    decode_with(bytes, encoding)
}

/// Decode `bytes` in `encoding` whatever they declare or look like: a source's
/// configured `charset`, for the site whose declarations and bytes both lie. Only a
/// byte-order mark of that same encoding is skipped.
pub fn decode_forced(bytes: &[u8], encoding: &'static Encoding) -> Decoded {
    let bytes = match Encoding::for_bom(bytes) {
        Some((bom, len)) if bom == encoding => &bytes[len..],
        _ => bytes,
    };
    decode_with(bytes, encoding)
}

/// An encoding for a charset label, with GB2312/GBK read as GB18030. Labels that
/// name UTF-16 inside an ASCII-compatible document are lies (the declaration itself
/// was readable as ASCII), so they are ignored, as browsers do.
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().trim_matches(|c| c == '"' || c == '\'');
    let encoding = Encoding::for_label(label.as_bytes())?;
    if encoding == GBK {
        return Some(GB18030);
    }
    if encoding == UTF_16LE || encoding == UTF_16BE || encoding == X_USER_DEFINED {
        return None;
    }
    Some(encoding)
}

fn decode_with(bytes: &[u8], encoding: &'static Encoding) -> Decoded {
    let (text, _had_errors) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding,
    }
}

/// The `charset` parameter of a `Content-Type` value (`text/html; charset="GBK"`).
fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
            .filter(|v| !v.is_empty())
    })
}

/// UTF-16 without a BOM, recognisable by an XML document's first character `<`.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [b'<', 0, c, 0, ..] if c.is_ascii() && *c != 0 => Some(UTF_16LE),
        [0, b'<', 0, c, ..] if c.is_ascii() && *c != 0 => Some(UTF_16BE),
        _ => None,
    }
}

/// `encoding="…"` of an `<?xml …?>` declaration at the start of the document.
fn xml_prolog_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &bytes[start..];
    if !rest.starts_with(b"<?xml") {
        return None;
    }
    let end = rest.iter().take(512).position(|&b| b == b'>')?;
    let decl = std::str::from_utf8(&rest[..end]).ok()?;
    let value = attribute_value(decl, "encoding")?;
    encoding_for_label(value)
}

/// The value of `name="…"` (or `'…'`) inside a tag's text.
fn attribute_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(name)?;
    let rest = tag[at + name.len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

/// A `<meta charset=…>` or `<meta http-equiv … content="…charset=…">` in the first
/// 4 KiB.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(META_SCAN_LIMIT)];
    // Markup is ASCII in every encoding this looks for; anything else becomes U+FFFD.
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = head[from..].find("<meta") {
        let tag_start = from + at;
        let tag_end = head[tag_start..]
            .find('>')
            .map_or(head.len(), |e| tag_start + e);
        let tag = &head[tag_start..tag_end];
        if let Some(pos) = tag.find("charset") {
            let value = tag[pos + "charset".len()..]
                .trim_start()
                .strip_prefix('=')
                .map(|v| v.trim_start().trim_start_matches(['"', '\'']))
                .unwrap_or("");
            let label: String = value
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
                .collect();
            if let Some(encoding) = encoding_for_label(&label) {
                return Some(encoding);
            }
        }
        from = tag_end;
    }
    None
}

/// The declared encoding, unless the bytes contradict it.
fn check_declared(bytes: &[u8], declared: &'static Encoding) -> &'static Encoding {
    if declared == UTF_8 {
        return if mostly_utf8(bytes) {
            UTF_8
        } else {
            detect(bytes)
        };
    }
    // Valid UTF-8 with non-ASCII text is almost never a legacy encoding by accident:
    // a `gb2312` page whose bytes are valid UTF-8 was saved as UTF-8.
    if !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    // Multi-byte encodings have invalid sequences; if the bytes hit them often, the
    // label is wrong. A few damaged sequences in a page that is otherwise valid GBK
    // are just damage: switching would garble every other character. (Single-byte
    // encodings accept anything, so there is nothing to check.)
    if !declared.is_single_byte() && !mostly_valid(bytes, declared) {
        let detected = detect(bytes);
        if !has_malformed(bytes, detected) {
            return detected;
        }
    }
    declared
}

/// Decoding with `encoding` gives at most one malformed sequence per 20 non-ASCII
/// characters.
fn mostly_valid(bytes: &[u8], encoding: &'static Encoding) -> bool {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if !had_errors {
        return true;
    }
    let (mut replaced, mut non_ascii) = (0usize, 0usize);
    for c in text.chars() {
        if c == '\u{FFFD}' {
            replaced += 1;
        } else if !c.is_ascii() {
            non_ascii += 1;
        }
    }
    non_ascii >= replaced * 20
}

/// Valid UTF-8, or UTF-8 with a rare stray byte (a truncated copy-paste) among plenty
/// of valid multi-byte characters: decoding it as UTF-8 loses one character, while any
/// other reading garbles every one of them.
fn mostly_utf8(bytes: &[u8]) -> bool {
    // The common case, checked fast: no stray byte at all.
    if std::str::from_utf8(bytes).is_ok() {
        return true;
    }
    let mut valid_multibyte = 0usize;
    let mut errors = 0usize;
    for chunk in bytes.utf8_chunks() {
        valid_multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        if !chunk.invalid().is_empty() {
            errors += 1;
        }
    }
    errors == 0 || valid_multibyte >= errors * 20
}

fn has_malformed(bytes: &[u8], encoding: &'static Encoding) -> bool {
    encoding.decode_without_bom_handling(bytes).1
}

/// No usable declaration: UTF-8 if the bytes are UTF-8, else `chardetng`'s guess
/// (which tells GBK from Big5, Shift_JIS and the single-byte encodings by their
/// byte statistics).
fn detect(bytes: &[u8]) -> &'static Encoding {
    if bytes.is_ascii() {
        return UTF_8;
    }
    if mostly_utf8(bytes) {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Allow);
    match guess {
        g if g == GBK => GB18030,
        // chardetng rules out an encoding on a single malformed sequence, so a GBK
        // page with one damaged character comes back as a single-byte guess, i.e.
        // mojibake throughout. Chinese text that is GB18030 but for a few bytes wins.
        g if g.is_single_byte() && mostly_valid(bytes, GB18030) && mostly_cjk(bytes) => GB18030,
        g if g == X_USER_DEFINED => WINDOWS_1252,
        g => g,
    }
}

/// Most non-ASCII characters of the GB18030 reading are CJK ideographs or CJK
/// punctuation (a Latin-1 page read as GB18030 gives a scatter of rare characters and
/// errors, not prose).
fn mostly_cjk(bytes: &[u8]) -> bool {
    let (text, _) = GB18030.decode_without_bom_handling(bytes);
    let (mut cjk, mut other) = (0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_ascii()) {
        if ('\u{4E00}'..='\u{9FFF}').contains(&c)
            || ('\u{3000}'..='\u{303F}').contains(&c)
            || ('\u{FF00}'..='\u{FFEF}').contains(&c)
        {
            cjk += 1;
        } else {
            other += 1;
        }
    }
    cjk >= 20 && cjk >= other * 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{BIG5, SHIFT_JIS};

    const CHINESE: &str =
        "新疆维吾尔自治区人民政府网站，区内要闻：博州召开科协工作会议，部署棉花生产。";

    fn gbk(text: &str) -> Vec<u8> {
        GB18030.encode(text).0.into_owned()
    }

    #[test]
    fn bom_wins_over_every_declaration() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<?xml version=\"1.0\" encoding=\"gb2312\"?><a>é</a>".as_bytes());
        let d = decode(&bytes, Some("text/xml; charset=iso-8859-1"));
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.starts_with("<?xml") && d.text.contains('é'));

        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        for unit in "<a>中文</a>".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let d = decode(&utf16, Some("text/xml; charset=utf-8"));
        assert_eq!(d.encoding, UTF_16LE);
        assert_eq!(d.text, "<a>中文</a>");
    }

    #[test]
    fn utf16_without_bom_is_recognised_by_its_first_character() {
        let mut bytes = Vec::new();
        for unit in "<?xml version=\"1.0\"?><a>中</a>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, UTF_16BE);
        assert!(d.text.ends_with("<a>中</a>"));
    }

    #[test]
    fn http_charset_comes_before_the_document() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>\xE9t\xE9</a>";
        let d = decode(bytes, Some("application/rss+xml; charset=\"ISO-8859-1\""));
        assert_eq!(d.encoding, WINDOWS_1252);
        assert!(d.text.contains("été"));
    }

    #[test]
    fn xml_prolog_encoding_is_used() {
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"big5\"?><title>".to_vec();
        bytes.extend(BIG5.encode("繁體中文新聞標題").0.iter());
        bytes.extend_from_slice(b"</title>");
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, BIG5);
        assert!(d.text.contains("繁體中文新聞標題"));
    }

    #[test]
    fn meta_charset_past_the_first_kilobyte_is_found() {
        let mut bytes = b"<html><head>".to_vec();
        bytes.extend(std::iter::repeat_n(b' ', 2000));
        bytes.extend_from_slice(
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">",
        );
        bytes.extend_from_slice(b"</head><body>");
        bytes.extend(gbk(CHINESE));
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, GB18030);
        assert!(d.text.contains(CHINESE));

        let mut bytes = b"<html><head><meta charset='Shift_JIS'></head><body>".to_vec();
        bytes.extend(SHIFT_JIS.encode("日本語のニュース記事です").0.iter());
        assert_eq!(decode(&bytes, None).encoding, SHIFT_JIS);
    }

    #[test]
    fn gb2312_and_gbk_labels_decode_as_gb18030() {
        for label in ["gb2312", "GBK", "x-gbk", "GB_2312-80", "gb18030"] {
            assert_eq!(encoding_for_label(label), Some(GB18030), "{label}");
        }
        // 镕 (U+9555) is outside GB2312 but portals write it; GB18030 decodes it.
        let mut bytes = b"<meta charset=\"gb2312\">".to_vec();
        bytes.extend(gbk("朱镕基"));
        assert!(decode(&bytes, None).text.contains("朱镕基"));
    }

    #[test]
    fn declared_gb2312_with_utf8_bytes_is_utf8() {
        let page =
            format!("<html><head><meta charset=\"gb2312\"></head><body>{CHINESE}</body></html>");
        let d = decode(page.as_bytes(), None);
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains(CHINESE));
        let d = decode(page.as_bytes(), Some("text/html; charset=GB2312"));
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains(CHINESE));
    }

    #[test]
    fn declared_utf8_with_gbk_bytes_is_detected() {
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><title>".to_vec();
        bytes.extend(gbk(CHINESE));
        bytes.extend_from_slice(b"</title></rss>");
        let d = decode(&bytes, Some("text/xml; charset=utf-8"));
        assert_eq!(d.encoding, GB18030);
        assert!(d.text.contains(CHINESE));
    }

    #[test]
    fn a_damaged_sequence_in_gbk_keeps_the_declared_encoding() {
        let mut bytes = b"<meta charset=\"gb2312\"><p>".to_vec();
        bytes.extend(gbk(CHINESE));
        bytes.extend_from_slice(&[0xC7, 0x20]); // a lead byte without its trail byte
        bytes.extend(gbk(CHINESE));
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, GB18030);
        assert!(d.text.matches(CHINESE).count() == 2);
    }

    #[test]
    fn undeclared_gbk_with_a_damaged_sequence_is_still_chinese() {
        let mut bytes = b"<html><body><p>".to_vec();
        bytes.extend(gbk(CHINESE));
        bytes.extend_from_slice(&[0xC7, 0x20]);
        bytes.extend(gbk(CHINESE));
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, GB18030);
        assert!(d.text.matches(CHINESE).count() == 2);
    }

    #[test]
    fn a_stray_byte_in_utf8_text_keeps_utf8() {
        let mut bytes = format!("<p>{CHINESE}").into_bytes();
        bytes.push(0xE4); // a truncated character
        bytes.extend_from_slice("</p><p>第二段</p>".as_bytes());
        let d = decode(&bytes, Some("text/html; charset=utf-8"));
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains(CHINESE) && d.text.contains("第二段"));
    }

    #[test]
    fn undeclared_gbk_is_detected_as_chinese() {
        let mut bytes = b"<html><head><title>".to_vec();
        bytes.extend(gbk("区内要闻"));
        bytes.extend_from_slice(b"</title></head><body><p>");
        bytes.extend(gbk(CHINESE));
        bytes.extend_from_slice(b"</p></body></html>");
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, GB18030);
        assert!(d.text.contains(CHINESE) && d.text.contains("区内要闻"));
    }

    #[test]
    fn undeclared_utf8_and_ascii_are_utf8() {
        assert_eq!(decode("<p>été</p>".as_bytes(), None).encoding, UTF_8);
        assert_eq!(decode(b"<p>plain</p>", None).encoding, UTF_8);
    }

    #[test]
    fn undeclared_latin1_is_not_mojibake() {
        let bytes =
            b"<p>Les \xE9l\xE8ves de l'\xE9cole fran\xE7aise ont visit\xE9 le mus\xE9e.</p>";
        let d = decode(bytes, None);
        assert!(d.text.contains("élèves de l'école française"), "{}", d.text);
    }

    #[test]
    fn bogus_labels_are_ignored() {
        let d = decode(
            "<?xml version=\"1.0\" encoding=\"x-bogus\"?><a>中</a>".as_bytes(),
            Some("text/xml; charset=nonsense"),
        );
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains('中'));
    }

    #[test]
    fn content_type_parameters() {
        assert_eq!(charset_param("text/html; charset=\"GBK\""), Some("GBK"));
        assert_eq!(
            charset_param("text/xml;charset='us-ascii'"),
            Some("us-ascii")
        );
        assert_eq!(charset_param("text/xml; qs=0.9"), None);
        assert_eq!(charset_param("text/xml; charset:iso-8859-1"), None);
    }
}
