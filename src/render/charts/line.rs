//! Line charts over labelled x positions (weeks, days), with optional dashed
//! series for targets and levels.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Draw, PALETTE, YFormat, err, y_range};

pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
    pub color: usize,
    /// Dashed, no markers: a target or reference level.
    pub dashed: bool,
}

pub struct LineChart {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub x_labels: Vec<String>,
    pub series: Vec<Series>,
    pub y_format: YFormat,
}

impl Draw for LineChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: u32) -> Result<()> {
        let n = self.x_labels.len().max(1);
        let (y0, y1) = y_range(
            self.series.iter().flat_map(|s| s.values.iter().flatten().copied()),
            self.y_format,
        );
        let mut chart = super::canvas(root, &self.title, s, (38, 58), -0.4f64..(n as f64 - 0.6), y0..y1)?;
        let labels = &self.x_labels;
        let step = n.div_ceil(8).max(1);
        let x_fmt = |x: &f64| {
            let i = x.round();
            if (x - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            let i = i as usize;
            if i.is_multiple_of(step) {
                labels.get(i).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let fmt = self.y_format;
        super::house_style(
            chart
                .configure_mesh()
                .x_labels(n.min(60))
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&|y| fmt.label(*y))
                .y_labels(6)
                .x_desc(&self.x_desc)
                .y_desc(&self.y_desc),
            s,
        )
        .draw()
        .map_err(err)?;
        for series in &self.series {
            let color = PALETTE[series.color % PALETTE.len()];
            let points: Vec<(f64, Option<f64>)> =
                series.values.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect();
            // Each run of consecutive values is one line; gaps stay gaps.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (x, v) in points {
                match v {
                    Some(v) if v.is_finite() => runs.last_mut().expect("run").push((x, v)),
                    _ => runs.push(Vec::new()),
                }
            }
            let style = color.stroke_width(2 * s);
            let mut first = true;
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                let drawn = if series.dashed {
                    chart
                        .draw_series(DashedLineSeries::new(
                            run.clone(),
                            6 * s,
                            4 * s,
                            color.stroke_width(s + s / 2),
                        ))
                        .map_err(err)?
                } else {
                    chart.draw_series(LineSeries::new(run.clone(), style)).map_err(err)?;
                    chart
                        .draw_series(run.iter().map(|p| Circle::new(*p, 2 * s, color.filled())))
                        .map_err(err)?
                };
                // Dashed lines are explained by the title, not the legend.
                if first && !series.dashed {
                    let swatch = color.stroke_width(2 * s);
                    drawn
                        .label(&series.name)
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + (12 * s) as i32, y)], swatch));
                    first = false;
                }
            }
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::LowerRight, s)
    }
}
