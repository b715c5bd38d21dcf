//! `MapSession`: an untyped session of string keys, like gorilla's `Values`.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::SystemTime;

use ciborium::Value;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::handle::{Handle, load_with_config};
use crate::options::SessionConfig;

/// The data of a [`MapSession`].
#[derive(Default, Serialize, Deserialize)]
struct Map {
    values: BTreeMap<String, Value>,
    flashes: Vec<Value>,
}

/// An untyped session: string keys to any serde value, plus flashes.
///
/// Useful for migrations and for data whose shape is not known at compile
/// time. It runs on the same machinery as typed sessions.
///
/// ```
/// use sessions::{CookieStore, Key, MapSession, SessionConfig, Sessions};
///
/// const PREFS: SessionConfig = SessionConfig::new("prefs");
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sessions = Sessions::new(CookieStore::new(Key::generate()));
/// let mut req = http::Request::new(());
/// sessions.attach(&mut req);
///
/// let prefs = MapSession::load(&req, PREFS).await?;
/// prefs.insert("lang", &"en")?;
/// prefs.add_flash(&"saved")?;
/// assert_eq!(prefs.get::<String>("lang")?, Some("en".to_owned()));
/// assert_eq!(prefs.flashes::<String>()?, ["saved"]);
/// assert!(prefs.flashes::<String>()?.is_empty()); // read once
/// # Ok::<(), sessions::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct MapSession(Handle<Map>);

impl MapSession {
    /// Loads the map session configured by `config` for this request.
    pub fn load<B>(
        req: &http::Request<B>,
        config: SessionConfig,
    ) -> impl Future<Output = Result<Self>> + Send + 'static + use<B> {
        let load = load_with_config::<Map>(req.extensions(), req.headers(), config);
        async move { load.await.map(Self) }
    }

    /// [`load`](Self::load) from request parts.
    pub fn load_parts(
        parts: &http::request::Parts,
        config: SessionConfig,
    ) -> impl Future<Output = Result<Self>> + Send + 'static + use<> {
        let load = load_with_config::<Map>(&parts.extensions, &parts.headers, config);
        async move { load.await.map(Self) }
    }

    /// The value under `key`, decoded as `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.0
            .with(|map| map.values.get(key).map(Value::deserialized).transpose())
            .map_err(|e| Error::Decode(Box::new(e)))
    }

    /// Stores `value` under `key`.
    pub fn insert<T: Serialize + ?Sized>(&self, key: impl Into<String>, value: &T) -> Result<()> {
        let value = Value::serialized(value).map_err(|e| Error::Encode(Box::new(e)))?;
        self.0.update(|map| map.values.insert(key.into(), value));
        Ok(())
    }

    /// Removes `key`; whether it was there.
    pub fn remove(&self, key: &str) -> bool {
        if !self.contains_key(key) {
            return false;
        }
        self.0.update(|map| map.values.remove(key).is_some())
    }

    /// Whether `key` holds a value.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.with(|map| map.values.contains_key(key))
    }

    /// Queues a read-once message.
    pub fn add_flash<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let value = Value::serialized(value).map_err(|e| Error::Encode(Box::new(e)))?;
        self.0.update(|map| map.flashes.push(value));
        Ok(())
    }

    /// Takes every queued message; they are gone after this.
    pub fn flashes<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        let taken = self.0.take_flash(|map| &mut map.flashes);
        taken
            .iter()
            .map(|v| v.deserialized().map_err(|e| Error::Decode(Box::new(e))))
            .collect()
    }

    /// Ends the session (see [`Handle::destroy`]).
    pub fn destroy(&self) {
        self.0.destroy();
    }

    /// New identity, same data (see [`Handle::renew`]).
    pub fn renew(&self) {
        self.0.renew();
    }

    /// "Remember me" (see [`Handle::set_persistent`]).
    pub fn set_persistent(&self, persistent: bool) {
        self.0.set_persistent(persistent);
    }

    /// Whether no live session came with the request.
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.0.is_new()
    }

    /// When the loaded session expires.
    #[must_use]
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.0.expires_at()
    }

    /// Saves this session alone into `res`.
    pub async fn save<B>(&self, res: &mut http::Response<B>) -> Result<()> {
        self.0.save(res).await
    }
}

impl fmt::Debug for MapSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MapSession").field(&self.0).finish()
    }
}
