//! The splitter: one pass over the dump, in order, cutting it into chunks
//! at statement and row boundaries, and learning the schema on the way.
//!
//! It reads statements the way each engine's client does: a statement ends
//! at the delimiter (`;`, or what a MySQL `DELIMITER` line set, e.g. `;;`
//! around triggers and routines) outside strings, quoted identifiers,
//! dollar quotes and comments (see [`crate::sql::statement_end`]). Routine
//! and function bodies sit inside one statement, so an INSERT- or
//! COPY-looking line in a body is never a statement of its own.
//!
//! States between calls:
//! - top level: between statements (`delimiter`, `current_schema` hold);
//! - in rows: inside `INSERT ... VALUES` just after a row's `)` (or before
//!   the first row's `(`), or inside a COPY block at the start of a line;
//!   `open` holds the statement.
//!
//! Rows of a ruled table become [`Piece::Rows`]; everything else, rows of
//! tables no rule touches included, is [`Piece::Verbatim`].

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::format::mysql::{self, RowsScan};
use crate::format::{
    DataStatement, Dialect, Piece, RowFormat, RowLayout, RowsPiece, Split, Splitter,
};
use crate::rules::{Rules, TablePlan};
use crate::schema::{self, Column, ColumnType, Table};
use crate::sql::{
    self, skip_space_and_comments, statement_end, QualifiedName, Skip, Token, Tokens,
};

/// How the rows of an open statement are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowsKind {
    /// `(..),(..)` tuples ending at the delimiter.
    Tuples,
    /// COPY text lines ending at a `\.` line.
    CopyLines,
}

/// A data statement whose rows are being split.
#[derive(Clone)]
struct OpenRows {
    /// `None`: rows of a table no rule touches, passed through verbatim.
    stmt: Option<Arc<DataStatement>>,
    kind: RowsKind,
    /// The next row is the statement's first.
    first: bool,
    /// Table name for messages.
    table: String,
}

/// What is at a top-level position.
enum Stmt {
    /// Not enough input to tell.
    Incomplete,
    /// Only whitespace and comments remain, up to the end of input.
    Trailing,
    /// A statement to pass through, ending at the offset.
    Code(usize),
    /// A data statement: its header starts at `head_at`, rows at `rows_at`.
    Data {
        head_at: usize,
        rows_at: usize,
        open: OpenRows,
    },
}

enum Head {
    Incomplete,
    NotData,
    Rows { rows_at: usize, open: OpenRows },
}

/// The splitter for both dialects; what differs is asked of [`Dialect`].
#[derive(Clone)]
pub struct DumpSplitter {
    dialect: Dialect,
    rules: Rules,
    chunk_size: usize,
    max_statement: usize,
    delimiter: Vec<u8>,
    current_schema: Option<String>,
    /// Types the dump declared (PostgreSQL enums and domains), by name.
    types: HashMap<String, ColumnType>,
    /// Tables declared so far (or met in data first), with their plans.
    tables: HashMap<QualifiedName, (Table, Option<Arc<TablePlan>>)>,
    seen: Vec<QualifiedName>,
    open: Option<OpenRows>,
    partial: bool,
    /// PostgreSQL large objects seen (created by `lo_create`), which pass
    /// through unchanged.
    large_objects: u64,
    /// The marks of the rows [`DumpSplitter::tuples`] just returned, when
    /// its block scan covered them all.
    marks: Option<Vec<u64>>,
}

impl DumpSplitter {
    /// A splitter applying `rules`, cutting chunks of about `chunk_size`
    /// bytes, refusing statements and rows over `max_statement` bytes.
    pub fn new(
        dialect: Dialect,
        rules: Rules,
        chunk_size: usize,
        max_statement: usize,
    ) -> DumpSplitter {
        DumpSplitter {
            dialect,
            rules,
            chunk_size: chunk_size.max(1),
            max_statement,
            delimiter: b";".to_vec(),
            current_schema: None,
            types: HashMap::new(),
            tables: HashMap::new(),
            seen: Vec::new(),
            open: None,
            partial: false,
            large_objects: 0,
            marks: None,
        }
    }

    fn resolve(&self, name: &QualifiedName) -> QualifiedName {
        let schema = name
            .schema
            .clone()
            .or_else(|| self.current_schema.clone())
            .or_else(|| self.dialect.default_schema().map(str::to_string));
        QualifiedName {
            schema,
            name: name.name.clone(),
        }
    }

    fn too_large(&self, at: u64, what: &str) -> Error {
        Error::input(
            at,
            format!(
                "{what} larger than the limit of {} bytes (--max-statement)",
                self.max_statement
            ),
        )
    }

    /// Reads the statement at `pos` (after leading whitespace/comments).
    fn statement(&mut self, w: &[u8], pos: usize, base: u64, eof: bool) -> Result<Stmt> {
        let lx = self.dialect.lexical();
        let k = match skip_space_and_comments(w, pos, lx) {
            Skip::At(k) => k,
            Skip::End if eof => return Ok(Stmt::Trailing),
            Skip::End => return Ok(Stmt::Incomplete),
            Skip::Unterminated(at) if eof => {
                return Err(Error::input(
                    base + at as u64,
                    "unterminated comment at end of input",
                ))
            }
            Skip::Unterminated(_) => return Ok(Stmt::Incomplete),
        };
        if self.dialect == Dialect::MySql && base + pos as u64 == 0 {
            // The header comments may sit inside the first "statement"
            // (after mariadb-dump's unterminated sandbox line).
            self.note_mysql_header(&w[..w.len().min(8192)]);
        }
        // Client commands end at the line's end: MySQL `DELIMITER ;;`,
        // psql `\connect`, `\restrict KEY`.
        let client_command = match self.dialect {
            Dialect::MySql => starts_with_word(&w[k..], b"delimiter"),
            Dialect::Postgres => w[k] == b'\\',
        };
        if client_command {
            let Some(nl) = memchr::memchr(b'\n', &w[k..]) else {
                if !eof {
                    return Ok(Stmt::Incomplete);
                }
                return Ok(Stmt::Code(w.len()));
            };
            if self.dialect == Dialect::MySql {
                let d: Vec<u8> = w[k + 9..k + nl]
                    .split(|b| b.is_ascii_whitespace())
                    .find(|s| !s.is_empty())
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| {
                        Error::input(base + k as u64, "DELIMITER without a delimiter")
                    })?;
                self.delimiter = d;
            }
            return Ok(Stmt::Code(k + nl + 1));
        }
        let head = if starts_with_word(&w[k..], b"insert")
            || (self.dialect == Dialect::MySql && starts_with_word(&w[k..], b"replace"))
        {
            self.insert_head(w, k, base)?
        } else if self.dialect == Dialect::Postgres && starts_with_word(&w[k..], b"copy") {
            self.copy_head(w, k, base, eof)?
        } else {
            Head::NotData
        };
        match head {
            Head::Incomplete if !eof => return Ok(Stmt::Incomplete),
            Head::Rows { rows_at, open } => {
                return Ok(Stmt::Data {
                    head_at: k,
                    rows_at,
                    open,
                })
            }
            Head::Incomplete | Head::NotData => {}
        }
        let end = match statement_end(w, k, &self.delimiter, lx) {
            Ok(Some(end)) => end,
            Ok(None) | Err(_) if !eof => {
                if w.len() - pos > self.max_statement {
                    return Err(self.too_large(base + k as u64, "statement"));
                }
                return Ok(Stmt::Incomplete);
            }
            Ok(None) => {
                return Err(Error::input(
                    base + k as u64,
                    "statement not terminated at end of input (truncated dump?)",
                ))
            }
            Err((at, what)) => {
                return Err(Error::input(
                    base + at as u64,
                    format!("{what} at end of input"),
                ))
            }
        };
        let text = &w[k..end];
        if starts_with_word(text, b"create") {
            self.create(text, base + k as u64)?;
        } else if self.dialect == Dialect::Postgres && starts_with_word(text, b"alter") {
            self.alter_table(text)?;
        } else if self.dialect == Dialect::MySql && starts_with_word(text, b"use") {
            let toks = sql::tokenize(text, lx).unwrap_or_default();
            if let Some(db) = toks.get(1).and_then(|t| t.token.ident()) {
                self.current_schema = Some(db.to_string());
            }
        } else if self.dialect == Dialect::Postgres && starts_with_word(text, b"select") {
            if memchr::memmem::find(text, b"lo_create(").is_some() {
                self.large_objects += 1;
            }
        } else if self.dialect == Dialect::Postgres && starts_with_word(text, b"set") {
            // `SET search_path = crm, pg_catalog;` names where unqualified
            // names live (pg_dump qualifies every name, older dumps did not).
            let toks = sql::tokenize(text, lx).unwrap_or_default();
            if toks.get(1).is_some_and(|t| t.token.is_word("search_path")) {
                if let Some(s) = toks.get(3).and_then(|t| t.token.ident()) {
                    self.current_schema = Some(s.to_string());
                }
            }
        }
        Ok(Stmt::Code(end))
    }

    /// `-- Host: localhost    Database: shop` names the database of a
    /// single-database MySQL dump, which has no USE statement.
    fn note_mysql_header(&mut self, comments: &[u8]) {
        if self.current_schema.is_some() {
            return;
        }
        if let Some(h) = memchr::memmem::find(comments, b"-- Host: ") {
            let line = &comments[h..];
            let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
            if let Some(d) = memchr::memmem::find(line, b"Database: ") {
                let db = String::from_utf8_lossy(&line[d + 10..]).trim().to_string();
                if !db.is_empty() {
                    self.current_schema = Some(db);
                }
            }
        }
    }

    /// Learns a table from CREATE TABLE and binds the rules to it.
    fn create(&mut self, text: &[u8], at: u64) -> Result<()> {
        let table = schema::parse_create_table(text, self.dialect.lexical())
            .map_err(|m| Error::input(at, format!("cannot read CREATE TABLE: {m}")))?;
        let Some(mut table) = table else {
            self.create_type(text);
            return Ok(());
        };
        table.name = self.resolve(&table.name);
        // Columns of a type the dump declared (PostgreSQL enums, domains)
        // get what the declaration says, so rules are checked against it.
        for c in &mut table.columns {
            if let ColumnType::Other(name) = &c.ty {
                let bare = name.rsplit(' ').next().unwrap_or_default();
                if let Some(t) = self.types.get(bare) {
                    c.ty = t.clone();
                }
            }
        }
        let plan = self
            .rules
            .bind(&table)
            .map_err(|e| e.in_table(table.name.to_string()))?;
        self.seen.push(table.name.clone());
        self.tables.insert(table.name.clone(), (table, plan));
        Ok(())
    }

    /// `CREATE TYPE t AS ENUM ('a', 'b')`, `CREATE DOMAIN d AS varchar(20)
    /// ...`: remembered by their bare name (lower case, as unquoted names
    /// are).
    fn create_type(&mut self, text: &[u8]) {
        let Ok(toks) = sql::tokenize(text, self.dialect.lexical()) else {
            return;
        };
        let kind = match toks.get(1) {
            Some(t) if t.token.is_word("type") => "type",
            Some(t) if t.token.is_word("domain") => "domain",
            _ => return,
        };
        let mut i = 2;
        let Some(name) = QualifiedName::parse(&toks, &mut i) else {
            return;
        };
        if !toks.get(i).is_some_and(|t| t.token.is_word("as")) {
            return;
        }
        let ty = if kind == "type" {
            if !toks.get(i + 1).is_some_and(|t| t.token.is_word("enum")) {
                return;
            }
            ColumnType::from_tokens(&toks[i + 1..])
        } else {
            let stop = toks[i + 1..]
                .iter()
                .position(|t| {
                    ["constraint", "check", "default", "not", "null", "collate"]
                        .iter()
                        .any(|k| t.token.is_word(k))
                })
                .map_or(toks.len(), |p| i + 1 + p);
            ColumnType::from_tokens(&toks[i + 1..stop])
        };
        self.types.insert(name.name.to_ascii_lowercase(), ty);
    }

    /// `ALTER TABLE [ONLY] parent ATTACH PARTITION child ...`: the child's
    /// rows fall under the parent's rules too. `ALTER TABLE t ADD
    /// CONSTRAINT ... UNIQUE|PRIMARY KEY (..)`: the column is unique.
    fn alter_table(&mut self, text: &[u8]) -> Result<()> {
        let toks = sql::tokenize(text, self.dialect.lexical()).unwrap_or_default();
        let mut i = 2;
        if toks.get(i).is_some_and(|t| t.token.is_word("only")) {
            i += 1;
        }
        let Some(parent) = QualifiedName::parse(&toks, &mut i) else {
            return Ok(());
        };
        if toks.get(i).is_some_and(|t| t.token.is_word("add")) {
            // `ADD CONSTRAINT c UNIQUE (a)` / `PRIMARY KEY (a)` after the
            // data (pg_dump's post-data): learn it, and check the rules
            // again for a uniqueness promise.
            if let Some((primary, cols)) = schema::key_columns(&toks[i..]) {
                let name = self.resolve(&parent);
                if let Some((table, _)) = self.tables.get_mut(&name) {
                    for c in &cols {
                        if let Some(idx) = table.column_index(c) {
                            let col = &mut table.columns[idx];
                            col.unique |= cols.len() == 1;
                            col.primary_key |= primary;
                            col.not_null |= primary;
                        }
                    }
                    let table = table.clone();
                    self.rules.recheck_unique(&table);
                }
            }
            return Ok(());
        }
        if !(toks.get(i).is_some_and(|t| t.token.is_word("attach"))
            && toks
                .get(i + 1)
                .is_some_and(|t| t.token.is_word("partition")))
        {
            return Ok(());
        }
        i += 2;
        let Some(child) = QualifiedName::parse(&toks, &mut i) else {
            return Ok(());
        };
        let (parent, child) = (self.resolve(&parent), self.resolve(&child));
        let Some((table, _)) = self.tables.get(&child) else {
            return Ok(());
        };
        let mut table = table.clone();
        table.partition_of = Some(parent);
        let plan = self
            .rules
            .bind(&table)
            .map_err(|e| e.in_table(child.to_string()))?;
        self.tables.insert(child, (table, plan));
        Ok(())
    }

    /// The plan and row layouts for data of table `name` with an optional
    /// column list; `None` when no rule touches it.
    fn data_statement(
        &mut self,
        name: QualifiedName,
        column_list: Option<Vec<String>>,
        header: &[u8],
        format: RowFormat,
        at: u64,
    ) -> Result<Option<Arc<DataStatement>>> {
        let display = name.to_string();
        let plan = match self.tables.get(&name) {
            Some((_, p)) => p.clone(),
            None => {
                // Data without a CREATE TABLE before it: only a column list
                // can say which value is which column.
                let Some(cols) = &column_list else {
                    if self.rules.matches(&name) {
                        return Err(Error::input(
                            at,
                            "rows of a ruled table before (or without) its CREATE TABLE, and without a column list: cannot tell which value is which column",
                        )
                        .in_table(display));
                    }
                    let table = Table {
                        name: name.clone(),
                        columns: Vec::new(),
                        partition_of: None,
                    };
                    self.tables.insert(name.clone(), (table, None));
                    self.seen.push(name);
                    return Ok(None);
                };
                let table = Table {
                    name: name.clone(),
                    columns: cols
                        .iter()
                        .map(|c| Column::plain(c.clone(), ColumnType::Other(String::new())))
                        .collect(),
                    partition_of: None,
                };
                let plan = self
                    .rules
                    .bind(&table)
                    .map_err(|e| e.in_table(display.clone()))?;
                self.seen.push(name.clone());
                self.tables.insert(name, (table, plan.clone()));
                plan
            }
        };
        let Some(plan) = plan else { return Ok(None) };
        let layouts = layouts(&plan, column_list.as_deref())
            .map_err(|m| Error::input(at, m).in_table(display.clone()))?;
        Ok(Some(Arc::new(DataStatement {
            header: header.to_vec(),
            plan,
            layouts,
            format,
            keep_when_empty: format == RowFormat::CopyText,
        })))
    }

    /// Reads `INSERT [IGNORE] INTO t [(cols)] [OVERRIDING ...] VALUES` up to
    /// the first row.
    fn insert_head(&mut self, w: &[u8], k: usize, base: u64) -> Result<Head> {
        let mut toks = Tokens::new(&w[k..], self.dialect.lexical());
        let mut head: Vec<sql::Spanned> = Vec::new();
        let values_at = loop {
            match toks.next() {
                None | Some(Err(_)) => return Ok(Head::Incomplete),
                Some(Ok(t)) => {
                    if t.token.is_word("values") || t.token.is_word("value") {
                        break head.len();
                    }
                    let stop = matches!(t.token, Token::Punct(b';'))
                        || t.token.is_word("select")
                        || t.token.is_word("set")
                        || head.len() > 100_000;
                    if stop {
                        return Ok(Head::NotData);
                    }
                    head.push(t);
                }
            }
        };
        let first_row = match toks.next() {
            Some(Ok(t)) if t.token == Token::Punct(b'(') => k + t.start,
            Some(Ok(_)) => return Ok(Head::NotData),
            None | Some(Err(_)) => return Ok(Head::Incomplete),
        };
        // Skip INSERT/REPLACE, its modifiers and INTO.
        let mut i = 1;
        while head.get(i).is_some_and(|t| {
            ["low_priority", "delayed", "high_priority", "ignore", "into"]
                .iter()
                .any(|w| t.token.is_word(w))
        }) {
            i += 1;
        }
        let at = base + k as u64;
        let Some(name) = QualifiedName::parse(&head, &mut i) else {
            return Err(Error::input(at, "INSERT without a table name"));
        };
        let name = self.resolve(&name);
        if head.get(i).is_some_and(|t| t.token.is_word("partition")) {
            i = skip_parens(&head, i + 1);
        }
        let column_list = column_list(&head[..values_at], i);
        let display = name.to_string();
        let format = match self.dialect {
            Dialect::MySql => RowFormat::MySqlTuples,
            Dialect::Postgres => RowFormat::PgTuples,
        };
        let stmt = self.data_statement(name, column_list, &w[k..first_row], format, at)?;
        Ok(Head::Rows {
            rows_at: first_row,
            open: OpenRows {
                stmt,
                kind: RowsKind::Tuples,
                first: true,
                table: display,
            },
        })
    }

    /// Reads `COPY t (cols) FROM stdin;` and the newline after it.
    fn copy_head(&mut self, w: &[u8], k: usize, base: u64, eof: bool) -> Result<Head> {
        let lx = self.dialect.lexical();
        let end = match statement_end(w, k, b";", lx) {
            Ok(Some(end)) => end,
            _ if !eof => return Ok(Head::Incomplete),
            _ => return Ok(Head::NotData),
        };
        let toks = sql::tokenize(&w[k..end], lx)
            .map_err(|e| Error::input(base + (k + e.at) as u64, e.what))?;
        let from = toks.iter().position(|t| t.token.is_word("from"));
        let stdin = from.is_some_and(|f| toks.get(f + 1).is_some_and(|t| t.token.is_word("stdin")));
        if !stdin {
            return Ok(Head::NotData);
        }
        // The rows start on the next line.
        let rows_at = match w.get(end..) {
            Some([b'\n', ..]) => end + 1,
            Some([b'\r', b'\n', ..]) => end + 2,
            Some([]) | Some([b'\r']) if !eof => return Ok(Head::Incomplete),
            _ => {
                return Err(Error::input(
                    base + end as u64,
                    "COPY ... FROM stdin; not followed by a new line",
                ))
            }
        };
        let mut i = 1;
        let at = base + k as u64;
        let Some(name) = QualifiedName::parse(&toks, &mut i) else {
            return Err(Error::input(at, "COPY without a table name"));
        };
        let name = self.resolve(&name);
        let column_list = column_list(&toks[..from.unwrap_or(toks.len())], i);
        let display = name.to_string();
        let stmt =
            self.data_statement(name, column_list, &w[k..rows_at], RowFormat::CopyText, at)?;
        Ok(Head::Rows {
            rows_at,
            open: OpenRows {
                stmt,
                kind: RowsKind::CopyLines,
                first: true,
                table: display,
            },
        })
    }

    /// Splits rows of the open statement from `pos`, up to `budget_end`;
    /// returns where it stopped (`pos` itself when it needs more input).
    fn rows(
        &mut self,
        w: &[u8],
        pos: usize,
        base: u64,
        eof: bool,
        budget_end: usize,
        pieces: &mut Vec<Piece>,
    ) -> Result<usize> {
        let Some(open) = self.open.as_ref() else {
            return Ok(pos);
        };
        self.marks = None;
        let (p, first, ended) = match open.kind {
            RowsKind::Tuples => self.tuples(w, pos, base, eof, budget_end)?,
            RowsKind::CopyLines => self.copy_lines(w, pos, base, eof, budget_end)?,
        };
        let marks = self.marks.take();
        let Some(open) = self.open.as_mut() else {
            return Ok(pos);
        };
        match ended {
            Some(end) => {
                push_rows(pieces, open, pos..p, Some(p..end), marks);
                self.open = None;
                Ok(end)
            }
            None => {
                if p > pos {
                    push_rows(pieces, open, pos..p, None, marks);
                    open.first = first;
                }
                Ok(p)
            }
        }
    }

    /// Tuples from `pos`: returns where the last whole row ends, whether
    /// the next row is still the statement's first, and the statement's
    /// end if reached.
    fn tuples(
        &mut self,
        w: &[u8],
        pos: usize,
        base: u64,
        eof: bool,
        budget_end: usize,
    ) -> Result<(usize, bool, Option<usize>)> {
        let lx = self.dialect.lexical();
        let Some(open) = self.open.as_ref() else {
            return Ok((pos, false, None));
        };
        let err = |at: usize, what: &str| {
            Error::input(base + at as u64, what.to_string()).in_table(open.table.clone())
        };
        let truncated = "INSERT not terminated at end of input (truncated dump?)";
        let mut p = pos;
        let mut first = open.first;
        if self.dialect == Dialect::MySql && self.delimiter == b";" {
            // The fast path; what it cannot decide, the loop below reads
            // exactly from the last row end it vouched for. Rows of ruled
            // tables take the scan's marks along.
            let mut marks = open.stmt.as_ref().map(|_| Vec::new());
            match mysql::scan_rows(w, pos, budget_end, marks.as_mut()) {
                RowsScan::End {
                    semicolon,
                    rows_end,
                } if (rows_end > pos || !first)
                    && matches!(skip_space_and_comments(w, rows_end, lx), Skip::At(q) if q == semicolon) =>
                {
                    self.marks = marks;
                    return Ok((rows_end, false, Some(semicolon + 1)));
                }
                RowsScan::Cut(end) => {
                    self.marks = marks;
                    return Ok((end, false, None));
                }
                RowsScan::Stop { rows_end } if rows_end > pos => {
                    p = rows_end;
                    first = false;
                }
                RowsScan::End { .. } | RowsScan::Stop { .. } => {}
            }
        }
        loop {
            // Between rows: `,` before the next row, or the delimiter.
            let row_at = if first {
                p
            } else {
                let q = match skip_space_and_comments(w, p, lx) {
                    Skip::At(q) => q,
                    Skip::End | Skip::Unterminated(_) if eof => return Err(err(p, truncated)),
                    Skip::End | Skip::Unterminated(_) => break,
                };
                if w[q..].starts_with(&self.delimiter) {
                    return Ok((p, false, Some(q + self.delimiter.len())));
                }
                let next_row = if w[q] == b',' {
                    match skip_space_and_comments(w, q + 1, lx) {
                        Skip::At(r) => Some(r),
                        Skip::End | Skip::Unterminated(_) if eof => return Err(err(q, truncated)),
                        Skip::End | Skip::Unterminated(_) => break,
                    }
                } else {
                    None
                };
                match next_row {
                    Some(r) if w[r] == b'(' => r,
                    _ if open.stmt.is_none() => {
                        // Unruled rows followed by something else (ON
                        // DUPLICATE KEY UPDATE a = VALUES(a), b = 1, whose
                        // `)` the fast path may have taken for a row's
                        // end): pass the rest through.
                        match statement_end(w, q, &self.delimiter, lx) {
                            Ok(Some(end)) => return Ok((p, false, Some(end))),
                            _ if !eof => break,
                            _ => return Err(err(q, "statement not terminated at end of input")),
                        }
                    }
                    Some(r) => return Err(err(r, "expected `(` to start a row")),
                    None => {
                        return Err(err(
                            q,
                            "expected `,` or the end of the statement after a row",
                        ))
                    }
                }
            };
            if w[row_at] != b'(' {
                return Err(err(row_at, "expected `(` to start a row"));
            }
            match self.dialect.row_end(w, row_at) {
                Some(end) => {
                    p = end;
                    first = false;
                }
                None if eof => {
                    return Err(err(
                        row_at,
                        "unterminated string or row at end of input (truncated dump?)",
                    ))
                }
                None if w.len() - row_at > self.max_statement => {
                    return Err(self.too_large(base + row_at as u64, "row"))
                }
                None => break,
            }
            if p >= budget_end {
                break;
            }
        }
        Ok((p, first, None))
    }

    /// COPY text lines from `pos` (a line start): up to the end marker (a
    /// line that is exactly `\.`), or the first line end at or past
    /// `budget_end`. Lines are not looked at one by one: a raw newline in
    /// COPY text always ends a row, so only the marker is searched for.
    fn copy_lines(
        &mut self,
        w: &[u8],
        pos: usize,
        base: u64,
        eof: bool,
        budget_end: usize,
    ) -> Result<(usize, bool, Option<usize>)> {
        // Is the line at `l` the end marker? `None`: cannot tell yet.
        let marker = |l: usize| -> Option<Option<usize>> {
            match &w[l + 2..] {
                [b'\n', ..] => Some(Some(l + 3)),
                [b'\r', b'\n', ..] => Some(Some(l + 4)),
                [] if eof => Some(Some(l + 2)),
                [] => None,
                [b'\r'] if !eof => None,
                _ => Some(None),
            }
        };
        // (A ruled COPY header that opened the chunk may lie past the
        // budget already.)
        let search_end = budget_end.clamp(pos, w.len());
        let mut l = pos;
        let mut from = pos;
        loop {
            if w[l..].starts_with(b"\\.") {
                match marker(l) {
                    Some(Some(end)) => return Ok((l, false, Some(end))),
                    None => return Ok((l, false, None)),
                    Some(None) => {}
                }
            }
            // The next line starting with `\.` at or before the budget.
            let hay = &w[from..(search_end + 2).min(w.len())];
            match memchr::memmem::find(hay, b"\n\\.") {
                Some(h) => {
                    l = from + h + 1;
                    from = l;
                }
                None => break,
            }
        }
        // No end marker up to the budget: cut at the first line end past
        // it, or at the last whole line when the input ends first.
        let cut_from = pos.max(budget_end.saturating_sub(1)).min(w.len());
        if let Some(n) = memchr::memchr(b'\n', &w[cut_from..]) {
            return Ok((cut_from + n + 1, false, None));
        }
        if let Some(n) = memchr::memrchr(b'\n', &w[pos..]) {
            return Ok((pos + n + 1, false, None));
        }
        let table = || {
            self.open
                .as_ref()
                .map(|o| o.table.clone())
                .unwrap_or_default()
        };
        if eof {
            return Err(Error::input(
                base + pos as u64,
                "COPY data not ended by a `\\.` line (truncated dump?)",
            )
            .in_table(table()));
        }
        if w.len() - pos > self.max_statement {
            return Err(self.too_large(base + pos as u64, "row"));
        }
        Ok((pos, false, None))
    }
}

fn push_verbatim(pieces: &mut Vec<Piece>, r: Range<usize>) {
    if r.is_empty() {
        return;
    }
    if let Some(Piece::Verbatim(prev)) = pieces.last_mut() {
        if prev.end == r.start {
            prev.end = r.end;
            return;
        }
    }
    pieces.push(Piece::Verbatim(r));
}

fn push_rows(
    pieces: &mut Vec<Piece>,
    open: &OpenRows,
    rows: Range<usize>,
    trailer: Option<Range<usize>>,
    marks: Option<Vec<u64>>,
) {
    match &open.stmt {
        None => push_verbatim(pieces, rows.start..trailer.map_or(rows.end, |t| t.end)),
        Some(stmt) => pieces.push(Piece::Rows(RowsPiece {
            stmt: stmt.clone(),
            range: rows,
            first: open.first,
            trailer,
            marks,
        })),
    }
}

impl Splitter for DumpSplitter {
    fn split(&mut self, w: &[u8], from: usize, base: u64, eof: bool) -> Result<Split> {
        let mut pieces = Vec::new();
        let mut pos = from;
        let budget_end = from.saturating_add(self.chunk_size);
        // A ruled statement's header produces no piece (the statement holds
        // it), so a chunk is only done once it has a piece.
        while pos < budget_end || pieces.is_empty() {
            if self.open.is_some() {
                let next = self.rows(w, pos, base, eof, budget_end, &mut pieces)?;
                if next == pos {
                    break; // needs more input
                }
                pos = next;
                continue;
            }
            if pos == w.len() && eof {
                break;
            }
            match self.statement(w, pos, base, eof)? {
                Stmt::Incomplete => break,
                Stmt::Trailing => {
                    push_verbatim(&mut pieces, pos..w.len());
                    pos = w.len();
                    break;
                }
                Stmt::Code(end) => {
                    push_verbatim(&mut pieces, pos..end);
                    pos = end;
                }
                Stmt::Data {
                    head_at,
                    rows_at,
                    open,
                } => {
                    // A ruled statement's header is written by whoever
                    // writes its first kept row.
                    let verbatim_end = if open.stmt.is_some() {
                        head_at
                    } else {
                        rows_at
                    };
                    push_verbatim(&mut pieces, pos..verbatim_end);
                    self.open = Some(open);
                    pos = rows_at;
                }
            }
        }
        if pieces.is_empty() && pos == from {
            if eof && pos >= w.len() {
                return Ok(Split::Done);
            }
            return Ok(Split::NeedMore);
        }
        Ok(Split::Pieces { pieces, end: pos })
    }

    fn problems(&mut self) -> Vec<crate::rules::Problem> {
        self.rules.take_problems()
    }

    fn schema(&self) -> Vec<Table> {
        let mut t: Vec<Table> = self.tables.values().map(|(t, _)| t.clone()).collect();
        t.sort_by_key(|t| t.name.to_string());
        t
    }

    fn finish(&mut self) -> Result<Vec<QualifiedName>> {
        if let Some(open) = &self.open {
            return Err(
                Error::input(0, "data statement not terminated at end of input")
                    .in_table(open.table.clone()),
            );
        }
        if self.partial {
            return Ok(self.seen.clone());
        }
        self.rules.check_all_matched(&self.seen)?;
        Ok(std::mem::take(&mut self.seen))
    }

    fn set_partial(&mut self, partial: bool) {
        self.partial = partial;
    }

    fn large_objects(&self) -> u64 {
        self.large_objects
    }

    fn boxed_clone(&self) -> Box<dyn Splitter> {
        Box::new(self.clone())
    }
}

fn skip_parens(toks: &[sql::Spanned], mut i: usize) -> usize {
    let mut depth = 0;
    while let Some(t) = toks.get(i) {
        match t.token {
            Token::Punct(b'(') => depth += 1,
            Token::Punct(b')') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// A `(a, b, c)` column list at `toks[i]`, if there is one.
fn column_list(toks: &[sql::Spanned], i: usize) -> Option<Vec<String>> {
    if !matches!(toks.get(i).map(|t| &t.token), Some(Token::Punct(b'('))) {
        return None;
    }
    let end = skip_parens(toks, i);
    Some(
        toks[i + 1..end.saturating_sub(1)]
            .iter()
            .filter_map(|t| t.token.ident().map(str::to_string))
            .collect(),
    )
}

/// Row layouts for a statement: by its column list, or by the table's
/// columns. MariaDB writes values for generated columns (the server ignores
/// them) and pg_dump --inserts writes DEFAULT there; MySQL and COPY leave
/// them out. Both widths are accepted.
pub(crate) fn layouts(
    plan: &TablePlan,
    column_list: Option<&[String]>,
) -> Result<Vec<RowLayout>, String> {
    let table = &plan.table;
    match column_list {
        Some(names) => {
            let columns = names
                .iter()
                .map(|n| {
                    table.column_index(n).ok_or_else(|| {
                        format!("column list names `{n}`, which the table's CREATE TABLE lacks")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(vec![RowLayout::new(columns, plan)])
        }
        None => {
            let all: Vec<usize> = (0..table.columns.len()).collect();
            let data: Vec<usize> = table.data_columns().map(|(i, _)| i).collect();
            let mut v = vec![RowLayout::new(all, plan)];
            if data.len() != v[0].width {
                v.push(RowLayout::new(data, plan));
            }
            Ok(v)
        }
    }
}

/// Does `s` start with the keyword `kw` (case-insensitive, then a non-word
/// byte)?
pub(crate) fn starts_with_word(s: &[u8], kw: &[u8]) -> bool {
    s.len() >= kw.len()
        && s[..kw.len()].eq_ignore_ascii_case(kw)
        && s.get(kw.len()).is_none_or(|&b| !sql::is_word_byte(b))
}
