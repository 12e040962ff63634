//! The rules file: its TOML shape, the secret, and the per-table plans
//! compiled from it.
//!
//! Rules are read and checked once, up front ([`Rules::parse`], here);
//! each table the dump declares is then bound to the rules that name it
//! (`bind.rs`), producing a [`TablePlan`] indexed by column position
//! (`plan.rs`). What the user writes is in `spec.rs`, the transformers a
//! rule can name in `registry.rs`, table name matching in `pattern.rs`,
//! the key in `secret.rs`. Nothing here knows dump syntax, and nothing
//! here prints: warnings and problems are values the caller takes.

mod bind;
pub(crate) mod cond;
pub(crate) mod fake;
pub(crate) mod fpe;
pub(crate) mod library;
mod pattern;
mod plan;
mod registry;
mod secret;
mod spec;
pub mod transform;

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::error::{display_path, Error, Result};
use pattern::TablePattern;
use spec::{column_key_span, literal_bytes, literal_type, table_key_span, FileSpec};
use transform::Prf;

pub use bind::{Problem, ProblemKind, RuledNames, Warning};
pub use plan::{PlanBlock, Sample, TablePlan};
pub use registry::{build_transform, Entry, Transformer, Writes, TRANSFORMERS};
pub use secret::DEFAULT_SECRET_ENV;
pub use spec::{line_col, template_parts, TemplateSlot, TransformSpec};

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
    /// `set = { col = literal }`: the literal's bytes and TOML type.
    set: Vec<(String, Vec<u8>, transform::LiteralType)>,
}

#[derive(Debug, Clone)]
struct TableRule {
    key: String,
    span: Range<usize>,
    pattern: TablePattern,
    /// The pattern in lower case, for names met in other letter case.
    folded: TablePattern,
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

/// The rules, checked and ready to bind to tables.
#[derive(Debug, Clone)]
pub struct Rules {
    path: String,
    text: String,
    strict: bool,
    prf: Option<Arc<Prf>>,
    tables: Vec<TableRule>,
    /// Report no warnings (`--quiet`).
    quiet: bool,
    /// A warning about the secret, reported with the first problem.
    secret_warning: Option<String>,
    /// Warnings not yet taken (when no sink is set).
    warnings: Vec<Warning>,
    /// Where warnings go as they arise, if the caller set a sink.
    sink: Option<WarningSink>,
    /// `dumpmask check`: collect problems instead of failing on them.
    collect: Option<Vec<Problem>>,
    /// Strict coverage, by table: what its latest binding left uncovered.
    /// A partition or child is bound again when it is linked to its
    /// parent, whose rules may cover it; so coverage is judged on the last
    /// binding (`check`), or when the table's rows arrive (`run`).
    uncovered: std::collections::HashMap<String, String>,
    /// Warnings already reported (each is reported once).
    warned: std::collections::BTreeSet<String>,
}

/// A caller's function that receives each warning as it arises.
#[derive(Clone)]
struct WarningSink(Arc<dyn Fn(&Warning) + Send + Sync>);

impl std::fmt::Debug for WarningSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WarningSink")
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
            warnings: Vec::new(),
            sink: None,
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

    /// Reports no warnings (`--quiet`).
    pub fn set_quiet(&mut self, quiet: bool) {
        self.quiet = quiet;
    }

    /// Hands each warning to `sink` as it arises (the command line prints
    /// them), instead of keeping it for [`Rules::take_warnings`].
    pub fn on_warning(&mut self, sink: impl Fn(&Warning) + Send + Sync + 'static) {
        self.sink = Some(WarningSink(Arc::new(sink)));
    }

    /// The warnings kept so far (none when a sink takes them).
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.warnings)
    }

    /// Reports a warning of the caller's about these rules (a record
    /// reader's: a ruled key no record had), once, as [`Rules::warn`] does
    /// its own.
    pub fn report_warning(&mut self, message: String) {
        self.warn(message);
    }

    /// Reports a warning once (never a data value: messages name tables,
    /// columns and rules positions).
    fn warn(&mut self, message: String) {
        if self.quiet || !self.warned.insert(message.clone()) {
            return;
        }
        let w = Warning { message };
        match &self.sink {
            Some(sink) => (sink.0)(&w),
            None => self.warnings.push(w),
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
                let spec = TransformSpec::from_value(v).map_err(|m| {
                    at(
                        Some(span.clone()),
                        format!("column `{name}` of table `{key}`: {m}"),
                        "a column takes a transformer name (\"keep\", \"null\", \"hash\") or a table like { transform = \"fixed\", value = \"X\" }",
                    )
                })?;
                *needs_key |= spec.transformer.entry().keyed;
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
                    set.push((name, lit, literal_type(&v)));
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
                folded: TablePattern::parse(&key).folded(),
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
            let (secret, what) = secret::read_secret(spec.secret.as_ref(), base)
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
            warnings: Vec::new(),
            sink: None,
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType, Table};
    use crate::sql::QualifiedName;

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
}
