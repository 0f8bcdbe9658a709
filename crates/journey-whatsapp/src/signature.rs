//! `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>` (§5.1).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Why a notification was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    /// Not `sha256=` followed by 64 hex digits.
    Malformed,
    Mismatch,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SignatureError::Missing => "the X-Hub-Signature-256 header is missing",
            SignatureError::Malformed => {
                "the X-Hub-Signature-256 header is not `sha256=` and 64 hex digits"
            }
            SignatureError::Mismatch => "the X-Hub-Signature-256 signature does not match the body",
        })
    }
}

/// Checks the header against the raw body bytes. The comparison takes the same time
/// whatever the signature, so a forger learns nothing from timing.
pub fn verify(app_secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex = header
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let claimed = decode_hex(hex).ok_or(SignatureError::Malformed)?;
    let expected = digest(app_secret, body);
    if bool::from(expected.as_slice().ct_eq(&claimed)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The header value Meta would send for this body: for tests and load tools.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let digest = digest(app_secret, body);
    let mut header = String::with_capacity(71);
    header.push_str("sha256=");
    for byte in digest {
        header.push_str(&format!("{byte:02x}"));
    }
    header
}

fn digest(app_secret: &[u8], body: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(app_secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    mac.finalize().into_bytes().into()
}

fn decode_hex(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let high = (pair[0] as char).to_digit(16)?;
        let low = (pair[1] as char).to_digit(16)?;
        out[i] = (high * 16 + low) as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_odd_headers_are_malformed() {
        assert_eq!(
            verify(b"k", b"{}", Some("sha1=00")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(b"k", b"{}", Some("sha256=zz")),
            Err(SignatureError::Malformed)
        );
        let bad = format!("sha256={}", "g".repeat(64));
        assert_eq!(
            verify(b"k", b"{}", Some(&bad)),
            Err(SignatureError::Malformed)
        );
        assert_eq!(verify(b"k", b"{}", None), Err(SignatureError::Missing));
    }

    #[test]
    fn sign_and_verify_agree() {
        let header = sign(b"secret", b"body");
        assert!(verify(b"secret", b"body", Some(&header)).is_ok());
        assert_eq!(
            verify(b"other", b"body", Some(&header)),
            Err(SignatureError::Mismatch)
        );
    }
}
