//! `cacheroi customer-report`: one folder per customer holding only that
//! customer's numbers — no other customer's id or name in any file.

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::cacheroi;

#[test]
fn each_customer_report_holds_only_its_customer() {
    let dir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/cacheroi.toml");
    let run = |args: &[&str]| {
        cacheroi(dir.path())
            .args(["-q"])
            .args(args)
            .args(["--out", "out", "--config"])
            .arg(&config)
            .output()
            .unwrap()
    };
    let out = run(&["customer-report", "--all-enterprise"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Every customer of the table, by id and name.
    let table = fs::read_to_string(config.with_file_name("customers.csv")).unwrap();
    let mut customers: Vec<(String, String, String)> = Vec::new();
    for r in csv::Reader::from_reader(table.as_bytes()).records() {
        let r = r.unwrap();
        customers.push((r[0].to_string(), r[1].to_string(), r[2].to_string()));
    }
    let enterprise: Vec<&(String, String, String)> = customers.iter().filter(|c| c.2 == "enterprise").collect();
    let folders: Vec<String> = fs::read_dir(dir.path().join("out/customers"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), enterprise.len());
    // The impact report's customer rows, to check the numbers.
    assert!(run(&["impact"]).status.success());
    let impact: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out/impact/metrics.json")).unwrap()).unwrap();
    for (id, name, _) in &enterprise {
        let folder = dir.path().join("out/customers").join(id);
        for file in ["report.html", "report.md", "metrics.json"] {
            let text = fs::read_to_string(folder.join(file)).unwrap();
            assert!(text.contains(id.as_str()), "{id}/{file} does not name its customer");
            for (other_id, other_name, _) in &customers {
                if other_id == id {
                    continue;
                }
                assert!(!text.contains(other_id.as_str()), "{id}/{file} holds {other_id}");
                // A name that is part of this customer's own name is no leak.
                if !name.contains(other_name.as_str()) {
                    let shown = other_name.replace('&', "&amp;").replace('<', "&lt;");
                    assert!(
                        !text.contains(other_name.as_str()) && !text.contains(&shown),
                        "{id}/{file} holds {other_name}"
                    );
                }
            }
        }
        let m: Value = serde_json::from_str(&fs::read_to_string(folder.join("metrics.json")).unwrap()).unwrap();
        let row = impact["customers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["customer_id"] == id.as_str())
            .unwrap();
        assert_eq!(m["net_savings"], row["net_savings"], "{id}");
        assert_eq!(m["cached_requests"], row["cached_requests"], "{id}");
    }
    // An unknown customer is one line, nothing written.
    let out = run(&["customer-report", "--customer", "c999"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.trim().starts_with("error: customer `c999` has no request rows"),
        "{err}"
    );
    assert!(!dir.path().join("out/customers/c999").exists());
}
