//! A report as named files: names relative to the report's folder, bytes
//! in memory. Render makes them, deliver writes and mails them, and a report
//! written earlier is read back into them (`sources::archive::report`).

use anyhow::Result;
use serde::Serialize;

/// Named files of one report.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Files {
    /// (path relative to the report's folder, bytes).
    pub files: Vec<(String, Vec<u8>)>,
}

impl Files {
    pub fn add(&mut self, name: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.files.push((name.into(), bytes.into()));
    }

    /// metrics.json and friends: pretty JSON with a final newline.
    /// A JSON file; a block whose source is not configured (a `reason`
    /// like `no_source:redis`) shows every other figure as null, never 0.
    pub fn add_json<T: Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        let mut value = serde_json::to_value(value)?;
        null_unmeasured(&mut value);
        let mut json = serde_json::to_string_pretty(&value)?;
        json.push('\n');
        self.add(name, json);
        Ok(())
    }

    /// The bytes of the file `name`, if it is there.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice())
    }

    /// The names, in the order added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|(n, _)| n.as_str())
    }
}

/// Every object holding `"reason": "no_source:…"`: its other fields null
/// (the line for people, `not_measured`, stays).
fn null_unmeasured(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            let unmeasured = map
                .get("reason")
                .and_then(|r| r.as_str())
                .is_some_and(|r| r.starts_with("no_source:"));
            for (k, field) in map.iter_mut() {
                if unmeasured && !["reason", "not_measured", "target", "status"].contains(&k.as_str()) {
                    *field = serde_json::Value::Null;
                } else {
                    null_unmeasured(field);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(null_unmeasured),
        _ => {}
    }
}

#[cfg(test)]
mod unmeasured_tests {
    #[test]
    fn a_block_without_its_source_is_null_not_zero() {
        let mut v = serde_json::json!({
            "redis": {"hit_rate": null, "restarts": 0, "instances": [], "reason": "no_source:redis", "not_measured": "No Redis source"},
            "kpis": {"complaints": {"value": null, "target": null, "status": null, "reason": "no_source:feedback"},
                     "requests": {"value": 12.0, "status": null}},
            "other": {"reason": "a reason that is not a missing source", "n": 3}
        });
        super::null_unmeasured(&mut v);
        assert_eq!(v["redis"]["restarts"], serde_json::Value::Null);
        assert_eq!(v["redis"]["instances"], serde_json::Value::Null);
        assert_eq!(v["redis"]["not_measured"], "No Redis source");
        assert_eq!(v["kpis"]["requests"]["value"], 12.0);
        assert_eq!(v["other"]["n"], 3);
    }
}
