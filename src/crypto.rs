//! Secrets and keys: `whsec_` signing secrets, encryption at rest (XChaCha20-Poly1305 with a key
//! file created on first start), random tokens, SHA-256 key hashes and constant-time comparison.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, Generate, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The key file in `data_dir` when `secret_key` is not set.
pub const KEY_FILE: &str = "secret.key";
const NONCE_LEN: usize = 24;
pub const SECRET_PREFIX: &str = "whsec_";

/// Encrypts and decrypts secrets at rest, and MACs values the server hands out and must
/// recognise (form tokens). Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Keyring {
    cipher: XChaCha20Poly1305,
    /// Derived from the key, so a MAC never reveals anything about the encryption key.
    mac_key: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(***)")
    }
}

impl Keyring {
    /// Uses the configured key, else `<data_dir>/secret.key`, creating it (0600) if missing.
    pub fn load_or_create(data_dir: &Path, configured: Option<&str>) -> anyhow::Result<Keyring> {
        let key = match configured {
            Some(b64) => decode_key(b64).context("secret_key: must be base64 of 32 bytes")?,
            None => {
                let path = data_dir.join(KEY_FILE);
                if path.exists() {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read key file {}", path.display()))?;
                    decode_key(text.trim())
                        .with_context(|| format!("key file {} is damaged", path.display()))?
                } else {
                    let key: [u8; 32] = rand::random();
                    write_private(&path, &STANDARD.encode(key))?;
                    key
                }
            }
        };
        Ok(Keyring {
            cipher: XChaCha20Poly1305::new(&key.into()),
            mac_key: Sha256::new()
                .chain_update(b"hookd mac key v1\0")
                .chain_update(key)
                .finalize()
                .into(),
        })
    }

    /// base64url HMAC-SHA256 of `data` for `purpose` (a MAC for one purpose is no use for another).
    pub fn mac(&self, purpose: &str, data: &str) -> String {
        use hmac::{KeyInit as _, Mac};
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&self.mac_key)
            .expect("HMAC accepts keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(data.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// nonce ‖ ciphertext.
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce = XNonce::generate();
        let mut out = nonce.to_vec();
        out.extend(
            self.cipher
                .encrypt(&nonce, plaintext)
                .expect("XChaCha20 encryption cannot fail"),
        );
        out
    }

    pub fn decrypt(&self, stored: &[u8]) -> anyhow::Result<Vec<u8>> {
        if stored.len() < NONCE_LEN {
            bail!("ciphertext too short");
        }
        let nonce = XNonce::try_from(&stored[..NONCE_LEN]).context("bad nonce")?;
        self.cipher
            .decrypt(&nonce, &stored[NONCE_LEN..])
            .map_err(|_| {
                anyhow::anyhow!(
                    "cannot decrypt a stored secret: the encryption key (secret.key or secret_key) \
                 is not the one it was written with"
                )
            })
    }
}

fn decode_key(b64: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD.decode(b64.trim())?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("key must be 32 bytes"))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create key file {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents)
        .with_context(|| format!("cannot create key file {}", path.display()))
}

/// A `whsec_` signing secret. `Debug` is redacted; the full value leaves only through `expose`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

impl Secret {
    pub fn generate() -> Secret {
        Secret(format!(
            "{SECRET_PREFIX}{}",
            STANDARD.encode(rand::random::<[u8; 32]>())
        ))
    }

    /// Accepts `whsec_` + standard base64 of 24–64 bytes.
    pub fn parse(s: &str) -> Result<Secret, &'static str> {
        let rest = s
            .strip_prefix(SECRET_PREFIX)
            .ok_or("must start with whsec_")?;
        let bytes = STANDARD
            .decode(rest)
            .map_err(|_| "the part after whsec_ must be base64")?;
        if !(24..=64).contains(&bytes.len()) {
            return Err("must encode between 24 and 64 bytes");
        }
        Ok(Secret(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Key for Standard Webhooks signatures: the base64-decoded part after `whsec_`.
    pub fn key_bytes(&self) -> Vec<u8> {
        STANDARD
            .decode(&self.0[SECRET_PREFIX.len()..])
            .unwrap_or_default()
    }

    /// `whsec_••••abcd`: enough to tell secrets apart, useless to an attacker.
    pub fn masked(&self) -> String {
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("{SECRET_PREFIX}••••{tail}")
    }
}

/// A random token: `prefix` + base64url of `n` random bytes.
pub fn random_token(prefix: &str, n: usize) -> String {
    let bytes: Vec<u8> = (0..n).map(|_| rand::random::<u8>()).collect();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_round_trips_and_another_key_cannot_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let k = Keyring::load_or_create(dir.path(), None).unwrap();
        let sealed = k.encrypt(b"whsec_abc");
        assert_ne!(&sealed[NONCE_LEN..], b"whsec_abc");
        assert_eq!(k.decrypt(&sealed).unwrap(), b"whsec_abc");
        let again = Keyring::load_or_create(dir.path(), None).unwrap();
        assert_eq!(again.decrypt(&sealed).unwrap(), b"whsec_abc");
        let other = Keyring::load_or_create(tempfile::tempdir().unwrap().path(), None).unwrap();
        assert!(other.decrypt(&sealed).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        Keyring::load_or_create(dir.path(), None).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn secrets_parse_mask_and_never_debug_in_full() {
        let s = Secret::generate();
        assert_eq!(s.key_bytes().len(), 32);
        assert!(Secret::parse(s.expose()).is_ok());
        assert!(!format!("{s:?}").contains(&s.expose()[6..]));
        assert!(s.masked().starts_with("whsec_••••"));
        assert!(Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        assert!(Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(Secret::parse("whsec_c2hvcnQ=").is_err());
        assert!(Secret::parse("whsec_!!!").is_err());
    }
}
