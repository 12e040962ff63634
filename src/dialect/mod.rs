//! What differs between the dump dialects, as one trait with one
//! implementation per engine (after sqlparser-rs's `Dialect`): lexical
//! rules, client commands, which statements can carry rows, and how a data
//! statement's head is read. The splitter asks these questions and never
//! which engine it runs.
//!
//! Deny by default starts here: [`Dialect::classify`] sorts every
//! statement into a [`StatementKind`]. Only [`StatementKind::NoRows`] is a
//! promise that a statement writes no row; data statements are read
//! exactly, and anything else is copied only when it names no ruled table
//! (the splitter's mention check).

pub mod mysql;
pub mod postgres;

use crate::format::mysql::RowsScan;
use crate::format::Literal;
use crate::sql::{Lexical, QualifiedName, Spanned, Token, Tokens};

/// Reads one value of a tuple at `i`: its literal, where the literal ends,
/// where the value ends (past a cast such as `::jsonb`); or where and why
/// it cannot.
pub type ValueReader =
    fn(&[u8], usize) -> std::result::Result<(Literal, usize, usize), (usize, &'static str)>;

/// Finds a row's commas and closing `)` without reading its values (into
/// the vector; returns the `)`), where values cannot hold a comma outside
/// a string.
pub type FieldFinder = fn(&[u8], usize, usize, &mut Vec<usize>) -> Option<usize>;

/// How a dialect writes the tuples of `INSERT ... VALUES (..), (..)`: what
/// a worker needs to read and write them.
#[derive(Debug)]
pub struct TupleSyntax {
    /// Reads one value.
    pub value: ValueReader,
    /// The block fast path over a row's fields, where the dialect has one.
    pub fields: Option<FieldFinder>,
    /// Comments and whitespace between rows.
    pub lexical: &'static Lexical,
    /// Writes a value as a string literal.
    pub encode_string: fn(&[u8], &mut Vec<u8>),
    /// How booleans are spelt (`[false, true]`), where the engine has a
    /// boolean type: PostgreSQL's `false`/`true`; MySQL's are integers.
    pub booleans: Option<[&'static [u8]; 2]>,
}

/// A line the client program (mysql, psql) executes itself, ending at the
/// line's end rather than at a delimiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCommand {
    /// Copied as it is (`\connect db`, `\restrict KEY`, MariaDB's
    /// sandbox line `/*M!999999\- enable the sandbox mode */`).
    Plain,
    /// MySQL `DELIMITER ;;`: statements end at the new delimiter.
    Delimiter(Vec<u8>),
    /// MySQL's `use db` line: unqualified names now resolve in `db`.
    Use(String),
    /// psql `\copy t FROM stdin`: rows follow on the next lines, up to a
    /// `\.` line, as for `COPY ... FROM stdin;`.
    CopyFromStdin,
}

/// What a statement can do to table rows, by its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// `INSERT` / `REPLACE`: read by [`parse_insert_head`].
    Insert,
    /// `COPY`: read by [`parse_copy_head`].
    Copy,
    /// Carries no row by its kind: DDL (but `CREATE TABLE ... AS SELECT`),
    /// session settings, locks, grants, comments, transaction control.
    NoRows,
    /// `CREATE TABLE t AS SELECT ...`, `CREATE MATERIALIZED VIEW v AS ...`:
    /// a table whose rows the statement computes (from other tables, as
    /// restored, or from literals); refused when that table is ruled.
    CreateFromQuery,
    /// PostgreSQL planner statistics (`SELECT pg_restore_attribute_stats(
    /// 'relname', 't', 'attname', 'c', 'most_common_vals', '{..}')`): the
    /// most common values and histogram bounds of a column are its values.
    Statistics,
    /// Anything else (`UPDATE`, `DELETE`, `SELECT`, `DO`, `CALL`, `LOAD
    /// DATA`, `CREATE TABLE ... AS SELECT`, words dumpmask does not know):
    /// copied only when it names no ruled table, refused otherwise.
    Other,
}

/// A dump dialect.
pub trait Dialect: Send + Sync + std::fmt::Debug {
    /// How strings, identifiers and comments are written.
    fn lexical(&self) -> &'static Lexical;

    /// The schema of an unqualified table name when the dump names none:
    /// MySQL has none (single-database dumps name no database);
    /// PostgreSQL's is `public`.
    fn default_schema(&self) -> Option<&'static str>;

    /// How this dialect's INSERT tuples are read and written.
    fn tuples(&self) -> &'static TupleSyntax;

    /// Given a row's `(` in an INSERT, the offset just past its `)`, or
    /// `None` if the input ends first (MySQL `(1,'a)b')`: the first `)`
    /// outside a string; PostgreSQL `(1, '{}'::numeric(10,2))`: the
    /// matching one).
    fn row_end(&self, w: &[u8], open: usize) -> Option<usize>;

    /// The splitter's block fast path over an INSERT's rows from `from`:
    /// the statement's end, or a row end at or past `cut_from` (and the
    /// separators' marks for the workers). `None` where the dialect has
    /// none; the exact reader then walks row by row.
    fn scan_rows(
        &self,
        w: &[u8],
        from: usize,
        cut_from: usize,
        marks: Option<&mut Vec<u64>>,
    ) -> Option<RowsScan> {
        let _ = (w, from, cut_from, marks);
        None
    }

    /// The database a dump's header comments name, for dumps that name it
    /// nowhere else (a single-database mysqldump's `-- Host: localhost
    /// Database: shop`).
    fn header_schema(&self, head: &[u8]) -> Option<String> {
        let _ = head;
        None
    }

    /// Is the line at the start of `s` a client command, and which?
    /// MySQL: `DELIMITER ;;`; PostgreSQL: `\connect db`, `\copy t from
    /// stdin`.
    fn client_command(&self, s: &[u8]) -> Option<ClientCommand>;

    /// The kind of the statement whose tokens start with `toks` (executable
    /// comments already opened: `/*!40000 ALTER TABLE t DISABLE KEYS */`
    /// reads as `ALTER TABLE ...`).
    fn classify(&self, toks: &[Spanned]) -> StatementKind {
        classify_common(toks, self.no_rows_words(), self.data_words())
    }

    /// First words of statements that carry no rows in this dialect.
    fn no_rows_words(&self) -> &'static [&'static str];

    /// First words of data statements this dialect reads rows of, with
    /// their kind: `insert`, MySQL's `replace`, PostgreSQL's `copy`.
    fn data_words(&self) -> &'static [(&'static str, StatementKind)];

    /// Does CREATE TABLE declare indexes among the columns (MySQL `KEY
    /// name (a)`, `INDEX (a)`)? Where it does not (PostgreSQL), `key` and
    /// `index` start columns.
    fn inline_indexes(&self) -> bool {
        false
    }

    /// Words after `INSERT`/`REPLACE` and before `INTO` or the table name
    /// (MySQL: `LOW_PRIORITY`, `DELAYED`, `HIGH_PRIORITY`, `IGNORE`).
    fn insert_modifiers(&self) -> &'static [&'static str] {
        &[]
    }

    /// Does `s` start with an executable comment, whose contents the
    /// engine runs (`/*!40000 ... */`, `/*M!100100 ... */`)? Rows inside one
    /// are not rewritten; a data statement there is refused when its table
    /// is ruled.
    fn executable_comment(&self, s: &[u8]) -> bool {
        let _ = s;
        false
    }
}

/// The dialect's tuple-row keywords are shared: `VALUES` or MySQL's
/// `VALUE`. Statements are classified by their first word.
fn classify_common(
    toks: &[Spanned],
    no_rows: &[&str],
    data: &[(&str, StatementKind)],
) -> StatementKind {
    let Some(first) = toks.first() else {
        return StatementKind::NoRows; // an empty statement: `;`
    };
    if matches!(first.token, Token::Punct(b';')) {
        return StatementKind::NoRows;
    }
    let Token::Word(w) = &first.token else {
        return StatementKind::Other;
    };
    if let Some((_, kind)) = data.iter().find(|(d, _)| w.eq_ignore_ascii_case(d)) {
        return *kind;
    }
    if w.eq_ignore_ascii_case("select") && is_statistics(toks) {
        return StatementKind::Statistics;
    }
    if w.eq_ignore_ascii_case("select") && is_relation_statistics(toks) {
        return StatementKind::Statistics;
    }
    if !no_rows.iter().any(|k| w.eq_ignore_ascii_case(k)) {
        return StatementKind::Other;
    }
    if w.eq_ignore_ascii_case("create") && created_from_query(toks).is_some() {
        return StatementKind::CreateFromQuery;
    }
    StatementKind::NoRows
}

/// The table of `CREATE TABLE t AS SELECT ...`, `CREATE TABLE t SELECT
/// ...` (MySQL), `CREATE MATERIALIZED VIEW v AS ...`, `CREATE TABLE t AS
/// VALUES ('..')`: a table filled by the statement itself. Views, routines
/// and triggers are code; their bodies are never rows.
pub fn created_from_query(toks: &[Spanned]) -> Option<QualifiedName> {
    let mut i = 1;
    while toks.get(i).is_some_and(|t| {
        [
            "or",
            "replace",
            "temporary",
            "temp",
            "unlogged",
            "global",
            "local",
            "materialized",
        ]
        .iter()
        .any(|w| t.token.is_word(w))
    }) {
        i += 1;
    }
    let makes_rows = toks
        .get(i)
        .is_some_and(|t| t.token.is_word("table") || t.token.is_word("view"))
        && (toks[i].token.is_word("table") || toks[i - 1].token.is_word("materialized"));
    if !makes_rows {
        return None;
    }
    let mut n = i + 1;
    while toks
        .get(n)
        .is_some_and(|t| ["if", "not", "exists"].iter().any(|w| t.token.is_word(w)))
    {
        n += 1;
    }
    let name = QualifiedName::parse(toks, &mut n)?;
    // The query follows `AS` (`AS SELECT`, `AS VALUES`, `AS (SELECT`), or
    // stands alone in MySQL's `CREATE TABLE t [(...)] SELECT ...`; the
    // `VALUES` of `PARTITION OF p FOR VALUES FROM (..)` is no query.
    let query = |t: Option<&Spanned>| {
        t.is_some_and(|t| {
            t.token == Token::Punct(b'(')
                || ["select", "values", "table", "with", "execute"]
                    .iter()
                    .any(|q| t.token.is_word(q))
        })
    };
    let mut depth = 0i32;
    for (k, t) in toks.iter().enumerate().skip(n) {
        match t.token {
            Token::Punct(b'(') => depth += 1,
            Token::Punct(b')') => depth -= 1,
            _ if depth != 0 => {}
            _ if t.token.is_word("as") && query(toks.get(k + 1)) => return Some(name),
            _ if t.token.is_word("select") => return Some(name),
            _ => {}
        }
    }
    None
}

/// `SELECT [* FROM] pg_catalog.pg_restore_attribute_stats(...)` (pg_dump
/// 18 `--statistics`).
fn is_statistics(toks: &[Spanned]) -> bool {
    toks.iter()
        .take(8)
        .any(|t| t.token.is_word("pg_restore_attribute_stats"))
}

/// `SELECT * FROM pg_restore_relation_stats('relname', 't', 'relpages',
/// '13'::integer, 'reltuples', '2000'::real, ...)`: a relation's size and
/// row count, no values.
pub fn is_relation_statistics(toks: &[Spanned]) -> bool {
    toks.iter()
        .take(8)
        .any(|t| t.token.is_word("pg_restore_relation_stats"))
}

/// The table a statistics statement describes: its `'schemaname', 's',
/// 'relname', 't'` arguments (or a `'relation', 's.t'::regclass` one).
pub fn statistics_table(toks: &[Spanned]) -> Option<QualifiedName> {
    let strs: Vec<&[u8]> = toks
        .iter()
        .filter_map(|t| match &t.token {
            Token::Str(s) => Some(s.as_slice()),
            _ => None,
        })
        .collect();
    let arg = |key: &[u8]| {
        strs.windows(2)
            .find(|w| w[0] == key)
            .map(|w| String::from_utf8_lossy(w[1]).replace("''", "'"))
    };
    if let Some(name) = arg(b"relname") {
        return Some(QualifiedName {
            schema: arg(b"schemaname"),
            name,
        });
    }
    let rel = arg(b"relation")?;
    Some(match rel.split_once('.') {
        Some((s, t)) => QualifiedName {
            schema: Some(s.trim_matches('"').to_string()),
            name: t.trim_matches('"').to_string(),
        },
        None => QualifiedName {
            schema: None,
            name: rel.trim_matches('"').to_string(),
        },
    })
}

/// Tokens of a statement's head, read only as far as a parse asks: a data
/// statement's head can be read without tokenizing its rows. The tokens
/// end at the first `;` (a statement's end under every delimiter dumps
/// use: `;` and `;;`).
pub struct Head<'a> {
    toks: Tokens<'a>,
    buf: Vec<Spanned>,
    ended: bool,
    /// The text ran out, or could not be tokenized, before the statement
    /// ended.
    pub cut: bool,
}

impl<'a> Head<'a> {
    /// Tokens of `src` from its start.
    pub fn new(src: &'a [u8], lx: &Lexical) -> Head<'a> {
        Head {
            toks: Tokens::new(src, lx),
            buf: Vec::new(),
            ended: false,
            cut: false,
        }
    }

    /// The token at `i`, or `None` past the statement's end.
    pub fn get(&mut self, i: usize) -> Option<&Spanned> {
        while self.buf.len() <= i && !self.ended {
            match self.toks.next() {
                Some(Ok(t)) if matches!(t.token, Token::Punct(b';')) => self.ended = true,
                Some(Ok(t)) => self.buf.push(t),
                Some(Err(_)) | None => {
                    self.ended = true;
                    self.cut = true;
                }
            }
        }
        self.buf.get(i)
    }

    fn word(&mut self, i: usize, kw: &str) -> bool {
        self.get(i).is_some_and(|t| t.token.is_word(kw))
    }

    fn punct(&mut self, i: usize, p: u8) -> bool {
        self.get(i).is_some_and(|t| t.token == Token::Punct(p))
    }

    /// The tokens read so far.
    pub fn tokens(&self) -> &[Spanned] {
        &self.buf
    }

    /// Index just past the `)` matching the `(` at `i`; `None` if the
    /// statement ends first.
    fn skip_parens(&mut self, mut i: usize) -> Option<usize> {
        let mut depth = 0usize;
        loop {
            match self.get(i)?.token {
                Token::Punct(b'(') => depth += 1,
                Token::Punct(b')') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    fn name(&mut self, i: &mut usize) -> Option<QualifiedName> {
        // Enough tokens for `a.b`.
        self.get(*i + 2);
        QualifiedName::parse(&self.buf, i)
    }
}

/// What the head of an `INSERT`/`REPLACE` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertHead {
    /// The text ends before the head can be read.
    Incomplete,
    /// No table name where one must be.
    NoName,
    /// `... VALUES (`: tuples of literals follow, the first `(` at
    /// `rows_at` (an offset into the parsed text).
    Values {
        /// The table.
        name: QualifiedName,
        /// The statement's own column list.
        columns: Option<Vec<String>>,
        /// Offset of the first row's `(`.
        rows_at: usize,
    },
    /// Any other form (`SET`, `SELECT`, `TABLE`, `VALUES ROW(..)`, `DEFAULT
    /// VALUES`, a misspelt `VALUES`): its rows cannot be read as tuples.
    Other {
        /// The table.
        name: QualifiedName,
    },
}

/// Reads `INSERT|REPLACE [modifiers] [INTO] name [PARTITION (p, ..)] [AS
/// alias] [(columns)] [OVERRIDING {SYSTEM|USER} VALUE] VALUES|VALUE (` up
/// to the first row, by position: a table or column named `value`, `set`
/// or `key` is a name where a name stands.
pub fn parse_insert_head(d: &dyn Dialect, src: &[u8]) -> InsertHead {
    let mut h = Head::new(src, d.lexical());
    let mut i = 1;
    while d.insert_modifiers().iter().any(|m| h.word(i, m)) {
        i += 1;
    }
    if h.word(i, "into") {
        i += 1;
    }
    let Some(name) = h.name(&mut i) else {
        return if h.cut {
            InsertHead::Incomplete
        } else {
            InsertHead::NoName
        };
    };
    let other = |h: &Head| {
        if h.cut {
            InsertHead::Incomplete
        } else {
            InsertHead::Other { name: name.clone() }
        }
    };
    if h.word(i, "partition") && h.punct(i + 1, b'(') {
        match h.skip_parens(i + 1) {
            Some(j) => i = j,
            None => return other(&h),
        }
    }
    if h.word(i, "as") {
        i += 2;
    }
    let mut columns = None;
    if h.punct(i, b'(') {
        // A column list holds names only; `(SELECT ...)` is a query.
        let Some(end) = h.skip_parens(i) else {
            return other(&h);
        };
        let inner = &h.tokens()[i + 1..end - 1];
        let names: Option<Vec<String>> = inner
            .iter()
            .enumerate()
            .map(|(k, t)| match (&t.token, k % 2) {
                (Token::Word(_) | Token::Quoted(_), 0) => Some(t.token.ident().map(str::to_string)),
                (Token::Punct(b','), 1) => Some(None),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|v| v.into_iter().flatten().collect());
        let query = inner.first().is_some_and(|t| {
            ["select", "with", "values", "table"]
                .iter()
                .any(|q| t.token.is_word(q))
        });
        match names {
            Some(n) if !query && !inner.is_empty() && inner.len() % 2 == 1 => columns = Some(n),
            _ => return other(&h),
        }
        i = end;
    }
    if h.word(i, "overriding") && h.word(i + 2, "value") {
        i += 3;
    }
    if (h.word(i, "values") || h.word(i, "value")) && h.punct(i + 1, b'(') {
        let rows_at = h.tokens()[i + 1].start;
        return InsertHead::Values {
            name,
            columns,
            rows_at,
        };
    }
    other(&h)
}

/// COPY options that decide how rows are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyHead {
    /// The table.
    pub name: QualifiedName,
    /// The statement's own column list.
    pub columns: Option<Vec<String>>,
    /// Rows follow in the dump (`FROM stdin`), rather than coming from a
    /// file or program, or going out (`TO`).
    pub from_stdin: bool,
    /// `TO stdout|'file'`: reads the table, writes none of it.
    pub to: bool,
    /// Options other than the text format's defaults (`FORMAT csv`,
    /// `DELIMITER ','`, `NULL '-'`, `HEADER`, `QUOTE`, `ESCAPE`, `BINARY`,
    /// an `ENCODING` other than UTF-8): the first one, for messages.
    pub unsupported: Option<String>,
}

/// Reads `COPY name [(columns)] FROM stdin [[WITH] (option, ...) | legacy
/// options];` from its tokens (the statement without its `;`).
pub fn parse_copy_head(toks: &[Spanned]) -> Option<CopyHead> {
    let mut i = 1;
    let name = QualifiedName::parse(toks, &mut i)?;
    let mut columns = None;
    if matches!(toks.get(i).map(|t| &t.token), Some(Token::Punct(b'('))) {
        let end = toks[i..]
            .iter()
            .position(|t| t.token == Token::Punct(b')'))
            .map(|p| i + p)?;
        columns = Some(
            toks[i + 1..end]
                .iter()
                .filter_map(|t| t.token.ident().map(str::to_string))
                .collect(),
        );
        i = end + 1;
    }
    let to = toks.get(i).is_some_and(|t| t.token.is_word("to"));
    if !to && !toks.get(i).is_some_and(|t| t.token.is_word("from")) {
        return None;
    }
    let from_stdin = !to && toks.get(i + 1).is_some_and(|t| t.token.is_word("stdin"));
    i += 2;
    let mut unsupported = None;
    let opts = &toks[i.min(toks.len())..];
    let mut k = 0;
    while k < opts.len() {
        let t = &opts[k];
        let word = match &t.token {
            Token::Word(w) => w.to_ascii_lowercase(),
            Token::Punct(b'(' | b')' | b',') => {
                k += 1;
                continue;
            }
            _ => {
                unsupported.get_or_insert_with(|| "an unreadable option".to_string());
                k += 1;
                continue;
            }
        };
        // `E'\t'` is the word `e` before its string.
        let e_string = opts.get(k + 1).is_some_and(|t| t.token.is_word("e"))
            && matches!(opts.get(k + 2).map(|t| &t.token), Some(Token::Str(_)));
        if e_string {
            k += 1;
        }
        let value = opts.get(k + 1).map(|t| &t.token);
        let accepted = match word.as_str() {
            "with" | "freeze" => {
                k += 1;
                true
            }
            "format" => {
                k += 2;
                value.is_some_and(|v| v.is_word("text"))
            }
            "delimiter" => {
                k += 2;
                value.is_some_and(|v| is_str(v, &[b"\t", b"\\t"]))
            }
            "null" => {
                k += 2;
                value.is_some_and(|v| is_str(v, &[b"\\N", b"\\\\N"]))
            }
            "encoding" => {
                k += 2;
                value.is_some_and(|v| {
                    is_str(v, &[b"UTF8", b"utf8", b"UTF-8", b"utf-8", b"SQL_ASCII"])
                })
            }
            "header" => {
                let off = value.is_some_and(|v| v.is_word("false") || v.is_word("off"));
                k += if off { 2 } else { 1 };
                off
            }
            _ => {
                k += 1;
                false
            }
        };
        if !accepted {
            unsupported.get_or_insert(word);
        }
    }
    Some(CopyHead {
        name,
        columns,
        from_stdin,
        to,
        unsupported,
    })
}

fn is_str(t: &Token, any: &[&[u8]]) -> bool {
    matches!(t, Token::Str(s) if any.contains(&s.as_slice()))
}

/// Every name a statement mentions: qualified identifiers in its code,
/// and with `strings`, the words inside its strings (a `DO $$ ... $$` body,
/// a function's argument), each as a bare name. The mention check of
/// [`StatementKind::Other`] statements asks whether any is ruled.
pub fn mentioned_names(
    toks: &[Spanned],
    strings: bool,
    mut each: impl FnMut(&QualifiedName) -> bool,
) -> bool {
    let mut i = 0;
    while i < toks.len() {
        match &toks[i].token {
            Token::Word(_) | Token::Quoted(_) => {
                let start = i;
                if let Some(q) = QualifiedName::parse(toks, &mut i) {
                    if each(&q) {
                        return true;
                    }
                    // `a.b`: `b` alone too (`alias.column` reads as a
                    // schema and a table; a column's name is harmless).
                    if q.schema.is_some()
                        && each(&QualifiedName {
                            schema: None,
                            name: q.name.clone(),
                        })
                    {
                        return true;
                    }
                }
                if i == start {
                    i += 1;
                }
            }
            Token::Str(s) if strings => {
                for word in s.split(|b| !crate::sql::is_word_byte(*b)) {
                    if word.is_empty() {
                        continue;
                    }
                    let q = QualifiedName {
                        schema: None,
                        name: String::from_utf8_lossy(word).into_owned(),
                    };
                    if each(&q) {
                        return true;
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    false
}

/// The dialect object of each engine.
pub static MYSQL: mysql::MySql = mysql::MySql;
/// The dialect object of each engine.
pub static POSTGRES: postgres::Postgres = postgres::Postgres;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tokenize;

    fn kind(d: &dyn Dialect, s: &str) -> StatementKind {
        d.classify(&tokenize(s.as_bytes(), d.lexical()).unwrap())
    }

    macro_rules! classifies {
        ($($name:ident: $d:expr, $sql:expr => $kind:ident;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(kind(&$d, $sql), StatementKind::$kind, "{}", $sql);
            }
        )*};
    }

    classifies! {
        my_insert: MYSQL, "INSERT INTO t VALUES (1);" => Insert;
        my_replace: MYSQL, "replace into t values (1);" => Insert;
        my_insert_in_comment: MYSQL, "/*!40000 INSERT INTO t VALUES (1) */;" => Insert;
        my_alter_in_comment: MYSQL, "/*!40000 ALTER TABLE `t` DISABLE KEYS */;" => NoRows;
        my_create_view: MYSQL, "CREATE VIEW v AS SELECT * FROM customers;" => NoRows;
        my_create_select: MYSQL, "CREATE TABLE t2 SELECT * FROM customers;" => CreateFromQuery;
        my_update: MYSQL, "UPDATE customers SET email = 'x';" => Other;
        my_load_data: MYSQL, "LOAD DATA INFILE 'x' INTO TABLE customers;" => Other;
        my_lock: MYSQL, "LOCK TABLES `customers` WRITE;" => NoRows;
        my_copy_is_not_data: MYSQL, "COPY t FROM stdin;" => Other;
        pg_copy: POSTGRES, "COPY public.t (a) FROM stdin;" => Copy;
        pg_replace_is_not_data: POSTGRES, "REPLACE INTO t VALUES (1);" => Other;
        pg_ctas: POSTGRES, "CREATE TABLE t AS SELECT 'x' AS e;" => CreateFromQuery;
        pg_ctas_values: POSTGRES, "CREATE TABLE t AS VALUES ('x');" => CreateFromQuery;
        pg_matview: POSTGRES, "CREATE MATERIALIZED VIEW m AS SELECT 1 WITH NO DATA;" => CreateFromQuery;
        pg_create_table: POSTGRES, "CREATE TABLE t (a int, b text);" => NoRows;
        pg_partition_of: POSTGRES, "CREATE TABLE c PARTITION OF p FOR VALUES FROM (0) TO (9);" => NoRows;
        pg_ctas_paren: POSTGRES, "CREATE TABLE t AS (SELECT 1);" => CreateFromQuery;
        pg_function: POSTGRES, "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;" => NoRows;
        pg_with_insert: POSTGRES, "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x;" => Other;
        pg_do: POSTGRES, "DO $$ BEGIN INSERT INTO t VALUES ('x'); END $$;" => Other;
        pg_stats: POSTGRES, "SELECT * FROM pg_catalog.pg_restore_attribute_stats('relname', 't');" => Statistics;
        pg_relation_stats: POSTGRES, "SELECT * FROM pg_catalog.pg_restore_relation_stats('relname', 'customers', 'reltuples', '2'::real);" => Statistics;
        pg_set_config: POSTGRES, "SELECT pg_catalog.set_config('search_path', '', false);" => Other;
        pg_comment: POSTGRES, "COMMENT ON TABLE t IS 'x';" => NoRows;
        pg_unknown_word: POSTGRES, "FROBNICATE t;" => Other;
    }

    fn insert(d: &dyn Dialect, s: &str) -> InsertHead {
        parse_insert_head(d, s.as_bytes())
    }

    fn named(n: &str) -> QualifiedName {
        QualifiedName {
            schema: None,
            name: n.into(),
        }
    }

    #[test]
    fn insert_heads_read_names_by_position() {
        let InsertHead::Values { name, columns, .. } = insert(
            &POSTGRES,
            "INSERT INTO value (value, set, key) VALUES (1, 2, 3);",
        ) else {
            panic!("not read")
        };
        assert_eq!(name, named("value"));
        assert_eq!(
            columns,
            Some(vec!["value".into(), "set".into(), "key".into()])
        );
        let s = "INSERT INTO public.t (id, n) OVERRIDING SYSTEM VALUE VALUES (1, 'a');";
        let InsertHead::Values { rows_at, .. } = insert(&POSTGRES, s) else {
            panic!("overriding not read")
        };
        assert_eq!(&s[rows_at..rows_at + 2], "(1");
        let s = "INSERT IGNORE INTO `t` PARTITION (p0) (`a`) VALUE ('x');";
        assert!(matches!(insert(&MYSQL, s), InsertHead::Values { .. }));
    }

    #[test]
    fn insert_heads_of_other_forms() {
        for s in [
            "INSERT INTO t SET email = 'x';",
            "REPLACE INTO t SET a = 1;",
            "INSERT INTO t SELECT 'x';",
            "INSERT INTO t (a) SELECT 'x';",
            "INSERT INTO t (SELECT 'x');",
            "INSERT INTO t VALUES ROW('x');",
            "INSERT INTO t VAUES ('x');",
            "INSERT INTO t VAL\\UES ('x');",
            "INSERT INTO t ('x', 'y');",
            "INSERT INTO t DEFAULT VALUES;",
            "INSERT INTO t TABLE u;",
        ] {
            assert_eq!(
                insert(&MYSQL, s),
                InsertHead::Other { name: named("t") },
                "{s}"
            );
        }
        assert_eq!(
            insert(&MYSQL, "INSERT INTO t (a, b"),
            InsertHead::Incomplete
        );
        assert_eq!(insert(&MYSQL, "INSERT INTO ;"), InsertHead::NoName);
    }

    #[test]
    fn postgres_folds_unquoted_names() {
        let InsertHead::Values { name, columns, .. } = insert(
            &POSTGRES,
            "INSERT INTO PUBLIC.Customers (\"Email\", Name) VALUES ('a', 'b');",
        ) else {
            panic!("not read")
        };
        assert_eq!(name.schema.as_deref(), Some("public"));
        assert_eq!(name.name, "customers");
        assert_eq!(columns, Some(vec!["Email".into(), "name".into()]));
    }

    fn copy(s: &str) -> CopyHead {
        parse_copy_head(&tokenize(s.as_bytes(), POSTGRES.lexical()).unwrap()).unwrap()
    }

    #[test]
    fn copy_options() {
        let c = copy("COPY public.t (a, b) FROM stdin");
        assert!(c.from_stdin && c.unsupported.is_none() && !c.to);
        for ok in [
            "COPY t FROM stdin WITH (FORMAT text, DELIMITER E'\\t', NULL '\\N', ENCODING 'UTF8')",
            "COPY t FROM STDIN (FREEZE, HEADER false)",
        ] {
            assert_eq!(copy(ok).unsupported, None, "{ok}");
        }
        for bad in [
            "COPY t FROM stdin WITH (FORMAT csv)",
            "COPY t FROM stdin CSV HEADER",
            "COPY t FROM stdin (HEADER)",
            "COPY t FROM stdin WITH NULL AS '-'",
            "COPY t FROM stdin (DELIMITER ',')",
            "COPY t FROM stdin BINARY",
            "COPY t FROM stdin (ENCODING 'LATIN1')",
        ] {
            assert!(copy(bad).unsupported.is_some(), "{bad}");
        }
        assert!(!copy("COPY t FROM '/tmp/x'").from_stdin);
        assert!(copy("COPY t TO stdout").to);
    }

    #[test]
    fn statistics_name_their_table() {
        let s = "SELECT * FROM pg_catalog.pg_restore_attribute_stats('version', '180000'::integer, 'schemaname', 'public', 'relname', 'customers', 'attname', 'email');";
        let toks = tokenize(s.as_bytes(), POSTGRES.lexical()).unwrap();
        let q = statistics_table(&toks).unwrap();
        assert_eq!(
            (q.schema.as_deref(), q.name.as_str()),
            (Some("public"), "customers")
        );
    }

    #[test]
    fn mentions_reach_strings_and_qualified_names() {
        let toks = |s: &str| tokenize(s.as_bytes(), POSTGRES.lexical()).unwrap();
        let hit = |s: &str| mentioned_names(&toks(s), true, |q| q.name == "customers");
        assert!(hit("UPDATE public.customers SET a = 1;"));
        assert!(hit("DO $$ BEGIN INSERT INTO customers VALUES (1); END $$;"));
        assert!(!hit(
            "SELECT pg_catalog.setval('public.customers_id_seq', 5, true);"
        ));
        assert!(!hit("UPDATE orders SET a = 1;"));
    }
}
