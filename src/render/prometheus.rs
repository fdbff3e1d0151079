//! The week's figures as Prometheus series, and the plan's rollback
//! triggers as Prometheus alerting rules (docs/prometheus.md "Export").
//! Pure text: `deliver::prometheus` writes or pushes it.

use std::fmt::Write as _;

use crate::evaluate::gate::{Check, Op};
use crate::evaluate::plan::Plan;
use crate::evaluate::risks::Register;
use crate::ground::kpi::Kpi;
use crate::report::weekly::WeeklyReport;

/// A label value in the text format: `\`, `"` and line ends escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A number as the text format writes it (finite values only are passed).
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// The series of one weekly report (the text format node_exporter's textfile
/// collector and the Pushgateway read). A KPI without a value is absent.
pub fn textfile(r: &WeeklyReport) -> String {
    let m = &r.metrics;
    let currency = m.generated.currency.to_ascii_lowercase();
    let mut out = String::new();
    family(
        &mut out,
        "cacheroi_kpi",
        "A KPI of the report week as metrics.json has it: ratios 0-1, *_ms in milliseconds, money in the config's currency; segment=\"all\" or a rollout segment.",
    );
    kpi_lines(&mut out, m);
    if let Some(v) = m
        .kpis
        .get(&Kpi::CostSavings)
        .and_then(|c| c.value)
        .filter(|v| v.is_finite())
    {
        let name = format!("cacheroi_cost_savings_{currency}");
        family(
            &mut out,
            &name,
            &format!(
                "Cost savings of the report week in {}: origin calls avoided x their cost - the Redis cost.",
                m.generated.currency
            ),
        );
        let _ = writeln!(out, "{name} {}", number(v));
    }
    family(
        &mut out,
        "cacheroi_report_week_start_timestamp_seconds",
        "The start of the report week (local midnight of its Monday), Unix time.",
    );
    if let Some(t) = week_start(&m.period) {
        let _ = writeln!(
            out,
            "cacheroi_report_week_start_timestamp_seconds{{week=\"{}\"}} {t}",
            label(&m.period.iso_week)
        );
    }
    if let Some(g) = &m.gate {
        family(
            &mut out,
            "cacheroi_gate_verdict",
            "The rollout gate's verdict of the report week: 1 for the verdict, 0 for the others.",
        );
        for v in ["proceed", "hold", "rollback"] {
            let _ = writeln!(
                out,
                "cacheroi_gate_verdict{{verdict=\"{v}\",phase=\"{}\"}} {}",
                label(&g.phase),
                u8::from(g.verdict.label() == v)
            );
        }
        family(
            &mut out,
            "cacheroi_rollout_week",
            "The rollout week of the report week (1 = the week of the rollout start).",
        );
        let _ = writeln!(out, "cacheroi_rollout_week {}", g.rollout_week);
    }
    out
}

/// `cacheroi_kpi` of every KPI with a value, overall and per segment, and
/// `cacheroi_kpi_target` of every target.
fn kpi_lines(out: &mut String, m: &crate::report::weekly::WeeklyMetrics) {
    let mut rows: Vec<(String, &str, f64)> = Vec::new();
    for (kpi, cell) in &m.kpis {
        if let Some(v) = cell.value.filter(|v| v.is_finite()) {
            rows.push(("all".into(), kpi.key(), v));
        }
    }
    for (segment, kpis) in &m.segments {
        for (kpi, cell) in kpis {
            if let Some(v) = cell.value.filter(|v| v.is_finite()) {
                rows.push((segment.clone(), kpi.key(), v));
            }
        }
    }
    for (segment, kpi, v) in &rows {
        let _ = writeln!(
            out,
            "cacheroi_kpi{{kpi=\"{}\",segment=\"{}\"}} {}",
            label(kpi),
            label(segment),
            number(*v)
        );
    }
    family(
        out,
        "cacheroi_kpi_target",
        "The target of a KPI (the config's [targets]).",
    );
    for (kpi, cell) in &m.kpis {
        if let Some(t) = cell.target.filter(|v| v.is_finite()) {
            let _ = writeln!(out, "cacheroi_kpi_target{{kpi=\"{}\"}} {}", label(kpi.key()), number(t));
        }
    }
}

/// Local midnight of the week's first day, Unix seconds.
fn week_start(p: &crate::report::weekly::PeriodInfo) -> Option<i64> {
    use chrono::TimeZone;
    let day = chrono::NaiveDate::parse_from_str(&p.start, "%Y-%m-%d").ok()?;
    let tz: chrono_tz::Tz = p.timezone.parse().ok()?;
    tz.from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.timestamp())
}

fn op_text(op: Op) -> &'static str {
    match op {
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Eq => "==",
    }
}

/// A YAML string (double-quoted, JSON escapes are YAML's too).
fn yaml(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// An alert name from the phase and KPI: letters, digits and `_`.
fn alert_name(phase: &str, kpi: &str, redis: bool) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    };
    format!(
        "CacheroiRollback_{}_{}{}",
        clean(phase),
        clean(kpi),
        if redis { "_redis" } else { "" }
    )
}

/// Prometheus alerting rules of the plan's rollback triggers: one rule per
/// measurable trigger (the first phase that names it; it holds from that
/// phase's first week on, as the gate's guardrails accumulate) over the
/// exported `cacheroi_kpi` series — the phase's segments, any of them past
/// the threshold — and, for the hit rate, one over redis_exporter's series
/// too. Triggers a person judges are listed as comments. `register` gives
/// each its contingency where a risk watches the same KPI; `redis_selector`
/// (`{job="redis"}`, from `[sources.prometheus]`) picks redis_exporter's series.
pub fn alert_rules(plan: &Plan, register: Option<&Register>, redis_selector: &str) -> String {
    let mut out = String::from(
        "# Rollback triggers of the rollout plan as Prometheus alerting rules, written by\n\
         # `cacheroi export --alert-rules` (docs/prometheus.md). They read the series of\n\
         # `cacheroi export --textfile`/`--pushgateway` and redis_exporter's.\n",
    );
    let mut manual = Vec::new();
    let mut rules = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for phase in &plan.phases {
        for trigger in &phase.rollback_trigger {
            let text = trigger.trim().to_string();
            let check = crate::evaluate::gate::parse(&text);
            let (kpi, op, value) = match check {
                Ok(Check::Compare { kpi, op, value } | Check::Threshold { kpi, op, value }) => (kpi, op, value),
                _ => {
                    manual.push(format!("# {text} ({}): a person judges it; no alert", phase.name));
                    continue;
                }
            };
            if seen.contains(&text) {
                continue;
            }
            seen.push(text.clone());
            rules.extend(trigger_rules(phase, &text, (kpi, op, value), register, redis_selector));
        }
    }
    if !manual.is_empty() {
        out.push_str("# Triggers only a person can judge:\n");
        for m in &manual {
            out.push_str(m);
            out.push('\n');
        }
    }
    out.push_str("groups:\n  - name: cacheroi-rollback-triggers\n    rules:");
    if rules.is_empty() {
        out.push_str(" []\n");
    } else {
        out.push('\n');
        for r in rules {
            out.push_str(&r);
        }
    }
    out
}

/// The rules of one measurable trigger `text` of `phase`: over the
/// exported KPI series, and for the hit rate over redis_exporter's too.
fn trigger_rules(
    phase: &crate::evaluate::plan::Phase,
    text: &str,
    (kpi, op, value): (Kpi, Op, f64),
    register: Option<&Register>,
    redis_selector: &str,
) -> Vec<String> {
    let mut rules = Vec::new();
    let contingency = contingency_of(register, kpi).unwrap_or_else(|| {
        format!(
            "Roll back {}: turn the cache flag off for {} and tell the product owner.",
            phase.name,
            if phase.all_users() {
                "every user".to_string()
            } else {
                phase.segments.join(", ")
            }
        )
    });
    let series = if phase.all_users() {
        format!("cacheroi_kpi{{kpi=\"{}\",segment=\"all\"}}", kpi.key())
    } else {
        let pick = if matches!(op, Op::Lt | Op::Le) { "min" } else { "max" };
        format!(
            "{pick}(cacheroi_kpi{{kpi=\"{}\",segment=~\"{}\"}})",
            kpi.key(),
            phase
                .segments
                .iter()
                .map(|s| regex_escape(s))
                .collect::<Vec<_>>()
                .join("|")
        )
    };
    let expr = format!(
        "({series} {} {}) and on() (cacheroi_rollout_week >= {})",
        op_text(op),
        number(value),
        phase.first_week
    );
    rules.push(rule(
        &alert_name(&phase.name, kpi.key(), false),
        &expr,
        text,
        &phase.name,
        &contingency,
    ));
    if kpi == Kpi::CacheHitRate {
        let hits = format!("sum(rate(redis_keyspace_hits_total{redis_selector}[1h]))");
        let misses = format!("sum(rate(redis_keyspace_misses_total{redis_selector}[1h]))");
        let expr = format!(
            "({hits} / ({hits} + {misses}) {} {}) and on() (cacheroi_rollout_week >= {})",
            op_text(op),
            number(value),
            phase.first_week
        );
        rules.push(rule(
            &alert_name(&phase.name, kpi.key(), true),
            &expr,
            &format!("{text} (Redis's own keyspace hit rate over the last hour)"),
            &phase.name,
            &contingency,
        ));
    }
    rules
}

fn rule(name: &str, expr: &str, trigger: &str, phase: &str, contingency: &str) -> String {
    format!(
        "      - alert: {name}\n        expr: {}\n        labels:\n          severity: critical\n          phase: {}\n        annotations:\n          summary: {}\n          trigger: {}\n          phase: {}\n          contingency: {}\n",
        yaml(expr),
        yaml(phase),
        yaml(&format!("Rollback trigger of {phase}: {trigger}")),
        yaml(trigger),
        yaml(phase),
        yaml(contingency)
    )
}

/// A segment name inside a PromQL regex.
fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The contingency of the first risk with a trigger signal on `kpi`.
fn contingency_of(register: Option<&Register>, kpi: Kpi) -> Option<String> {
    register?.risks.iter().find_map(|r| {
        r.signals
            .iter()
            .any(|s| {
                matches!(crate::evaluate::gate::parse(&s.trigger),
                    Ok(Check::Compare { kpi: k, .. } | Check::Threshold { kpi: k, .. }) if k == kpi)
            })
            .then(|| r.contingency.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_plan_gives_one_rule_per_measurable_trigger() {
        let plan = crate::evaluate::plan::parse(include_str!("../../sample-data/rollout-plan.yml")).unwrap();
        let rules = alert_rules(&plan, None, "{job=\"redis\"}");
        assert!(
            rules.contains("sum(rate(redis_keyspace_hits_total{job=\\\"redis\\\"}[1h]))"),
            "{rules}"
        );
        // error_rate > 1% (phase 1, again in phase 4: once), p99, hit rate
        // (and Redis's), complaints: 5 rules; data loss and security are comments.
        assert_eq!(rules.matches("      - alert: ").count(), 5, "{rules}");
        assert!(
            rules.contains("# any_data_loss (phase_3_enterprise): a person judges it"),
            "{rules}"
        );
        assert!(rules.contains(
            "expr: \"(max(cacheroi_kpi{kpi=\\\"error_rate\\\",segment=~\\\"internal_qa|development_team\\\"}) > 0.01) and on() (cacheroi_rollout_week >= 1)\""
        ), "{rules}");
        assert!(rules.contains(
            "expr: \"(min(cacheroi_kpi{kpi=\\\"cache_hit_rate\\\",segment=~\\\"early_adopters|power_users\\\"}) < 0.6) and on() (cacheroi_rollout_week >= 2)\""
        ), "{rules}");
        // It is YAML with the rules where Prometheus wants them.
        let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&rules).unwrap();
        assert_eq!(v["groups"][0]["rules"].as_sequence().unwrap().len(), 5);
        assert_eq!(v["groups"][0]["rules"][0]["annotations"]["trigger"], "error_rate > 1%");
    }

    /// The repository's Grafana dashboard reads only series `textfile`
    /// writes (or redis_exporter's) and names KPIs by their metrics.json keys.
    #[test]
    fn the_grafana_dashboard_reads_the_exported_series() {
        let dash: serde_json::Value =
            serde_json::from_str(include_str!("../../grafana/cacheroi-dashboard.json")).unwrap();
        let written = [
            "cacheroi_kpi",
            "cacheroi_kpi_target",
            "cacheroi_gate_verdict",
            "cacheroi_rollout_week",
            "cacheroi_cost_savings_",
            "cacheroi_report_week_start_timestamp_seconds",
        ];
        let mut kpis = 0;
        for panel in dash["panels"].as_array().unwrap() {
            for t in panel["targets"].as_array().unwrap() {
                let expr = t["expr"].as_str().unwrap();
                for name in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                    if name.starts_with("cacheroi_") {
                        assert!(written.contains(&name), "{name} in {expr}");
                    }
                }
                for part in expr.split("kpi=\"").skip(1) {
                    let key = part.split('"').next().unwrap();
                    assert!(Kpi::from_key(key).is_some(), "{key} in {expr}");
                    kpis += 1;
                }
            }
        }
        assert!(kpis >= 10, "{kpis}");
    }

    #[test]
    fn label_values_and_numbers_are_written_as_the_text_format_wants() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(regex_escape("a.b"), "a\\\\.b");
    }
}
