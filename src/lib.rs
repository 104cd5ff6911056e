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
pub(crate) fn map_largest_first<T: Send + Sync, E: Send>(
    count: usize,
    size: impl Fn(usize) -> u64,
    f: impl Fn(usize) -> Result<T, E> + Sync + Send,
) -> Result<Vec<T>, E> {
    use rayon::prelude::*;
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(size(i)));
    // Each value goes straight to its slot. Collecting `(index, value)`
    // pairs (through rayon's list of chunks, a `Result` being unindexed)
    // and sorting them back moved every value several times, through
    // vectors grown by doubling: for 50,000 evidence files' facts, tens of
    // megabytes of fresh pages zeroed and copied in every load.
    let slots: Vec<std::sync::OnceLock<T>> = (0..count).map(|_| Default::default()).collect();
    order
        .into_par_iter()
        .with_max_len(ITEMS_PER_TASK)
        .try_for_each(|i| {
            let _ = slots[i].set(f(i)?);
            Ok(())
        })?;
    Ok(slots
        .into_iter()
        .map(|slot| slot.into_inner().expect("`order` holds every index once"))
        .collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_largest_first_and_returned_in_index_order() {
        let sizes: Vec<u64> = (0..1000u64).map(|i| (i * 7919) % 613).collect();
        let started = std::sync::Mutex::new(Vec::new());
        let map = || {
            map_largest_first(
                sizes.len(),
                |i| sizes[i],
                |i| -> Result<String, ()> {
                    started.lock().unwrap().push(sizes[i]);
                    Ok(format!("item {i}"))
                },
            )
            .unwrap()
        };
        // On one thread the order of work is the order of sizes.
        let one_thread = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let mapped = one_thread.install(map);
        let expected: Vec<String> = (0..1000).map(|i| format!("item {i}")).collect();
        assert_eq!(mapped, expected);
        let started = started.lock().unwrap().clone();
        assert!(started.windows(2).all(|w| w[0] >= w[1]), "{started:?}");
        assert_eq!(map(), expected);
    }

    #[test]
    fn the_first_error_stops_the_map() {
        let seen = std::sync::atomic::AtomicUsize::new(0);
        let result = map_largest_first(
            10_000,
            |i| i as u64,
            |i| {
                seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i == 9_999 {
                    Err(format!("item {i} failed"))
                } else {
                    Ok(i)
                }
            },
        );
        assert_eq!(result, Err("item 9999 failed".to_string()));
        assert!(seen.into_inner() < 10_000);
    }
}
