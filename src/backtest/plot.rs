//! `backtest --plot FILE.svg`: the account, the book alone (hedge mode) and buy-and-hold IWM on
//! one dated axis, with their drawdowns in a panel under it; the legend sits above the data.

use std::path::Path;

use plotters::prelude::*;

/// A named, coloured series of (year, dollars).
type Line<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);

/// `points`: (year as a fraction, the account, the book alone, buy-and-hold IWM). `hedge`: the
/// account is book + agents (else the agents' own account, and the book line is left out).
pub fn svg(path: &Path, points: &[(f64, f64, f64, f64)], hedge: bool) -> Result<(), String> {
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
    let points: Vec<_> = points.iter().step_by(step).copied().collect();
    let account = if hedge {
        "book + agents"
    } else {
        "agents (the account)"
    };
    let mut lines: Vec<Line> = vec![
        (
            account,
            RGBColor(31, 119, 180),
            points.iter().map(|p| (p.0, p.1)).collect(),
        ),
        (
            "buy & hold IWM",
            RGBColor(214, 39, 40),
            points.iter().map(|p| (p.0, p.3)).collect(),
        ),
    ];
    if hedge {
        lines.insert(
            1,
            (
                "book alone (IWM)",
                RGBColor(120, 120, 120),
                points.iter().map(|p| (p.0, p.2)).collect(),
            ),
        );
    }
    let x0 = points[0].0;
    let x1 = points[points.len() - 1].0;
    let all = lines.iter().flat_map(|l| l.2.iter().map(|p| p.1));
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let root = SVGBackend::new(path, (1100, 720)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, bottom) = root.split_vertically(500);
    let year = |x: &f64| format!("{:.0}", x.floor());
    let mut chart = ChartBuilder::on(&top)
        .caption("double-agent backtest", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(90)
        // Head room for the legend, so it never sits on the lines.
        .build_cartesian_2d(x0..x1, (lo * 0.95)..(hi * 1.25))
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_label_formatter(&year)
        .y_label_formatter(&|y| dollars(*y))
        .y_desc("account value")
        .draw()
        .map_err(|e| err(&e))?;
    for (name, color, pts) in &lines {
        let color = *color;
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(|e| err(&e))?;

    let drawdowns: Vec<(RGBColor, Vec<(f64, f64)>)> = lines
        .iter()
        .map(|(_, c, pts)| {
            let mut peak = f64::MIN;
            let dd = pts
                .iter()
                .map(|&(x, y)| {
                    peak = peak.max(y);
                    (x, 100.0 * (y / peak - 1.0))
                })
                .collect();
            (*c, dd)
        })
        .collect();
    let deepest = drawdowns
        .iter()
        .flat_map(|d| d.1.iter().map(|p| p.1))
        .fold(0.0, f64::min);
    let mut dd = ChartBuilder::on(&bottom)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(90)
        .build_cartesian_2d(x0..x1, (deepest * 1.05)..0.0)
        .map_err(|e| err(&e))?;
    dd.configure_mesh()
        .x_label_formatter(&year)
        .y_label_formatter(&|y| format!("{y:.0} %"))
        .y_desc("drawdown")
        .draw()
        .map_err(|e| err(&e))?;
    for (color, pts) in &drawdowns {
        dd.draw_series(LineSeries::new(pts.iter().copied(), color))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))
}

/// "$1,234,567": whole dollars with thousands separators.
pub(super) fn dollars(y: f64) -> String {
    crate::model::money::usd(rust_decimal::Decimal::from_f64_retain(y).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn dollars_are_grouped() {
        assert_eq!(super::dollars(1_234_567.4), "$1,234,567");
        assert_eq!(super::dollars(999.0), "$999");
        assert_eq!(super::dollars(-12_000.0), "-$12,000");
    }
}
