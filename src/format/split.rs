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

use std::ops::Range;
use std::sync::Arc;

use crate::dialect::{
    self, parse_insert_head, ClientCommand, Dialect, Head, InsertHead, StatementKind,
};
use crate::error::{Error, Result};
use crate::format::mysql::RowsScan;
use crate::format::{
    DataStatement, Engine, Piece, RowFormat, RowLayout, RowsPiece, Split, Splitter,
};
use crate::rules::{Rules, TablePlan};
use crate::schema::{Catalog, Table};
use crate::sql::{self, skip_space_and_comments, statement_end, QualifiedName, Skip, Token};

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
    /// A statement left out of the output, ending at the offset (planner
    /// statistics of a ruled table).
    Omit(usize),
    /// A data statement: its header starts at `head_at`, rows at `rows_at`.
    Data {
        head_at: usize,
        rows_at: usize,
        open: OpenRows,
    },
}

/// The splitter for both dialects; what differs is asked of the engine's
/// [`Dialect`].
#[derive(Clone)]
pub struct DumpSplitter {
    engine: Engine,
    /// What the DDL declared so far, and the rules bound to it.
    catalog: Catalog,
    chunk_size: usize,
    max_statement: usize,
    delimiter: Vec<u8>,
    open: Option<OpenRows>,
    partial: bool,
    /// PostgreSQL large objects seen (created by `lo_create`), which pass
    /// through unchanged.
    large_objects: u64,
    /// The marks of the rows [`DumpSplitter::tuples`] just returned, when
    /// its block scan covered them all.
    marks: Option<Vec<u64>>,
    /// Hand the rows of every table to the workers, not only the ruled
    /// ones (see [`Splitter::read_every_table`]).
    read_all: bool,
}

impl DumpSplitter {
    /// A splitter applying `rules`, cutting chunks of about `chunk_size`
    /// bytes, refusing statements and rows over `max_statement` bytes.
    pub fn new(
        engine: Engine,
        rules: Rules,
        chunk_size: usize,
        max_statement: usize,
    ) -> DumpSplitter {
        DumpSplitter {
            engine,
            catalog: Catalog::new(engine.dialect(), rules),
            chunk_size: chunk_size.max(1),
            max_statement,
            delimiter: b";".to_vec(),
            open: None,
            partial: false,
            large_objects: 0,
            marks: None,
            read_all: false,
        }
    }

    fn dialect(&self) -> &'static dyn Dialect {
        self.engine.dialect()
    }

    /// Refuses a data statement whose unqualified table name could reach
    /// a ruled table through a search path dumpmask cannot follow.
    fn refuse_ambiguous(&self, name: &QualifiedName, at: u64) -> Result<()> {
        match self.catalog.ambiguous(name) {
            Some(ruled) => Err(Error::input(
                at,
                format!(
                    "an unqualified table name that tables of more than one schema carry, one of them ruled ({ruled}): which one the rows reach depends on a search path dumpmask cannot follow for sure; qualify the name"
                ),
            )
            .in_table(ruled.to_string())),
            None => Ok(()),
        }
    }

    /// The first ruled table the statement names (in its code, and with
    /// `strings` in its strings too), resolved.
    fn ruled_mention(&self, toks: &[sql::Spanned], strings: bool) -> Option<QualifiedName> {
        let mut hit = None;
        dialect::mentioned_names(toks, strings, |q| {
            if self.catalog.is_ruled(q) {
                hit = Some(self.catalog.resolve(q));
            }
            hit.is_some()
        });
        hit
    }

    /// The open statement's table, for messages.
    fn open_table(&self) -> String {
        self.open
            .as_ref()
            .map(|o| o.table.clone())
            .unwrap_or_default()
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

    /// Reads the statement at `pos` (after leading whitespace/comments)
    /// and decides, by its kind, what becomes of it (deny by default: see
    /// [`crate::dialect`]).
    fn statement(&mut self, w: &[u8], pos: usize, base: u64, eof: bool) -> Result<Stmt> {
        let d = self.dialect();
        let lx = d.lexical();
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
        if base + pos as u64 == 0 {
            // The header comments may sit inside the first "statement"
            // (after mariadb-dump's unterminated sandbox line).
            self.catalog.note_header(&w[..w.len().min(8192)]);
        }
        let at = base + k as u64;
        if let Some(cmd) = d.client_command(&w[k..]) {
            let line_end = match memchr::memchr(b'\n', &w[k..]) {
                Some(nl) => k + nl + 1,
                None if !eof => return Ok(Stmt::Incomplete),
                None => w.len(),
            };
            return match cmd {
                // psql runs what follows `\\` on a meta-command's line
                // as SQL.
                ClientCommand::Plain
                    if self.catalog.any_ruled()
                        && memchr::memmem::find(&w[k + 1..line_end], b"\\\\").is_some() =>
                {
                    Err(Error::input(
                        at,
                        "SQL after a client command's `\\\\` separator, with rules in force: dumpmask cannot tell what it writes",
                    ))
                }
                ClientCommand::Plain => Ok(Stmt::Code(line_end)),
                ClientCommand::Delimiter(d) if d.is_empty() => {
                    Err(Error::input(at, "DELIMITER without a delimiter"))
                }
                ClientCommand::Delimiter(d) => {
                    self.delimiter = d;
                    Ok(Stmt::Code(line_end))
                }
                ClientCommand::Use(db) => {
                    self.catalog.set_search_path(vec![db]);
                    Ok(Stmt::Code(line_end))
                }
                ClientCommand::CopyFromStdin => {
                    let text = w[k + 1..line_end].trim_ascii_end();
                    self.copy_head(text, &w[k..line_end], k, at)
                }
            };
        }
        let data_kind = match Head::new(&w[k..], lx).get(0).map(|t| &t.token) {
            Some(Token::Word(word)) => d
                .data_words()
                .iter()
                .find(|(dw, _)| word.eq_ignore_ascii_case(dw))
                .map(|(_, kind)| *kind),
            _ => None,
        };
        if data_kind == Some(StatementKind::Insert) && !d.executable_comment(&w[k..]) {
            match parse_insert_head(d, &w[k..]) {
                InsertHead::Incomplete if !eof => {
                    if w.len() - k > self.max_statement {
                        return Err(self.too_large(at, "statement"));
                    }
                    return Ok(Stmt::Incomplete);
                }
                InsertHead::Values {
                    name,
                    columns,
                    rows_at,
                } => {
                    self.refuse_ambiguous(&name, at)?;
                    let name = self.catalog.resolve(&name);
                    let rows_at = k + rows_at;
                    let format = RowFormat::Tuples(d.tuples());
                    let stmt = self.data_statement(&name, columns, &w[k..rows_at], format, at)?;
                    if stmt.is_some() && has_comment(&w[k..rows_at], lx) {
                        // The header is written as it is: a comment in it
                        // could hold values no rule would see.
                        return Err(Error::input(
                            at,
                            "a comment inside the INSERT of a ruled table (it could hold values)",
                        )
                        .in_table(name.to_string()));
                    }
                    return Ok(Stmt::Data {
                        head_at: k,
                        rows_at,
                        open: OpenRows {
                            stmt,
                            kind: RowsKind::Tuples,
                            first: true,
                            table: name.to_string(),
                        },
                    });
                }
                InsertHead::NoName => {
                    return Err(Error::input(at, "INSERT without a table name"));
                }
                InsertHead::Other { .. } | InsertHead::Incomplete => {}
            }
        }
        let end = match statement_end(w, k, &self.delimiter, lx) {
            Ok(Some(end)) => end,
            Ok(None) | Err(_) if !eof => {
                if w.len() - pos > self.max_statement {
                    return Err(self.too_large(at, "statement"));
                }
                return Ok(Stmt::Incomplete);
            }
            Ok(None) => {
                return Err(Error::input(
                    at,
                    "statement not terminated at end of input (truncated dump?)",
                ))
            }
            Err((e, what)) => {
                return Err(Error::input(
                    base + e as u64,
                    format!("{what} at end of input"),
                ))
            }
        };
        let text = &w[k..end];
        let toks = match sql::tokenize(text, lx) {
            Ok(t) => t,
            Err(e) if self.catalog.any_ruled() => {
                return Err(Error::input(
                    base + (k + e.at) as u64,
                    format!(
                        "cannot read this statement ({}), so cannot tell whether it writes to a ruled table",
                        e.what
                    ),
                ))
            }
            Err(_) => return Ok(Stmt::Code(end)),
        };
        if self.catalog.any_ruled() {
            // A backslash outside strings and comments is a client command
            // in both clients (`\G`, `\g`, psql's `\\` separator), which
            // may end the statement early and start another: read no
            // further than the client would.
            if let Some(t) = toks.iter().find(|t| t.token == Token::Punct(b'\\')) {
                return Err(Error::input(
                    base + (k + t.start) as u64,
                    "a client command (backslash) inside a statement, with rules in force: dumpmask cannot tell which statements the client runs",
                ));
            }
            // `SET sql_mode = 'NO_BACKSLASH_ESCAPES'` changes where strings
            // end for everything after it.
            let no_escapes = |t: &sql::Spanned| match &t.token {
                Token::Str(v) => v
                    .to_ascii_lowercase()
                    .windows(20)
                    .any(|w| w == b"no_backslash_escapes"),
                Token::Word(v) => v.eq_ignore_ascii_case("no_backslash_escapes"),
                _ => false,
            };
            if toks.first().is_some_and(|t| t.token.is_word("set")) && toks.iter().any(no_escapes) {
                return Err(Error::input(
                    at,
                    "NO_BACKSLASH_ESCAPES changes how strings are read, and dumpmask reads them with backslash escapes; dump without it",
                ));
            }
        }
        let refuse = |name: &QualifiedName, why: &str| {
            Error::input(
                at,
                format!("a statement dumpmask cannot rewrite writes to ruled table {name}: {why}"),
            )
            .in_table(name.to_string())
        };
        match d.classify(&toks) {
            StatementKind::Copy if !d.executable_comment(text) => {
                let body = &text[..text.len() - self.delimiter.len()];
                // The rows start on the next line. psql runs whatever else
                // stands on the COPY's line after the data: only blanks may.
                let rows_at = match memchr::memchr(b'\n', &w[end..]) {
                    Some(n) if w[end..end + n].iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) => {
                        end + n + 1
                    }
                    None if !eof => return Ok(Stmt::Incomplete),
                    None if w[end..].iter().all(u8::is_ascii_whitespace) => w.len(),
                    _ => {
                        return Err(Error::input(
                            base + end as u64,
                            "text after a COPY statement on its line (the client runs it after the rows)",
                        ))
                    }
                };
                self.copy_head(body, &w[k..rows_at], k, at)
            }
            StatementKind::Insert | StatementKind::Copy => {
                // A data statement the row reader cannot take: another
                // form (`INSERT ... SET`, `... SELECT`), a misspelling, or
                // one inside an executable comment.
                let mut i = 1;
                while toks.get(i).is_some_and(|t| {
                    t.token.is_word("into")
                        || d.insert_modifiers().iter().any(|m| t.token.is_word(m))
                }) {
                    i += 1;
                }
                match QualifiedName::parse(&toks, &mut i) {
                    Some(name) if self.catalog.is_ruled(&name) => Err(refuse(
                        &self.catalog.resolve(&name),
                        "only INSERT ... VALUES (...) and COPY ... FROM stdin rows are rewritten",
                    )),
                    Some(_) => Ok(Stmt::Code(end)),
                    None => Err(Error::input(at, "a data statement without a table name")),
                }
            }
            StatementKind::NoRows => {
                // `ALTER TABLE x RENAME TO customers`, `RENAME TABLE x TO
                // customers`: rows written under another name become a
                // ruled table's.
                if toks.iter().any(|t| t.token.is_word("rename")) {
                    if let Some(name) = self.ruled_mention(&toks, true) {
                        return Err(refuse(&name, "a rename involving a ruled table"));
                    }
                }
                self.catalog.learn(&toks, text, at)?;
                Ok(Stmt::Code(end))
            }
            StatementKind::CreateFromQuery => match dialect::created_from_query(&toks) {
                Some(name) if self.catalog.is_ruled(&name) => Err(refuse(
                    &self.catalog.resolve(&name),
                    "its rows come from a query dumpmask does not rewrite",
                )),
                _ => Ok(Stmt::Code(end)),
            },
            StatementKind::Statistics => {
                // Column statistics hold a column's values (its most common
                // values, histogram bounds): they stay only where they
                // describe a table the dump declares and no rule touches;
                // a ruled table's, an expression index's or a materialized
                // view's (computed from a ruled table) go, and the server
                // gathers new ones at the next ANALYZE. Row counts stay.
                if let Some(name) = self.ruled_mention(&toks, false) {
                    return Err(refuse(
                        &name,
                        "planner statistics whose code names a ruled table",
                    ));
                }
                let keep = !self.catalog.any_ruled()
                    || dialect::is_relation_statistics(&toks)
                    || dialect::statistics_table(&toks)
                        .is_some_and(|t| self.catalog.keeps_statistics(&t));
                Ok(if keep {
                    Stmt::Code(end)
                } else {
                    Stmt::Omit(end)
                })
            }
            StatementKind::Other => {
                if let Some(name) = self.ruled_mention(&toks, true) {
                    return Err(refuse(
                        &name,
                        "dumpmask rewrites INSERT ... VALUES and COPY ... FROM stdin rows; any other statement naming a ruled table is refused",
                    ));
                }
                // `SELECT pg_catalog.set_config('search_path', 'crm', false)`
                if toks.iter().any(|t| t.token.is_word("set_config")) {
                    let strs: Vec<&sql::Spanned> = toks
                        .iter()
                        .filter(|t| matches!(t.token, Token::Str(_)))
                        .collect();
                    if strs
                        .first()
                        .is_some_and(|t| t.token == Token::Str(b"search_path".to_vec()))
                    {
                        let path = crate::schema::catalog::path_items(
                            &strs
                                .get(1)
                                .map(|t| (*t).clone())
                                .into_iter()
                                .collect::<Vec<_>>(),
                        );
                        self.catalog.set_search_path(path);
                    }
                }
                if toks.iter().any(|t| t.token.is_word("lo_create")) {
                    self.large_objects += 1;
                }
                Ok(Stmt::Code(end))
            }
        }
    }

    /// The plan and row layouts for data of table `name` with an optional
    /// column list; `None` when no rule touches it.
    fn data_statement(
        &mut self,
        name: &QualifiedName,
        column_list: Option<Vec<String>>,
        header: &[u8],
        format: RowFormat,
        at: u64,
    ) -> Result<Option<Arc<DataStatement>>> {
        let name = &self.catalog.lookup(name);
        let display = name.to_string();
        let mut plan = self.catalog.plan_for(name, column_list.as_deref(), at)?;
        if plan.is_none() && self.read_all {
            // Rows no rule touches, read all the same (scan, verify); a
            // table met without columns cannot be read value by value.
            plan = self
                .catalog
                .table(name)
                .filter(|t| !t.columns.is_empty())
                .map(|t| Arc::new(TablePlan::read_only(t)));
        }
        let Some(plan) = plan else { return Ok(None) };
        let layouts = layouts(&plan, column_list.as_deref())
            .map_err(|m| Error::input(at, m).in_table(display.clone()))?;
        Ok(Some(Arc::new(DataStatement {
            header: header.to_vec(),
            plan,
            layouts,
            format,
            keep_when_empty: format.is_copy(),
        })))
    }

    /// A `COPY` (or psql `\copy`) statement `text`, at input offset `at`;
    /// `header` is the statement up to its first row (or its whole text,
    /// when it reads no rows from the dump), starting at `k`.
    fn copy_head(&mut self, text: &[u8], header: &[u8], k: usize, at: u64) -> Result<Stmt> {
        let lx = self.dialect().lexical();
        let toks = sql::tokenize(text, lx).map_err(|e| Error::input(at + e.at as u64, e.what))?;
        let Some(head) = dialect::parse_copy_head(&toks) else {
            return Err(Error::input(at, "cannot read this COPY statement's table"));
        };
        self.refuse_ambiguous(&head.name, at)?;
        let name = self.catalog.resolve(&head.name);
        let ruled = self.catalog.is_ruled(&head.name);
        let refuse = |why: String| {
            Err(Error::input(
                at,
                format!("a statement dumpmask cannot rewrite writes to ruled table {name}: {why}"),
            )
            .in_table(name.to_string()))
        };
        let rows_at = k + header.len();
        if head.to {
            return Ok(Stmt::Code(rows_at));
        }
        if !head.from_stdin {
            if ruled {
                return refuse("COPY FROM a file or program loads rows dumpmask cannot see".into());
            }
            return Ok(Stmt::Code(rows_at));
        }
        if let (true, Some(opt)) = (ruled, &head.unsupported) {
            return refuse(format!(
                "COPY option {opt} (only the text format with its default delimiter and NULL is rewritten)"
            ));
        }
        let stmt = self.data_statement(&name, head.columns, header, RowFormat::CopyText, at)?;
        if stmt.is_some() && has_comment(text, lx) {
            return refuse(
                "a comment inside the COPY statement of a ruled table (it could hold values)"
                    .into(),
            );
        }
        Ok(Stmt::Data {
            head_at: k,
            rows_at,
            open: OpenRows {
                stmt,
                kind: RowsKind::CopyLines,
                first: true,
                table: name.to_string(),
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
        let lx = self.dialect().lexical();
        let Some(open) = self.open.as_ref() else {
            return Ok((pos, false, None));
        };
        let err = |at: usize, what: &str| {
            Error::input(base + at as u64, what.to_string()).in_table(open.table.clone())
        };
        let truncated = "INSERT not terminated at end of input (truncated dump?)";
        let mut p = pos;
        let mut first = open.first;
        // The dialect's fast path, where it has one (under the plain `;`
        // delimiter); what it cannot decide, the loop below reads exactly
        // from the last row end it vouched for. Rows of ruled tables take
        // the scan's marks along.
        let mut marks = open.stmt.as_ref().map(|_| Vec::new());
        let fast = match self.delimiter == b";" {
            true => self.dialect().scan_rows(w, pos, budget_end, marks.as_mut()),
            false => None,
        };
        if let Some(scan) = fast {
            match scan {
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
                // Between a ruled table's rows only whitespace is copied: a
                // comment there may hold a row (`# (2,'..'),`) that no
                // rule would see.
                let commented = |a: usize, b: usize| {
                    open.stmt.is_some() && !w[a..b].iter().all(u8::is_ascii_whitespace)
                };
                let comment_error =
                    "a comment between the rows of a ruled table (it could hold a row's values)";
                if commented(p, q) {
                    return Err(err(p, comment_error));
                }
                if w[q..].starts_with(&self.delimiter) {
                    return Ok((p, false, Some(q + self.delimiter.len())));
                }
                let next_row = if w[q] == b',' {
                    match skip_space_and_comments(w, q + 1, lx) {
                        Skip::At(r) if commented(q + 1, r) => {
                            return Err(err(q + 1, comment_error))
                        }
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
            match self.dialect().row_end(w, row_at) {
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
        let r = self.copy_lines_to(w, pos, base, eof, budget_end)?;
        // Text COPY data never holds a raw carriage return but in a `\r\n`
        // line end: a bare one means lines ended by `\r` alone, whose end
        // marker `\r\.` the search for `\n\.` would run past, into the
        // statements after the block. Refused, whatever the table: here for
        // a table no rule touches (its rows are copied unread); the
        // workers refuse one in a ruled table's rows as they split them.
        if self.open.as_ref().is_some_and(|o| o.stmt.is_some()) {
            return Ok(r);
        }
        let rows = &w[pos..r.0];
        if let Some(cr) =
            memchr::memchr_iter(b'\r', rows).find(|&i| rows.get(i + 1) != Some(&b'\n'))
        {
            let table = self.open_table();
            return Err(Error::input(
                base + (pos + cr) as u64,
                "a raw carriage return not followed by a line feed in COPY data (lines ended by \\r alone are not read)",
            )
            .in_table(table));
        }
        Ok(r)
    }

    /// [`Self::copy_lines`] before its line-end check.
    fn copy_lines_to(
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
                    // `\.x`: PostgreSQL stops with "end-of-copy marker
                    // corrupt", and psql reads on to the next `\.` line,
                    // whatever statements lie between: refused.
                    Some(None) => {
                        let table = self.open_table();
                        return Err(Error::input(
                            base + l as u64,
                            "a COPY data line starting with `\\.` that is not the end-of-copy marker (PostgreSQL refuses it as a corrupt end-of-copy marker)",
                        )
                        .in_table(table));
                    }
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

/// Does `text` hold a comment (bytes neither whitespace nor part of a
/// token)? Executable comments' markers count: their contents run.
fn has_comment(text: &[u8], lx: &crate::sql::Lexical) -> bool {
    // Every comment opens with one of these bytes; most headers hold none,
    // and are not tokenized again.
    if memchr::memchr3(b'/', b'-', b'#', text).is_none() {
        return false;
    }
    let Ok(toks) = sql::tokenize(text, lx) else {
        return true;
    };
    let mut at = 0;
    for t in &toks {
        if !text[at..t.start].iter().all(u8::is_ascii_whitespace) {
            return true;
        }
        at = t.end;
    }
    !text[at..].iter().all(u8::is_ascii_whitespace)
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
                Stmt::Omit(end) => {
                    // Keep what leads up to it (comments, blank lines).
                    let lead = match skip_space_and_comments(w, pos, self.dialect().lexical()) {
                        Skip::At(k) => k,
                        _ => pos,
                    };
                    push_verbatim(&mut pieces, pos..lead);
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
        self.catalog.problems()
    }

    fn schema(&self) -> Vec<Table> {
        self.catalog.tables()
    }

    fn finish(&mut self) -> Result<Vec<QualifiedName>> {
        if let Some(open) = &self.open {
            return Err(
                Error::input(0, "data statement not terminated at end of input")
                    .in_table(open.table.clone()),
            );
        }
        if self.partial {
            return Ok(self.catalog.seen().to_vec());
        }
        self.catalog.finish()
    }

    fn open_copy(&mut self, copy_stmt: &[u8]) -> Result<()> {
        let mut text = copy_stmt.to_vec();
        if !text.ends_with(b"\n") {
            text.push(b'\n');
        }
        let Stmt::Data { mut open, .. } = self.statement(&text, 0, 0, true)? else {
            return Err(Error::input(
                0,
                "an archive's COPY statement that reads no rows",
            ));
        };
        if let Some(stmt) = open.stmt.take() {
            open.stmt = Some(Arc::new(DataStatement {
                header: Vec::new(),
                plan: stmt.plan.clone(),
                layouts: stmt.layouts.clone(),
                format: stmt.format,
                keep_when_empty: stmt.keep_when_empty,
            }));
        }
        self.open = Some(open);
        Ok(())
    }

    fn read_every_table(&mut self) {
        self.read_all = true;
    }

    fn large_objects(&self) -> u64 {
        self.large_objects
    }

    fn is_ruled(&self, name: &QualifiedName) -> bool {
        self.catalog.is_ruled(name)
    }

    fn keeps_statistics(&self, name: &QualifiedName) -> bool {
        !self.catalog.any_ruled() || self.catalog.keeps_statistics(name)
    }

    fn warnings(&mut self) -> Vec<crate::rules::Warning> {
        self.catalog.warnings()
    }

    fn part(&self) -> Box<dyn Splitter> {
        Box::new(DumpSplitter {
            partial: true,
            ..self.clone()
        })
    }
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
