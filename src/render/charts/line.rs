//! Line charts over labelled x positions (weeks, days), with optional dashed
//! series for targets and levels.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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

/// Width (logical px) of the legend column right of the plot, used when a
/// chart has more series than fit in a corner without covering lines.
const SIDE_LEGEND: u32 = 150;
/// More solid series than this get the legend beside the plot.
const CORNER_LEGEND_MAX: usize = 3;

impl LineChart {
    /// For each series, the earlier solid series it coincides with at every
    /// point (within half a percent of the y range): it is drawn dashed on
    /// top, so both stay visible, and its legend entry says so.
    fn same_as(&self, y_span: f64) -> Vec<Option<usize>> {
        let tol = y_span * 0.005;
        let same = |a: &Series, b: &Series| {
            a.values.len() == b.values.len()
                && a.values.iter().zip(&b.values).all(|(x, y)| match (x, y) {
                    (None, None) => true,
                    (Some(x), Some(y)) => (x - y).abs() <= tol,
                    _ => false,
                })
        };
        self.series
            .iter()
            .enumerate()
            .map(|(j, b)| {
                if b.dashed || b.values.iter().all(Option::is_none) {
                    return None;
                }
                (0..j).find(|&i| !self.series[i].dashed && same(&self.series[i], b))
            })
            .collect()
    }
}

/// Each run of consecutive finite values as (x, y) points: one line each,
/// gaps stay gaps.
fn runs_of(values: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) if v.is_finite() => runs.last_mut().expect("run").push((i as f64, *v)),
            _ => runs.push(Vec::new()),
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

impl Draw for LineChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: u32) -> Result<()> {
        let n = self.x_labels.len().max(1);
        let (y0, y1) = y_range(
            self.series.iter().flat_map(|s| s.values.iter().flatten().copied()),
            self.y_format,
        );
        let same_as = self.same_as(y1 - y0);
        let solid = self.series.iter().filter(|s| !s.dashed).count();
        let beside = solid > CORNER_LEGEND_MAX;
        let right = if beside { SIDE_LEGEND } else { 0 };
        let mut chart = super::canvas_beside(root, &self.title, s, (38, 58), right, -0.4f64..(n as f64 - 0.6), y0..y1)?;
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
        for (series, same) in self.series.iter().zip(&same_as) {
            let color = PALETTE[series.color % PALETTE.len()];
            let style = color.stroke_width(2 * s);
            let mut first = true;
            for run in runs_of(&series.values) {
                let drawn = if series.dashed {
                    chart
                        .draw_series(DashedLineSeries::new(
                            run.clone(),
                            6 * s,
                            4 * s,
                            color.stroke_width(s + s / 2),
                        ))
                        .map_err(err)?
                } else if same.is_some() {
                    // On top of the line it coincides with: dashes let both show.
                    chart
                        .draw_series(DashedLineSeries::new(run.clone(), 7 * s, 7 * s, style))
                        .map_err(err)?
                } else {
                    chart.draw_series(LineSeries::new(run.clone(), style)).map_err(err)?;
                    chart
                        .draw_series(run.iter().map(|p| Circle::new(*p, 2 * s, color.filled())))
                        .map_err(err)?
                };
                // Dashed lines are explained by the title, not the legend.
                if first && !series.dashed && !beside {
                    let swatch = color.stroke_width(2 * s);
                    drawn
                        .label(&series.name)
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + (12 * s) as i32, y)], swatch));
                    first = false;
                }
            }
        }
        if beside {
            return self.side_legend(root, s, &same_as);
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::LowerRight, s)
    }
}

impl LineChart {
    /// The legend in its own column right of the plot: a swatch and the
    /// name per solid series, "same line as …" under a coinciding one.
    fn side_legend<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: u32,
        same_as: &[Option<usize>],
    ) -> Result<()> {
        let (w, _) = root.dim_in_pixel();
        let x0 = w as i32 - ((SIDE_LEGEND + 4) * s) as i32;
        let mut y = (40 * s) as i32;
        let name_font = ("sans-serif", (10 * s) as f64).into_font().color(&BLACK);
        let note_font = ("sans-serif", (9 * s) as f64).into_font().color(&RGBColor(75, 85, 99));
        let centred = |f: plotters::style::TextStyle<'static>| f.pos(Pos::new(HPos::Left, VPos::Center));
        for (series, same) in self.series.iter().zip(same_as).filter(|(s, _)| !s.dashed) {
            let color = PALETTE[series.color % PALETTE.len()];
            let line = vec![(x0, y), (x0 + (14 * s) as i32, y)];
            if same.is_some() {
                root.draw(&PathElement::new(
                    vec![line[0], (x0 + (5 * s) as i32, y)],
                    color.stroke_width(2 * s),
                ))
                .map_err(err)?;
                root.draw(&PathElement::new(
                    vec![(x0 + (9 * s) as i32, y), line[1]],
                    color.stroke_width(2 * s),
                ))
                .map_err(err)?;
            } else {
                root.draw(&PathElement::new(line, color.stroke_width(2 * s)))
                    .map_err(err)?;
            }
            root.draw(&Text::new(
                series.name.clone(),
                (x0 + (18 * s) as i32, y),
                centred(name_font.clone()),
            ))
            .map_err(err)?;
            y += (14 * s) as i32;
            if let Some(i) = same {
                root.draw(&Text::new(
                    format!("same line as {}", self.series[*i].name),
                    (x0 + (18 * s) as i32, y - (2 * s) as i32),
                    centred(note_font.clone()),
                ))
                .map_err(err)?;
                y += (13 * s) as i32;
            }
        }
        Ok(())
    }
}
