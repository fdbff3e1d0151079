//! The HTML report: escaped customer text, valid HTML5, images that exist
//! and decode, and a real headless Chromium that loads every image.

use std::fs;
use std::path::Path;
use std::process::Command;

use scraper::{Html, Selector};

use super::{cacheroi, sample};

/// Sample data with a hostile comment and a customer whose name is markup,
/// rendered for 2026-W46; returns the report folder.
fn hostile_week(dir: &Path) -> std::path::PathBuf {
    sample(dir, 60);
    let data = dir.join("data");
    let mut fb = fs::read_to_string(data.join("feedback.csv")).unwrap();
    fb.push_str("2026-11-15T23:59:00Z,c001,c001-u001,1,<script>alert(1)</script>\n");
    fs::write(data.join("feedback.csv"), fb).unwrap();
    let customers = fs::read_to_string(data.join("customers.csv"))
        .unwrap()
        .replace("Acme QA (internal)", "<img src=x onerror=alert(1)>");
    fs::write(data.join("customers.csv"), customers).unwrap();
    super::ok_on_sample(dir, &["-q", "weekly", "--week", "2026-W46"]);
    dir.join("out/weekly/2026-W46")
}

#[test]
fn weekly_html_escapes_parses_and_points_at_real_images() {
    let dir = tempfile::tempdir().unwrap();
    let week = hostile_week(dir.path());
    let html = fs::read_to_string(week.join("summary.html")).unwrap();

    // Customer text is escaped, never markup.
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "comment not shown escaped"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "customer name not shown escaped"
    );
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    assert_eq!(
        doc.select(&Selector::parse("script").unwrap()).count(),
        0,
        "no script in an e-mail"
    );
    assert!(doc.select(&Selector::parse("[onerror]").unwrap()).next().is_none());
    // No external resources: every src is a relative file of the report.
    let imgs: Vec<_> = doc.select(&Selector::parse("img").unwrap()).collect();
    assert_eq!(imgs.len(), 5);
    for img in imgs {
        let src = img.value().attr("src").unwrap();
        assert!(src.starts_with("charts/") && src.ends_with(".png"), "{src}");
        assert!(
            img.value().attr("alt").is_some_and(|a| a.len() > 40),
            "alt text for {src}"
        );
        let png = image::open(week.join(src)).unwrap_or_else(|e| panic!("{src}: {e}"));
        // 2× the 600 × 300 the HTML shows.
        assert_eq!((png.width(), png.height()), (1200, 600), "{src}");
        assert_eq!(img.value().attr("width"), Some("600"));
        let svg = fs::read_to_string(week.join(src.replace(".png", ".svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"));
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resources"
    );
}

/// Load `page` in headless Chromium (through a harness page with script,
/// unlike the report) and report its images, the broken ones, its scripts.
fn in_chromium(dir: &Path, page: &Path) -> serde_json::Value {
    let summary = page.canonicalize().unwrap();
    // A harness page (with script, unlike the report) inspects the report in an iframe.
    let harness = dir.join("harness.html");
    fs::write(
        &harness,
        format!(
            r#"<!DOCTYPE html><html><body><iframe id="f" src="file://{}" width="700" height="4000"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {{
  var out;
  try {{
    var d = document.getElementById('f').contentDocument;
    var imgs = Array.prototype.slice.call(d.images);
    out = {{ images: imgs.length,
            broken: imgs.filter(function (i) {{ return !(i.complete && i.naturalWidth > 0); }}).map(function (i) {{ return i.getAttribute('src'); }}),
            scripts: d.querySelectorAll('script').length,
            alerts: d.body.innerHTML.indexOf('<script>') }};
  }} catch (e) {{ out = {{ error: String(e) }}; }}
  var p = document.createElement('pre'); p.textContent = 'RESULT ' + JSON.stringify(out); document.body.appendChild(p);
}});
</script></body></html>"#,
            summary.display()
        ),
    )
    .unwrap();
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("chromium is installed by scripts/test.sh");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("file://{}", harness.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let result = dom
        .rsplit("RESULT ")
        .next()
        .filter(|_| dom.contains("<pre>RESULT"))
        .and_then(|r| r.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "no result from chromium: {}\n{}",
                dom,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(&result.replace("&quot;", "\"")).unwrap()
}

#[test]
fn weekly_html_loads_every_image_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let week = hostile_week(dir.path());
    let v = in_chromium(dir.path(), &week.join("summary.html"));
    assert_eq!(v["images"], 5, "{v}");
    assert_eq!(v["broken"], serde_json::json!([]), "{v}");
    assert_eq!(v["scripts"], 0, "{v}");
    assert_eq!(v["alerts"], -1, "{v}");
}

/// The dashboard (the archive index): valid, no script, its three trend
/// charts load in a real browser, eleven metric cards.
#[test]
fn the_dashboard_loads_its_charts_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    hostile_week(dir.path());
    super::ok_on_sample(dir.path(), &["-q", "weekly", "--week", "2026-W45"]);
    let index = dir.path().join("out/index.html");
    let html = fs::read_to_string(&index).unwrap();
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    assert!(html.contains("Cache rollout dashboard"));
    assert_eq!(
        html.matches("class=\"card\" style=\"padding:8px 10px").count(),
        11,
        "eleven cards"
    );
    assert!(
        html.contains("since 2026-W45"),
        "arrows against the week before on record"
    );
    let v = in_chromium(dir.path(), &index);
    assert_eq!(v["images"], 3, "{v}");
    assert_eq!(v["broken"], serde_json::json!([]), "{v}");
    assert_eq!(v["scripts"], 0, "{v}");
}

#[test]
fn impact_html_and_markdown_escape_customer_text_too() {
    let dir = tempfile::tempdir().unwrap();
    hostile_week(dir.path());
    cacheroi(dir.path())
        .args(["-q", "impact", "--config", "data/cacheroi.toml", "--out", "out"])
        .assert()
        .success();
    let html = fs::read_to_string(dir.path().join("out/impact/impact.html")).unwrap();
    // The renamed customer is in the customer tables and the comments.
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<img src=x") && !html.contains("<script>"));
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    let md = fs::read_to_string(dir.path().join("out/impact/impact.md")).unwrap();
    assert!(md.contains("&lt;img src=x onerror=alert\\(1\\)&gt;"));
    assert!(!md.contains("<img") && !md.contains("<script>"));
}

#[test]
fn roi_html_and_markdown_escape_customer_names_and_parse() {
    let dir = tempfile::tempdir().unwrap();
    hostile_week(dir.path());
    cacheroi(dir.path())
        .args(["-q", "roi", "--config", "data/cacheroi.toml", "--out", "out"])
        .assert()
        .success();
    let roi = dir.path().join("out/roi");
    let html = fs::read_to_string(roi.join("roi.html")).unwrap();
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<img src=x"));
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    let imgs: Vec<_> = doc.select(&Selector::parse("img").unwrap()).collect();
    assert_eq!(imgs.len(), 1, "the tornado chart");
    let png = image::open(roi.join(imgs[0].value().attr("src").unwrap())).unwrap();
    assert_eq!((png.width(), png.height()), (1200, 600));
    let md = fs::read_to_string(roi.join("roi.md")).unwrap();
    assert!(md.contains("&lt;img src=x onerror=alert\\(1\\)&gt;"));
    assert!(!md.contains("<img"));
}

#[test]
fn a_templates_dir_replaces_bundled_templates_by_name() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 30);
    let brand = dir.path().join("data/brand");
    fs::create_dir_all(&brand).unwrap();
    let base = include_str!("../../templates/base.html")
        .replace("{% block content %}", "<p>ACME Corp reporting</p>{% block content %}");
    fs::write(brand.join("base.html"), base).unwrap();
    let cfg = dir.path().join("data/cacheroi.toml");
    let text = fs::read_to_string(&cfg)
        .unwrap()
        .replace("output_dir = ", "templates_dir = \"brand\"\noutput_dir = ");
    fs::write(&cfg, text).unwrap();
    super::ok_on_sample(dir.path(), &["-q", "weekly", "--week", "2026-W46"]);
    let html = fs::read_to_string(dir.path().join("out/weekly/2026-W46/summary.html")).unwrap();
    assert!(html.contains("<p>ACME Corp reporting</p>"));
    // The other templates still come from the bundle.
    assert!(html.contains("Headline KPIs"));
    let index = fs::read_to_string(dir.path().join("out/index.html")).unwrap();
    assert!(index.contains("ACME Corp reporting"));
}
