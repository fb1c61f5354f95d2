//! Request signatures. Pure: the same secret, id, timestamp and body always give the same header
//! values.
//!
//! Two schemes are sent side by side (DESIGN.md, "Delivery"):
//! - `X-Webhook-Signature` (the name and a prefix are wire settings, `crate::wire`): lowercase
//!   hex HMAC-SHA256, key = the whole `whsec_…` string as UTF-8, message = the raw body. Easy to
//!   verify by hand.
//! - `webhook-signature` ([Standard Webhooks](https://www.standardwebhooks.com/)): `v1,<base64>`
//!   of HMAC-SHA256, key = the base64-decoded part after `whsec_`, message =
//!   `"<id>.<timestamp>.<body>"`. One entry per live secret, space-separated, so receivers keep
//!   verifying while a secret is being rotated. Sent unless `standard_webhooks = false`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::crypto::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Version tag of the Standard Webhooks symmetric signature.
const STANDARD_VERSION: &str = "v1";

/// `X-Webhook-Signature`: lowercase hex HMAC-SHA256 of `body`, keyed with the secret string.
pub fn hex_signature(secret: &Secret, body: &[u8]) -> String {
    let mut mac = hmac(secret.expose().as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// `webhook-signature`: `v1,<base64>` for each secret, joined by single spaces (two entries
/// during rotation). An empty `secrets` slice gives an empty string.
pub fn standard_signature(
    secrets: &[&Secret],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    let timestamp = timestamp.to_string();
    secrets
        .iter()
        .map(|secret| {
            let mut mac = hmac(&secret.key_bytes());
            // Fed piecewise so a large body is not copied into a joined string.
            for part in [msg_id.as_bytes(), b".", timestamp.as_bytes(), b".", body] {
                mac.update(part);
            }
            let digest = STANDARD.encode(mac.finalize().into_bytes());
            format!("{STANDARD_VERSION},{digest}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn hmac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Standard Webhooks reference vector (also used by the official libraries' tests).
    const REF_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const REF_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const REF_TS: i64 = 1_614_265_330;
    const REF_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const REF_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn secret(s: &str) -> Secret {
        Secret::parse(s).unwrap()
    }

    #[test]
    fn standard_signature_matches_the_reference_vector() {
        let s = secret(REF_SECRET);
        assert_eq!(
            standard_signature(&[&s], REF_ID, REF_TS, REF_BODY),
            REF_SIGNATURE
        );
    }

    #[test]
    fn standard_signature_lists_every_secret_during_rotation() {
        let old = secret(REF_SECRET);
        let new = secret("whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=");
        let header = standard_signature(&[&old, &new], REF_ID, REF_TS, REF_BODY);
        // Second value computed independently with Python's hmac module.
        assert_eq!(
            header,
            format!("{REF_SIGNATURE} v1,CdhywrEFSVz1g/t8eymAqURvuhQarkOs584CNY0OjOs=")
        );
    }

    #[test]
    fn standard_signature_changes_with_id_timestamp_and_body() {
        let s = secret(REF_SECRET);
        let base = standard_signature(&[&s], REF_ID, REF_TS, REF_BODY);
        assert_ne!(
            base,
            standard_signature(&[&s], "msg_other", REF_TS, REF_BODY)
        );
        assert_ne!(
            base,
            standard_signature(&[&s], REF_ID, REF_TS + 1, REF_BODY)
        );
        assert_ne!(base, standard_signature(&[&s], REF_ID, REF_TS, b"{}"));
    }

    #[test]
    fn standard_signature_of_no_secrets_is_empty() {
        assert_eq!(standard_signature(&[], REF_ID, REF_TS, REF_BODY), "");
    }

    #[test]
    fn hex_signature_keys_with_the_whole_secret_string() {
        // Expected values from `openssl dgst -sha256 -hmac 'whsec_MfKQ…'`.
        let s = secret(REF_SECRET);
        assert_eq!(
            hex_signature(&s, REF_BODY),
            "80ec8a89ce3cd22133a1066caecb4d04fea7467657c8514d717ec42c38a5c94c"
        );
        assert_eq!(
            hex_signature(&s, b""),
            "da5f5865984e699a69cfec62ce49a76daf8ae4601b54a781fa13f3b2d3b2088a"
        );
    }

    #[test]
    fn hex_signature_is_64_lowercase_hex_digits_even_for_binary_bodies() {
        let sig = hex_signature(&Secret::generate(), &[0xff, 0x00, 0xfe]);
        assert_eq!(sig.len(), 64);
        assert!(
            sig.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
    }
}
