//! Three-way merge of a session's stored form, when another request saved
//! it since this one loaded it.
//!
//! The session is compared field by field at the level of CBOR values:
//! what this request loaded (`original`), what it would save (`mine`) and
//! what is stored now (`newer`). A field this request left as it loaded it
//! keeps the newer value, whatever the other request did; a field it
//! changed takes this request's value. When both changed the same field,
//! the later save (this one) wins, or the save fails with
//! [`Error::Conflict`] under [`OnConflict::Error`]. Flash fields merge
//! their items instead: every push survives and a taken item goes once.
//! `MapSession`'s values merge key by key.

use ciborium::Value;

use crate::codec;
use crate::error::{Error, Result};
use crate::options::OnConflict;

/// How the stored form of one session type merges.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MergeSpec {
    /// Fields whose value is a list (or option) of flash messages.
    pub(crate) flash: &'static [&'static str],
    /// Fields whose value is a map merged key by key.
    pub(crate) keyed: &'static [&'static str],
    pub(crate) on_conflict: OnConflict,
    /// The session's cookie name, for errors.
    pub(crate) session: &'static str,
}

/// The largest stored form merged; the registry never saves a larger one.
const MAX_LEN: usize = 1 << 20;

/// Applies what this request changed (`original` → `mine`) to `newer`, and
/// returns the encoded result.
pub(crate) fn rebase(
    original: &[u8],
    mine: &[u8],
    newer: &[u8],
    spec: &MergeSpec,
) -> Result<Vec<u8>> {
    let capacity = mine.len().max(newer.len()) + 64;
    let decode = |bytes| codec::decode_cbor::<Value>(bytes, MAX_LEN);
    let (original, mine, newer) = (decode(original)?, decode(mine)?, decode(newer)?);
    let merged = Merger { spec }.stored(&original, &mine, &newer)?;
    codec::encode_cbor(&merged.unwrap_or(Value::Null), capacity)
}

struct Merger<'a> {
    spec: &'a MergeSpec,
}

impl Merger<'_> {
    /// The stored form `(persistent, data)`: the flag as one value, the
    /// data field by field. Any other shape is one value.
    fn stored(&self, original: &Value, mine: &Value, newer: &Value) -> Result<Option<Value>> {
        match (original, mine, newer) {
            (Value::Array(o), Value::Array(m), Value::Array(n))
                if mine != original && o.len() == 2 && m.len() == 2 && n.len() == 2 =>
            {
                let persistent = self.whole(o.first(), m.first(), n.first(), "persistent")?;
                let data = self.data(o.get(1), m.get(1), n.get(1))?;
                Ok(Some(Value::Array(vec![
                    persistent.unwrap_or(Value::Bool(true)),
                    data.unwrap_or(Value::Null),
                ])))
            }
            _ => self.whole(Some(original), Some(mine), Some(newer), ""),
        }
    }

    /// Merges one field of the data; `None` is a field that is absent.
    fn field(
        &self,
        original: Option<&Value>,
        mine: Option<&Value>,
        newer: Option<&Value>,
        name: &str,
    ) -> Result<Option<Value>> {
        if mine == original {
            return Ok(newer.cloned());
        }
        match (original, mine, newer) {
            _ if self.spec.flash.contains(&name) => Ok(Some(flash(original, mine, newer))),
            (Some(Value::Map(o)), Some(Value::Map(m)), Some(Value::Map(n)))
                if self.spec.keyed.contains(&name) =>
            {
                let entries = entries(o, m, n, |o, m, n, key| self.whole(o, m, n, key))?;
                Ok(Some(Value::Map(entries)))
            }
            _ => self.whole(original, mine, newer, name),
        }
    }

    /// The user's data: a struct (a map of fields) merges field by field;
    /// anything else is one value.
    fn data(
        &self,
        original: Option<&Value>,
        mine: Option<&Value>,
        newer: Option<&Value>,
    ) -> Result<Option<Value>> {
        if mine == original {
            return Ok(newer.cloned());
        }
        match (original, mine, newer) {
            (Some(Value::Map(o)), Some(Value::Map(m)), Some(Value::Map(n))) => {
                let fields = entries(o, m, n, |o, m, n, name| self.field(o, m, n, name))?;
                Ok(Some(Value::Map(fields)))
            }
            _ => self.whole(original, mine, newer, "data"),
        }
    }

    /// One value that this request changed: it wins, unless the other
    /// request changed it too and the session asked for an error.
    fn whole(
        &self,
        original: Option<&Value>,
        mine: Option<&Value>,
        newer: Option<&Value>,
        name: &str,
    ) -> Result<Option<Value>> {
        if mine == original {
            return Ok(newer.cloned());
        }
        let both_changed = newer != original && newer != mine;
        if both_changed && self.spec.on_conflict == OnConflict::Error {
            return Err(Error::Conflict {
                session: self.spec.session,
                field: name.to_owned(),
            });
        }
        Ok(mine.cloned())
    }
}

/// A flash field: a list merges item by item (pushes are appended to the
/// newer list, taken items removed from it once); an option that this
/// request set wins, and one it took stays taken unless another request
/// set a new message meanwhile.
fn flash(original: Option<&Value>, mine: Option<&Value>, newer: Option<&Value>) -> Value {
    let empty = Vec::new();
    let items = |v: Option<&Value>| match v {
        Some(Value::Array(items)) => Some(items.clone()),
        None => Some(empty.clone()),
        _ => None,
    };
    match (items(original), items(mine), items(newer)) {
        (Some(o), Some(m), Some(mut n)) => {
            let (taken, pushed) = if m.starts_with(&o) {
                (&[][..], &m[o.len()..])
            } else {
                (&o[..], &m[..])
            };
            for item in taken {
                if let Some(at) = n.iter().position(|x| x == item) {
                    n.remove(at);
                }
            }
            n.extend_from_slice(pushed);
            Value::Array(n)
        }
        _ => match mine {
            Some(Value::Null) | None if newer != original => newer.cloned().unwrap_or(Value::Null),
            _ => mine.cloned().unwrap_or(Value::Null),
        },
    }
}

/// Merges two maps entry by entry: the newer map, with every entry this
/// request changed merged by `merge` (which gets the entry's key as text).
fn entries(
    original: &[(Value, Value)],
    mine: &[(Value, Value)],
    newer: &[(Value, Value)],
    merge: impl Fn(Option<&Value>, Option<&Value>, Option<&Value>, &str) -> Result<Option<Value>>,
) -> Result<Vec<(Value, Value)>> {
    let mut merged = newer.to_vec();
    let mut seen: Vec<&Value> = Vec::new();
    for (key, _) in original.iter().chain(mine) {
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let (o, m, n) = (get(original, key), get(mine, key), get(newer, key));
        if m != o {
            let value = merge(o, m, n, key.as_text().unwrap_or_default())?;
            set(&mut merged, key, value);
        }
    }
    Ok(merged)
}

fn get<'a>(map: &'a [(Value, Value)], key: &Value) -> Option<&'a Value> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn set(map: &mut Vec<(Value, Value)>, key: &Value, value: Option<Value>) {
    let at = map.iter().position(|(k, _)| k == key);
    match (at, value) {
        (Some(at), Some(value)) => map[at].1 = value,
        (Some(at), None) => {
            map.remove(at);
        }
        (None, Some(value)) => map.push((key.clone(), value)),
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Serialize, Deserialize, Default, Clone, PartialEq, Debug)]
    struct Data {
        a: u32,
        b: u32,
        notices: Vec<String>,
        banner: Option<String>,
    }

    const SPEC: MergeSpec = MergeSpec {
        flash: &["notices", "banner"],
        keyed: &[],
        on_conflict: OnConflict::LastWriteWins,
        session: "s",
    };

    fn enc<T: Serialize>(persistent: bool, data: &T) -> Vec<u8> {
        codec::encode_cbor(&(persistent, data), 64).unwrap()
    }

    fn merge(o: &Data, m: &Data, n: &Data, spec: &MergeSpec) -> Result<(bool, Data)> {
        let bytes = rebase(&enc(true, o), &enc(true, m), &enc(true, n), spec)?;
        codec::decode_cbor(&bytes, MAX_LEN)
    }

    fn notices(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn fields_changed_by_one_side_each_keep_both_changes() {
        let o = Data::default();
        let m = Data { a: 1, ..o.clone() };
        let n = Data { b: 2, ..o.clone() };
        let (_, merged) = merge(&o, &m, &n, &SPEC).unwrap();
        assert_eq!((merged.a, merged.b), (1, 2));
    }

    #[test]
    fn a_field_both_changed_goes_to_the_later_save_or_fails() {
        let o = Data::default();
        let m = Data { a: 1, ..o.clone() };
        let n = Data {
            a: 2,
            b: 3,
            ..o.clone()
        };
        let (_, merged) = merge(&o, &m, &n, &SPEC).unwrap();
        assert_eq!((merged.a, merged.b), (1, 3));
        let strict = MergeSpec {
            on_conflict: OnConflict::Error,
            ..SPEC
        };
        let err = merge(&o, &m, &n, &strict).unwrap_err();
        assert!(matches!(err, Error::Conflict { session: "s", ref field } if field == "a"));
        // The same new value on both sides is no conflict.
        let same = Data { a: 1, ..o.clone() };
        assert_eq!(merge(&o, &m, &same, &strict).unwrap().1.a, 1);
    }

    #[test]
    fn flash_pushes_from_both_sides_survive() {
        let o = Data {
            notices: notices(&["old"]),
            ..Data::default()
        };
        let m = Data {
            notices: notices(&["old", "mine"]),
            ..o.clone()
        };
        let n = Data {
            notices: notices(&["old", "theirs"]),
            ..o.clone()
        };
        let strict = MergeSpec {
            on_conflict: OnConflict::Error,
            ..SPEC
        };
        let (_, merged) = merge(&o, &m, &n, &strict).unwrap();
        assert_eq!(merged.notices, notices(&["old", "theirs", "mine"]));
    }

    #[test]
    fn a_taken_flash_goes_once_and_later_pushes_stay() {
        let o = Data {
            notices: notices(&["a"]),
            ..Data::default()
        };
        let taken = Data {
            notices: vec![],
            ..o.clone()
        };
        let n = Data {
            notices: notices(&["a", "b"]),
            ..o.clone()
        };
        assert_eq!(
            merge(&o, &taken, &n, &SPEC).unwrap().1.notices,
            notices(&["b"])
        );
        // Taken on both sides: gone, not an error, not back.
        let n = Data {
            notices: vec![],
            ..o.clone()
        };
        assert!(merge(&o, &taken, &n, &SPEC).unwrap().1.notices.is_empty());
    }

    #[test]
    fn an_option_flash_taken_here_and_set_there_keeps_the_new_message() {
        let o = Data {
            banner: Some("old".into()),
            ..Data::default()
        };
        let taken = Data {
            banner: None,
            ..o.clone()
        };
        let n = Data {
            banner: Some("new".into()),
            ..o.clone()
        };
        assert_eq!(
            merge(&o, &taken, &n, &SPEC).unwrap().1.banner.as_deref(),
            Some("new")
        );
        assert_eq!(merge(&o, &taken, &o, &SPEC).unwrap().1.banner, None);
    }

    #[test]
    fn keyed_maps_merge_key_by_key_with_removals() {
        #[derive(Serialize, Deserialize, Default, Clone, PartialEq, Debug)]
        struct Map {
            values: BTreeMap<String, u32>,
        }
        let map = |pairs: &[(&str, u32)]| Map {
            values: pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        };
        let spec = MergeSpec {
            keyed: &["values"],
            ..SPEC
        };
        let o = map(&[("gone", 1), ("kept", 2)]);
        let m = map(&[("kept", 2), ("mine", 3)]);
        let n = map(&[("gone", 1), ("kept", 2), ("theirs", 4)]);
        let bytes = rebase(&enc(true, &o), &enc(true, &m), &enc(true, &n), &spec).unwrap();
        let (_, merged): (bool, Map) = codec::decode_cbor(&bytes, MAX_LEN).unwrap();
        assert_eq!(merged, map(&[("kept", 2), ("mine", 3), ("theirs", 4)]));
    }

    #[test]
    fn the_persistence_flag_merges_like_a_field() {
        let d = Data::default();
        let changed = Data { a: 5, ..d.clone() };
        let bytes = rebase(&enc(true, &d), &enc(false, &d), &enc(true, &changed), &SPEC).unwrap();
        let (persistent, merged): (bool, Data) = codec::decode_cbor(&bytes, MAX_LEN).unwrap();
        assert_eq!((persistent, merged.a), (false, 5));
    }

    #[test]
    fn data_that_is_not_a_struct_merges_as_one_value() {
        let bytes = rebase(&enc(true, &1u8), &enc(true, &2u8), &enc(true, &3u8), &SPEC).unwrap();
        assert_eq!(
            codec::decode_cbor::<(bool, u8)>(&bytes, MAX_LEN).unwrap().1,
            2
        );
    }
}
