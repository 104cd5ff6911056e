//! Metric CSVs (`date,metric,value` with optional `target` and
//! `direction` columns): availability, SLIs (good / valid events), error
//! rates, deployment lead time, RTO/RPO over time. For each metric: its
//! points, dates, latest value and target, range and mean, whether the
//! latest value meets the target, and for SLO-style metrics the error
//! budget the mean leaves.
//!
//! Which way is better comes from the `direction` column (`higher` or
//! `lower`) when there is one, else from the metric's name: latency,
//! durations and times (`ms`, `minutes`, `hours`…), lead time, RTO, RPO,
//! MTTR, errors, failures, incidents, CPU, memory, usage, load and peaks
//! are better lower; anything else higher. Values may end in `%`.

use std::collections::BTreeMap;
use std::io::BufRead;

use chrono::NaiveDate;

use super::common::{csv_date, next_row, open_csv, truncate, DateRange, Parsed, Problem};
use super::details::{Details, MetricPoint, MetricSeries, MAX_POINTS, MAX_SERIES};
use super::summary::{Direction, MetricSummary, Summary};

pub fn parse(reader: &mut dyn BufRead) -> Result<Parsed, Problem> {
    let (mut csv, columns) = open_csv(
        reader,
        &["date", "metric", "value"],
        &["target", "direction"],
    )?;
    let mut metrics: BTreeMap<String, Metric> = BTreeMap::new();
    let mut dates = DateRange::default();
    let mut truncated = false;
    let mut record = csv::StringRecord::new();
    let mut row = 0u64;
    while let Some(line) = next_row(&mut csv, &mut record)? {
        row = row.saturating_add(1);
        let Some(date) = csv_date(columns.get(&record, 0), line, "date")? else {
            return Err(Problem::at(line, "column `date` is empty"));
        };
        let name = columns.get(&record, 1);
        if name.is_empty() {
            return Err(Problem::at(line, "column `metric` is empty"));
        }
        let value = number(columns.get(&record, 2), line, "value")?
            .ok_or_else(|| Problem::at(line, "column `value` is empty"))?;
        let target = number(columns.get(&record, 3), line, "target")?;
        let direction = match columns.get(&record, 4).to_ascii_lowercase().as_str() {
            "" => None,
            "higher" | "up" | "max" | ">=" => Some(Direction::Higher),
            "lower" | "down" | "min" | "<=" => Some(Direction::Lower),
            other => {
                return Err(Problem::at(
                    line,
                    format!("column `direction`: `{other}` is not `higher` or `lower`"),
                ))
            }
        };
        dates.add(Some(date));
        if !metrics.contains_key(name) && metrics.len() >= MAX_SERIES * 10 {
            // A file of thousands of distinct metrics is summarised in part.
            truncated = true;
            continue;
        }
        let metric = metrics
            .entry(name.to_string())
            .or_insert_with(|| Metric::new(name, date, value));
        metric.add(row, date, value, target, direction);
    }

    let mut summaries = Vec::with_capacity(metrics.len());
    let mut series = Vec::new();
    for (name, metric) in metrics {
        let (summary, points, cut) = metric.finish(name);
        truncated |= cut;
        if series.len() < MAX_SERIES {
            series.push(MetricSeries {
                name: summary.name.clone(),
                points,
            });
        } else {
            truncated = true;
        }
        summaries.push(summary);
    }
    Ok(Parsed {
        summary: Summary::Metrics { metrics: summaries },
        details: Details::Metrics { series, truncated },
        observed_at: dates.observed_at(),
    })
}

fn number(text: &str, line: u64, column: &str) -> Result<Option<f64>, Problem> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let digits = text.strip_suffix('%').unwrap_or(text).trim();
    match digits.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(Problem::at(
            line,
            format!(
                "column `{column}`: `{}` is not a number",
                truncate(text, 40)
            ),
        )),
    }
}

struct Metric {
    points: u64,
    first: NaiveDate,
    last: NaiveDate,
    /// The latest point: its date, row and value.
    latest: (NaiveDate, u64, f64),
    /// The latest target: its date, row and value.
    target: Option<(NaiveDate, u64, f64)>,
    direction: Option<Direction>,
    guessed: Direction,
    slo: bool,
    min: f64,
    max: f64,
    mean: f64,
    /// Points with a target, and those that met it (judged at the end,
    /// once the direction is known).
    judged: Vec<(f64, f64)>,
    met_overflow: (u64, u64),
    series: Vec<MetricPoint>,
    cut: bool,
}

impl Metric {
    fn new(name: &str, date: NaiveDate, value: f64) -> Metric {
        let (guessed, slo) = classify(name);
        Metric {
            points: 0,
            first: date,
            last: date,
            latest: (date, 0, value),
            target: None,
            direction: None,
            guessed,
            slo,
            min: value,
            max: value,
            mean: 0.0,
            judged: Vec::new(),
            met_overflow: (0, 0),
            series: Vec::new(),
            cut: false,
        }
    }

    fn add(
        &mut self,
        row: u64,
        date: NaiveDate,
        value: f64,
        target: Option<f64>,
        direction: Option<Direction>,
    ) {
        self.points = self.points.saturating_add(1);
        self.first = self.first.min(date);
        self.last = self.last.max(date);
        if (date, row) >= (self.latest.0, self.latest.1) {
            self.latest = (date, row, value);
        }
        if let Some(t) = target {
            if self.target.is_none_or(|(d, r, _)| (date, row) >= (d, r)) {
                self.target = Some((date, row, t));
            }
        }
        self.direction = direction.or(self.direction);
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        // A running mean does not overflow the way a sum can.
        self.mean += (value - self.mean) / self.points as f64;
        if let Some(t) = target {
            if self.judged.len() < MAX_POINTS * 10 {
                self.judged.push((value, t));
            } else {
                // Beyond the buffer: judged now with the guessed direction.
                let met = meets(self.direction.unwrap_or(self.guessed), value, t);
                self.met_overflow.0 += 1;
                self.met_overflow.1 += u64::from(met);
            }
        }
        if self.series.len() < MAX_POINTS {
            self.series.push(MetricPoint {
                date: date.format("%Y-%m-%d").to_string(),
                value,
                target,
            });
        } else {
            self.cut = true;
        }
    }

    fn finish(mut self, name: String) -> (MetricSummary, Vec<MetricPoint>, bool) {
        let direction = self.direction.unwrap_or(self.guessed);
        let latest = self.latest.2;
        let target = self.target.map(|(_, _, t)| t);
        let mean = self.mean.is_finite().then_some(tidy(self.mean));
        let points_met_target = self
            .judged
            .iter()
            .filter(|(v, t)| meets(direction, *v, *t))
            .count() as u64
            + self.met_overflow.1;
        let error_budget_left = match (self.slo, target, mean) {
            (true, Some(target), Some(mean)) => {
                error_budget_left(direction, target, mean, self.max)
            }
            _ => None,
        };
        self.series.sort_by(|a, b| a.date.cmp(&b.date));
        let format = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        (
            MetricSummary {
                name,
                points: self.points,
                first: format(self.first),
                last: format(self.last),
                latest,
                target,
                direction,
                min: self.min,
                max: self.max,
                mean,
                met_target: target.map(|t| meets(direction, latest, t)),
                points_met_target,
                error_budget_left,
            },
            self.series,
            self.cut,
        )
    }
}

fn meets(direction: Direction, value: f64, target: f64) -> bool {
    match direction {
        Direction::Higher => value >= target,
        Direction::Lower => value <= target,
    }
}

/// The share of the error budget a mean leaves: for an availability or
/// success rate with target T on a scale S (100 for percentages, else 1),
/// 1 − (S − mean) / (S − T); for an error rate, 1 − mean / T.
fn error_budget_left(direction: Direction, target: f64, mean: f64, max: f64) -> Option<f64> {
    let left = match direction {
        Direction::Higher => {
            let scale = if target > 1.0 || max > 1.0 {
                100.0
            } else {
                1.0
            };
            let budget = scale - target;
            if budget <= 0.0 {
                return None;
            }
            1.0 - (scale - mean) / budget
        }
        Direction::Lower => {
            if target <= 0.0 {
                return None;
            }
            1.0 - mean / target
        }
    };
    left.is_finite().then_some(tidy(left))
}

/// `x` to 12 significant digits: computed means and shares without
/// floating-point noise (`0.906`, not `0.9060000000000006`).
fn tidy(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// Which way a metric is better, guessed from its name, and whether it is
/// an SLO-style rate (availability, success or error rate).
fn classify(name: &str) -> (Direction, bool) {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    const LOWER: &[&str] = &[
        "latency",
        "duration",
        "ms",
        "millis",
        "milliseconds",
        "sec",
        "secs",
        "seconds",
        "min",
        "mins",
        "minutes",
        "hours",
        "days",
        "rto",
        "rpo",
        "mttr",
        "mttd",
        "mtta",
        "error",
        "errors",
        "failure",
        "failures",
        "failed",
        "incident",
        "incidents",
        "downtime",
        "outage",
        "outages",
        "cpu",
        "memory",
        "mem",
        "peak",
        "backlog",
        "lag",
        "vulnerabilities",
        "vulns",
        "defects",
        "bugs",
        "cost",
        "used",
        "usage",
        "utilisation",
        "utilization",
        "saturation",
        "load",
        "disk",
    ];
    let lead_time =
        lower.contains("lead_time") || lower.contains("lead-time") || lower.contains("leadtime");
    let time_to = lower.contains("time_to") || lower.contains("time-to");
    let direction = if lead_time || time_to || LOWER.iter().any(|w| has(w)) {
        Direction::Lower
    } else {
        Direction::Higher
    };
    let rate = ["rate", "pct", "percent", "ratio"].iter().any(|w| has(w));
    let slo = match direction {
        Direction::Higher => ["availability", "uptime", "success", "sli", "slo", "good"]
            .iter()
            .any(|w| has(w)),
        Direction::Lower => (has("error") || has("errors")) && rate,
    };
    (direction, slo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(csv: &str) -> Vec<MetricSummary> {
        match parse(&mut csv.as_bytes()).unwrap().summary {
            Summary::Metrics { metrics } => metrics,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn direction_comes_from_the_name_or_the_column() {
        for (name, direction, slo) in [
            (
                "ledger_api.availability_pct.eu-west-1",
                Direction::Higher,
                true,
            ),
            ("deploy.lead_time_median_hours", Direction::Lower, false),
            (
                "deploy.production_deploys_per_week",
                Direction::Higher,
                false,
            ),
            ("deploy.change_failure_rate_pct", Direction::Lower, false),
            ("ledger_api.error_rate_pct", Direction::Lower, true),
            ("webhooks.delivery_success_pct", Direction::Higher, true),
            ("eks.node_cpu_peak_pct.prod-euw1", Direction::Lower, false),
            ("dr.rto_minutes", Direction::Lower, false),
            ("portal.visits", Direction::Higher, false),
            ("aurora.storage_used_pct", Direction::Lower, false),
        ] {
            assert_eq!(classify(name), (direction, slo), "{name}");
        }
        let m = metrics("date,metric,value,target,direction\n2026-01-01,queue_depth,5,10,higher\n");
        assert_eq!(m[0].direction, Direction::Higher);
        assert_eq!(m[0].met_target, Some(false));
    }

    #[test]
    fn summaries_per_metric() {
        let csv = "date,metric,value,target\n\
            2026-02-28,availability_pct,99.90,99.95\n\
            2026-01-31,availability_pct,99.99,99.95\n\
            2026-03-31,availability_pct,99.97%,99.95\n\
            2026-01-31,lead_time_hours,20,24\n\
            2026-02-28,lead_time_hours,30,\n";
        let m = metrics(csv);
        assert_eq!(m.len(), 2);
        let a = &m[0];
        assert_eq!(a.name, "availability_pct");
        assert_eq!(
            (a.points, a.first.as_str(), a.last.as_str()),
            (3, "2026-01-31", "2026-03-31")
        );
        assert_eq!(a.latest, 99.97);
        assert_eq!(a.target, Some(99.95));
        assert_eq!(a.met_target, Some(true));
        assert_eq!(a.points_met_target, 2);
        assert_eq!((a.min, a.max), (99.90, 99.99));
        assert!((a.mean.unwrap() - 99.953_333).abs() < 1e-4);
        // Budget 0.05 points; mean spends 0.046667 of it.
        assert!(
            (a.error_budget_left.unwrap() - 0.066_667).abs() < 1e-3,
            "{a:?}"
        );
        let l = &m[1];
        assert_eq!(
            (l.latest, l.target, l.met_target),
            (30.0, Some(24.0), Some(false))
        );
        assert_eq!(l.error_budget_left, None);
    }

    #[test]
    fn bad_rows_are_problems_and_extremes_do_not_break_the_mean() {
        for (csv, line) in [
            ("date,metric\n", 1),
            ("date,metric,value\n2026-01-01,m,fast\n", 2),
            ("date,metric,value\n2026-01-01,m,1\n2026-01-02,m,NaN\n", 3),
            ("date,metric,value\n2026-01-01,m,inf\n", 2),
            ("date,metric,value\n,m,1\n", 2),
            ("date,metric,value,direction\n2026-01-01,m,1,sideways\n", 2),
        ] {
            let problem = parse(&mut csv.as_bytes()).unwrap_err();
            assert_eq!(problem.line, Some(line), "{csv}: {problem:?}");
        }
        let m = metrics(
            "date,metric,value\n2026-01-01,m,1e308\n2026-01-02,m,-1e308\n2026-01-03,m,1e308\n",
        );
        assert_eq!(m[0].max, 1e308);
        assert!(m[0].mean.is_none_or(f64::is_finite));
    }
}
