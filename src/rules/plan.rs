//! The compiled form of the rules for one table: a [`TablePlan`] indexed
//! by column position, which the rewriter reads for every row. Built by
//! binding (`bind.rs`); knows nothing of the rules file or its syntax.

use std::sync::Arc;

use super::cond;
use super::transform::{Prf, Transform};
use crate::schema::Table;

/// What a table's rows go through: one entry per table column, in
/// declaration order.
#[derive(Debug)]
pub struct TablePlan {
    /// The table as declared.
    pub table: Table,
    /// The table's name for messages and reports.
    pub display: String,
    /// The transformer of each column, by column index; `None`: untouched.
    pub actions: Vec<Option<Arc<dyn Transform>>>,
    /// Drop every row (keep the DDL).
    pub drop_all: bool,
    /// Drop rows where this holds.
    pub drop_when: Option<cond::Cond<cond::BoundColumn>>,
    /// Keep a deterministic share of rows.
    pub sample: Option<Sample>,
    /// Conditional rules; later blocks win over earlier ones and over
    /// `actions` for the rows where they hold.
    pub blocks: Vec<PlanBlock>,
    /// Columns whose original values conditions or sampling read, sorted.
    pub reads: Vec<usize>,
    /// By column index: its plain rule says `unique = true` (distinct
    /// inputs must give distinct outputs; `dumpmask verify` checks it).
    pub unique: Vec<bool>,
}

/// Conditional column rules, bound to a table.
#[derive(Debug)]
pub struct PlanBlock {
    /// Where the rules hold.
    pub cond: cond::Cond<cond::BoundColumn>,
    /// Column index and its transformer for matching rows.
    pub actions: Vec<(usize, Arc<dyn Transform>)>,
}

/// Deterministic sampling: a row is kept when a keyed hash of its key
/// columns falls below the share.
#[derive(Debug)]
pub struct Sample {
    /// Share kept, in millionths.
    pub per_million: u32,
    /// The primary key's columns, or every column when there is none.
    pub key: Vec<usize>,
    /// The keyed PRF.
    pub prf: Arc<Prf>,
    /// Domain separation per table.
    pub domain: String,
}

impl Sample {
    /// Is the row whose original values `value` gives kept? The key is
    /// each key column's length and bytes (a NULL is one 0xff byte).
    pub fn keeps_row<'a>(&self, value: impl Fn(usize) -> Option<&'a [u8]>) -> bool {
        let mut key = Vec::new();
        for &k in &self.key {
            match value(k) {
                Some(v) => {
                    key.extend_from_slice(&(v.len() as u64).to_le_bytes());
                    key.extend_from_slice(v);
                }
                None => key.push(0xff),
            }
        }
        self.keeps(&key)
    }

    /// Is a row with these key values kept?
    pub fn keeps(&self, key_values: &[u8]) -> bool {
        let h = self.prf.derive(self.domain.as_bytes(), key_values, 0);
        let x = u64::from_le_bytes(h[..8].try_into().unwrap_or([0; 8]));
        x % 1_000_000 < self.per_million as u64
    }
}

impl TablePlan {
    /// Do the row rules (`drop_when`, `sample_percent`) drop a row whose
    /// original values `value` gives by column? One answer for dumps,
    /// records and `verify`.
    pub fn drops_row<'a>(&'a self, value: &dyn Fn(usize) -> Option<&'a [u8]>) -> bool {
        self.drop_when.as_ref().is_some_and(|c| c.holds(value))
            || self.sample.as_ref().is_some_and(|s| !s.keeps_row(value))
    }

    /// A plan that changes nothing: rows of `table` are only read
    /// (`dumpmask scan` and `verify` read every table's values).
    pub fn read_only(table: &Table) -> TablePlan {
        TablePlan {
            table: table.clone(),
            display: table.name.to_string(),
            actions: vec![None; table.columns.len()],
            drop_all: false,
            drop_when: None,
            sample: None,
            blocks: Vec::new(),
            reads: Vec::new(),
            unique: vec![false; table.columns.len()],
        }
    }

    /// Can a rule change column `col` in some row (a plain rule, a
    /// conditional one, or `set`)?
    pub fn touches(&self, col: usize) -> bool {
        self.actions.get(col).is_some_and(Option::is_some)
            || self
                .blocks
                .iter()
                .any(|b| b.actions.iter().any(|(c, _)| *c == col))
    }

    /// Does any row of this table need rewriting or dropping?
    pub fn is_active(&self) -> bool {
        self.drop_all
            || self.actions.iter().any(Option::is_some)
            || self.drop_when.is_some()
            || self.sample.is_some()
            || !self.blocks.is_empty()
    }

    /// The transformer for column `col` of a row, given which blocks hold.
    pub fn action(&self, col: usize, active: &[bool]) -> Option<&Arc<dyn Transform>> {
        for (b, block) in self.blocks.iter().enumerate().rev() {
            if active.get(b) == Some(&true) {
                if let Some((_, t)) = block.actions.iter().find(|(c, _)| *c == col) {
                    return Some(t);
                }
            }
        }
        self.actions[col].as_ref()
    }
}
