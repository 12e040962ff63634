//! `dumpmask scan`: what a dump holds and which of its columns look
//! personal, from one pass at splitter speed. Every row is counted; values
//! are read only from sampled rows (the first rows of each table, then one
//! in [`SAMPLE_STRIDE`]), and only their shapes are kept: counts per
//! category, never a value. The findings become a starter rules file
//! ([`starter_rules`]) that `dumpmask check` accepts as it is.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::detect::{self, Category};
use super::{walk, ByTable, Visit};
use crate::error::Result;
use crate::format::Engine;
use crate::pipeline::Options;
use crate::rewrite::RowRead;
use crate::rules::{Rules, TablePlan};
use crate::schema::{Column, ColumnType, Table};

/// Rows of each table whose values are all sampled.
pub const SAMPLE_FIRST: u64 = 200;
/// After the first rows, one row in this many is sampled.
pub const SAMPLE_STRIDE: u64 = 64;
/// Values sampled per column at most.
pub const SAMPLE_MAX: u32 = 2000;

/// A share of sampled values of one shape that makes a column look
/// personal by its values alone.
const VALUE_SHARE: f64 = 0.6;

/// What the samples of one column showed.
#[derive(Debug, Default, Clone)]
struct Shapes {
    sampled: u32,
    by_category: BTreeMap<Category, u32>,
    json_docs: u32,
    json_paths: BTreeMap<String, (Category, u32)>,
}

#[derive(Debug, Default)]
struct TableSeen {
    rows: u64,
    columns: Vec<Shapes>,
}

struct Sampler {
    tables: ByTable<TableSeen>,
    buf: Vec<u8>,
    year: i32,
    json: Vec<(String, Category)>,
}

impl Visit for Sampler {
    fn row(&mut self, plan: &TablePlan, row: &RowRead) -> Result<()> {
        let t = self.tables.slot(plan, || TableSeen {
            rows: 0,
            columns: vec![Shapes::default(); plan.table.columns.len()],
        });
        t.rows += 1;
        if t.rows > SAMPLE_FIRST && !t.rows.is_multiple_of(SAMPLE_STRIDE) {
            return Ok(());
        }
        for (i, &col) in row.columns().iter().enumerate() {
            let shapes = &mut t.columns[col];
            if shapes.sampled >= SAMPLE_MAX {
                continue;
            }
            let Some(v) = row.value(i, &mut self.buf)? else {
                continue;
            };
            shapes.sampled += 1;
            if let Some(c) = detect::by_value(v, self.year) {
                *shapes.by_category.entry(c).or_default() += 1;
            }
            let first = v.iter().find(|b| !b.is_ascii_whitespace());
            if matches!(first, Some(b'{' | b'[')) {
                self.json.clear();
                detect::in_json(v, self.year, &mut self.json);
                shapes.json_docs += 1;
                for (path, c) in self.json.drain(..) {
                    shapes.json_paths.entry(path).or_insert((c, 0)).1 += 1;
                }
            }
        }
        Ok(())
    }
}

/// A column as scan saw it.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnFinding {
    /// Name.
    pub column: String,
    /// Declared type, as dumpmask reads it.
    #[serde(rename = "type")]
    pub ty: String,
    /// Under a UNIQUE constraint or the primary key, alone.
    pub unique: bool,
    /// Declared NOT NULL.
    pub not_null: bool,
    /// Generated from other columns (no dumped values).
    pub generated: bool,
    /// Non-NULL values sampled.
    pub sampled: u32,
    /// What it looks like, if personal.
    pub category: Option<Category>,
    /// Why: name evidence and value shapes, never a value.
    pub why: Vec<String>,
    /// Personal data inside JSON: path and category.
    pub json_paths: Vec<(String, Category)>,
}

/// A table as scan saw it.
#[derive(Debug, Clone, Serialize)]
pub struct TableFinding {
    /// Name as the rules file would match it.
    pub table: String,
    /// Rows in the dump.
    pub rows: u64,
    /// Columns in declaration order.
    pub columns: Vec<ColumnFinding>,
}

/// What a scan found.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// `mysql` or `postgres`.
    pub dialect: String,
    /// Bytes read (decompressed).
    pub bytes: u64,
    /// Every table the dump declares, by name.
    pub tables: Vec<TableFinding>,
    /// Columns that look personal.
    pub personal_columns: usize,
    /// The tables as declared, for [`starter_rules`].
    #[serde(skip)]
    pub schema: Vec<Table>,
}

impl ScanReport {
    /// Every personal-looking column as `table.column`.
    pub fn personal(&self) -> Vec<String> {
        self.tables
            .iter()
            .flat_map(|t| {
                t.columns
                    .iter()
                    .filter(|c| c.category.is_some())
                    .map(move |c| format!("{}.{}", t.table, c.column))
            })
            .collect()
    }
}

/// The current year, for what counts as a birth date.
fn this_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    1970 + (secs / 31_556_952) as i32
}

/// Scans the dump at `input` (`-`: standard input; compressed input and
/// pg_dump archives are read too).
pub fn scan(input: &str, engine: Option<Engine>, opts: &Options) -> Result<ScanReport> {
    let mut sampler = Sampler {
        tables: ByTable::default(),
        buf: Vec::new(),
        year: this_year(),
        json: Vec::new(),
    };
    let walked = walk(input, engine, Rules::empty(), opts, &mut sampler)?;
    let mut seen_tables: HashMap<String, TableSeen> = std::mem::take(&mut sampler.tables)
        .into_sorted()
        .into_iter()
        .collect();
    let mut tables = Vec::new();
    for table in &walked.tables {
        let display = table.name.to_string();
        let seen = seen_tables.remove(&display);
        let rows = seen.as_ref().map_or(0, |s| s.rows);
        let mut columns = Vec::new();
        for (i, col) in table.columns.iter().enumerate() {
            let shapes = seen
                .as_ref()
                .and_then(|s| s.columns.get(i).cloned())
                .unwrap_or_default();
            columns.push(judge(&display, col, &shapes));
        }
        tables.push(TableFinding {
            table: display,
            rows,
            columns,
        });
    }
    share_across_partitions(&mut tables, &walked.tables);
    let personal = tables
        .iter()
        .flat_map(|t| &t.columns)
        .filter(|c| c.category.is_some())
        .count();
    Ok(ScanReport {
        dialect: match walked.engine {
            Engine::MySql => "mysql".into(),
            Engine::Postgres => "postgres".into(),
        },
        bytes: walked.bytes_in,
        tables,
        personal_columns: personal,
        schema: walked.tables,
    })
}

/// Partitions and inheritance children hold rows of one logical table:
/// a column found personal in one of them (or their parent) is personal
/// in all, as rows of another partition may hold the same data while the
/// sample of this one did not show it.
fn share_across_partitions(tables: &mut [TableFinding], schema: &[Table]) {
    let family = |t: &Table| -> String {
        t.ancestors
            .last()
            .map_or_else(|| t.name.to_string(), |a| a.to_string())
    };
    let families: Vec<String> = tables
        .iter()
        .map(|f| {
            schema
                .iter()
                .find(|t| t.name.to_string() == f.table)
                .map_or_else(|| f.table.clone(), family)
        })
        .collect();
    let mut found: Vec<(String, String, ColumnFinding, String)> = Vec::new();
    for (t, fam) in tables.iter().zip(&families) {
        for c in t.columns.iter().filter(|c| c.category.is_some()) {
            found.push((fam.clone(), c.column.clone(), c.clone(), t.table.clone()));
        }
    }
    for (t, fam) in tables.iter_mut().zip(&families) {
        for c in t.columns.iter_mut().filter(|c| c.category.is_none()) {
            if let Some((_, _, f, from)) = found
                .iter()
                .find(|(ff, col, _, _)| ff == fam && *col == c.column)
            {
                c.category = f.category;
                c.json_paths = f.json_paths.clone();
                c.why = vec![format!(
                    "personal in {from}, of the same partitioned or inherited table"
                )];
            }
        }
    }
}

/// A type as a short name for people.
pub fn type_name(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Integer { bits, unsigned } => {
            format!("int{bits}{}", if *unsigned { " unsigned" } else { "" })
        }
        ColumnType::Decimal { precision, scale } => match precision {
            Some(p) => format!("decimal({p},{scale})"),
            None => "decimal".into(),
        },
        ColumnType::Float => "float".into(),
        ColumnType::Boolean => "boolean".into(),
        ColumnType::Text { max_chars, fixed } => match (max_chars, fixed) {
            (Some(n), true) => format!("char({n})"),
            (Some(n), false) => format!("varchar({n})"),
            (None, _) => "text".into(),
        },
        ColumnType::Binary { max_bytes } => match max_bytes {
            Some(n) => format!("binary({n})"),
            None => "blob".into(),
        },
        ColumnType::Date => "date".into(),
        ColumnType::Timestamp => "timestamp".into(),
        ColumnType::Time => "time".into(),
        ColumnType::Year => "year".into(),
        ColumnType::Json => "json".into(),
        ColumnType::Enum(m) => format!("enum({} members)", m.len()),
        ColumnType::Set(m) => format!("set({} members)", m.len()),
        ColumnType::Bit(n) => format!("bit({n})"),
        ColumnType::Other(s) if s.is_empty() => "unknown".into(),
        ColumnType::Other(s) => s.clone(),
    }
}

/// Words in a column name that say its dates are events, not births.
const EVENT_WORDS: &[&str] = &[
    "created",
    "updated",
    "modified",
    "deleted",
    "order",
    "ordered",
    "ship",
    "shipped",
    "release",
    "start",
    "end",
    "due",
    "paid",
    "payment",
    "hire",
    "hired",
    "rental",
    "return",
    "expires",
    "expiry",
    "valid",
    "last",
    "first",
    "login",
    "since",
    "joined",
    "registered",
    "opened",
    "closed",
    "from",
    "to",
    "until",
    "at",
    "on",
    "effective",
    "published",
    "issued",
    "visit",
];

/// Can a column of type `ty` hold data of category `c`?
fn fits_type(c: Category, ty: &ColumnType) -> bool {
    match ty {
        ColumnType::Boolean
        | ColumnType::Enum(_)
        | ColumnType::Set(_)
        | ColumnType::Bit(_)
        | ColumnType::Time
        | ColumnType::Year => false,
        ColumnType::Date | ColumnType::Timestamp => c == Category::BirthDate,
        ColumnType::Integer { .. } | ColumnType::Decimal { .. } | ColumnType::Float => matches!(
            c,
            Category::Phone
                | Category::NationalId
                | Category::PostalCode
                | Category::Card
                | Category::Location
        ),
        _ => c != Category::Location || !matches!(ty, ColumnType::Text { .. }),
    }
}

/// Decides whether a column looks personal, and says why.
fn judge(table: &str, col: &Column, shapes: &Shapes) -> ColumnFinding {
    let mut why = Vec::new();
    let mut category = None;
    if let Some((c, reason)) = detect::by_name(table, &col.name) {
        // A name says nothing where the type cannot hold such data (a
        // `last_login` timestamp is no user name).
        if fits_type(c, &col.ty) {
            why.push(reason);
            category = Some(c);
        }
    }
    let textual = matches!(
        col.ty,
        ColumnType::Text { .. }
            | ColumnType::Other(_)
            | ColumnType::Json
            | ColumnType::Binary { .. }
    );
    let dated = matches!(col.ty, ColumnType::Date | ColumnType::Timestamp) || textual;
    if let Some((&c, &n)) = shapes.by_category.iter().max_by_key(|(_, n)| **n) {
        let share = f64::from(n) / f64::from(shapes.sampled.max(1));
        let fits = match c {
            Category::BirthDate => {
                dated
                    && !detect::words(&col.name)
                        .iter()
                        .any(|w| EVENT_WORDS.contains(&w.as_str()))
                    && share >= 0.9
            }
            _ => textual && share >= VALUE_SHARE,
        };
        if fits {
            why.push(format!(
                "{n} of {} sampled values look like {}",
                shapes.sampled,
                describe(c)
            ));
            if category.is_none() {
                category = Some(c);
            }
        }
    }
    let mut json_paths = Vec::new();
    if shapes.json_docs > 0 {
        for (path, (c, n)) in &shapes.json_paths {
            if f64::from(*n) / f64::from(shapes.json_docs) >= 0.2 {
                json_paths.push((path.clone(), *c));
            }
        }
        if !json_paths.is_empty() {
            let list: Vec<String> = json_paths
                .iter()
                .map(|(p, c)| format!("{p} ({})", c.as_str()))
                .collect();
            why.push(format!(
                "personal data inside JSON in {} sampled documents at {}",
                shapes.json_docs,
                list.join(", ")
            ));
            if category.is_none() || category == Some(Category::Json) {
                category = Some(Category::Json);
            }
        }
    }
    ColumnFinding {
        column: col.name.clone(),
        ty: type_name(&col.ty),
        unique: col.unique,
        not_null: col.not_null,
        generated: col.generated,
        sampled: shapes.sampled,
        category,
        why,
        json_paths,
    }
}

fn describe(c: Category) -> &'static str {
    match c {
        Category::Email => "e-mail addresses",
        Category::Phone => "phone numbers",
        Category::Iban => "IBANs with valid check digits",
        Category::Card => "card numbers with a valid Luhn check",
        Category::Ip => "IP addresses",
        Category::NationalId => "national identifiers (format and check digits)",
        Category::BirthDate => "birth dates (a person 14 to 110 years old)",
        other => other.as_str(),
    }
}

/// The rule a category gets on a column, best first; later ones are
/// fall-backs for when the column's type or constraints refuse it.
fn candidates(f: &ColumnFinding, col: &Column) -> Vec<String> {
    let Some(c) = f.category else {
        return vec!["\"keep\"".into()];
    };
    let unique = f.unique;
    let u = if unique { ", unique = true" } else { "" };
    let integer = matches!(col.ty, ColumnType::Integer { .. });
    let mut v: Vec<String> = Vec::new();
    let simple = |name: &str| format!("{{ transform = \"{name}\"{u} }}");
    match c {
        Category::Phone if integer => {}
        Category::Address if f.column.to_lowercase().contains("street") => v.push(simple("street")),
        Category::BirthDate if matches!(col.ty, ColumnType::Date | ColumnType::Timestamp) => {
            v.push(format!("{{ transform = \"date_shift\", days = 60{u} }}"))
        }
        Category::Location => v.push(format!(
            "{{ transform = \"number_noise\", percent = 1{u} }}"
        )),
        Category::FreeText => v.push("{ transform = \"fixed\", value = \"REDACTED\" }".into()),
        Category::Json => {
            let paths: Vec<String> = f
                .json_paths
                .iter()
                .map(|(p, c)| format!("\"{p}\" = \"{}\"", c.transformer().unwrap_or("mask")))
                .collect();
            v.push(format!(
                "{{ transform = \"json\", paths = {{ {} }} }}",
                paths.join(", ")
            ));
        }
        other => v.extend(other.transformer().map(simple)),
    }
    // Fall-backs: a format-preserving mask (distinct where it must be),
    // a keyed hash, NULL, a fixed text.
    v.push(simple("mask"));
    if !unique {
        v.push("{ transform = \"hash\" }".into());
        if !col.not_null {
            v.push("\"null\"".into());
        }
        v.push("{ transform = \"fixed\", value = \"REDACTED\" }".into());
    }
    v
}

/// A TOML key: quoted, with `"` and `\` escaped.
fn key(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A comment line: no line breaks.
fn comment(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Writes the rules with `choice[t][c]` picking each column's candidate.
fn render(report: &ScanReport, choice: &[Vec<usize>], secret: &str, source: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Starter rules written by `dumpmask scan` from {}.\n# Review every rule before use: scan judges by column names and sampled\n# value shapes, and can miss personal data or flag data that is not.\n# Columns without a personal look are kept as they are (`keep`).\n\n",
        comment(source)
    ));
    out.push_str(secret);
    out.push_str("\n[options]\nstrict = true\n");
    for (ti, t) in report.tables.iter().enumerate() {
        let Some(table) = report.schema.iter().find(|s| s.name.to_string() == t.table) else {
            continue;
        };
        out.push_str(&format!(
            "\n# {} row(s)\n[tables.{}.columns]\n",
            t.rows,
            key(&t.table)
        ));
        for (ci, f) in t.columns.iter().enumerate() {
            if f.generated {
                out.push_str(&format!(
                    "# {}: generated from other columns (rule those); no rule here\n",
                    comment(&f.column)
                ));
                continue;
            }
            let cands = candidates(f, &table.columns[ci]);
            let pick = choice[ti][ci];
            if let Some(c) = f.category {
                out.push_str(&format!(
                    "# {} ({}): {}\n",
                    c.as_str(),
                    f.ty,
                    comment(&f.why.join("; "))
                ));
            }
            match cands.get(pick) {
                Some(rule) => out.push_str(&format!("{} = {rule}\n", key(&f.column))),
                None => out.push_str(&format!(
                    "# REVIEW: no transformer fits this {} column as declared; kept\n{} = \"keep\"\n",
                    f.ty,
                    key(&f.column)
                )),
            }
        }
    }
    out
}

/// The starter rules for a scanned dump: strict, a commented rule per
/// personal column fitted to its type and constraints (each checked by
/// binding it to the table, falling back to a rule that fits), `keep` for
/// every other column. `source` names the dump in the header comment.
pub fn starter_rules(report: &ScanReport, source: &str) -> String {
    let mut choice: Vec<Vec<usize>> = report
        .tables
        .iter()
        .map(|t| vec![0; t.columns.len()])
        .collect();
    // Binding needs a key; a random one stands in for the user's.
    for _ in 0..6 {
        let text = render(report, &choice, "[secret]\nrandom = true\n", source);
        let Ok(mut rules) = Rules::parse(&text, "starter rules", None) else {
            break;
        };
        rules.set_quiet(true);
        rules.collect_problems();
        let mut changed = false;
        for (ti, t) in report.tables.iter().enumerate() {
            let Some(table) = report.schema.iter().find(|s| s.name.to_string() == t.table) else {
                continue;
            };
            let (_, problems) = rules.bind_checked(table);
            for p in problems {
                let Some(col) = p.column.as_deref() else {
                    continue;
                };
                if let Some(ci) = t.columns.iter().position(|c| c.column == col) {
                    choice[ti][ci] += 1;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    render(
        report,
        &choice,
        "[secret]\nenv = \"DUMPMASK_SECRET\"  # or: file = \"secret.key\"\n",
        source,
    )
}
