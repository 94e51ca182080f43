//! The canonical form of an event written straight from the `Event`, without building a
//! `serde_json::Value` first: the chained sinks' hot path.
//!
//! The bytes are exactly those of [`canonical`](super::canonical) for the event's
//! `Value` with `hash` removed and `prev` set — the form the verifier recomputes from a
//! parsed line. Objects are written member by member into the output, then their
//! members are put in key order (UTF-8 bytes; of equal keys the last wins, as in a
//! `Value` map). Scalars go through `serde_json`'s own formatting, as in the `Value`
//! path, and an `f32` is widened to `f64` first, as `serde_json::to_value` does.
//!
//! Whatever this writer does not reproduce exactly (`serde_json`'s private number and
//! raw-value types, 128-bit integers, tuple and struct enum variants, map keys
//! that are not strings, integers, `char` or `bool`) is refused with [`Unsupported`]; the
//! caller then takes the `Value` path. Events hold none of these.

use std::borrow::Cow;
use std::fmt::Display;

use serde::ser::{self, Serialize};

use super::event::Event;

/// The event holds something this writer does not reproduce exactly.
#[derive(Debug)]
pub(crate) struct Unsupported;

impl Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not reproducible by the direct canonical writer")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: Display>(_msg: T) -> Self {
        Unsupported
    }
}

/// Appends the canonical form of `event` with `prev` as its `prev` and no `hash`. On
/// `Err`, `out` is left as it was.
pub(crate) fn write_event(event: &Event, prev: &str, out: &mut Vec<u8>) -> Result<(), Unsupported> {
    let start = out.len();
    let mut writer = Writer {
        out,
        top_prev: Some(prev),
        members: Vec::new(),
        scratch: Vec::new(),
    };
    let written = event.serialize(&mut writer);
    if written.is_err() {
        out.truncate(start);
    }
    written
}

/// Names under which `serde_json` passes its own number and raw-value types.
const SERDE_JSON_PRIVATE: &str = "$serde_json::private::";

struct Writer<'a> {
    out: &'a mut Vec<u8>,
    /// Until the top-level object is opened: the `prev` it gets.
    top_prev: Option<&'a str>,
    /// The members of every open object, innermost last.
    members: Vec<Member>,
    /// Where an object's members are copied while they are put in order.
    scratch: Vec<u8>,
}

impl<'a> Writer<'a> {
    fn scalar<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        serde_json::to_writer(&mut *self.out, value).map_err(|_| Unsupported)
    }

    fn open_object(&mut self) -> Object<'_, 'a> {
        let top_prev = self.top_prev.take();
        let start = self.out.len();
        let base = self.members.len();
        Object {
            start,
            base,
            pending_key: None,
            top_prev,
            writer: self,
        }
    }

    fn open_array(&mut self) -> Array<'_, 'a> {
        self.top_prev = None;
        self.out.push(b'[');
        Array {
            first: true,
            writer: self,
        }
    }
}

/// One member written into an open object: its key and where `"key":value` lies,
/// relative to the object's start.
struct Member {
    key: Cow<'static, str>,
    start: usize,
    end: usize,
}

/// An object being written: members go to the output as they come and are put in
/// order by [`Object::close`].
struct Object<'w, 'o> {
    writer: &'w mut Writer<'o>,
    start: usize,
    /// Where this object's members begin in the writer's member stack.
    base: usize,
    pending_key: Option<Cow<'static, str>>,
    /// For the top-level object: the `prev` it gets (its own `prev` and `hash` are
    /// left out).
    top_prev: Option<&'o str>,
}

impl Object<'_, '_> {
    fn member<T: Serialize + ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: &T,
    ) -> Result<(), Unsupported> {
        if self.top_prev.is_some() && (key == "hash" || key == "prev") {
            return Ok(());
        }
        let out_start = self.writer.out.len();
        self.writer.scalar(key.as_ref())?;
        self.writer.out.push(b':');
        value.serialize(&mut *self.writer)?;
        self.writer.members.push(Member {
            key,
            start: out_start - self.start,
            end: self.writer.out.len() - self.start,
        });
        Ok(())
    }

    fn close(mut self) -> Result<(), Unsupported> {
        if let Some(prev) = self.top_prev.take() {
            self.member(Cow::Borrowed("prev"), prev)?;
        }
        let Writer {
            out,
            members,
            scratch,
            ..
        } = &mut *self.writer;
        scratch.clear();
        scratch.extend_from_slice(out.get(self.start..).unwrap_or_default());
        out.truncate(self.start);
        let mine = members.get_mut(self.base..).unwrap_or_default();
        // Stable: of equal keys the one written last stays last.
        mine.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
        out.push(b'{');
        let mut first = true;
        for (i, m) in mine.iter().enumerate() {
            let overridden = mine.get(i + 1).is_some_and(|next| next.key == m.key);
            if overridden {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(scratch.get(m.start..m.end).ok_or(Unsupported)?);
        }
        members.truncate(self.base);
        out.push(b'}');
        Ok(())
    }
}

struct Array<'w, 'o> {
    writer: &'w mut Writer<'o>,
    first: bool,
}

impl Array<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        if !self.first {
            self.writer.out.push(b',');
        }
        self.first = false;
        value.serialize(&mut *self.writer)
    }

    fn close(self) -> Result<(), Unsupported> {
        self.writer.out.push(b']');
        Ok(())
    }
}

/// Scalars the `Value` path writes with `serde_json`'s own formatting.
macro_rules! scalars_through_serde_json {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<(), Unsupported> {
            self.scalar(&v)
        })*
    };
}

/// Map keys `serde_json::to_value` turns into their text.
macro_rules! keys_as_text {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<String, Unsupported> {
            Ok(v.to_string())
        })*
    };
}

impl<'w, 'o: 'w> ser::Serializer for &'w mut Writer<'o> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Array<'w, 'o>;
    type SerializeTuple = Array<'w, 'o>;
    type SerializeTupleStruct = Array<'w, 'o>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = Object<'w, 'o>;
    type SerializeStruct = Object<'w, 'o>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    scalars_through_serde_json! {
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_char: char,
    }
    fn serialize_i128(self, _v: i128) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u128(self, _v: u128) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Unsupported> {
        self.scalar(&f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        self.scalar(&v)
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.scalar(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Unsupported> {
        self.scalar(v)
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unsupported> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.scalar(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        if name.starts_with(SERDE_JSON_PRIVATE) {
            return Err(Unsupported);
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        let mut object = self.open_object();
        object.member(Cow::Borrowed(variant), value)?;
        object.close()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'w, 'o>, Unsupported> {
        Ok(self.open_array())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Array<'w, 'o>, Unsupported> {
        Ok(self.open_array())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Array<'w, 'o>, Unsupported> {
        Ok(self.open_array())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'w, 'o>, Unsupported> {
        Ok(self.open_object())
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Object<'w, 'o>, Unsupported> {
        if name.starts_with(SERDE_JSON_PRIVATE) {
            return Err(Unsupported);
        }
        Ok(self.open_object())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

impl ser::SerializeSeq for Array<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

impl ser::SerializeTuple for Array<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

impl ser::SerializeTupleStruct for Array<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

impl ser::SerializeMap for Object<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        self.pending_key = Some(Cow::Owned(key.serialize(KeyWriter)?));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        let key = self.pending_key.take().ok_or(Unsupported)?;
        self.member(key, value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

impl ser::SerializeStruct for Object<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.member(Cow::Borrowed(key), value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

/// Map keys as `serde_json::to_value` accepts them: strings, `char`, integers and
/// `bool`, as their text.
struct KeyWriter;

impl ser::Serializer for KeyWriter {
    type Ok = String;
    type Error = Unsupported;
    type SerializeSeq = ser::Impossible<String, Unsupported>;
    type SerializeTuple = ser::Impossible<String, Unsupported>;
    type SerializeTupleStruct = ser::Impossible<String, Unsupported>;
    type SerializeTupleVariant = ser::Impossible<String, Unsupported>;
    type SerializeMap = ser::Impossible<String, Unsupported>;
    type SerializeStruct = ser::Impossible<String, Unsupported>;
    type SerializeStructVariant = ser::Impossible<String, Unsupported>;

    fn serialize_str(self, v: &str) -> Result<String, Unsupported> {
        Ok(v.to_owned())
    }
    keys_as_text! {
        serialize_char: char,
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Unsupported> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Unsupported> {
        value.serialize(self)
    }
    fn serialize_i128(self, _v: i128) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u128(self, _v: u128) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f32(self, _v: f32) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f64(self, _v: f64) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::*;
    use crate::identity::IdentityKind;
    use crate::policy::Action;
    use crate::record::event::*;

    /// What the `Value` path writes for `event` linked after `prev`.
    fn through_value(event: &Event, prev: &str) -> Vec<u8> {
        let mut value = serde_json::to_value(event).unwrap();
        let map = value.as_object_mut().unwrap();
        map.insert("prev".into(), Value::String(prev.into()));
        map.remove("hash");
        let mut out = Vec::new();
        crate::record::canonical::write_canonical(&value, None, &mut out);
        out
    }

    /// Arguments with everything ordering and escaping can get wrong: keys out of order
    /// and differing only in case, non-ASCII and escaped keys, an empty key, `prev` and
    /// `hash` below the top level, floats, negative and large integers, nesting.
    fn tricky_arguments() -> Value {
        json!({
            "zeta": 1, "Zeta": 2, "alpha": [3, {"b": 1, "a": 2}], "": "empty key",
            "é": "accent", "日本": "cjk", "a\"q": "quote", "ctl\u{1}": "\u{0}\u{1f}\n\t\\",
            "prev": "not the chain's", "hash": "not the event's",
            "floats": [0.1, 1.0, -0.0, 1e300, 2.5e-8], "ints": [-9_007_199_254_740_993_i64, u64::MAX],
            "nested": {"z": {"y": {"x": [[], {}, null, true, false]}}},
            "emoji": "🦀 \u{2028}\u{2029}"
        })
    }

    fn samples() -> Vec<Event> {
        let mut who = IdentitySummary::new("alice \"a\" ☃", IdentityKind::Agent);
        who.groups = vec!["ops".into(), "analysts".into()];
        who.token_expiry = Some("2025-06-01T12:00:00Z".into());
        let mut result = ResultRecord::new(true, 5);
        result.redactions = BTreeMap::from([("US_SSN".to_owned(), 2), ("EMAIL".to_owned(), 1)]);
        result.content = Some("{\"a\":\"[REDACTED:EMAIL]\"}".into());
        result.truncated = true;
        let mut notification = NotificationRecord::new("sampling/createMessage");
        notification.id = Some(json!("id-9"));
        notification.params = Some("{}".into());
        let killed = SessionKilledRecord {
            by: Some("ops".into()),
            ..SessionKilledRecord::default()
        };
        let mut linked = Event::session_ended("s", who.clone(), EndReason::Idle);
        linked.prev = Some("stale".into());
        linked.hash = Some("stale".into());
        vec![
            Event::session_started(
                "s",
                who.clone(),
                SessionStartedRecord::new(Some("c".into()), None, Some("2025-06-18".into())),
            ),
            Event::call(
                "s",
                who.clone(),
                CallRecord::new(
                    "tools/call",
                    DecisionRecord::new(Action::Approve, Some("r".into()), Some("why".into())),
                )
                .with_id(json!(1))
                .with_tool("db.query")
                .with_arguments(tricky_arguments())
                .with_classification(ClassificationRecord::default()),
            ),
            Event::approval_requested("s", who.clone(), ApprovalRequestedRecord::new("t1")),
            Event::approval_decided(
                "s",
                who.clone(),
                ApprovalDecidedRecord::new("t1", ApprovalOutcome::Approved),
            ),
            Event::result("s", who.clone(), result),
            Event::notification("s", who.clone(), notification),
            Event::session_killed("s", who, killed),
            linked,
            Event::unattached(
                EventBody::Checkpoint(CheckpointRecord {
                    head: "ab".repeat(32),
                    hmac: Some("cd".repeat(32)),
                }),
                7,
            ),
            Event::unattached(
                EventBody::Gap(GapRecord {
                    sink: "jsonl".into(),
                    first_seq: 3,
                    last_seq: 5,
                    count: 3,
                }),
                5,
            ),
        ]
    }

    #[test]
    fn every_kind_is_written_directly_and_exactly_as_the_value_path_writes_it() {
        let prev = "0".repeat(64);
        for event in samples() {
            let mut direct = b"kept".to_vec();
            write_event(&event, &prev, &mut direct)
                .unwrap_or_else(|_| panic!("{} fell back to the Value path", event.kind()));
            let expected = through_value(&event, &prev);
            assert_eq!(
                String::from_utf8_lossy(&direct[4..]),
                String::from_utf8_lossy(&expected),
                "{}",
                event.kind()
            );
            assert_eq!(&direct[..4], b"kept");
        }
    }

    #[test]
    fn map_keys_that_are_not_strings_are_written_as_the_value_path_writes_them() {
        let maps: [&dyn erased::Probe; 3] = [
            &BTreeMap::from([(10u32, "ten"), (9, "nine"), (100, "hundred")]),
            &BTreeMap::from([(true, 1), (false, 0)]),
            &BTreeMap::from([('b', [1.5]), ('a', [-2.0])]),
        ];
        for map in maps {
            let mut direct = Vec::new();
            map.write(&mut direct).unwrap();
            let mut expected = Vec::new();
            crate::record::canonical::write_canonical(&map.value(), None, &mut expected);
            assert_eq!(
                String::from_utf8_lossy(&direct),
                String::from_utf8_lossy(&expected)
            );
        }
    }

    /// Writes any serializable test value both ways.
    mod erased {
        use serde::Serialize;
        use serde_json::Value;

        use super::super::{Unsupported, Writer};

        pub(super) trait Probe {
            fn write(&self, out: &mut Vec<u8>) -> Result<(), Unsupported>;
            fn value(&self) -> Value;
        }

        impl<T: Serialize> Probe for T {
            fn write(&self, out: &mut Vec<u8>) -> Result<(), Unsupported> {
                let mut writer = Writer {
                    out,
                    top_prev: None,
                    members: Vec::new(),
                    scratch: Vec::new(),
                };
                self.serialize(&mut writer)
            }
            fn value(&self) -> Value {
                serde_json::to_value(self).unwrap()
            }
        }
    }

    #[test]
    fn what_it_cannot_reproduce_is_refused_and_leaves_the_output_alone() {
        let raw = serde_json::value::RawValue::from_string("{\"b\":1,\"a\":2}".into()).unwrap();
        let mut out = b"kept".to_vec();
        let mut writer = Writer {
            out: &mut out,
            top_prev: None,
            members: Vec::new(),
            scratch: Vec::new(),
        };
        assert!(raw.serialize(&mut writer).is_err());
        assert!(1u128.serialize(&mut writer).is_err());
        assert!(
            BTreeMap::from([((1, 2), 3)])
                .serialize(&mut writer)
                .is_err()
        );
        assert_eq!(out, b"kept");
        let event = Event::call(
            "s",
            IdentitySummary::new("a", IdentityKind::User),
            CallRecord::new("tools/call", DecisionRecord::new(Action::Allow, None, None))
                .with_arguments(json!({"n": 1})),
        );
        let mut out = b"kept".to_vec();
        write_event(&event, "p", &mut out).unwrap();
        assert!(out.starts_with(b"kept{"));
    }
}
