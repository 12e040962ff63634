//! Counters, merged across workers, and the run summary.
//!
//! Counts are kept per table as workers go (no lookups by name on the hot
//! path: a chunk's counters are indexed by the plan it used) and merged in
//! the writer. Nothing here ever holds a data value.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::rules::TablePlan;

/// Counts for one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableCounts {
    /// Rows read.
    pub rows_seen: u64,
    /// Rows written with at least one value changed.
    pub rows_rewritten: u64,
    /// Rows not written.
    pub rows_dropped: u64,
    /// Values changed, by table column index.
    pub values_changed: Vec<u64>,
}

impl TableCounts {
    fn add(&mut self, o: &TableCounts) {
        self.rows_seen += o.rows_seen;
        self.rows_rewritten += o.rows_rewritten;
        self.rows_dropped += o.rows_dropped;
        if self.values_changed.len() < o.values_changed.len() {
            self.values_changed.resize(o.values_changed.len(), 0);
        }
        for (a, b) in self.values_changed.iter_mut().zip(&o.values_changed) {
            *a += b;
        }
    }
}

/// Counts of one chunk, by the plan each table's rows went through.
#[derive(Debug, Default)]
pub struct ChunkCounts {
    tables: Vec<(Arc<TablePlan>, TableCounts)>,
}

impl ChunkCounts {
    /// The counters of a plan's table, created on first use. Chunks touch
    /// one or a few tables, so a short scan beats a map.
    pub fn table(&mut self, plan: &Arc<TablePlan>) -> &mut TableCounts {
        let i = match self.tables.iter().position(|(p, _)| Arc::ptr_eq(p, plan)) {
            Some(i) => i,
            None => {
                self.tables.push((
                    plan.clone(),
                    TableCounts {
                        values_changed: vec![0; plan.table.columns.len()],
                        ..TableCounts::default()
                    },
                ));
                self.tables.len() - 1
            }
        };
        &mut self.tables[i].1
    }
}

/// Per-table counts for a ruled table, with column names for reporting.
#[derive(Debug, Clone, Default)]
pub struct TableReport {
    /// Counters.
    pub counts: TableCounts,
    /// Column names, by index.
    pub columns: Vec<String>,
    /// Transformer name of each ruled column.
    pub transforms: Vec<Option<&'static str>>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Tables the dump declared.
    pub tables_seen: usize,
    /// Ruled tables, by name.
    pub tables: BTreeMap<String, TableReport>,
    /// Bytes read (decompressed).
    pub bytes_in: u64,
    /// Bytes written (before compression).
    pub bytes_out: u64,
    /// Bytes written (after compression).
    pub bytes_written: u64,
    /// PostgreSQL large objects passed through unchanged.
    pub large_objects: u64,
    /// Output compression.
    pub compression: crate::io::compress::Compression,
    /// SHA-256 of the rules file, hex.
    pub rules_fingerprint: String,
    /// Wall time.
    pub duration: Duration,
}

impl Default for Summary {
    fn default() -> Self {
        Summary {
            tables_seen: 0,
            tables: BTreeMap::new(),
            bytes_in: 0,
            bytes_out: 0,
            bytes_written: 0,
            large_objects: 0,
            compression: crate::io::compress::Compression::None,
            rules_fingerprint: String::new(),
            duration: Duration::ZERO,
        }
    }
}

impl Summary {
    /// Adds another run's counts (the parts of a pg_dump archive).
    pub fn absorb(&mut self, other: Summary) {
        for (name, t) in other.tables {
            match self.tables.get_mut(&name) {
                Some(mine) => mine.counts.add(&t.counts),
                None => {
                    self.tables.insert(name, t);
                }
            }
        }
        self.tables_seen = self.tables_seen.max(other.tables_seen);
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
    }

    /// The run report as JSON (fields documented in the README). Holds
    /// counts, names of tables and columns, and no data value.
    pub fn to_json(&self) -> String {
        use serde_json::{json, Map, Value};
        let mut tables = Map::new();
        for (name, t) in &self.tables {
            let mut columns = Map::new();
            for (i, col) in t.columns.iter().enumerate() {
                if let Some(Some(tr)) = t.transforms.get(i) {
                    columns.insert(
                        col.clone(),
                        json!({
                            "transform": tr,
                            "values_changed": t.counts.values_changed.get(i).copied().unwrap_or(0),
                        }),
                    );
                }
            }
            tables.insert(
                name.clone(),
                json!({
                    "rows_seen": t.counts.rows_seen,
                    "rows_rewritten": t.counts.rows_rewritten,
                    "rows_dropped": t.counts.rows_dropped,
                    "columns": Value::Object(columns),
                }),
            );
        }
        let (seen, rewritten, dropped) = self.row_totals();
        let report = json!({
            "version": env!("CARGO_PKG_VERSION"),
            "rules_fingerprint": format!("sha256:{}", self.rules_fingerprint),
            "tables_seen": self.tables_seen,
            "tables_ruled": self.tables.len(),
            "rows_seen": seen,
            "rows_rewritten": rewritten,
            "rows_dropped": dropped,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "bytes_written": self.bytes_written,
            "large_objects": self.large_objects,
            "compression": format!("{:?}", self.compression).to_lowercase(),
            "duration_seconds": self.duration.as_secs_f64(),
            "throughput_mb_per_s": self.mb_per_s(),
            "tables": Value::Object(tables),
        });
        let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Adds a chunk's counts.
    pub fn merge(&mut self, c: ChunkCounts) {
        for (plan, counts) in c.tables {
            let entry = self
                .tables
                .entry(plan.display.clone())
                .or_insert_with(|| TableReport {
                    counts: TableCounts::default(),
                    columns: plan.table.columns.iter().map(|c| c.name.clone()).collect(),
                    // A column's plain rule names it; else its first
                    // conditional one.
                    transforms: (0..plan.table.columns.len())
                        .map(|i| {
                            plan.actions[i].as_ref().map(|t| t.name()).or_else(|| {
                                plan.blocks.iter().find_map(|b| {
                                    b.actions
                                        .iter()
                                        .find(|(c, _)| *c == i)
                                        .map(|(_, t)| t.name())
                                })
                            })
                        })
                        .collect(),
                });
            entry.counts.add(&counts);
        }
    }

    /// Input throughput in MB/s (10^6 bytes).
    pub fn mb_per_s(&self) -> f64 {
        let s = self.duration.as_secs_f64();
        if s == 0.0 {
            0.0
        } else {
            self.bytes_in as f64 / 1e6 / s
        }
    }

    /// Totals over ruled tables: rows seen, rewritten, dropped.
    pub fn row_totals(&self) -> (u64, u64, u64) {
        self.tables.values().fold((0, 0, 0), |(a, b, c), t| {
            (
                a + t.counts.rows_seen,
                b + t.counts.rows_rewritten,
                c + t.counts.rows_dropped,
            )
        })
    }

    /// A few lines for standard error.
    pub fn render(&self) -> String {
        let (seen, rewritten, dropped) = self.row_totals();
        let mut s = format!(
            "dumpmask: {} tables ({} ruled); rows in ruled tables: {seen} seen, {rewritten} rewritten, {dropped} dropped\n",
            self.tables_seen,
            self.tables.len(),
        );
        let mut per_transform: BTreeMap<&str, u64> = BTreeMap::new();
        for t in self.tables.values() {
            for (i, n) in t.counts.values_changed.iter().enumerate() {
                match t.transforms.get(i) {
                    Some(Some(name)) if *n > 0 => *per_transform.entry(name).or_default() += n,
                    _ => {}
                }
            }
        }
        if !per_transform.is_empty() {
            let parts: Vec<String> = per_transform
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            s.push_str(&format!("dumpmask: values changed: {}\n", parts.join(", ")));
        }
        if self.large_objects > 0 {
            s.push_str(&format!(
                "dumpmask: {} large objects passed through unchanged (no rule reads them)\n",
                self.large_objects
            ));
        }
        s.push_str(&format!(
            "dumpmask: {} bytes in, {} bytes out, {:.2} s, {:.1} MB/s\n",
            self.bytes_in,
            self.bytes_out,
            self.duration.as_secs_f64(),
            self.mb_per_s()
        ));
        s
    }
}

/// How far a run has got, shared with whoever displays it. Updated by the
/// writer once per chunk.
#[derive(Debug, Default)]
pub struct Progress {
    /// Input bytes (decompressed) written out so far.
    pub bytes_in: AtomicU64,
    /// Compressed input bytes read so far (for compressed input), and
    /// the size of the input as stored (when known); set once the input is
    /// open.
    source: OnceLock<(Option<Arc<AtomicU64>>, Option<u64>)>,
    /// The ruled table whose rows were written last.
    pub table: Mutex<String>,
}

impl Progress {
    /// Records a written chunk.
    pub fn advance(&self, bytes: u64, table: Option<&str>) {
        self.bytes_in.fetch_add(bytes, Ordering::Relaxed);
        if let Some(t) = table {
            if let Ok(mut cur) = self.table.lock() {
                if cur.as_str() != t {
                    t.clone_into(&mut cur);
                }
            }
        }
    }

    /// Records what the input can tell about its size.
    pub fn set_source(&self, compressed_read: Option<Arc<AtomicU64>>, stored_size: Option<u64>) {
        let _ = self.source.set((compressed_read, stored_size));
    }

    /// Bytes of the stored input done, and the total if known: compressed
    /// bytes for compressed input, so the ETA is honest.
    pub fn position(&self) -> (u64, Option<u64>) {
        match self.source.get() {
            Some((Some(c), size)) => (c.load(Ordering::Relaxed), *size),
            Some((None, size)) => (self.bytes_in.load(Ordering::Relaxed), *size),
            None => (self.bytes_in.load(Ordering::Relaxed), None),
        }
    }

    /// The current table's name.
    pub fn table(&self) -> String {
        self.table.lock().map(|t| t.clone()).unwrap_or_default()
    }
}
