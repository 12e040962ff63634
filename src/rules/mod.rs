//! The rules file: its TOML shape, the secret, and the per-table plans
//! compiled from it.
//!
//! Rules are read and checked once, up front; each table the dump declares
//! is then bound to the rules that name it, producing a [`TablePlan`]
//! indexed by column position. Nothing here knows dump syntax.

pub mod cond;
pub mod fake;
pub mod fpe;
pub mod library;
pub mod transform;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::error::{display_path, Error, Result};
use crate::schema::{Column, ColumnType, Table};
use crate::sql::QualifiedName;
use transform::{Alphabet, Fixed, Generated, Hash, Keep, Null, Prf, SetLiteral, Transform};

/// The environment variable the secret is read from by default.
pub const DEFAULT_SECRET_ENV: &str = "DUMPMASK_SECRET";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    secret: Option<SecretSpec>,
    #[serde(default)]
    options: OptionsSpec,
    #[serde(default)]
    tables: BTreeMap<String, TableSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretSpec {
    env: Option<String>,
    file: Option<PathBuf>,
    /// A random key for this run only: pseudonyms differ from run to run
    /// (no joins across runs), for one-off shares.
    #[serde(default)]
    random: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsSpec {
    #[serde(default)]
    strict: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableSpec {
    #[serde(default)]
    columns: BTreeMap<String, toml::Value>,
    drop_when: Option<String>,
    sample_percent: Option<toml::Value>,
    #[serde(default)]
    truncate: bool,
    #[serde(default)]
    when: Vec<WhenSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhenSpec {
    #[serde(rename = "if")]
    condition: String,
    #[serde(default)]
    columns: BTreeMap<String, toml::Value>,
    #[serde(default)]
    set: BTreeMap<String, toml::Value>,
}

/// A column's transformer as written in the rules, with its options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformSpec {
    /// The transformer's name (see the README's table).
    pub transform: String,
    /// Two distinct inputs must never give the same output.
    #[serde(default)]
    pub unique: bool,
    /// `fixed`: the literal to write.
    pub value: Option<toml::Value>,
    /// `hash`: output length; `truncate`: characters kept.
    pub length: Option<usize>,
    /// `hash`: output characters (`hex`, `alnum`, ... or a literal list).
    pub alphabet: Option<String>,
    /// Keyed transformers: columns with the same domain share one mapping.
    pub domain: Option<String>,
    /// `json`: transformers for paths inside the value.
    pub paths: Option<toml::Value>,
    /// Apply only to rows where this condition holds.
    pub when: Option<String>,
    /// `email`: keep the original domain.
    pub keep_domain: Option<bool>,
    /// `partial`: characters kept at the start.
    pub keep_first: Option<usize>,
    /// `partial`: characters kept at the end.
    pub keep_last: Option<usize>,
    /// `partial`: the fill character.
    pub fill: Option<String>,
    /// `credit_card`: keep the last four digits.
    pub keep_last4: Option<bool>,
    /// `ipv4`/`ipv6`: network bits kept.
    pub keep_prefix: Option<u32>,
    /// `date_shift`: largest shift in days.
    pub days: Option<u32>,
    /// `number_noise`: largest change in percent.
    pub percent: Option<f64>,
    /// `regex`: the pattern.
    pub pattern: Option<String>,
    /// `regex`: the replacement (`$1` for groups).
    pub replacement: Option<String>,
    /// `template`: the text, with `{column}` (rewritten value) and
    /// `{column.original}` placeholders.
    pub template: Option<String>,
    /// `mask`: mask letters too (default true).
    pub letters: Option<bool>,
}

impl TransformSpec {
    /// A spec with only a transformer name.
    pub fn named(name: &str) -> TransformSpec {
        TransformSpec {
            transform: name.to_string(),
            unique: false,
            value: None,
            length: None,
            alphabet: None,
            domain: None,
            paths: None,
            when: None,
            keep_domain: None,
            keep_first: None,
            keep_last: None,
            fill: None,
            keep_last4: None,
            keep_prefix: None,
            days: None,
            percent: None,
            pattern: None,
            replacement: None,
            template: None,
            letters: None,
        }
    }
}

/// Which tables a rules entry applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TablePattern {
    /// `customers`: that table in any schema.
    Bare(String),
    /// `crm.customers`.
    Qualified(String, String),
    /// `log_*`, `crm.*`: a glob over the bare or the qualified name.
    Glob(String),
}

impl TablePattern {
    fn parse(key: &str) -> TablePattern {
        if key.contains(['*', '?', '[']) {
            return TablePattern::Glob(key.to_string());
        }
        match key.split_once('.') {
            Some((s, t)) => TablePattern::Qualified(s.to_string(), t.to_string()),
            None => TablePattern::Bare(key.to_string()),
        }
    }

    /// The pattern in lower case.
    fn folded(&self) -> TablePattern {
        match self {
            TablePattern::Bare(t) => TablePattern::Bare(t.to_ascii_lowercase()),
            TablePattern::Qualified(s, t) => {
                TablePattern::Qualified(s.to_ascii_lowercase(), t.to_ascii_lowercase())
            }
            TablePattern::Glob(g) => TablePattern::Glob(g.to_ascii_lowercase()),
        }
    }

    /// How specific a match is, higher wins; `None` if it does not match.
    fn rank(&self, name: &QualifiedName) -> Option<u8> {
        match self {
            TablePattern::Qualified(s, t) => {
                (name.schema.as_deref() == Some(s.as_str()) && &name.name == t).then_some(3)
            }
            TablePattern::Bare(t) => (&name.name == t).then_some(2),
            TablePattern::Glob(g) => {
                let hit = if g.contains('.') {
                    name.schema.as_ref().is_some_and(|s| {
                        glob_match(g.as_bytes(), format!("{s}.{}", name.name).as_bytes())
                    })
                } else {
                    glob_match(g.as_bytes(), name.name.as_bytes())
                };
                hit.then_some(1)
            }
        }
    }
}

/// Shell-style glob: `*` any run, `?` one byte, `[abc]` a class.
fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some(close) = pat[p + 1..].iter().position(|&c| c == b']') {
                        let class = &pat[p + 1..p + 1 + close];
                        if class.contains(&s[i]) {
                            p += close + 2;
                            i += 1;
                            continue;
                        }
                    } else if s[i] == b'[' {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
                c if c == s[i] => {
                    p += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, si)) => {
                p = sp + 1;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

#[derive(Debug, Clone)]
struct ColumnRule {
    name: String,
    span: Range<usize>,
    spec: TransformSpec,
}

/// Rules that hold only where a condition does: a `[[tables.T.when]]`
/// block, or a column rule with its own `when`.
#[derive(Debug, Clone)]
struct BlockRule {
    cond: cond::Cond,
    span: Range<usize>,
    columns: Vec<ColumnRule>,
    /// `set = { col = literal }`.
    set: Vec<(String, Vec<u8>)>,
}

#[derive(Debug, Clone)]
struct TableRule {
    key: String,
    span: Range<usize>,
    pattern: TablePattern,
    columns: Vec<ColumnRule>,
    truncate: bool,
    drop_when: Option<cond::Cond>,
    /// Keep this share of rows, in millionths.
    sample_per_million: Option<u32>,
    blocks: Vec<BlockRule>,
    /// Schemas of the tables this rule matched (bare names must not match
    /// in two schemas), and whether it matched at all.
    matched: Vec<Option<String>>,
}

/// What kind of problem binding found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A rule names a table or column the dump lacks, or is ambiguous.
    UnknownName,
    /// Strict mode: a column has no rule.
    Uncovered,
    /// A rule's output cannot fit its column.
    TypeConflict,
    /// A rule on a UNIQUE or primary key column does not promise distinct
    /// outputs.
    UniqueNotPromised,
}

/// A problem between the rules and the dump's schema.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Problem {
    /// Its kind.
    pub kind: ProblemKind,
    /// The table.
    pub table: String,
    /// The column, where one is concerned.
    pub column: Option<String>,
    /// A message naming the rules file position.
    pub message: String,
}

/// The rules, checked and ready to bind to tables.
#[derive(Debug, Clone)]
pub struct Rules {
    path: String,
    text: String,
    strict: bool,
    prf: Option<Arc<Prf>>,
    tables: Vec<TableRule>,
    /// Print no warnings (`--quiet`).
    quiet: bool,
    /// A warning about the secret, printed when binding starts.
    secret_warning: Option<String>,
    /// `dumpmask check`: collect problems instead of failing on them.
    collect: Option<Vec<Problem>>,
    /// Strict coverage, by table: what its latest binding left uncovered.
    /// A partition or child is bound again when it is linked to its
    /// parent, whose rules may cover it; so coverage is judged on the last
    /// binding (`check`), or when the table's rows arrive (`run`).
    uncovered: std::collections::HashMap<String, String>,
    /// Warnings already printed (each is printed once).
    warned: std::collections::BTreeSet<String>,
}

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
    /// Is a row with these key values kept?
    pub fn keeps(&self, key_values: &[u8]) -> bool {
        let h = self.prf.derive(self.domain.as_bytes(), key_values, 0);
        let x = u64::from_le_bytes(h[..8].try_into().unwrap_or([0; 8]));
        x % 1_000_000 < self.per_million as u64
    }
}

impl TablePlan {
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

impl Rules {
    /// Reads a rules file from disk.
    pub fn load(path: &Path) -> Result<Rules> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading rules file {}", display_path(path)), e))?;
        Rules::parse(&text, &display_path(path), path.parent())
    }

    /// No rules at all: every byte passes through.
    pub fn empty() -> Rules {
        Rules {
            path: "<none>".into(),
            text: String::new(),
            strict: false,
            prf: None,
            tables: Vec::new(),
            quiet: false,
            warned: Default::default(),
            secret_warning: None,
            collect: None,
            uncovered: Default::default(),
        }
    }

    /// Collects problems instead of failing on the first (`check`).
    pub fn collect_problems(&mut self) {
        self.collect = Some(Vec::new());
    }

    /// The problems collected so far, each once.
    pub fn take_problems(&mut self) -> Vec<Problem> {
        let mut all = self.collect.take().unwrap_or_default();
        let mut seen = std::collections::BTreeSet::new();
        all.retain(|p| seen.insert(p.message.clone()));
        self.collect = Some(Vec::new());
        all
    }

    /// Prints no warnings.
    pub fn set_quiet(&mut self, quiet: bool) {
        self.quiet = quiet;
    }

    /// Prints a warning once (never a data value: messages name tables,
    /// columns and rules positions).
    fn warn(&mut self, message: String) {
        if !self.quiet && self.warned.insert(message.clone()) {
            eprintln!("dumpmask: warning: {message}");
        }
    }

    /// Parses rules text. `base` is where a relative secret file is looked
    /// up (the rules file's folder).
    pub fn parse(text: &str, path: &str, base: Option<&Path>) -> Result<Rules> {
        let at = |span: Option<Range<usize>>, msg: String, hint: &str| -> Error {
            let loc = span
                .map(|s| {
                    let (line, col) = line_col(text, s.start);
                    format!("{path}:{line}:{col}: ")
                })
                .unwrap_or_else(|| format!("{path}: "));
            let hint = if hint.is_empty() {
                String::new()
            } else {
                format!("\n  hint: {hint}")
            };
            Error::rules(format!("{loc}{msg}{hint}"))
        };
        let spec: FileSpec = toml::from_str(text).map_err(|e| {
            at(
                e.span(),
                e.message().trim().to_string(),
                "see the rules file reference in the README",
            )
        })?;
        let mut tables = Vec::new();
        let mut needs_key = false;
        for (key, t) in spec.tables {
            let span = table_key_span(text, &key);
            // A column rule: its transformer spec, checked now.
            let column_rule = |name: String,
                               v: toml::Value,
                               from: usize,
                               needs_key: &mut bool|
             -> Result<ColumnRule> {
                let span = column_key_span(text, from, &name);
                let spec = transform_spec(v).map_err(|m| {
                    at(
                        Some(span.clone()),
                        format!("column `{name}` of table `{key}`: {m}"),
                        "a column takes a transformer name (\"keep\", \"null\", \"hash\") or a table like { transform = \"fixed\", value = \"X\" }",
                    )
                })?;
                *needs_key |= is_keyed(&spec.transform);
                // Build once without a column to check the options now.
                let probe_prf = Arc::new(Prf::new(b"probe"));
                build_transform(&spec, None, Some(&probe_prf)).map_err(|m| {
                    at(
                        Some(span.clone()),
                        format!("column `{name}` of table `{key}`: {m}"),
                        "",
                    )
                })?;
                Ok(ColumnRule { name, span, spec })
            };
            let condition = |src: &str, span: &Range<usize>, what: &str| -> Result<cond::Cond> {
                cond::parse(src).map_err(|e| {
                    at(
                        Some(span.clone()),
                        format!("{what} of table `{key}`: {} at character {} of the condition", e.what, e.at + 1),
                        "conditions are SQL: col = 'x' AND other < 10, IN (..), IS NULL, LIKE, NOT, parentheses",
                    )
                })
            };
            let mut columns = Vec::new();
            let mut blocks = Vec::new();
            for (name, v) in t.columns {
                let mut rule = column_rule(name, v, span.start, &mut needs_key)?;
                match rule.spec.when.take() {
                    Some(w) => {
                        let c = condition(
                            &w,
                            &rule.span,
                            &format!("`when` of column `{}`", rule.name),
                        )?;
                        blocks.push(BlockRule {
                            cond: c,
                            span: rule.span.clone(),
                            columns: vec![rule],
                            set: Vec::new(),
                        });
                    }
                    None => columns.push(rule),
                }
            }
            let drop_when = match &t.drop_when {
                Some(d) => Some(condition(
                    d,
                    &column_key_span(text, span.start, "drop_when"),
                    "`drop_when`",
                )?),
                None => None,
            };
            let sample_per_million = match &t.sample_percent {
                None => None,
                Some(v) => {
                    let pct = v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
                    match pct {
                        Some(p) if (0.0..=100.0).contains(&p) => {
                            needs_key = true;
                            Some((p * 10_000.0).round() as u32)
                        }
                        _ => {
                            return Err(at(
                                Some(column_key_span(text, span.start, "sample_percent")),
                                format!(
                                "`sample_percent` of table `{key}` must be a number from 0 to 100"
                            ),
                                "",
                            ))
                        }
                    }
                }
            };
            let mut search_from = span.start;
            for w in t.when {
                let if_span = text[search_from..]
                    .find("if")
                    .map(|i| search_from + i)
                    .map_or(span.clone(), |i| i..i);
                search_from = if_span.start + 1;
                let c = condition(&w.condition, &if_span, "`when`")?;
                let mut cols = Vec::new();
                for (name, v) in w.columns {
                    let rule = column_rule(name, v, if_span.start, &mut needs_key)?;
                    if rule.spec.when.is_some() {
                        return Err(at(
                            Some(rule.span),
                            "a rule inside a `when` block takes no `when` of its own".into(),
                            "",
                        ));
                    }
                    cols.push(rule);
                }
                let mut set = Vec::new();
                for (name, v) in w.set {
                    let lit = literal_bytes(&v).map_err(|m| {
                        at(
                            Some(column_key_span(text, if_span.start, &name)),
                            format!("`set` of column `{name}`: {m}"),
                            "",
                        )
                    })?;
                    set.push((name, lit));
                }
                blocks.push(BlockRule {
                    cond: c,
                    span: if_span,
                    columns: cols,
                    set,
                });
            }
            tables.push(TableRule {
                pattern: TablePattern::parse(&key),
                key,
                span,
                columns,
                truncate: t.truncate,
                drop_when,
                sample_per_million,
                blocks,
                matched: Vec::new(),
            });
        }
        let mut secret_warning = None;
        let prf = if needs_key {
            let (secret, what) = read_secret(spec.secret.as_ref(), base)
                .map_err(|m| {
                    at(
                        text.find("[secret]").map(|i| i..i),
                        m,
                        "export the secret in the environment variable, or point [secret] file at a file holding it",
                    )
                })?;
            if secret.len() < 16 {
                secret_warning = Some(format!(
                    "the secret from {what} is {} bytes; use at least 16 random bytes",
                    secret.len()
                ));
            }
            Some(Arc::new(Prf::new(&secret)))
        } else {
            None
        };
        Ok(Rules {
            path: path.to_string(),
            text: text.to_string(),
            strict: spec.options.strict,
            prf,
            tables,
            quiet: false,
            warned: Default::default(),
            secret_warning,
            collect: None,
            uncovered: Default::default(),
        })
    }

    /// SHA-256 of the rules text, hex: names the rules a run used without
    /// holding them (the file holds no secret, only where to find it).
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let d = sha2::Sha256::digest(self.text.as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Is strict coverage asked for (rules file or command line)?
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Requires every data column of every table with data to have a rule.
    pub fn set_strict(&mut self, strict: bool) {
        self.strict |= strict;
    }

    fn span_loc(&self, span: &Range<usize>) -> String {
        let (line, col) = line_col(&self.text, span.start);
        format!("{}:{line}:{col}", self.path)
    }

    /// Binds the rules to a table the dump declares. `None` when no rule
    /// touches the table (its bytes pass through untouched). Any problem
    /// but a missing uniqueness promise is an error.
    pub fn bind(&mut self, table: &Table) -> Result<Option<Arc<TablePlan>>> {
        let (plan, mut problems) = self.bind_checked(table);
        let display = table.name.to_string();
        match problems
            .iter()
            .position(|p| p.kind == ProblemKind::Uncovered)
        {
            Some(i) => {
                let p = problems.remove(i);
                self.uncovered.insert(display.clone(), p.message.clone());
                if let Some(c) = self.collect.as_mut() {
                    c.retain(|q| !(q.kind == ProblemKind::Uncovered && q.table == display));
                    c.push(p);
                }
            }
            None => {
                self.uncovered.remove(&display);
                if let Some(c) = self.collect.as_mut() {
                    c.retain(|q| !(q.kind == ProblemKind::Uncovered && q.table == display));
                }
            }
        }
        if let Some(c) = self.collect.as_mut() {
            c.extend(problems);
            return Ok(plan);
        }
        let mut errors = Vec::new();
        for p in problems {
            if let Some(w) = self.secret_warning.take() {
                self.warn(w);
            }
            if p.kind == ProblemKind::UniqueNotPromised {
                self.warn(p.message);
            } else {
                errors.push(p.message);
            }
        }
        if !errors.is_empty() {
            return Err(Error::rules(errors.join("\n")));
        }
        Ok(plan)
    }

    /// Strict mode: fails if the latest binding of `table` left columns
    /// uncovered (called when its rows arrive).
    pub fn check_coverage(&self, table: &QualifiedName) -> Result<()> {
        if self.collect.is_some() {
            return Ok(());
        }
        match self.uncovered.get(&table.to_string()) {
            Some(m) => Err(Error::rules(m.clone()).in_table(table.to_string())),
            None => Ok(()),
        }
    }

    /// A table learned a UNIQUE or PRIMARY KEY constraint after its data
    /// (PostgreSQL post-data): reports rules on it that do not promise
    /// distinct outputs.
    pub fn recheck_unique(&mut self, table: &Table) {
        let matched: Vec<Vec<Option<String>>> =
            self.tables.iter().map(|r| r.matched.clone()).collect();
        let (_, problems) = self.bind_checked(table);
        for (r, m) in self.tables.iter_mut().zip(matched) {
            r.matched = m;
        }
        for p in problems {
            if p.kind != ProblemKind::UniqueNotPromised {
                continue;
            }
            match self.collect.as_mut() {
                Some(c) => c.push(p),
                None => self.warn(p.message),
            }
        }
    }

    /// Binds the rules to a table, collecting every problem instead of
    /// stopping at the first (for `dumpmask check`).
    pub fn bind_checked(&mut self, table: &Table) -> (Option<Arc<TablePlan>>, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut hits: Vec<(u8, usize)> = self
            .tables
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let own = r.pattern.rank(&table.name);
                let above = table
                    .ancestors
                    .iter()
                    .filter_map(|p| r.pattern.rank(p))
                    .max();
                own.max(above).map(|k| (k, i))
            })
            .collect();
        // Most specific last, so its column rules win.
        hits.sort();
        let display = table.name.to_string();
        let mut actions: Vec<Option<Arc<dyn Transform>>> = vec![None; table.columns.len()];
        let mut drop_all = false;
        let mut drop_when = None;
        let mut sample = None;
        let mut blocks = Vec::new();
        // (rule, block within the rule) -> index in `blocks`.
        let mut block_index: std::collections::HashMap<(usize, usize), usize> = Default::default();
        let mut problem = |kind: ProblemKind, column: Option<&str>, message: String| {
            problems.push(Problem {
                kind,
                table: display.clone(),
                column: column.map(str::to_string),
                message,
            })
        };
        for &(_, i) in &hits {
            let rule = &self.tables[i];
            drop_all |= rule.truncate;
            let glob = matches!(rule.pattern, TablePattern::Glob(_));
            let bind_column =
                |c: &ColumnRule, problem: &mut dyn FnMut(ProblemKind, Option<&str>, String)| {
                    let Some(idx) = table.column_index(&c.name) else {
                        if !glob {
                            let have: Vec<&str> =
                                table.columns.iter().map(|c| c.name.as_str()).collect();
                            problem(
                            ProblemKind::UnknownName,
                            Some(&c.name),
                            format!(
                                "{}: rule for column `{}` of `{}`, but table {display} has no such column; it has: {}",
                                self.span_loc(&c.span),
                                c.name,
                                rule.key,
                                have.join(", ")
                            ),
                        );
                        }
                        return None;
                    };
                    let col = &table.columns[idx];
                    if col.generated {
                        problem(
                        ProblemKind::TypeConflict,
                        Some(&col.name),
                        format!(
                            "{}: column `{}` of table {display} is generated from other columns and has no dumped values; rule the columns it is computed from",
                            self.span_loc(&c.span),
                            col.name
                        ),
                    );
                        return None;
                    }
                    match build_transform(&c.spec, Some(col), self.prf.as_ref()) {
                        Ok(t) => {
                            if col.unique && !c.spec.unique && !matches!(t.name(), "keep" | "null")
                            {
                                problem(
                                ProblemKind::UniqueNotPromised,
                                Some(&col.name),
                                format!(
                                    "{}: column {display}.{} is UNIQUE or a primary key, and `{}` does not promise distinct outputs (add unique = true with a transformer that can keep it)",
                                    self.span_loc(&c.span),
                                    col.name,
                                    t.name()
                                ),
                            );
                            }
                            Some((idx, t))
                        }
                        Err(m) => {
                            problem(
                                ProblemKind::TypeConflict,
                                Some(&col.name),
                                format!(
                                    "{}: column {display}.{}: {m}",
                                    self.span_loc(&c.span),
                                    col.name
                                ),
                            );
                            None
                        }
                    }
                };
            for c in &rule.columns {
                if let Some((idx, t)) = bind_column(c, &mut problem) {
                    actions[idx] = Some(t);
                }
            }
            for (local, b) in rule.blocks.iter().enumerate() {
                let cond = match b.cond.bind(table) {
                    Ok(c) => c,
                    Err(m) => {
                        problem(
                            ProblemKind::UnknownName,
                            None,
                            format!("{}: {m}", self.span_loc(&b.span)),
                        );
                        continue;
                    }
                };
                let mut acts: Vec<(usize, Arc<dyn Transform>)> = b
                    .columns
                    .iter()
                    .filter_map(|c| bind_column(c, &mut problem))
                    .collect();
                for (name, lit) in &b.set {
                    match table.column_index(name) {
                        Some(idx) => acts.push((idx, Arc::new(SetLiteral { value: lit.clone() }))),
                        None => problem(
                            ProblemKind::UnknownName,
                            Some(name),
                            format!(
                                "{}: `set` names column `{name}`, which table {display} lacks",
                                self.span_loc(&b.span)
                            ),
                        ),
                    }
                }
                block_index.insert((i, local), blocks.len());
                blocks.push(PlanBlock {
                    cond,
                    actions: acts,
                });
            }
            if let Some(d) = &rule.drop_when {
                match d.bind(table) {
                    Ok(c) => drop_when = Some(c),
                    Err(m) => problem(
                        ProblemKind::UnknownName,
                        None,
                        format!("{}: {m}", self.span_loc(&rule.span)),
                    ),
                }
            }
            if let (Some(per_million), Some(prf)) = (rule.sample_per_million, &self.prf) {
                let pk: Vec<usize> = table
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.primary_key)
                    .map(|(i, _)| i)
                    .collect();
                let key = if pk.is_empty() {
                    table.data_columns().map(|(i, _)| i).collect()
                } else {
                    pk
                };
                sample = Some(Sample {
                    per_million,
                    key,
                    prf: prf.clone(),
                    domain: format!("sample\0{display}"),
                });
            }
        }
        for &(_, i) in &hits {
            let loc = self.span_loc(&self.tables[i].span);
            let rule = &mut self.tables[i];
            if let TablePattern::Bare(_) = rule.pattern {
                let schema = table.name.schema.clone();
                if !rule.matched.is_empty() && !rule.matched.contains(&schema) {
                    let others: Vec<String> = rule
                        .matched
                        .iter()
                        .map(|s| match s {
                            Some(s) => format!("{s}.{}", table.name.name),
                            None => table.name.name.clone(),
                        })
                        .collect();
                    problem(
                        ProblemKind::UnknownName,
                        None,
                        format!(
                            "{loc}: table rule `{}` matches tables in more than one schema ({} and {display}); name it as \"schema.table\"",
                            rule.key,
                            others.join(", ")
                        ),
                    );
                }
            }
            rule.matched.push(table.name.schema.clone());
        }
        if self.strict && !drop_all {
            let uncovered: Vec<String> = table
                .data_columns()
                .filter(|(i, _)| actions[*i].is_none())
                .map(|(_, c)| format!("{display}.{}", c.name))
                .collect();
            if !uncovered.is_empty() {
                problem(
                    ProblemKind::Uncovered,
                    None,
                    format!(
                        "strict mode: columns without a rule (add a transformer or \"keep\"): {}",
                        uncovered.join(", ")
                    ),
                );
            }
        }
        // Templates read other columns of the row, original or rewritten
        // (by those columns' own plain rules, so they match the row).
        let mut template_reads = Vec::new();
        for &(_, i) in &hits {
            let rule = &self.tables[i];
            let block_columns = rule
                .blocks
                .iter()
                .enumerate()
                .flat_map(|(b, block)| block.columns.iter().map(move |c| (Some(b), c)));
            for (block, c) in rule.columns.iter().map(|c| (None, c)).chain(block_columns) {
                let (Some(t), Some(idx)) =
                    (c.spec.template.as_deref(), table.column_index(&c.name))
                else {
                    continue;
                };
                let mut parts = Vec::new();
                for (text, col) in template_parts(t).unwrap_or_default() {
                    if !text.is_empty() {
                        parts.push(library::TemplatePart::Text(text));
                    }
                    let Some((name, original)) = col else {
                        continue;
                    };
                    let Some(ref_idx) = table.column_index(&name) else {
                        problem(
                            ProblemKind::UnknownName,
                            Some(&c.name),
                            format!(
                                "{}: template names column `{name}`, which table {display} lacks",
                                self.span_loc(&c.span)
                            ),
                        );
                        continue;
                    };
                    template_reads.push(ref_idx);
                    let transform = if original || ref_idx == idx {
                        None
                    } else {
                        actions[ref_idx].clone()
                    };
                    parts.push(library::TemplatePart::Column {
                        index: ref_idx,
                        transform,
                    });
                }
                let max_chars = match table.columns[idx].ty {
                    ColumnType::Text {
                        max_chars: Some(n), ..
                    } => Some(n as usize),
                    _ => None,
                };
                let t: Arc<dyn Transform> = Arc::new(library::Template { parts, max_chars });
                match block {
                    None => actions[idx] = Some(t),
                    Some(local) => {
                        // The block as bound (blocks that failed to bind
                        // are absent, so local and bound indexes differ).
                        let bound = block_index.get(&(i, local)).copied();
                        if let Some(slot) = bound
                            .and_then(|b| blocks.get_mut(b))
                            .and_then(|pb| pb.actions.iter_mut().find(|(c, _)| *c == idx))
                        {
                            slot.1 = t;
                        }
                    }
                }
            }
        }
        // `keep` rules are coverage only: drop them from the plan so an
        // all-keep table is copied verbatim.
        for a in &mut actions {
            if a.as_ref().is_some_and(|t| t.name() == "keep") {
                *a = None;
            }
        }
        let mut reads = Vec::new();
        if let Some(d) = &drop_when {
            d.columns_read(&mut reads);
        }
        for b in &blocks {
            b.cond.columns_read(&mut reads);
        }
        if let Some(s) = &sample {
            reads.extend_from_slice(&s.key);
        }
        reads.extend_from_slice(&template_reads);
        reads.sort_unstable();
        reads.dedup();
        let mut plan = TablePlan {
            table: table.clone(),
            display,
            actions,
            drop_all,
            drop_when,
            sample,
            blocks,
            reads,
        };
        if !plan.is_active() {
            return (None, problems);
        }
        for (i, c) in table.columns.iter().enumerate() {
            if c.generated {
                plan.actions[i] = Some(Arc::new(Generated));
            }
        }
        (Some(Arc::new(plan)), problems)
    }

    /// Does any table rule name a table of this name?
    pub fn matches(&self, name: &QualifiedName) -> bool {
        self.tables.iter().any(|r| r.pattern.rank(name).is_some())
    }

    /// Does any table rule name a table of this name in any letter case?
    /// (Deny by default asks this of names it cannot resolve exactly.)
    pub fn names_table(&self, name: &QualifiedName) -> bool {
        let lower = |s: &str| s.to_ascii_lowercase();
        let folded = QualifiedName {
            schema: name.schema.as_deref().map(lower),
            name: lower(&name.name),
        };
        self.tables
            .iter()
            .any(|r| r.pattern.folded().rank(&folded).is_some())
    }

    /// Are there table rules at all?
    pub fn has_table_rules(&self) -> bool {
        !self.tables.is_empty()
    }

    /// After the whole dump: every table rule must have matched a table.
    pub fn check_all_matched(&mut self, seen: &[QualifiedName]) -> Result<()> {
        let result = self.all_matched(seen);
        match (result, self.collect.as_mut()) {
            (Err(e), Some(c)) => {
                c.push(Problem {
                    kind: ProblemKind::UnknownName,
                    table: String::new(),
                    column: None,
                    message: e.message().to_string(),
                });
                Ok(())
            }
            (r, _) => r,
        }
    }

    fn all_matched(&self, seen: &[QualifiedName]) -> Result<()> {
        let missing: Vec<&TableRule> = self
            .tables
            .iter()
            .filter(|r| r.matched.is_empty())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut have: Vec<String> = seen.iter().map(ToString::to_string).collect();
        have.sort();
        have.dedup();
        let names: Vec<String> = missing
            .iter()
            .map(|r| format!("`{}` ({})", r.key, self.span_loc(&r.span)))
            .collect();
        Err(Error::rules(format!(
            "rules name tables the dump does not have: {}; the dump has: {}",
            names.join(", "),
            if have.is_empty() {
                "no tables".to_string()
            } else {
                have.join(", ")
            }
        )))
    }
}

/// Where a table's rules start: the first mention of `tables.KEY` (bare or
/// quoted). Serde gives spans of values, not of table headers.
fn table_key_span(text: &str, key: &str) -> Range<usize> {
    let quoted = format!("tables.\"{key}\"");
    let bare = format!("tables.{key}");
    let at = text
        .find(&quoted)
        .or_else(|| {
            text.match_indices(&bare)
                .find(|(i, _)| {
                    text[i + bare.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| c == '.' || c == ']' || c.is_whitespace())
                })
                .map(|(i, _)| i)
        })
        .unwrap_or(0);
    at..at
}

/// Where a column's rule is written: the first line from `from` on that
/// starts with the key (bare or quoted), or with `columns = {` holding it.
fn column_key_span(text: &str, from: usize, name: &str) -> Range<usize> {
    let quoted = format!("\"{name}\"");
    let mut off = from;
    for line in text[from.min(text.len())..].split_inclusive('\n') {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        for k in [quoted.as_str(), name] {
            if let Some(rest) = t.strip_prefix(k) {
                if rest.trim_start().starts_with('=') {
                    return off + indent..off + indent;
                }
            }
        }
        if let Some(i) = line.find(&quoted).or_else(|| {
            line.match_indices(name)
                .find(|(i, _)| line[i + name.len()..].trim_start().starts_with('='))
                .map(|(i, _)| i)
        }) {
            if line.contains('{') {
                return off + i..off + i;
            }
        }
        off += line.len();
    }
    from..from
}

/// 1-based line and column of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, col)
}

fn transform_spec(v: toml::Value) -> Result<TransformSpec, String> {
    match v {
        toml::Value::String(name) => Ok(TransformSpec::named(&name)),
        toml::Value::Table(_) => v
            .try_into::<TransformSpec>()
            .map_err(|e| e.message().trim().to_string()),
        other => Err(format!(
            "expected a transformer, found a {}",
            other.type_str()
        )),
    }
}

/// Transformers that need the secret.
fn is_keyed(name: &str) -> bool {
    !matches!(
        name,
        "keep" | "null" | "fixed" | "partial" | "truncate" | "regex" | "template"
    )
}

/// Reads the secret: `[secret] env` (default `DUMPMASK_SECRET`) or
/// `[secret] file`. Returns the bytes and where they came from (for
/// messages; never the secret itself).
fn read_secret(
    spec: Option<&SecretSpec>,
    base: Option<&Path>,
) -> Result<(Vec<u8>, String), String> {
    match spec {
        Some(SecretSpec {
            env: Some(_),
            file: Some(_),
            ..
        }) => Err("[secret] takes `env` or `file`, not both".into()),
        Some(SecretSpec {
            random: true,
            env,
            file,
        }) => {
            if env.is_some() || file.is_some() {
                return Err("[secret] random = true takes neither `env` nor `file`".into());
            }
            let mut key = vec![0u8; 32];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key))
                .map_err(|e| format!("cannot read random bytes for the per-run key: {e}"))?;
            Ok((key, "a random per-run key".to_string()))
        }
        Some(SecretSpec { file: Some(f), .. }) => {
            let path = match base {
                Some(b) if f.is_relative() => b.join(f),
                _ => f.clone(),
            };
            let mut bytes = std::fs::read(&path)
                .map_err(|e| format!("cannot read the secret file {}: {e}", display_path(&path)))?;
            while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                bytes.pop();
            }
            if bytes.is_empty() {
                return Err(format!("the secret file {} is empty", display_path(&path)));
            }
            Ok((bytes, format!("file {}", display_path(&path))))
        }
        _ => {
            let var = spec
                .and_then(|s| s.env.clone())
                .unwrap_or_else(|| DEFAULT_SECRET_ENV.to_string());
            match std::env::var_os(&var) {
                Some(v) if !v.is_empty() => {
                    use std::os::unix::ffi::OsStrExt;
                    Ok((v.as_bytes().to_vec(), format!("environment variable {var}")))
                }
                _ => Err(format!(
                    "keyed transformers need a secret, and the environment variable {var} is not set or empty"
                )),
            }
        }
    }
}

/// Every transformer name, for messages.
pub const TRANSFORMERS: &str = "keep, null, fixed, hash, email, first_name, last_name, full_name, username, city, street, address, company, phone, mask, partial, iban, credit_card, ipv4, ipv6, uuid, date_shift, number_noise, truncate, regex, template, json";

/// Builds a transformer from its spec, for a column when one is given (to
/// check that its output always fits the column) or without one (to check
/// the options alone). `template` is bound later, against the table.
pub fn build_transform(
    spec: &TransformSpec,
    column: Option<&Column>,
    prf: Option<&Arc<Prf>>,
) -> Result<Arc<dyn Transform>, String> {
    use library::*;
    let name = spec.transform.as_str();
    let allowed: &[&str] = match name {
        "keep" | "null" => &[],
        "fixed" => &["value"],
        "hash" => &["length", "alphabet", "domain"],
        "first_name" | "last_name" | "full_name" | "username" | "city" | "street" | "address"
        | "company" | "uuid" | "iban" | "phone" => &["domain"],
        "email" => &["domain", "keep_domain"],
        "mask" => &["domain", "letters"],
        "partial" => &["keep_first", "keep_last", "fill"],
        "credit_card" => &["domain", "keep_last4"],
        "ipv4" | "ipv6" | "ip" => &["domain", "keep_prefix"],
        "date_shift" => &["domain", "days"],
        "number_noise" => &["domain", "percent"],
        "truncate" => &["length"],
        "regex" => &["pattern", "replacement"],
        "template" => &["template"],
        "json" => &["paths"],
        other => {
            return Err(format!(
                "unknown transformer `{other}`; known: {TRANSFORMERS}"
            ))
        }
    };
    let given = [
        ("value", spec.value.is_some()),
        ("length", spec.length.is_some()),
        ("alphabet", spec.alphabet.is_some()),
        ("domain", spec.domain.is_some()),
        ("paths", spec.paths.is_some()),
        ("keep_domain", spec.keep_domain.is_some()),
        ("keep_first", spec.keep_first.is_some()),
        ("keep_last", spec.keep_last.is_some()),
        ("fill", spec.fill.is_some()),
        ("keep_last4", spec.keep_last4.is_some()),
        ("keep_prefix", spec.keep_prefix.is_some()),
        ("days", spec.days.is_some()),
        ("percent", spec.percent.is_some()),
        ("pattern", spec.pattern.is_some()),
        ("replacement", spec.replacement.is_some()),
        ("template", spec.template.is_some()),
        ("letters", spec.letters.is_some()),
    ];
    for (opt, set) in given {
        if set && !allowed.contains(&opt) {
            return Err(format!("`{name}` takes no option `{opt}`"));
        }
    }
    // Transformers that are bijections (format-preserving encryption) can
    // promise distinct outputs; the others refuse rather than pretend.
    let promises_unique = matches!(
        name,
        "keep" | "mask" | "phone" | "email" | "uuid" | "iban" | "ipv4" | "ipv6" | "ip"
    ) || (name == "credit_card" && spec.keep_last4 != Some(true));
    if spec.unique && !promises_unique {
        return Err(format!(
            "`{name}` cannot promise distinct outputs for distinct inputs, so it refuses `unique = true` (use mask, phone, email, uuid, iban, credit_card or ipv4/ipv6)"
        ));
    }
    let ty = column.map(|c| &c.ty);
    let max_chars = match ty {
        Some(ColumnType::Text {
            max_chars: Some(n), ..
        }) => Some(*n as usize),
        _ => None,
    };
    let textual = |what: &str| -> Result<(), String> {
        match ty {
            None
            | Some(ColumnType::Text { .. })
            | Some(ColumnType::Other(_))
            | Some(ColumnType::Binary { .. }) => Ok(()),
            Some(t) => Err(format!(
                "`{name}` writes {what}, which does not fit a column of type {t:?}"
            )),
        }
    };
    let domain = spec.domain.clone().unwrap_or_else(|| name.to_string());
    let keyed = || -> Result<Arc<Prf>, String> {
        prf.cloned()
            .ok_or_else(|| format!("`{name}` needs a secret"))
    };
    Ok(match name {
        "keep" => Arc::new(Keep),
        "null" => {
            if column.is_some_and(|c| c.not_null) {
                return Err("`null` on a NOT NULL column would make the dump unrestorable".into());
            }
            Arc::new(Null)
        }
        "fixed" => {
            let value = match &spec.value {
                Some(v) => literal_bytes(v).map_err(|m| format!("`value` {m}"))?,
                None => return Err("`fixed` needs a `value`".into()),
            };
            if let Some(ty) = ty {
                fixed_fits(&value, ty)?;
            }
            Arc::new(Fixed { value })
        }
        "hash" => {
            let alphabet = match &spec.alphabet {
                Some(a) => Alphabet::parse(a)?,
                None if ty.is_some_and(ColumnType::is_numeric) => Alphabet::parse("digits")?,
                None => Alphabet::parse("hex")?,
            };
            let limit = match ty {
                Some(ColumnType::Text {
                    max_chars: Some(n), ..
                }) => Some(*n as usize),
                Some(ColumnType::Binary { max_bytes: Some(n) }) => Some(*n as usize),
                Some(ColumnType::Integer { bits, .. }) => Some(match bits {
                    8 => 2,
                    16 => 4,
                    24 => 6,
                    32 => 9,
                    _ => 18,
                }),
                _ => None,
            };
            if let Some(ty) = ty {
                if ty.is_numeric() && !alphabet.is_digits() {
                    return Err("`hash` into a numeric column needs alphabet = \"digits\"".into());
                }
                if !ty.is_numeric() {
                    textual("text")?;
                }
            }
            let length = match (spec.length, limit) {
                (Some(0), _) => return Err("`length` must be at least 1".into()),
                (Some(n), Some(max)) if n > max => {
                    return Err(format!(
                        "`hash` length {n} does not fit the column (at most {max})"
                    ))
                }
                (Some(n), _) => n,
                (None, Some(max)) => max.min(16),
                (None, None) => 16,
            };
            Arc::new(Hash {
                prf: keyed()?,
                domain: spec.domain.clone().unwrap_or_else(|| "hash".into()),
                length,
                alphabet,
            })
        }
        "first_name" | "last_name" | "full_name" | "username" | "city" | "street" | "address"
        | "company" => {
            textual("text")?;
            let kind = match name {
                "first_name" => FakeKind::FirstName,
                "last_name" => FakeKind::LastName,
                "full_name" => FakeKind::FullName,
                "username" => FakeKind::Username,
                "city" => FakeKind::City,
                "street" => FakeKind::Street,
                "address" => FakeKind::Address,
                _ => FakeKind::Company,
            };
            Arc::new(Fake {
                prf: keyed()?,
                domain,
                kind,
                max_chars,
            })
        }
        "email" => {
            textual("an e-mail address")?;
            let unique = spec.unique;
            if let Some(n) = max_chars.filter(|n| *n < 20 && !unique) {
                return Err(format!("an e-mail address can never fit VARCHAR({n})"));
            }
            Arc::new(Email {
                prf: keyed()?,
                domain,
                keep_domain: spec.keep_domain.unwrap_or(false),
                unique,
                max_chars,
            })
        }
        "mask" | "phone" => {
            if ty.is_some_and(|t| matches!(t, ColumnType::Integer { .. })) {
                return Err(format!("`{name}` on an integer column could overflow it; use number_noise, hash with alphabet = \"digits\", or a text column"));
            }
            Arc::new(Mask {
                prf: keyed()?,
                domain,
                letters: name == "mask" && spec.letters.unwrap_or(true),
            })
        }
        "partial" => {
            textual("text")?;
            let fill = match spec.fill.as_deref() {
                None => '*',
                Some(f) if f.chars().count() == 1 => f.chars().next().unwrap_or('*'),
                Some(_) => return Err("`fill` must be one character".into()),
            };
            Arc::new(Partial {
                keep_first: spec.keep_first.unwrap_or(0),
                keep_last: spec.keep_last.unwrap_or(0),
                fill,
            })
        }
        "truncate" => {
            textual("text")?;
            let length = spec.length.ok_or("`truncate` needs a `length`")?;
            Arc::new(Truncate { length })
        }
        "uuid" => {
            if let Some(n) = max_chars.filter(|n| *n < 36) {
                return Err(format!("a UUID can never fit VARCHAR({n})"));
            }
            if !matches!(
                ty,
                None | Some(ColumnType::Text { .. }) | Some(ColumnType::Other(_))
            ) {
                textual("a UUID")?;
            }
            Arc::new(Uuid {
                prf: keyed()?,
                domain,
                unique: spec.unique,
            })
        }
        "ipv4" | "ipv6" | "ip" => {
            if !matches!(
                ty,
                None | Some(ColumnType::Text { .. }) | Some(ColumnType::Other(_))
            ) {
                textual("an IP address")?;
            }
            if let Some(n) = max_chars.filter(|n| *n < 15) {
                return Err(format!("an IP address can never fit VARCHAR({n})"));
            }
            Arc::new(Ip {
                prf: keyed()?,
                domain,
                keep_prefix: spec.keep_prefix.unwrap_or(0),
            })
        }
        "iban" => {
            textual("an IBAN")?;
            Arc::new(Iban {
                prf: keyed()?,
                domain,
            })
        }
        "credit_card" => {
            textual("a card number")?;
            Arc::new(CreditCard {
                prf: keyed()?,
                domain,
                keep_last4: spec.keep_last4.unwrap_or(false),
            })
        }
        "date_shift" => {
            if !matches!(
                ty,
                None | Some(ColumnType::Date)
                    | Some(ColumnType::Timestamp)
                    | Some(ColumnType::Text { .. })
                    | Some(ColumnType::Other(_))
            ) {
                return Err(format!(
                    "`date_shift` needs a date or timestamp column, not {:?}",
                    ty
                ));
            }
            let days = spec.days.ok_or("`date_shift` needs `days`")?;
            Arc::new(DateShift {
                prf: keyed()?,
                domain,
                days,
            })
        }
        "number_noise" => {
            let percent = spec
                .percent
                .filter(|p| *p >= 0.0 && *p <= 100.0)
                .ok_or("`number_noise` needs `percent` from 0 to 100")?;
            let max_abs = match ty {
                Some(ColumnType::Decimal {
                    precision: Some(p),
                    scale,
                }) => 10f64.powi((*p as i32) - (*scale as i32)) - 10f64.powi(-(*scale as i32)),
                Some(ColumnType::Integer { bits, unsigned }) => {
                    let b = if *unsigned {
                        *bits as i32
                    } else {
                        *bits as i32 - 1
                    };
                    2f64.powi(b) - 1.0
                }
                None
                | Some(ColumnType::Decimal { .. })
                | Some(ColumnType::Float)
                | Some(ColumnType::Other(_))
                | Some(ColumnType::Text { .. }) => f64::MAX,
                Some(t) => return Err(format!("`number_noise` needs a numeric column, not {t:?}")),
            };
            Arc::new(NumberNoise {
                prf: keyed()?,
                domain,
                percent,
                max_abs,
            })
        }
        "regex" => {
            textual("text")?;
            let pattern = spec.pattern.as_deref().ok_or("`regex` needs a `pattern`")?;
            let re = regex::bytes::Regex::new(pattern)
                .map_err(|e| format!("`pattern` is not a valid regular expression: {e}"))?;
            Arc::new(RegexReplace {
                re,
                replacement: spec.replacement.clone().unwrap_or_default().into_bytes(),
            })
        }
        "template" => {
            textual("text")?;
            let t = spec
                .template
                .as_deref()
                .ok_or("`template` needs a `template`")?;
            template_parts(t)?;
            // Bound against the table's columns in `bind`.
            Arc::new(Template {
                parts: Vec::new(),
                max_chars,
            })
        }
        "json" => {
            if !matches!(
                ty,
                None | Some(ColumnType::Json)
                    | Some(ColumnType::Text { .. })
                    | Some(ColumnType::Other(_))
            ) {
                return Err(format!("`json` needs a JSON or text column, not {:?}", ty));
            }
            let Some(toml::Value::Table(paths)) = &spec.paths else {
                return Err("`json` needs `paths = { \"$.key\" = \"transformer\" }`".into());
            };
            let mut built = Vec::new();
            for (path, v) in paths {
                let steps = parse_path(path)?;
                let inner = transform_spec(v.clone()).map_err(|m| format!("path `{path}`: {m}"))?;
                if matches!(inner.transform.as_str(), "json" | "template") {
                    return Err(format!(
                        "path `{path}`: `{}` cannot be used inside `json`",
                        inner.transform
                    ));
                }
                built.push((
                    steps,
                    build_transform(&inner, None, prf)
                        .map_err(|m| format!("path `{path}`: {m}"))?,
                ));
            }
            Arc::new(Json { paths: built })
        }
        _ => unreachable!("checked above"),
    })
}

/// Literal text, then the column it is followed by (name, and whether
/// the original value is meant), if any.
pub type TemplateSlot = (String, Option<(String, bool)>);

/// A template's text and column references: `{col}` is the column's
/// rewritten value, `{col.original}` its original one, `{{` and `}}` are
/// braces.
pub fn template_parts(t: &str) -> Result<Vec<TemplateSlot>, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(x) => name.push(x),
                        None => return Err("`template` has an unclosed `{`".into()),
                    }
                }
                let (col, original) = match name.strip_suffix(".original") {
                    Some(c) => (c.to_string(), true),
                    None => (name, false),
                };
                parts.push((std::mem::take(&mut text), Some((col, original))));
            }
            '}' => return Err("`template` has a `}` without `{`".into()),
            _ => text.push(c),
        }
    }
    parts.push((text, None));
    Ok(parts)
}

/// A TOML scalar as the bytes of a SQL value.
fn literal_bytes(v: &toml::Value) -> Result<Vec<u8>, String> {
    Ok(match v {
        toml::Value::String(s) => s.clone().into_bytes(),
        toml::Value::Integer(i) => i.to_string().into_bytes(),
        toml::Value::Float(f) => f.to_string().into_bytes(),
        toml::Value::Boolean(b) => (if *b { "1" } else { "0" }).as_bytes().to_vec(),
        other => {
            return Err(format!(
                "must be a string, number or boolean, not a {}",
                other.type_str()
            ))
        }
    })
}

/// Checks that a fixed literal is valid for the column type.
fn fixed_fits(value: &[u8], ty: &ColumnType) -> Result<(), String> {
    let text = std::str::from_utf8(value).map_err(|_| "`value` is not UTF-8".to_string())?;
    let bad = |what: &str| Err(format!("`fixed` value is not {what}"));
    match ty {
        ColumnType::Text {
            max_chars: Some(n), ..
        } if text.chars().count() > *n as usize => Err(format!(
            "`fixed` value has {} characters; the column holds at most {n}",
            text.chars().count()
        )),
        ColumnType::Binary { max_bytes: Some(n) } if value.len() > *n as usize => Err(format!(
            "`fixed` value has {} bytes; the column holds at most {n}",
            value.len()
        )),
        ColumnType::Integer { .. } if text.parse::<i128>().is_err() => bad("an integer"),
        ColumnType::Decimal { .. } | ColumnType::Float if text.parse::<f64>().is_err() => {
            bad("a number")
        }
        ColumnType::Date if !is_date(text) => bad("a date (YYYY-MM-DD)"),
        ColumnType::Timestamp if !text.get(..10).is_some_and(is_date) => {
            bad("a timestamp (YYYY-MM-DD hh:mm:ss)")
        }
        ColumnType::Enum(members) if !members.iter().any(|m| m == text) => Err(format!(
            "`fixed` value is not one of the column's ENUM members ({})",
            members.len()
        )),
        _ => Ok(()),
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn table(name: &str, cols: &[(&str, ColumnType)]) -> Table {
        Table {
            name: QualifiedName {
                schema: None,
                name: name.into(),
            },
            columns: cols
                .iter()
                .map(|(n, t)| Column::plain(*n, t.clone()))
                .collect(),
            parents: Vec::new(),
            ancestors: Vec::new(),
        }
    }

    fn text(n: u32) -> ColumnType {
        ColumnType::Text {
            max_chars: Some(n),
            fixed: false,
        }
    }

    const SECRET: &str = "[secret]\nfile = \"/dev/null\"\n";

    #[test]
    fn unknown_transformer_points_at_line_and_column() {
        let e = Rules::parse("[tables.t.columns]\na = \"shred\"\n", "r.toml", None).unwrap_err();
        let m = e.to_string();
        assert!(
            m.starts_with("r.toml:2:1: column `a` of table `t`: unknown transformer `shred`"),
            "{m}"
        );
    }

    #[test]
    fn unknown_option_is_an_error() {
        let e = Rules::parse(
            "[tables.t.columns]\na = { transform = \"hash\", lenght = 3 }\n",
            "r.toml",
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("lenght"), "{e}");
    }

    #[test]
    fn unknown_column_lists_what_the_table_has() {
        let mut r = Rules::parse("[tables.t.columns]\nemial = \"null\"\n", "r.toml", None).unwrap();
        let e = r.bind(&table("t", &[("email", text(10))])).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("`emial`") && m.contains("it has: email"), "{m}");
    }

    #[test]
    fn unmatched_table_rule_is_reported_at_the_end() {
        let mut r =
            Rules::parse("[tables.custmers.columns]\na = \"null\"\n", "r.toml", None).unwrap();
        assert!(r
            .bind(&table("customers", &[("a", text(3))]))
            .unwrap()
            .is_none());
        let e = r
            .check_all_matched(&[table("customers", &[]).name])
            .unwrap_err();
        assert!(e.to_string().contains("`custmers`"), "{e}");
    }

    #[test]
    fn hash_that_cannot_fit_is_refused() {
        std::env::set_var("DUMPMASK_TEST_SECRET_A", "0123456789abcdef");
        let src = "[secret]\nenv = \"DUMPMASK_TEST_SECRET_A\"\n[tables.t.columns]\na = { transform = \"hash\", length = 20 }\n";
        let mut r = Rules::parse(src, "r.toml", None).unwrap();
        let e = r.bind(&table("t", &[("a", text(5))])).unwrap_err();
        assert!(e.to_string().contains("does not fit"), "{e}");
    }

    #[test]
    fn random_per_run_secret_differs_between_runs() {
        let src = "[secret]\nrandom = true\n[tables.t.columns]\na = \"hash\"\n";
        let mut outs = Vec::new();
        for _ in 0..2 {
            let mut r = Rules::parse(src, "r.toml", None).unwrap();
            let plan = r.bind(&table("t", &[("a", text(20))])).unwrap().unwrap();
            let mut out = Vec::new();
            plan.actions[0]
                .as_ref()
                .unwrap()
                .apply(Some(b"alice"), &transform::NoRow, &mut out)
                .unwrap();
            outs.push(out);
        }
        assert_ne!(outs[0], outs[1]);
        assert!(Rules::parse(
            "[secret]\nrandom = true\nenv = \"X\"\n[tables.t.columns]\na = \"hash\"\n",
            "r.toml",
            None
        )
        .is_err());
    }

    #[test]
    fn missing_secret_is_an_error() {
        let src =
            "[secret]\nenv = \"DUMPMASK_TEST_SECRET_UNSET\"\n[tables.t.columns]\na = \"hash\"\n";
        let e = Rules::parse(src, "r.toml", None).unwrap_err();
        assert!(e.to_string().contains("DUMPMASK_TEST_SECRET_UNSET"), "{e}");
    }

    #[test]
    fn fixed_checks_the_column() {
        let src = "[tables.t.columns]\nd = { transform = \"fixed\", value = \"soon\" }\n";
        let mut r = Rules::parse(src, "r.toml", None).unwrap();
        let e = r.bind(&table("t", &[("d", ColumnType::Date)])).unwrap_err();
        assert!(e.to_string().contains("not a date"), "{e}");
    }

    #[test]
    fn unique_is_refused_where_not_promised() {
        let src = format!("{SECRET}[tables.t.columns]\na = {{ transform = \"fixed\", value = \"x\", unique = true }}\n");
        assert!(Rules::parse(&src, "r.toml", None).is_err());
    }

    #[test]
    fn bare_name_in_two_schemas_is_ambiguous() {
        let mut r = Rules::parse("[tables.t.columns]\na = \"null\"\n", "r.toml", None).unwrap();
        let mut t1 = table("t", &[("a", text(3))]);
        t1.name.schema = Some("s1".into());
        let mut t2 = t1.clone();
        t2.name.schema = Some("s2".into());
        r.bind(&t1).unwrap();
        assert!(r
            .bind(&t2)
            .unwrap_err()
            .to_string()
            .contains("more than one schema"));
    }

    #[test]
    fn strict_lists_uncovered_columns() {
        let mut r = Rules::parse(
            "[options]\nstrict = true\n[tables.t.columns]\na = \"keep\"\n",
            "r.toml",
            None,
        )
        .unwrap();
        let t = table("t", &[("a", text(3)), ("b", text(3))]);
        // Judged when the rows arrive: the table may yet be linked to a
        // parent whose rules cover it.
        r.bind(&t).unwrap();
        let e = r.check_coverage(&t.name).unwrap_err();
        assert!(e.to_string().contains("t.b"), "{e}");
        let mut child = table("c", &[("a", text(3)), ("b", text(3))]);
        r.bind(&child).unwrap();
        assert!(r.check_coverage(&child.name).is_err());
        child.ancestors = vec![t.name.clone()];
        let mut covering = Rules::parse(
            "[options]\nstrict = true\n[tables.t.columns]\na = \"keep\"\nb = \"null\"\n",
            "r.toml",
            None,
        )
        .unwrap();
        covering
            .bind(&table("c", &[("a", text(3)), ("b", text(3))]))
            .unwrap();
        covering.bind(&child).unwrap();
        assert!(covering.check_coverage(&child.name).is_ok());
    }

    #[test]
    fn sampling_keeps_the_share_asked_for() {
        let s = Sample {
            per_million: 100_000,
            key: vec![0],
            prf: Arc::new(Prf::new(b"k")),
            domain: "sample".into(),
        };
        let kept = (0..100_000u32)
            .filter(|i| s.keeps(&i.to_le_bytes()))
            .count();
        assert!((9_000..11_000).contains(&kept), "{kept}");
        // The same key is always decided the same way.
        assert_eq!(s.keeps(b"42"), s.keeps(b"42"));
    }

    #[test]
    fn conditions_in_rules_point_at_the_line() {
        let src = "[tables.t]\ndrop_when = \"a = \"\n";
        let e = Rules::parse(src, "r.toml", None).unwrap_err().to_string();
        assert!(
            e.starts_with("r.toml:2:1:") && e.contains("drop_when"),
            "{e}"
        );
    }

    struct OneRow(Vec<Option<Vec<u8>>>);

    impl transform::Row for OneRow {
        fn original(&self, col: usize) -> Option<&[u8]> {
            self.0.get(col).and_then(|v| v.as_deref())
        }
    }

    #[test]
    fn template_in_a_when_block_uses_the_rewritten_names() {
        std::env::set_var("DUMPMASK_TEST_SECRET_T", "0123456789abcdef");
        let src = "[secret]\nenv = \"DUMPMASK_TEST_SECRET_T\"\n\
            [tables.t.columns]\na = \"first_name\"\n\
            [[tables.t.when]]\nif = \"nosuch = 1\"\ncolumns = { b = \"null\" }\n\
            [[tables.t.when]]\nif = \"a = 'x'\"\ncolumns = { b = { transform = \"template\", template = \"{a}!{a.original}\" } }\n";
        let mut r = Rules::parse(src, "r.toml", None).unwrap();
        r.collect_problems(); // the first block names a missing column
        let plan = r
            .bind(&table("t", &[("a", text(50)), ("b", text(50))]))
            .unwrap()
            .unwrap();
        assert_eq!(plan.blocks.len(), 1);
        let row = OneRow(vec![Some(b"x".to_vec()), Some(b"old".to_vec())]);
        let mut name = Vec::new();
        plan.actions[0]
            .as_ref()
            .unwrap()
            .apply(Some(b"x"), &row, &mut name)
            .unwrap();
        let (_, t) = &plan.blocks[0].actions[0];
        let mut out = Vec::new();
        t.apply(Some(b"old"), &row, &mut out).unwrap();
        let mut want = name.clone();
        want.extend_from_slice(b"!x");
        assert_eq!(out, want);
    }

    #[test]
    fn globs() {
        assert!(glob_match(b"log_*", b"log_2024"));
        assert!(!glob_match(b"log_*", b"logs"));
        assert!(glob_match(b"a?c", b"abc"));
        assert!(glob_match(b"[ab]x*", b"bxyz"));
        assert!(glob_match(b"*", b""));
    }
}
