//! The leak oracle (issue 13, "How it is proven"): every original value of
//! every ruled column is searched for in a rewritten dump, all at once with
//! Aho-Corasick, and the test fails if one is found, naming where it is
//! (output byte offset, table, column) and never what it is.
//!
//! Independence from dumpmask: the rules file is read here with the `toml`
//! crate, and the originals come either from the source database with SQL
//! (`Oracle::mysql`, `Oracle::postgres`, for tests that have one) or from the
//! slow dump reader at the bottom of this file (`Oracle::from_dump`, for the
//! fixtures). Nothing here calls dumpmask's parsers or transformers.
//!
//! Each original of at least `MIN_LEN` bytes is searched in every form a
//! dump can carry it: its raw bytes, its literal as the dialect writes it
//! (MySQL backslash escapes; PostgreSQL COPY escapes and doubled quotes), and
//! when long enough its upper-case hex (`mariadb-dump --hex-blob`).
//!
//! What the oracle does not search, and why:
//! - values shorter than `MIN_LEN` bytes (`''`, `1`, `NO`: they stand in many
//!   places and name no one);
//! - columns whose transformer may legitimately write the original back:
//!   `keep`; `partial` and `truncate` (a value shorter than what is kept
//!   comes out whole); `regex` (a value it does not match is kept);
//!   `date_shift` and `number_noise` (a shift or noise of zero gives the
//!   value back, by chance); `json` (a document without the ruled paths is
//!   kept whole) — see `MAY_KEEP_ORIGINAL`;
//! - an original that the original dump also holds outside ruled columns (in
//!   DDL, comments, routine bodies or an unruled value): those bytes are
//!   copied unchanged, so finding them proves nothing (the rule of
//!   `dumpmask verify` in PRODUCT.md, applied to substrings);
//! - an original inside a string the rules file itself writes (a `fixed`
//!   value, a template, a regex replacement, a `set` value);
//! - without a database, columns ruled only under a condition (`when`): the
//!   slow reader does not evaluate conditions. With a database, SQL does: an
//!   original counts where the condition (or the table's `drop_when`) holds,
//!   and values where it does not are legitimately kept;
//! - unruled values of rows that `drop_when` or `sample_percent` drops
//!   (except in `truncate = true` tables, where every value of every row is
//!   an original).
//!
//! MySQL generated columns are dumped with their values (`'Alice Smith'`
//! computed from ruled names) and restored by recomputation; in a table with
//! rules they count as ruled.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use aho_corasick::AhoCorasick;

/// Which engine wrote the dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    MySql,
    Postgres,
}

/// The shortest original searched for.
pub const MIN_LEN: usize = 3;

/// Transformers whose output may hold the whole original (see the module
/// comment); their columns are not searched.
pub const MAY_KEEP_ORIGINAL: &[&str] = &[
    "keep",
    "partial",
    "truncate",
    "regex",
    "date_shift",
    "number_noise",
    "json",
];

// ---------------------------------------------------------------------------
// The rules file, as far as the oracle needs it.

/// The ruled columns of one `[tables.KEY]`.
#[derive(Debug, Default)]
struct TableRule {
    key: String,
    truncate: bool,
    drop_when: Option<String>,
    /// Ruled columns: `None` always, `Some(cond)` only where `cond` holds.
    ruled: Vec<(String, Option<String>)>,
    /// Columns whose transformer may write the original back.
    unchecked: Vec<String>,
}

impl TableRule {
    fn add(&mut self, col: &str, spec: &toml::Value, cond: Option<&str>) {
        let (transform, own_when) = match spec {
            toml::Value::String(s) => (s.as_str(), None),
            toml::Value::Table(t) => (
                t.get("transform")
                    .and_then(|v| v.as_str())
                    .unwrap_or_else(|| panic!("rule for {col} has no transform")),
                t.get("when").and_then(|v| v.as_str()),
            ),
            other => panic!("rule for {col}: unexpected {other}"),
        };
        if transform == "keep" {
            return;
        }
        if MAY_KEEP_ORIGINAL.contains(&transform) {
            self.unchecked.push(col.to_string());
            return;
        }
        let cond = match (cond, own_when) {
            (None, None) => None,
            (Some(a), None) | (None, Some(a)) => Some(a.to_string()),
            (Some(a), Some(b)) => Some(format!("({a}) AND ({b})")),
        };
        match self.ruled.iter_mut().find(|(c, _)| c == col) {
            None => self.ruled.push((col.to_string(), cond)),
            Some((_, old)) => {
                *old = match (old.take(), cond) {
                    (Some(a), Some(b)) => Some(format!("({a}) OR ({b})")),
                    _ => None,
                }
            }
        }
    }

    /// How `column` is ruled: `None` not at all, `Some(None)` always,
    /// `Some(Some(cond))` where `cond` holds.
    fn column(&self, column: &str) -> Option<Option<&str>> {
        if self.unchecked.iter().any(|c| c == column) {
            return None;
        }
        self.ruled
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, cond)| cond.as_deref())
    }

    fn matches(&self, t: &TableName, fold: bool) -> Option<u8> {
        let eq = |a: &str, b: &str| {
            if fold {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let key = self.key.as_str();
        if key.contains(['*', '?', '[']) {
            assert!(!key.contains('['), "the leak oracle knows no glob classes");
            let hay = match (key.contains('.'), &t.schema) {
                (true, Some(s)) => format!("{s}.{}", t.name),
                (true, None) => return None,
                (false, _) => t.name.clone(),
            };
            return glob(key.as_bytes(), hay.as_bytes()).then_some(1);
        }
        match key.split_once('.') {
            Some((s, n)) => {
                (t.schema.as_deref().is_some_and(|ts| eq(ts, s)) && eq(&t.name, n)).then_some(3)
            }
            None => eq(&t.name, key).then_some(2),
        }
    }
}

/// `*` any run, `?` one byte.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, _) => s.is_empty(),
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// The rules file: ruled columns per table key, and the strings it writes.
#[derive(Debug)]
pub struct Rules {
    tables: Vec<TableRule>,
    written: Vec<Vec<u8>>,
}

impl Rules {
    pub fn load(path: &Path) -> Rules {
        let text = std::fs::read_to_string(path).unwrap();
        Rules::parse(&text)
    }

    pub fn parse(text: &str) -> Rules {
        let doc: toml::Table = text.parse().expect("rules file is TOML");
        let mut written = Vec::new();
        collect_written(&toml::Value::Table(doc.clone()), &mut written);
        let mut tables = Vec::new();
        if let Some(t) = doc.get("tables").and_then(|v| v.as_table()) {
            for (key, spec) in t {
                let mut rule = TableRule {
                    key: key.clone(),
                    truncate: spec.get("truncate").and_then(|v| v.as_bool()) == Some(true),
                    drop_when: spec
                        .get("drop_when")
                        .and_then(|v| v.as_str())
                        .map(str::to_string),
                    ..TableRule::default()
                };
                if let Some(cols) = spec.get("columns").and_then(|v| v.as_table()) {
                    for (col, s) in cols {
                        rule.add(col, s, None);
                    }
                }
                for w in spec
                    .get("when")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                {
                    let cond = w.get("if").and_then(|v| v.as_str()).expect("[[when]] if");
                    if let Some(cols) = w.get("columns").and_then(|v| v.as_table()) {
                        for (col, s) in cols {
                            rule.add(col, s, Some(cond));
                        }
                    }
                }
                tables.push(rule);
            }
        }
        Rules { tables, written }
    }

    /// The rule for `t`: the most specific key naming it, else its parent's
    /// (partitions and inheritance children follow their root).
    fn for_table(&self, t: &TableName, data: &DumpData) -> Option<&TableRule> {
        let mut t = t.clone();
        for _ in 0..16 {
            for fold in [false, true] {
                let best = self
                    .tables
                    .iter()
                    .filter_map(|r| r.matches(&t, fold).map(|rank| (rank, r)))
                    .max_by_key(|(rank, _)| *rank);
                if let Some((_, r)) = best {
                    return Some(r);
                }
            }
            t = data.parents.get(&t)?.clone();
        }
        None
    }
}

/// Strings the rules file writes into a dump.
fn collect_written(v: &toml::Value, out: &mut Vec<Vec<u8>>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                match (k.as_str(), v) {
                    ("value" | "template" | "replacement", toml::Value::String(s)) => {
                        out.push(s.as_bytes().to_vec())
                    }
                    ("set", toml::Value::Table(set)) => {
                        for v in set.values() {
                            out.push(match v {
                                toml::Value::String(s) => s.as_bytes().to_vec(),
                                other => other.to_string().into_bytes(),
                            });
                        }
                    }
                    _ => collect_written(v, out),
                }
            }
        }
        toml::Value::Array(a) => a.iter().for_each(|v| collect_written(v, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// The oracle.

/// One original value: where it came from.
#[derive(Debug, Clone)]
struct Origin {
    table: String,
    column: String,
}

/// A form an original takes in a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Raw,
    Escaped,
    Quoted,
    Hex,
}

/// An original found in an output: where, and whose, never what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    pub offset: usize,
    pub table: String,
    pub column: String,
    pub form: Form,
}

impl fmt::Display for Leak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "byte {}: an original value of {}.{} ({:?} form)",
            self.offset, self.table, self.column, self.form
        )
    }
}

/// Collects originals, then what the original dump holds outside ruled
/// columns, into an `Oracle`.
struct Builder {
    dialect: Dialect,
    origins: Vec<Origin>,
    by_value: HashMap<Vec<u8>, usize>,
    values: Vec<Vec<u8>>,
    /// Text that may legitimately reach the output: the original dump
    /// outside ruled cells, values kept by conditions, rules-file strings.
    holders: Vec<Vec<u8>>,
}

impl Builder {
    fn new(dialect: Dialect, rules: &Rules) -> Builder {
        Builder {
            dialect,
            origins: Vec::new(),
            by_value: HashMap::new(),
            values: Vec::new(),
            holders: rules.written.clone(),
        }
    }

    fn original(&mut self, table: &TableName, column: &str, v: &[u8]) {
        if v.len() < MIN_LEN || self.by_value.contains_key(v) {
            return;
        }
        self.by_value.insert(v.to_vec(), self.origins.len());
        self.values.push(v.to_vec());
        self.origins.push(Origin {
            table: table.to_string(),
            column: column.to_string(),
        });
    }

    /// A value legitimately in the output: all its forms are holders.
    fn kept(&mut self, v: &[u8]) {
        for (form, _) in forms(v, self.dialect) {
            self.holders.push(form);
        }
    }

    /// The original dump with every ruled cell cut out.
    fn residual(&mut self, dump: &[u8], data: &DumpData, ruled: impl Fn(&Row, &Cell) -> bool) {
        let mut cuts: Vec<Range<usize>> = data
            .rows
            .iter()
            .flat_map(|r| {
                r.cells
                    .iter()
                    .filter(|c| ruled(r, c))
                    .map(|c| c.span.clone())
            })
            .collect();
        cuts.sort_by_key(|r| r.start);
        let mut at = 0;
        for cut in cuts {
            if cut.start > at {
                self.holders.push(dump[at..cut.start].to_vec());
            }
            at = at.max(cut.end);
        }
        self.holders.push(dump[at..].to_vec());
    }

    fn finish(self) -> Oracle {
        let mut patterns = Vec::new();
        let mut owner = Vec::new();
        let mut seen = HashMap::new();
        for (i, v) in self.values.iter().enumerate() {
            for (p, form) in forms(v, self.dialect) {
                if seen.insert(p.clone(), ()).is_none() {
                    patterns.push(p);
                    owner.push((i, form));
                }
            }
        }
        let ac = AhoCorasick::new(&patterns).unwrap();
        let mut excluded = vec![false; self.origins.len()];
        for h in &self.holders {
            for m in ac.find_overlapping_iter(h.as_slice()) {
                excluded[owner[m.pattern().as_usize()].0] = true;
            }
        }
        Oracle {
            ac,
            owner,
            origins: self.origins,
            excluded,
        }
    }
}

/// Every form of `v` a dump of `dialect` can hold, with its name.
fn forms(v: &[u8], dialect: Dialect) -> Vec<(Vec<u8>, Form)> {
    let mut out = vec![(v.to_vec(), Form::Raw)];
    match dialect {
        Dialect::MySql => {
            // mysql_real_escape_string: NUL, \n, \r, \\, ', ", ^Z.
            let mut e = Vec::new();
            for &b in v {
                match b {
                    0 => e.extend_from_slice(b"\\0"),
                    b'\n' => e.extend_from_slice(b"\\n"),
                    b'\r' => e.extend_from_slice(b"\\r"),
                    b'\\' => e.extend_from_slice(b"\\\\"),
                    b'\'' => e.extend_from_slice(b"\\'"),
                    b'"' => e.extend_from_slice(b"\\\""),
                    0x1a => e.extend_from_slice(b"\\Z"),
                    _ => e.push(b),
                }
            }
            out.push((e, Form::Escaped));
            if v.len() >= 6 {
                let hex: String = v.iter().map(|b| format!("{b:02X}")).collect();
                out.push((hex.into_bytes(), Form::Hex));
            }
        }
        Dialect::Postgres => {
            // COPY text format: backslash, and the control characters.
            let mut e = Vec::new();
            for &b in v {
                match b {
                    b'\\' => e.extend_from_slice(b"\\\\"),
                    b'\n' => e.extend_from_slice(b"\\n"),
                    b'\r' => e.extend_from_slice(b"\\r"),
                    b'\t' => e.extend_from_slice(b"\\t"),
                    8 => e.extend_from_slice(b"\\b"),
                    12 => e.extend_from_slice(b"\\f"),
                    11 => e.extend_from_slice(b"\\v"),
                    _ => e.push(b),
                }
            }
            out.push((e, Form::Escaped));
            let mut q = Vec::new();
            for &b in v {
                if b == b'\'' {
                    q.push(b'\'');
                }
                q.push(b);
            }
            out.push((q, Form::Quoted));
        }
    }
    out
}

/// `select(table, column, condition)`: a column's non-NULL values where a
/// SQL condition holds, from the source database.
type Select<'a> = dyn Fn(&TableName, &str, &str) -> Vec<Vec<u8>> + 'a;

/// The originals of one source, ready to search outputs for.
pub struct Oracle {
    ac: AhoCorasick,
    /// Per pattern: its original and form.
    owner: Vec<(usize, Form)>,
    origins: Vec<Origin>,
    /// Originals the source also holds outside ruled columns.
    excluded: Vec<bool>,
}

impl Oracle {
    /// Originals read from `dump` by the slow reader below.
    pub fn from_dump(rules: &Path, dump: &[u8], dialect: Dialect) -> Oracle {
        let rules = Rules::load(rules);
        let data = read_dump(dump, dialect);
        let mut b = Builder::new(dialect, &rules);
        let mysql = dialect == Dialect::MySql;
        let ruled = |row: &Row, cell: &Cell| -> bool {
            let Some(rule) = rules.for_table(&row.table, &data) else {
                return false;
            };
            rule.truncate
                || (mysql && data.generated(&row.table, &cell.column))
                || rule.column(&cell.column) == Some(None)
        };
        for row in &data.rows {
            for cell in &row.cells {
                if let (true, Some(v)) = (ruled(row, cell), &cell.value) {
                    b.original(&row.table, &cell.column, v);
                }
            }
        }
        b.residual(dump, &data, ruled);
        b.finish()
    }

    /// Originals read from the MariaDB database `db` with SQL (`HEX(CONCAT(c))`:
    /// the bytes of the value as text, as mariadb-dump writes it; `HEX` of a
    /// number alone would be the number in base 16); `dump` is
    /// its mariadb-dump, for the tables and columns with data and for what
    /// it holds outside ruled columns.
    pub fn mysql(rules: &Path, dump: &[u8], db: &str) -> Oracle {
        let q = |s: &str| format!("`{}`", s.replace('`', "``"));
        Oracle::from_database(rules, dump, Dialect::MySql, &|t, col, cond| {
            let sql = format!(
                "SELECT HEX(CONCAT({c})) FROM {}.{} WHERE {c} IS NOT NULL AND ({cond})",
                q(db),
                q(&t.name),
                c = q(col),
            );
            super::mariadb(None, &sql)
                .lines()
                .map(|h| unhex(h.as_bytes()))
                .collect()
        })
    }

    /// Originals read from the PostgreSQL database `db` with SQL (COPY TO
    /// STDOUT, so every value is in its output-function form, as pg_dump
    /// writes it; `::text` would strip char(n) padding).
    pub fn postgres(rules: &Path, dump: &[u8], db: &str) -> Oracle {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        Oracle::from_database(rules, dump, Dialect::Postgres, &|t, col, cond| {
            let table = match &t.schema {
                Some(s) => format!("{}.{}", q(s), q(&t.name)),
                None => q(&t.name),
            };
            let sql = format!(
                "COPY (SELECT {c} FROM ONLY {table} WHERE {c} IS NOT NULL AND ({cond})) TO STDOUT",
                c = q(col),
            );
            super::psql(db, &sql)
                .lines()
                .map(|l| copy_field(l.as_bytes()).expect("not NULL"))
                .collect()
        })
    }

    /// `select(table, column, condition)` gives the non-NULL values of a
    /// column where a SQL condition holds.
    fn from_database(rules: &Path, dump: &[u8], dialect: Dialect, select: &Select) -> Oracle {
        let rules = Rules::load(rules);
        let data = read_dump(dump, dialect);
        let mut b = Builder::new(dialect, &rules);
        let mysql = dialect == Dialect::MySql;
        for (table, columns) in data.tables_with_data() {
            let Some(rule) = rules.for_table(&table, &data) else {
                continue;
            };
            for column in &columns {
                let generated = data.generated(&table, column);
                let cond = if rule.truncate || (mysql && generated) {
                    Some(None)
                } else {
                    rule.column(column)
                };
                match cond {
                    None => {}
                    Some(None) => {
                        let mut from_db = select(&table, column, "TRUE");
                        for v in &from_db {
                            b.original(&table, column, v);
                        }
                        // The slow reader agrees with the database.
                        let mut from_dump: Vec<Vec<u8>> = data
                            .values(&table, column)
                            .filter_map(|v| v.cloned())
                            .collect();
                        from_db.sort();
                        from_dump.sort();
                        assert!(
                            from_db == from_dump,
                            "leak oracle: the slow reader and the database disagree on {table}.{column} \
                             ({} values read, {} selected)",
                            from_dump.len(),
                            from_db.len()
                        );
                    }
                    Some(Some(cond)) => {
                        let (hit, kept) = match &rule.drop_when {
                            None => (format!("({cond}) IS TRUE"), format!("({cond}) IS NOT TRUE")),
                            Some(d) => (
                                format!("({cond}) IS TRUE OR ({d}) IS TRUE"),
                                format!("({cond}) IS NOT TRUE AND ({d}) IS NOT TRUE"),
                            ),
                        };
                        for v in select(&table, column, &hit) {
                            b.original(&table, column, &v);
                        }
                        for v in select(&table, column, &kept) {
                            b.kept(&v);
                        }
                    }
                }
            }
        }
        b.residual(dump, &data, |row, cell| {
            rules.for_table(&row.table, &data).is_some_and(|rule| {
                rule.truncate
                    || (mysql && data.generated(&row.table, &cell.column))
                    || rule.column(&cell.column).is_some()
            })
        });
        b.finish()
    }

    /// How many originals are searched for (not excluded).
    pub fn searched(&self) -> usize {
        self.excluded.iter().filter(|e| !**e).count()
    }

    /// How many originals the source also holds outside ruled columns.
    pub fn excluded(&self) -> usize {
        self.excluded.iter().filter(|e| **e).count()
    }

    /// Every original found in `output`, by position.
    pub fn leaks(&self, output: &[u8]) -> Vec<Leak> {
        self.ac
            .find_overlapping_iter(output)
            .filter_map(|m| {
                let (i, form) = self.owner[m.pattern().as_usize()];
                (!self.excluded[i]).then(|| Leak {
                    offset: m.start(),
                    table: self.origins[i].table.clone(),
                    column: self.origins[i].column.clone(),
                    form,
                })
            })
            .collect()
    }

    /// Fails, naming positions and columns (never values), if `output`
    /// holds an original; also if there was nothing to search for.
    pub fn assert_clean(&self, output: &[u8], what: &str) {
        assert!(
            self.searched() > 0,
            "{what}: the leak oracle found no original to search for"
        );
        eprintln!(
            "{what}: leak oracle searched {} originals ({} held outside ruled columns too)",
            self.searched(),
            self.excluded()
        );
        let leaks = self.leaks(output);
        if !leaks.is_empty() {
            let first: Vec<String> = leaks.iter().take(10).map(|l| l.to_string()).collect();
            panic!(
                "{what}: {} original value(s) of ruled columns in the output:\n  {}",
                leaks.len(),
                first.join("\n  ")
            );
        }
    }
}

fn unhex(h: &[u8]) -> Vec<u8> {
    let d = |c: u8| (c as char).to_digit(16).expect("hex digit") as u8;
    h.chunks(2).map(|p| d(p[0]) << 4 | d(p[1])).collect()
}

// ---------------------------------------------------------------------------
// The slow reader: statements, CREATE TABLE column lists, and every value of
// every data row with its byte span. Written for clarity, not speed, over
// real mariadb-dump and pg_dump output.

/// A table, as the dump names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TableName {
    pub schema: Option<String>,
    pub name: String,
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// One value of a data row: its column, its bytes in the dump, and what it
/// means (`None` for NULL or DEFAULT).
#[derive(Debug)]
pub struct Cell {
    pub column: String,
    pub span: Range<usize>,
    pub value: Option<Vec<u8>>,
}

#[derive(Debug)]
pub struct Row {
    pub table: TableName,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Default)]
struct TableDef {
    columns: Vec<String>,
    generated: Vec<String>,
}

/// What the slow reader learnt from a dump.
#[derive(Debug, Default)]
pub struct DumpData {
    defs: HashMap<TableName, TableDef>,
    parents: HashMap<TableName, TableName>,
    pub rows: Vec<Row>,
}

impl DumpData {
    fn generated(&self, t: &TableName, column: &str) -> bool {
        self.defs
            .get(t)
            .is_some_and(|d| d.generated.iter().any(|g| g == column))
    }

    /// Tables with rows, each with the columns its rows carry.
    fn tables_with_data(&self) -> Vec<(TableName, Vec<String>)> {
        let mut out: Vec<(TableName, Vec<String>)> = Vec::new();
        for row in &self.rows {
            let cols = match out.iter_mut().find(|(t, _)| *t == row.table) {
                Some((_, c)) => c,
                None => {
                    out.push((row.table.clone(), Vec::new()));
                    &mut out.last_mut().unwrap().1
                }
            };
            for cell in &row.cells {
                if !cols.contains(&cell.column) {
                    cols.push(cell.column.clone());
                }
            }
        }
        out
    }

    fn values<'a>(
        &'a self,
        t: &'a TableName,
        column: &'a str,
    ) -> impl Iterator<Item = Option<&'a Vec<u8>>> + 'a {
        self.rows
            .iter()
            .filter(move |r| r.table == *t)
            .flat_map(|r| r.cells.iter())
            .filter(move |c| c.column == column)
            .map(|c| c.value.as_ref())
    }
}

/// Reads every data row of a plain-text dump.
pub fn read_dump(dump: &[u8], dialect: Dialect) -> DumpData {
    match dialect {
        Dialect::MySql => read_mysql(dump),
        Dialect::Postgres => read_postgres(dump),
    }
}

fn starts_ci(b: &[u8], i: usize, s: &[u8]) -> bool {
    b.len() >= i + s.len() && b[i..i + s.len()].eq_ignore_ascii_case(s)
}

fn eol(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p)
}

fn find(b: &[u8], i: usize, s: &[u8]) -> Option<usize> {
    b.get(i..)?
        .windows(s.len())
        .position(|w| w == s)
        .map(|p| i + p)
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// A cursor over a statement; offsets are absolute in the dump.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
    dialect: Dialect,
}

impl Cur<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.peek(),
            Some(c),
            "slow reader: expected {:?} at byte {}",
            c as char,
            self.i
        );
        self.i += 1;
    }

    /// A bare word (keyword or unquoted identifier).
    fn word(&mut self) -> String {
        self.ws();
        let s = self.i;
        while self.peek().is_some_and(is_ident) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.b[s..self.i]).into_owned()
    }

    fn keyword(&mut self, kw: &str) -> bool {
        self.ws();
        let save = self.i;
        if self.word().eq_ignore_ascii_case(kw) {
            true
        } else {
            self.i = save;
            false
        }
    }

    /// An identifier: quoted (backticks or double quotes, the quote
    /// doubled inside) or bare.
    fn ident(&mut self) -> String {
        self.ws();
        let q = match self.dialect {
            Dialect::MySql => b'`',
            Dialect::Postgres => b'"',
        };
        if self.peek() != Some(q) {
            let w = self.word();
            assert!(
                !w.is_empty(),
                "slow reader: no identifier at byte {}",
                self.i
            );
            return w;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = self.peek().expect("unterminated identifier");
            self.i += 1;
            if c == q {
                if self.peek() == Some(q) {
                    self.i += 1;
                } else {
                    break;
                }
            }
            out.push(c);
        }
        String::from_utf8(out).unwrap()
    }

    fn table_name(&mut self) -> TableName {
        let mut parts = vec![self.ident()];
        while self.peek() == Some(b'.') {
            self.i += 1;
            parts.push(self.ident());
        }
        let name = parts.pop().unwrap();
        TableName {
            schema: parts.pop(),
            name,
        }
    }

    fn ident_list(&mut self) -> Vec<String> {
        self.expect(b'(');
        let mut out = Vec::new();
        loop {
            out.push(self.ident());
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b')') => {
                    self.i += 1;
                    return out;
                }
                other => panic!("slow reader: {other:?} in a column list at {}", self.i),
            }
        }
    }
}

/// Splits a CREATE TABLE body (after its `(`) into column names and
/// generated columns; leaves the cursor after the closing `)`.
fn table_def(c: &mut Cur) -> TableDef {
    c.expect(b'(');
    let mut def = TableDef::default();
    loop {
        c.ws();
        let start = c.i;
        // Up to the next top-level comma or the closing paren.
        let mut depth = 0;
        let mysql = c.dialect == Dialect::MySql;
        loop {
            match c.peek().expect("unterminated CREATE TABLE") {
                b'\'' => skip_string(c, mysql),
                b'"' if mysql => skip_string(c, true),
                b'"' | b'`' => {
                    c.ident();
                }
                b'(' => {
                    depth += 1;
                    c.i += 1
                }
                b')' if depth == 0 => break,
                b')' => {
                    depth -= 1;
                    c.i += 1
                }
                b',' if depth == 0 => break,
                _ => c.i += 1,
            }
        }
        let src = c.b;
        let item = &src[start..c.i];
        let mut ic = Cur {
            b: &src[..c.i],
            i: start,
            dialect: c.dialect,
        };
        let quoted = matches!(item.first(), Some(b'`' | b'"'));
        let first = ic.ident();
        // mariadb-dump quotes every column name, so an unquoted first word
        // starts an index or constraint; pg_dump leaves plain names bare
        // (even `key`), and writes table constraints with these words.
        const NOT_COLUMNS: &[&str] = &[
            "CONSTRAINT",
            "PRIMARY",
            "UNIQUE",
            "CHECK",
            "FOREIGN",
            "EXCLUDE",
            "LIKE",
        ];
        let column = match c.dialect {
            Dialect::MySql => quoted,
            Dialect::Postgres => {
                quoted || !NOT_COLUMNS.iter().any(|k| first.eq_ignore_ascii_case(k))
            }
        };
        if column {
            let upper = String::from_utf8_lossy(item).to_ascii_uppercase();
            if upper.contains("GENERATED ALWAYS AS (") {
                def.generated.push(first.clone());
            }
            def.columns.push(first);
        }
        let end = c.peek();
        c.i += 1;
        if end == Some(b')') {
            return def;
        }
    }
}

/// Skips a '...' string; `backslash` says whether backslash escapes.
fn skip_string(c: &mut Cur, backslash: bool) {
    string_value(c, backslash);
}

/// Reads a '...' (or "...") string at the cursor: MySQL string literal
/// escapes when `backslash` (`\0 \b \n \r \t \Z`, `\\`, `\'`, `\"`, and
/// `\%`, `\_` kept with their backslash), the quote doubled either way.
fn string_value(c: &mut Cur, backslash: bool) -> Vec<u8> {
    let q = c.peek().unwrap();
    c.i += 1;
    let mut out = Vec::new();
    loop {
        let ch = c.peek().expect("unterminated string");
        c.i += 1;
        if ch == q {
            if c.peek() == Some(q) {
                c.i += 1;
                out.push(q);
                continue;
            }
            return out;
        }
        if ch == b'\\' && backslash {
            let e = c.peek().expect("unterminated escape");
            c.i += 1;
            match e {
                b'0' => out.push(0),
                b'b' => out.push(8),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'Z' => out.push(0x1a),
                b'%' | b'_' => out.extend_from_slice(&[b'\\', e]),
                _ => out.push(e),
            }
            continue;
        }
        out.push(ch);
    }
}

/// PostgreSQL E'...' string: C-style backslash escapes.
fn escape_string_value(c: &mut Cur) -> Vec<u8> {
    c.i += 1; // the quote
    let mut out = Vec::new();
    loop {
        let ch = c.peek().expect("unterminated E'' string");
        c.i += 1;
        match ch {
            b'\'' if c.peek() == Some(b'\'') => {
                c.i += 1;
                out.push(b'\'');
            }
            b'\'' => return out,
            b'\\' => {
                let e = c.peek().unwrap();
                c.i += 1;
                match e {
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'0'..=b'7' => {
                        let mut v = (e - b'0') as u32;
                        for _ in 0..2 {
                            match c.peek() {
                                Some(d @ b'0'..=b'7') => {
                                    v = v * 8 + (d - b'0') as u32;
                                    c.i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push(v as u8);
                    }
                    b'x' => {
                        let s = c.i;
                        while c.i < s + 2 && c.peek().is_some_and(|d| d.is_ascii_hexdigit()) {
                            c.i += 1;
                        }
                        let h = std::str::from_utf8(&c.b[s..c.i]).unwrap();
                        out.push(u8::from_str_radix(h, 16).unwrap());
                    }
                    _ => out.push(e),
                }
            }
            _ => out.push(ch),
        }
    }
}

/// Reads an `INSERT ... VALUES (...), (...)` statement into rows.
fn insert(b: &[u8], stmt: Range<usize>, dialect: Dialect, data: &mut DumpData) {
    let mut c = Cur {
        b: &b[..stmt.end],
        i: stmt.start,
        dialect,
    };
    // INSERT|REPLACE [LOW_PRIORITY|DELAYED|HIGH_PRIORITY] [IGNORE] INTO
    while !c.keyword("INTO") {
        assert!(!c.word().is_empty(), "slow reader: INSERT without INTO");
    }
    let table = c.table_name();
    c.ws();
    let columns = if c.peek() == Some(b'(') {
        c.ident_list()
    } else {
        data.defs
            .get(&table)
            .unwrap_or_else(|| panic!("slow reader: no CREATE TABLE for {table}"))
            .columns
            .clone()
    };
    if c.keyword("OVERRIDING") {
        c.word();
        c.word(); // SYSTEM|USER VALUE
    }
    assert!(
        c.keyword("VALUES") || c.keyword("VALUE"),
        "slow reader: INSERT INTO {table} without VALUES"
    );
    loop {
        c.expect(b'(');
        let mut cells = Vec::new();
        loop {
            c.ws();
            let s = c.i;
            let value = match dialect {
                Dialect::MySql => mysql_value(&mut c),
                Dialect::Postgres => pg_value(&mut c),
            };
            let column = columns
                .get(cells.len())
                .unwrap_or_else(|| panic!("slow reader: too many values for {table}"))
                .clone();
            cells.push(Cell {
                column,
                span: s..c.i,
                value,
            });
            if dialect == Dialect::Postgres {
                skip_cast(&mut c);
            }
            c.ws();
            let sep = c.peek();
            c.i += 1;
            match sep {
                Some(b',') => {}
                Some(b')') => break,
                other => panic!("slow reader: {other:?} after a value at byte {}", c.i - 1),
            }
        }
        assert_eq!(cells.len(), columns.len(), "slow reader: a row of {table}");
        data.rows.push(Row {
            table: table.clone(),
            cells,
        });
        c.ws();
        match c.peek() {
            Some(b',') => c.i += 1,
            None => return,
            other => panic!("slow reader: {other:?} after a row of {table}"),
        }
    }
}

/// A bare token: a number, NULL, DEFAULT, true...
fn bare(c: &mut Cur) -> Option<Vec<u8>> {
    let s = c.i;
    while c
        .peek()
        .is_some_and(|x| !matches!(x, b',' | b')' | b':') && !x.is_ascii_whitespace())
    {
        c.i += 1;
    }
    let tok = &c.b[s..c.i];
    assert!(!tok.is_empty(), "slow reader: no value at byte {s}");
    if tok.eq_ignore_ascii_case(b"NULL") || tok.eq_ignore_ascii_case(b"DEFAULT") {
        None
    } else {
        Some(tok.to_vec())
    }
}

/// A MySQL value: '...', _charset'...', 0x.., X'..', or a bare token.
fn mysql_value(c: &mut Cur) -> Option<Vec<u8>> {
    match c.peek() {
        Some(b'\'' | b'"') => Some(string_value(c, true)),
        Some(b'_') => {
            while c.peek().is_some_and(is_ident) {
                c.i += 1;
            }
            c.ws();
            Some(string_value(c, true))
        }
        Some(b'0') if matches!(c.b.get(c.i + 1), Some(b'x' | b'X')) => {
            c.i += 2;
            let s = c.i;
            while c.peek().is_some_and(|d| d.is_ascii_hexdigit()) {
                c.i += 1;
            }
            Some(unhex(&c.b[s..c.i]))
        }
        Some(b'x' | b'X') if c.b.get(c.i + 1) == Some(&b'\'') => {
            c.i += 1;
            Some(unhex(&string_value(c, false)))
        }
        _ => bare(c),
    }
}

/// A PostgreSQL value: a standard '...' string (no backslash escapes, as
/// pg_dump writes with standard_conforming_strings on), E'...', or a bare
/// token.
fn pg_value(c: &mut Cur) -> Option<Vec<u8>> {
    match (c.peek(), c.b.get(c.i + 1)) {
        (Some(b'\''), _) => Some(string_value(c, false)),
        (Some(b'E' | b'e'), Some(b'\'')) => {
            c.i += 1;
            Some(escape_string_value(c))
        }
        _ => bare(c),
    }
}

/// `::type` after a PostgreSQL value (`'a'::public.mood`,
/// `'1'::character varying(20)[]`).
fn skip_cast(c: &mut Cur) {
    c.ws();
    if !c.b[c.i..].starts_with(b"::") {
        return;
    }
    c.i += 2;
    let mut depth = 0;
    loop {
        match c.peek().expect("unterminated cast") {
            b'"' => {
                c.ident();
            }
            b'(' => {
                depth += 1;
                c.i += 1
            }
            b')' if depth > 0 => {
                depth -= 1;
                c.i += 1
            }
            b',' | b')' if depth == 0 => return,
            _ => c.i += 1,
        }
    }
}

/// MySQL: statements end at the current delimiter (`DELIMITER ;;` around
/// routines and triggers) outside quotes and comments. `/*!...*/`
/// executable comments belong to their statement and are skipped whole.
fn read_mysql(b: &[u8]) -> DumpData {
    let mut data = DumpData::default();
    let mut delim: Vec<u8> = b";".to_vec();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b[i..].starts_with(b"-- ") || b[i..].starts_with(b"--\n") || c == b'#' {
            i = eol(b, i);
            continue;
        }
        if b[i..].starts_with(b"/*") && !b[i..].starts_with(b"/*!") {
            i = find(b, i + 2, b"*/").map_or(b.len(), |j| j + 2);
            continue;
        }
        if starts_ci(b, i, b"DELIMITER ") {
            let e = eol(b, i);
            delim = b[i + 10..e].trim_ascii().to_vec();
            i = e;
            continue;
        }
        let s = i;
        while i < b.len() && !b[i..].starts_with(&delim) {
            let mut cur = Cur {
                b,
                i,
                dialect: Dialect::MySql,
            };
            match b[i] {
                b'\'' | b'"' => skip_string(&mut cur, true),
                b'`' => {
                    cur.ident();
                }
                b'#' => cur.i = eol(b, i),
                b'-' if b[i..].starts_with(b"-- ") || b[i..].starts_with(b"--\n") => {
                    cur.i = eol(b, i)
                }
                b'/' if b[i..].starts_with(b"/*") => {
                    cur.i = find(b, i + 2, b"*/").map_or(b.len(), |j| j + 2)
                }
                _ => cur.i += 1,
            }
            i = cur.i;
        }
        statement(b, s..i, Dialect::MySql, &mut data);
        i += delim.len();
    }
    data
}

/// Reads what the oracle needs from one SQL statement.
fn statement(b: &[u8], stmt: Range<usize>, dialect: Dialect, data: &mut DumpData) {
    let mut c = Cur {
        b: &b[..stmt.end],
        i: stmt.start,
        dialect,
    };
    if starts_ci(b, stmt.start, b"INSERT") || starts_ci(b, stmt.start, b"REPLACE") {
        insert(b, stmt, dialect, data);
    } else if c.keyword("CREATE") {
        c.keyword("UNLOGGED");
        if !c.keyword("TABLE") {
            return;
        }
        if c.keyword("IF") {
            c.word();
            c.word(); // NOT EXISTS
        }
        let table = c.table_name();
        c.ws();
        if c.peek() != Some(b'(') {
            return; // PARTITION OF, OF type
        }
        let def = table_def(&mut c);
        if c.keyword("INHERITS") {
            c.expect(b'(');
            let parent = c.table_name();
            data.parents.insert(table.clone(), parent);
        }
        data.defs.insert(table, def);
    } else if c.keyword("ALTER") && c.keyword("TABLE") {
        c.keyword("ONLY");
        let parent = c.table_name();
        if c.keyword("ATTACH") && c.keyword("PARTITION") {
            let child = c.table_name();
            data.parents.insert(child, parent);
        }
    }
}

/// One COPY text-format field: `\N` is NULL; backslash escapes per the
/// PostgreSQL COPY documentation (\b \f \n \r \t \v, octal, \xHH, any
/// other character stands for itself).
pub fn copy_field(f: &[u8]) -> Option<Vec<u8>> {
    if f == b"\\N" {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < f.len() {
        if f[i] != b'\\' || i + 1 == f.len() {
            out.push(f[i]);
            i += 1;
            continue;
        }
        let e = f[i + 1];
        i += 2;
        match e {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = (e - b'0') as u32;
                let mut n = 1;
                while n < 3 && i < f.len() && (b'0'..=b'7').contains(&f[i]) {
                    v = v * 8 + (f[i] - b'0') as u32;
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            b'x' if i < f.len() && f[i].is_ascii_hexdigit() => {
                let s = i;
                while i < f.len() && i < s + 2 && f[i].is_ascii_hexdigit() {
                    i += 1;
                }
                let h = std::str::from_utf8(&f[s..i]).unwrap();
                out.push(u8::from_str_radix(h, 16).unwrap());
            }
            _ => out.push(e),
        }
    }
    Some(out)
}

/// PostgreSQL: statements end at `;` outside '...', E'...', "...",
/// $tag$...$tag$ and comments (`/* */` nest); a line starting with a
/// backslash between statements is a psql meta-command; `COPY ... FROM
/// stdin;` is followed by tab-separated rows up to a `\.` line.
fn read_postgres(b: &[u8]) -> DumpData {
    let mut data = DumpData::default();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b[i..].starts_with(b"--") || c == b'\\' {
            i = eol(b, i);
            continue;
        }
        if b[i..].starts_with(b"/*") {
            i = skip_pg_comment(b, i);
            continue;
        }
        let s = i;
        while i < b.len() && b[i] != b';' {
            let mut cur = Cur {
                b,
                i,
                dialect: Dialect::Postgres,
            };
            let after_ident = i > 0 && is_ident(b[i - 1]);
            match b[i] {
                b'\'' => {
                    let e =
                        i > 0 && matches!(b[i - 1], b'E' | b'e') && !(i > 1 && is_ident(b[i - 2]));
                    if e {
                        escape_string_value(&mut cur);
                    } else {
                        skip_string(&mut cur, false);
                    }
                }
                b'"' => {
                    cur.ident();
                }
                b'-' if b[i..].starts_with(b"--") => cur.i = eol(b, i),
                b'/' if b[i..].starts_with(b"/*") => cur.i = skip_pg_comment(b, i),
                b'$' if !after_ident => {
                    let tag_end = b[i + 1..]
                        .iter()
                        .position(|&x| !is_ident(x) || x == b'$')
                        .map(|p| i + 1 + p);
                    match tag_end {
                        Some(t)
                            if b[t] == b'$'
                                && !b[i + 1..t].first().is_some_and(u8::is_ascii_digit) =>
                        {
                            let tag = &b[i..=t];
                            cur.i =
                                find(b, t + 1, tag).expect("unterminated dollar quote") + tag.len();
                        }
                        _ => cur.i += 1,
                    }
                }
                _ => cur.i += 1,
            }
            i = cur.i;
        }
        let stmt = s..i;
        i += 1;
        let text = String::from_utf8_lossy(&b[stmt.clone()]);
        if starts_ci(b, s, b"COPY ") && text.trim_end().to_ascii_uppercase().ends_with("FROM STDIN")
        {
            let mut c = Cur {
                b: &b[..stmt.end],
                i: s + 4,
                dialect: Dialect::Postgres,
            };
            let table = c.table_name();
            let columns = c.ident_list();
            let mut line = eol(b, i) + 1;
            loop {
                let e = eol(b, line);
                assert!(line < b.len(), "slow reader: COPY {table} without \\.");
                let l = &b[line..e];
                if l == b"\\." || l == b"\\.\r" {
                    i = e;
                    break;
                }
                let mut cells = Vec::new();
                let mut f = line;
                for (k, field) in l.split(|&x| x == b'\t').enumerate() {
                    cells.push(Cell {
                        column: columns
                            .get(k)
                            .unwrap_or_else(|| {
                                panic!("slow reader: too many fields in COPY {table}")
                            })
                            .clone(),
                        span: f..f + field.len(),
                        value: copy_field(field),
                    });
                    f += field.len() + 1;
                }
                assert_eq!(
                    cells.len(),
                    columns.len(),
                    "slow reader: a COPY row of {table}"
                );
                data.rows.push(Row {
                    table: table.clone(),
                    cells,
                });
                line = e + 1;
            }
        } else {
            statement(b, stmt, Dialect::Postgres, &mut data);
        }
    }
    data
}

fn skip_pg_comment(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if b[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// The oracle's own test: `out` (a clean rewrite) with `planted` (one
/// original of column `at`, as the dump spells it) put back in its middle
/// must be reported, by position, table and column, in a message that
/// never holds the value.
pub fn assert_reports_planted(oracle: &Oracle, out: &[u8], planted: &[u8], at: (&str, &str)) {
    assert!(oracle.searched() > 0);
    let mut leaky = out[..out.len() / 2].to_vec();
    let from = leaky.len();
    leaky.extend_from_slice(planted);
    leaky.extend_from_slice(&out[out.len() / 2..]);
    let leaks = oracle.leaks(&leaky);
    assert!(!leaks.is_empty(), "the oracle missed a planted original");
    assert!(leaks
        .iter()
        .all(|l| l.offset >= from && l.offset < from + planted.len()));
    // The planted value, and any shorter original inside it (a user name
    // inside an e-mail), are each reported.
    let found = leaks
        .iter()
        .find(|l| (l.table.as_str(), l.column.as_str()) == at)
        .expect("the planted original is reported with its table and column");
    let message = std::panic::catch_unwind(|| oracle.assert_clean(&leaky, "planted"))
        .expect_err("assert_clean passed a leaky output");
    let message = message
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.contains(&format!("byte {}", found.offset)),
        "{message}"
    );
    assert!(message.contains(&format!("{}.{}", at.0, at.1)), "{message}");
    let value = String::from_utf8_lossy(planted);
    let inner = value.trim_matches(|c| c == '\'' || c == '\t');
    assert!(
        !message.contains(inner),
        "the oracle's message names the value"
    );
}
