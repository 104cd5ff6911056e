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

/// Caps glibc's malloc at two arenas, unless `MALLOC_ARENA_MAX` says
/// otherwise. By default each thread that allocates gets an arena of its
/// own, and memory freed in one is not reused by another: on a large
/// workspace that fragmentation alone was 8% of a build's peak memory.
/// Call it first thing, before other threads start.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a parameter of the allocator; it is
        // called before any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
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
