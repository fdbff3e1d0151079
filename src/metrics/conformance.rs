//! Who had the cache, per ISO week and segment: the counts the rollout
//! plan's feature flags are judged on (`evaluate::conformance`). Read from
//! the per-user weekly rollups, so a user is counted once per week and
//! segment whatever the number of requests.

use std::collections::{BTreeMap, BTreeSet};

use crate::rollups::Merged;

/// How many example user ids a finding lists.
pub const EXAMPLES: usize = 3;

/// The flags of one segment's users in one week.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentFlags {
    /// Distinct users seen.
    pub users: u64,
    /// Users with at least one request with the cache on.
    pub with_cache: u64,
    /// Users with requests both with and without the cache in the week.
    pub both: u64,
    /// Users seen in this segment the week before too, with one flag value in
    /// each week, whose value changed.
    pub changed: u64,
    /// The first user ids (sorted) with the cache, with both values, with a
    /// changed value.
    pub with_cache_examples: Vec<String>,
    pub both_examples: Vec<String>,
    pub changed_examples: Vec<String>,
}

/// (segment, user) → (a request with the cache on, one with it off).
type Flags = BTreeMap<(u16, u32), (bool, bool)>;

fn flags_of(m: &Merged, monday: i32) -> Flags {
    let users = m.users_in((monday, monday + 7));
    let mut out: Flags = BTreeMap::new();
    for u in users {
        let e = out.entry((u.segment, u.user)).or_default();
        if u.enabled {
            e.0 = true;
        } else {
            e.1 = true;
        }
    }
    out
}

/// Per segment (by name), the flags of the week starting on local epoch day
/// `monday`, compared with the week before for changes.
pub fn by_segment(m: &Merged, monday: i32) -> BTreeMap<String, SegmentFlags> {
    compare(m, &flags_of(m, monday), &flags_of(m, monday - 7))
}

/// [`by_segment`] for consecutive weeks (Mondays 7 days apart), each week's
/// users read once.
pub fn by_segment_run(m: &Merged, mondays: &[i32]) -> Vec<BTreeMap<String, SegmentFlags>> {
    let Some(first) = mondays.first() else {
        return Vec::new();
    };
    let mut before = flags_of(m, first - 7);
    let mut out = Vec::with_capacity(mondays.len());
    for &monday in mondays {
        let this = flags_of(m, monday);
        out.push(compare(m, &this, &before));
        before = this;
    }
    out
}

fn compare(m: &Merged, this: &Flags, before: &Flags) -> BTreeMap<String, SegmentFlags> {
    let mut out: BTreeMap<String, SegmentFlags> = BTreeMap::new();
    // Sorted user names per finding, so the examples do not depend on ids.
    let mut examples: BTreeMap<(u16, u8), BTreeSet<&str>> = BTreeMap::new();
    for (&(segment, user), &(on, off)) in this {
        let name = m.segments.get(segment as usize).cloned().unwrap_or_default();
        let s = out.entry(name).or_default();
        s.users += 1;
        let user_name = m.users.get(user as usize).map_or("", String::as_str);
        if on {
            s.with_cache += 1;
            examples.entry((segment, 0)).or_default().insert(user_name);
        }
        if on && off {
            s.both += 1;
            examples.entry((segment, 1)).or_default().insert(user_name);
        }
        if let Some(&(was_on, was_off)) = before.get(&(segment, user))
            && on != off
            && was_on != was_off
            && on != was_on
        {
            s.changed += 1;
            examples.entry((segment, 2)).or_default().insert(user_name);
        }
    }
    for ((segment, kind), names) in examples {
        let name = m.segments.get(segment as usize).cloned().unwrap_or_default();
        let Some(s) = out.get_mut(&name) else { continue };
        let list: Vec<String> = names.into_iter().take(EXAMPLES).map(str::to_string).collect();
        match kind {
            0 => s.with_cache_examples = list,
            1 => s.both_examples = list,
            _ => s.changed_examples = list,
        }
    }
    out
}

/// Merged rollups of (ts, segment, user, cache on) rows, for tests here and
/// in `evaluate::conformance`.
#[cfg(test)]
pub(crate) fn merged_of(rows: &[(&str, &str, &str, bool)]) -> Merged {
    use crate::frames::*;
    use polars::prelude::*;
    let ts: Vec<i64> = rows.iter().map(|r| parse_rfc3339_micros(r.0).expect("ts")).collect();
    let df = df!(
        TS => ts,
        USER_ID => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        SEGMENT => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        LATENCY_MS => rows.iter().map(|_| 10.0).collect::<Vec<_>>(),
        CACHE_ENABLED => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
    )
    .expect("frame");
    crate::rollups::merged_from_rows(df, chrono_tz::UTC).expect("rollups")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollups::build::epoch_day;

    #[test]
    fn users_are_counted_once_per_week_with_their_flag_changes() {
        // W46 (Nov 9–15) then W47 (Nov 16–22), UTC.
        // a: u1 on, on · u2 off, on (changed) · u3 on and off in W47 (both).
        // b: u4 off, off · u5 only in W47, on.
        let m = merged_of(&[
            ("2026-11-10T10:00:00Z", "a", "u1", true),
            ("2026-11-10T11:00:00Z", "a", "u2", false),
            ("2026-11-11T10:00:00Z", "b", "u4", false),
            ("2026-11-17T10:00:00Z", "a", "u1", true),
            ("2026-11-17T11:00:00Z", "a", "u1", true),
            ("2026-11-17T12:00:00Z", "a", "u2", true),
            ("2026-11-18T10:00:00Z", "a", "u3", true),
            ("2026-11-19T10:00:00Z", "a", "u3", false),
            ("2026-11-18T10:00:00Z", "b", "u4", false),
            ("2026-11-20T10:00:00Z", "b", "u5", true),
        ]);
        let monday = epoch_day(chrono::NaiveDate::from_ymd_opt(2026, 11, 16).unwrap());
        let w = by_segment(&m, monday);
        let a = &w["a"];
        // a: 3 users, all with the cache; u3 both values; u2 changed (u1 did
        // not; u3 has no single value this week).
        assert_eq!((a.users, a.with_cache, a.both, a.changed), (3, 3, 1, 1));
        assert_eq!(a.both_examples, ["u3"]);
        assert_eq!(a.changed_examples, ["u2"]);
        assert_eq!(a.with_cache_examples, ["u1", "u2", "u3"]);
        let b = &w["b"];
        // b: u4 (off, unchanged) and u5 (on, new): 2 users, 1 with the cache.
        assert_eq!((b.users, b.with_cache, b.both, b.changed), (2, 1, 0, 0));
        assert_eq!(b.with_cache_examples, ["u5"]);
    }
}
