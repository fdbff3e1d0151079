//! Rendering: view model in, bytes out; nothing here touches the filesystem.
//! One tera environment holds every bundled template and the formatting
//! filters (`kpi`, `pct`, `num`, `money`, `status`, `change`, `md`), so
//! numbers are formatted once for every template.

pub mod charts;
pub mod files;
pub mod format;
pub mod inspect;
pub mod prometheus;
pub mod roi_csv;
pub mod roi_xlsx;
pub mod text;

use anyhow::{Context, Result};
use serde::Serialize;
use tera::{Kwargs, State, Tera, Value};

use crate::ground::units;

/// Bundled templates: (name, text), every `.html` and `.md` file of
/// `templates/` (listed by `build.rs`). `.html` names are autoescaped.
pub const TEMPLATES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The template environment: the bundled templates and filters, with each
/// of `custom` (name, text: the config's `templates_dir`, read by
/// `sources::templates`) taking the place of a bundled one of the same name.
pub fn environment(custom: &[(String, String)]) -> Result<Tera> {
    let mut tera = Tera::new();
    tera.autoescape_on([".html"]);
    // Filters first: tera 2 checks filter names when a template is added.
    register_filters(&mut tera);
    let mut templates: Vec<(String, String)> = TEMPLATES.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    for (name, text) in custom {
        match templates.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = text.clone(),
            None => templates.push((name.clone(), text.clone())),
        }
    }
    tera.add_raw_templates(templates.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| anyhow::anyhow!("templates: {e}"))?;
    Ok(tera)
}

fn num_arg(v: &Value) -> Option<f64> {
    if v.is_none() || v.is_undefined() {
        None
    } else {
        v.as_f64()
    }
}

fn register_filters(tera: &mut Tera) {
    tera.register_filter("kpi", |v: Value, kw: Kwargs, _: &State| -> tera::TeraResult<String> {
        let unit = kw.get::<&str>("unit")?.unwrap_or("count");
        let currency = kw.get::<&str>("currency")?.unwrap_or("USD");
        Ok(units::kpi(num_arg(&v), unit, currency))
    });
    tera.register_filter(
        "change",
        |v: Value, kw: Kwargs, _: &State| -> tera::TeraResult<String> {
            let unit = kw.get::<&str>("unit")?.unwrap_or("count");
            let currency = kw.get::<&str>("currency")?.unwrap_or("USD");
            Ok(units::change(num_arg(&v), unit, currency))
        },
    );
    tera.register_filter("pct", |v: Value, _: Kwargs, _: &State| units::pct(num_arg(&v)));
    tera.register_filter("num", |v: Value, _: Kwargs, _: &State| units::count(num_arg(&v)));
    tera.register_filter("bytes", |v: Value, _: Kwargs, _: &State| units::bytes(num_arg(&v)));
    tera.register_filter("status", |v: Value, _: Kwargs, _: &State| format::status(v.as_str()));
    // A survey answer on the 1–5 scale: "5/5", "3.8/5".
    tera.register_filter("answer", |v: Value, _: Kwargs, _: &State| {
        num_arg(&v).map_or_else(|| "—".to_string(), crate::ground::score::answer)
    });
    // "24 complaints", "1 restart": a count with its noun, never "(s)".
    tera.register_filter(
        "plural",
        |v: Value, kw: Kwargs, _: &State| -> tera::TeraResult<String> {
            let one = kw.get::<&str>("one")?.unwrap_or("");
            Ok(units::plural(num_arg(&v), one))
        },
    );
    // A code of the data ("missing_value") in words ("missing value").
    tera.register_filter("words", |v: Value, _: Kwargs, _: &State| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
            .replace('_', " ")
    });
    tera.register_filter("md", |v: Value, _: Kwargs, _: &State| {
        format::md_escape(v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()).as_str())
    });
}

/// What a report template sees: the report model, how many of its headline
/// targets are met / at risk / without data, and its charts.
#[derive(Serialize)]
pub struct View<'a, T: Serialize> {
    #[serde(flatten)]
    pub report: &'a T,
    pub met: usize,
    pub missed: usize,
    pub at_risk: usize,
    pub no_data: usize,
    pub with_target: usize,
    pub charts: &'a [charts::Chart],
    /// Where the chart files sit relative to the page.
    pub chart_prefix: &'a str,
}

impl<'a, T: Serialize> View<'a, T> {
    pub fn new(report: &'a T, headline: &[crate::report::KpiRow], charts: &'a [charts::Chart]) -> Self {
        use crate::evaluate::Status;
        let count = |s: Status| headline.iter().filter(|r| r.status == Some(s)).count();
        View {
            report,
            met: count(Status::Met),
            missed: count(Status::Missed),
            at_risk: count(Status::AtRisk),
            no_data: count(Status::NoData),
            with_target: headline.len(),
            charts,
            chart_prefix: "charts/",
        }
    }
}

/// Render a bundled template with a serialisable model as its context.
pub fn render<T: Serialize>(tera: &Tera, template: &str, model: &T) -> Result<String> {
    let ctx = tera::Context::from_serialize(model).context("report model")?;
    tera.render(template, &ctx)
        .with_context(|| format!("rendering {template}"))
}
