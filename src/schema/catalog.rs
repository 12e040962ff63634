//! The catalog: what the dump's own DDL declares, learned statement by
//! statement as the splitter meets it — tables and their columns, types,
//! partitions and inheritance, keys, the current database or schema — and
//! the rules bound to each table. It answers the splitter's questions
//! "which table does this name resolve to" and "can rows of it carry a
//! value a rule changes" and knows nothing of chunks or rows.

use std::collections::HashMap;
use std::sync::Arc;

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::rules::{Problem, Rules, TablePlan};
use crate::schema::{self, Column, ColumnType, Table};
use crate::sql::{self, QualifiedName};

/// Tables, types and rules, as far as the dump has declared them.
#[derive(Clone)]
pub struct Catalog {
    dialect: &'static dyn Dialect,
    rules: Rules,
    /// Where unqualified names resolve, in order: the database of MySQL's
    /// `USE`, or PostgreSQL's `search_path` (`pg_catalog` and `$user`
    /// left out: no dump's tables live there).
    search_path: Vec<String>,
    /// Types the dump declared (PostgreSQL enums and domains), by name.
    types: HashMap<String, ColumnType>,
    /// Tables declared so far (or met in data first), with their plans.
    tables: HashMap<QualifiedName, (Table, Option<Arc<TablePlan>>)>,
    /// Tables in the order they were met.
    seen: Vec<QualifiedName>,
}

impl Catalog {
    /// An empty catalog for a dump of `dialect` under `rules`.
    pub fn new(dialect: &'static dyn Dialect, rules: Rules) -> Catalog {
        Catalog {
            dialect,
            rules,
            search_path: Vec::new(),
            types: HashMap::new(),
            tables: HashMap::new(),
            seen: Vec::new(),
        }
    }

    /// Names the database of a dump that names it only in its header.
    pub fn note_header(&mut self, head: &[u8]) {
        if self.search_path.is_empty() {
            self.search_path.extend(self.dialect.header_schema(head));
        }
    }

    /// The plan for rows of `name` (resolved), with an optional column
    /// list; `None` when no rule touches the table. Rows of a table never
    /// declared are bound by their column list, or refused without one
    /// when a rule names the table.
    pub fn plan_for(
        &mut self,
        name: &QualifiedName,
        column_list: Option<&[String]>,
        at: u64,
    ) -> Result<Option<Arc<TablePlan>>> {
        let display = name.to_string();
        let plan = match self.tables.get(name) {
            Some((_, p)) => p.clone(),
            None => {
                // Data without a CREATE TABLE before it: only a column list
                // can say which value is which column.
                let Some(cols) = column_list else {
                    if self.is_ruled(name) {
                        return Err(Error::input(
                            at,
                            "rows of a ruled table before (or without) its CREATE TABLE, and without a column list: cannot tell which value is which column",
                        )
                        .in_table(display));
                    }
                    let table = Table::new(name.clone(), Vec::new());
                    self.tables.insert(name.clone(), (table, None));
                    self.seen.push(name.clone());
                    return Ok(None);
                };
                let table = Table::new(
                    name.clone(),
                    cols.iter()
                        .map(|c| Column::plain(c.clone(), ColumnType::Other(String::new())))
                        .collect(),
                );
                let plan = self
                    .rules
                    .bind(&table)
                    .map_err(|e| e.in_table(display.clone()))?;
                self.seen.push(name.clone());
                self.tables.insert(name.clone(), (table, plan.clone()));
                plan
            }
        };
        self.rules.check_coverage(name)?;
        if plan.is_none() && !self.rules.matches(name) && self.rules.names_table(name) {
            // (A rule names it in other letters: a server that resolves
            // names without case writes these rows into the ruled table.)
            return Err(Error::input(
                at,
                "rows of a table whose name a rule matches only in other letter case; name the table as the dump spells it",
            )
            .in_table(display));
        }
        Ok(plan)
    }

    /// Problems collected between the rules and the schema (`check`).
    pub fn problems(&mut self) -> Vec<Problem> {
        self.rules.take_problems()
    }

    /// Warnings about the rules, kept so far.
    pub fn warnings(&mut self) -> Vec<crate::rules::Warning> {
        self.rules.take_warnings()
    }

    /// The tables declared so far, by name.
    pub fn tables(&self) -> Vec<Table> {
        let mut t: Vec<Table> = self.tables.values().map(|(t, _)| t.clone()).collect();
        t.sort_by_key(|t| t.name.to_string());
        t
    }

    /// The table `name` (resolved) as declared so far.
    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.get(name).map(|(t, _)| t)
    }

    /// The tables met so far, in order.
    pub fn seen(&self) -> &[QualifiedName] {
        &self.seen
    }

    /// At the end of the dump: every rule must have matched a table.
    pub fn finish(&mut self) -> Result<Vec<QualifiedName>> {
        self.rules.check_all_matched(&self.seen)?;
        Ok(std::mem::take(&mut self.seen))
    }

    /// `name` qualified as the engine would qualify it: the first schema
    /// of the search path that holds a table of that name, else the path's
    /// first schema, else the dialect's default.
    pub fn resolve(&self, name: &QualifiedName) -> QualifiedName {
        let qualified = |s: &str| QualifiedName {
            schema: Some(s.to_string()),
            name: name.name.clone(),
        };
        if name.schema.is_some() {
            return name.clone();
        }
        if !self.path_is_tracked() {
            // One table of that name in the whole dump: whatever the path,
            // the name can reach no other.
            let mut namesakes = self.tables.keys().filter(|n| n.name == name.name);
            if let (Some(only), None) = (namesakes.next(), namesakes.next()) {
                return only.clone();
            }
        }
        if let Some(s) = self
            .search_path
            .iter()
            .find(|s| self.tables.contains_key(&qualified(s)))
        {
            return qualified(s);
        }
        QualifiedName {
            schema: self
                .search_path
                .first()
                .cloned()
                .or_else(|| self.dialect.default_schema().map(str::to_string)),
            name: name.name.clone(),
        }
    }

    /// Can the catalog tell for sure where an unqualified name resolves?
    /// MySQL: yes, the current database changes only by `USE` (and the
    /// client's `use`/`connect`), which the splitter follows. PostgreSQL:
    /// no, the search path changes by `SET`, `RESET`, transactions,
    /// `\connect`, roles and any function calling `set_config`; pg_dump
    /// qualifies every name, so an unqualified one is rare and answered
    /// conservatively.
    fn path_is_tracked(&self) -> bool {
        self.dialect.default_schema().is_none()
    }

    /// A ruled table with the bare name of `name`, in any schema.
    fn ruled_namesake(&self, name: &QualifiedName) -> Option<QualifiedName> {
        self.tables
            .iter()
            .find(|(n, (_, plan))| plan.is_some() && n.name == name.name)
            .map(|(n, _)| n.clone())
    }

    /// An unqualified name (as written) of a data statement that could
    /// reach a ruled table through a search path dumpmask cannot follow
    /// for sure: the ruled table, when tables of that name live in more
    /// than one schema and one of them is ruled. Such a statement is
    /// refused (qualify the name).
    pub fn ambiguous(&self, name: &QualifiedName) -> Option<QualifiedName> {
        if name.schema.is_some() || self.path_is_tracked() {
            return None;
        }
        let namesakes = self.tables.keys().filter(|n| n.name == name.name).count();
        (namesakes > 1).then(|| self.ruled_namesake(name)).flatten()
    }

    /// Where `CREATE TABLE name` puts a table: its own schema, else the
    /// first schema of the search path (never an existing namesake
    /// elsewhere), else the dialect's default.
    fn creation_name(&self, name: &QualifiedName) -> QualifiedName {
        QualifiedName {
            schema: name.schema.clone().or_else(|| {
                self.search_path
                    .first()
                    .cloned()
                    .or_else(|| self.dialect.default_schema().map(str::to_string))
            }),
            name: name.name.clone(),
        }
    }

    /// Sets where unqualified names resolve: `USE db`, `SET search_path`,
    /// `set_config('search_path', ...)`.
    pub fn set_search_path(&mut self, path: Vec<String>) {
        self.search_path = path
            .into_iter()
            .filter(|s| !s.is_empty() && s != "pg_catalog" && s != "$user")
            .collect();
    }

    /// What a statement that carries no rows teaches: tables, types,
    /// partitions and keys, the current database or schema.
    pub fn learn(&mut self, toks: &[sql::Spanned], text: &[u8], at: u64) -> Result<()> {
        let word = |i: usize, w: &str| toks.get(i).is_some_and(|t| t.token.is_word(w));
        if word(0, "create") {
            self.create(text, at)?;
        } else if word(0, "alter") && word(1, "table") {
            self.alter_table(toks)?;
        } else if word(0, "use") {
            if let Some(db) = toks.get(1).and_then(|t| t.token.ident()) {
                self.set_search_path(vec![db.to_string()]);
            }
        } else if word(0, "set") {
            // `SET [SESSION|LOCAL] search_path {=|TO} crm, "$user", 'x';`
            // names where unqualified names live (pg_dump qualifies every
            // name; older dumps and hand-written ones do not).
            let mut i = 1;
            if word(i, "session") || word(i, "local") {
                i += 1;
            }
            if word(i, "search_path") {
                self.set_search_path(path_items(&toks[(i + 2).min(toks.len())..]));
            }
        }
        Ok(())
    }

    /// Is `name` (as written) a table whose rows a rule may change, under
    /// any spelling the engine would resolve to it? Unknown names count when
    /// a rules entry names them.
    pub fn is_ruled(&self, name: &QualifiedName) -> bool {
        if name.schema.is_none() && !self.path_is_tracked() && self.ruled_namesake(name).is_some() {
            // Where the search path puts it cannot be known for sure.
            return true;
        }
        let r = self.resolve(name);
        if let Some((_, plan)) = self.tables.get(&r) {
            return plan.is_some();
        }
        // MySQL servers with lower_case_table_names resolve names without
        // case; a bare word in a string may be any schema's table.
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        let known = self.tables.iter().any(|(n, (_, plan))| {
            plan.is_some()
                && same(&n.name, &r.name)
                && (name.schema.is_none()
                    || n.schema
                        .as_deref()
                        .zip(r.schema.as_deref())
                        .is_none_or(|(a, b)| same(a, b)))
        });
        known || self.rules.names_table(&r)
    }

    /// The known table `name` (resolved) stands for: itself, or the one
    /// table whose name differs from it in letter case only (MySQL
    /// servers with `lower_case_table_names` resolve names so).
    pub fn lookup(&self, name: &QualifiedName) -> QualifiedName {
        if self.tables.contains_key(name) {
            return name.clone();
        }
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        let mut found = self.tables.keys().filter(|n| {
            same(&n.name, &name.name)
                && n.schema
                    .as_deref()
                    .zip(name.schema.as_deref())
                    .is_none_or(|(a, b)| same(a, b))
                && n.schema.is_some() == name.schema.is_some()
        });
        match (found.next(), found.next()) {
            (Some(n), None) => n.clone(),
            _ => name.clone(),
        }
    }

    /// May planner statistics of relation `name` stay? Only those of a
    /// table the dump declares and no rule touches.
    pub fn keeps_statistics(&self, name: &QualifiedName) -> bool {
        matches!(self.tables.get(&self.resolve(name)), Some((_, None))) && !self.is_ruled(name)
    }

    /// Does any table of the dump, or any rule, have rows to rewrite?
    pub fn any_ruled(&self) -> bool {
        self.rules.has_table_rules() || self.tables.values().any(|(_, p)| p.is_some())
    }

    /// Learns a table from CREATE TABLE and binds the rules to it. A
    /// partition (`PARTITION OF p`) has its parent's columns; a child
    /// (`INHERITS (p)`) has its parents' columns, then its own.
    fn create(&mut self, text: &[u8], at: u64) -> Result<()> {
        let table =
            schema::parse_create_table(text, self.dialect.lexical(), self.dialect.inline_indexes())
                .map_err(|m| Error::input(at, format!("cannot read CREATE TABLE: {m}")))?;
        let Some(mut table) = table else {
            self.create_type(text);
            return Ok(());
        };
        table.name = self.creation_name(&table.name);
        table.parents = table.parents.iter().map(|p| self.resolve(p)).collect();
        let mut inherited: Vec<schema::Column> = Vec::new();
        for p in &table.parents {
            if let Some((parent, _)) = self.tables.get(p) {
                for c in &parent.columns {
                    if !inherited.iter().any(|i| i.name == c.name) {
                        inherited.push(c.clone());
                    }
                }
            }
        }
        for c in std::mem::take(&mut table.columns) {
            match inherited.iter_mut().find(|i| i.name == c.name) {
                Some(i) => *i = c,
                None => inherited.push(c),
            }
        }
        table.columns = inherited;
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
        let name = table.name.clone();
        if let Some((known, _)) = self.tables.get(&name) {
            // Attached to a parent before its CREATE TABLE.
            for p in &known.parents {
                if !table.parents.contains(p) {
                    table.parents.push(p.clone());
                }
            }
        } else {
            self.seen.push(name.clone());
        }
        self.tables.insert(name.clone(), (table, None));
        self.bind_family(&name)
    }

    /// Every table `name` descends from, nearest first (partitions at every
    /// level, inheritance).
    fn ancestors(&self, name: &QualifiedName) -> Vec<QualifiedName> {
        let mut found: Vec<QualifiedName> = Vec::new();
        let mut next = vec![name.clone()];
        while let Some(n) = next.pop() {
            let Some((t, _)) = self.tables.get(&n) else {
                continue;
            };
            for p in &t.parents {
                if p != name && !found.contains(p) {
                    found.push(p.clone());
                    next.push(p.clone());
                }
            }
        }
        found
    }

    /// Binds the rules to `name` and to every table below it, whose rules
    /// follow from its own: rows stored in a partition or a child are
    /// rows of the table a rule names.
    fn bind_family(&mut self, name: &QualifiedName) -> Result<()> {
        let family: Vec<QualifiedName> = self
            .tables
            .keys()
            .filter(|t| *t == name || self.ancestors(t).contains(name))
            .cloned()
            .collect();
        for t in family {
            let ancestors = self.ancestors(&t);
            let Some((table, _)) = self.tables.get(&t) else {
                continue;
            };
            let mut table = table.clone();
            table.ancestors = ancestors;
            let plan = self
                .rules
                .bind(&table)
                .map_err(|e| e.in_table(t.to_string()))?;
            self.tables.insert(t, (table, plan));
        }
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

    /// `ALTER TABLE [ONLY] parent ATTACH PARTITION child ...` and `ALTER
    /// TABLE child INHERIT parent`: the child's rows fall under the
    /// parent's rules too. `ALTER TABLE t ADD CONSTRAINT ... UNIQUE|PRIMARY
    /// KEY (..)`: the column is unique.
    fn alter_table(&mut self, toks: &[sql::Spanned]) -> Result<()> {
        let mut i = 2;
        while toks.get(i).is_some_and(|t| {
            t.token.is_word("only") || t.token.is_word("if") || t.token.is_word("exists")
        }) {
            i += 1;
        }
        let Some(target) = QualifiedName::parse(toks, &mut i) else {
            return Ok(());
        };
        let target = self.resolve(&target);
        // Every subcommand, split at the commas between them (`ADD COLUMN
        // z int, INHERIT p`).
        let mut parts: Vec<&[sql::Spanned]> = Vec::new();
        let (mut depth, mut from) = (0i32, i);
        for (k, t) in toks.iter().enumerate().skip(i) {
            match t.token {
                sql::Token::Punct(b'(') => depth += 1,
                sql::Token::Punct(b')') => depth -= 1,
                sql::Token::Punct(b',') if depth == 0 => {
                    parts.push(&toks[from..k]);
                    from = k + 1;
                }
                _ => {}
            }
        }
        parts.push(&toks[from.min(toks.len())..]);
        for part in parts {
            self.alter_one(&target, part)?;
        }
        Ok(())
    }

    /// One subcommand of `ALTER TABLE target ...`.
    fn alter_one(&mut self, target: &QualifiedName, part: &[sql::Spanned]) -> Result<()> {
        let word = |i: usize, w: &str| part.get(i).is_some_and(|t| t.token.is_word(w));
        let mut i = 0;
        if word(i, "add") {
            // `ADD CONSTRAINT c UNIQUE (a)` / `PRIMARY KEY (a)` after the
            // data (pg_dump's post-data): learn it, and check the rules
            // again for a uniqueness promise.
            if schema::key_columns(part).is_none() && !word(1, "constraint") {
                // `ADD [COLUMN] [IF NOT EXISTS] name type ...`: a column.
                let mut k = 1;
                while ["column", "if", "not", "exists"].iter().any(|w| word(k, w)) {
                    k += 1;
                }
                let name = part
                    .get(k)
                    .and_then(|t| t.token.ident())
                    .map(str::to_string);
                if let (Some(name), Some((table, _))) = (name, self.tables.get_mut(target)) {
                    if table.column_index(&name).is_none() {
                        let ty = ColumnType::from_tokens(&part[k + 1..]);
                        table.columns.push(Column::plain(name, ty));
                        let target = target.clone();
                        return self.bind_family(&target);
                    }
                }
                return Ok(());
            }
            if let Some((primary, cols)) = schema::key_columns(part) {
                if let Some((table, _)) = self.tables.get_mut(target) {
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
        let (parent, child) = if word(i, "attach") && word(i + 1, "partition") {
            i += 2;
            let Some(child) = QualifiedName::parse(part, &mut i) else {
                return Ok(());
            };
            (target.clone(), self.resolve(&child))
        } else if word(i, "inherit") {
            i += 1;
            let Some(parent) = QualifiedName::parse(part, &mut i) else {
                return Ok(());
            };
            (self.resolve(&parent), target.clone())
        } else {
            return Ok(());
        };
        if !self.tables.contains_key(&child) {
            // A partition attached before (or without) its own CREATE
            // TABLE has its parent's columns; its rows are the parent's.
            let columns = self
                .tables
                .get(&parent)
                .map(|(t, _)| t.columns.clone())
                .unwrap_or_default();
            self.seen.push(child.clone());
            self.tables
                .insert(child.clone(), (Table::new(child.clone(), columns), None));
        }
        let Some((table, _)) = self.tables.get_mut(&child) else {
            return Ok(());
        };
        if !table.parents.contains(&parent) {
            table.parents.push(parent);
        }
        self.bind_family(&child)
    }
}

/// The schemas of a search path's value: names, quoted names and strings
/// (`crm, "$user", 'x'`), a string holding a list (`'a, b'`) read as one.
pub fn path_items(toks: &[sql::Spanned]) -> Vec<String> {
    let mut out = Vec::new();
    for t in toks {
        match &t.token {
            sql::Token::Word(w) | sql::Token::Quoted(w) => out.push(w.clone()),
            sql::Token::Str(v) => {
                for item in String::from_utf8_lossy(v).split(',') {
                    let item = item.trim();
                    match item.strip_prefix('"').and_then(|i| i.strip_suffix('"')) {
                        Some(quoted) => out.push(quoted.to_string()),
                        None => out.push(item.to_ascii_lowercase()),
                    }
                }
            }
            _ => {}
        }
    }
    out
}
