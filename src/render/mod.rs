//! Rendering: view model in, bytes out; nothing here touches the filesystem.
//! One tera environment holds every bundled template and the formatting
//! filters (`kpi`, `pct`, `num`, `money`, `status`, `change`, `md`), so
//! numbers are formatted once for every template.

pub mod format;

use anyhow::{Context, Result};
use serde::Serialize;
use tera::{Kwargs, State, Tera, Value};

/// Bundled templates: (name, text). `.html` names are autoescaped.
const TEMPLATES: &[(&str, &str)] = &[("weekly.md", include_str!("../../templates/weekly.md"))];

/// The template environment with the bundled templates and filters.
pub fn environment() -> Result<Tera> {
    let mut tera = Tera::new();
    tera.autoescape_on([".html"]);
    // Filters first: tera 2 checks filter names when a template is added.
    register_filters(&mut tera);
    for (name, text) in TEMPLATES {
        tera.add_raw_template(name, text)
            .with_context(|| format!("template {name}"))?;
    }
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
        Ok(format::kpi(num_arg(&v), unit, currency))
    });
    tera.register_filter(
        "change",
        |v: Value, kw: Kwargs, _: &State| -> tera::TeraResult<String> {
            let unit = kw.get::<&str>("unit")?.unwrap_or("count");
            let currency = kw.get::<&str>("currency")?.unwrap_or("USD");
            Ok(format::change(num_arg(&v), unit, currency))
        },
    );
    tera.register_filter("pct", |v: Value, _: Kwargs, _: &State| format::pct(num_arg(&v)));
    tera.register_filter("num", |v: Value, _: Kwargs, _: &State| format::count(num_arg(&v)));
    tera.register_filter("bytes", |v: Value, _: Kwargs, _: &State| format::bytes(num_arg(&v)));
    tera.register_filter("status", |v: Value, _: Kwargs, _: &State| format::status(v.as_str()));
    tera.register_filter("md", |v: Value, _: Kwargs, _: &State| {
        format::md_escape(v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()).as_str())
    });
}

/// Render a bundled template with a serialisable model as its context.
pub fn render<T: Serialize>(tera: &Tera, template: &str, model: &T) -> Result<String> {
    let ctx = tera::Context::from_serialize(model).context("report model")?;
    tera.render(template, &ctx)
        .with_context(|| format!("rendering {template}"))
}
