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

/// Sums per name and group (a few groups per name), found with one hash
/// lookup: the name's first group lives in its hash slot, further groups in
/// a chain. Rolling up keys users this way (group: day, segment, flag), so a
/// row costs one random memory access for its user, not three.
pub struct Grouped<'a, K, V> {
    names: Vec<&'a str>,
    short: PlHashMap<u128, Slot<K, V>>,
    long: PlHashMap<&'a str, Slot<K, V>>,
    more: Vec<(K, V, u32)>,
}

struct Slot<K, V> {
    id: u32,
    key: K,
    value: V,
    /// 1 + the index of the next group in `more`; 0: none.
    next: u32,
}

impl<K, V> Default for Grouped<'_, K, V> {
    fn default() -> Self {
        Grouped {
            names: Vec::new(),
            short: PlHashMap::default(),
            long: PlHashMap::default(),
            more: Vec::new(),
        }
    }
}

impl<'a, K: Copy + PartialEq, V: Default> Grouped<'a, K, V> {
    /// The sums of (`name`, `key`), made on first use.
    pub fn get(&mut self, name: &'a str, key: K) -> &mut V {
        let next = self.names.len() as u32;
        let new = || Slot {
            id: next,
            key,
            value: V::default(),
            next: 0,
        };
        let slot = match packed(name) {
            Some(k) => self.short.entry(k).or_insert_with(new),
            None => self.long.entry(name).or_insert_with(new),
        };
        if slot.id == next {
            self.names.push(name);
        }
        if slot.key == key {
            return &mut slot.value;
        }
        if slot.next == 0 {
            self.more.push((key, V::default(), 0));
            slot.next = self.more.len() as u32;
            return &mut self.more.last_mut().expect("just pushed").1;
        }
        let mut j = (slot.next - 1) as usize;
        loop {
            if self.more[j].0 == key {
                return &mut self.more[j].1;
            }
            match self.more[j].2 {
                0 => {
                    self.more.push((key, V::default(), 0));
                    let last = self.more.len();
                    self.more[j].2 = last as u32;
                    return &mut self.more[last - 1].1;
                }
                n => j = (n - 1) as usize,
            }
        }
    }

    /// Every (name, key, sums), names in first-seen order (keys of a name
    /// in first-seen order).
    pub fn into_groups(self) -> Vec<(&'a str, K, V)> {
        let mut slots: Vec<Slot<K, V>> = self.short.into_values().chain(self.long.into_values()).collect();
        slots.sort_unstable_by_key(|s| s.id);
        let mut more: Vec<Option<(K, V, u32)>> = self.more.into_iter().map(Some).collect();
        let mut out = Vec::with_capacity(slots.len() + more.len());
        for s in slots {
            let name = self.names[s.id as usize];
            out.push((name, s.key, s.value));
            let mut next = s.next;
            while next != 0 {
                let (k, v, n) = more[(next - 1) as usize].take().expect("each group is in one chain");
                out.push((name, k, v));
                next = n;
            }
        }
        out
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
    fn grouped_sums_keep_every_name_and_group_apart() {
        let long = "a-user-id-longer-than-fifteen-bytes";
        let mut g: Grouped<u8, u64> = Grouped::default();
        for (name, key, n) in [
            ("u1", 1, 1),
            (long, 1, 2),
            ("u1", 2, 4),
            ("u1", 1, 8),
            ("u1", 3, 16),
            (long, 2, 32),
            ("u1", 2, 64),
        ] {
            *g.get(name, key) += n;
        }
        // u1: group 1 = 1 + 8, group 2 = 4 + 64, group 3 = 16; long: 2 and 32.
        assert_eq!(
            g.into_groups(),
            [("u1", 1, 9), ("u1", 2, 68), ("u1", 3, 16), (long, 1, 2), (long, 2, 32)]
        );
    }

    #[test]
    fn a_name_and_its_zero_padded_twin_stay_apart() {
        // Packing keeps the length: "a" and "a\0" must not share an id.
        let mut n = Names::default();
        assert_ne!(n.id("a"), n.id("a\0"));
    }
}
