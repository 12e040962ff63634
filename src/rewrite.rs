//! One chunk in, rewritten bytes out.
//!
//! The same function serves the sequential path and every worker of the
//! parallel one. Untouched bytes are not copied here: verbatim pieces are
//! written by the writer straight from the input. Rows are parsed exactly;
//! a value that cannot be parsed is an error, never passed through.

use std::ops::Range;
use std::sync::Arc;

use crate::dialect::{TupleSyntax, ValueReader};
use crate::error::{Error, Result};
use crate::format::{
    postgres, Chunk, DataStatement, Literal, Piece, RowFormat, RowLayout, RowsPiece, SharedBytes,
};
use crate::report::{ChunkCounts, TableCounts};
use crate::rules::transform::{Outcome, Row};
use crate::schema::ColumnType;
use crate::sql::{self, Lexical};

/// A rewritten part of a chunk.
#[derive(Debug)]
pub enum OutPart {
    /// Input bytes to write as they are.
    Verbatim(Range<usize>),
    /// Rewritten rows of one statement.
    Rows {
        /// The statement (its header is written with its first kept row).
        stmt: Arc<DataStatement>,
        /// The kept rows with their separators, in the chunk's buffer.
        bytes: Range<usize>,
        /// Length of the separator before the first kept row, dropped when
        /// that row is the first written of its statement.
        first_sep: usize,
        /// Rows kept.
        kept: u64,
        /// The piece held the statement's first row.
        first: bool,
        /// The statement's end, in the input, on its last piece.
        trailer: Option<Range<usize>>,
    },
}

/// A rewritten chunk, ready for the writer.
pub struct ChunkOut {
    /// The input bytes verbatim parts point into.
    pub data: SharedBytes,
    /// Rewritten bytes.
    pub buf: Vec<u8>,
    /// What to write, in order.
    pub parts: Vec<OutPart>,
    /// Input bytes this chunk covered.
    pub bytes_in: u64,
    /// Counters.
    pub counts: ChunkCounts,
}

/// Reusable buffers of one worker.
#[derive(Debug, Default)]
pub struct Scratch {
    decoded: Vec<u8>,
    produced: Vec<u8>,
    /// The current row's values: literal, value start, literal end, value
    /// end (past any cast).
    values: Vec<Value>,
    /// Offsets of the current row's commas, where they are found first.
    commas: Vec<usize>,
    /// Original values of the columns conditions read: table column index
    /// and range in `row_bytes` (`None`: NULL or absent).
    row: Vec<(usize, Option<Range<usize>>)>,
    row_bytes: Vec<u8>,
    /// Which conditional blocks hold for the current row.
    active: Vec<bool>,
    /// An output buffer to reuse: the writer hands written ones back, so
    /// chunks do not each map and fault in fresh memory.
    pub spare: Vec<u8>,
}

/// Rewrites a chunk. Errors carry input offsets and line numbers.
pub fn rewrite_chunk(chunk: Chunk, scratch: &mut Scratch) -> Result<ChunkOut> {
    let data = chunk.data;
    let src: &[u8] = (*data).as_ref();
    // Rewritten rows come out about as long as they went in: reserving
    // that once spares the copies of a buffer grown by doubling.
    let rows_in: usize = chunk
        .pieces
        .iter()
        .map(|p| match p {
            Piece::Rows(r) => r.range.len(),
            Piece::Verbatim(_) => 0,
        })
        .sum();
    let mut buf = std::mem::take(&mut scratch.spare);
    buf.clear();
    buf.reserve(rows_in + rows_in / 8);
    let mut parts = Vec::with_capacity(chunk.pieces.len());
    let mut counts = ChunkCounts::default();
    let mut bytes_in = 0u64;
    for piece in chunk.pieces {
        match piece {
            Piece::Verbatim(r) => {
                bytes_in += r.len() as u64;
                parts.push(OutPart::Verbatim(r));
            }
            Piece::Rows(p) => {
                bytes_in += (p.range.len() + p.trailer.as_ref().map_or(0, |t| t.len())) as u64;
                let start = buf.len();
                let table = counts.table(&p.stmt.plan);
                let (first_sep, kept) =
                    rewrite_rows(src, &p, &mut buf, scratch, table).map_err(|e| {
                        place(e, src, chunk.base, chunk.base_line, &p.stmt.plan.display)
                    })?;
                parts.push(OutPart::Rows {
                    stmt: p.stmt,
                    bytes: start..buf.len(),
                    first_sep,
                    kept,
                    first: p.first,
                    trailer: p.trailer,
                });
            }
        }
    }
    Ok(ChunkOut {
        data,
        buf,
        parts,
        bytes_in,
        counts,
    })
}

/// Rewrites the rows of one piece into `out`. Returns the length of the
/// separator before the first kept row and the number of rows kept.
/// Error offsets are relative to `src`.
fn rewrite_rows(
    src: &[u8],
    piece: &RowsPiece,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
    counts: &mut TableCounts,
) -> Result<(usize, u64)> {
    let mut first_sep = None;
    let mut kept = 0u64;
    each_row(src, piece, scratch, |scratch, span| {
        if let Some(sep) = emit_row(src, span, piece, out, scratch, counts)? {
            first_sep.get_or_insert(sep);
            kept += 1;
        }
        Ok(())
    })?;
    Ok((first_sep.unwrap_or(0), kept))
}

/// Parses each row of a piece into `scratch.values` and calls `row` with
/// its span: the separator's start, the row's start and its end (the
/// line end included for COPY). Error offsets are relative to `src`.
fn each_row(
    src: &[u8],
    piece: &RowsPiece,
    scratch: &mut Scratch,
    row: impl FnMut(&mut Scratch, (usize, usize, usize)) -> Result<()>,
) -> Result<()> {
    match piece.stmt.format {
        RowFormat::Tuples(syntax) => each_tuple(src, piece, scratch, syntax, row),
        RowFormat::CopyText => each_copy_line(src, piece, scratch, row),
    }
}

/// One row as [`read_rows`] hands it over: its values by position, with
/// the table column each stands for. A value is read only when asked for
/// (the row pass records where each field lies, and reads only those a
/// rule needs), so a reader that looks at a few rows goes at the speed of
/// finding them.
pub struct RowRead<'a> {
    src: &'a [u8],
    base: u64,
    format: RowFormat,
    layout: &'a RowLayout,
    values: &'a [Value],
}

impl RowRead<'_> {
    /// The table column of each value position.
    pub fn columns(&self) -> &[usize] {
        &self.layout.columns
    }

    /// Decodes the value at position `i` into `out` (cleared first);
    /// `None` for NULL. A value that cannot be read is an error at its
    /// offset, as in a rewrite.
    pub fn value<'o>(&self, i: usize, out: &'o mut Vec<u8>) -> Result<Option<&'o [u8]>> {
        out.clear();
        let Some(&(mut lit, vs, mut lit_end, stop)) = self.values.get(i) else {
            return Ok(None);
        };
        if is_unread(&(lit, vs, lit_end, stop)) {
            match self.format {
                RowFormat::CopyText => {
                    lit = postgres::copy_field(self.src, vs, stop);
                    lit_end = stop;
                }
                RowFormat::Tuples(t) => {
                    let within = &self.src[..stop];
                    let p = skip_ws(within, vs, stop);
                    let (l, end, e) = (t.value)(within, p)
                        .map_err(|(at, what)| Error::input(self.base + at as u64, what))?;
                    if skip_ws(within, e, stop) != stop {
                        return Err(Error::input(
                            self.base + e as u64,
                            "expected `,` or `)` after a value",
                        ));
                    }
                    return Ok(l.decode(within, (p, end), out).map(|_| out.as_slice()));
                }
            }
        }
        Ok(lit
            .decode(self.src, (vs, lit_end), out)
            .map(|_| out.as_slice()))
    }
}

/// Reads the rows of every [`Piece::Rows`] of a chunk (whose statements
/// mark every value as needed: see
/// [`crate::format::Splitter::read_every_table`]) and hands each to
/// `visit` with its statement's plan. Nothing is written; rows are parsed
/// exactly as a rewrite parses them, and a row that cannot be read is the
/// same error.
pub fn read_rows(
    chunk: &Chunk,
    scratch: &mut Scratch,
    visit: &mut dyn FnMut(&crate::rules::TablePlan, &RowRead) -> Result<()>,
) -> Result<()> {
    let src: &[u8] = (*chunk.data).as_ref();
    for piece in &chunk.pieces {
        let Piece::Rows(p) = piece else { continue };
        each_row(src, p, scratch, |scratch, (_, row_start, _)| {
            let width = scratch.values.len();
            let Some(layout) = p.stmt.layout(width) else {
                return Err(Error::input(
                    row_start as u64,
                    format!(
                        "row has {width} values; the table's columns call for {}",
                        p.stmt.widths()
                    ),
                ));
            };
            let row = RowRead {
                src,
                base: chunk.base,
                format: p.stmt.format,
                layout,
                values: &scratch.values,
            };
            visit(&p.stmt.plan, &row)
        })
        .map_err(|e| place(e, src, chunk.base, chunk.base_line, &p.stmt.plan.display))?;
    }
    Ok(())
}

/// An error at an offset into a chunk's bytes `src`, placed in the input
/// (byte and line) and in its table.
fn place(e: Error, src: &[u8], base: u64, base_line: u64, table: &str) -> Error {
    let line_of = |b: u64| {
        let rel = (b - base) as usize;
        Some(base_line + memchr::memchr_iter(b'\n', &src[..rel.min(src.len())]).count() as u64 + 1)
    };
    e.offset_by(base)
        .in_table(table.to_string())
        .resolve_line(line_of)
}

fn skip_ws(src: &[u8], mut p: usize, end: usize) -> usize {
    while p < end && src[p].is_ascii_whitespace() {
        p += 1;
    }
    p
}

/// Skips whitespace and comments between rows, within the piece.
fn skip_gap(src: &[u8], p: usize, end: usize, lx: &Lexical) -> Result<usize> {
    match sql::skip_space_and_comments(&src[..end], p, lx) {
        sql::Skip::At(q) => Ok(q),
        _ => Err(Error::input(p as u64, "rows end inside a comment")),
    }
}

/// `(v, v, ...)` rows separated by commas.
fn each_tuple(
    src: &[u8],
    piece: &RowsPiece,
    scratch: &mut Scratch,
    syntax: &TupleSyntax,
    mut row: impl FnMut(&mut Scratch, (usize, usize, usize)) -> Result<()>,
) -> Result<()> {
    let (read_value, lx) = (syntax.value, syntax.lexical);
    let end = piece.range.end;
    let mut p = piece.range.start;
    let mut first_row = piece.first;
    // The splitter's marks, while they agree with what is read here.
    let mut marks = piece
        .marks
        .as_deref()
        .map(|m| Marks::new(m, piece.range.start));
    while p < end {
        let sep_start = p;
        if !first_row {
            p = skip_gap(src, p, end, lx)?;
            if src.get(p) != Some(&b',') {
                return Err(Error::input(p as u64, "expected `,` between rows"));
            }
            if marks.as_mut().is_some_and(|mk| mk.next() != Some(p)) {
                marks = None;
            }
            p = skip_gap(src, p + 1, end, lx)?;
        }
        first_row = false;
        let row_start = p;
        if p >= end || src[p] != b'(' {
            return Err(Error::input(p as u64, "expected `(` to start a row"));
        }
        p += 1;
        scratch.values.clear();
        let marked = marks
            .as_mut()
            .and_then(|mk| mk.fields(src, &mut scratch.commas));
        if let Some(close) = marked.or_else(|| {
            syntax
                .fields
                .and_then(|f| f(src, row_start, end, &mut scratch.commas))
        }) {
            // Read within the piece, not the field: the blocks a string
            // scan loads then come straight from the input, not from a
            // padded copy. A value running past its field is an error all
            // the same.
            let within = &src[..end];
            let layout = piece.stmt.layout(scratch.commas.len() + 1);
            push_fields(
                row_start + 1,
                &scratch.commas,
                close,
                layout,
                &mut scratch.values,
                |start, stop| {
                    let p = skip_ws(within, start, stop);
                    let (lit, lit_end, e) = read_value(within, p)
                        .map_err(|(at, what)| Error::input(at as u64, what))?;
                    if e > stop || skip_ws(within, e, stop) != stop {
                        return Err(Error::input(e as u64, "expected `,` or `)` after a value"));
                    }
                    Ok((lit, p, lit_end, e))
                },
            )?;
            p = close + 1;
        } else {
            p = read_all(src, p, end, read_value, scratch)?;
        }
        row(scratch, (sep_start, row_start, p))?;
    }
    Ok(())
}

/// Walks the splitter's marks (see [`RowsPiece::marks`]) in order.
struct Marks<'a> {
    words: &'a [u64],
    base: usize,
    word: usize,
    bits: u64,
}

impl<'a> Marks<'a> {
    fn new(words: &'a [u64], base: usize) -> Marks<'a> {
        Marks {
            words,
            base,
            word: 0,
            bits: words.first().copied().unwrap_or(0),
        }
    }

    /// The offset of the next mark.
    fn next(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.word += 1;
            self.bits = *self.words.get(self.word)?;
        }
        let k = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(self.base + 64 * self.word + k)
    }

    /// The next row's commas (into `commas`) and `)`; `None` if the marks
    /// run out first.
    fn fields(&mut self, src: &[u8], commas: &mut Vec<usize>) -> Option<usize> {
        commas.clear();
        while let Some(at) = self.next() {
            if src[at] == b')' {
                return Some(at);
            }
            commas.push(at);
        }
        None
    }
}

/// Reads every value of a row from just past its `(`; returns the offset
/// past its `)`.
fn read_all(
    src: &[u8],
    mut p: usize,
    end: usize,
    read_value: ValueReader,
    scratch: &mut Scratch,
) -> Result<usize> {
    loop {
        p = skip_ws(src, p, end);
        let (lit, lit_end, e) =
            read_value(&src[..end], p).map_err(|(at, what)| Error::input(at as u64, what))?;
        scratch.values.push((lit, p, lit_end, e));
        p = skip_ws(src, e, end);
        match src[..end].get(p) {
            Some(b',') => p += 1,
            Some(b')') => {
                p += 1;
                break;
            }
            _ => return Err(Error::input(p as u64, "expected `,` or `)` after a value")),
        }
    }
    Ok(p)
}

/// One value as [`Scratch::values`] holds it: literal, value start,
/// literal end, value end. A field the row pass did not read is recorded
/// as NULL with an empty literal (a real NULL never is: `NULL`, `\\N`)
/// and its field's end.
type Value = (Literal, usize, usize, usize);

/// Is this a field the row pass left unread?
fn is_unread(v: &Value) -> bool {
    v.0 == Literal::Null && v.1 == v.2
}

/// The values of a row whose field separators are known: field `i` runs
/// from just past separator `i - 1` (the first from `first`) to separator
/// `i` (the last to `last`). Those the layout needs are read with `read`;
/// the others are only recorded by position (see [`Value`]; [`emit_row`]
/// looks at needed positions only). A row of a width
/// the table does not have is left to [`emit_row`] to report.
fn push_fields(
    first: usize,
    seps: &[usize],
    last: usize,
    layout: Option<&RowLayout>,
    values: &mut Vec<Value>,
    mut read: impl FnMut(usize, usize) -> Result<Value>,
) -> Result<()> {
    for i in 0..=seps.len() {
        let start = if i == 0 { first } else { seps[i - 1] + 1 };
        let stop = seps.get(i).copied().unwrap_or(last);
        if layout.is_some_and(|l| l.needed[i]) {
            values.push(read(start, stop)?);
        } else {
            values.push((Literal::Null, start, start, stop));
        }
    }
    Ok(())
}

/// COPY text rows: one per line, fields separated by tabs. Only the
/// fields a rule needs are looked at (see [`push_fields`]).
fn each_copy_line(
    src: &[u8],
    piece: &RowsPiece,
    scratch: &mut Scratch,
    mut row: impl FnMut(&mut Scratch, (usize, usize, usize)) -> Result<()>,
) -> Result<()> {
    let mut tabs = std::mem::take(&mut scratch.commas);
    let res = postgres::copy_lines(
        src,
        piece.range.start,
        piece.range.end,
        &mut tabs,
        |line, tabs| {
            scratch.values.clear();
            let layout = piece.stmt.layout(tabs.len() + 1);
            // The last field stops before the line end (`\r\n` or `\n`),
            // which is copied after it whatever becomes of the value.
            push_fields(
                line.start,
                tabs,
                line.fields_end,
                layout,
                &mut scratch.values,
                |start, stop| Ok((postgres::copy_field(src, start, stop), start, stop, stop)),
            )?;
            row(scratch, (line.start, line.start, line.end))
        },
    );
    scratch.commas = tabs;
    res
}

/// Applies the plan to one parsed row (`scratch.values`) spanning
/// `row.1..row.2` after its separator at `row.0`, writing it to `out`
/// unless the row is dropped. Returns the separator's length for a kept
/// row, `None` for a dropped one.
fn emit_row(
    src: &[u8],
    row: (usize, usize, usize),
    piece: &RowsPiece,
    out: &mut Vec<u8>,
    scratch: &mut Scratch,
    counts: &mut TableCounts,
) -> Result<Option<usize>> {
    let (sep_start, row_start, row_end) = row;
    let stmt = &piece.stmt;
    let plan = &stmt.plan;
    let width = scratch.values.len();
    let Some(layout) = stmt.layout(width) else {
        return Err(Error::input(
            row_start as u64,
            format!(
                "row has {width} values; the table's columns call for {}",
                stmt.widths()
            ),
        ));
    };
    counts.rows_seen += 1;
    if plan.drop_all {
        counts.rows_dropped += 1;
        return Ok(None);
    }
    scratch.active.clear();
    scratch.row.clear();
    scratch.row_bytes.clear();
    if !plan.reads.is_empty() {
        // Decode what conditions, sampling and templates read, once per
        // row.
        for &col in &plan.reads {
            let range = layout
                .columns
                .iter()
                .position(|&c| c == col)
                .and_then(|pos| {
                    let (lit, vs, lit_end, _) = scratch.values[pos];
                    let start = scratch.row_bytes.len();
                    lit.decode(src, (vs, lit_end), &mut scratch.row_bytes)
                        .map(|_| start..scratch.row_bytes.len())
                });
            scratch.row.push((col, range));
        }
        let row = DecodedRow {
            cols: &scratch.row,
            bytes: &scratch.row_bytes,
        };
        let value = |i: usize| row.original(i);
        if plan.drops_row(&value) {
            counts.rows_dropped += 1;
            return Ok(None);
        }
        scratch
            .active
            .extend(plan.blocks.iter().map(|b| b.cond.holds(&value)));
    }
    out.extend_from_slice(&src[sep_start..row_start]);
    let mut copied = row_start;
    let mut changed = false;
    for (i, &(lit, vs, lit_end, _)) in scratch.values.iter().enumerate() {
        if !layout.needed[i] {
            continue;
        }
        let col = layout.columns[i];
        let Some(t) = plan.action(col, &scratch.active) else {
            continue;
        };
        scratch.decoded.clear();
        scratch.produced.clear();
        let input = lit
            .decode(src, (vs, lit_end), &mut scratch.decoded)
            .map(|_| scratch.decoded.as_slice());
        let was_null = input.is_none();
        let row = DecodedRow {
            cols: &scratch.row,
            bytes: &scratch.row_bytes,
        };
        let outcome = t.apply(input, &row, &mut scratch.produced).map_err(|e| {
            Error::input(
                vs as u64,
                format!("column {}: {}", plan.table.columns[col].name, e.0),
            )
        })?;
        let ty = &plan.table.columns[col].ty;
        let copy = stmt.format.is_copy();
        // A value counts as changed only when what is written differs
        // from what was there: a transformer that gives a value back as
        // it was must not show up in the report as having masked it.
        let mut differs = true;
        match outcome {
            Outcome::Keep => continue,
            Outcome::Null if was_null => continue,
            Outcome::Null => {
                out.extend_from_slice(&src[copied..vs]);
                out.extend_from_slice(if copy { b"\\N" } else { b"NULL" });
            }
            Outcome::Value => {
                out.extend_from_slice(&src[copied..vs]);
                encode(stmt.format, &scratch.produced, ty, out);
                differs = was_null || scratch.produced != scratch.decoded;
            }
            Outcome::Default if copy => {
                return Err(Error::input(
                    vs as u64,
                    "a generated column's value in COPY data",
                ));
            }
            Outcome::Default if src[vs..lit_end].eq_ignore_ascii_case(b"default") => continue,
            Outcome::Default => {
                out.extend_from_slice(&src[copied..vs]);
                out.extend_from_slice(b"DEFAULT");
            }
        }
        // The literal is replaced; a cast after it stays.
        copied = lit_end;
        if differs {
            changed = true;
            counts.values_changed[col] += 1;
        }
    }
    out.extend_from_slice(&src[copied..row_end]);
    if changed {
        counts.rows_rewritten += 1;
    }
    Ok(Some(row_start - sep_start))
}

/// The decoded original values of the current row that the plan reads:
/// each read column and its range in `bytes` (`None`: NULL or absent).
pub(crate) struct DecodedRow<'a> {
    pub(crate) cols: &'a [(usize, Option<Range<usize>>)],
    pub(crate) bytes: &'a [u8],
}

impl Row for DecodedRow<'_> {
    fn original(&self, col: usize) -> Option<&[u8]> {
        self.cols
            .iter()
            .find(|(c, _)| *c == col)
            .and_then(|(_, r)| r.clone())
            .map(|r| &self.bytes[r])
    }
}

/// Writes a value for where it lands: a bare number where the column is
/// numeric and the value is one, a string literal otherwise; COPY escaping
/// inside COPY rows.
fn encode(format: RowFormat, v: &[u8], ty: &ColumnType, out: &mut Vec<u8>) {
    let booleans = match format {
        RowFormat::Tuples(t) => t.booleans,
        RowFormat::CopyText => Some([&b"f"[..], &b"t"[..]]),
    };
    if let (ColumnType::Boolean, Some(spelt)) = (ty, booleans) {
        // Booleans in the spelling the dump's own tool uses.
        let b = match v {
            b"1" | b"t" | b"true" | b"TRUE" => Some(true),
            b"0" | b"f" | b"false" | b"FALSE" => Some(false),
            _ => None,
        };
        if let Some(b) = b {
            out.extend_from_slice(spelt[usize::from(b)]);
            return;
        }
    }
    match format {
        RowFormat::CopyText => postgres::encode_copy(v, out),
        _ if ty.is_numeric() && is_plain_number(v) => out.extend_from_slice(v),
        RowFormat::Tuples(t) => (t.encode_string)(v, out),
    }
}

fn is_plain_number(v: &[u8]) -> bool {
    let digits = v.strip_prefix(b"-").unwrap_or(v);
    !digits.is_empty()
        && digits.iter().all(|c| c.is_ascii_digit() || *c == b'.')
        && digits.iter().filter(|c| **c == b'.').count() <= 1
        && digits[0] != b'.'
        && digits[digits.len() - 1] != b'.'
}

#[cfg(test)]
mod tests {
    use crate::format::Engine;
    use crate::io::input::Input;
    use crate::pipeline::{self, Options};
    use crate::report::TableCounts;
    use crate::rules::Rules;

    /// `fixed` writes `X` and `truncate` cuts to 3 characters: a value that
    /// already was `X`, or no longer than 3, comes back as it was.
    const RULES: &str = "[tables.t.columns]\na = { transform = \"fixed\", value = \"X\" }\nc = { transform = \"truncate\", length = 3 }\n";

    fn counts(dump: &str, dialect: Engine) -> TableCounts {
        let mut rules = Some(Rules::parse(RULES, "rules.toml", None).unwrap());
        let opts = Options {
            threads: 1,
            ..Options::default()
        };
        let mut make = |_: &[u8]| -> crate::Result<Box<dyn crate::format::Splitter>> {
            let rules = rules
                .take()
                .ok_or_else(|| crate::Error::input(0, "one splitter"))?;
            Ok(dialect.splitter(rules, opts.chunk_size, opts.max_statement))
        };
        let input = Input::from_bytes(dump.as_bytes().to_vec(), "mem");
        let (summary, _) = pipeline::run(input, &mut make, Vec::new(), &opts).unwrap();
        let table = summary.tables.values().next().unwrap();
        table.counts.clone()
    }

    #[test]
    fn values_given_back_unchanged_are_not_counted() {
        let mysql = "-- MariaDB dump 10.19\nCREATE TABLE `t` (\n  `a` varchar(20) DEFAULT NULL,\n  `b` int(11) NOT NULL,\n  `c` text\n);\nINSERT INTO `t` VALUES ('X',1,'abc'),('Y',2,'abcdef'),('X',3,'abcd'),(NULL,4,NULL);\n";
        let postgres = "-- PostgreSQL database dump\nCREATE TABLE public.t (a text, b int, c text);\nCOPY public.t (a, b, c) FROM stdin;\nX\t1\tabc\nY\t2\tabcdef\nX\t3\tabcd\n\\N\t4\t\\N\n\\.\n";
        for (dump, dialect) in [(mysql, Engine::MySql), (postgres, Engine::Postgres)] {
            let c = counts(dump, dialect);
            assert_eq!(c.rows_seen, 4, "{dialect:?}");
            assert_eq!(c.values_changed, vec![1, 0, 2], "{dialect:?}");
            assert_eq!(c.rows_rewritten, 2, "{dialect:?}");
        }
    }
}
