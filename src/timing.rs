//! Wall-clock time per phase of a run, printed by `build -v` so that a slow
//! build says where its time went.

use std::sync::Mutex;
use std::time::{Duration, Instant};

static PHASES: Mutex<Vec<(&'static str, Duration)>> = Mutex::new(Vec::new());

/// Runs `f`, adding its wall time to phase `name`.
pub fn time<T>(name: &'static str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    record(name, start.elapsed());
    value
}

/// Adds `elapsed` to phase `name`.
pub fn record(name: &'static str, elapsed: Duration) {
    let mut phases = PHASES.lock().unwrap_or_else(|e| e.into_inner());
    match phases.iter_mut().find(|(n, _)| *n == name) {
        Some((_, total)) => *total += elapsed,
        None => phases.push((name, elapsed)),
    }
}

/// The phases recorded so far, in the order they first ran.
pub fn phases() -> Vec<(&'static str, Duration)> {
    PHASES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

static COUNTS: Mutex<Vec<(&'static str, usize)>> = Mutex::new(Vec::new());
static NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Adds `n` to counter `name`.
pub fn count(name: &'static str, n: usize) {
    let mut counts = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
    match counts.iter_mut().find(|(c, _)| *c == name) {
        Some((_, total)) => *total += n,
        None => counts.push((name, n)),
    }
}

/// The counters, in the order they were first counted.
pub fn counts() -> Vec<(&'static str, usize)> {
    COUNTS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Remembers something `-v` should say (a cache not used, and why).
pub fn note(text: String) {
    NOTES.lock().unwrap_or_else(|e| e.into_inner()).push(text);
}

pub fn notes() -> Vec<String> {
    NOTES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Forgets every phase, counter and note: a new build starts.
pub fn reset() {
    PHASES.lock().unwrap_or_else(|e| e.into_inner()).clear();
    COUNTS.lock().unwrap_or_else(|e| e.into_inner()).clear();
    NOTES.lock().unwrap_or_else(|e| e.into_inner()).clear();
}
