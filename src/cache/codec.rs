//! A small binary encoding for the caches: varint integers, length-prefixed
//! strings, no field names. Decoding never panics and never trusts a
//! length: bad input gives `None`, and the caller throws the entry away.
//!
//! Structs are encoded through [`record!`], which destructures every field
//! by name: a field added to a cached type is a compile error here until it
//! is encoded too, so a cache can never silently drop one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// A value the caches can store.
pub trait Codec: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(input: &mut Reader<'_>) -> Option<Self>;
}

/// Reads encoded values from a byte slice.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    pub fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// A length that cannot exceed what is left to read.
    pub fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= self.bytes.len()).then_some(n)
    }

    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
}

pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

impl Codec for u64 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, *self);
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        input.varint()
    }
}

impl Codec for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, u64::from(*self));
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        u32::try_from(input.varint()?).ok()
    }
}

impl Codec for i64 {
    fn encode(&self, out: &mut Vec<u8>) {
        // Zig-zag, so that small negative numbers stay short.
        put_varint(out, ((*self << 1) ^ (*self >> 63)) as u64);
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        let v = input.varint()?;
        Some(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
}

impl Codec for f64 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bits().to_le_bytes());
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        Some(f64::from_bits(u64::from_le_bytes(input.array()?)))
    }
}

impl Codec for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        match input.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Codec for String {
    fn encode(&self, out: &mut Vec<u8>) {
        put_bytes(out, self.as_bytes());
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        let n = input.len()?;
        String::from_utf8(input.take(n)?.to_vec()).ok()
    }
}

impl<T: Codec> Codec for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                value.encode(out);
            }
        }
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        match input.byte()? {
            0 => Some(None),
            1 => Some(Some(T::decode(input)?)),
            _ => None,
        }
    }
}

impl<T: Codec> Codec for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, self.len() as u64);
        for item in self {
            item.encode(out);
        }
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        // Every item takes at least one byte: a count beyond the bytes
        // left is corrupt, and allocating it could exhaust memory.
        let n = input.len()?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(T::decode(input)?);
        }
        Some(items)
    }
}

impl<V: Codec> Codec for BTreeMap<String, V> {
    fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, self.len() as u64);
        for (key, value) in self {
            key.encode(out);
            value.encode(out);
        }
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        let n = input.len()?;
        let mut map = BTreeMap::new();
        for _ in 0..n {
            let key = String::decode(input)?;
            map.insert(key, V::decode(input)?);
        }
        Some(map)
    }
}

impl<A: Codec, B: Codec> Codec for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        Some((A::decode(input)?, B::decode(input)?))
    }
}

impl Codec for DateTime<Utc> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.timestamp().encode(out);
        self.timestamp_subsec_nanos().encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        let seconds = i64::decode(input)?;
        let nanos = u32::decode(input)?;
        DateTime::from_timestamp(seconds, nanos)
    }
}

/// Implements [`Codec`] for a struct with named fields, listing every
/// field: the destructuring fails to compile when one is missing.
macro_rules! record {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl $crate::cache::codec::Codec for $ty {
            fn encode(&self, out: &mut Vec<u8>) {
                let $ty { $($field),* } = self;
                $( $crate::cache::codec::Codec::encode($field, out); )*
            }
            fn decode(input: &mut $crate::cache::codec::Reader<'_>) -> Option<Self> {
                Some($ty { $($field: $crate::cache::codec::Codec::decode(input)?),* })
            }
        }
    };
}
pub(crate) use record;

/// Implements [`Codec`] for a field-less enum through a fixed table of
/// variant numbers (not the declaration order, which may change).
macro_rules! tags {
    ($ty:ident { $($variant:ident = $tag:literal),* $(,)? }) => {
        impl $crate::cache::codec::Codec for $ty {
            fn encode(&self, out: &mut Vec<u8>) {
                out.push(match self { $($ty::$variant => $tag),* });
            }
            fn decode(input: &mut $crate::cache::codec::Reader<'_>) -> Option<Self> {
                match input.byte()? {
                    $($tag => Some($ty::$variant),)*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use tags;

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Codec + PartialEq + std::fmt::Debug>(value: T) {
        let mut bytes = Vec::new();
        value.encode(&mut bytes);
        let mut reader = Reader::new(&bytes);
        assert_eq!(T::decode(&mut reader), Some(value));
        assert!(reader.is_empty());
    }

    #[test]
    fn values_round_trip() {
        round_trip(0u64);
        round_trip(u64::MAX);
        round_trip(300u32);
        round_trip(-1i64);
        round_trip(i64::MIN);
        round_trip(i64::MAX);
        round_trip(1.5f64);
        round_trip(true);
        round_trip("grüße".to_string());
        round_trip(Some(vec![(String::from("a"), 1u64)]));
        round_trip(None::<String>);
        round_trip(BTreeMap::from([("k".to_string(), 7u64)]));
        round_trip(DateTime::from_timestamp(1_795_000_000, 123).unwrap());
    }

    #[test]
    fn bad_input_gives_none() {
        // A vector claiming more items than there are bytes.
        let mut reader = Reader::new(&[0xff, 0xff, 0x03]);
        assert_eq!(Vec::<u64>::decode(&mut reader), None);
        // Invalid UTF-8.
        assert_eq!(String::decode(&mut Reader::new(&[2, 0xc3, 0x28])), None);
        // A varint that never ends.
        assert_eq!(u64::decode(&mut Reader::new(&[0x80; 11])), None);
        assert_eq!(bool::decode(&mut Reader::new(&[2])), None);
    }
}
