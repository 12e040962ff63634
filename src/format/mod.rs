//! Dump dialects, and the chunk model they share with the pipeline.
//!
//! A dialect's splitter walks the input once, in order, and cuts it into
//! [`Chunk`]s at statement or row boundaries. A chunk is a list of
//! [`Piece`]s: bytes that pass through untouched, and runs of data rows of
//! one statement, which workers rewrite independently. Everything that
//! differs between MySQL and PostgreSQL lives behind [`Splitter`] and
//! [`RowFormat`]; the pipeline never asks which dialect it runs.

pub mod mysql;
pub mod postgres;
pub mod split;

use std::ops::Range;
use std::sync::Arc;

use crate::error::Result;
use crate::rules::{Rules, TablePlan};
use crate::sql::{Lexical, QualifiedName};

/// Which engine's dumps to read; its [`crate::dialect::Dialect`] says how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// mysqldump / mariadb-dump output.
    MySql,
    /// pg_dump plain-format output.
    Postgres,
}

impl Engine {
    /// Guesses the dialect from the first bytes of a dump.
    pub fn detect(head: &[u8]) -> Option<Engine> {
        let h = &head[..head.len().min(8192)];
        let has = |s: &[u8]| memchr::memmem::find(h, s).is_some();
        if has(b"PostgreSQL database dump")
            || has(b"SET standard_conforming_strings")
            || has(b"pg_catalog.set_config")
        {
            return Some(Engine::Postgres);
        }
        if has(b"MySQL dump")
            || has(b"MariaDB dump")
            || has(b"/*!40")
            || has(b"/*M!999999")
            || has(b"LOCK TABLES `")
            || has(b"CREATE TABLE `")
        {
            return Some(Engine::MySql);
        }
        None
    }

    /// A fresh splitter for this dialect.
    pub fn splitter(
        self,
        rules: Rules,
        chunk_size: usize,
        max_statement: usize,
    ) -> Box<dyn Splitter> {
        Box::new(split::DumpSplitter::new(
            self,
            rules,
            chunk_size,
            max_statement,
        ))
    }

    /// This engine's dialect: everything the splitter asks about it.
    pub fn dialect(self) -> &'static dyn crate::dialect::Dialect {
        match self {
            Engine::MySql => &crate::dialect::MYSQL,
            Engine::Postgres => &crate::dialect::POSTGRES,
        }
    }

    /// How strings, identifiers and comments are written.
    pub fn lexical(self) -> &'static Lexical {
        self.dialect().lexical()
    }
}

/// How the rows of a data statement are written, and so how a worker reads
/// and re-encodes them.
#[derive(Debug, Clone, Copy)]
pub enum RowFormat {
    /// `(v1,v2),(v3,v4)` tuples of the dialect's literals.
    Tuples(&'static crate::dialect::TupleSyntax),
    /// PostgreSQL COPY text format: tab-separated fields, `\N` for NULL,
    /// backslash escapes, one row per line.
    CopyText,
}

impl RowFormat {
    /// Is this COPY text?
    pub fn is_copy(self) -> bool {
        matches!(self, RowFormat::CopyText)
    }
}

/// A literal value as found in a row, with the byte ranges a decoder
/// needs. Ranges are offsets into the chunk's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Literal {
    /// `NULL` (or `\N` in COPY).
    Null,
    /// A number, or a keyword like `TRUE`/`DEFAULT`, as written.
    Bare,
    /// MySQL `'..'`/`".."`: backslash escapes and doubled quotes; the
    /// range is the content between the quotes.
    MyStr(usize, usize),
    /// PostgreSQL standard `'..'`: only doubled quotes.
    PgStr(usize, usize),
    /// PostgreSQL `E'..'`: backslash escapes and doubled quotes.
    PgEStr(usize, usize),
    /// COPY text field: backslash escapes.
    CopyField(usize, usize),
    /// `0x..` or `X'..'`: the hex digits.
    Hex(usize, usize),
    /// `b'..'` or `0b..`: the binary digits.
    Bits(usize, usize),
}

/// Writes `v` with every byte `escape` names replaced by its escape
/// sequence; runs of other bytes are copied whole.
pub(crate) fn write_escaped(
    v: &[u8],
    out: &mut Vec<u8>,
    escape: impl Fn(u8) -> Option<&'static [u8]>,
) {
    out.reserve(v.len());
    let mut i = 0;
    while i < v.len() {
        let run = v[i..]
            .iter()
            .position(|&b| escape(b).is_some())
            .unwrap_or(v.len() - i);
        out.extend_from_slice(&v[i..i + run]);
        i += run;
        if let Some(esc) = v.get(i).and_then(|&b| escape(b)) {
            out.extend_from_slice(esc);
            i += 1;
        }
    }
}

/// A value both dialects write the same way: a number (`-12.5e3`), or a
/// keyword (`NULL`, `TRUE`, `FALSE`, `DEFAULT`). Returns it and the offset
/// just past it.
pub(crate) fn bare_value(
    w: &[u8],
    i: usize,
) -> std::result::Result<(Literal, usize), (usize, &'static str)> {
    let Some(&b) = w.get(i) else {
        return Err((i, "row ends inside a value"));
    };
    if matches!(b, b'-' | b'+' | b'.' | b'0'..=b'9') {
        let mut j = i + 1;
        while j < w.len() && (w[j].is_ascii_digit() || w[j] == b'.') {
            j += 1;
        }
        if j < w.len() && (w[j] == b'e' || w[j] == b'E') {
            j += 1;
            if j < w.len() && (w[j] == b'-' || w[j] == b'+') {
                j += 1;
            }
            while j < w.len() && w[j].is_ascii_digit() {
                j += 1;
            }
        }
        if !w[i..j].iter().any(u8::is_ascii_digit) {
            return Err((i, "malformed number"));
        }
        return Ok((Literal::Bare, j));
    }
    let mut j = i;
    while j < w.len() && w[j].is_ascii_alphabetic() {
        j += 1;
    }
    let word = &w[i..j];
    if word.eq_ignore_ascii_case(b"null") {
        Ok((Literal::Null, j))
    } else if ["true", "false", "default"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k.as_bytes()))
    {
        Ok((Literal::Bare, j))
    } else {
        Err((i, "unexpected bytes where a value should be"))
    }
}

impl Literal {
    /// Decodes the literal's value into `out`; `None` for NULL. `bare` is
    /// the whole literal's span, used for numbers and keywords.
    pub fn decode(self, w: &[u8], bare: (usize, usize), out: &mut Vec<u8>) -> Option<()> {
        match self {
            Literal::Null => return None,
            Literal::Bare => out.extend_from_slice(&w[bare.0..bare.1]),
            Literal::MyStr(a, b) => mysql::unescape(&w[a..b], w[a - 1], out),
            Literal::PgStr(a, b) => postgres::undouble(&w[a..b], out),
            Literal::PgEStr(a, b) => postgres::unescape_e(&w[a..b], out),
            Literal::CopyField(a, b) => postgres::unescape_copy(&w[a..b], out),
            Literal::Hex(a, b) => mysql::unhex(&w[a..b], out),
            Literal::Bits(a, b) => mysql::unbits(&w[a..b], out),
        }
        Some(())
    }
}

/// One data statement (an INSERT with VALUES) whose rows a rule touches.
#[derive(Debug)]
pub struct DataStatement {
    /// The statement's text up to its first row (`INSERT INTO t VALUES `).
    /// Written only if at least one row is kept.
    pub header: Vec<u8>,
    /// The table's compiled plan.
    pub plan: Arc<TablePlan>,
    /// Which column each value of a row is, by the row's width.
    pub layouts: Vec<RowLayout>,
    /// How rows are written.
    pub format: RowFormat,
    /// Keep the header and trailer even when every row is dropped
    /// (a PostgreSQL COPY block stays valid when empty; an INSERT with no
    /// rows is not valid SQL and must vanish).
    pub keep_when_empty: bool,
}

/// For rows of a given width, the table column of each value.
#[derive(Debug, Clone)]
pub struct RowLayout {
    /// Number of values in the row.
    pub width: usize,
    /// Table column index of each value position.
    pub columns: Vec<usize>,
    /// Value positions a worker must read: a rule may rewrite them, or a
    /// condition reads them. Rows are only checked for their width
    /// elsewhere.
    pub needed: Vec<bool>,
}

impl RowLayout {
    /// The layout of `columns` under `plan`.
    pub fn new(columns: Vec<usize>, plan: &TablePlan) -> RowLayout {
        let needed = columns
            .iter()
            .map(|&c| {
                plan.actions.get(c).is_some_and(Option::is_some)
                    || plan
                        .blocks
                        .iter()
                        .any(|b| b.actions.iter().any(|(bc, _)| *bc == c))
                    || plan.reads.contains(&c)
            })
            .collect();
        RowLayout {
            width: columns.len(),
            columns,
            needed,
        }
    }
}

impl DataStatement {
    /// The layout for rows of `width` values.
    pub fn layout(&self, width: usize) -> Option<&RowLayout> {
        self.layouts.iter().find(|l| l.width == width)
    }

    /// Widths rows of this statement may have, for messages.
    pub fn widths(&self) -> String {
        let w: Vec<String> = self.layouts.iter().map(|l| l.width.to_string()).collect();
        w.join(" or ")
    }
}

/// A part of a chunk.
#[derive(Debug)]
pub enum Piece {
    /// Bytes copied to the output as they are.
    Verbatim(Range<usize>),
    /// A run of rows of one data statement.
    Rows(RowsPiece),
}

/// Consecutive rows of one data statement.
#[derive(Debug)]
pub struct RowsPiece {
    /// The statement the rows belong to.
    pub stmt: Arc<DataStatement>,
    /// The rows, with the separators between them. The first piece of a
    /// statement starts at its first row; a later piece starts at the
    /// separator before its first row.
    pub range: Range<usize>,
    /// This piece holds the statement's first row.
    pub first: bool,
    /// On the statement's last piece: the bytes after its last row up to
    /// and including the end of the statement (`;`, `\.` line).
    pub trailer: Option<Range<usize>>,
    /// Where the splitter's block scan found them (MySQL): every `,` and
    /// `)` outside strings in the range, bit `i` of word `k` standing for
    /// offset `range.start + 64 * k + i`, so the worker need not scan the
    /// rows again.
    pub marks: Option<Vec<u64>>,
}

pub use crate::io::SharedBytes;

/// A unit of work: pieces over a window of the input.
pub struct Chunk {
    /// Position in output order.
    pub seq: u64,
    /// The bytes the ranges point into.
    pub data: SharedBytes,
    /// Input offset of `data[0]`.
    pub base: u64,
    /// Newlines in the input before `data[0]` (for error positions).
    pub base_line: u64,
    /// What to do with each part.
    pub pieces: Vec<Piece>,
}

impl std::fmt::Debug for Chunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunk")
            .field("seq", &self.seq)
            .field("base", &self.base)
            .field("pieces", &self.pieces)
            .finish()
    }
}

/// What a splitter found in a window of input.
pub enum Split {
    /// Pieces covering `[from, end)` of the window; `end` is a safe point
    /// to resume from.
    Pieces {
        /// The pieces, ranges relative to the window.
        pieces: Vec<Piece>,
        /// Where the next call starts.
        end: usize,
    },
    /// No safe point before the window's end: give a larger window.
    NeedMore,
    /// The input is exhausted.
    Done,
}

/// Cuts a dump into chunks. Called with successive windows of the input:
/// a memory-mapped file is one window with `eof`; a stream is read into
/// windows, each starting where the previous call's `end` left off.
pub trait Splitter: Send + Sync {
    /// Finds the next pieces in `window[from..]`, about `chunk_size` bytes.
    fn split(&mut self, window: &[u8], from: usize, base: u64, eof: bool) -> Result<Split>;

    /// At the end of input: checks what can only be checked then (every
    /// rule matched a table) and returns the tables seen.
    fn finish(&mut self) -> Result<Vec<QualifiedName>>;

    /// Starts inside the rows of `copy_stmt` (`COPY t (a, b) FROM
    /// stdin;`), a statement that is not part of the input: a pg_dump
    /// archive's TOC holds it, and its data blocks hold only the rows and
    /// the `\.` line. The statement is not written again.
    fn open_copy(&mut self, copy_stmt: &[u8]) -> Result<()>;

    /// From now on, rows of every table the dump declares come out as
    /// [`Piece::Rows`], ruled or not (with plans that change nothing for
    /// tables no rule touches): `dumpmask scan` and `verify` read them.
    /// What counts as ruled does not change.
    fn read_every_table(&mut self);

    /// Large objects seen, which pass through unchanged.
    fn large_objects(&self) -> u64;

    /// A copy in the same state (the schema and plans learned so far) for
    /// one part of a larger input: the tables of a pg_dump archive are
    /// rewritten side by side, each by its own part. A part's `finish`
    /// checks only that its input is complete; what holds for the whole
    /// input (every rule met a table) is checked by this splitter's own.
    fn part(&self) -> Box<dyn Splitter>;

    /// Problems collected between the rules and the schema (`check`).
    fn problems(&mut self) -> Vec<crate::rules::Problem>;

    /// The tables declared so far with their column counts.
    fn schema(&self) -> Vec<crate::schema::Table>;

    /// Can rows of `name` (as written) carry values a rule changes?
    fn is_ruled(&self, name: &QualifiedName) -> bool;

    /// May planner statistics of relation `name` stay in the output (a
    /// table the dump declares and no rule touches, or no rules at all)?
    fn keeps_statistics(&self, name: &QualifiedName) -> bool;

    /// Warnings about the rules met so far (unless the rules hand them to
    /// a sink of their own).
    fn warnings(&mut self) -> Vec<crate::rules::Warning>;
}
