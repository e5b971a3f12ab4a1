//! `X-Hub-Signature`: `method=hex(HMAC(secret, body))` (WebSub §7.1).
//!
//! We sign with SHA-256. Hubs sign with what they choose, and most still use SHA-1 so
//! that old subscribers can check it: pushes are checked with sha1, sha256, sha384 or
//! sha512, whichever the header names.

use hmac::{Hmac, KeyInit, Mac};

/// The header value for `body` signed with `secret`: `sha256=…`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` (`method=hex`) is the signature of `body` with `secret`. Compared
/// in constant time; an unknown method or malformed value is not a match.
pub fn verify(header: &str, secret: &str, body: &[u8]) -> bool {
    let Some((method, hex_sig)) = header.trim().split_once('=') else {
        return false;
    };
    let Ok(given) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    fn check<M: Mac + KeyInit>(secret: &str, body: &[u8], given: &[u8]) -> bool {
        let Ok(mut mac) = <M as KeyInit>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(given).is_ok()
    }
    match method.trim().to_ascii_lowercase().as_str() {
        "sha1" => check::<Hmac<sha1::Sha1>>(secret, body, &given),
        "sha256" => check::<Hmac<sha2::Sha256>>(secret, body, &given),
        "sha384" => check::<Hmac<sha2::Sha384>>(secret, body, &given),
        "sha512" => check::<Hmac<sha2::Sha512>>(secret, body, &given),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_forged_one_does_not() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let body = b"what do ya want for nothing?";
        assert_eq!(
            sign("Jefe", body),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(&sign("Jefe", body), "Jefe", body));
        assert!(verify(
            "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            "Jefe",
            body
        ));
        assert!(!verify(&sign("Jefe", body), "other", body));
        assert!(!verify(&sign("Jefe", body), "Jefe", b"tampered"));
        assert!(!verify("md5=00", "Jefe", body));
        assert!(!verify("sha256=zz", "Jefe", body));
        assert!(!verify("", "Jefe", body));
    }
}
