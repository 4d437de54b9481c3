//! What every benchmark prints: throughput, latency percentiles and peak
//! memory, in one shape.

use hdrhistogram::Histogram;
use std::time::Duration;

/// Latencies in microseconds, 1 µs to 10 minutes, 3 significant digits.
pub struct Latencies {
    histogram: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            // Constant bounds, checked by the histogram's own rules once.
            histogram: Histogram::new_with_bounds(1, 600_000_000, 3)
                .expect("valid histogram bounds"),
        }
    }
}

impl Latencies {
    pub fn record(&mut self, took: Duration) {
        let micros = (took.as_micros() as u64).clamp(1, 600_000_000);
        let _ = self.histogram.record(micros);
    }

    pub fn add(&mut self, other: &Latencies) {
        let _ = self.histogram.add(&other.histogram);
    }

    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    /// `p50 0.41 ms, p90 .., p99 .., p99.9 .., max ..`.
    pub fn summary(&self) -> String {
        if self.histogram.is_empty() {
            return "no samples".into();
        }
        let ms = |q: f64| self.histogram.value_at_quantile(q) as f64 / 1000.0;
        format!(
            "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
            ms(0.50),
            ms(0.90),
            ms(0.99),
            ms(0.999),
            self.histogram.max() as f64 / 1000.0
        )
    }
}

/// A process's resident memory from /proc (KiB): (now, peak).
pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// `RSS 812 MiB (peak 1,204 MiB)` of a process.
pub fn memory_line(pid: u32) -> String {
    match memory_kib(pid) {
        Some((now, peak)) => format!("RSS {} MiB (peak {} MiB)", now / 1024, peak / 1024),
        None => "memory unknown (no /proc)".into(),
    }
}

/// Events or commands per second.
pub fn rate(count: u64, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64().max(1e-9)
}

/// The machine a figure was measured on, for the record.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let build = if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    };
    format!("{cpus} cores ({model}), {build}")
}
