//! The parsers of outside text, one entry per fuzz target: the cargo-fuzz
//! targets in `fuzz/` call these, and the test command replays every file
//! of `fuzz/corpus/<target>/` through them on stable Rust. None may panic,
//! whatever the bytes; each also checks an invariant of its parser.

use std::path::Path;

use crate::formats::{self, Limits};

/// A fuzz target: bytes in, a panic on a bug.
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus replay.
pub const TARGETS: [(&str, Target); 12] = [
    ("redis_info", redis_info),
    ("store", store),
    ("config", config),
    ("plan", plan),
    ("risks", risks),
    ("request_csv", request_csv),
    ("request_ndjson", request_ndjson),
    ("feedback_csv", feedback_csv),
    ("arguments", arguments),
    ("timestamp", timestamp),
    ("nginx_log", nginx_log),
    ("prom_selector", prom_selector),
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Raw `INFO everything` text into typed fields.
pub fn redis_info(data: &[u8]) {
    let info = crate::sources::redis_store::Info::parse(&text(data));
    let c = crate::sources::redis_store::Capture::from_info(chrono::Utc::now(), "h:1", &info);
    assert!(c.command_latency.len() <= info.fields.len());
}

/// The snapshot store: every non-blank line is a capture, a failure or a bad line.
pub fn store(data: &[u8]) {
    let s = crate::sources::redis_store::parse_store(data);
    let lines = data
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count();
    assert_eq!(s.captures.len() + s.failures.len() + s.bad_lines as usize, lines);
}

/// A config file.
pub fn config(data: &[u8]) {
    let _ = crate::config::parse(Path::new("/fuzz/cacheroi.toml"), &text(data));
}

/// A rollout plan and its criteria.
pub fn plan(data: &[u8]) {
    let t = text(data);
    if let Ok(plan) = crate::evaluate::plan::parse(&t) {
        for p in &plan.phases {
            assert!(p.first_week >= 1 && p.first_week <= p.last_week);
            for c in p.success_criteria.iter().chain(&p.rollback_trigger) {
                assert!(crate::evaluate::gate::parse(c).is_ok(), "validated criterion {c}");
            }
        }
        for m in &plan.milestones {
            assert!(m.first_week >= 1 && m.first_week <= m.last_week);
            assert!((0.0..=1.0).contains(&m.rollout_complete));
        }
    }
    for line in t.lines().take(64) {
        let _ = crate::evaluate::gate::parse(line);
    }
}

/// A risk register: an accepted one has owners and signals that compare a
/// KPI with a number, and judging it on no data panics nowhere.
pub fn risks(data: &[u8]) {
    use crate::evaluate::gate::{Check, parse};
    if let Ok(reg) = crate::evaluate::risks::parse(&text(data)) {
        for r in &reg.risks {
            assert!(!r.owner.is_empty());
            for s in &r.signals {
                for e in [&s.watch, &s.trigger] {
                    assert!(
                        matches!(parse(e), Ok(Check::Compare { .. } | Check::Threshold { .. })),
                        "validated signal {e}"
                    );
                }
            }
        }
        let statuses = crate::evaluate::risks::assess(&reg, &[("2026-W46".into(), Default::default())]);
        assert_eq!(statuses.len(), reg.risks.len());
    }
}

/// One source's text file through the reader and the normaliser: every
/// record is a valid row or a rejected one.
fn through_source(
    data: &[u8],
    source: &crate::sources::Source,
    format: formats::InputFormat,
    reading: crate::sources::Reading,
) -> Option<polars::prelude::DataFrame> {
    let limits = Limits {
        max_line_kib: 64,
        ..Limits::default()
    };
    let path = Path::new(match format {
        formats::InputFormat::Ndjson => "/fuzz/input.ndjson",
        _ => "/fuzz/input.csv",
    });
    let raw = formats::RawFile::from_bytes(path, data, &source.wanted(), &limits).ok()?;
    let records = raw.height;
    if records == 0 && raw.found_nothing() {
        return None;
    }
    let n = (source.normalize)(&raw, reading).ok()?;
    let df = n.frame.collect().expect("a normalised frame collects");
    assert_eq!(df.height(), records);
    Some(df)
}

pub fn request_csv(data: &[u8]) {
    through_source(
        data,
        &crate::sources::request_log::SOURCE,
        formats::InputFormat::Csv,
        Default::default(),
    );
}

pub fn request_ndjson(data: &[u8]) {
    through_source(
        data,
        &crate::sources::request_log::SOURCE,
        formats::InputFormat::Ndjson,
        Default::default(),
    );
}

/// Feedback on one of the three scales (chosen by the input's length): every
/// score kept is on 1–5.
pub fn feedback_csv(data: &[u8]) {
    use crate::ground::score::Scale;
    use polars::prelude::*;
    let score_scale = [Scale::OneToFive, Scale::OneToTen, Scale::ZeroToTen][data.len() % 3];
    let reading = crate::sources::Reading { score_scale };
    let Some(df) = through_source(
        data,
        &crate::sources::feedback::SOURCE,
        formats::InputFormat::Csv,
        reading,
    ) else {
        return;
    };
    let kept = df
        .lazy()
        .filter(col(crate::frames::RULE).is_null())
        .select([col(crate::frames::SCORE)])
        .collect()
        .expect("the kept scores collect");
    let scores = kept.column(crate::frames::SCORE).expect("a score column");
    for s in scores.f64().expect("scores are Float64").into_no_null_iter() {
        assert!((1.0..=5.0).contains(&s), "a kept score {s} is off 1–5");
    }
}

/// An nginx access log: the first line is the `log_format` (a preset when
/// it does not compile), the rest the log. Every line splits into one value
/// per variable or says why not; the whole log through the reader, the
/// mapping guessed from its variables and the normaliser keeps every record.
pub fn nginx_log(data: &[u8]) {
    use crate::formats::nginx;
    let cut = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (head, body) = (&data[..cut], data.get(cut + 1..).unwrap_or_default());
    let format = nginx::compile(&text(head)).unwrap_or_else(|_| nginx::compile("combined_cache").expect("the preset"));
    if format.json {
        return; // NDJSON: the request_ndjson target's.
    }
    let n = format.variables().len();
    for line in text(body).lines().take(256) {
        if let Ok(v) = format.parse(line) {
            assert_eq!(v.len(), n);
        }
    }
    let (model, _) = crate::sources::inspect::guess(&format.variables(), None, true);
    let Ok(mut m) = crate::sources::mapping::Mapping::new(&model) else {
        return;
    };
    m.nginx = Some(format.clone());
    let limits = Limits {
        max_line_kib: 64,
        ..Limits::default()
    };
    let wanted = m.wanted(&crate::sources::request_log::SOURCE.wanted());
    let Ok(raw) = formats::RawFile::nginx_from_bytes(Path::new("/fuzz/access.log"), body, &format, &wanted, &limits)
    else {
        return;
    };
    let records = raw.height;
    let Ok(mapped) = m.apply(raw) else { return };
    let Ok(norm) = crate::sources::request_log::normalize(&mapped) else {
        return;
    };
    assert_eq!(
        norm.frame.collect().expect("a normalised frame collects").height(),
        records
    );
}

/// `--week`, `--retain`, `--timeout`, `--attest` values and the window
/// flags (`--from`, `--to`, `--month`, `--quarter`, `--year`, `--by`).
pub fn arguments(data: &[u8]) {
    let t = text(data);
    let now = chrono::Utc::now();
    if let Ok(w) = crate::period::resolve_week(&t, now, chrono_tz::Europe::Berlin) {
        let p = w.period(chrono_tz::Europe::Berlin);
        assert_eq!(p.days(), 7);
        let _ = w.previous();
    }
    if let Ok(d) = crate::cli::parse_retention(&t) {
        assert!(d > chrono::Duration::zero());
        assert!(now.checked_sub_signed(d).is_some());
    }
    if let Ok(d) = crate::cli::parse_timeout(&t) {
        assert!(d > std::time::Duration::ZERO);
    }
    for parse in [
        crate::period::Calendar::month,
        crate::period::Calendar::quarter,
        crate::period::Calendar::year,
    ] {
        if let Ok(c) = parse(&t) {
            assert!(c.from < c.to && crate::period::sane_date(c.from));
            let months = crate::period::months_of(c.from, c.to);
            assert!(!months.is_empty() && months.len() <= 12);
            assert!(months.windows(2).all(|w| w[0].2 == w[1].1), "{months:?}");
        }
    }
    // The text as the window flags of `roi`: what clap accepts resolves to
    // a window that starts before it ends, in the sane years.
    let words: Vec<&str> = t.split_whitespace().take(16).collect();
    let argv = ["cacheroi", "roi"].into_iter().chain(words.iter().copied());
    if let Ok(cli) = <crate::cli::Cli as clap::Parser>::try_parse_from(argv)
        && let crate::cli::Command::Roi(args) = &cli.command
    {
        let (from, to) = args.window.dates();
        let rollout = chrono::NaiveDate::from_ymd_opt(2026, 10, 5);
        if let Ok(Some(start)) = crate::period::window_start(from, to, rollout) {
            assert!(crate::period::sane_date(start));
            assert!(to.is_none_or(|to| to > start));
        }
    }
}

/// RFC 3339 timestamps: ours agrees with chrono wherever both accept.
pub fn timestamp(data: &[u8]) {
    let t = text(data);
    if let Some(us) = crate::frames::parse_rfc3339_micros(&t)
        && let Ok(c) = chrono::DateTime::parse_from_rfc3339(&t)
        && !t.contains([' ', 't', 'z'])
        && !t.contains(":60")
    {
        assert_eq!(us, c.timestamp_micros(), "{t}");
    }
}

/// A `redis_selector` of `[sources.prometheus]`: an accepted selector,
/// written back as PromQL, parses to the same matchers.
pub fn prom_selector(data: &[u8]) {
    use crate::sources::prometheus::{Prometheus, PrometheusModel, parse_selector};
    let t = text(data);
    let Ok(matchers) = parse_selector(&t) else { return };
    let p = Prometheus::new(&PrometheusModel {
        url: Some("http://p:9090".into()),
        redis_selector: Some(t.clone()),
        ..Default::default()
    })
    .expect("a selector that parses is accepted");
    let again = parse_selector(&p.matchers_text()).expect("a written-back selector parses");
    assert_eq!(again, matchers, "{t}");
}

#[cfg(test)]
mod tests {
    /// Replays every corpus file of every target on stable Rust: what the
    /// fuzzers found (and the seeds) stays fixed.
    #[test]
    fn every_corpus_file_replays_without_a_panic() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        let mut replayed = 0;
        for (name, target) in super::TARGETS {
            let dir = root.join(name);
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            assert!(!files.is_empty(), "{name}: an empty corpus");
            for f in files {
                let data = std::fs::read(&f).unwrap();
                let result = std::panic::catch_unwind(|| target(&data));
                assert!(result.is_ok(), "{name}: {} panics", f.display());
                replayed += 1;
            }
        }
        assert!(replayed >= super::TARGETS.len());
    }
}
