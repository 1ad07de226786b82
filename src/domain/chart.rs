//! Chart geometry, computed here and drawn by askama SVG templates: where each bar, point and
//! label goes. Numbers are converted to `f64` for drawing only.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use std::fmt::Write;

use super::format::{number_fr, quantity_fr};

/// Drawing area of an indicator chart, in SVG user units.
pub const WIDTH: f64 = 360.0;
pub const HEIGHT: f64 = 160.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 24.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub y: f64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct XLabel {
    pub x: f64,
    pub label: String,
}

/// Target and actual of an indicator over the years: bars for the actuals, points joined by
/// lines for the targets.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorChart {
    pub width: f64,
    pub height: f64,
    pub baseline_y: f64,
    pub left: f64,
    pub right: f64,
    pub bars: Vec<Bar>,
    pub targets: Vec<Point>,
    pub target_lines: Vec<Segment>,
    pub ticks: Vec<Tick>,
    pub years: Vec<XLabel>,
    /// The text equivalent: every value, in words.
    pub description: String,
}

impl IndicatorChart {
    /// The grid lines, one path (`M56 136H352M56 74H352…`).
    pub fn grid_path(&self) -> String {
        let mut d = String::with_capacity(self.ticks.len() * 16);
        for t in &self.ticks {
            let _ = write!(
                d,
                "M{} {}H{}",
                Tenths(self.left),
                Tenths(t.y),
                Tenths(self.right)
            );
        }
        d
    }

    /// The bars, one path of vertical strokes as wide as a bar ([`Self::bar_width`]) from the
    /// baseline: the values they draw are in the chart's description.
    pub fn bars_path(&self) -> String {
        let mut d = String::with_capacity(self.bars.len() * 16);
        for b in &self.bars {
            let _ = write!(
                d,
                "M{} {}V{}",
                Tenths(b.x + b.width / 2.0),
                Tenths(self.baseline_y),
                Tenths(b.y)
            );
        }
        d
    }

    /// The width of the bars (the stroke of [`Self::bars_path`]).
    pub fn bar_width(&self) -> f64 {
        self.bars.first().map_or(0.0, |b| b.width)
    }

    /// The target line, through every target point (`x,y x,y…`); each vertex carries the
    /// point's mark. A lone target is a line of no length, so that it still carries its mark.
    pub fn target_points(&self) -> String {
        let mut points = String::with_capacity(self.targets.len() * 12);
        for (i, p) in self.targets.iter().enumerate() {
            let _ = write!(
                points,
                "{}{},{}",
                if i > 0 { " " } else { "" },
                Tenths(p.x),
                Tenths(p.y)
            );
        }
        if let [p] = self.targets.as_slice() {
            let _ = write!(points, " {},{}", Tenths(p.x), Tenths(p.y));
        }
        points
    }

    /// Where the ticks' labels end, left of the plot.
    pub fn tick_x(&self) -> f64 {
        self.left - 4.0
    }
}

/// What every chart over the same years shares: the axis and the years' labels. A page draws it
/// once (an SVG `<symbol>`) and each chart uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub baseline_y: f64,
    /// Where the years' labels sit (their baseline).
    pub years_y: f64,
    pub years: Vec<XLabel>,
}

impl IndicatorChart {
    /// This chart's frame: every chart over the same years has the same.
    pub fn frame(&self) -> Frame {
        Frame {
            width: self.width,
            height: self.height,
            left: self.left,
            right: self.right,
            baseline_y: self.baseline_y,
            years_y: self.height - 6.0,
            years: self.years.clone(),
        }
    }
}

fn year_labels(years: &[i32]) -> Vec<XLabel> {
    years
        .iter()
        .enumerate()
        .map(|(i, y)| XLabel {
            x: centre(years.len(), i),
            label: y.to_string(),
        })
        .collect()
}

/// The centre of year `i`'s slot among `n`.
fn centre(n: usize, i: usize) -> f64 {
    let slot = (WIDTH - LEFT - RIGHT) / n as f64;
    round(LEFT + slot * (i as f64 + 0.5))
}

/// A round step for about four ticks: 1, 2 or 5 times a power of ten.
pub fn nice_step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let rough = max / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let fraction = rough / power;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// The chart of one indicator, or `None` when it has no number to draw (or a negative one:
/// bars from zero cannot show it honestly).
pub fn indicator_chart(
    years: &[i32],
    targets: &[Option<Decimal>],
    actuals: &[Option<Decimal>],
    unit: Option<&str>,
) -> Option<IndicatorChart> {
    let all: Vec<Decimal> = targets.iter().chain(actuals).flatten().copied().collect();
    if all.is_empty() || all.iter().any(|v| v.is_sign_negative()) || years.is_empty() {
        return None;
    }
    let max = all
        .iter()
        .max()
        .copied()
        .unwrap_or_default()
        .to_f64()
        .unwrap_or(0.0);
    let mut step = nice_step(if unit == Some("%") {
        max.max(100.0)
    } else {
        max
    });
    // Counts (every value whole) are never read off half-way ticks: « 0,5 participant ».
    if all.iter().all(|v| v.fract().is_zero()) {
        step = step.max(1.0);
    }
    let top = (max / step).ceil().max(1.0) * step;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let y_of = |v: f64| round(TOP + plot_height * (1.0 - v / top));
    let slot = (WIDTH - LEFT - RIGHT) / years.len() as f64;
    let centre = |i: usize| centre(years.len(), i);
    let bar_width = round(slot * 0.5);

    let mut bars = Vec::new();
    let mut points = Vec::new();
    let mut words = Vec::new();
    for (i, year) in years.iter().enumerate() {
        let actual = actuals.get(i).copied().flatten();
        let target = targets.get(i).copied().flatten();
        // Each value written once, for its mark and for the chart's words.
        let actual_label = actual.map(|a| quantity_fr(a, unit));
        let target_label = target.map(|t| quantity_fr(t, unit));
        let said = match (&actual_label, &target_label) {
            (Some(a), Some(t)) => format!("{year} : réalisé {a}, cible {t}"),
            (Some(a), None) => format!("{year} : réalisé {a}"),
            (None, Some(t)) => format!("{year} : cible {t}, pas de réalisé"),
            (None, None) => format!("{year} : ni cible ni réalisé"),
        };
        words.push(said);
        if let (Some(a), Some(label)) = (actual, actual_label) {
            let y = y_of(a.to_f64().unwrap_or(0.0));
            bars.push(Bar {
                x: round(centre(i) - bar_width / 2.0),
                y,
                width: bar_width,
                height: round(y_of(0.0) - y),
                label,
            });
        }
        if let (Some(t), Some(label)) = (target, target_label) {
            points.push(Point {
                x: centre(i),
                y: y_of(t.to_f64().unwrap_or(0.0)),
                label,
            });
        }
    }
    let target_lines = points
        .windows(2)
        .map(|w| Segment {
            x1: w[0].x,
            y1: w[0].y,
            x2: w[1].x,
            y2: w[1].y,
        })
        .collect();
    let ticks = (0..=((top / step).round() as usize))
        .map(|k| {
            let v = step * k as f64;
            let number = number_fr(Decimal::from_f64_retain(v).unwrap_or_default().round_dp(2));
            Tick {
                y: y_of(v),
                label: if unit == Some("%") {
                    format!("{number}\u{A0}%")
                } else {
                    number
                },
            }
        })
        .collect();
    Some(IndicatorChart {
        width: WIDTH,
        height: HEIGHT,
        baseline_y: y_of(0.0),
        left: LEFT,
        right: WIDTH - RIGHT,
        bars,
        targets: points,
        target_lines,
        ticks,
        years: year_labels(years),
        description: words.join(" ; "),
    })
}

/// One part of a status distribution bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub x: f64,
    pub width: f64,
    pub count: usize,
    pub class: &'static str,
    pub label: &'static str,
}

/// A bar of `width` split in proportion to the counts, in the order given; empty parts are
/// left out. With no count at all, no part.
pub fn distribution(counts: &[(usize, &'static str, &'static str)], width: f64) -> Vec<Part> {
    let total: usize = counts.iter().map(|c| c.0).sum();
    if total == 0 {
        return Vec::new();
    }
    let mut x = 0.0;
    let mut parts = Vec::new();
    for &(count, class, label) in counts {
        if count == 0 {
            continue;
        }
        let w = round(width * count as f64 / total as f64);
        parts.push(Part {
            x: round(x),
            width: w,
            count,
            class,
            label,
        });
        x += w;
    }
    // Rounding must not leave a gap or overflow at the end.
    if let Some(last) = parts.last_mut() {
        last.width = round(width - last.x);
    }
    parts
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A coordinate to the tenth, written as `f64`'s `Display` writes it once rounded (`136`,
/// `94.7`), with integer arithmetic: a chart writes hundreds of them.
struct Tenths(f64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = (self.0 * 10.0).round() as i64;
        let (whole, tenth) = (tenths / 10, (tenths % 10).abs());
        if tenths < 0 && whole == 0 {
            f.write_str("-")?;
        }
        if tenth == 0 {
            write!(f, "{whole}")
        } else {
            write!(f, "{whole}.{tenth}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Option<Decimal> {
        Some(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn tenths_are_written_as_rounded_floats_are() {
        for v in [
            0.0, 136.0, 94.66, 12.04, 327.35, 0.05, 1234.5, -3.2, -0.4, 80.75,
        ] {
            assert_eq!(Tenths(v).to_string(), round(v).to_string(), "{v}");
        }
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(100.0), 50.0);
        assert_eq!(nice_step(97_972.0), 50_000.0);
        assert_eq!(nice_step(14_000.0), 5_000.0);
        assert_eq!(nice_step(7.0), 2.0);
        assert_eq!(nice_step(0.0), 1.0);
    }

    #[test]
    fn bars_and_target_points_sit_on_one_scale() {
        let chart = indicator_chart(
            &[2023, 2024],
            &[d("20000"), d("25000")],
            &[d("58526"), d("97972")],
            Some("h"),
        )
        .unwrap();
        // Scale 0–100 000 (step 50 000) over a plot from y = 12 to y = 136.
        assert_eq!(chart.baseline_y, 136.0);
        assert_eq!(
            chart.ticks.iter().map(|t| t.y).collect::<Vec<_>>(),
            [136.0, 74.0, 12.0]
        );
        assert_eq!(chart.ticks[1].label.replace('\u{202F}', " "), "50 000");
        assert_eq!(chart.bars.len(), 2);
        let b = &chart.bars[1];
        // 97 972 of 100 000: 97,972 % of 124 units above the baseline.
        assert!((b.y - (136.0 - 0.97972 * 124.0)).abs() < 0.1, "{b:?}");
        assert!(
            (b.y + b.height - 136.0).abs() < 0.11,
            "bars stand on the baseline"
        );
        assert_eq!(chart.targets.len(), 2);
        assert!((chart.targets[1].y - (136.0 - 0.25 * 124.0)).abs() < 0.1);
        assert_eq!(chart.target_lines.len(), 1);
        // Bars are centred in their year's slot.
        assert_eq!(chart.years[0].x, round(LEFT + (WIDTH - LEFT - RIGHT) / 4.0));
        assert!((b.x + b.width / 2.0 - chart.years[1].x).abs() < 0.11);
        assert_eq!(
            chart.description.replace(['\u{202F}', '\u{A0}'], " "),
            "2023 : réalisé 58 526 h, cible 20 000 h ; 2024 : réalisé 97 972 h, cible 25 000 h"
        );
    }

    #[test]
    fn percentages_are_drawn_on_0_to_100() {
        let chart = indicator_chart(
            &[2025, 2026, 2027],
            &[d("90"), d("95"), d("100")],
            &[d("45"), None, None],
            Some("%"),
        )
        .unwrap();
        assert_eq!(chart.ticks.last().unwrap().label, "100\u{A0}%");
        assert_eq!(chart.bars.len(), 1);
        assert!((chart.bars[0].height - 0.45 * 124.0).abs() < 0.11);
        assert!(chart.description.contains("2026 : cible 95"));
    }

    #[test]
    fn counts_get_whole_ticks_and_large_numbers_french_ones() {
        let chart = indicator_chart(&[2024], &[None], &[d("2")], Some("marchés")).unwrap();
        let labels: Vec<&str> = chart.ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0", "1", "2"], "no « 0,5 marché »");
        assert!(chart.targets.is_empty() && chart.target_lines.is_empty());
        // A measured quantity keeps its finer ticks.
        let chart = indicator_chart(&[2024], &[None], &[d("1.5")], Some("t")).unwrap();
        assert!(chart.ticks.iter().any(|t| t.label == "0,5"));
        // Round values, grouped by thousands.
        let chart = indicator_chart(&[2024], &[d("120000")], &[d("97972")], None).unwrap();
        let labels: Vec<String> = chart
            .ticks
            .iter()
            .map(|t| t.label.replace('\u{202F}', " "))
            .collect();
        assert_eq!(labels, ["0", "50 000", "100 000", "150 000"]);
    }

    #[test]
    fn the_target_line_joins_the_targets_of_every_year() {
        let chart = indicator_chart(
            &[2025, 2026, 2027],
            &[d("90"), d("95"), d("100")],
            &[None, None, None],
            Some("%"),
        )
        .unwrap();
        assert!(chart.bars.is_empty());
        assert_eq!(chart.target_lines.len(), 2);
        let (a, b) = (&chart.target_lines[0], &chart.target_lines[1]);
        assert_eq!((a.x2, a.y2), (b.x1, b.y1), "one unbroken line");
        assert_eq!((a.x1, a.y1), (chart.targets[0].x, chart.targets[0].y));
        // 95 % on a 0–100 scale: 95 % of the plot's 124 units above the baseline.
        assert!((a.y2 - (136.0 - 0.95 * 124.0)).abs() < 0.11);
        assert_eq!(chart.ticks.last().unwrap().label, "100\u{A0}%");
    }

    #[test]
    fn the_shared_frame_and_the_paths_draw_what_the_chart_says() {
        let years = [2025, 2026, 2027];
        let chart = indicator_chart(
            &years,
            &[d("90"), None, d("100")],
            &[d("45"), d("50"), None],
            Some("%"),
        )
        .unwrap();
        // Another indicator over the same years: the same frame (drawn once per page).
        let other = indicator_chart(&years, &[d("3")], &[d("2000"), None, d("1")], None).unwrap();
        assert_eq!(chart.frame(), other.frame());
        assert_eq!(chart.frame().baseline_y, 136.0);
        assert_eq!(chart.grid_path().matches('M').count(), chart.ticks.len());
        assert!(chart.grid_path().starts_with("M56 136H352"));
        // One stroke per bar, as wide as the bar, from the baseline up to the bar's top.
        let bars = chart.bars_path();
        assert_eq!(bars.matches('M').count(), 2);
        let b = &chart.bars[0];
        assert_eq!(chart.bar_width(), b.width);
        assert!(bars.starts_with(&format!("M{} 136V{}", round(b.x + b.width / 2.0), b.y)));
        assert!(
            (b.x + b.width / 2.0 - chart.years[0].x).abs() < 0.11,
            "centred on its year"
        );
        // The target line skips the year without a target, as the points do.
        let points = chart.target_points();
        let points: Vec<&str> = points.split(' ').collect();
        assert_eq!(points.len(), 2);
        assert_eq!(
            points[1],
            format!("{},{}", chart.targets[1].x, chart.targets[1].y)
        );
        // A lone target: a line of no length, which still carries the point's mark.
        let lone = indicator_chart(
            &years,
            &[None, d("80"), None],
            &[d("45"), None, None],
            Some("%"),
        )
        .unwrap();
        let p = &lone.targets[0];
        assert_eq!(lone.target_points(), format!("{0},{1} {0},{1}", p.x, p.y));
    }

    #[test]
    fn nothing_to_draw_gives_no_chart() {
        assert_eq!(indicator_chart(&[2025], &[None], &[None], None), None);
        assert_eq!(indicator_chart(&[2025], &[d("-3")], &[d("2")], None), None);
        assert_eq!(indicator_chart(&[], &[], &[], None), None);
    }

    #[test]
    fn distributions_fill_the_bar_in_proportion() {
        let parts = distribution(
            &[(2, "a", "A"), (0, "b", "B"), (1, "c", "C"), (1, "d", "D")],
            200.0,
        );
        assert_eq!(
            parts
                .iter()
                .map(|p| (p.x, p.width, p.count))
                .collect::<Vec<_>>(),
            [(0.0, 100.0, 2), (100.0, 50.0, 1), (150.0, 50.0, 1)]
        );
        let thirds = distribution(&[(1, "a", "A"), (1, "b", "B"), (1, "c", "C")], 100.0);
        let end = thirds.last().map(|p| p.x + p.width).unwrap();
        assert!((end - 100.0).abs() < 1e-9, "no gap at the end: {thirds:?}");
        assert!(distribution(&[(0, "a", "A")], 100.0).is_empty());
    }
}
