//! The pieces genpdf does not have: pages with a running header and « page n / N », a chart kept
//! with its caption, and a table whose header repeats on every page it spans.

use std::cell::Cell;
use std::rc::Rc;

use genpdf::elements::{FrameCellDecorator, Paragraph, TableLayout};
use genpdf::error::Error;
use genpdf::render::Area;
use genpdf::style::{Color, Style};
use genpdf::{Context, Element, Margins, Mm, Position, RenderResult, Size};

use crate::domain::chart::IndicatorChart;

pub const MUTED: Color = Color::Rgb(0x55, 0x55, 0x55);
const GRID: Color = Color::Rgb(0xcc, 0xcc, 0xcc);
const BAR: Color = Color::Rgb(0x1f, 0x4e, 0x8c);
const TARGET: Color = Color::Rgb(0xc2, 0x41, 0x0c);

/// Margins of every page, then the room taken by the running header and the footer.
const PAGE_MARGINS: (f64, f64) = (12.0, 18.0);
const HEADER: f64 = 10.0;
const FOOTER: f64 = 9.0;

/// Draws the running header (not on the cover) and « page n / N » at the foot of each page.
/// The document is laid out twice: the first time counts the pages into `count`.
pub struct Pages {
    pub header: String,
    pub total: Option<usize>,
    pub count: Rc<Cell<usize>>,
}

impl genpdf::PageDecorator for Pages {
    fn decorate_page<'a>(
        &mut self,
        context: &Context,
        mut area: Area<'a>,
        style: Style,
    ) -> Result<Area<'a>, Error> {
        let page = self.count.get() + 1;
        self.count.set(page);
        area.add_margins(Margins::vh(PAGE_MARGINS.0, PAGE_MARGINS.1));
        let width = area.size().width;
        let small = style.with_font_size(8).with_color(MUTED);
        if page > 1 {
            let header = fit(&self.header, width, |t| {
                small.str_width(&context.font_cache, t)
            });
            area.print_str(&context.font_cache, Position::new(0, 0), small, header)?;
            area.draw_line(
                vec![Position::new(0, 5.5), Position::new(width, 5.5)],
                Style::new().with_color(GRID),
            );
        }
        let footer = match self.total {
            Some(total) => format!("page {page} / {total}"),
            None => format!("page {page} / {page}"),
        };
        let footer_width = small.str_width(&context.font_cache, &footer);
        let bottom = area.size().height - Mm::from(4.0);
        area.print_str(
            &context.font_cache,
            Position::new(width - footer_width, bottom),
            small,
            footer,
        )?;
        area.add_offset(Position::new(0, HEADER));
        let height = area.size().height - Mm::from(FOOTER);
        area.set_height(height);
        Ok(area)
    }
}

/// The text, cut at a word and ended with « … » if it is wider than `width`.
fn fit(text: &str, width: Mm, measure: impl Fn(&str) -> Mm) -> String {
    if measure(text) <= width {
        return text.to_string();
    }
    let mut words: Vec<&str> = text.split(' ').collect();
    while words.len() > 1 {
        words.pop();
        let cut = format!("{} …", words.join(" "));
        if measure(&cut) <= width {
            return cut;
        }
    }
    text.to_string()
}

/// An indicator's chart, its title and its caption (legend and every value in words), never
/// split across two pages.
pub struct ChartBlock {
    pub title: String,
    pub chart: IndicatorChart,
    done: bool,
}

impl ChartBlock {
    pub fn new(title: String, chart: IndicatorChart) -> Self {
        ChartBlock {
            title,
            chart,
            done: false,
        }
    }

    fn caption(&self) -> String {
        let mut legend = Vec::new();
        if !self.chart.bars.is_empty() {
            legend.push("barres : réalisé");
        }
        if !self.chart.targets.is_empty() {
            legend.push("ligne : cible");
        }
        format!(
            "{}. {}.",
            capitalise(&legend.join(", ")),
            self.chart.description
        )
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Width of the drawn chart on the page.
const CHART_WIDTH: f64 = 120.0;

impl Element for ChartBlock {
    fn render(
        &mut self,
        context: &Context,
        area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, Error> {
        if self.done {
            return Ok(RenderResult::default());
        }
        let scale = CHART_WIDTH.min(f64::from(area.size().width)) / self.chart.width;
        let chart_height = self.chart.height * scale;
        let title_style = style.bold().with_font_size(9);
        let caption_style = style.with_font_size(8).with_color(MUTED);
        let title_height = f64::from(title_style.line_height(&context.font_cache)) + 1.0;
        let caption = self.caption();
        // The caption's lines, estimated from its width: enough to keep it with the chart.
        let caption_lines = (f64::from(caption_style.str_width(&context.font_cache, &caption))
            / f64::from(area.size().width))
        .ceil()
            + 1.0;
        let caption_height =
            caption_lines * f64::from(caption_style.line_height(&context.font_cache));
        let needed = title_height + chart_height + caption_height + 4.0;
        if f64::from(area.size().height) < needed {
            return Ok(RenderResult {
                size: Size::new(0, 0),
                has_more: true,
            });
        }
        area.print_str(
            &context.font_cache,
            Position::new(0, 0),
            title_style,
            &self.title,
        )?;
        let mut plot = area.clone();
        plot.add_offset(Position::new(0, title_height));
        draw_chart(context, &plot, &self.chart, scale, style)?;
        let mut below = area.clone();
        below.add_offset(Position::new(0, title_height + chart_height + 1.0));
        let written = Paragraph::new(caption)
            .styled(caption_style)
            .render(context, below, style)?;
        self.done = true;
        Ok(RenderResult {
            size: Size::new(
                area.size().width,
                title_height + chart_height + 1.0 + f64::from(written.size.height) + 3.0,
            ),
            has_more: false,
        })
    }
}

fn draw_chart(
    context: &Context,
    area: &Area<'_>,
    c: &IndicatorChart,
    scale: f64,
    style: Style,
) -> Result<(), Error> {
    let at = |x: f64, y: f64| Position::new(x * scale, y * scale);
    let tick_style = style.with_font_size(7).with_color(MUTED);
    let glyph = f64::from(tick_style.line_height(&context.font_cache));
    for t in &c.ticks {
        area.draw_line(
            vec![at(c.left, t.y), at(c.right, t.y)],
            Style::new().with_color(GRID),
        );
        let w = f64::from(tick_style.str_width(&context.font_cache, &t.label));
        let p = at(c.left - 4.0, t.y);
        area.print_str(
            &context.font_cache,
            Position::new(f64::from(p.x) - w, f64::from(p.y) - glyph / 2.0),
            tick_style,
            &t.label,
        )?;
    }
    // Bars are filled with close vertical strokes: genpdf draws lines, not filled shapes.
    for b in &c.bars {
        let mut x = b.x;
        while x <= b.x + b.width {
            area.draw_line(
                vec![at(x, b.y), at(x, b.y + b.height)],
                Style::new().with_color(BAR),
            );
            x += 0.8;
        }
    }
    for l in &c.target_lines {
        area.draw_line(
            vec![at(l.x1, l.y1), at(l.x2, l.y2)],
            Style::new().with_color(TARGET),
        );
    }
    for p in &c.targets {
        let r = 3.0;
        area.draw_line(
            vec![
                at(p.x - r, p.y - r),
                at(p.x + r, p.y - r),
                at(p.x + r, p.y + r),
                at(p.x - r, p.y + r),
                at(p.x - r, p.y - r),
            ],
            Style::new().with_color(TARGET),
        );
    }
    area.draw_line(
        vec![at(c.left, c.baseline_y), at(c.right, c.baseline_y)],
        Style::new(),
    );
    for y in &c.years {
        let w = f64::from(tick_style.str_width(&context.font_cache, &y.label));
        let p = at(y.x, c.height - 14.0);
        area.print_str(
            &context.font_cache,
            Position::new(f64::from(p.x) - w / 2.0, p.y),
            tick_style,
            &y.label,
        )?;
    }
    Ok(())
}

/// A table whose header row is drawn again at the top of every page it continues on.
pub struct Table {
    header: Vec<String>,
    weights: Vec<usize>,
    body: TableLayout,
    empty: bool,
}

/// Below this height a table starts on the next page rather than leave its header alone.
const TABLE_MIN: f64 = 22.0;

fn cell(text: &str, style: Style) -> impl Element + 'static {
    Paragraph::new(text.to_string())
        .styled(style)
        .padded(Margins::trbl(1, 1.5, 1, 1.5))
}

impl Table {
    pub fn new(header: Vec<String>, weights: Vec<usize>) -> Self {
        let mut body = TableLayout::new(weights.clone());
        body.set_cell_decorator(FrameCellDecorator::new(true, true, true));
        Table {
            header,
            weights,
            body,
            empty: true,
        }
    }

    /// Adds a row; the first cell is bold, as a row header.
    pub fn row(&mut self, cells: Vec<String>) -> Result<(), Error> {
        let mut row = self.body.row();
        for (i, text) in cells.iter().enumerate() {
            let style = if i == 0 {
                Style::new().bold()
            } else {
                Style::new()
            };
            row.push_element(cell(text, style));
        }
        self.empty = false;
        row.push()
    }
}

impl Element for Table {
    fn render(
        &mut self,
        context: &Context,
        area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, Error> {
        if f64::from(area.size().height) < TABLE_MIN {
            return Ok(RenderResult {
                size: Size::new(0, 0),
                has_more: true,
            });
        }
        let mut header = TableLayout::new(self.weights.clone());
        header.set_cell_decorator(FrameCellDecorator::new(true, true, true));
        let mut row = header.row();
        for text in &self.header {
            let style = Style::new()
                .bold()
                .with_font_size(9)
                .with_color(Color::Rgb(0x1f, 0x2a, 0x44));
            row.push_element(cell(text, style));
        }
        row.push()?;
        let head = header.render(context, area.clone(), style)?;
        if self.empty {
            return Ok(head);
        }
        let mut rest = area.clone();
        rest.add_offset(Position::new(0, head.size.height));
        let body = self.body.render(context, rest, style)?;
        Ok(RenderResult {
            size: Size::new(area.size().width, head.size.height + body.size.height),
            has_more: body.has_more,
        })
    }
}

/// The colour of a status by its badge class; grey for any other.
fn status_colour(class: &str) -> Color {
    match class {
        "badge-success" => Color::Rgb(0x1d, 0x6b, 0x3a),
        "badge-warning" => Color::Rgb(0xb4, 0x6a, 0x00),
        "badge-error" => Color::Rgb(0xb3, 0x26, 0x1e),
        _ => Color::Rgb(0x8a, 0x8a, 0x8a),
    }
}

/// One bar per axis (and the whole plan) split by status, with the counts in words beside it.
pub struct StatusBars {
    lines: Vec<(String, Vec<crate::domain::chart::Part>, String)>,
    done: bool,
}

const BAR_LABEL: f64 = 52.0;
const BAR_WIDTH: f64 = 70.0;
const BAR_ROW: f64 = 7.0;

impl StatusBars {
    pub fn new(summary: &[super::super::SummaryLine]) -> Self {
        let lines = summary
            .iter()
            .map(|s| {
                let parts = s.counts.parts();
                let words = parts
                    .iter()
                    .filter(|p| p.0 > 0)
                    .map(|p| format!("{} {}", p.0, p.2.to_lowercase()))
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    s.label.clone(),
                    crate::domain::chart::distribution(&parts, BAR_WIDTH),
                    words,
                )
            })
            .collect();
        StatusBars { lines, done: false }
    }
}

impl Element for StatusBars {
    fn render(
        &mut self,
        context: &Context,
        area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, Error> {
        if self.done {
            return Ok(RenderResult::default());
        }
        let height = BAR_ROW * self.lines.len() as f64 + 2.0;
        if f64::from(area.size().height) < height {
            return Ok(RenderResult {
                size: Size::new(0, 0),
                has_more: true,
            });
        }
        let small = style.with_font_size(8);
        let fonts = &context.font_cache;
        for (i, (label, parts, words)) in self.lines.iter().enumerate() {
            let y = BAR_ROW * i as f64;
            let label = fit(label, Mm::from(BAR_LABEL - 2.0), |t| {
                small.str_width(fonts, t)
            });
            area.print_str(fonts, Position::new(0, y + 0.5), small, label)?;
            for p in parts {
                let colour = Style::new().with_color(status_colour(p.class));
                let mut x = BAR_LABEL + p.x;
                while x <= BAR_LABEL + p.x + p.width {
                    area.draw_line(vec![Position::new(x, y), Position::new(x, y + 4.5)], colour);
                    x += 0.25;
                }
            }
            if parts.is_empty() {
                area.draw_line(
                    vec![
                        Position::new(BAR_LABEL, y),
                        Position::new(BAR_LABEL + BAR_WIDTH, y),
                        Position::new(BAR_LABEL + BAR_WIDTH, y + 4.5),
                        Position::new(BAR_LABEL, y + 4.5),
                        Position::new(BAR_LABEL, y),
                    ],
                    Style::new().with_color(GRID),
                );
            }
            let room = area.size().width - Mm::from(BAR_LABEL + BAR_WIDTH + 3.0);
            let words = fit(words, room, |t| small.str_width(fonts, t));
            area.print_str(
                fonts,
                Position::new(BAR_LABEL + BAR_WIDTH + 3.0, y + 0.5),
                small.with_color(MUTED),
                words,
            )?;
        }
        self.done = true;
        Ok(RenderResult {
            size: Size::new(area.size().width, height),
            has_more: false,
        })
    }
}

/// The organisation's mark on the cover: its initials, white on its accent colour.
pub struct Mark {
    pub initials: String,
    pub colour: crate::domain::colour::Rgb,
}

const MARK: f64 = 18.0;

impl Element for Mark {
    fn render(
        &mut self,
        context: &Context,
        area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, Error> {
        let crate::domain::colour::Rgb(r, g, b) = self.colour;
        let fill = Style::new().with_color(Color::Rgb(r, g, b));
        let mut x = 0.0;
        while x <= MARK {
            area.draw_line(vec![Position::new(x, 0), Position::new(x, MARK)], fill);
            x += 0.25;
        }
        let text = style
            .bold()
            .with_font_size(20)
            .with_color(Color::Rgb(0xff, 0xff, 0xff));
        let width = f64::from(text.str_width(&context.font_cache, &self.initials));
        let height = f64::from(text.line_height(&context.font_cache));
        area.print_str(
            &context.font_cache,
            Position::new((MARK - width) / 2.0, (MARK - height) / 2.0),
            text,
            &self.initials,
        )?;
        Ok(RenderResult {
            size: Size::new(MARK, MARK + 4.0),
            has_more: false,
        })
    }
}
