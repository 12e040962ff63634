//! `dumpmask verify`: proof after the fact that an anonymized dump keeps
//! what the rules promise. Three faults fail it:
//!
//! 1. a leak: an original value of a ruled column (3 bytes or more, as
//!    decoded, or as the dump writes it escaped) appears anywhere in the
//!    anonymized dump's bytes, at word boundaries (a value that starts or
//!    ends with a letter or digit must not continue into another one:
//!    `Ann` inside `Annabel` is no leak of `Ann`), unless the original
//!    dump also holds that value, whole, outside ruled columns (a customer
//!    called Davis and an actor called Davis);
//! 2. a collision: a column whose rule says `unique = true` has fewer
//!    distinct values in the output than distinct originals among the
//!    rows kept;
//! 3. a change where no rule acts: a column no rule touches (in any row)
//!    differs, in order, from the original's values of the rows kept; or a
//!    table has another number of rows than the rules leave.
//!
//! Which original rows the output keeps is decided by the rules on the
//! original values (`truncate`, `drop_when`, `sample_percent`), exactly as
//! the rewrite decides it. The original is read once, keeping fingerprints
//! (64-bit hashes) of what must be compared and the ruled values
//! themselves as search patterns; the output is then read once: its rows
//! are parsed for (2) and (3) and its bytes searched for every pattern at
//! once (Aho-Corasick) for (1).
//!
//! Values of blanks and punctuation alone, and values spelt as SQL
//! literals (`NULL`, `TRUE`, `DEFAULT`, ...), are not searched for.
//!
//! Memory is bounded by the data's distinct values, not the dump's size:
//! the bytes of each distinct ruled value of 3 bytes or more (and the
//! automaton built from them, a small multiple of that), 8 bytes per
//! distinct value of 3 bytes or more outside ruled columns, and 8 bytes
//! per distinct value of each `unique` column on each side.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

use super::{fingerprint, walk, ByTable, Fingerprints, Visit};
use crate::error::{Error, Result};
use crate::format::Engine;
use crate::pipeline::Options;
use crate::rewrite::RowRead;
use crate::rules::{Rules, TablePlan};

/// Values shorter than this are not searched for: a two-letter value is
/// everywhere in any dump.
pub const MIN_LEN: usize = 3;

/// Transformers whose outputs stay in the input's own domain (dates,
/// numbers): an output equal to some original is no leak of it.
const NOISE: &[&str] = &["date_shift", "number_noise"];

/// Values not searched for: literals every dump writes as syntax
/// (`NULL`, `DEFAULT`, booleans, special numbers and dates).
const SQL_WORDS: &[&str] = &[
    "null",
    "true",
    "false",
    "default",
    "infinity",
    "-infinity",
    "nan",
];

/// Fingerprints sent to the set's thread at a time.
const OUTSIDE_BATCH: usize = 1 << 14;

/// Leaks listed one by one in the report (all are counted).
const LISTED: usize = 100;

/// What verify compares for one table.
#[derive(Debug, Default)]
struct TableState {
    /// Column names, by index.
    columns: Vec<String>,
    /// Rows in the original.
    rows_original: u64,
    /// Rows the rules drop.
    rows_dropped: u64,
    /// Rows in the output.
    rows_output: u64,
    /// Per column no rule touches: an order-sensitive digest of its
    /// values over the kept rows, original and output.
    digest_original: Vec<u64>,
    digest_output: Vec<u64>,
    /// Per `unique` column: fingerprints of distinct originals (kept rows)
    /// and of distinct outputs.
    unique_original: Vec<Option<Fingerprints>>,
    unique_output: Vec<Option<Fingerprints>>,
    /// Per `unique` column: values (not NULL) in the kept rows of the
    /// original, and in the output. More in the output means a value was
    /// written where a NULL was, where distinct counts alone can agree.
    unique_values_original: Vec<u64>,
    unique_values_output: Vec<u64>,
    /// Columns of the output's rows that the original's table lacks.
    extra_columns: Vec<String>,
    /// Columns a rule touches.
    touched: Vec<bool>,
    /// Values of ruled columns searched for, per column.
    searched: Vec<u64>,
}

impl TableState {
    fn new(plan: &TablePlan) -> TableState {
        let n = plan.table.columns.len();
        let touched: Vec<bool> = (0..n).map(|c| plan.touches(c)).collect();
        let unique = |c: usize| (plan.unique[c] && touched[c]).then(Fingerprints::default);
        TableState {
            columns: plan.table.columns.iter().map(|c| c.name.clone()).collect(),
            digest_original: vec![0; n],
            digest_output: vec![0; n],
            unique_original: (0..n).map(unique).collect(),
            unique_output: (0..n).map(unique).collect(),
            unique_values_original: vec![0; n],
            unique_values_output: vec![0; n],
            searched: vec![0; n],
            touched,
            ..TableState::default()
        }
    }
}

/// Adds a value (NULL as `None`) to an order-sensitive digest.
fn mix(d: &mut u64, v: Option<&[u8]>) {
    let h = v.map_or(0x9e37_79b9_7f4a_7c15, fingerprint);
    *d = (d.rotate_left(23) ^ h).wrapping_mul(0x0100_0000_01b3);
}

/// Where a searched value came from.
#[derive(Debug, Clone)]
struct Origin {
    table: String,
    column: String,
}

/// Pass one: the original dump.
struct Original {
    tables: ByTable<TableState>,
    /// Distinct ruled values: fingerprint to (range in `bytes`, origin).
    patterns: HashMap<u64, (usize, usize, u32), std::hash::BuildHasherDefault<super::AsIs>>,
    bytes: Vec<u8>,
    origins: Vec<Origin>,
    origin_ids: HashMap<(String, usize), u32>,
    /// Fingerprints of values held outside ruled columns, gathered in
    /// batches that a thread of their own adds to its set (the set's
    /// inserts would otherwise cost the parse a sixth of its time).
    outside: Vec<u64>,
    outside_to: crossbeam_channel::Sender<Vec<u64>>,
    /// Fingerprints of the lines of text outside rows (see [`Lines`]).
    text_lines: Fingerprints,
    lines: Lines,
    /// Decoded values of the current row, and their ranges.
    row_bytes: Vec<u8>,
    row: Vec<Option<(usize, usize)>>,
    buf: Vec<u8>,
    active: Vec<bool>,
}

impl Original {
    fn origin(&mut self, table: &str, col: usize, name: &str) -> u32 {
        let key = (table.to_string(), col);
        if let Some(&id) = self.origin_ids.get(&key) {
            return id;
        }
        let id = self.origins.len() as u32;
        self.origins.push(Origin {
            table: table.to_string(),
            column: name.to_string(),
        });
        self.origin_ids.insert(key, id);
        id
    }
}

/// Text outside rows (DDL, comments, statement heads), cut into lines
/// the same way in both dumps whatever the chunking: a line ends at a
/// newline, where rows interrupt the text, or after [`Lines::MAX`] bytes.
/// A ruled value in such a line of the output is excused when the
/// original holds the same line: dumpmask copies DDL and comments as
/// they are, and a value quoted there (`COMMENT ON ... 'O''Brien'`) was
/// in the original's schema, not taken from its rows.
#[derive(Default)]
struct Lines {
    buf: Vec<u8>,
    /// Offset of the line's first byte.
    start: u64,
}

impl Lines {
    const MAX: usize = 1 << 20;
    /// Bytes of a line cut at [`Lines::MAX`] that the next part starts
    /// with again, so that a value across the cut is whole in one part.
    const OVERLAP: usize = 64 << 10;

    /// Adds text at `at` (or, with `rows`, ends the line at rows), calling
    /// `line` with each whole line and its offset.
    fn push(
        &mut self,
        at: u64,
        bytes: &[u8],
        rows: bool,
        line: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        if rows {
            return self.flush(line);
        }
        let mut rest = bytes;
        let mut pos = at;
        while !rest.is_empty() {
            if self.buf.is_empty() {
                self.start = pos;
            }
            let room = Self::MAX - self.buf.len();
            let take = match memchr::memchr(b'\n', &rest[..rest.len().min(room)]) {
                Some(n) => n + 1,
                None => rest.len().min(room),
            };
            self.buf.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            pos += take as u64;
            if self.buf.ends_with(b"\n") {
                self.flush(line)?;
            } else if self.buf.len() >= Self::MAX {
                self.flush_keeping(line, Self::OVERLAP)?;
            }
        }
        Ok(())
    }

    /// Hands out the line so far, and starts the next part with its last
    /// `keep` bytes.
    fn flush_keeping(
        &mut self,
        line: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
        keep: usize,
    ) -> Result<()> {
        line(self.start, &self.buf)?;
        let cut = self.buf.len().saturating_sub(keep);
        self.buf.drain(..cut);
        self.start += cut as u64;
        Ok(())
    }

    fn flush(&mut self, line: &mut dyn FnMut(u64, &[u8]) -> Result<()>) -> Result<()> {
        if !self.buf.is_empty() {
            line(self.start, &self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl Visit for Original {
    fn wants_bytes(&self) -> bool {
        true
    }

    fn bytes(&mut self, at: u64, bytes: &[u8], rows: bool) -> Result<()> {
        let set = &mut self.text_lines;
        self.lines.push(at, bytes, rows, &mut |_, l| {
            set.insert(fingerprint(l));
            Ok(())
        })
    }

    fn row(&mut self, plan: &TablePlan, row: &RowRead) -> Result<()> {
        let columns = row.columns();
        // Decode the whole row by table column.
        self.row.clear();
        self.row.resize(plan.table.columns.len(), None);
        self.row_bytes.clear();
        for (i, &col) in columns.iter().enumerate() {
            if let Some(v) = row.value(i, &mut self.buf)? {
                let start = self.row_bytes.len();
                self.row_bytes.extend_from_slice(v);
                self.row[col] = Some((start, self.row_bytes.len()));
            }
        }
        let (cells, bytes) = (&self.row, &self.row_bytes);
        let value = |c: usize| -> Option<&[u8]> {
            cells.get(c).copied().flatten().map(|(a, b)| &bytes[a..b])
        };
        let dropped = plan.drop_all || plan.drops_row(&value);
        self.active.clear();
        self.active
            .extend(plan.blocks.iter().map(|b| b.cond.holds(&value)));
        let state = self.tables.slot(plan, || TableState::new(plan));
        state.rows_original += 1;
        state.rows_dropped += u64::from(dropped);
        let mut searched: Vec<(usize, usize, usize)> = Vec::new();
        for &col in columns {
            let v = value(col);
            let action = plan.action(col, &self.active);
            // Noise keeps a value in its own domain (a date shifted by a
            // few days is another person's date): such outputs are not
            // originals, and their columns are not searched.
            let noise = action.is_some_and(|t| NOISE.contains(&t.name()));
            let ruled_here = if dropped {
                state.touched[col]
            } else {
                action.is_some()
            };
            if !dropped && !state.touched[col] {
                mix(&mut state.digest_original[col], v);
            }
            let Some(v) = v else { continue };
            if ruled_here {
                if let (false, Some(set)) = (dropped, state.unique_original[col].as_mut()) {
                    set.insert(fingerprint(v));
                    state.unique_values_original[col] += 1;
                }
                if v.len() >= MIN_LEN && !noise {
                    state.searched[col] += 1;
                    let (a, b) = cells[col].unwrap_or((0, 0));
                    searched.push((col, a, b));
                }
            } else if v.len() >= MIN_LEN && !dropped {
                // Only values the output keeps excuse a match: a dropped
                // row's values (a truncated table's above all) are gone.
                self.outside.push(fingerprint(v));
                if self.outside.len() == OUTSIDE_BATCH {
                    let batch =
                        std::mem::replace(&mut self.outside, Vec::with_capacity(OUTSIDE_BATCH));
                    self.outside_to
                        .send(batch)
                        .map_err(|_| Error::internal("the fingerprint set stopped"))?;
                }
            }
        }
        for (col, a, b) in searched {
            let v = &self.row_bytes[a..b];
            let h = fingerprint(v);
            if self.patterns.contains_key(&h) {
                continue;
            }
            let start = self.bytes.len();
            self.bytes.extend_from_slice(v);
            let end = self.bytes.len();
            let name = plan.table.columns[col].name.clone();
            let id = self.origin(&plan.display, col, &name);
            self.patterns.insert(h, (start, end, id));
        }
        Ok(())
    }
}

/// Pass two: the anonymized dump.
struct Output<'a> {
    tables: &'a mut ByTable<TableState>,
    /// Tables in the output that the original does not have rows of.
    unexpected: Vec<String>,
    /// Where bytes to search go: the search runs on a thread of its own
    /// (building the automaton first), beside the parsing of rows.
    search: Option<crossbeam_channel::Sender<(u64, Vec<u8>)>>,
    /// The original's lines of text outside rows.
    text_lines: Fingerprints,
    lines: Lines,
    buf: Vec<u8>,
}

impl Search {
    /// Reports each ruled value found in `bytes` (at output offset `at`)
    /// at word boundaries to `leak`.
    fn find(&self, at: u64, bytes: &[u8], leak: &mut dyn FnMut(Leak)) {
        let word = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
        // Every match, overlapping ones included: a longer original that
        // fails the word test must not hide a shorter one inside it that
        // passes.
        for m in self.automaton.find_overlapping_iter(bytes) {
            let (s, e) = (m.start(), m.end());
            let open = s == 0 || !word(bytes[s]) || !word(bytes[s - 1]);
            let close = e == bytes.len() || !word(bytes[e - 1]) || !word(bytes[e]);
            if open && close {
                let o = &self.origins[self.origin[m.pattern().as_usize()] as usize];
                leak(Leak {
                    table: o.table.clone(),
                    column: o.column.clone(),
                    offset: at + s as u64,
                });
            }
        }
    }
}

/// The compiled search for leaked values.
struct Search {
    automaton: AhoCorasick,
    /// By pattern: its origin.
    origin: Vec<u32>,
    origins: Vec<Origin>,
}

impl Visit for Output<'_> {
    fn row(&mut self, plan: &TablePlan, row: &RowRead) -> Result<()> {
        let Some(state) = self.tables.get(plan) else {
            if !self.unexpected.contains(&plan.display) {
                self.unexpected.push(plan.display.clone());
            }
            return Ok(());
        };
        state.rows_output += 1;
        for (i, &col) in row.columns().iter().enumerate() {
            let v = row.value(i, &mut self.buf)?;
            if col >= state.touched.len() {
                // The output's table has a column the original's lacks.
                let name = &plan.table.columns[col].name;
                if !state.extra_columns.contains(name) {
                    state.extra_columns.push(name.clone());
                }
            } else if !state.touched[col] {
                mix(&mut state.digest_output[col], v);
            } else if let (Some(v), Some(set)) = (v, state.unique_output[col].as_mut()) {
                set.insert(fingerprint(v));
                state.unique_values_output[col] += 1;
            }
        }
        Ok(())
    }

    fn wants_bytes(&self) -> bool {
        self.search.is_some()
    }

    fn bytes(&mut self, at: u64, bytes: &[u8], rows: bool) -> Result<()> {
        let Some(search) = &self.search else {
            return Ok(());
        };
        let lost = || Error::internal("the value search stopped");
        if rows && !bytes.is_empty() {
            search.send((at, bytes.to_vec())).map_err(|_| lost())?;
        }
        let known = &self.text_lines;
        self.lines.push(at, bytes, rows, &mut |start, line| {
            // A line the original has is excused: DDL, routines and
            // comments are copied as they are.
            if !known.contains(&fingerprint(line)) {
                search.send((start, line.to_vec())).map_err(|_| lost())?;
            }
            Ok(())
        })
    }
}

/// `v` in lower-case hex.
fn hex(v: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    v.iter()
        .flat_map(|&b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .collect()
}

/// `v` with each character past ASCII written as JSON `\uXXXX` escapes
/// (surrogate pairs past the BMP); `None` when `v` is ASCII or not UTF-8.
fn json_escaped(v: &[u8]) -> Option<Vec<u8>> {
    let s = std::str::from_utf8(v).ok()?;
    if s.is_ascii() {
        return None;
    }
    let mut out = String::with_capacity(v.len() * 2);
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    Some(out.into_bytes())
}

/// The search thread: builds the automaton, then searches each part of
/// the output it is sent, in order; returns the leaks (the first
/// [`LISTED`]) and their count.
fn search_thread(
    pats: Vec<Vec<u8>>,
    origin: Vec<u32>,
    origins: Vec<Origin>,
    parts: crossbeam_channel::Receiver<(u64, Vec<u8>)>,
) -> Result<(Vec<Leak>, u64)> {
    let automaton = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .build(&pats)
        .map_err(|e| Error::internal(format!("building the value search: {e}")))?;
    drop(pats);
    let search = Search {
        automaton,
        origin,
        origins,
    };
    let (mut leaks, mut count) = (Vec::new(), 0u64);
    for (at, bytes) in parts {
        search.find(at, &bytes, &mut |l| {
            count += 1;
            if leaks.len() < LISTED {
                leaks.push(l);
            }
        });
    }
    Ok((leaks, count))
}

/// An original value found in the output.
#[derive(Debug, Clone, Serialize)]
pub struct Leak {
    /// The table the value was ruled in.
    pub table: String,
    /// Its column.
    pub column: String,
    /// Byte offset in the output (decompressed; in an archive, within the
    /// table's data or TOC part).
    pub offset: u64,
}

/// One column's evidence.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnEvidence {
    /// Column name.
    pub column: String,
    /// A rule touches it.
    pub ruled: bool,
    /// Ruled values (3 bytes or more) searched for in the output.
    pub values_searched: u64,
    /// For a `unique` rule: distinct originals among the rows kept, and
    /// distinct outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinct: Option<(usize, usize)>,
    /// For a column no rule touches: its values match the original's, in
    /// order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchanged: Option<bool>,
}

/// One table's evidence.
#[derive(Debug, Clone, Serialize)]
pub struct TableEvidence {
    /// Table name.
    pub table: String,
    /// Rows in the original.
    pub rows_original: u64,
    /// Rows the rules drop.
    pub rows_dropped_by_rules: u64,
    /// Rows in the output.
    pub rows_output: u64,
    /// Per column.
    pub columns: Vec<ColumnEvidence>,
}

/// A fault verify found, by kind.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Original values of ruled columns in the output.
    Leak {
        /// How many occurrences.
        count: u64,
        /// The first ones.
        first: Vec<Leak>,
    },
    /// A `unique` rule's outputs collide.
    Collision {
        /// Table.
        table: String,
        /// Column.
        column: String,
        /// Distinct originals among the rows kept.
        distinct_original: usize,
        /// Distinct outputs.
        distinct_output: usize,
    },
    /// A column no rule touches differs.
    Changed {
        /// Table.
        table: String,
        /// Column.
        column: String,
    },
    /// A table holds another number of rows than the rules leave.
    RowCount {
        /// Table.
        table: String,
        /// Rows the rules leave.
        expected: u64,
        /// Rows in the output.
        found: u64,
    },
    /// Rows in the output of a table the original has no rows of.
    UnexpectedTable {
        /// Table.
        table: String,
    },
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Leak { count, first } => {
                write!(f, "{count} original value(s) of ruled columns found in the output")?;
                for l in first.iter().take(20) {
                    write!(
                        f,
                        "\n  leak: a value of {}.{} at output byte {}",
                        l.table, l.column, l.offset
                    )?;
                }
                if first.len() > 20 {
                    write!(f, "\n  ... (--report lists up to {LISTED})")?;
                }
                Ok(())
            }
            Fault::Collision {
                table,
                column,
                distinct_original,
                distinct_output,
            } => write!(
                f,
                "collision: {table}.{column} has a unique rule, but {distinct_original} distinct original values became {distinct_output} distinct values"
            ),
            Fault::Changed { table, column } => write!(
                f,
                "changed: {table}.{column} has no rule, and its values differ from the original's"
            ),
            Fault::RowCount {
                table,
                expected,
                found,
            } => write!(
                f,
                "rows: {table} should hold {expected} row(s) after the rules, and holds {found}"
            ),
            Fault::UnexpectedTable { table } => write!(
                f,
                "rows: the output holds rows of {table}, which the original has none of"
            ),
        }
    }
}

/// What verify found: evidence for a record of processing, and the
/// faults. Holds names, counts and offsets, never a data value.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// No fault.
    pub ok: bool,
    /// Every fault.
    pub faults: Vec<Fault>,
    /// Per table.
    pub tables: Vec<TableEvidence>,
    /// Distinct ruled values searched for.
    pub distinct_values_searched: usize,
    /// Bytes read of each dump (decompressed).
    pub bytes_original: u64,
    /// Bytes read of the output (decompressed).
    pub bytes_output: u64,
}

/// Compares `original` and `anonymized` (paths, or `-` for one of them)
/// under `rules`.
pub fn verify(
    rules: &Rules,
    original: &str,
    anonymized: &str,
    engine: Option<Engine>,
    opts: &Options,
) -> Result<Verdict> {
    if original == "-" && anonymized == "-" {
        return Err(Error::rules(
            "only one of the two dumps can come from standard input",
        ));
    }
    let mut quiet = rules.clone();
    quiet.set_quiet(true);
    let (outside_to, batches) = crossbeam_channel::bounded::<Vec<u64>>(16);
    let outside_set = std::thread::spawn(move || {
        let mut set = Fingerprints::default();
        for batch in batches {
            set.extend(batch);
        }
        set
    });
    let mut first = Original {
        tables: ByTable::default(),
        patterns: HashMap::default(),
        bytes: Vec::new(),
        origins: Vec::new(),
        origin_ids: HashMap::new(),
        outside: Vec::with_capacity(OUTSIDE_BATCH),
        outside_to,
        text_lines: Fingerprints::default(),
        lines: Lines::default(),
        row_bytes: Vec::new(),
        row: Vec::new(),
        buf: Vec::new(),
        active: Vec::new(),
    };
    let walked = walk(original, engine, quiet.clone(), opts, &mut first)?;
    first.bytes(0, &[], true)?;
    let Original {
        mut tables,
        patterns,
        bytes,
        origins,
        outside: last_batch,
        outside_to,
        text_lines,
        ..
    } = first;
    let _ = outside_to.send(last_batch);
    drop(outside_to);
    let outside = outside_set
        .join()
        .map_err(|_| Error::internal("the fingerprint set panicked"))?;
    // The search: every ruled value not also held whole outside ruled
    // columns, as decoded and as the dump's own literals write it.
    let mut pats: Vec<Vec<u8>> = Vec::new();
    let mut origin = Vec::new();
    let mut seen = Fingerprints::default();
    let mut enc = Vec::new();
    let mut excused = 0;
    for (a, b, id) in patterns.values() {
        let v = &bytes[*a..*b];
        // A value spelt as an SQL keyword stands in every dump's syntax,
        // in every form.
        let trimmed = v.trim_ascii();
        if SQL_WORDS
            .iter()
            .any(|k| trimmed.eq_ignore_ascii_case(k.as_bytes()))
        {
            excused += 1;
            continue;
        }
        // The value as decoded; without the blanks around it (a `char(n)`
        // value is padded); with every character past ASCII as a JSON
        // `\u` escape (what most JSON encoders write).
        let mut bases = vec![v.to_vec()];
        if trimmed.len() != v.len() {
            bases.push(trimmed.to_vec());
        }
        if let Some(j) = json_escaped(trimmed) {
            bases.push(j);
        }
        // In capitals (`ALICE@EXAMPLE.COM` gives Alice away as well). Not
        // ASCII case in general: a name that is also a word (`Will`,
        // `Backslash`) would then match every sentence using the word.
        let upper = trimmed.to_ascii_uppercase();
        if upper != trimmed {
            bases.push(upper);
        }
        // Each as written in the dialects' strings and COPY text.
        let mut forms = Vec::new();
        for base in &bases {
            for encode in [
                crate::format::mysql::encode_string,
                crate::format::postgres::encode_string,
            ] {
                enc.clear();
                encode(base, &mut enc);
                forms.push(enc[1..enc.len() - 1].to_vec());
            }
            enc.clear();
            crate::format::postgres::encode_copy(base, &mut enc);
            forms.push(enc.clone());
        }
        forms.extend(bases);
        // As hex literals (`--hex-blob`'s `0x..` in capitals, bytea's
        // `\x..` in small letters), either case.
        let h = hex(trimmed);
        let hu = h.to_ascii_uppercase();
        for (prefix, digits) in [(b"0x", &h), (b"0x", &hu), (b"\\x", &h), (b"\\x", &hu)] {
            forms.push([prefix.as_slice(), digits].concat());
        }
        // The original holds the value whole outside ruled columns, in
        // one of these forms (a bytea column's `\x..` text): excused.
        if forms.iter().any(|f| outside.contains(&fingerprint(f))) {
            excused += 1;
            continue;
        }
        for f in forms {
            // A value of blanks and punctuation alone names no one, and
            // one spelt as an SQL keyword stands in every dump's syntax.
            let wordy = f.iter().any(|b| b.is_ascii_alphanumeric() || *b >= 0x80);
            let keyword = SQL_WORDS
                .iter()
                .any(|k| f.eq_ignore_ascii_case(k.as_bytes()));
            if f.len() >= MIN_LEN && wordy && !keyword && seen.insert(fingerprint(&f)) {
                pats.push(f);
                origin.push(*id);
            }
        }
    }
    drop(bytes);
    let distinct = patterns.len() - excused;
    let (sender, searcher) = if pats.is_empty() {
        (None, None)
    } else {
        let (tx, rx) = crossbeam_channel::bounded(64);
        let handle = std::thread::spawn(move || search_thread(pats, origin, origins, rx));
        (Some(tx), Some(handle))
    };
    let mut second = Output {
        tables: &mut tables,
        unexpected: Vec::new(),
        search: sender,
        text_lines,
        lines: Lines::default(),
        buf: Vec::new(),
    };
    let walked_out = walk(
        anonymized,
        engine.or(Some(walked.engine)),
        quiet,
        opts,
        &mut second,
    );
    // (Empty rows end the last line.)
    let ended = walked_out.and_then(|w| second.bytes(0, &[], true).map(|()| w));
    let Output {
        unexpected, search, ..
    } = second;
    drop(search);
    let (leaks, leak_count) = match searcher {
        Some(h) => h
            .join()
            .map_err(|_| Error::internal("the value search panicked"))??,
        None => (Vec::new(), 0),
    };
    let out_walked = ended?;
    let mut faults = Vec::new();
    if leak_count > 0 {
        faults.push(Fault::Leak {
            count: leak_count,
            first: leaks,
        });
    }
    let mut evidence = Vec::new();
    for (name, t) in &tables.into_sorted() {
        let expected = t.rows_original - t.rows_dropped;
        let counts_match = expected == t.rows_output;
        if !counts_match {
            faults.push(Fault::RowCount {
                table: name.clone(),
                expected,
                found: t.rows_output,
            });
        }
        for column in &t.extra_columns {
            faults.push(Fault::Changed {
                table: name.clone(),
                column: column.clone(),
            });
        }
        let mut columns = Vec::new();
        for (c, col) in t.columns.iter().enumerate() {
            let distinct = t.unique_original[c]
                .as_ref()
                .zip(t.unique_output[c].as_ref())
                .map(|(a, b)| (a.len(), b.len()));
            if let Some((a, b)) = distinct {
                if b < a || t.unique_values_output[c] > t.unique_values_original[c] {
                    faults.push(Fault::Collision {
                        table: name.clone(),
                        column: col.clone(),
                        distinct_original: a,
                        distinct_output: b,
                    });
                }
            }
            let unchanged = (!t.touched[c]).then(|| t.digest_original[c] == t.digest_output[c]);
            if unchanged == Some(false) && counts_match {
                faults.push(Fault::Changed {
                    table: name.clone(),
                    column: col.clone(),
                });
            }
            columns.push(ColumnEvidence {
                column: col.clone(),
                ruled: t.touched[c],
                values_searched: t.searched[c],
                distinct,
                unchanged,
            });
        }
        evidence.push(TableEvidence {
            table: name.clone(),
            rows_original: t.rows_original,
            rows_dropped_by_rules: t.rows_dropped,
            rows_output: t.rows_output,
            columns,
        });
    }
    for table in unexpected {
        faults.push(Fault::UnexpectedTable { table });
    }
    Ok(Verdict {
        ok: faults.is_empty(),
        faults,
        tables: evidence,
        distinct_values_searched: distinct,
        bytes_original: walked.bytes_in,
        bytes_output: out_walked.bytes_in,
    })
}

/// The JSON evidence of `dumpmask verify --report`: names, counts,
/// offsets and digests, never a data value or the secret.
#[derive(Debug, Serialize)]
pub struct Evidence<'a> {
    /// The verdict.
    #[serde(flatten)]
    pub verdict: &'a Verdict,
    /// dumpmask version.
    pub version: &'static str,
    /// When verify started, UTC (RFC 3339).
    pub time: String,
    /// Wall time.
    pub duration_seconds: f64,
    /// SHA-256 of the rules file, as in the run report.
    pub rules_fingerprint: String,
    /// The original dump.
    pub original: DumpEvidence,
    /// The anonymized dump.
    pub anonymized: DumpEvidence,
}

/// One dump in the evidence.
#[derive(Debug, Serialize)]
pub struct DumpEvidence {
    /// As given.
    pub path: String,
    /// SHA-256 of the file as stored (compressed or not); of a directory
    /// archive, over its files in name order (each name, a zero byte, its
    /// bytes); `null` for standard input.
    pub sha256: Option<String>,
    /// Bytes read, decompressed.
    pub bytes_read: u64,
}

/// SHA-256 of a file as stored, or of a directory's files (see
/// [`DumpEvidence::sha256`]), hex.
pub fn sha256_of(path: &std::path::Path) -> Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let name = crate::error::display_path(path);
    let mut h = sha2::Sha256::new();
    let mut files = Vec::new();
    if path.is_dir() {
        for item in std::fs::read_dir(path).map_err(|e| Error::io(format!("reading {name}"), e))? {
            let item = item.map_err(|e| Error::io(format!("reading {name}"), e))?;
            files.push(item.path());
        }
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    let mut buf = vec![0u8; 1 << 20];
    for f in &files {
        if path.is_dir() {
            h.update(f.file_name().unwrap_or_default().as_encoded_bytes());
            h.update([0]);
        }
        let fname = crate::error::display_path(f);
        let mut file =
            std::fs::File::open(f).map_err(|e| Error::io(format!("opening {fname}"), e))?;
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| Error::io(format!("reading {fname}"), e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// `2026-12-07T01:05:41Z` for a time (proleptic Gregorian, UTC).
pub fn utc_timestamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (year, month, day) = crate::rules::library::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_longer_original_does_not_hide_a_shorter_one_inside_it() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let origin = |c: &str| Origin {
            table: "t".into(),
            column: c.into(),
        };
        // "Smith Jones" fails the word test in "Smith Jonesy"; "Smith"
        // inside it passes, and must be found.
        tx.send((100, b"x 'Smith Jonesy' y".to_vec())).unwrap();
        drop(tx);
        let (leaks, count) = search_thread(
            vec![b"Smith Jones".to_vec(), b"Smith".to_vec()],
            vec![0, 1],
            vec![origin("full"), origin("last")],
            rx,
        )
        .unwrap();
        assert_eq!(count, 1);
        assert_eq!((leaks[0].column.as_str(), leaks[0].offset), ("last", 103));
    }

    #[test]
    fn timestamps() {
        let at = |s: u64| utc_timestamp(std::time::UNIX_EPOCH + std::time::Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_796_605_541), "2026-12-07T01:05:41Z");
    }
}
