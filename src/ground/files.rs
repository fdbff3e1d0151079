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
    pub fn add_json<T: Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        let mut json = serde_json::to_string_pretty(value)?;
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
