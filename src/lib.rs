//! auditbook turns a git repository of security policies and evidence into
//! a versioned static audit portal and signed evidence bundles, linked to
//! SOC 2 and ISO/IEC 27001:2022 controls.
//!
//! The pipeline, one module per stage: [`config`] and [`catalog`] are read
//! by [`workspace`] (the load), [`assess`] judges it, [`report`] prints it.
//! [`evidence`] reads each evidence format; [`render`] writes the portal
//! and [`bundle`] the signed zip of it for one audience; [`cmd`] holds the
//! commands.

pub mod assess;
pub mod bundle;
pub mod cache;
pub mod catalog;
pub mod cmd;
pub mod collect;
pub mod config;
pub mod diagnostic;
pub mod evidence;
pub mod fsutil;
pub mod interval;
pub mod redact;
pub mod render;
pub mod report;
pub mod serve;
pub mod site;
pub mod timing;
pub mod workspace;

use chrono::{DateTime, Utc};

/// Items per task in the per-item parallel loops (reading evidence,
/// rendering pages). Left to itself, rayon stops splitting a range after a
/// few steals and runs the rest on one thread: on a bundle that left one
/// core idle for the last 2.5 s. Tasks this small end within milliseconds
/// of each other, and cost nothing to schedule beside a page.
pub(crate) const ITEMS_PER_TASK: usize = 32;

/// `f` of every index below `count` on rayon's pool, in tasks of
/// [`ITEMS_PER_TASK`], the largest items (by `size`) first so that no big
/// file is left for the end; the results come back in index order. Stops
/// at an error, as collecting a `Result` does.
pub(crate) fn map_largest_first<T: Send, E: Send>(
    count: usize,
    size: impl Fn(usize) -> u64,
    f: impl Fn(usize) -> Result<T, E> + Sync + Send,
) -> Result<Vec<T>, E> {
    use rayon::prelude::*;
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(size(i)));
    let mut done: Vec<(usize, T)> = order
        .into_par_iter()
        .with_max_len(ITEMS_PER_TASK)
        .map(|i| f(i).map(|value| (i, value)))
        .collect::<Result<_, E>>()?;
    done.sort_unstable_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, value)| value).collect())
}

/// The time a run stamps on what it produces: `SOURCE_DATE_EPOCH` when set
/// (reproducible builds), else now.
pub fn build_time() -> DateTime<Utc> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .unwrap_or_else(Utc::now)
}
