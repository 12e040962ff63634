//! Progress on standard error: an indicatif bar on a terminal, a plain
//! line every few seconds otherwise. Reads the library's counters; never
//! shows data.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dumpmask::report::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A running progress display; stops when finished or dropped.
pub struct Display {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Display {
    /// Starts showing `progress`.
    pub fn start(progress: Arc<Progress>) -> Display {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let tty = std::io::stderr().is_terminal();
        let thread = std::thread::spawn(move || {
            if tty {
                bar(&progress, &flag);
            } else {
                lines(&progress, &flag);
            }
        });
        Display {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn bar(progress: &Progress, stop: &AtomicBool) {
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    while !stop.load(Ordering::Relaxed) {
        let (done, total) = progress.position();
        if let Some(t) = total {
            pb.set_length(t);
        }
        pb.set_position(done);
        pb.set_message(progress.table());
        std::thread::sleep(Duration::from_millis(100));
    }
    pb.finish_and_clear();
}

fn lines(progress: &Progress, stop: &AtomicBool) {
    let started = Instant::now();
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if last.elapsed() < Duration::from_secs(5) {
            continue;
        }
        last = Instant::now();
        let (done, total) = progress.position();
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let rate = done as f64 / secs;
        let mut line = format!(
            "dumpmask: {:.1} MB, {:.1} MB/s",
            done as f64 / 1e6,
            rate / 1e6
        );
        if let Some(t) = total.filter(|t| *t > 0) {
            let pct = done as f64 * 100.0 / t as f64;
            let eta = if rate > 0.0 {
                (t.saturating_sub(done)) as f64 / rate
            } else {
                0.0
            };
            line.push_str(&format!(", {pct:.1}%, eta {eta:.0} s"));
        }
        let table = progress.table();
        if !table.is_empty() {
            line.push_str(&format!(", table {table}"));
        }
        eprintln!("{line}");
    }
}
