//! Counters, merged across workers, and the run summary.
//!
//! Counts are kept per table as workers go (no lookups by name on the hot
//! path: a chunk's counters are indexed by the plan it used) and merged in
//! the writer. Nothing here ever holds a data value.

use std::collections::BTreeMap;
use std::sync::Arc;
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
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Tables the dump declared.
    pub tables_seen: usize,
    /// Ruled tables, by name.
    pub tables: BTreeMap<String, TableReport>,
    /// Bytes read (decompressed).
    pub bytes_in: u64,
    /// Bytes written (before compression).
    pub bytes_out: u64,
    /// Wall time.
    pub duration: Duration,
}

impl Summary {
    /// Adds a chunk's counts.
    pub fn merge(&mut self, c: ChunkCounts) {
        for (plan, counts) in c.tables {
            let entry = self
                .tables
                .entry(plan.display.clone())
                .or_insert_with(|| TableReport {
                    counts: TableCounts::default(),
                    columns: plan.table.columns.iter().map(|c| c.name.clone()).collect(),
                    transforms: plan
                        .actions
                        .iter()
                        .map(|a| a.as_ref().map(|t| t.name()))
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
                if let Some(Some(name)) = t.transforms.get(i) {
                    *per_transform.entry(name).or_default() += n;
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
