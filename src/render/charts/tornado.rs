//! A tornado chart: per driver, a bar from the base value to the value in
//! its worse case and one to the value in its better case, widest at the top.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{Chart, Draw, PALETTE, YFormat, err};
use crate::metrics::roi::RoiCase;

pub struct Tornado {
    pub title: String,
    pub x_desc: String,
    /// The base case.
    pub base: f64,
    /// (driver, value in the worse case, value in the better case), widest first.
    pub bars: Vec<(String, f64, f64)>,
}

impl Draw for Tornado {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: u32) -> Result<()> {
        let n = self.bars.len().max(1);
        let values = self.bars.iter().flat_map(|b| [b.1, b.2]).chain([self.base, 0.0]);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        let pad = ((hi - lo) * 0.08).max(1e-9);
        let mut chart = super::canvas(root, &self.title, s, (34, 150), (lo - pad)..(hi + pad), 0f64..n as f64)?;
        // Widest on top: driver k sits at y = n − k − 0.5.
        let names: Vec<String> = self.bars.iter().map(|b| b.0.clone()).collect();
        super::house_style(
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(n * 2 + 1)
                .y_label_formatter(&|y| super::category_at(n as f64 - y, &names))
                .x_label_formatter(&|x| YFormat::Number.label(*x))
                .x_labels(6)
                .x_desc(&self.x_desc),
            s,
        )
        .draw()
        .map_err(err)?;
        let (worse_c, better_c) = (PALETTE[3 % PALETTE.len()], PALETTE[2 % PALETTE.len()]);
        for (k, (_, worse, better)) in self.bars.iter().enumerate() {
            let y = n as f64 - k as f64 - 0.5;
            for (v, c) in [(*worse, worse_c), (*better, better_c)] {
                let (a, b) = if v < self.base { (v, self.base) } else { (self.base, v) };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(a, y - 0.3), (b, y + 0.3)],
                        c.filled(),
                    )))
                    .map_err(err)?;
            }
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(self.base, 0.0), (self.base, n as f64)],
                BLACK.stroke_width(s),
            )))
            .map_err(err)?
            .label("base case")
            .legend(move |(x, y)| PathElement::new(vec![(x, y - 5), (x, y + 5)], BLACK.stroke_width(s)));
        for (name, c) in [("worse case", worse_c), ("better case", better_c)] {
            chart
                .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())
                .map_err(err)?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new(
                        [(x, y - (4 * s) as i32), (x + (12 * s) as i32, y + (4 * s) as i32)],
                        c.filled(),
                    )
                });
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::LowerRight, s)
    }
}

/// The tornado chart of a case's sensitivity table.
pub fn of_case(case: &RoiCase, cur: &str) -> Result<Chart> {
    let f = |x: Decimal| x.to_f64().unwrap_or(0.0);
    let money = |x: Decimal| crate::ground::units::money(x.to_f64(), cur);
    let spec = Tornado {
        title: "Annualized net savings: one driver at a time".into(),
        base: f(case.roi.annualized_net_savings),
        bars: case
            .sensitivity
            .iter()
            .map(|s| (s.driver.to_string(), f(s.low.min(s.high)), f(s.low.max(s.high))))
            .collect(),
        x_desc: format!("annualized net savings ({cur})"),
    };
    let (svg, png) = super::render(&spec)?;
    Ok(Chart {
        name: "tornado".into(),
        title: spec.title.clone(),
        alt: format!(
            "Tornado chart of annualized net savings around the base case {}: {}.",
            money(case.roi.annualized_net_savings),
            case.sensitivity
                .iter()
                .map(|s| format!(
                    "{} from {} (worse case) to {} (better case)",
                    s.driver,
                    money(s.low.min(s.high)),
                    money(s.low.max(s.high))
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        headers: vec!["Driver".into(), "Worse case".into(), "Better case".into()],
        rows: case
            .sensitivity
            .iter()
            .map(|s| vec![s.driver.to_string(), money(s.low.min(s.high)), money(s.low.max(s.high))])
            .collect(),
        width: super::WIDTH,
        height: super::HEIGHT,
        svg,
        png,
    })
}
