//! Binding: the rules meet one table the dump declares. Finds the table
//! rules that match it, builds each column's transformer for that column,
//! and yields a [`TablePlan`] with the [`Problem`]s found on the way
//! (unknown names, uncovered columns, rules that cannot fit, uniqueness
//! not promised). Problems become errors, warnings or a list, as the
//! caller asked; nothing here prints.

use std::sync::Arc;

use super::pattern::TablePattern;
use super::plan::{PlanBlock, Sample, TablePlan};
use super::registry::{build_transform, Transformer};
use super::spec::template_parts;
use super::transform::{Generated, SetLiteral, Transform};
use super::{library, ColumnRule, Rules, TableRule};
use crate::error::{Error, Result};
use crate::schema::{ColumnType, Table};
use crate::sql::QualifiedName;

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

/// Something the user should know that does not stop the run: a rule on
/// a UNIQUE column without the promise of distinct outputs, or a short
/// secret. Its text names tables, columns and rules positions, never a
/// data value or the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The message, without a `warning:` prefix.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Rules {
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
        // (Asked for every data statement: nothing to look up unless
        // strict mode found something.)
        if self.collect.is_some() || self.uncovered.is_empty() {
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
        let mut unique = vec![false; table.columns.len()];
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
                    unique[idx] = c.spec.unique;
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
                for (name, lit, ty) in &b.set {
                    match table.column_index(name) {
                        Some(idx) => acts.push((
                            idx,
                            Arc::new(SetLiteral {
                                value: lit.clone(),
                                ty: *ty,
                            }),
                        )),
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
                let (
                    Transformer::Template {
                        template: Some(t), ..
                    },
                    Some(idx),
                ) = (&c.spec.transformer, table.column_index(&c.name))
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
            unique,
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
        self.tables.iter().any(|r| r.folded.rank(&folded).is_some())
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

/// The column names the rules of one table read or write, for inputs
/// that declare no schema (JSON records): their table is made of these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuledNames {
    /// Every name: column rules, conditions, templates, `set`; sorted.
    pub all: Vec<String>,
    /// The names a record must show somewhere for the rules to mean what
    /// they say: all but those only `set` writes (a key `set` adds is
    /// absent by design).
    pub expected: Vec<String>,
}

impl Rules {
    /// The names the table rules matching `table` mention, or `None`
    /// when no table rule matches it.
    pub fn ruled_names(&self, table: &QualifiedName) -> Option<RuledNames> {
        let mut all = std::collections::BTreeSet::new();
        let mut expected = std::collections::BTreeSet::new();
        let mut matched = false;
        for rule in self
            .tables
            .iter()
            .filter(|r| r.pattern.rank(table).is_some())
        {
            matched = true;
            let column = |c: &ColumnRule, names: &mut std::collections::BTreeSet<String>| {
                names.insert(c.name.clone());
                if let Transformer::Template {
                    template: Some(t), ..
                } = &c.spec.transformer
                {
                    for (_, slot) in template_parts(t).unwrap_or_default() {
                        if let Some((name, _)) = slot {
                            names.insert(name);
                        }
                    }
                }
            };
            for c in &rule.columns {
                column(c, &mut expected);
            }
            if let Some(d) = &rule.drop_when {
                d.for_each_column(&mut |n: &String| {
                    expected.insert(n.clone());
                });
            }
            for b in &rule.blocks {
                b.cond.for_each_column(&mut |n: &String| {
                    expected.insert(n.clone());
                });
                for c in &b.columns {
                    column(c, &mut expected);
                }
                for (name, _, _) in &b.set {
                    all.insert(name.clone());
                }
            }
        }
        if !matched {
            return None;
        }
        all.extend(expected.iter().cloned());
        Some(RuledNames {
            all: all.into_iter().collect(),
            expected: expected.into_iter().collect(),
        })
    }
}
