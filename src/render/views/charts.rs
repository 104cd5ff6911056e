//! Charts as data: every chart is a list of SVG marks (rectangles, lines,
//! polylines, circles, text) with their coordinates already computed and
//! formatted, plus the table of the same numbers for screen readers.
//! `markup` writes both as HTML, every label escaped; the templates place
//! them, and a workspace restyles them with CSS.
//!
//! Charts are deterministic: inputs are sorted here, coordinates are
//! printed with one decimal and values with [`num`]. Colours come from CSS
//! classes; nothing needs an inline style, which the portal's
//! Content-Security-Policy forbids.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{href, Site};
use crate::evidence::{Details, Direction, Severities, Severity, Summary};

/// Scan targets drawn as charts; the others are listed in a table.
pub const MAX_TARGETS: usize = 6;
/// Metrics drawn as line charts; the others are listed in a table.
pub const MAX_METRICS: usize = 12;
/// Characters of a label drawn inside a chart (the table has it whole).
const LABEL_LEN: usize = 34;

pub const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// A value as the portal prints it: at most three decimals, trailing zeros
/// dropped, no exponent, `-0` as `0`.
pub fn num(value: f64) -> String {
    if let Some((negative, whole, thousandths)) = fixed(value, 1000) {
        let mut text = String::with_capacity(12);
        if negative && (whole, thousandths) != (0, 0) {
            text.push('-');
        }
        push_u64(&mut text, whole);
        if thousandths != 0 {
            text.push('.');
            let digits = [thousandths / 100, thousandths / 10 % 10, thousandths % 10];
            let kept = if digits[2] != 0 {
                3
            } else if digits[1] != 0 {
                2
            } else {
                1
            };
            text.extend(digits[..kept].iter().map(|&d| char::from(b'0' + d as u8)));
        }
        return text;
    }
    num_formatted(value)
}

/// [`num`] through `format!`, for values [`fixed`] leaves to it.
fn num_formatted(value: f64) -> String {
    if !value.is_finite() {
        return "—".to_string();
    }
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// A coordinate: one decimal.
fn c(value: f64) -> String {
    let mut text = String::with_capacity(8);
    push_c(&mut text, value);
    text
}

/// Appends [`c`] of `value` to `text`.
fn push_c(text: &mut String, value: f64) {
    match fixed(value, 10) {
        Some((negative, whole, tenths)) => {
            if negative && (whole, tenths) != (0, 0) {
                text.push('-');
            }
            push_u64(text, whole);
            text.push('.');
            text.push(char::from(b'0' + tenths as u8));
        }
        None => text.push_str(&c_formatted(value)),
    }
}

/// Appends the point `x,y` to the points of a polyline.
fn push_point(points: &mut String, x: f64, y: f64) {
    if !points.is_empty() {
        points.push(' ');
    }
    push_c(points, x);
    points.push(',');
    push_c(points, y);
}

/// [`c`] through `format!`, for values [`fixed`] leaves to it.
fn c_formatted(value: f64) -> String {
    let text = format!("{value:.1}");
    if text == "-0.0" {
        "0.0".to_string()
    } else {
        text
    }
}

/// `value` rounded to `1/scale` as a sign, a whole part and a fraction in
/// `scale`ths, the way `format!("{value:.N}")` rounds it, without its
/// cost (exact decimal expansion, the hot part of chart pages): `None`
/// for values it cannot round surely, which `format!` then prints.
/// Scaling is off by at most half an ulp (under 2e-7 below 1e9), so a
/// value not within 1e-6 of a tie rounds the same scaled as exact.
fn fixed(value: f64, scale: u64) -> Option<(bool, u64, u64)> {
    let scaled = value * scale as f64;
    if scaled.is_nan() || scaled.abs() >= 1e9 {
        return None;
    }
    let fraction = (scaled - scaled.trunc()).abs();
    if (fraction - 0.5).abs() <= 1e-6 {
        return None;
    }
    let rounded = scaled.round().abs() as u64;
    Some((value.is_sign_negative(), rounded / scale, rounded % scale))
}

fn push_u64(text: &mut String, value: u64) {
    use std::fmt::Write;
    let _ = write!(text, "{value}");
}

/// A share of 1 as a whole percentage (`0.904` → `90%`).
pub fn percent(share: f64) -> String {
    format!("{}%", num((share * 100.0).round()))
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// 1, 2 or 5 times a power of ten, at least `value` (and at least 1).
fn nice_ceiling(value: f64) -> f64 {
    if value.is_nan() || value <= 1.0 {
        return 1.0;
    }
    let power = 10f64.powf(value.log10().floor());
    for step in [1.0, 2.0, 5.0, 10.0] {
        if step * power >= value {
            return step * power;
        }
    }
    10.0 * power
}

// ---- the drawing ---------------------------------------------------------

/// Serialized for templates with its HTML (see `markup`).
#[derive(Debug, Clone)]
pub struct Svg {
    pub width: u32,
    pub height: u32,
    /// The chart in a sentence, for `aria-label`.
    pub label: String,
    pub marks: Vec<Mark>,
}

/// Serialized only in tests, as the templates read marks before `markup`
/// wrote them (its test renders the old macros from this).
#[derive(Debug, Clone)]
#[cfg_attr(
    test,
    derive(Serialize),
    serde(tag = "shape", rename_all = "lowercase")
)]
pub enum Mark {
    Rect {
        x: String,
        y: String,
        width: String,
        height: String,
        class: String,
        title: Option<String>,
    },
    Line {
        x1: String,
        y1: String,
        x2: String,
        y2: String,
        class: String,
    },
    Polyline {
        points: String,
        class: String,
    },
    Circle {
        cx: String,
        cy: String,
        r: String,
        class: String,
        title: Option<String>,
    },
    Text {
        x: String,
        y: String,
        /// `start`, `middle` or `end`.
        anchor: &'static str,
        class: String,
        text: String,
    },
}

fn rect(x: f64, y: f64, width: f64, height: f64, class: &str, title: Option<String>) -> Mark {
    Mark::Rect {
        x: c(x),
        y: c(y),
        width: c(width.max(0.0)),
        height: c(height.max(0.0)),
        class: class.to_string(),
        title,
    }
}

fn line(x1: f64, y1: f64, x2: f64, y2: f64, class: &str) -> Mark {
    Mark::Line {
        x1: c(x1),
        y1: c(y1),
        x2: c(x2),
        y2: c(y2),
        class: class.to_string(),
    }
}

fn text(x: f64, y: f64, anchor: &'static str, class: &str, content: impl Into<String>) -> Mark {
    Mark::Text {
        x: c(x),
        y: c(y),
        anchor,
        class: class.to_string(),
        text: content.into(),
    }
}

// ---- the tables ------------------------------------------------------------

/// Reaches templates written out for their page (see `markup`).
#[derive(Debug, Clone)]
pub struct Table {
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Serialized only in tests, as for [`Mark`].
#[derive(Debug, Clone, Default)]
#[cfg_attr(test, derive(Serialize))]
pub struct Cell {
    pub text: String,
    /// Relative to the period folder.
    pub href: Option<String>,
    /// Several links in one cell (the scans of one date).
    pub links: Vec<Link>,
    /// Right-aligned.
    pub num: bool,
    /// A CSS class, such as a status.
    pub class: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub text: String,
    pub href: String,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    pub fn num(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            num: true,
            ..Cell::default()
        }
    }

    pub fn link(text: impl Into<String>, href: String) -> Cell {
        Cell {
            text: text.into(),
            href: Some(href),
            ..Cell::default()
        }
    }

    fn class(mut self, class: &'static str) -> Cell {
        self.class = Some(class);
        self
    }
}

fn head(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

// ---- charts ------------------------------------------------------------------

/// One chart of the dashboard: one or more panels, each a drawing and its
/// table, and optionally a table of what was not drawn.
/// Reaches templates as a `ChartView` (see `markup`).
#[derive(Debug, Clone)]
pub struct Chart {
    /// The section's id: `findings`, `drills`, `metrics`, `acknowledgements`.
    pub id: &'static str,
    pub title: String,
    pub note: Option<String>,
    /// `grid` (small multiples), `wide` (two abreast) or `full`.
    pub layout: &'static str,
    pub legend: Vec<LegendItem>,
    pub panels: Vec<Panel>,
    /// What was left out of the drawings, summarised.
    pub more: Option<Table>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LegendItem {
    pub class: String,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct Panel {
    pub title: String,
    pub subtitle: Option<String>,
    pub svg: Svg,
    pub table: Table,
    /// A gauge under the drawing (an error budget), 0 to 1.
    pub meter: Option<Meter>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Meter {
    pub label: String,
    /// Clamped to 0..=1 for the gauge; `label` has the real value.
    pub value: String,
    /// `good`, `warn` or `bad`.
    pub class: &'static str,
}

// ---- findings over time ------------------------------------------------------

/// One scan, as the findings chart reads it.
#[derive(Debug, Clone)]
pub struct Scan {
    /// What was scanned: the scan's folder under `evidence/`.
    pub target: String,
    pub date: NaiveDate,
    pub findings: Severities,
    pub name: String,
    pub href: String,
}

pub fn count(s: &Severities, severity: Severity) -> u64 {
    match severity {
        Severity::Critical => s.critical,
        Severity::High => s.high,
        Severity::Medium => s.medium,
        Severity::Low => s.low,
        Severity::Info => s.info,
    }
}

fn add(total: &mut Severities, other: &Severities) {
    for severity in SEVERITIES {
        total.add(severity, count(other, severity));
    }
}

fn severity_cells(s: &Severities) -> impl Iterator<Item = Cell> + '_ {
    SEVERITIES
        .iter()
        .map(|&sev| Cell::num(count(s, sev).to_string()))
        .chain(std::iter::once(Cell::num(s.total().to_string())))
}

fn severity_sentence(s: &Severities) -> String {
    SEVERITIES
        .iter()
        .map(|&sev| format!("{} {}", count(s, sev), sev.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Date labels: `MM-DD` when every date is in one year, else `YYYY-MM-DD`.
fn date_labels(dates: &[NaiveDate]) -> Vec<String> {
    let one_year = dates
        .first()
        .zip(dates.last())
        .is_some_and(|(a, b)| a.format("%Y").to_string() == b.format("%Y").to_string());
    dates
        .iter()
        .map(|d| {
            if one_year {
                d.format("%m-%d").to_string()
            } else {
                d.to_string()
            }
        })
        .collect()
}

/// The geometry of a vertical bar chart: categories left to right.
struct Bars {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    slots: usize,
    max: f64,
    /// Counts: no grid line at a fractional half.
    integer: bool,
}

impl Bars {
    fn plot_width(&self) -> f64 {
        self.width - self.left - self.right
    }
    fn plot_height(&self) -> f64 {
        self.height - self.top - self.bottom
    }
    fn slot(&self) -> f64 {
        self.plot_width() / self.slots.max(1) as f64
    }
    fn slot_x(&self, i: usize) -> f64 {
        self.left + self.slot() * i as f64
    }
    fn bar_width(&self) -> f64 {
        (self.slot() * 0.6).clamp(2.0, 28.0)
    }
    fn bar_x(&self, i: usize) -> f64 {
        self.slot_x(i) + (self.slot() - self.bar_width()) / 2.0
    }
    fn y(&self, value: f64) -> f64 {
        self.top + self.plot_height() * (1.0 - (value / self.max).clamp(0.0, 1.0))
    }
    fn baseline(&self) -> f64 {
        self.height - self.bottom
    }

    /// Grid lines and their labels at 0, half and the maximum.
    fn axis(&self, unit: &str) -> Vec<Mark> {
        let mut marks = Vec::new();
        let half = self.max / 2.0;
        let values = if self.integer && half.fract() != 0.0 {
            vec![0.0, self.max]
        } else {
            vec![0.0, half, self.max]
        };
        for value in values {
            let y = self.y(value);
            marks.push(line(
                self.left,
                y,
                self.width - self.right,
                y,
                if value == 0.0 { "axis" } else { "grid" },
            ));
            marks.push(text(
                self.left - 4.0,
                y + 3.5,
                "end",
                "tick",
                format!("{}{unit}", num(value)),
            ));
        }
        marks
    }

    /// Category labels under the bars, thinned so they do not overlap.
    fn labels(&self, labels: &[String]) -> Vec<Mark> {
        let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as f64;
        let every = ((widest * 6.2 + 6.0) / self.slot()).ceil().max(1.0) as usize;
        labels
            .iter()
            .enumerate()
            .filter(|(i, _)| i % every == 0)
            .map(|(i, label)| {
                text(
                    self.slot_x(i) + self.slot() / 2.0,
                    self.height - self.bottom + 14.0,
                    "middle",
                    "tick",
                    label.clone(),
                )
            })
            .collect()
    }
}

/// Findings by severity over time, one panel per scan target (at most
/// [`MAX_TARGETS`], those with the most scans; the rest in a table),
/// stacked per collection date.
pub fn findings_over_time(scans: &[Scan]) -> Option<Chart> {
    if scans.is_empty() {
        return None;
    }
    let mut by_target: BTreeMap<&str, Vec<&Scan>> = BTreeMap::new();
    for scan in scans {
        by_target.entry(&scan.target).or_default().push(scan);
    }
    let mut ranked: Vec<(&str, Vec<&Scan>)> = by_target.into_iter().collect();
    // Most scans first; equal counts by name. Drawn in name order.
    ranked.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let rest = ranked.split_off(ranked.len().min(MAX_TARGETS));
    ranked.sort_by(|a, b| a.0.cmp(b.0));

    let panels = ranked
        .iter()
        .map(|(target, scans)| findings_panel(target, scans))
        .collect();
    let more = (!rest.is_empty()).then(|| {
        let mut rest = rest;
        rest.sort_by(|a, b| a.0.cmp(b.0));
        Table {
            caption: format!("{} more scan targets, not drawn", rest.len()),
            head: head(&[
                "Target", "Scans", "Latest", "Critical", "High", "Medium", "Low", "Info", "Total",
            ]),
            rows: rest
                .iter()
                .map(|(target, scans)| {
                    let latest = latest_day(scans);
                    let mut row = vec![
                        Cell::text(*target),
                        Cell::num(scans.len().to_string()),
                        Cell::text(latest.0.to_string()),
                    ];
                    row.extend(severity_cells(&latest.1));
                    row
                })
                .collect(),
        }
    });
    Some(Chart {
        id: "findings",
        title: "Findings by severity over time".to_string(),
        note: Some(
            "Per scan target (the scan's folder), the findings of every scan collected on a date, stacked by severity."
                .to_string(),
        ),
        layout: "grid",
        legend: SEVERITIES
            .iter()
            .map(|s| LegendItem {
                class: format!("sev-{}", s.as_str()),
                label: capitalised(s.as_str()),
            })
            .collect(),
        panels,
        more,
    })
}

/// The findings of the latest date a target was scanned, summed.
fn latest_day(scans: &[&Scan]) -> (NaiveDate, Severities) {
    let date = scans
        .iter()
        .map(|s| s.date)
        .max()
        .expect("a target has scans");
    let mut total = Severities::default();
    for scan in scans.iter().filter(|s| s.date == date) {
        add(&mut total, &scan.findings);
    }
    (date, total)
}

fn findings_panel(target: &str, scans: &[&Scan]) -> Panel {
    let mut by_date: BTreeMap<NaiveDate, (Severities, Vec<&Scan>)> = BTreeMap::new();
    for scan in scans {
        let day = by_date.entry(scan.date).or_default();
        add(&mut day.0, &scan.findings);
        day.1.push(scan);
    }
    for (_, day_scans) in by_date.values_mut() {
        day_scans.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let dates: Vec<NaiveDate> = by_date.keys().copied().collect();
    let max = by_date.values().map(|(s, _)| s.total()).max().unwrap_or(0);
    let bars = Bars {
        width: 360.0,
        height: 170.0,
        left: 34.0,
        right: 6.0,
        top: 8.0,
        bottom: 22.0,
        slots: dates.len(),
        max: nice_ceiling(max as f64),
        integer: true,
    };
    let mut marks = bars.axis("");
    for (i, (date, (totals, _))) in by_date.iter().enumerate() {
        let x = bars.bar_x(i);
        let w = bars.bar_width();
        if totals.total() == 0 {
            marks.push(rect(
                x,
                bars.baseline() - 1.5,
                w,
                1.5,
                "zero",
                Some(format!("{date}: no findings")),
            ));
            continue;
        }
        let mut below = 0u64;
        // Critical at the bottom, on the baseline.
        for severity in SEVERITIES {
            let n = count(totals, severity);
            if n == 0 {
                continue;
            }
            let y_top = bars.y((below + n) as f64);
            let y_bottom = bars.y(below as f64);
            marks.push(rect(
                x,
                y_top,
                w,
                y_bottom - y_top,
                &format!("sev-{}", severity.as_str()),
                Some(format!("{date}: {n} {}", severity.as_str())),
            ));
            below += n;
        }
    }
    marks.extend(bars.labels(&date_labels(&dates)));

    let (latest_date, latest) = latest_day(scans);
    let first = dates.first().copied().unwrap_or(latest_date);
    let label = format!(
        "Findings by severity for {target}: {} scan{} on {} date{} from {first} to {latest_date}; on {latest_date}: {}.",
        scans.len(),
        if scans.len() == 1 { "" } else { "s" },
        dates.len(),
        if dates.len() == 1 { "" } else { "s" },
        severity_sentence(&latest)
    );
    let mut table_head = vec!["Date"];
    table_head.extend([
        "Critical", "High", "Medium", "Low", "Info", "Total", "Scans",
    ]);
    let rows = by_date
        .iter()
        .map(|(date, (totals, day_scans))| {
            let mut row = vec![Cell::text(date.to_string())];
            row.extend(severity_cells(totals));
            row.push(Cell {
                links: day_scans
                    .iter()
                    .map(|s| Link {
                        text: s.name.clone(),
                        href: s.href.clone(),
                    })
                    .collect(),
                ..Cell::default()
            });
            row
        })
        .collect();
    Panel {
        title: target.to_string(),
        subtitle: Some(format!(
            "{} finding{} on {latest_date}",
            latest.total(),
            if latest.total() == 1 { "" } else { "s" }
        )),
        svg: Svg {
            width: bars.width as u32,
            height: bars.height as u32,
            label,
            marks,
        },
        table: Table {
            caption: format!("Findings by severity per scan date, {target}"),
            head: head(&table_head),
            rows,
        },
        meter: None,
    }
}

// ---- drills ------------------------------------------------------------------

/// One drill record, as the drill chart reads it.
#[derive(Debug, Clone)]
pub struct Drill {
    pub date: Option<NaiveDate>,
    pub title: String,
    pub href: String,
    pub rto_target: Option<f64>,
    pub rto_actual: Option<f64>,
    pub rpo_target: Option<f64>,
    pub rpo_actual: Option<f64>,
    pub passed: Option<bool>,
}

/// RTO and RPO against their targets, one bar per drill in date order.
pub fn drills(drills: &[Drill]) -> Option<Chart> {
    let mut drills: Vec<&Drill> = drills.iter().collect();
    drills.sort_by(|a, b| (a.date, &a.title, &a.href).cmp(&(b.date, &b.title, &b.href)));
    let has = |f: fn(&Drill) -> Option<f64>| drills.iter().any(|d| f(d).is_some());
    if !has(|d| d.rto_actual) && !has(|d| d.rpo_actual) {
        return None;
    }
    let panels = [
        (
            "RTO",
            "Recovery time",
            (|d: &Drill| (d.rto_target, d.rto_actual)) as fn(&Drill) -> _,
        ),
        ("RPO", "Recovery point", |d: &Drill| {
            (d.rpo_target, d.rpo_actual)
        }),
    ]
    .into_iter()
    .map(|(short_name, long_name, pick)| drill_panel(short_name, long_name, &drills, pick))
    .collect();
    Some(Chart {
        id: "drills",
        title: "Drills: RTO and RPO against target".to_string(),
        note: Some(
            "Each bar is a drill's actual recovery time or data loss in minutes; the line across it is the drill's target."
                .to_string(),
        ),
        layout: "wide",
        legend: vec![
            LegendItem {
                class: "met".to_string(),
                label: "Within target".to_string(),
            },
            LegendItem {
                class: "missed".to_string(),
                label: "Over target".to_string(),
            },
            LegendItem {
                class: "target".to_string(),
                label: "Target".to_string(),
            },
        ],
        panels,
        more: None,
    })
}

fn drill_panel(
    short_name: &str,
    long_name: &str,
    drills: &[&Drill],
    pick: fn(&Drill) -> (Option<f64>, Option<f64>),
) -> Panel {
    let max = drills
        .iter()
        .flat_map(|d| {
            let (t, a) = pick(d);
            [t, a]
        })
        .flatten()
        .fold(0.0, f64::max);
    let bars = Bars {
        width: 540.0,
        height: 200.0,
        left: 40.0,
        right: 6.0,
        top: 14.0,
        bottom: 22.0,
        slots: drills.len(),
        max: nice_ceiling(max),
        integer: false,
    };
    let mut marks = bars.axis("");
    let mut described = Vec::new();
    for (i, drill) in drills.iter().enumerate() {
        let (target, actual) = pick(drill);
        let when = drill.date.map_or("undated".to_string(), |d| d.to_string());
        let x = bars.bar_x(i);
        let w = bars.bar_width();
        if let Some(actual) = actual {
            let within = target.is_none_or(|t| actual <= t);
            let y = bars.y(actual);
            let class = if within { "met" } else { "missed" };
            let height = (bars.baseline() - y).max(1.5);
            marks.push(rect(
                x,
                bars.baseline() - height,
                w,
                height,
                class,
                Some(format!(
                    "{when} {}: {short_name} {} min{}",
                    drill.title,
                    num(actual),
                    target.map_or(String::new(), |t| format!(", target {} min", num(t)))
                )),
            ));
            marks.push(text(
                x + w / 2.0,
                bars.baseline() - height - 3.0,
                "middle",
                "value",
                num(actual),
            ));
        }
        if let Some(target) = target {
            let y = bars.y(target);
            marks.push(line(x - 4.0, y, x + w + 4.0, y, "target"));
        }
        if actual.is_some() || target.is_some() {
            described.push(format!(
                "{when}: {} of {}",
                actual.map_or("no actual".to_string(), |a| format!("{} min", num(a))),
                target.map_or("no target".to_string(), |t| format!("{} min", num(t)))
            ));
        }
    }
    let dates: Vec<NaiveDate> = drills.iter().filter_map(|d| d.date).collect();
    let labels = if dates.len() == drills.len() {
        date_labels(&dates)
    } else {
        drills
            .iter()
            .map(|d| d.date.map_or("undated".to_string(), |d| d.to_string()))
            .collect()
    };
    marks.extend(bars.labels(&labels));
    let missed = drills
        .iter()
        .filter(|d| matches!(pick(d), (Some(t), Some(a)) if a > t))
        .count();
    Panel {
        title: format!("{short_name} ({long_name}), minutes"),
        subtitle: Some(if missed == 0 {
            "every drill within its target".to_string()
        } else {
            format!(
                "{missed} drill{} over target",
                if missed == 1 { "" } else { "s" }
            )
        }),
        svg: Svg {
            width: bars.width as u32,
            height: bars.height as u32,
            label: format!(
                "{short_name} in minutes, actual against target, per drill: {}.",
                if described.is_empty() {
                    "none recorded".to_string()
                } else {
                    described.join("; ")
                }
            ),
            marks,
        },
        table: Table {
            caption: format!("{short_name} per drill, in minutes"),
            head: head(&[
                "Date",
                "Drill",
                "Target",
                "Actual",
                "Within target",
                "Drill passed",
            ]),
            rows: drills
                .iter()
                .map(|d| {
                    let (target, actual) = pick(d);
                    vec![
                        Cell::text(d.date.map_or("—".to_string(), |d| d.to_string())),
                        Cell::link(d.title.clone(), d.href.clone()),
                        Cell::num(target.map_or("—".to_string(), num)),
                        Cell::num(actual.map_or("—".to_string(), num)),
                        yes_no(target.zip(actual).map(|(t, a)| a <= t)),
                        yes_no(d.passed),
                    ]
                })
                .collect(),
        },
        meter: None,
    }
}

fn yes_no(value: Option<bool>) -> Cell {
    match value {
        Some(true) => Cell::text("yes").class("ok"),
        Some(false) => Cell::text("no").class("bad"),
        None => Cell::text("—"),
    }
}

// ---- metrics -----------------------------------------------------------------

/// One metric, its points merged across files.
#[derive(Debug, Clone)]
pub struct Metric {
    pub name: String,
    /// Sorted by date, one per date.
    pub points: Vec<(NaiveDate, f64, Option<f64>)>,
    pub direction: Direction,
    pub error_budget_left: Option<f64>,
    /// The file the latest point came from.
    pub source: Link,
}

/// A line per metric with its target line, and the error budget left; at
/// most [`MAX_METRICS`] drawn (those with the most points), the rest and
/// the single measurements in a table.
pub fn metrics(metrics: &[Metric]) -> Option<Chart> {
    if metrics.is_empty() {
        return None;
    }
    let mut drawn: Vec<&Metric> = metrics.iter().filter(|m| m.points.len() >= 2).collect();
    drawn.sort_by(|a, b| {
        b.points
            .len()
            .cmp(&a.points.len())
            .then(a.name.cmp(&b.name))
    });
    drawn.truncate(MAX_METRICS);
    drawn.sort_by(|a, b| a.name.cmp(&b.name));
    let mut rest: Vec<&Metric> = metrics
        .iter()
        .filter(|m| !drawn.iter().any(|d| d.name == m.name))
        .collect();
    rest.sort_by(|a, b| a.name.cmp(&b.name));

    let more = (!rest.is_empty()).then(|| Table {
        caption: format!(
            "{} more metric{} (single measurements, or beyond the {MAX_METRICS} drawn)",
            rest.len(),
            if rest.len() == 1 { "" } else { "s" }
        ),
        head: head(&[
            "Metric",
            "Points",
            "Latest",
            "Value",
            "Target",
            "Meets target",
            "Source",
        ]),
        rows: rest
            .iter()
            .map(|m| {
                let (date, value, target) = *m.points.last().expect("a metric has points");
                vec![
                    Cell::text(m.name.clone()),
                    Cell::num(m.points.len().to_string()),
                    Cell::text(date.to_string()),
                    Cell::num(num(value)),
                    Cell::num(target.map_or("—".to_string(), |t| bound(m.direction, t))),
                    yes_no(target.map(|t| meets(m.direction, value, t))),
                    Cell::link(m.source.text.clone(), m.source.href.clone()),
                ]
            })
            .collect(),
    });
    if drawn.is_empty() && more.is_none() {
        return None;
    }
    Some(Chart {
        id: "metrics",
        title: "Metrics against target".to_string(),
        note: Some(
            "Each metric over time (solid) with its target (dashed); for service level objectives, the error budget the period's mean leaves."
                .to_string(),
        ),
        layout: "grid",
        legend: vec![
            LegendItem {
                class: "series".to_string(),
                label: "Value".to_string(),
            },
            LegendItem {
                class: "target".to_string(),
                label: "Target".to_string(),
            },
        ],
        panels: drawn.into_iter().map(metric_panel).collect(),
        more,
    })
}

fn meets(direction: Direction, value: f64, target: f64) -> bool {
    match direction {
        Direction::Higher => value >= target,
        Direction::Lower => value <= target,
    }
}

fn bound(direction: Direction, target: f64) -> String {
    match direction {
        Direction::Higher => format!("≥ {}", num(target)),
        Direction::Lower => format!("≤ {}", num(target)),
    }
}

fn metric_panel(metric: &Metric) -> Panel {
    let (width, height) = (360.0, 150.0);
    let (left, right, top, bottom) = (52.0, 8.0, 10.0, 22.0);
    let values = metric
        .points
        .iter()
        .flat_map(|&(_, v, t)| std::iter::once(v).chain(t));
    let (mut low, mut high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let span = high - low;
    let pad = if span > 0.0 {
        span * 0.12
    } else {
        (high.abs() * 0.01).max(1.0)
    };
    low -= pad;
    high += pad;
    let first = metric.points.first().expect("drawn metrics have points").0;
    let last = metric.points.last().expect("drawn metrics have points").0;
    let days = (last - first).num_days().max(1) as f64;
    let x =
        |date: NaiveDate| left + (width - left - right) * ((date - first).num_days() as f64 / days);
    let y = |value: f64| top + (height - top - bottom) * (1.0 - (value - low) / (high - low));

    let mut marks = Vec::new();
    for value in [low + pad, high - pad] {
        marks.push(line(left, y(value), width - right, y(value), "grid"));
        marks.push(text(left - 4.0, y(value) + 3.5, "end", "tick", num(value)));
    }
    marks.push(line(
        left,
        height - bottom,
        width - right,
        height - bottom,
        "axis",
    ));
    // The target as a step line through the points that state one.
    let mut target_points = String::new();
    let mut target_count = 0;
    let mut previous: Option<f64> = None;
    for &(date, _, target) in &metric.points {
        if let Some(t) = target {
            if let Some(p) = previous.filter(|p| *p != t) {
                push_point(&mut target_points, x(date), y(p));
                target_count += 1;
            }
            push_point(&mut target_points, x(date), y(t));
            target_count += 1;
            previous = Some(t);
        }
    }
    if target_count >= 2 {
        marks.push(Mark::Polyline {
            points: target_points,
            class: "target".to_string(),
        });
    } else if let Some(t) = previous {
        marks.push(line(left, y(t), width - right, y(t), "target"));
    }
    marks.push(Mark::Polyline {
        points: metric
            .points
            .iter()
            .fold(String::new(), |mut points, &(d, v, _)| {
                push_point(&mut points, x(d), y(v));
                points
            }),
        class: "series".to_string(),
    });
    for &(date, value, target) in &metric.points {
        let missed = target.is_some_and(|t| !meets(metric.direction, value, t));
        marks.push(Mark::Circle {
            cx: c(x(date)),
            cy: c(y(value)),
            r: c(2.5),
            class: if missed { "point missed" } else { "point" }.to_string(),
            title: Some(format!(
                "{date}: {}{}",
                num(value),
                target.map_or(String::new(), |t| format!(
                    " (target {})",
                    bound(metric.direction, t)
                ))
            )),
        });
    }
    for (date, anchor) in [(first, "start"), (last, "end")] {
        marks.push(text(
            x(date),
            height - bottom + 14.0,
            anchor,
            "tick",
            date.to_string(),
        ));
    }

    let (_, latest, latest_target) = *metric.points.last().expect("drawn metrics have points");
    let met = metric
        .points
        .iter()
        .filter(|(_, v, t)| t.is_some_and(|t| meets(metric.direction, *v, t)))
        .count();
    let with_target = metric.points.iter().filter(|(_, _, t)| t.is_some()).count();
    let mut subtitle = format!("latest {}", num(latest));
    if let Some(t) = latest_target {
        subtitle.push_str(&format!(", target {}", bound(metric.direction, t)));
    }
    if with_target > 0 {
        subtitle.push_str(&format!(", {met} of {with_target} points met the target"));
    }
    let meter = metric.error_budget_left.map(|left| Meter {
        label: if left < 0.0 {
            format!("error budget overspent by {}", percent(-left))
        } else {
            format!("error budget left: {}", percent(left))
        },
        value: num(left.clamp(0.0, 1.0)),
        class: if left >= 0.5 {
            "good"
        } else if left >= 0.0 {
            "warn"
        } else {
            "bad"
        },
    });
    let label = format!(
        "{}: {} points from {first} to {last}, latest {}{}{}.",
        metric.name,
        metric.points.len(),
        num(latest),
        latest_target.map_or(String::new(), |t| format!(
            ", target {}",
            bound(metric.direction, t)
        )),
        meter
            .as_ref()
            .map_or(String::new(), |m| format!(", {}", m.label))
    );
    Panel {
        title: metric.name.clone(),
        subtitle: Some(subtitle),
        svg: Svg {
            width: width as u32,
            height: height as u32,
            label,
            marks,
        },
        table: Table {
            caption: format!("{} by date", metric.name),
            head: head(&["Date", "Value", "Target", "Meets target"]),
            rows: metric
                .points
                .iter()
                .map(|&(date, value, target)| {
                    vec![
                        Cell::text(date.to_string()),
                        Cell::num(num(value)),
                        Cell::num(target.map_or("—".to_string(), |t| bound(metric.direction, t))),
                        yes_no(target.map(|t| meets(metric.direction, value, t))),
                    ]
                })
                .collect(),
        },
        meter,
    }
}

// ---- acknowledgements --------------------------------------------------------

/// One policy's acknowledgement coverage.
#[derive(Debug, Clone)]
pub struct Acknowledgement {
    pub title: String,
    pub href: String,
    pub version: String,
    pub acknowledged: usize,
    pub other_version: usize,
    pub people: usize,
    pub percent: u32,
}

/// For each policy, the share of people who acknowledged its current
/// version, as a horizontal bar; in policy order.
pub fn acknowledgements(rows: &[Acknowledgement]) -> Option<Chart> {
    let people = rows.first()?.people;
    let (width, row_height, top) = (720.0, 24.0, 6.0);
    let (label_width, bar_left, bar_width) = (250.0, 256.0, 360.0);
    let height = top + row_height * rows.len() as f64 + 18.0;
    let mut marks = Vec::new();
    for (i, share) in [0.0, 0.5, 1.0].into_iter().enumerate() {
        let x = bar_left + bar_width * share;
        marks.push(line(
            x,
            top,
            x,
            height - 18.0,
            if i == 0 { "axis" } else { "grid" },
        ));
        marks.push(text(
            x,
            height - 5.0,
            "middle",
            "tick",
            format!("{}%", num(share * 100.0)),
        ));
    }
    for (i, row) in rows.iter().enumerate() {
        let y = top + row_height * i as f64;
        marks.push(text(
            label_width,
            y + 16.0,
            "end",
            "label",
            short(&row.title, LABEL_LEN),
        ));
        marks.push(rect(bar_left, y + 5.0, bar_width, 14.0, "track", None));
        let share = if row.people == 0 {
            0.0
        } else {
            row.acknowledged as f64 / row.people as f64
        };
        let class = match row.percent {
            90.. => "ack-good",
            50..=89 => "ack-warn",
            _ => "ack-bad",
        };
        marks.push(rect(
            bar_left,
            y + 5.0,
            bar_width * share,
            14.0,
            class,
            Some(format!(
                "{}: {} of {} people acknowledged version {}",
                row.title, row.acknowledged, row.people, row.version
            )),
        ));
        marks.push(text(
            bar_left + bar_width + 6.0,
            y + 16.0,
            "start",
            "value",
            format!("{}% ({} of {})", row.percent, row.acknowledged, row.people),
        ));
    }
    let label = format!(
        "Share of the {people} people named in acknowledgement records who acknowledged each policy's current version: {}.",
        rows.iter()
            .map(|r| format!("{} {}%", r.title, r.percent))
            .collect::<Vec<_>>()
            .join("; ")
    );
    Some(Chart {
        id: "acknowledgements",
        title: "Policy acknowledgement coverage".to_string(),
        note: Some(format!(
            "The share of the {people} people named in any acknowledgement record who acknowledged each policy's current version."
        )),
        layout: "full",
        legend: Vec::new(),
        panels: vec![Panel {
            title: "Acknowledged the current version".to_string(),
            subtitle: None,
            svg: Svg {
                width: width as u32,
                height: height.ceil() as u32,
                label,
                marks,
            },
            table: Table {
                caption: "Acknowledgements of each policy's current version".to_string(),
                head: head(&[
                    "Policy",
                    "Current version",
                    "Acknowledged",
                    "Of people",
                    "Share",
                    "Only an older version",
                ]),
                rows: rows
                    .iter()
                    .map(|r| {
                        vec![
                            Cell::link(r.title.clone(), r.href.clone()),
                            Cell::text(r.version.clone()),
                            Cell::num(r.acknowledged.to_string()),
                            Cell::num(r.people.to_string()),
                            Cell::num(format!("{}%", r.percent)),
                            Cell::num(r.other_version.to_string()),
                        ]
                    })
                    .collect(),
            },
            meter: None,
        }],
        more: None,
    })
}

// ---- small pieces for evidence pages ----------------------------------------

/// A drill's targets against its actuals: for RTO and RPO, a target bar
/// and an actual bar on the same scale.
pub fn target_pairs(pairs: &[(&str, Option<f64>, Option<f64>)]) -> Option<Svg> {
    let pairs: Vec<_> = pairs
        .iter()
        .filter(|(_, t, a)| t.is_some() || a.is_some())
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let (width, group) = (420.0, 52.0);
    let (label_width, bar_left, bar_width) = (60.0, 66.0, 250.0);
    let height = group * pairs.len() as f64 + 4.0;
    let mut marks = Vec::new();
    let mut described = Vec::new();
    for (i, (name, target, actual)) in pairs.iter().enumerate() {
        let top = 4.0 + group * i as f64;
        let max = target.unwrap_or(0.0).max(actual.unwrap_or(0.0));
        let scale = |v: f64| if max > 0.0 { bar_width * v / max } else { 0.0 };
        marks.push(text(label_width, top + 26.0, "end", "label", *name));
        let within = match (target, actual) {
            (Some(t), Some(a)) => Some(a <= t),
            _ => None,
        };
        for (row, value, kind) in [(0.0, target, "target"), (1.0, actual, "actual")] {
            let y = top + row * 22.0;
            let Some(value) = value else {
                marks.push(text(
                    bar_left,
                    y + 14.0,
                    "start",
                    "value",
                    format!("no {kind}"),
                ));
                continue;
            };
            let class = match (kind, within) {
                ("target", _) => "target-bar",
                (_, Some(false)) => "missed",
                _ => "met",
            };
            let w = scale(*value).max(1.5);
            marks.push(rect(
                bar_left,
                y + 2.0,
                w,
                16.0,
                class,
                Some(format!("{name} {kind}: {} min", num(*value))),
            ));
            marks.push(text(
                bar_left + w + 6.0,
                y + 14.0,
                "start",
                "value",
                format!("{kind} {} min", num(*value)),
            ));
        }
        described.push(format!(
            "{name} target {}, actual {}",
            target.map_or("none".to_string(), |t| format!("{} min", num(t))),
            actual.map_or("none".to_string(), |a| format!("{} min", num(a)))
        ));
    }
    Some(Svg {
        width: width as u32,
        height: height as u32,
        label: format!("{}.", described.join("; ")),
        marks,
    })
}

/// `part` of `whole` as a percentage with one decimal, rounded down so
/// that only all of it reads `100%` and only none of it `0%`.
pub fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "—".to_string();
    }
    if part >= whole {
        return "100%".to_string();
    }
    if part == 0 {
        return "0%".to_string();
    }
    let tenths = (part as f64 * 1000.0 / whole as f64).floor();
    if tenths < 1.0 {
        return "<0.1%".to_string();
    }
    format!("{}%", num(tenths / 10.0))
}

/// One month's commits for [`verified_by_month`]: `2026-03`, commits,
/// verified commits.
pub struct MonthCount<'a> {
    pub month: &'a str,
    pub commits: u64,
    pub verified: u64,
}

/// The share of verified commits per month as bars, each on a full-height
/// track, with the percentage written above it so the chart reads without
/// colour; months without commits between the first and the last are
/// marked as such rather than left out.
pub fn verified_by_month(months: &[MonthCount<'_>]) -> Option<Svg> {
    let parse = |m: &str| chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok();
    let first = parse(months.first()?.month);
    let last = months.last().and_then(|m| parse(m.month));
    // Every month from the first to the last, when the keys are months.
    let mut slots: Vec<(String, Option<&MonthCount<'_>>)> = Vec::new();
    match (first, last) {
        (Some(mut month), Some(last)) if months.iter().all(|m| parse(m.month).is_some()) => {
            while month <= last && slots.len() < 600 {
                let key = month.format("%Y-%m").to_string();
                let found = months.iter().find(|m| m.month == key);
                slots.push((key, found));
                month = month.checked_add_months(chrono::Months::new(1))?;
            }
        }
        _ => slots.extend(months.iter().map(|m| (m.month.to_string(), Some(m)))),
    }
    let slot = 46.0;
    let (left, top, plot) = (40.0, 18.0, 120.0);
    let width = (left + slot * slots.len() as f64 + 8.0).max(240.0);
    let height = top + plot + 36.0;
    let mut marks = Vec::new();
    for (share, label) in [(0.0, "0%"), (0.5, "50%"), (1.0, "100%")] {
        let y = top + plot * (1.0 - share);
        marks.push(line(left, y, width - 4.0, y, "grid"));
        marks.push(text(left - 6.0, y + 4.0, "end", "tick", label));
    }
    let mut described = Vec::new();
    let mut year = None;
    for (i, (key, count)) in slots.iter().enumerate() {
        let x = left + slot * i as f64 + 6.0;
        let bar = slot - 12.0;
        let date = parse(key);
        let month_label = date.map_or_else(|| short(key, 7), |d| d.format("%b").to_string());
        marks.push(text(
            x + bar / 2.0,
            top + plot + 14.0,
            "middle",
            "label",
            month_label,
        ));
        if let Some(d) = date {
            let this_year = d.format("%Y").to_string();
            if year.as_ref() != Some(&this_year) {
                marks.push(text(
                    x + bar / 2.0,
                    top + plot + 28.0,
                    "middle",
                    "tick",
                    &this_year,
                ));
                year = Some(this_year);
            }
        }
        let Some(count) = count.filter(|c| c.commits > 0) else {
            marks.push(text(
                x + bar / 2.0,
                top + plot - 4.0,
                "middle",
                "tick",
                "none",
            ));
            described.push(format!("{key} no commits"));
            continue;
        };
        let text_share = share(count.verified, count.commits);
        let title = format!(
            "{key}: {} of {} commits verified ({text_share})",
            count.verified, count.commits
        );
        marks.push(rect(x, top, bar, plot, "track", Some(title.clone())));
        let h = plot * count.verified as f64 / count.commits as f64;
        marks.push(rect(x, top + plot - h, bar, h, "met", Some(title)));
        marks.push(text(
            x + bar / 2.0,
            (top + plot - h - 4.0).max(top - 4.0),
            "middle",
            "value",
            text_share.clone(),
        ));
        described.push(format!(
            "{key} {text_share} ({} of {})",
            count.verified, count.commits
        ));
    }
    Some(Svg {
        width: width as u32,
        height: height as u32,
        label: format!(
            "Share of verified commits per month: {}.",
            described.join("; ")
        ),
        marks,
    })
}

// ---- from the assessment -------------------------------------------------------

impl Site<'_> {
    /// The dashboard's charts, each present when the workspace has the
    /// evidence it draws.
    pub(super) fn charts(&self) -> Vec<Chart> {
        let workspace = self.a.workspace;
        let name_of = |path: &str| path.rsplit('/').next().unwrap_or(path).to_string();
        let mut scans = Vec::new();
        let mut drill_records = Vec::new();
        // The metric files, oldest first: a later file's point for the
        // same metric and date replaces an earlier one's.
        let mut metric_files: Vec<usize> = Vec::new();
        for (index, item) in workspace.evidence.iter().enumerate() {
            match &item.summary {
                Summary::Findings { findings, .. } => {
                    let stem = item.path.strip_prefix("evidence/").unwrap_or(&item.path);
                    scans.push(Scan {
                        target: stem
                            .rsplit_once('/')
                            .map_or("evidence", |(folder, _)| folder)
                            .to_string(),
                        date: item.collected_at.date_naive(),
                        findings: *findings,
                        name: name_of(&item.path),
                        href: href(&self.evidence_path(index)),
                    });
                }
                Summary::Drill {
                    scenario,
                    date,
                    rto_target_min,
                    rto_actual_min,
                    rpo_target_min,
                    rpo_actual_min,
                    passed,
                    ..
                } => drill_records.push(Drill {
                    date: date
                        .as_deref()
                        .and_then(|d| d.parse().ok())
                        .or(Some(item.collected_at.date_naive())),
                    title: item
                        .title
                        .clone()
                        .or_else(|| scenario.clone())
                        .unwrap_or_else(|| name_of(&item.path)),
                    href: href(&self.evidence_path(index)),
                    rto_target: *rto_target_min,
                    rto_actual: *rto_actual_min,
                    rpo_target: *rpo_target_min,
                    rpo_actual: *rpo_actual_min,
                    passed: *passed,
                }),
                Summary::Metrics { .. } => metric_files.push(index),
                _ => {}
            }
        }
        metric_files.sort_by_key(|&i| {
            (
                workspace.evidence[i].collected_at,
                &workspace.evidence[i].path,
            )
        });
        // Metric name -> its points by date, its latest summary, and the
        // file that summary came from. Each file's details are decoded for
        // this loop only (`with`): kept, the metric files of a large
        // workspace would hold tens of megabytes for the rest of the build.
        type Merged<'m> = (
            BTreeMap<NaiveDate, (f64, Option<f64>)>,
            &'m crate::evidence::MetricSummary,
            usize,
        );
        let mut merged: BTreeMap<String, Merged<'_>> = BTreeMap::new();
        for &index in &metric_files {
            let item = &workspace.evidence[index];
            let Summary::Metrics { metrics } = &item.summary else {
                continue;
            };
            item.details.with(|details| {
                let Details::Metrics { series, .. } = details else {
                    return;
                };
                for s in series {
                    let Some(summary) = metrics.iter().find(|m| m.name == s.name) else {
                        continue;
                    };
                    let entry = merged
                        .entry(s.name.clone())
                        .or_insert_with(|| (BTreeMap::new(), summary, index));
                    for (date, value, target) in super::kinds::points(s) {
                        entry.0.insert(date, (value, target));
                    }
                    entry.1 = summary;
                    entry.2 = index;
                }
            });
        }
        let metric_list: Vec<Metric> = merged
            .into_iter()
            .map(|(name, (points, summary, index))| Metric {
                name,
                points: points.into_iter().map(|(d, (v, t))| (d, v, t)).collect(),
                direction: summary.direction,
                error_budget_left: summary.error_budget_left,
                source: Link {
                    text: name_of(&workspace.evidence[index].path),
                    href: href(&self.evidence_path(index)),
                },
            })
            .filter(|m| !m.points.is_empty())
            .collect();
        let acks: Vec<Acknowledgement> = self
            .a
            .acknowledgements
            .iter()
            .map(|ack| {
                let policy = &workspace.policies[ack.policy];
                Acknowledgement {
                    title: policy.title.clone(),
                    href: href(&self.policy_path(ack.policy)),
                    version: ack.version.clone(),
                    acknowledged: ack.acknowledged,
                    other_version: ack.other_version,
                    people: ack.people,
                    percent: ack.percent(),
                }
            })
            .collect();
        [
            findings_over_time(&scans),
            drills(&drill_records),
            metrics(&metric_list),
            acknowledgements(&acks),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_print_as_format_prints_them() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut values = vec![
            0.0,
            -0.0,
            0.05,
            -0.05,
            0.25,
            0.35,
            1.45,
            -1.45,
            2.5,
            0.0005,
            0.0015,
            -0.0004,
            0.04,
            -0.04,
            99.95,
            1e8,
            -1e8,
            1e9,
            1e12,
            123456.7891,
            f64::NAN,
            f64::INFINITY,
            -f64::INFINITY,
            f64::MIN_POSITIVE,
            360.0,
            52.0,
            0.1 + 0.2,
        ];
        for _ in 0..200_000 {
            let magnitude = 10f64.powi(rng.gen_range(-4..10));
            values.push(rng.gen_range(-1.0..1.0) * magnitude);
            // Near ties, in tenths and thousandths.
            let tie = (rng.gen_range(-100_000i64..100_000) as f64 + 0.5) / 1000.0;
            values.push(tie);
            values.push(tie * 100.0);
        }
        for value in values {
            assert_eq!(num(value), num_formatted(value), "{value:e}");
            assert_eq!(c(value), c_formatted(value), "{value:e}");
        }
    }

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn scan(target: &str, date: &str, high: u64, low: u64) -> Scan {
        Scan {
            target: target.to_string(),
            date: day(date),
            findings: Severities {
                high,
                low,
                ..Severities::default()
            },
            name: format!("{target}/{date}"),
            href: format!("evidence/{target}/{date}.html"),
        }
    }

    #[test]
    fn verified_shares_never_round_to_all_or_none() {
        assert_eq!(share(999, 1000), "99.9%");
        assert_eq!(share(9999, 10000), "99.9%");
        assert_eq!(share(1, 100_000), "<0.1%");
        assert_eq!(share(0, 5), "0%");
        assert_eq!(share(5, 5), "100%");
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(0, 0), "—");
    }

    #[test]
    fn the_verified_share_per_month_is_drawn_and_written() {
        assert!(verified_by_month(&[]).is_none());
        let months = [
            MonthCount {
                month: "2025-12",
                commits: 4,
                verified: 1,
            },
            MonthCount {
                month: "2026-02",
                commits: 2,
                verified: 2,
            },
        ];
        let svg = verified_by_month(&months).unwrap();
        assert_eq!(
            svg.label,
            "Share of verified commits per month: 2025-12 25% (1 of 4); 2026-01 no commits; \
             2026-02 100% (2 of 2)."
        );
        let texts: Vec<&str> = svg
            .marks
            .iter()
            .filter_map(|m| match m {
                Mark::Text { text, class, .. } if class != "tick" || text == "none" => {
                    Some(text.as_str())
                }
                _ => None,
            })
            .collect();
        // Month names, and each value as text: no colour needed to read it.
        assert_eq!(texts, ["Dec", "25%", "Jan", "none", "Feb", "100%"]);
        let bars: Vec<&str> = svg
            .marks
            .iter()
            .filter_map(|m| match m {
                Mark::Rect { height, class, .. } if class == "met" => Some(height.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(bars, ["30.0", "120.0"]);
    }

    #[test]
    fn numbers_print_the_same_way_every_time() {
        assert_eq!(num(99.998), "99.998");
        assert_eq!(num(5.0), "5");
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(-0.0001), "0");
        assert_eq!(num(1e21), "1000000000000000000000");
        assert_eq!(percent(0.9042), "90%");
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(16.0), 20.0);
        assert_eq!(nice_ceiling(95.0), 100.0);
        assert_eq!(nice_ceiling(101.0), 200.0);
        assert_eq!(short("abcdef", 4), "abc…");
    }

    #[test]
    fn findings_stack_per_date_and_cap_the_targets() {
        let mut scans = vec![
            scan("images", "2026-02-01", 2, 3),
            scan("images", "2026-02-01", 1, 0),
            scan("images", "2026-03-01", 0, 0),
        ];
        for i in 0..7 {
            scans.push(scan(&format!("t{i}"), "2026-01-15", i, 1));
        }
        let chart = findings_over_time(&scans).unwrap();
        assert_eq!(chart.panels.len(), MAX_TARGETS);
        // The target with the most scans is drawn; t5 and t6 are not.
        assert_eq!(chart.panels[0].title, "images");
        let images = &chart.panels[0];
        let rows: Vec<Vec<&str>> = images
            .table
            .rows
            .iter()
            .map(|r| r.iter().take(7).map(|c| c.text.as_str()).collect())
            .collect();
        // Date, critical, high, medium, low, info, total.
        assert_eq!(
            rows,
            [
                ["2026-02-01", "0", "3", "0", "3", "0", "6"],
                ["2026-03-01", "0", "0", "0", "0", "0", "0"]
            ]
        );
        assert_eq!(images.table.rows[0][7].links.len(), 2);
        let more = chart.more.unwrap();
        let hidden: Vec<&str> = more.rows.iter().map(|r| r[0].text.as_str()).collect();
        assert_eq!(hidden, ["t5", "t6"]);
        assert!(images.svg.label.contains("3 scans on 2 dates"));
        // A date with no findings still shows that a scan ran.
        assert!(images
            .svg
            .marks
            .iter()
            .any(|m| matches!(m, Mark::Rect { class, .. } if class == "zero")));
    }

    #[test]
    fn drills_compare_actuals_with_targets() {
        let chart = drills(&[
            Drill {
                date: Some(day("2026-05-20")),
                title: "restore".into(),
                href: "evidence/dr/b.html".into(),
                rto_target: Some(60.0),
                rto_actual: Some(95.0),
                rpo_target: Some(5.0),
                rpo_actual: Some(3.0),
                passed: Some(false),
            },
            Drill {
                date: Some(day("2026-02-12")),
                title: "failover".into(),
                href: "evidence/dr/a.html".into(),
                rto_target: Some(60.0),
                rto_actual: Some(41.0),
                rpo_target: None,
                rpo_actual: None,
                passed: Some(true),
            },
        ])
        .unwrap();
        let rto = &chart.panels[0];
        assert_eq!(rto.table.rows[0][0].text, "2026-02-12");
        assert_eq!(rto.table.rows[1][3].text, "95");
        assert_eq!(rto.table.rows[1][4].text, "no");
        assert_eq!(rto.subtitle.as_deref(), Some("1 drill over target"));
        let rpo = &chart.panels[1];
        assert_eq!(rpo.table.rows[0][2].text, "—");
        assert!(rpo.svg.label.contains("2026-05-20: 3 min of 5 min"));
    }

    #[test]
    fn metrics_draw_lines_and_list_single_points() {
        let source = Link {
            text: "m.csv".into(),
            href: "evidence/m.csv.html".into(),
        };
        let chart = metrics(&[
            Metric {
                name: "availability".into(),
                points: vec![
                    (day("2026-01-31"), 99.9, Some(99.95)),
                    (day("2026-02-28"), 99.99, Some(99.95)),
                ],
                direction: Direction::Higher,
                error_budget_left: Some(0.1),
                source: source.clone(),
            },
            Metric {
                name: "cpu".into(),
                points: vec![(day("2026-04-22"), 58.0, Some(70.0))],
                direction: Direction::Lower,
                error_budget_left: None,
                source,
            },
        ])
        .unwrap();
        assert_eq!(chart.panels.len(), 1);
        let panel = &chart.panels[0];
        assert_eq!(
            panel.subtitle.as_deref(),
            Some("latest 99.99, target ≥ 99.95, 1 of 2 points met the target")
        );
        let meter = panel.meter.as_ref().unwrap();
        assert_eq!(
            (meter.label.as_str(), meter.class),
            ("error budget left: 10%", "warn")
        );
        assert_eq!(chart.more.unwrap().rows[0][4].text, "≤ 70");
    }

    #[test]
    fn acknowledgement_bars_show_the_share() {
        let chart = acknowledgements(&[Acknowledgement {
            title: "Access <Control>".into(),
            href: "policies/a.html".into(),
            version: "2.1".into(),
            acknowledged: 2,
            other_version: 1,
            people: 3,
            percent: 67,
        }])
        .unwrap();
        let panel = &chart.panels[0];
        assert_eq!(panel.table.rows[0][4].text, "67%");
        assert!(panel
            .svg
            .marks
            .iter()
            .any(|m| matches!(m, Mark::Text { text, .. } if text == "67% (2 of 3)")));
        // Escaping is the template's job: the data keeps the raw text.
        assert!(panel.svg.label.contains("Access <Control> 67%"));
        assert!(acknowledgements(&[]).is_none());
    }
}
