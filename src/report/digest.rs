//! The Slack digest (Block Kit JSON) of a weekly report or of one day: the
//! verdict, the headline numbers, what changed since the period before, the
//! next step and a link to the report. Pure: a report in, JSON out. Slack's
//! mrkdwn treats `&`, `<` and `>` as markup, so text from data is escaped.

use serde_json::{Value, json};

use super::weekly::WeeklyReport;
use crate::ground::units::{self, pct};

/// Slack mrkdwn escaping: `&`, `<`, `>`.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn section(text: String) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

fn link_block(link: Option<&str>, label: &str) -> Option<Value> {
    let url = link?;
    Some(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": format!("Report: <{}|{}>", escape(url), escape(label))}]
    }))
}

/// The weekly digest: the first screen of the weekly report, and the
/// headline KPIs that moved most since the week before.
pub fn weekly(r: &WeeklyReport, link: Option<&str>) -> Value {
    let g = &r.glance;
    let week = &r.metrics.period.iso_week;
    let cur = &r.metrics.generated.currency;
    let fields: Vec<Value> = g
        .numbers
        .iter()
        .map(|n| json!({"type": "mrkdwn", "text": format!("*{}*\n{}\n_{}_", escape(n.label), escape(&n.value), escape(&n.note))}))
        .collect();
    // The three largest changes of the headline KPIs, for the better or worse.
    let mut moved: Vec<(f64, String)> = r
        .headline
        .iter()
        .filter_map(|k| {
            let change = k.change?;
            let scale = k.previous.filter(|p| *p != 0.0).map_or(1.0, f64::abs);
            let verdict = match k.improved {
                Some(true) => ", better",
                Some(false) => ", worse",
                None => "",
            };
            Some((
                (change / scale).abs(),
                format!(
                    "{} {} ({}{verdict})",
                    k.label,
                    units::kpi(k.value, k.unit.name(), cur),
                    units::change(Some(change), k.unit.name(), cur)
                ),
            ))
        })
        .collect();
    moved.sort_by(|a, b| b.0.total_cmp(&a.0));
    let changes: Vec<String> = moved.into_iter().take(3).map(|m| escape(&m.1)).collect();
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": format!("Cache rollout {week}: {}", g.title)}}),
        json!({"type": "section", "fields": fields}),
    ];
    if !changes.is_empty() {
        blocks.push(section(format!(
            "*Since {}:*\n{}",
            r.metrics.previous_week.iso_week,
            changes.join("\n")
        )));
    }
    let triggered: Vec<String> = r
        .risk_rows
        .iter()
        .filter(|x| x.state_label == "triggered")
        .map(|x| format!("{} (owner: {})", x.risk, x.owner))
        .collect();
    if !triggered.is_empty() {
        blocks.push(section(format!("*Risk triggered:* {}", escape(&triggered.join("; ")))));
    }
    blocks.push(section(format!("*Next step:* {}", escape(&g.next_step))));
    blocks.extend(link_block(link, &format!("weekly summary {week}")));
    json!({
        "text": format!("Cache rollout {week}: {}", g.title),
        "blocks": blocks,
    })
}

/// One day's figures for the daily digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    pub date: chrono::NaiveDate,
    pub requests: u64,
    pub origin_calls: f64,
    pub hit_rate: Option<f64>,
}

fn relative(now: f64, before: f64) -> String {
    if before == 0.0 {
        return "no rows the day before".into();
    }
    units::signed_pct(now / before - 1.0)
}

/// The daily digest: the last complete day against the day before.
pub fn daily(day: &Day, before: Option<&Day>, link: Option<&str>) -> Value {
    let weekday = day.date.format("%A");
    let title = format!("Cache rollout, {weekday} {}", day.date);
    let mut lines = vec![
        format!(
            "*Requests:* {}{}",
            units::count(Some(day.requests as f64)),
            before.map_or(String::new(), |b| format!(
                " ({} against the day before)",
                relative(day.requests as f64, b.requests as f64)
            ))
        ),
        format!(
            "*Hit rate (request log):* {}{}",
            pct(day.hit_rate),
            before
                .and_then(|b| Some(units::change(Some(day.hit_rate? - b.hit_rate?), "ratio", "")))
                .map_or(String::new(), |c| format!(" ({c})"))
        ),
        format!(
            "*Origin calls:* {}{}",
            units::count(Some(day.origin_calls)),
            before.map_or(String::new(), |b| format!(
                " ({} against the day before)",
                relative(day.origin_calls, b.origin_calls)
            ))
        ),
    ];
    if before.is_none() {
        lines.push("_No rows the day before to compare with._".into());
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": title}}),
        section(lines.join("\n")),
    ];
    blocks.extend(link_block(link, "reports"));
    json!({"text": title, "blocks": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daily_digest_compares_with_the_day_before_by_hand() {
        // 1,500 requests against 1,200 the day before: +25.0 %; hit rate
        // 92.0 % against 90.0 %: +2.0 pts; 600 origin calls against 800: −25.0 %.
        let d = |day, requests, origin, hit| Day {
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            requests,
            origin_calls: origin,
            hit_rate: Some(hit),
        };
        let v = daily(
            &d(15, 1500, 600.0, 0.92),
            Some(&d(14, 1200, 800.0, 0.90)),
            Some("https://r.example/a&b"),
        );
        assert_eq!(v["text"], "Cache rollout, Sunday 2026-11-15");
        let text = v["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(
            text.contains("*Requests:* 1,500 (+25.0 % against the day before)"),
            "{text}"
        );
        assert!(text.contains("*Hit rate (request log):* 92.0 % (+2.0 pts)"), "{text}");
        assert!(
            text.contains("*Origin calls:* 600 (−25.0 % against the day before)"),
            "{text}"
        );
        // The link is escaped for mrkdwn.
        assert_eq!(
            v["blocks"][2]["elements"][0]["text"],
            "Report: <https://r.example/a&amp;b|reports>"
        );
    }

    #[test]
    fn mrkdwn_markup_in_data_is_escaped() {
        assert_eq!(escape("<b>Bold</b> & co"), "&lt;b&gt;Bold&lt;/b&gt; &amp; co");
    }
}
