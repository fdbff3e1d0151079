//! The charts of the weekly summary, built from its view model.

use anyhow::Result;

use super::bars::BarChart;
use super::line::{LineChart, Series};
use super::{Chart, Draw, HEIGHT, WIDTH, YFormat, render};
use crate::ground::kpi::Kpi;
use crate::ground::units::{count, kpi as fmt, pct};
use crate::report::weekly::{Trend, WeeklyReport};

/// What the trend charts need, from a weekly or an impact report.
pub struct Context<'a> {
    pub trend: &'a Trend,
    /// Targets of the headline KPIs.
    pub targets: std::collections::BTreeMap<Kpi, f64>,
    /// The period the latency bars compare with the baseline ("2026-W46", "rollout").
    pub label: String,
    /// Hit rate over the period from the request log and from Redis.
    pub log_hit_rate: Option<f64>,
    pub redis_hit_rate: Option<f64>,
}

impl<'a> Context<'a> {
    pub fn weekly(r: &'a WeeklyReport) -> Self {
        Context {
            trend: &r.trend,
            targets: r
                .metrics
                .kpis
                .iter()
                .filter_map(|(k, c)| c.target.map(|t| (*k, t)))
                .collect(),
            label: r.metrics.period.iso_week.clone(),
            log_hit_rate: r.metrics.kpis.get(&Kpi::CacheHitRate).and_then(|c| c.value),
            redis_hit_rate: r.metrics.redis.hit_rate,
        }
    }
}

/// A chart of `spec` with its alt text and data table.
pub(super) fn chart(
    name: &str,
    spec: &(impl Draw + Titled),
    alt: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
) -> Result<Chart> {
    let (svg, png) = render(spec)?;
    Ok(Chart {
        name: name.into(),
        title: spec.title().into(),
        alt,
        headers,
        rows,
        width: WIDTH,
        height: HEIGHT,
        svg,
        png,
    })
}

/// Charts carry their own title.
pub trait Titled {
    fn title(&self) -> &str;
}
impl Titled for LineChart {
    fn title(&self) -> &str {
        &self.title
    }
}
impl Titled for BarChart {
    fn title(&self) -> &str {
        &self.title
    }
}

fn short_week(label: &str) -> String {
    label.split_once('-').map_or(label.to_string(), |(_, w)| w.to_string())
}

/// Every trend chart: headline KPIs, adoption by segment, latency
/// percentiles, origin calls per day, hit rate log vs Redis.
pub fn charts(r: &Context) -> Result<Vec<Chart>> {
    Ok(vec![headline(r)?, adoption(r)?, latency(r)?, origin(r)?, hit_rates(r)?])
}

const HEADLINE: [(Kpi, &str); 4] = [
    (Kpi::ApiCallReduction, "API call reduction"),
    (Kpi::CacheHitRate, "Cache hit rate"),
    (Kpi::LatencyImprovementP50, "p50 latency gain"),
    (Kpi::Adoption, "Adoption"),
];

fn target(r: &Context, k: Kpi) -> Option<f64> {
    r.targets.get(&k).copied()
}

fn headline(r: &Context) -> Result<Chart> {
    let weeks = &r.trend.weeks;
    let mut series = Vec::new();
    for (i, (k, name)) in HEADLINE.iter().enumerate() {
        series.push(Series {
            name: (*name).into(),
            values: weeks.iter().map(|w| w.kpis.get(k).copied().flatten()).collect(),
            color: i,
            dashed: false,
        });
        if let Some(t) = target(r, *k) {
            series.push(Series {
                name: format!("target {}", pct(Some(t))),
                values: vec![Some(t); weeks.len()],
                color: i,
                dashed: true,
            });
        }
    }
    let spec = LineChart {
        title: "Headline KPIs by week, with targets (dashed)".into(),
        x_desc: "ISO week".into(),
        y_desc: "share".into(),
        x_labels: weeks.iter().map(|w| short_week(&w.iso_week)).collect(),
        series,
        y_format: YFormat::Percent,
    };
    let last = weeks.last();
    let now: Vec<String> = HEADLINE
        .iter()
        .map(|(k, name)| {
            let v = last.and_then(|w| w.kpis.get(k).copied().flatten());
            format!("{name} {} (target {})", pct(v), pct(target(r, *k)))
        })
        .collect();
    let alt = format!(
        "Line chart of the headline KPIs week by week from {} to {}, targets dashed. Latest ({}): {}.",
        weeks.first().map_or("", |w| &w.iso_week),
        last.map_or("", |w| &w.iso_week),
        r.label,
        now.join(", ")
    );
    let mut headers = vec!["Week".to_string()];
    headers.extend(HEADLINE.iter().map(|(_, n)| (*n).to_string()));
    let rows = weeks
        .iter()
        .map(|w| {
            let mut row = vec![w.iso_week.clone()];
            row.extend(HEADLINE.iter().map(|(k, _)| pct(w.kpis.get(k).copied().flatten())));
            row
        })
        .collect();
    chart("headline-kpis", &spec, alt, headers, rows)
}

fn adoption(r: &Context) -> Result<Chart> {
    let weeks: Vec<_> = r.trend.weeks.iter().filter(|w| w.rollout_week.is_some()).collect();
    let mut segments: Vec<String> = weeks.iter().flat_map(|w| w.segment_adoption.keys().cloned()).collect();
    segments.sort();
    segments.dedup();
    let series = segments
        .iter()
        .enumerate()
        .map(|(i, s)| Series {
            name: super::chart_text(s),
            values: weeks
                .iter()
                .map(|w| w.segment_adoption.get(s).copied().flatten())
                .collect(),
            color: i,
            dashed: false,
        })
        .collect();
    let spec = LineChart {
        title: "Adoption by segment over the rollout".into(),
        x_desc: "rollout week".into(),
        y_desc: "users with the cache on".into(),
        x_labels: weeks
            .iter()
            .map(|w| format!("{}", w.rollout_week.unwrap_or_default()))
            .collect(),
        series,
        y_format: YFormat::Percent,
    };
    let last = weeks.last();
    let alt = format!(
        "Line chart of the share of each segment's active users with the cache on, per rollout week ({} weeks). Latest week: {}.",
        weeks.len(),
        segments
            .iter()
            .map(|s| format!(
                "{s} {}",
                pct(last.and_then(|w| w.segment_adoption.get(s).copied().flatten()))
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut headers = vec!["Segment".to_string()];
    headers.extend(
        weeks
            .iter()
            .map(|w| format!("Week {}", w.rollout_week.unwrap_or_default())),
    );
    let rows = segments
        .iter()
        .map(|s| {
            let mut row = vec![s.clone()];
            row.extend(weeks.iter().map(|w| pct(w.segment_adoption.get(s).copied().flatten())));
            row
        })
        .collect();
    chart("adoption-by-segment", &spec, alt, headers, rows)
}

fn latency(r: &Context) -> Result<Chart> {
    let (b, w) = (r.trend.baseline_latency, r.trend.week_latency);
    let spec = BarChart {
        title: format!("Latency percentiles: baseline vs {}", r.label),
        y_desc: "latency (ms)".into(),
        categories: vec!["p50".into(), "p95".into(), "p99".into()],
        groups: vec![
            ("Baseline, cache off".into(), b.to_vec()),
            (format!("{}, cache on", r.label), w.to_vec()),
        ],
        y_format: YFormat::Milliseconds,
    };
    let ms = |v: Option<f64>| fmt(v, "milliseconds", "");
    let alt = format!(
        "Bar chart of p50, p95 and p99 latency: baseline (cache off) {}, {}, {}; {} (cache on) {}, {}, {}.",
        ms(b[0]),
        ms(b[1]),
        ms(b[2]),
        r.label,
        ms(w[0]),
        ms(w[1]),
        ms(w[2])
    );
    let rows = ["p50", "p95", "p99"]
        .iter()
        .enumerate()
        .map(|(i, p)| vec![(*p).to_string(), ms(b[i]), ms(w[i])])
        .collect();
    chart(
        "latency-percentiles",
        &spec,
        alt,
        vec!["Percentile".into(), "Baseline".into(), r.label.clone()],
        rows,
    )
}

fn origin(r: &Context) -> Result<Chart> {
    let days = &r.trend.days;
    let base = r.trend.baseline_origin_per_day;
    let spec = LineChart {
        title: "Origin calls per day".into(),
        x_desc: "day".into(),
        y_desc: "origin calls".into(),
        x_labels: days
            .iter()
            .map(|d| d.date.get(5..).unwrap_or(&d.date).to_string())
            .collect(),
        series: vec![
            Series {
                name: "origin calls".into(),
                values: days.iter().map(|d| Some(d.origin_calls)).collect(),
                color: 0,
                dashed: false,
            },
            Series {
                name: "baseline average".into(),
                values: vec![base; days.len()],
                color: 3,
                dashed: true,
            },
        ],
        y_format: YFormat::Number,
    };
    let week_days: Vec<_> = days.iter().rev().take(7).collect();
    let week_avg =
        (!week_days.is_empty()).then(|| week_days.iter().map(|d| d.origin_calls).sum::<f64>() / week_days.len() as f64);
    let change = base.zip(week_avg).filter(|(b, _)| *b > 0.0).map(|(b, w)| w / b - 1.0);
    let alt = format!(
        "Line chart of origin (back-end) calls per day from {} to {}, with the baseline average of {} a day dashed; the last 7 days averaged {} a day ({} against the baseline).",
        days.first().map_or("", |d| &d.date),
        days.last().map_or("", |d| &d.date),
        count(base),
        count(week_avg),
        change.map_or("—".into(), |c| format!("{:+.1} %", c * 100.0))
    );
    let rows = vec![
        vec!["Baseline average per day".into(), count(base)],
        vec!["Last 7 days, average per day".into(), count(week_avg)],
        vec![
            "Change".into(),
            change.map_or("—".into(), |c| format!("{:+.1} %", c * 100.0)),
        ],
    ];
    chart(
        "origin-calls-per-day",
        &spec,
        alt,
        vec!["".into(), "Origin calls".into()],
        rows,
    )
}

fn hit_rates(r: &Context) -> Result<Chart> {
    let days: Vec<_> = r
        .trend
        .days
        .iter()
        .filter(|d| d.log_hit_rate.is_some() || d.redis_hit_rate.is_some())
        .collect();
    let spec = LineChart {
        title: "Cache hit rate: request log vs Redis".into(),
        x_desc: "day".into(),
        y_desc: "hit rate".into(),
        x_labels: days
            .iter()
            .map(|d| d.date.get(5..).unwrap_or(&d.date).to_string())
            .collect(),
        series: vec![
            Series {
                name: "request log".into(),
                values: days.iter().map(|d| d.log_hit_rate).collect(),
                color: 0,
                dashed: false,
            },
            Series {
                name: "Redis INFO".into(),
                values: days.iter().map(|d| d.redis_hit_rate).collect(),
                color: 1,
                dashed: false,
            },
        ],
        y_format: YFormat::Percent,
    };
    let (log, redis) = (r.log_hit_rate, r.redis_hit_rate);
    let alt = format!(
        "Line chart of the daily cache hit rate from the request log and from Redis's keyspace counters. In {}: request log {}, Redis {}.",
        r.label,
        pct(log),
        pct(redis)
    );
    let gap = log
        .zip(redis)
        .map(|(a, b)| crate::ground::units::change(Some(a - b), "ratio", ""));
    let rows = vec![
        vec!["Request log".into(), pct(log)],
        vec!["Redis".into(), pct(redis)],
        vec!["Difference".into(), gap.unwrap_or_else(|| "—".into())],
    ];
    chart(
        "hit-rate-log-vs-redis",
        &spec,
        alt,
        vec![r.label.clone(), "Hit rate".into()],
        rows,
    )
}
