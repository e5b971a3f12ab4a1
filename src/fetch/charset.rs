//! Bytes → text. Order: BOM, HTTP `Content-Type` charset, XML prolog, `<meta>` in the
//! first 4 KiB, else detection. GB2312/GBK labels decode as GB18030.
//!
//! (Skeleton: the full implementation replaces this.)

use encoding_rs::{Encoding, GB18030, UTF_8};

/// Text decoded from a page or feed, and the encoding that was used.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
}

/// Decode `bytes`, given the HTTP `Content-Type` header if there was one.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    let _ = content_type;
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Decoded {
            text: s.to_string(),
            encoding: UTF_8,
        };
    }
    let (text, _, _) = GB18030.decode(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: GB18030,
    }
}
