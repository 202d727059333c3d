//! The equity curve against buy-and-hold IWM, as an SVG.

use std::path::Path;

use plotters::prelude::*;

/// `points`: (year as a fraction, strategy equity, buy-and-hold equity).
pub fn svg(path: &Path, points: &[(f64, f64, f64)]) -> Result<(), String> {
    if points.len() < 2 {
        return Err("nothing to plot: fewer than two bars".into());
    }
    if path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.eq_ignore_ascii_case("svg"))
        != Some(true)
    {
        return Err(format!("{}: only .svg plots are supported", path.display()));
    }
    // A few thousand points draw the same picture as a million, in a file a browser opens.
    let step = (points.len() / 3_000).max(1);
    let points: Vec<(f64, f64, f64)> = points.iter().step_by(step).copied().collect();
    let x0 = points[0].0;
    let x1 = points[points.len() - 1].0;
    let lo = points.iter().map(|p| p.1.min(p.2)).fold(f64::MAX, f64::min) * 0.98;
    let hi = points.iter().map(|p| p.1.max(p.2)).fold(f64::MIN, f64::max) * 1.02;
    let root = SVGBackend::new(path, (1000, 560)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "double-agent backtest: equity vs buy-and-hold IWM",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, lo..hi)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("year")
        .y_desc("equity ($)")
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), &BLUE))
        .map_err(|e| err(&e))?
        .label("double-agent")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.2)), &RED))
        .map_err(|e| err(&e))?
        .label("buy & hold IWM")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}
