//! Names (customer, user and segment ids) to small integers, in first-seen
//! order. Rolling up and merging look up a name for every record; a name of
//! up to 15 bytes (nearly every id) is keyed by its bytes packed into a
//! `u128`, so a lookup compares two integers and never reads the text of an
//! earlier record (a cache miss per record on a log with many users).

use polars::prelude::PlHashMap;

/// `name`'s bytes and length in one integer, when it has fewer than 16 bytes.
fn packed(name: &str) -> Option<u128> {
    let bytes = name.as_bytes();
    (bytes.len() < 16).then(|| {
        let mut b = [0u8; 16];
        b[..bytes.len()].copy_from_slice(bytes);
        b[15] = bytes.len() as u8;
        u128::from_le_bytes(b)
    })
}

/// Interned names borrowed from the frame being read.
#[derive(Default)]
pub struct Names<'a> {
    names: Vec<&'a str>,
    short: PlHashMap<u128, u32>,
    long: PlHashMap<&'a str, u32>,
}

impl<'a> Names<'a> {
    pub fn id(&mut self, name: &'a str) -> u32 {
        let next = self.names.len() as u32;
        let known = match packed(name) {
            Some(key) => *self.short.entry(key).or_insert(next),
            None => *self.long.entry(name).or_insert(next),
        };
        if known == next {
            self.names.push(name);
        }
        known
    }

    pub fn name(&self, id: u32) -> &'a str {
        self.names[id as usize]
    }
}

/// Interned names owned by the table (names read from many frames).
#[derive(Default)]
pub struct OwnedNames {
    names: Vec<String>,
    short: PlHashMap<u128, u32>,
    long: PlHashMap<String, u32>,
}

impl OwnedNames {
    /// Names already numbered 0, 1, … in this order.
    pub fn from_names(names: Vec<String>) -> Self {
        let mut out = OwnedNames::default();
        for n in &names {
            out.id(n);
        }
        debug_assert_eq!(out.names, names);
        out
    }

    pub fn id(&mut self, name: &str) -> u32 {
        let next = self.names.len() as u32;
        let known = match packed(name) {
            Some(key) => *self.short.entry(key).or_insert(next),
            None => match self.long.get(name) {
                Some(&id) => id,
                None => *self.long.entry(name.to_string()).or_insert(next),
            },
        };
        if known == next {
            self.names.push(name.to_string());
        }
        known
    }

    pub fn into_names(self) -> Vec<String> {
        self.names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_first_seen_ids_whatever_their_length() {
        let long = "a-customer-id-longer-than-fifteen-bytes";
        let text = ["u1", long, "", "u1", "u10", long, "fifteen-bytes!!", "fifteen-bytes!!"];
        let mut borrowed = Names::default();
        let mut owned = OwnedNames::default();
        let ids: Vec<u32> = text.iter().map(|t| borrowed.id(t)).collect();
        let owned_ids: Vec<u32> = text.iter().map(|t| owned.id(t)).collect();
        // First seen: u1 → 0, long → 1, "" → 2, u10 → 3, fifteen → 4.
        assert_eq!(ids, [0, 1, 2, 0, 3, 1, 4, 4]);
        assert_eq!(owned_ids, ids);
        assert_eq!(borrowed.name(3), "u10");
        assert_eq!(owned.into_names(), ["u1", long, "", "u10", "fifteen-bytes!!"]);
    }

    #[test]
    fn a_name_and_its_zero_padded_twin_stay_apart() {
        // Packing keeps the length: "a" and "a\0" must not share an id.
        let mut n = Names::default();
        assert_ne!(n.id("a"), n.id("a\0"));
    }
}
