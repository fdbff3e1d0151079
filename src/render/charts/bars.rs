//! Grouped bar charts: a few categories, one bar per group in each.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Draw, PALETTE, YFormat, err, y_range};

pub struct BarChart {
    pub title: String,
    pub y_desc: String,
    pub categories: Vec<String>,
    /// (group name, value per category)
    pub groups: Vec<(String, Vec<Option<f64>>)>,
    pub y_format: YFormat,
}

impl Draw for BarChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: u32) -> Result<()> {
        let n = self.categories.len().max(1);
        let (y0, y1) = y_range(
            self.groups.iter().flat_map(|g| g.1.iter().flatten().copied()),
            self.y_format,
        );
        let mut chart = super::canvas(root, &self.title, s, (30, 58), 0f64..n as f64, y0..y1)?;
        let cats = &self.categories;
        let fmt = self.y_format;
        super::house_style(
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n * 2 + 1)
                .x_label_formatter(&|x| super::category_at(*x, cats))
                .y_label_formatter(&|y| fmt.label(*y))
                .y_labels(6)
                .y_desc(&self.y_desc),
            s,
        )
        .draw()
        .map_err(err)?;
        let g = self.groups.len().max(1) as f64;
        let width = 0.7 / g;
        for (gi, (name, values)) in self.groups.iter().enumerate() {
            let color = PALETTE[gi % PALETTE.len()];
            let bars = values.iter().enumerate().filter_map(|(ci, v)| {
                let v = (*v)?;
                let x0 = ci as f64 + 0.15 + gi as f64 * width;
                Some(Rectangle::new([(x0, 0.0), (x0 + width * 0.92, v)], color.filled()))
            });
            chart
                .draw_series(bars)
                .map_err(err)?
                .label(name)
                .legend(super::swatch(color, s));
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, s)
    }
}
