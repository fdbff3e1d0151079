//! Charts rendered server-side with plotters, each as SVG (text, for
//! snapshots and browsers) and PNG at 2× resolution (for e-mail clients),
//! with an embedded DejaVu Sans so text renders on machines without fonts,
//! in the Okabe–Ito colour-blind-safe palette. Pure: specs in, bytes out.

pub mod bars;
pub mod dashboard;
pub mod line;
pub mod tornado;
pub mod weekly;

use std::sync::Once;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Serialize;

/// Logical size of every chart (CSS pixels); the PNG has twice as many.
pub const WIDTH: u32 = 600;
pub const HEIGHT: u32 = 300;
/// PNG pixels per logical pixel.
pub const PNG_SCALE: u32 = 2;

/// Okabe & Ito's palette, distinguishable with every common colour-vision
/// deficiency: blue, orange, bluish green, vermillion, reddish purple, sky
/// blue, yellow, black.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Register the bundled font as "sans-serif" (once, before any text is drawn).
fn register_font() {
    REGISTER.call_once(|| {
        // The font is bundled and known good; a failure would only lose text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Text from the data (a segment's name) as a chart can draw it: characters
/// the bundled font lacks (emoji, most symbols) would be empty boxes in the
/// PNG, so they are left out and the spaces around them closed. The HTML
/// table under the chart keeps the text as it is.
pub fn chart_text(text: &str) -> String {
    use ab_glyph::Font;
    static FACE: std::sync::OnceLock<Option<ab_glyph::FontRef<'static>>> = std::sync::OnceLock::new();
    let Some(face) = FACE.get_or_init(|| ab_glyph::FontRef::try_from_slice(FONT).ok()) else {
        return text.to_string();
    };
    let kept: String = text
        .chars()
        .filter(|c| c.is_whitespace() || face.glyph_id(*c).0 != 0)
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A rendered chart with what a reader without images needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// File stem under `charts/` (`headline-kpis` → `headline-kpis.png`, `.svg`).
    pub name: String,
    pub title: String,
    /// Alt text: what the chart shows, with the key figures.
    pub alt: String,
    /// A small data table shown under the image as a fallback.
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub width: u32,
    pub height: u32,
    #[serde(skip)]
    pub svg: String,
    #[serde(skip)]
    pub png: Vec<u8>,
}

/// Something that draws itself on any plotters backend at a given scale.
pub trait Draw {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, scale: u32) -> Result<()>;
}

/// The house font at `size` points, scaled by `s`.
fn font(size: u32, s: u32) -> (&'static str, f64) {
    ("sans-serif", (size * s) as f64)
}

/// The frame every chart shares: a white canvas, the title, 8 px margins
/// and label areas of `x_area` × `y_area` px (all scaled by `s`), over
/// `x` × `y`.
fn canvas<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    s: u32,
    (x_area, y_area): (u32, u32),
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>,
> {
    canvas_beside(root, title, s, (x_area, y_area), 0, x, y)
}

/// [`canvas`] with `right` px (scaled by `s`) kept free right of the plot,
/// for a legend that must not cover the data.
fn canvas_beside<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    s: u32,
    (x_area, y_area): (u32, u32),
    right: u32,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>,
> {
    root.fill(&WHITE).map_err(err)?;
    ChartBuilder::on(root)
        .caption(title, font(15, s))
        .margin(8 * s)
        .margin_right((8 + right) * s)
        .x_label_area_size(x_area * s)
        .y_label_area_size(y_area * s)
        .build_cartesian_2d(x, y)
        .map_err(err)
}

/// The house style of a chart's mesh: label and axis fonts, grid colours.
fn house_style<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
    s: u32,
) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style(font(10, s))
        .axis_desc_style(font(11, s))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing a chart: {e:?}")
}

/// Render a chart spec to SVG and 2× PNG.
pub fn render(spec: &impl Draw) -> Result<(String, Vec<u8>)> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        spec.draw(&root, 1)?;
        root.present().map_err(err)?;
    }
    let (w, h) = (WIDTH * PNG_SCALE, HEIGHT * PNG_SCALE);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        spec.draw(&root, PNG_SCALE)?;
        root.present().map_err(err)?;
    }
    let mut png = Vec::new();
    use image::ImageEncoder;
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&rgb, w, h, image::ColorType::Rgb8)
        .map_err(|e| anyhow!("encoding a PNG: {e}"))?;
    Ok((svg, png))
}

/// How the y axis is labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YFormat {
    Percent,
    Number,
    Milliseconds,
}

impl YFormat {
    pub fn label(self, v: f64) -> String {
        match self {
            YFormat::Percent => format!("{:.0} %", v * 100.0),
            YFormat::Milliseconds => format!("{v:.0} ms"),
            // One style on an axis: thousands separators ("5,000",
            // "10,000"), millions from ten million on.
            YFormat::Number if v.abs() >= 10_000_000.0 => format!("{:.1} M", v / 1_000_000.0),
            YFormat::Number => crate::ground::units::count(Some(v)),
        }
    }
}

/// A y range that holds every value with a little air, from 0 for
/// percentages and counts.
pub fn y_range(values: impl Iterator<Item = f64>, fmt: YFormat) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    lo = lo.min(0.0);
    if fmt == YFormat::Percent {
        hi = hi.max(1.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-9);
    (if lo < 0.0 { lo - pad } else { lo }, hi + pad)
}

/// A filled square legend swatch of `color` at scale `s`.
pub fn swatch(color: RGBColor, s: u32) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| {
        Rectangle::new(
            [(x, y - (4 * s) as i32), (x + (12 * s) as i32, y + (4 * s) as i32)],
            color.filled(),
        )
    }
}

/// Draw the series legend of `chart` at `position`, in the charts' style.
pub fn draw_legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
    s: u32,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(("sans-serif", (10 * s) as f64))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .draw()
        .map_err(err)?;
    Ok(())
}

/// The name of the category centred at `pos` (category i spans [i, i + 1]),
/// or nothing between categories: the axis label of a bar chart.
pub fn category_at(pos: f64, names: &[String]) -> String {
    let i = (pos - 0.5).round();
    if (pos - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
        names.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_the_font_cannot_draw_is_left_out_of_charts() {
        assert_eq!(chart_text("Ünïcode 🚀 Labs"), "Ünïcode Labs");
        // DejaVu Sans draws the emoticons block (😍), not transport symbols (🚀).
        assert_eq!(chart_text("Love it 😍🚀"), "Love it 😍");
        assert_eq!(chart_text("large_enterprise"), "large_enterprise");
    }

    #[test]
    fn number_labels_keep_one_style() {
        // A tornado axis from −12,500 to 10,000 (before: "5000" beside "10 k").
        let labels: Vec<String> = [-12_500.0, 0.0, 5_000.0, 10_000.0]
            .iter()
            .map(|v| YFormat::Number.label(*v))
            .collect();
        assert_eq!(labels, ["-12,500", "0", "5,000", "10,000"]);
        assert_eq!(YFormat::Number.label(25_000_000.0), "25.0 M");
    }
}
