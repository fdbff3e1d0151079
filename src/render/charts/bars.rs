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
        root.fill(&WHITE).map_err(err)?;
        let n = self.categories.len().max(1);
        let (y0, y1) = y_range(
            self.groups.iter().flat_map(|g| g.1.iter().flatten().copied()),
            self.y_format,
        );
        let font = |size: u32| ("sans-serif", (size * s) as f64);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, font(15))
            .margin(8 * s)
            .x_label_area_size(30 * s)
            .y_label_area_size(58 * s)
            .build_cartesian_2d(0f64..n as f64, y0..y1)
            .map_err(err)?;
        let cats = &self.categories;
        let fmt = self.y_format;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|x| super::category_at(*x, cats))
            .y_label_formatter(&|y| fmt.label(*y))
            .y_labels(6)
            .y_desc(&self.y_desc)
            .label_style(font(10))
            .axis_desc_style(font(11))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
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
