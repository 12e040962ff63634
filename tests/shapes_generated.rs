//! Generated data-statement shapes (issue 13, "How it is proven").
//!
//! A counter-driven generator spells statements that write to the ruled
//! table `customers(id, email)` (rule `email = "hash"`) in both dialects:
//! every statement form, optional keyword, name spelling, keyword case,
//! comment and whitespace between tokens, line ends and executable-comment
//! wrapping. Case `i` is fully determined by `i` (no clock, no global
//! seed), so a failure names a case that can be replayed with
//! `DUMPMASK_SHAPE_CASE=i`.
//!
//! For every case: either dumpmask rewrites it and no original value
//! (`piiNNNN@x.io`) is left in the output, or it refuses with an error that
//! carries a byte position. A subset is also loaded into the real servers
//! where reachable: whenever the server accepts the input, dumpmask's
//! output (if it produced one) must load too, with the same row count.

mod common;

use std::process::{Command, Stdio};
use std::time::Instant;

use dumpmask::rules::Rules;
use dumpmask::Engine;
use dumpmask::RewriterBuilder;

const RULES: &str = "[tables.customers.columns]\nemail = \"hash\"\n";
/// The MariaDB database the server check runs in (schema-qualified names
/// in the generated statements use it).
const MY_DB: &str = "dmshapes";

// ---------------------------------------------------------------------------
// A small deterministic generator.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T: ?Sized>(&mut self, xs: &[&'a T]) -> &'a T {
        xs[self.below(xs.len())]
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Dialect {
    My,
    Pg,
}

/// A token of a generated statement: keywords get their letter case
/// changed, everything else is written as it is.
enum Tok {
    Kw(&'static str),
    Raw(String),
}

use Tok::{Kw, Raw};

fn raw(s: impl Into<String>) -> Tok {
    Raw(s.into())
}

/// A generated case.
struct Case {
    dialect: Dialect,
    /// The dump given to dumpmask.
    dump: String,
    /// The statement names a table other than `customers` (a quoted
    /// PostgreSQL name with capitals): its values may pass through, but
    /// then only as a byte-for-byte copy.
    other_table: bool,
    /// A short description of the choices, for failure messages.
    what: String,
    /// Where the statement starts in `dump` (after the fixed header).
    body: usize,
}

struct Gen {
    rng: Rng,
    dialect: Dialect,
    /// Next original value's number.
    pii: usize,
    /// Keyword case: 0 as written, 1 lower, 2 random per letter.
    kw_case: usize,
    /// How often a gap between tokens is something other than one space.
    odd_gaps: usize,
    /// Plain values and no tails: the shapes a dump holds, so that many
    /// cases are rewritten rather than refused.
    plain: bool,
}

impl Gen {
    fn value(&mut self) -> String {
        self.pii += 1;
        format!("pii{:04}@x.io", self.pii % 10_000)
    }

    /// An original value as a literal of the dialect.
    fn literal(&mut self) -> String {
        let v = self.value();
        if self.plain {
            return format!("'{v}'");
        }
        match self.dialect {
            Dialect::My => match self.rng.below(8) {
                0 => format!("\"{v}\""),
                1 => format!("_utf8mb4'{v}'"),
                2 => format!("_binary '{v}'"),
                3 => format!("N'{v}'"),
                4 => format!("'{v}' '.tail'"),
                _ => format!("'{v}'"),
            },
            Dialect::Pg => match self.rng.below(10) {
                0 => format!("E'{v}'"),
                1 => format!("$${v}$$"),
                2 => format!("$q${v}$q$"),
                3 => format!("'{v}'::text"),
                4 => format!("CAST('{v}' AS text)"),
                5 => format!("U&'{v}'"),
                6 => format!("'{v}'::character varying"),
                _ => format!("'{v}'"),
            },
        }
    }

    fn kw(&mut self, k: &str) -> String {
        match self.kw_case {
            0 => k.to_string(),
            1 => k.to_ascii_lowercase(),
            _ => k
                .chars()
                .map(|c| {
                    if self.rng.chance(2) {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }
                })
                .collect(),
        }
    }

    /// What separates two tokens.
    fn gap(&mut self) -> String {
        if !self.rng.chance(self.odd_gaps) {
            return " ".into();
        }
        let common: &[&str] = &[
            "  ",
            "\t",
            "\n",
            "\r\n",
            " \n\t",
            "/* c */",
            " /* c */ ",
            "/**/",
            "-- c\n",
            " -- c\r\n",
            "\n\n",
            "/* c; 'x' */",
        ];
        match self.dialect {
            Dialect::My => {
                let mine: &[&str] = &["# c\n", " #c\r\n", "/* c\n */", "--\n", "-- \n"];
                if self.rng.chance(4) {
                    self.rng.pick(mine).into()
                } else {
                    self.rng.pick(common).into()
                }
            }
            Dialect::Pg => {
                let mine: &[&str] = &["/* a /* nested */ b */", "--c\n", "--\n", "/* \" */"];
                if self.rng.chance(4) {
                    self.rng.pick(mine).into()
                } else {
                    self.rng.pick(common).into()
                }
            }
        }
    }

    fn join(&mut self, toks: Vec<Tok>) -> String {
        let mut s = String::new();
        for (i, t) in toks.into_iter().enumerate() {
            if i > 0 {
                let g = self.gap();
                s.push_str(&g);
            }
            match t {
                Kw(k) => {
                    let k = self.kw(k);
                    s.push_str(&k)
                }
                Raw(r) => s.push_str(&r),
            }
        }
        s
    }
}

/// Spellings of the ruled table. The flag: names a different table.
fn names(d: Dialect) -> Vec<(Vec<&'static str>, bool)> {
    match d {
        Dialect::My => vec![
            (vec!["customers"], false),
            (vec!["`customers`"], false),
            (vec!["CUSTOMERS"], false),
            (vec!["Customers"], false),
            (vec!["`Customers`"], false),
            (vec!["`CUSTOMERS`"], false),
            (vec![MY_DB, ".", "customers"], false),
            (vec!["`dmshapes`", ".", "`customers`"], false),
            (vec!["DMSHAPES", ".", "Customers"], false),
            (vec!["`dmshapes`", ".", "customers"], false),
        ],
        Dialect::Pg => vec![
            (vec!["customers"], false),
            (vec!["public", ".", "customers"], false),
            (vec!["PUBLIC", ".", "CUSTOMERS"], false),
            (vec!["Public", ".", "Customers"], false),
            (vec!["CUSTOMERS"], false),
            (vec!["\"customers\""], false),
            (vec!["\"public\"", ".", "\"customers\""], false),
            (vec!["public", ".", "\"customers\""], false),
            (vec!["\"public\"", ".", "customers"], false),
            (vec!["\"Customers\""], true),
            (vec!["public", ".", "\"Customers\""], true),
        ],
    }
}

const MY_FORMS: &[&str] = &[
    "values",
    "values",
    "values",
    "values",
    "set",
    "select",
    "table",
    "values_row",
    "update",
    "delete",
    "with",
    "load_data",
    "values_tail_comment",
];
const PG_FORMS: &[&str] = &[
    "values",
    "values",
    "values",
    "values",
    "default_values",
    "select",
    "table",
    "with",
    "with_cte_insert",
    "update",
    "delete",
    "copy",
    "copy",
    "copy",
    "psql_copy",
    "merge",
];

fn header(d: Dialect, other_table: bool) -> String {
    match d {
        Dialect::My => format!(
            "-- MariaDB dump 10.19\n\
             USE `{MY_DB}`;\n\
             DROP TABLE IF EXISTS `customers`;\n\
             DROP TABLE IF EXISTS `other`;\n\
             CREATE TABLE `customers` (`id` int NOT NULL, `email` varchar(100), PRIMARY KEY (`id`))\
             /*!50100 PARTITION BY HASH (`id`) PARTITIONS 2 */;\n\
             CREATE TABLE `other` (`id` int, `email` varchar(100));\n\
             INSERT INTO `other` VALUES (1,'x');\n"
        ),
        Dialect::Pg => {
            let mut s = "--\n-- PostgreSQL database dump\n--\n\
                 DROP TABLE IF EXISTS public.customers;\n\
                 DROP TABLE IF EXISTS public.other;\n\
                 DROP TABLE IF EXISTS public.\"Customers\";\n\
                 CREATE TABLE public.customers (id integer NOT NULL PRIMARY KEY, email text);\n\
                 CREATE TABLE public.other (id integer, email text);\n\
                 INSERT INTO public.other VALUES (1, 'x');\n"
                .to_string();
            if other_table {
                s.push_str("CREATE TABLE public.\"Customers\" (id integer, email text);\n");
            }
            s
        }
    }
}

/// Builds case `i`.
fn case(i: usize) -> Case {
    let dialect = if i.is_multiple_of(2) {
        Dialect::My
    } else {
        Dialect::Pg
    };
    let j = i / 2;
    let mut g = Gen {
        rng: Rng::new(i as u64),
        dialect,
        pii: (i * 7) % 9000,
        kw_case: 0,
        odd_gaps: 2,
        plain: false,
    };
    g.plain = g.rng.chance(2);
    g.kw_case = g.rng.below(3);
    g.odd_gaps = *g.rng.pick(&[&1usize, &2, &4, &8, &1000]);
    let forms = if dialect == Dialect::My {
        MY_FORMS
    } else {
        PG_FORMS
    };
    let all_names = names(dialect);
    // Systematic over (form, name); everything else drawn.
    let form = forms[j % forms.len()];
    let (name, other_table) = all_names[(j / forms.len()) % all_names.len()].clone();
    let name_toks = || name.iter().map(|s| raw(*s)).collect::<Vec<_>>();
    let mut what = vec![format!("{dialect:?}"), form.to_string(), name.concat()];
    let mut toks: Vec<Tok> = Vec::new();
    // Text after the statement's terminator (COPY rows).
    let mut after = String::new();
    let eol = if g.rng.chance(4) { "\r\n" } else { "\n" };
    let mut terminator = ";".to_string();
    let cols_order = g.rng.below(4); // 0 none, 1 (id, email), 2 (email, id), 3 odd spelling
    let columns = |g: &mut Gen, toks: &mut Vec<Tok>| -> bool {
        // Returns whether email comes first.
        match cols_order {
            0 => false,
            1 | 3 => {
                let (a, b) = match (dialect, cols_order) {
                    (Dialect::My, 1) => ("`id`", "`email`"),
                    (Dialect::My, _) => ("ID", "`EMAIL`"),
                    (Dialect::Pg, 1) => ("id", "email"),
                    (Dialect::Pg, _) => ("\"id\"", "EMAIL"),
                };
                toks.extend([raw("("), raw(a), raw(","), raw(b), raw(")")]);
                let _ = g;
                false
            }
            _ => {
                toks.extend([raw("("), raw("email"), raw(","), raw("id"), raw(")")]);
                true
            }
        }
    };
    let rows = |g: &mut Gen, toks: &mut Vec<Tok>, email_first: bool, row_kw: bool| {
        let n = 1 + g.rng.below(3);
        for r in 0..n {
            if r > 0 {
                toks.push(raw(","));
            }
            if row_kw {
                toks.push(Kw("ROW"));
            }
            let id = (r + 1).to_string();
            let v = g.literal();
            toks.push(raw("("));
            if email_first {
                toks.extend([raw(v), raw(","), raw(id)]);
            } else {
                toks.extend([raw(id), raw(","), raw(v)]);
            }
            toks.push(raw(")"));
        }
    };
    match (dialect, form) {
        (Dialect::My, "values" | "values_tail_comment" | "values_row") => {
            let replace = g.rng.chance(3);
            toks.push(Kw(if replace { "REPLACE" } else { "INSERT" }));
            let modifier = g.rng.below(7);
            match modifier {
                1 => toks.push(Kw("LOW_PRIORITY")),
                2 => toks.push(Kw("DELAYED")),
                3 => toks.push(Kw("HIGH_PRIORITY")),
                4 => toks.push(Kw("IGNORE")),
                5 => toks.extend([Kw("LOW_PRIORITY"), Kw("IGNORE")]),
                _ => {}
            }
            if !g.rng.chance(4) {
                toks.push(Kw("INTO"));
            }
            toks.extend(name_toks());
            if g.rng.chance(4) {
                toks.extend([
                    Kw("PARTITION"),
                    raw("("),
                    raw("p0"),
                    raw(","),
                    raw("p1"),
                    raw(")"),
                ]);
                what.push("partition".into());
            }
            let email_first = columns(&mut g, &mut toks);
            toks.push(Kw(if g.rng.chance(3) { "VALUE" } else { "VALUES" }));
            rows(&mut g, &mut toks, email_first, form == "values_row");
            if form == "values_tail_comment" {
                // An executable comment holding more rows, or a comment
                // holding a value after the rows.
                let v = g.value();
                let tail = match g.rng.below(3) {
                    0 => format!("/*!40000 ,(7,'{v}') */"),
                    1 => format!("/*M!100100 ,(7,'{v}') */"),
                    _ => format!("/*!99999 ,(7,'{v}') */"),
                };
                toks.push(raw(tail));
            }
            if !replace && !g.plain {
                match g.rng.below(5) {
                    1 => toks.extend([
                        Kw("ON"),
                        Kw("DUPLICATE"),
                        Kw("KEY"),
                        Kw("UPDATE"),
                        raw("email"),
                        raw("="),
                        Kw("VALUES"),
                        raw("("),
                        raw("email"),
                        raw(")"),
                    ]),
                    2 => {
                        let v = g.literal();
                        toks.extend([
                            Kw("ON"),
                            Kw("DUPLICATE"),
                            Kw("KEY"),
                            Kw("UPDATE"),
                            raw("email"),
                            raw("="),
                            raw(v),
                        ])
                    }
                    3 => toks.extend([
                        Kw("AS"),
                        raw("new"),
                        Kw("ON"),
                        Kw("DUPLICATE"),
                        Kw("KEY"),
                        Kw("UPDATE"),
                        raw("email"),
                        raw("="),
                        raw("new.email"),
                    ]),
                    _ => {}
                }
            }
        }
        (Dialect::My, "set") => {
            toks.push(Kw(if g.rng.chance(3) { "REPLACE" } else { "INSERT" }));
            if g.rng.chance(2) {
                toks.push(Kw("INTO"));
            }
            toks.extend(name_toks());
            let v = g.literal();
            toks.extend([
                Kw("SET"),
                raw("id"),
                raw("="),
                raw("1"),
                raw(","),
                raw("email"),
                raw("="),
                raw(v),
            ]);
        }
        (Dialect::My, "select") | (Dialect::Pg, "select") => {
            toks.push(Kw("INSERT"));
            toks.push(Kw("INTO"));
            toks.extend(name_toks());
            let email_first = columns(&mut g, &mut toks);
            let v = g.literal();
            toks.push(Kw("SELECT"));
            if email_first {
                toks.extend([raw(v), raw(","), raw("1")]);
            } else {
                toks.extend([raw("1"), raw(","), raw(v)]);
            }
            if g.rng.chance(2) {
                toks.extend([Kw("UNION"), Kw("ALL"), Kw("SELECT")]);
                let v = g.literal();
                if email_first {
                    toks.extend([raw(v), raw(","), raw("2")]);
                } else {
                    toks.extend([raw("2"), raw(","), raw(v)]);
                }
            }
        }
        (_, "table") => {
            toks.extend([Kw("INSERT"), Kw("INTO")]);
            toks.extend(name_toks());
            columns(&mut g, &mut toks);
            toks.extend([Kw("TABLE"), raw("other")]);
            // A value elsewhere in the statement, so the oracle has
            // something to look for.
            let v = g.value();
            toks.push(raw(format!("/* {v} */")));
        }
        (Dialect::My, "update") => {
            toks.push(Kw("UPDATE"));
            if g.rng.chance(3) {
                toks.push(Kw("LOW_PRIORITY"));
            }
            if g.rng.chance(3) {
                toks.push(Kw("IGNORE"));
            }
            toks.extend(name_toks());
            let v = g.literal();
            toks.extend([Kw("SET"), raw("email"), raw("="), raw(v)]);
            toks.extend([Kw("WHERE"), raw("id"), raw("="), raw("1")]);
        }
        (Dialect::Pg, "update") => {
            toks.push(Kw("UPDATE"));
            if g.rng.chance(3) {
                toks.push(Kw("ONLY"));
            }
            toks.extend(name_toks());
            let v = g.literal();
            toks.extend([Kw("SET"), raw("email"), raw("="), raw(v)]);
            toks.extend([Kw("WHERE"), raw("id"), raw("="), raw("1")]);
        }
        (_, "delete") => {
            toks.extend([Kw("DELETE"), Kw("FROM")]);
            toks.extend(name_toks());
            let v = g.literal();
            toks.extend([Kw("WHERE"), raw("email"), raw("="), raw(v)]);
        }
        (Dialect::My, "with") | (Dialect::Pg, "with") => {
            toks.extend([
                Kw("WITH"),
                raw("x"),
                Kw("AS"),
                raw("("),
                Kw("SELECT"),
                raw("1"),
                raw(")"),
                Kw("INSERT"),
                Kw("INTO"),
            ]);
            toks.extend(name_toks());
            let email_first = columns(&mut g, &mut toks);
            toks.push(Kw("VALUES"));
            rows(&mut g, &mut toks, email_first, false);
        }
        (Dialect::My, "load_data") => {
            let v = g.value();
            toks.extend([Kw("LOAD"), Kw("DATA"), Kw("INFILE")]);
            toks.push(raw(format!("'/tmp/{v}'")));
            toks.extend([Kw("INTO"), Kw("TABLE")]);
            toks.extend(name_toks());
        }
        (Dialect::Pg, "values") => {
            toks.extend([Kw("INSERT"), Kw("INTO")]);
            toks.extend(name_toks());
            if g.rng.chance(5) {
                toks.extend([Kw("AS"), raw("c")]);
            }
            let email_first = columns(&mut g, &mut toks);
            match g.rng.below(4) {
                1 => toks.extend([Kw("OVERRIDING"), Kw("SYSTEM"), Kw("VALUE")]),
                2 => toks.extend([Kw("OVERRIDING"), Kw("USER"), Kw("VALUE")]),
                _ => {}
            }
            toks.push(Kw("VALUES"));
            rows(&mut g, &mut toks, email_first, false);
            match if g.plain { 0 } else { g.rng.below(5) } {
                1 => toks.extend([Kw("ON"), Kw("CONFLICT"), Kw("DO"), Kw("NOTHING")]),
                2 => {
                    let v = g.literal();
                    toks.extend([
                        Kw("ON"),
                        Kw("CONFLICT"),
                        raw("("),
                        raw("id"),
                        raw(")"),
                        Kw("DO"),
                        Kw("UPDATE"),
                        Kw("SET"),
                        raw("email"),
                        raw("="),
                        raw(v),
                    ])
                }
                3 => toks.extend([
                    Kw("ON"),
                    Kw("CONFLICT"),
                    raw("("),
                    raw("id"),
                    raw(")"),
                    Kw("DO"),
                    Kw("UPDATE"),
                    Kw("SET"),
                    raw("email"),
                    raw("="),
                    raw("EXCLUDED.email"),
                ]),
                _ => {}
            }
            if !g.plain && g.rng.chance(4) {
                toks.extend([Kw("RETURNING"), raw("id")]);
            }
        }
        (Dialect::Pg, "default_values") => {
            toks.extend([Kw("INSERT"), Kw("INTO")]);
            toks.extend(name_toks());
            toks.extend([Kw("DEFAULT"), Kw("VALUES")]);
            let v = g.value();
            toks.extend([Kw("RETURNING"), raw(format!("'{v}'"))]);
        }
        (Dialect::Pg, "with_cte_insert") => {
            toks.extend([
                Kw("WITH"),
                raw("x"),
                Kw("AS"),
                raw("("),
                Kw("INSERT"),
                Kw("INTO"),
            ]);
            toks.extend(name_toks());
            let email_first = columns(&mut g, &mut toks);
            toks.push(Kw("VALUES"));
            rows(&mut g, &mut toks, email_first, false);
            toks.extend([
                Kw("RETURNING"),
                raw("id"),
                raw(")"),
                Kw("SELECT"),
                raw("count(*)"),
                Kw("FROM"),
                raw("x"),
            ]);
        }
        (Dialect::Pg, "merge") => {
            let v = g.literal();
            toks.extend([Kw("MERGE"), Kw("INTO")]);
            toks.extend(name_toks());
            toks.extend([
                raw("c"),
                Kw("USING"),
                raw("("),
                Kw("VALUES"),
                raw("("),
                raw("9"),
                raw(","),
                raw(v),
                raw(")"),
                raw(")"),
                raw("v"),
                raw("("),
                raw("id"),
                raw(","),
                raw("email"),
                raw(")"),
                Kw("ON"),
                raw("c.id"),
                raw("="),
                raw("v.id"),
                Kw("WHEN"),
                Kw("NOT"),
                Kw("MATCHED"),
                Kw("THEN"),
                Kw("INSERT"),
                Kw("VALUES"),
                raw("("),
                raw("v.id"),
                raw(","),
                raw("v.email"),
                raw(")"),
            ]);
        }
        (Dialect::Pg, "copy" | "psql_copy") => {
            let psql = form == "psql_copy";
            toks.push(if psql { raw("\\copy") } else { Kw("COPY") });
            toks.extend(name_toks());
            let email_first = columns(&mut g, &mut toks);
            toks.extend([Kw("FROM"), Kw("stdin")]);
            // (option tokens, field delimiter, header line)
            let (opts, delim, head): (Vec<Tok>, &str, bool) = match g.rng.below(14) {
                1 => (vec![Kw("WITH"), raw("(FORMAT text)")], "\t", false),
                2 => (vec![Kw("WITH"), raw("(FORMAT csv)")], ",", false),
                3 => (vec![Kw("CSV")], ",", false),
                4 => (vec![raw("(DELIMITER ',')")], ",", false),
                5 => (
                    vec![
                        Kw("WITH"),
                        raw("(FORMAT text, DELIMITER E'\\t', NULL '\\N')"),
                    ],
                    "\t",
                    false,
                ),
                6 => (
                    vec![Kw("WITH"), Kw("NULL"), Kw("AS"), raw("'-'")],
                    "\t",
                    false,
                ),
                7 => (vec![Kw("WITH"), raw("(HEADER)")], "\t", true),
                8 => (vec![raw("(FREEZE)")], "\t", false),
                9 => (vec![raw("(ENCODING 'UTF8')")], "\t", false),
                10 => (vec![Kw("DELIMITER"), raw("'|'")], "|", false),
                11 => (vec![raw("(FORMAT text, HEADER false)")], "\t", false),
                12 => (vec![Kw("WITH"), Kw("BINARY")], "\t", false),
                _ => (vec![], "\t", false),
            };
            toks.extend(opts);
            if psql {
                // psql reads the whole line: no terminator, no line-spanning gaps.
                terminator = String::new();
                g.odd_gaps = 1000;
            }
            if head {
                after.push_str(if email_first {
                    "email\tid"
                } else {
                    "id\temail"
                });
                after.push_str(eol);
            }
            for r in 0..1 + g.rng.below(3) {
                let v = g.value();
                let id = (r + 1).to_string();
                if email_first {
                    after.push_str(&format!("{v}{delim}{id}{eol}"));
                } else {
                    after.push_str(&format!("{id}{delim}{v}{eol}"));
                }
            }
            after.push_str("\\.");
            after.push_str(eol);
        }
        other => unreachable!("{other:?}"),
    }
    let mut stmt = g.join(toks);
    // Executable comments around the whole statement (MySQL).
    if dialect == Dialect::My && g.rng.chance(5) {
        let open = *g.rng.pick(&[
            &"/*!40000 ",
            &"/*!50001 ",
            &"/*M!100100 ",
            &"/*!",
            &"/*M!999999 ",
        ]);
        what.push(format!("wrapped {}", open.trim()));
        stmt = format!("{open}{stmt} */");
    }
    let leading = if g.rng.chance(6) {
        g.gap()
    } else {
        String::new()
    };
    let head = header(dialect, other_table);
    let body = head.len();
    let dump = format!("{head}{leading}{stmt}{terminator}{eol}{after}");
    what.push(format!(
        "kw_case {} gaps 1/{}{}",
        g.kw_case,
        g.odd_gaps,
        if g.plain { " plain" } else { "" }
    ));
    Case {
        dialect,
        dump,
        other_table,
        what: what.join(", "),
        body,
    }
}

// ---------------------------------------------------------------------------
// Running dumpmask in-process.

fn set_secret() {
    std::env::set_var("DUMPMASK_SECRET", common::SECRET);
}

/// Rewrites `dump`: the output, or the error's message and whether it
/// carries a byte position.
fn rewrite(dump: &[u8], d: Dialect) -> Result<Vec<u8>, (String, bool)> {
    let engine = match d {
        Dialect::My => Engine::MySql,
        Dialect::Pg => Engine::Postgres,
    };
    let rules = Rules::parse(RULES, "rules.toml", None).expect("rules");
    RewriterBuilder::new()
        .threads(1)
        .chunk_size(1 << 16)
        .max_statement(1 << 20)
        .window(1 << 16)
        .dialect(engine)
        .build(rules)
        .rewrite_bytes(dump.to_vec(), Vec::new())
        .map(|r| r.out)
        .map_err(|e| (e.to_string(), e.position().is_some()))
}

/// Where an original value (`pii` + 4 digits) survives.
fn leak(out: &[u8]) -> Option<usize> {
    out.windows(7)
        .position(|w| w.starts_with(b"pii") && w[3..].iter().all(u8::is_ascii_digit))
}

enum Verdict {
    Rewritten(Vec<u8>),
    /// A different table's statement, copied byte for byte.
    Verbatim,
    Refused,
}

/// Runs one case and checks the promise; returns what happened.
fn judge(i: usize, c: &Case) -> Result<Verdict, String> {
    let r = std::panic::catch_unwind(|| rewrite(c.dump.as_bytes(), c.dialect));
    let r = match r {
        Ok(r) => r,
        Err(_) => {
            return Err(format!(
                "case {i} ({}): dumpmask panicked on:\n{}",
                c.what, c.dump
            ))
        }
    };
    match r {
        Ok(out) => match leak(&out) {
            None => Ok(Verdict::Rewritten(out)),
            Some(_) if c.other_table && out == c.dump.as_bytes() => Ok(Verdict::Verbatim),
            Some(at) => Err(format!(
                "case {i} ({}): an original value survived at output byte {at}\n--- input:\n{}\n--- output:\n{}",
                c.what,
                c.dump,
                String::from_utf8_lossy(&out)
            )),
        },
        Err((msg, has_pos)) => {
            if !has_pos {
                return Err(format!(
                    "case {i} ({}): refused without a byte position: {msg}\n{}",
                    c.what, c.dump
                ));
            }
            if leak(msg.as_bytes()).is_some() {
                return Err(format!("case {i}: a value in the error: {msg}"));
            }
            if std::env::var_os("DUMPMASK_SHAPE_VERBOSE").is_some() {
                eprintln!("REFUSED case {i} ({}): {msg}", c.what);
            }
            Ok(Verdict::Refused)
        }
    }
}

fn case_count() -> usize {
    std::env::var("DUMPMASK_SHAPE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6000)
}

#[test]
fn generated_shapes_are_rewritten_or_refused() {
    set_secret();
    let started = Instant::now();
    let only: Option<usize> = std::env::var("DUMPMASK_SHAPE_CASE")
        .ok()
        .and_then(|v| v.parse().ok());
    let (mut rewritten, mut refused, mut verbatim) = ([0usize; 2], [0usize; 2], [0usize; 2]);
    let mut failures: Vec<String> = Vec::new();
    let range = match only {
        Some(i) => i..i + 1,
        None => 0..case_count(),
    };
    for i in range {
        let c = case(i);
        if only.is_some() {
            eprintln!("{}\n{}", c.what, c.dump);
        }
        let d = c.dialect as usize;
        let verdict = match judge(i, &c) {
            Ok(v) => v,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        match verdict {
            Verdict::Rewritten(out) => {
                if only.is_some() {
                    eprintln!("--- output:\n{}", String::from_utf8_lossy(&out));
                }
                rewritten[d] += 1
            }
            Verdict::Verbatim => verbatim[d] += 1,
            Verdict::Refused => refused[d] += 1,
        }
    }
    for (d, name) in [(0, "MySQL"), (1, "PostgreSQL")] {
        eprintln!(
            "shapes {name}: {} cases: {} rewritten, {} refused, {} copied (another table)",
            rewritten[d] + refused[d] + verbatim[d],
            rewritten[d],
            refused[d],
            verbatim[d]
        );
    }
    eprintln!("shapes: {:.1?}", started.elapsed());
    assert!(
        failures.is_empty(),
        "{} failing cases; the first:\n\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n\n")
    );
}

// ---------------------------------------------------------------------------
// The real servers.

/// Runs `body` on the server after emptying `customers`; `Some(rows in
/// customers)` if it accepted all of it, `None` if it refused.
fn load(d: Dialect, pg_db: Option<&str>, body: &str) -> Option<u64> {
    let out = match (d, pg_db) {
        (Dialect::My, _) => client(
            Command::new("mariadb").args([
                "-uroot",
                "--batch",
                "--skip-column-names",
                "--comments",
                MY_DB,
            ]),
            &format!(
                "DELETE FROM customers;\n{body}\nSELECT CONCAT('ROWS=', COUNT(*)) FROM customers;\n"
            ),
        ),
        (Dialect::Pg, Some(db)) => client(
            Command::new("psql").args([
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
                "-d",
                db,
            ]),
            &format!(
                "DELETE FROM public.customers; DELETE FROM public.\"Customers\";\n{body}\nSELECT 'ROWS=' || count(*) FROM public.customers;\n"
            ),
        ),
        (Dialect::Pg, None) => unreachable!(),
    }?;
    rows_of(&out)
}

fn client(cmd: &mut Command, script: &str) -> Option<String> {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn client");
    let mut stdin = child.stdin.take().unwrap();
    let data = script.as_bytes().to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn rows_of(out: &str) -> Option<u64> {
    out.lines()
        .rev()
        .find_map(|l| l.strip_prefix("ROWS="))
        .and_then(|n| n.trim().parse().ok())
}

/// Every `step`-th case of a dialect goes to its server. The tables are
/// created once (from the header every case shares); each case then runs
/// only its statement, and dumpmask's rewrite of it, on emptied tables.
fn server_check(d: Dialect, step: usize) {
    set_secret();
    let started = Instant::now();
    let pg_db = (d == Dialect::Pg).then(|| common::PgDb::fresh("shapes"));
    let db = pg_db.as_ref().map(|p| p.0.as_str());
    match d {
        Dialect::My => common::mariadb(
            None,
            &format!("DROP DATABASE IF EXISTS {MY_DB}; CREATE DATABASE {MY_DB}"),
        ),
        Dialect::Pg => String::new(),
    };
    let setup = match d {
        Dialect::My => format!("USE {MY_DB};\n{}", header(d, true)),
        Dialect::Pg => header(d, true),
    };
    match db {
        Some(db) => common::psql(db, &setup),
        None => common::mariadb(None, &setup),
    };
    let first = if d == Dialect::My { 0 } else { 1 };
    let (mut checked, mut accepted, mut agreed, mut refused) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for i in (first..case_count()).step_by(2 * step) {
        let c = case(i);
        checked += 1;
        let Some(want) = load(d, db, &c.dump[c.body..]) else {
            continue;
        };
        accepted += 1;
        let verdict = match judge(i, &c) {
            Ok(v) => v,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        match verdict {
            Verdict::Refused => refused += 1,
            Verdict::Verbatim => agreed += 1,
            Verdict::Rewritten(out) => {
                let out = String::from_utf8(out).expect("utf-8 output");
                let got = match out.strip_prefix(&c.dump[..c.body]) {
                    Some(body) => load(d, db, body),
                    None => {
                        failures.push(format!("case {i}: the header was not copied as it is"));
                        continue;
                    }
                };
                match got {
                    Some(got) if got == want => agreed += 1,
                    got => failures.push(format!(
                        "case {i} ({}): the server accepted the input ({want} rows) but not the output ({got:?})\n--- input:\n{}\n--- output:\n{out}",
                        c.what, c.dump
                    )),
                }
            }
        }
    }
    if d == Dialect::My {
        common::mariadb(None, &format!("DROP DATABASE IF EXISTS {MY_DB}"));
    }
    eprintln!(
        "server {d:?}: {checked} cases tried, {accepted} accepted by the server: \
         {agreed} rewritten and loaded with the same row count, {refused} refused by dumpmask; {:.1?}",
        started.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn accepted_by_mariadb_means_rewritten_output_loads_too() {
    if !common::mariadb_available() {
        return;
    }
    server_check(Dialect::My, 5);
}

#[test]
fn accepted_by_postgres_means_rewritten_output_loads_too() {
    if !common::postgres_available() {
        return;
    }
    server_check(Dialect::Pg, 13);
}

/// Found by the generator: a schema-qualified name in a dump without
/// `USE` binds the bare rule to two tables; the run is refused (no output),
/// but the error points into the rules file, not at the statement.
#[test]
#[ignore = "no position: a qualified name without USE is refused naming rules.toml:1:2, not the input byte"]
fn a_qualified_name_without_use_is_refused_with_its_position() {
    set_secret();
    let dump = "-- MariaDB dump 10.19\n\
                CREATE TABLE `customers` (`id` int, `email` varchar(100));\n\
                INSERT INTO `db1`.`customers` (`id`, `email`) VALUES (1,'pii0001@x.io');\n";
    match rewrite(dump.as_bytes(), Dialect::My) {
        Ok(out) => assert!(leak(&out).is_none()),
        Err((msg, has_pos)) => assert!(has_pos, "{msg}"),
    }
}

/// Found by the generator and the fuzzer: comments inside a ruled table's
/// rewritten INSERT are copied as they are. The server stores no row from
/// them, so the promise (rows) holds, but a commented-out row of personal
/// data reaches the output. Left for a decision: drop or refuse comments
/// that sit between a ruled table's rows?
#[test]
fn a_comment_between_ruled_rows_is_not_copied() {
    set_secret();
    let dump = "-- MariaDB dump 10.19\n\
                CREATE TABLE `customers` (`id` int, `email` varchar(100));\n\
                INSERT INTO customers VALUES (1,'pii0001@x.io'),\n\
                # (2,'pii0002@x.io'),\n\
                (3,'pii0003@x.io');\n";
    match rewrite(dump.as_bytes(), Dialect::My) {
        Ok(out) => assert!(leak(&out).is_none(), "{}", String::from_utf8_lossy(&out)),
        Err((msg, has_pos)) => assert!(has_pos, "{msg}"),
    }
}
