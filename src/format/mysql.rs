//! mysqldump and mariadb-dump output.
//!
//! The splitter reads statements the way the `mysql` client does: a
//! statement ends at the current delimiter (`;`, or what a `DELIMITER`
//! line set, e.g. `;;` around triggers and routines) when it stands outside
//! strings (`'..'`, `".."` with backslash escapes and doubled quotes),
//! quoted identifiers (`` `..` ``), and comments (`-- `, `#`, `/* */`).
//! Conditional comments (`/*!40101 ... */`, `/*M!999999 ... */`) are code.
//! Routine and trigger bodies sit inside one such statement, so an
//! INSERT-looking line in a body is never a statement of its own.
//!
//! States of the splitter between calls:
//! - top level: between statements; `delimiter` and `current_db` hold;
//! - in rows: inside `INSERT ... VALUES`, just after a row's closing `)`
//!   (or before the first row's `(`); `open` holds the statement.
//!
//! Rows of a ruled table become [`Piece::Rows`]; everything else, including
//! rows of tables no rule touches, is [`Piece::Verbatim`].

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::format::{DataStatement, Piece, RowFormat, RowLayout, RowsPiece, Split, Splitter};
use crate::rules::{Rules, TablePlan};
use crate::schema::{self, Column, ColumnType, Table};
use crate::sql::{self, Lexical, QualifiedName, Token, Tokens};

/// MySQL's lexical rules, as mysqldump writes them (no ANSI_QUOTES).
pub const LEXICAL: Lexical = Lexical {
    backslash_in_strings: true,
    ident_quote: b'`',
    double_quote_is_string: true,
    hash_comments: true,
};

/// An INSERT whose rows are being split.
struct OpenRows {
    /// `None`: rows of a table no rule touches, passed through verbatim.
    stmt: Option<Arc<DataStatement>>,
    /// The next row is the statement's first.
    first: bool,
    /// Table name for messages.
    table: String,
}

/// The MySQL splitter. See the module docs for its states.
pub struct MySqlSplitter {
    rules: Rules,
    chunk_size: usize,
    max_statement: usize,
    delimiter: Vec<u8>,
    current_db: Option<String>,
    tables: HashMap<QualifiedName, Option<Arc<TablePlan>>>,
    seen: Vec<QualifiedName>,
    open: Option<OpenRows>,
}

/// What is at a top-level position.
enum Stmt {
    /// Not enough input to tell.
    Incomplete,
    /// Only whitespace and comments remain, up to the end of input.
    Trailing,
    /// A statement to pass through, ending at the offset.
    Code(usize),
    /// A data statement: verbatim up to `rows_at`, then rows.
    Data { rows_at: usize, open: OpenRows },
}

impl MySqlSplitter {
    /// A splitter applying `rules`, cutting chunks of about `chunk_size`
    /// bytes, refusing statements over `max_statement` bytes.
    pub fn new(rules: Rules, chunk_size: usize, max_statement: usize) -> MySqlSplitter {
        MySqlSplitter {
            rules,
            chunk_size: chunk_size.max(1),
            max_statement,
            delimiter: b";".to_vec(),
            current_db: None,
            tables: HashMap::new(),
            seen: Vec::new(),
            open: None,
        }
    }

    fn resolve(&self, name: &QualifiedName) -> QualifiedName {
        QualifiedName {
            schema: name.schema.clone().or_else(|| self.current_db.clone()),
            name: name.name.clone(),
        }
    }

    /// Reads the statement at `pos` (after leading whitespace/comments).
    fn statement(&mut self, w: &[u8], pos: usize, base: u64, eof: bool) -> Result<Stmt> {
        let k = match skip_space_and_comments(w, pos) {
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
        self.note_header_comment(&w[pos..k]);
        // `DELIMITER ;;` is a client command ending at the line's end.
        if starts_with_word(&w[k..], b"delimiter") {
            let Some(nl) = memchr::memchr(b'\n', &w[k..]) else {
                if !eof {
                    return Ok(Stmt::Incomplete);
                }
                return Err(Error::input(
                    base + k as u64,
                    "DELIMITER line at end of input",
                ));
            };
            let line = &w[k + 9..k + nl];
            let d: Vec<u8> = line
                .split(|b| b.is_ascii_whitespace())
                .find(|s| !s.is_empty())
                .map(<[u8]>::to_vec)
                .ok_or_else(|| Error::input(base + k as u64, "DELIMITER without a delimiter"))?;
            self.delimiter = d;
            return Ok(Stmt::Code(k + nl + 1));
        }
        if starts_with_word(&w[k..], b"insert") || starts_with_word(&w[k..], b"replace") {
            match self.insert_head(w, k, base)? {
                Head::Incomplete if !eof => return Ok(Stmt::Incomplete),
                Head::Rows { rows_at, open } => return Ok(Stmt::Data { rows_at, open }),
                Head::Incomplete | Head::NotValues => {}
            }
        }
        let end = match statement_end(w, k, &self.delimiter) {
            Ok(Some(end)) => end,
            Ok(None) if !eof => {
                if w.len() - pos > self.max_statement {
                    return Err(Error::input(
                        base + k as u64,
                        format!(
                            "statement larger than the limit of {} bytes (--max-statement)",
                            self.max_statement
                        ),
                    ));
                }
                return Ok(Stmt::Incomplete);
            }
            Ok(None) => {
                return Err(Error::input(
                    base + k as u64,
                    "statement not terminated at end of input (truncated dump?)",
                ))
            }
            Err((at, what)) if eof => return Err(Error::input(base + at as u64, what)),
            Err(_) => return Ok(Stmt::Incomplete),
        };
        let text = &w[k..end];
        if starts_with_word(text, b"use") {
            let toks = sql::tokenize(text, &LEXICAL).unwrap_or_default();
            if let Some(db) = toks.get(1).and_then(|t| t.token.ident()) {
                self.current_db = Some(db.to_string());
            }
        } else if starts_with_word(text, b"create") {
            self.create(text, base + k as u64)?;
        }
        Ok(Stmt::Code(end))
    }

    /// `-- Host: localhost    Database: shop` names the database of a
    /// single-database dump, which has no USE statement.
    fn note_header_comment(&mut self, comments: &[u8]) {
        if self.current_db.is_some() {
            return;
        }
        if let Some(h) = memchr::memmem::find(comments, b"-- Host: ") {
            let line = &comments[h..];
            let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
            if let Some(d) = memchr::memmem::find(line, b"Database: ") {
                let db = String::from_utf8_lossy(&line[d + 10..]).trim().to_string();
                if !db.is_empty() {
                    self.current_db = Some(db);
                }
            }
        }
    }

    /// Learns a table from CREATE TABLE and binds the rules to it.
    fn create(&mut self, text: &[u8], at: u64) -> Result<()> {
        let table = schema::parse_create_table(text, &LEXICAL)
            .map_err(|m| Error::input(at, format!("cannot read CREATE TABLE: {m}")))?;
        let Some(mut table) = table else {
            return Ok(());
        };
        table.name = self.resolve(&table.name);
        let plan = self
            .rules
            .bind(&table)
            .map_err(|e| e.in_table(table.name.to_string()))?;
        self.seen.push(table.name.clone());
        self.tables.insert(table.name.clone(), plan);
        Ok(())
    }

    /// Reads `INSERT [IGNORE] INTO t [(cols)] VALUES` up to the first row.
    fn insert_head(&mut self, w: &[u8], k: usize, base: u64) -> Result<Head> {
        let mut toks = Tokens::new(&w[k..], &LEXICAL);
        let mut head: Vec<sql::Spanned> = Vec::new();
        let values_at = loop {
            match toks.next() {
                None | Some(Err(_)) => return Ok(Head::Incomplete),
                Some(Ok(t)) => {
                    let is_values = t.token.is_word("values") || t.token.is_word("value");
                    let stop = matches!(t.token, Token::Punct(b';'))
                        || t.token.is_word("select")
                        || t.token.is_word("set");
                    if stop {
                        return Ok(Head::NotValues);
                    }
                    if is_values {
                        break head.len();
                    }
                    head.push(t);
                    if head.len() > 100_000 {
                        return Ok(Head::NotValues);
                    }
                }
            }
        };
        let first_row = match toks.next() {
            Some(Ok(t)) if t.token == Token::Punct(b'(') => k + t.start,
            Some(Ok(_)) => return Ok(Head::NotValues),
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
        let column_list: Option<Vec<String>> =
            if matches!(head.get(i).map(|t| &t.token), Some(Token::Punct(b'('))) {
                let names = head[i + 1..values_at]
                    .iter()
                    .filter_map(|t| t.token.ident().map(str::to_string))
                    .collect();
                Some(names)
            } else {
                None
            };
        let display = name.to_string();
        let plan = match self.tables.get(&name) {
            Some(p) => p.clone(),
            None => {
                // Data without a CREATE TABLE before it: only a column list
                // can say which value is which column.
                let Some(cols) = &column_list else {
                    if self.rules_name(&name) {
                        return Err(Error::input(
                            at,
                            "rows of a ruled table before (or without) its CREATE TABLE, and without a column list: cannot tell which value is which column",
                        )
                        .in_table(display));
                    }
                    self.tables.insert(name.clone(), None);
                    self.seen.push(name);
                    return Ok(Head::Rows {
                        rows_at: first_row,
                        open: OpenRows {
                            stmt: None,
                            first: true,
                            table: display,
                        },
                    });
                };
                let table = Table {
                    name: name.clone(),
                    columns: cols
                        .iter()
                        .map(|c| Column {
                            name: c.clone(),
                            ty: ColumnType::Other(String::new()),
                            generated: false,
                            not_null: false,
                            unique: false,
                        })
                        .collect(),
                };
                let plan = self
                    .rules
                    .bind(&table)
                    .map_err(|e| e.in_table(display.clone()))?;
                self.seen.push(name.clone());
                self.tables.insert(name, plan.clone());
                plan
            }
        };
        let stmt = match plan {
            None => None,
            Some(plan) => {
                let layouts = layouts(&plan.table, column_list.as_deref())
                    .map_err(|m| Error::input(at, m).in_table(display.clone()))?;
                Some(Arc::new(DataStatement {
                    header: w[k..first_row].to_vec(),
                    plan,
                    layouts,
                    format: RowFormat::MySqlTuples,
                    keep_when_empty: false,
                }))
            }
        };
        Ok(Head::Rows {
            rows_at: first_row,
            open: OpenRows {
                stmt,
                first: true,
                table: display,
            },
        })
    }

    /// Would any rule apply to a table of this name?
    fn rules_name(&self, name: &QualifiedName) -> bool {
        self.rules.matches(name)
    }

    /// Splits rows of the open statement from `pos`; returns the offset
    /// where it stopped and whether the statement ended.
    fn rows(
        &mut self,
        w: &[u8],
        pos: usize,
        base: u64,
        eof: bool,
        budget_end: usize,
        pieces: &mut Vec<Piece>,
    ) -> Result<usize> {
        let Some(open) = self.open.as_mut() else {
            return Ok(pos);
        };
        let mut p = pos;
        let piece_start = pos;
        let mut first = open.first;
        let err = |at: usize, what: &str, table: &str| {
            Error::input(base + at as u64, what.to_string()).in_table(table.to_string())
        };
        loop {
            // Between rows: `,` before the next row, or the delimiter.
            let row_at = if first {
                p
            } else {
                let q = match skip_space_and_comments(w, p) {
                    Skip::At(q) => q,
                    Skip::End | Skip::Unterminated(_) => {
                        if eof {
                            return Err(err(
                                p,
                                "INSERT not terminated at end of input (truncated dump?)",
                                &open.table,
                            ));
                        }
                        break;
                    }
                };
                if w[q..].starts_with(&self.delimiter) {
                    let end = q + self.delimiter.len();
                    push_rows(pieces, open, piece_start, p, Some(p..end));
                    self.open = None;
                    return Ok(end);
                }
                if w[q] != b',' {
                    if open.stmt.is_none() {
                        // Unruled rows followed by something else (e.g.
                        // ON DUPLICATE KEY UPDATE): pass the rest through.
                        match statement_end(w, q, &self.delimiter) {
                            Ok(Some(end)) => {
                                push_verbatim(pieces, piece_start..end);
                                self.open = None;
                                return Ok(end);
                            }
                            Ok(None) | Err(_) if !eof => break,
                            _ => {
                                return Err(err(
                                    q,
                                    "statement not terminated at end of input",
                                    &open.table,
                                ))
                            }
                        }
                    }
                    return Err(err(
                        q,
                        "expected `,` or the end of the statement after a row",
                        &open.table,
                    ));
                }
                match skip_space_and_comments(w, q + 1) {
                    Skip::At(q) => q,
                    Skip::End | Skip::Unterminated(_) => {
                        if eof {
                            return Err(err(
                                q,
                                "INSERT not terminated at end of input (truncated dump?)",
                                &open.table,
                            ));
                        }
                        break;
                    }
                }
            };
            if w[row_at] != b'(' {
                return Err(err(row_at, "expected `(` to start a row", &open.table));
            }
            match row_end(w, row_at) {
                Ok(end) => {
                    p = end;
                    first = false;
                }
                Err(RowEnd::Incomplete(at)) => {
                    if eof {
                        return Err(err(
                            at,
                            "unterminated string or row at end of input (truncated dump?)",
                            &open.table,
                        ));
                    }
                    if w.len() - row_at > self.max_statement {
                        return Err(err(
                            row_at,
                            &format!(
                                "row larger than the limit of {} bytes (--max-statement)",
                                self.max_statement
                            ),
                            &open.table,
                        ));
                    }
                    break;
                }
            }
            if p >= budget_end {
                break;
            }
        }
        if p > piece_start {
            push_rows(pieces, open, piece_start, p, None);
            open.first = first;
        }
        Ok(p)
    }
}

enum Head {
    Incomplete,
    NotValues,
    Rows { rows_at: usize, open: OpenRows },
}

fn push_verbatim(pieces: &mut Vec<Piece>, r: std::ops::Range<usize>) {
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
    start: usize,
    end: usize,
    trailer: Option<std::ops::Range<usize>>,
) {
    match &open.stmt {
        None => push_verbatim(pieces, start..trailer.map_or(end, |t| t.end)),
        Some(stmt) => pieces.push(Piece::Rows(RowsPiece {
            stmt: stmt.clone(),
            range: start..end,
            first: open.first,
            trailer,
        })),
    }
}

impl Splitter for MySqlSplitter {
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
                Stmt::Data { rows_at, open } => {
                    match &open.stmt {
                        // The header of a ruled statement is written by
                        // whoever writes its first kept row.
                        Some(s) => push_verbatim(&mut pieces, pos..rows_at - s.header.len()),
                        None => push_verbatim(&mut pieces, pos..rows_at),
                    }
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

    fn finish(&mut self) -> Result<Vec<QualifiedName>> {
        if let Some(open) = &self.open {
            return Err(Error::input(0, "INSERT not terminated at end of input")
                .in_table(open.table.clone()));
        }
        self.rules.check_all_matched(&self.seen)?;
        Ok(std::mem::take(&mut self.seen))
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

/// Row layouts for a statement: by its column list, or by the table's
/// columns. MariaDB writes values for generated columns (the server ignores
/// them); MySQL leaves them out. Both widths are accepted.
pub(crate) fn layouts(
    table: &Table,
    column_list: Option<&[String]>,
) -> Result<Vec<RowLayout>, String> {
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
            Ok(vec![RowLayout {
                width: columns.len(),
                columns,
            }])
        }
        None => {
            let all: Vec<usize> = (0..table.columns.len()).collect();
            let data: Vec<usize> = table.data_columns().map(|(i, _)| i).collect();
            let mut v = vec![RowLayout {
                width: all.len(),
                columns: all,
            }];
            if data.len() != v[0].width {
                v.push(RowLayout {
                    width: data.len(),
                    columns: data,
                });
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

pub(crate) enum Skip {
    At(usize),
    End,
    Unterminated(usize),
}

/// Skips whitespace and plain comments (not conditional ones, which are
/// code).
pub(crate) fn skip_space_and_comments(w: &[u8], mut i: usize) -> Skip {
    loop {
        while i < w.len() && w[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= w.len() {
            return Skip::End;
        }
        let rest = &w[i..];
        if rest.starts_with(b"--") && rest.get(2).is_none_or(|c| c.is_ascii_whitespace())
            || rest[0] == b'#'
        {
            match memchr::memchr(b'\n', rest) {
                Some(n) => i += n + 1,
                None => return Skip::End,
            }
        } else if rest.starts_with(b"/*") && !rest.starts_with(b"/*!") && !rest.starts_with(b"/*M!")
        {
            match memchr::memmem::find(&rest[2..], b"*/") {
                Some(n) => i += n + 4,
                None => return Skip::Unterminated(i),
            }
        } else {
            return Skip::At(i);
        }
    }
}

/// The offset just past the delimiter ending the statement at `i`;
/// `Ok(None)` when the input ends first; `Err` when it ends inside a string
/// or comment (with where that began).
pub fn statement_end(
    w: &[u8],
    mut i: usize,
    delim: &[u8],
) -> Result<Option<usize>, (usize, &'static str)> {
    let mut in_conditional = false;
    let d0 = delim[0];
    while i < w.len() {
        let b = w[i];
        match b {
            b'\'' | b'"' | b'`' => {
                let backslash = b != b'`';
                match sql::string_end(w, i + 1, b, backslash) {
                    Some(e) => i = e + 1,
                    None => {
                        return Err((
                            i,
                            if b == b'`' {
                                "unterminated quoted identifier"
                            } else {
                                "unterminated string"
                            },
                        ))
                    }
                }
                continue;
            }
            b'-' if w.get(i + 1) == Some(&b'-')
                && w.get(i + 2).is_none_or(|c| c.is_ascii_whitespace()) =>
            {
                match memchr::memchr(b'\n', &w[i..]) {
                    Some(n) => i += n + 1,
                    None => return Ok(None),
                }
                continue;
            }
            b'#' => {
                match memchr::memchr(b'\n', &w[i..]) {
                    Some(n) => i += n + 1,
                    None => return Ok(None),
                }
                continue;
            }
            b'/' if w.get(i + 1) == Some(&b'*') => {
                if w.get(i + 2) == Some(&b'!')
                    || (w.get(i + 2) == Some(&b'M') && w.get(i + 3) == Some(&b'!'))
                {
                    in_conditional = true;
                    i += 3;
                } else {
                    match memchr::memmem::find(&w[i + 2..], b"*/") {
                        Some(n) => i += n + 4,
                        None => return Err((i, "unterminated comment")),
                    }
                }
                continue;
            }
            b'*' if in_conditional && w.get(i + 1) == Some(&b'/') => {
                in_conditional = false;
                i += 2;
                continue;
            }
            _ => {}
        }
        if b == d0 && !in_conditional && w[i..].starts_with(delim) {
            return Ok(Some(i + delim.len()));
        }
        i += 1;
    }
    Ok(None)
}

enum RowEnd {
    /// The input ends inside the row; the offset of what is open.
    Incomplete(usize),
}

/// Given a row's `(`, the offset just past its `)`. Values are literals,
/// so the first `)` outside a string closes the row; anything else (a
/// function call) is caught by the worker's exact parse.
fn row_end(w: &[u8], open: usize) -> Result<usize, RowEnd> {
    let mut i = open + 1;
    loop {
        let Some(n) = memchr::memchr3(b'\'', b'"', b')', &w[i..]) else {
            return Err(RowEnd::Incomplete(open));
        };
        let j = i + n;
        if w[j] == b')' {
            return Ok(j + 1);
        }
        match sql::string_end(w, j + 1, w[j], true) {
            Some(e) => i = e + 1,
            None => return Err(RowEnd::Incomplete(j)),
        }
    }
}

/// A MySQL literal as found in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Literal {
    /// `NULL`.
    Null,
    /// A number, as written.
    Number,
    /// `'..'` or `".."`, possibly after a `_charset` introducer; the range
    /// is the content between the quotes.
    Str(usize, usize),
    /// `0x..` or `X'..'`: the range of the hex digits.
    Hex(usize, usize),
    /// `b'..'` or `0b..`: the range of the binary digits.
    Bits(usize, usize),
    /// `TRUE`/`FALSE`, `DEFAULT`: passed through, refused where a rule
    /// needs the value.
    Keyword,
}

/// Reads one literal at `i`; returns it and the offset just past it.
/// Errors name the offset and what was expected; never the value.
pub fn literal(w: &[u8], i: usize) -> Result<(Literal, usize), (usize, &'static str)> {
    let Some(&b) = w.get(i) else {
        return Err((i, "row ends inside a value"));
    };
    match b {
        b'\'' | b'"' => {
            let end = sql::string_end(w, i + 1, b, true).ok_or((i, "unterminated string"))?;
            Ok((Literal::Str(i + 1, end), end + 1))
        }
        b'_' => {
            // `_binary '..'`, `_utf8mb4'..'`, `_binary 0x..`
            let mut j = i + 1;
            while j < w.len() && (w[j].is_ascii_alphanumeric() || w[j] == b'_') {
                j += 1;
            }
            while j < w.len() && w[j].is_ascii_whitespace() {
                j += 1;
            }
            match w.get(j) {
                Some(b'\'') | Some(b'"') | Some(b'0') | Some(b'x') | Some(b'X') => {
                    let (lit, end) = literal(w, j)?;
                    match lit {
                        Literal::Str(..) | Literal::Hex(..) => Ok((lit, end)),
                        _ => Err((i, "charset introducer without a string")),
                    }
                }
                _ => Err((i, "charset introducer without a string")),
            }
        }
        b'0' if matches!(w.get(i + 1), Some(b'x') | Some(b'X')) => {
            let mut j = i + 2;
            while j < w.len() && w[j].is_ascii_hexdigit() {
                j += 1;
            }
            Ok((Literal::Hex(i + 2, j), j))
        }
        b'0' if matches!(w.get(i + 1), Some(b'b'))
            && w.get(i + 2).is_some_and(|c| *c == b'0' || *c == b'1') =>
        {
            let mut j = i + 2;
            while j < w.len() && (w[j] == b'0' || w[j] == b'1') {
                j += 1;
            }
            Ok((Literal::Bits(i + 2, j), j))
        }
        b'x' | b'X' | b'b' | b'B' if w.get(i + 1) == Some(&b'\'') => {
            let end = memchr::memchr(b'\'', &w[i + 2..]).ok_or((i, "unterminated string"))? + i + 2;
            let digits = &w[i + 2..end];
            let ok = if b == b'x' || b == b'X' {
                digits.iter().all(u8::is_ascii_hexdigit) && digits.len() % 2 == 0
            } else {
                digits.iter().all(|c| *c == b'0' || *c == b'1')
            };
            if !ok {
                return Err((i, "malformed hex or bit literal"));
            }
            let lit = if b == b'x' || b == b'X' {
                Literal::Hex(i + 2, end)
            } else {
                Literal::Bits(i + 2, end)
            };
            Ok((lit, end + 1))
        }
        b'-' | b'+' | b'.' | b'0'..=b'9' => {
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
            Ok((Literal::Number, j))
        }
        _ => {
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
                Ok((Literal::Keyword, j))
            } else {
                Err((i, "unexpected bytes where a value should be"))
            }
        }
    }
}

/// Decodes a literal's value into `out`: strings unescaped (MySQL string
/// literal rules: `\0 \' \" \b \n \r \t \Z \\`; `\%` and `\_` keep their
/// backslash; any other `\x` is `x`; `''` is `'`), hex and bits to bytes,
/// numbers as written. `None` for NULL.
pub fn decode(w: &[u8], lit: Literal, start: usize, end: usize, out: &mut Vec<u8>) -> Option<()> {
    match lit {
        Literal::Null => return None,
        Literal::Number | Literal::Keyword => out.extend_from_slice(&w[start..end]),
        Literal::Str(a, b) => unescape(&w[a..b], w[a - 1], out),
        Literal::Hex(a, b) => {
            let digits = &w[a..b];
            // An odd count has an implied leading zero (`0xABC` = 0x0ABC).
            let mut acc: u8 = 0;
            let mut half = digits.len() % 2 == 1;
            for &d in digits {
                let v = (d as char).to_digit(16).unwrap_or(0) as u8;
                if half {
                    out.push(acc << 4 | v);
                    acc = 0;
                    half = false;
                } else {
                    acc = v;
                    half = true;
                }
            }
        }
        Literal::Bits(a, b) => {
            let digits = &w[a..b];
            let nbytes = digits.len().div_ceil(8);
            let mut bytes = vec![0u8; nbytes];
            for (k, &d) in digits.iter().rev().enumerate() {
                if d == b'1' {
                    bytes[nbytes - 1 - k / 8] |= 1 << (k % 8);
                }
            }
            out.extend_from_slice(&bytes);
        }
    }
    Some(())
}

fn unescape(s: &[u8], quote: u8, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < s.len() {
        let Some(n) = memchr::memchr2(b'\\', quote, &s[i..]) else {
            out.extend_from_slice(&s[i..]);
            return;
        };
        out.extend_from_slice(&s[i..i + n]);
        let j = i + n;
        if s[j] == quote {
            // A doubled quote inside the literal.
            out.push(quote);
            i = j + 2;
            continue;
        }
        let Some(&e) = s.get(j + 1) else {
            return;
        };
        match e {
            b'0' => out.push(0),
            b'b' => out.push(8),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'Z' => out.push(0x1a),
            b'%' | b'_' => out.extend_from_slice(&[b'\\', e]),
            other => out.push(other),
        }
        i = j + 2;
    }
}

/// Writes `v` as a MySQL string literal the way mysqldump does.
pub fn encode_string(v: &[u8], out: &mut Vec<u8>) {
    out.reserve(v.len() + 2);
    out.push(b'\'');
    let mut i = 0;
    while i < v.len() {
        let run = v[i..]
            .iter()
            .position(|&b| matches!(b, 0 | b'\n' | b'\r' | b'\\' | b'\'' | b'"' | 0x1a))
            .unwrap_or(v.len() - i);
        out.extend_from_slice(&v[i..i + run]);
        i += run;
        if i == v.len() {
            break;
        }
        let esc: &[u8] = match v[i] {
            0 => b"\\0",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\\' => b"\\\\",
            b'\'' => b"\\'",
            b'"' => b"\\\"",
            _ => b"\\Z",
        };
        out.extend_from_slice(esc);
        i += 1;
    }
    out.push(b'\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &[u8]) -> (Literal, usize) {
        literal(s, 0).unwrap()
    }

    fn dec(s: &[u8]) -> Option<Vec<u8>> {
        let (l, end) = lit(s);
        let mut out = Vec::new();
        decode(s, l, 0, end, &mut out).map(|_| out)
    }

    macro_rules! decodes_to {
        ($name:ident, $input:expr, $expected:expr) => {
            #[test]
            fn $name() {
                assert_eq!(dec($input).as_deref(), $expected);
            }
        };
    }

    decodes_to!(plain_string, b"'abc'", Some(&b"abc"[..]));
    decodes_to!(
        every_escape,
        br#"'\0\'\"\b\n\r\t\Z\\\%\_\q'"#,
        Some(&b"\0'\"\x08\n\r\t\x1a\\\\%\\_q"[..])
    );
    decodes_to!(doubled_quote, b"'it''s'", Some(&b"it's"[..]));
    decodes_to!(escaped_backslash_then_quote, br"'a\\'", Some(&br"a\"[..]));
    decodes_to!(hex_blob, b"0x00FF27", Some(&b"\x00\xff\x27"[..]));
    decodes_to!(hex_string, b"X'4142'", Some(&b"AB"[..]));
    decodes_to!(
        binary_introducer,
        b"_binary '\\0\xff'",
        Some(&b"\x00\xff"[..])
    );
    decodes_to!(utf8_introducer, b"_utf8mb4'x'", Some(&b"x"[..]));
    decodes_to!(bit_literal, b"b'0000000100000011'", Some(&b"\x01\x03"[..]));
    decodes_to!(short_bit_literal, b"b'101'", Some(&b"\x05"[..]));
    decodes_to!(negative_decimal, b"-12.50", Some(&b"-12.50"[..]));
    decodes_to!(exponent, b"1.5e-3", Some(&b"1.5e-3"[..]));
    decodes_to!(null, b"NULL", None);

    #[test]
    fn garbage_is_refused() {
        assert!(literal(b"abc", 0).is_err());
        assert!(literal(b"'abc", 0).is_err());
        assert!(literal(b"X'4G'", 0).is_err());
        assert!(literal(b"-", 0).is_err());
    }

    #[test]
    fn encode_round_trips_through_decode() {
        let v = b"\x00'\"\\\n\r\x1a\ttab \xff end";
        let mut enc = Vec::new();
        encode_string(v, &mut enc);
        assert_eq!(dec(&enc).unwrap(), v);
    }

    #[test]
    fn statement_end_respects_quotes_comments_and_delimiters() {
        let s = b"CREATE x 'a;b' `c;d` \"e;f\" /* ; */ -- ;\n # ;\n /*!40101 ; */ end;";
        assert_eq!(statement_end(s, 0, b";"), Ok(Some(s.len())));
        let t = b"BEGIN INSERT INTO t VALUES (1); END ;; next";
        assert_eq!(statement_end(t, 0, b";;"), Ok(Some(38)));
        assert_eq!(
            statement_end(b"a 'open", 0, b";"),
            Err((2, "unterminated string"))
        );
        assert_eq!(statement_end(b"a b", 0, b";"), Ok(None));
    }

    #[test]
    fn row_end_skips_parens_in_strings() {
        let s = b"(1,'a)b','c\\')'),(2)";
        assert_eq!(row_end(s, 0).ok(), Some(16));
    }
}
