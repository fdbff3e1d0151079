//! `cacheroi export`: the week's figures where monitoring can use them
//! (docs/prometheus.md "Export"): the weekly report's KPIs, targets and
//! gate verdict as Prometheus series, to a textfile or a Pushgateway, and
//! the plan's rollback triggers as Prometheus alerting rules.

use anyhow::Result;

use crate::cli::ExportArgs;
use crate::config::Settings;

/// `cacheroi export`: the lines for stdout (what was written where).
pub fn run(settings: &Settings, args: &ExportArgs) -> Result<Vec<String>> {
    let mut said = Vec::new();
    let gateway = args
        .pushgateway
        .as_deref()
        .map(crate::deliver::prometheus::pushgateway)
        .transpose()?;
    if let Some(path) = &args.alert_rules {
        let plan = super::gate::read_plan(settings)?;
        let register = super::inputs::register_of(settings)?;
        let selector = settings
            .sources
            .prometheus
            .as_ref()
            .map_or_else(String::new, |p| p.matchers_text());
        let rules = crate::render::prometheus::alert_rules(&plan, register.as_ref(), &selector);
        crate::deliver::prometheus::write_textfile(path, &rules)?;
        said.push(format!("wrote {}", path.display()));
    }
    if args.textfile.is_none() && gateway.is_none() {
        return Ok(said);
    }
    let week = crate::period::resolve_week(&args.week, settings.now(), settings.timezone)?;
    let report = super::weekly::build(settings, week)?;
    let text = crate::render::prometheus::textfile(&report);
    if let Some(path) = &args.textfile {
        crate::deliver::prometheus::write_textfile(path, &text)?;
        said.push(format!("wrote {}", path.display()));
    }
    if let Some(g) = &gateway {
        let tries = crate::deliver::prometheus::push(g, &text)?;
        said.push(format!(
            "pushed {} to the Pushgateway ({})",
            week.label(),
            crate::ground::units::plural(Some(f64::from(tries)), "attempt")
        ));
    }
    Ok(said)
}
