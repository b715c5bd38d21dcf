//! The raw floor: the same primitives the library uses, with nothing
//! around them. CBOR (ciborium), AES-256-GCM with a key schedule built once
//! and a nonce from the thread-local CSPRNG (or HMAC-SHA256 with a keyed
//! state built once), and one base64url pass without padding.
//!
//! The cookie name is the associated data / the first MAC input: the least
//! any cookie sealer must bind. There is no version, key id or expiry.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

const NONCE_LEN: usize = 12;
const GCM_TAG_LEN: usize = 16;
const HMAC_TAG_LEN: usize = 32;

/// Room for any cookie-sized payload: one allocation per seal.
const CAPACITY: usize = 4096;

/// CBOR + AES-256-GCM + base64url.
pub struct FloorEncrypted {
    cipher: Aes256Gcm,
}

impl FloorEncrypted {
    /// A sealer with the key schedule built once.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// `nonce | ciphertext | tag`, base64url.
    pub fn seal<T: Serialize>(&self, name: &str, value: &T) -> String {
        let mut buf = Vec::with_capacity(CAPACITY);
        buf.resize(NONCE_LEN, 0);
        rand::rng().fill_bytes(&mut buf);
        ciborium::into_writer(value, &mut buf).expect("CBOR encodes into a vector");
        let (nonce, body) = buf.split_at_mut(NONCE_LEN);
        let tag = self
            .cipher
            .encrypt_in_place_detached(Nonce::from_slice(nonce), name.as_bytes(), body)
            .expect("a cookie-sized payload encrypts");
        buf.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(&buf)
    }

    /// Decodes, decrypts in place and decodes the CBOR.
    pub fn open<T: DeserializeOwned>(&self, name: &str, sealed: &str) -> Option<T> {
        let mut buf = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if buf.len() < NONCE_LEN + GCM_TAG_LEN {
            return None;
        }
        let (nonce, body) = buf.split_at_mut(NONCE_LEN);
        let (body, tag) = body.split_at_mut(body.len() - GCM_TAG_LEN);
        self.cipher
            .decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                name.as_bytes(),
                body,
                Tag::from_slice(tag),
            )
            .ok()?;
        ciborium::from_reader(&*body).ok()
    }
}

/// CBOR + HMAC-SHA256 + base64url.
pub struct FloorSigned {
    mac: Hmac<Sha256>,
}

impl FloorSigned {
    /// A signer with the keyed HMAC state built once.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            mac: <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key"),
        }
    }

    fn tag(&self, name: &str, payload: &[u8]) -> [u8; HMAC_TAG_LEN] {
        let mut mac = self.mac.clone();
        mac.update(name.as_bytes());
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }

    /// `payload | tag`, base64url.
    pub fn seal<T: Serialize>(&self, name: &str, value: &T) -> String {
        let mut buf = Vec::with_capacity(CAPACITY);
        ciborium::into_writer(value, &mut buf).expect("CBOR encodes into a vector");
        let tag = self.tag(name, &buf);
        buf.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(&buf)
    }

    /// Decodes, verifies (constant time) and decodes the CBOR.
    pub fn open<T: DeserializeOwned>(&self, name: &str, sealed: &str) -> Option<T> {
        let buf = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let body_len = buf.len().checked_sub(HMAC_TAG_LEN)?;
        let (body, tag) = buf.split_at(body_len);
        let mut mac = self.mac.clone();
        mac.update(name.as_bytes());
        mac.update(body);
        mac.verify_slice(tag).ok()?;
        ciborium::from_reader(body).ok()
    }
}
