//! Property tests: the fast scanners agree with slow, obviously correct
//! references, and every execution path gives the same bytes.

use std::io::Cursor;

use dumpmask::internals::statement_end;
use dumpmask::rules::Rules;
use dumpmask::Engine;
use dumpmask::Options;
use proptest::prelude::*;

/// The reference statement scanner: one byte at a time, one state enum.
#[derive(Clone, Copy, PartialEq)]
enum S {
    Code,
    Quote(u8),
    Escape(u8),
    LineComment,
    BlockComment,
}

/// Where the statement starting at `from` ends (past the delimiter),
/// `Ok(None)` if the input ends first, `Err(at)` if it ends in a string or
/// block comment that began at `at`.
fn reference_end(w: &[u8], from: usize, delim: &[u8]) -> Result<Option<usize>, usize> {
    let mut s = S::Code;
    let mut conditional = false;
    let mut opened = 0;
    let mut i = from;
    while i < w.len() {
        let b = w[i];
        match s {
            S::Code => {
                if b == b'\'' || b == b'"' || b == b'`' {
                    s = S::Quote(b);
                    opened = i;
                } else if (b == b'-'
                    && w.get(i + 1) == Some(&b'-')
                    && w.get(i + 2).is_none_or(|c| c.is_ascii_whitespace()))
                    || b == b'#'
                {
                    s = S::LineComment;
                } else if b == b'/' && w.get(i + 1) == Some(&b'*') {
                    if w.get(i + 2) == Some(&b'!')
                        || (w.get(i + 2) == Some(&b'M') && w.get(i + 3) == Some(&b'!'))
                    {
                        conditional = true;
                        i += 3;
                        continue;
                    }
                    s = S::BlockComment;
                    opened = i;
                    i += 2;
                    continue;
                } else if conditional && b == b'*' && w.get(i + 1) == Some(&b'/') {
                    conditional = false;
                    i += 2;
                    continue;
                } else if !conditional && w[i..].starts_with(delim) {
                    return Ok(Some(i + delim.len()));
                }
            }
            S::Quote(q) => {
                if b == b'\\' && q != b'`' {
                    s = S::Escape(q);
                } else if b == q {
                    if w.get(i + 1) == Some(&q) {
                        i += 2;
                        continue;
                    }
                    s = S::Code;
                }
            }
            S::Escape(q) => s = S::Quote(q),
            S::LineComment => {
                if b == b'\n' {
                    s = S::Code;
                }
            }
            S::BlockComment => {
                if b == b'*' && w.get(i + 1) == Some(&b'/') {
                    s = S::Code;
                    i += 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    match s {
        S::Quote(_) | S::Escape(_) | S::BlockComment => Err(opened),
        _ => Ok(None),
    }
}

fn tricky_sql() -> impl Strategy<Value = Vec<u8>> {
    let pieces: Vec<&'static [u8]> = vec![
        b"'", b"\"", b"`", b"\\", b";", b";;", b"--", b"-- ", b"#", b"\n", b" ", b"/*", b"*/",
        b"/*!4 ", b"/*M!9 ", b"a", b"''", b"\\'", b"*", b"-",
    ];
    prop::collection::vec(prop::sample::select(pieces), 0..40).prop_map(|v| v.concat())
}

/// One MySQL statement with arbitrary bytes where the syntax allows any:
/// inside a string (escaped as mysqldump escapes), a quoted name, or a
/// comment.
fn dump_statement() -> impl Strategy<Value = Vec<u8>> {
    let bytes = prop::collection::vec(any::<u8>(), 0..40);
    (0u8..6, bytes).prop_map(|(kind, b)| {
        let escaped: Vec<u8> = b
            .iter()
            .flat_map(|&c| match c {
                b'\'' | b'\\' => vec![b'\\', c],
                0 => b"\\0".to_vec(),
                _ => vec![c],
            })
            .collect();
        let text: Vec<u8> = b
            .iter()
            .copied()
            .filter(|c| *c != b'\n' && *c != 0)
            .collect();
        let name: Vec<u8> = b
            .iter()
            .copied()
            .filter(|c| *c != b'`' && *c != 0)
            .collect();
        match kind {
            0 => [
                &b"INSERT INTO `t` VALUES (1,'"[..],
                &escaped,
                b"'),(2,NULL);\n",
            ]
            .concat(),
            1 => [&b"-- "[..], &text, b"\n"].concat(),
            2 => [
                &b"/* "[..],
                &text
                    .iter()
                    .copied()
                    .filter(|c| *c != b'*')
                    .collect::<Vec<u8>>(),
                b" */\n",
            ]
            .concat(),
            3 => [&b"CREATE TABLE `"[..], &name, b"` (`a` text);\n"].concat(),
            4 => [
                &b"INSERT INTO `"[..],
                &name,
                &b"` (`a`) VALUES ('"[..],
                &escaped,
                b"');\n",
            ]
            .concat(),
            _ => b"/*!40101 SET NAMES utf8mb4 */;\n".to_vec(),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn statement_end_agrees_with_the_reference(src in tricky_sql(), two in any::<bool>()) {
        let delim: &[u8] = if two { b";;" } else { b";" };
        let mut from = 0;
        loop {
            let fast = statement_end(&src, from, delim, &dumpmask::internals::LEXICAL).map_err(|(at, _)| at);
            let slow = reference_end(&src, from, delim);
            prop_assert_eq!(fast, slow, "from {}", from);
            match fast {
                Ok(Some(end)) => from = end,
                _ => break,
            }
        }
    }
}

/// A random MySQL table's rows: (a: text, b: int, c: text).
#[derive(Debug, Clone)]
struct Row {
    a: Option<Vec<u8>>,
    b: i64,
    c: Option<Vec<u8>>,
    hex_a: bool,
}

fn text() -> impl Strategy<Value = Option<Vec<u8>>> {
    let bytes = prop::collection::vec(
        prop::sample::select(vec![
            b'a', b'\'', b'"', b'\\', b'\n', b'\r', 0u8, 0x1a, 0xff, b',', b')', b'(', b';', b' ',
            b'\t', b'%',
        ]),
        0..12,
    );
    prop::option::weighted(0.85, bytes)
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (text(), any::<i64>(), text(), any::<bool>()).prop_map(|(a, b, c, hex_a)| Row {
            a,
            b,
            c,
            hex_a,
        }),
        0..30,
    )
}

fn lit(v: &Option<Vec<u8>>, hex: bool) -> Vec<u8> {
    match v {
        None => b"NULL".to_vec(),
        Some(v) if hex && !v.is_empty() => {
            let mut s = b"0x".to_vec();
            for b in v {
                s.extend_from_slice(format!("{b:02X}").as_bytes());
            }
            s
        }
        Some(v) => {
            let mut s = Vec::new();
            dumpmask::internals::encode_string(v, &mut s);
            s
        }
    }
}

/// Renders rows as a dump with `per_stmt` rows per INSERT, tuples joined
/// by `sep`. With `expected`, renders what the rules should make of it:
/// a -> 'X' (NULL stays NULL), c -> NULL.
fn render(rows: &[Row], per_stmt: usize, sep: &[u8], expected: bool) -> Vec<u8> {
    let mut out = b"-- MariaDB dump 10.19\n".to_vec();
    // Past the first stream window (which holds the header the dialect is
    // read from), so small windows exercise every resume path.
    for _ in 0..100 {
        out.extend_from_slice(b"-- padding padding padding padding padding\n");
    }
    out.extend_from_slice(b"/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE `t` (\n  `a` varchar(20) DEFAULT NULL,\n  `b` bigint(20) NOT NULL,\n  `c` text\n) ENGINE=InnoDB;\n");
    out.extend_from_slice(b"DELIMITER ;;\nCREATE PROCEDURE p() BEGIN\nINSERT INTO `t` VALUES ('secret',1,'x');\nEND ;;\nDELIMITER ;\n");
    for (k, chunk) in rows.chunks(per_stmt.max(1)).enumerate() {
        out.extend_from_slice(b"INSERT INTO `t` VALUES ");
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(sep);
            }
            out.push(b'(');
            if expected {
                out.extend_from_slice(if r.a.is_some() { b"'X'" } else { b"NULL" });
            } else {
                out.extend_from_slice(&lit(&r.a, r.hex_a));
            }
            out.push(b',');
            out.extend_from_slice(r.b.to_string().as_bytes());
            out.push(b',');
            let c = if expected {
                b"NULL".to_vec()
            } else {
                lit(&r.c, false)
            };
            out.extend_from_slice(&c);
            out.push(b')');
        }
        out.extend_from_slice(b";\n");
        if k % 3 == 1 {
            out.extend_from_slice(b"/* a comment; with ' quote */ -- and ; more\n");
        }
    }
    out.extend_from_slice(b"-- Dump completed\n");
    out
}

const RULES: &str =
    "[tables.t.columns]\na = { transform = \"fixed\", value = \"X\" }\nc = \"null\"\n";

/// A rewriter with these options, through the library's API.
fn rewriter(rules: &str, dialect: Engine, opts: &Options) -> Result<dumpmask::Rewriter, String> {
    let rules = Rules::parse(rules, "rules.toml", None).map_err(|e| e.to_string())?;
    Ok(dumpmask::RewriterBuilder::new()
        .threads(opts.threads)
        .chunk_size(opts.chunk_size)
        .max_statement(opts.max_statement)
        .window(opts.window)
        .dialect(dialect)
        .build(rules))
}

/// The dump whole in memory (as a memory-mapped file is read).
fn rewrite_whole(
    dump: Vec<u8>,
    rules: &str,
    dialect: Engine,
    opts: &Options,
) -> Result<Vec<u8>, String> {
    rewriter(rules, dialect, opts)?
        .rewrite_bytes(dump, Vec::new())
        .map(|done| done.out)
        .map_err(|e| e.to_string())
}

/// The dump as a stream, read in windows (as standard input is).
fn rewrite_stream(
    dump: &[u8],
    rules: &str,
    dialect: Engine,
    opts: &Options,
) -> Result<Vec<u8>, String> {
    rewriter(rules, dialect, opts)?
        .rewrite_reader(Cursor::new(dump.to_vec()), Vec::new())
        .map(|done| done.out)
        .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_path_rewrites_exactly_the_ruled_values(
        rows in rows(),
        per_stmt in 1usize..8,
        one_line in any::<bool>(),
        threads in 1usize..4,
        chunk in 1usize..300,
        window in 1usize..200,
    ) {
        let sep: &[u8] = if one_line { b"," } else { b",\n" };
        let dump = render(&rows, per_stmt, sep, false);
        let want = render(&rows, per_stmt, sep, true);
        let opts = Options { threads, chunk_size: chunk, max_statement: 1 << 20, window, ..Options::default() };
        let whole = rewrite_whole(dump.clone(), RULES, Engine::MySql, &opts).unwrap();
        prop_assert!(whole == want, "whole input differs from the expected rewrite");
        let streamed = rewrite_stream(&dump, RULES, Engine::MySql, &opts).unwrap();
        prop_assert!(streamed == want, "streamed input differs from the expected rewrite");
    }

    /// Dumps made of whole statements with arbitrary bytes inside their
    /// strings and comments: without rules every one that is read comes
    /// out byte for byte, and nearly every one is read (the generator
    /// writes valid quoting), so the identity is checked on most cases.
    #[test]
    fn dump_shaped_bytes_never_change_without_rules(
        stmts in prop::collection::vec(dump_statement(), 0..12),
        threads in 1usize..3,
        chunk in 1usize..64,
    ) {
        let mut dump = b"-- MariaDB dump\n".to_vec();
        for st in &stmts {
            dump.extend_from_slice(st);
        }
        let opts = Options { threads, chunk_size: chunk, max_statement: 1 << 20, window: 16, ..Options::default() };
        let out = rewrite_whole(dump.clone(), "", Engine::MySql, &opts);
        prop_assert!(out.as_deref() == Ok(&dump[..]), "not copied as it is: {:?}", out.err());
        let streamed = rewrite_stream(&dump, "", Engine::MySql, &opts);
        prop_assert!(streamed.as_deref() == Ok(&dump[..]));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_never_change_without_rules(
        body in prop::collection::vec(any::<u8>(), 0..400),
        threads in 1usize..3,
        chunk in 1usize..64,
        pg in any::<bool>(),
    ) {
        let (mut dump, dialect) = if pg {
            (b"-- PostgreSQL database dump\nCREATE TABLE public.t (a text, b int, c text);\nCOPY public.t (a, b, c) FROM stdin;\n".to_vec(), Engine::Postgres)
        } else {
            (b"-- MariaDB dump\n".to_vec(), Engine::MySql)
        };
        dump.extend_from_slice(&body);
        let opts = Options { threads, chunk_size: chunk, max_statement: 1 << 20, window: 16, ..Options::default() };
        if let Ok(out) = rewrite_whole(dump.clone(), "", dialect, &opts) {
            prop_assert!(out == dump);
        }
        let _ = rewrite_stream(&dump, RULES, dialect, &opts);
    }

    #[test]
    fn arbitrary_tokens_never_panic(src in tricky_sql(), threads in 1usize..3, chunk in 1usize..32) {
        let mut dump = b"-- MariaDB dump\nCREATE TABLE `t` (`a` text, `b` int, `c` text);\nINSERT INTO `t` VALUES ".to_vec();
        dump.extend_from_slice(&src);
        let opts = Options { threads, chunk_size: chunk, max_statement: 1 << 20, window: 8, ..Options::default() };
        let a = rewrite_whole(dump.clone(), RULES, Engine::MySql, &opts);
        let b = rewrite_stream(&dump, RULES, Engine::MySql, &opts);
        prop_assert_eq!(a.is_ok(), b.is_ok());
        if let (Ok(a), Ok(b)) = (a, b) {
            prop_assert!(a == b);
        }
    }
}

/// Renders rows as a pg_dump COPY block whose lines end in `eol` (`\n`,
/// or `\r\n` as in a dump saved on Windows); with `expected`, what the
/// rules make of it (a -> X unless NULL, c -> NULL, the line ends kept).
fn render_copy(rows: &[Row], expected: bool, eol: &[u8]) -> Vec<u8> {
    let mut out = b"--\n-- PostgreSQL database dump\n--\n".to_vec();
    for _ in 0..100 {
        out.extend_from_slice(b"-- padding padding padding padding padding\n");
    }
    out.extend_from_slice(b"SET standard_conforming_strings = on;\nCREATE TABLE public.t (\n    a text,\n    b bigint NOT NULL,\n    c text\n);\n");
    out.extend_from_slice(b"CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $_$\nCOPY public.t (a, b, c) FROM stdin;\nsecret\t1\tx\n\\.\n$_$;\n");
    out.extend_from_slice(b"COPY public.t (a, b, c) FROM stdin;");
    out.extend_from_slice(eol);
    let field = |v: &Option<Vec<u8>>, out: &mut Vec<u8>| match v {
        None => out.extend_from_slice(b"\\N"),
        Some(v) => dumpmask::internals::encode_copy(v, out),
    };
    for r in rows {
        if expected {
            out.extend_from_slice(if r.a.is_some() { b"X" } else { b"\\N" });
        } else {
            field(&r.a, &mut out);
        }
        out.push(b'\t');
        out.extend_from_slice(r.b.to_string().as_bytes());
        out.push(b'\t');
        if expected {
            out.extend_from_slice(b"\\N");
        } else {
            field(&r.c, &mut out);
        }
        out.extend_from_slice(eol);
    }
    out.extend_from_slice(b"\\.");
    out.extend_from_slice(eol);
    out.extend_from_slice(b"\n-- PostgreSQL database dump complete\n");
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_path_rewrites_copy_rows_exactly(
        rows in rows(),
        threads in 1usize..4,
        chunk in 1usize..300,
        window in 1usize..200,
        crlf in any::<bool>(),
    ) {
        let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let dump = render_copy(&rows, false, eol);
        let want = render_copy(&rows, true, eol);
        let opts = Options { threads, chunk_size: chunk, max_statement: 1 << 20, window, ..Options::default() };
        let rules = "[tables.t.columns]\na = { transform = \"fixed\", value = \"X\" }\nc = \"null\"\n";
        let whole = rewrite_whole(dump.clone(), rules, Engine::Postgres, &opts).unwrap();
        prop_assert!(whole == want, "whole input differs from the expected rewrite");
        let streamed = rewrite_stream(&dump, rules, Engine::Postgres, &opts).unwrap();
        prop_assert!(streamed == want, "streamed input differs from the expected rewrite");
    }
}

/// The obvious string scanner: one byte at a time.
fn naive_string_end(s: &[u8], mut i: usize, quote: u8, backslash: bool) -> Option<usize> {
    while i < s.len() {
        if backslash && s[i] == b'\\' {
            i += 2;
            continue;
        }
        if s[i] == quote {
            if s.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn string_end_agrees_with_the_obvious_scanner(
        body in prop::collection::vec(prop::sample::select(vec![b'a', b'\'', b'\\', b'"', 0xffu8, b'\n', 0u8, b'x']), 0..300),
        start in 0usize..8,
        backslash in any::<bool>(),
    ) {
        let start = start.min(body.len());
        for quote in [b'\'', b'"'] {
            prop_assert_eq!(
                dumpmask::internals::string_end(&body, start, quote, backslash),
                naive_string_end(&body, start, quote, backslash)
            );
        }
    }

    /// Long strings dense with backslashes, where the end lies blocks away
    /// from the start.
    #[test]
    fn long_escaped_strings_end_where_the_obvious_scanner_says(
        body in prop::collection::vec(prop_oneof![40 => Just(b'a'), 30 => Just(b'\\'), 1 => Just(b'\''), 1 => Just(b'"')], 0..600),
        start in 0usize..70,
    ) {
        let start = start.min(body.len());
        for quote in [b'\'', b'"'] {
            prop_assert_eq!(
                dumpmask::internals::string_end(&body, start, quote, true),
                naive_string_end(&body, start, quote, true)
            );
        }
    }
}

/// One value of a generated MySQL row, and whether only the exact scanner
/// may read it (a `".."` string, `\N`, a comment).
fn mysql_value() -> impl Strategy<Value = (Vec<u8>, bool)> {
    let tricky = prop::collection::vec(
        prop::sample::select(vec![
            b'a', b'a', b'a', b'\'', b'\\', b'"', b';', b')', b'(', b',', b'#', b'-', b'/', b'*',
            b'\n', b'`', 0u8,
        ]),
        0..150,
    );
    prop_oneof![
        4 => any::<i32>().prop_map(|n| (n.to_string().into_bytes(), false)),
        2 => Just((b"NULL".to_vec(), false)),
        8 => tricky.prop_map(|v| {
            let mut s = Vec::new();
            dumpmask::internals::encode_string(&v, &mut s);
            (s, false)
        }),
        1 => prop::sample::select(vec![
            &b"\"x;)\\\" ,'\""[..],
            b"\\N",
            b"/* ); */ 5",
            b"-- );\n 6",
            b"# );\n 7",
            b"`a`",
        ])
        .prop_map(|v| (v.to_vec(), true)),
    ]
}

/// Rows `(v, v), (v)...;` and what follows the statement.
fn mysql_rows() -> impl Strategy<Value = Vec<Vec<(Vec<u8>, bool)>>> {
    prop::collection::vec(prop::collection::vec(mysql_value(), 1..6), 1..8)
}

/// The obvious reader of such rows: every row's commas and end (past its
/// `)`), and the statement's `;`.
fn reference_rows(w: &[u8]) -> (Vec<Vec<usize>>, Vec<usize>, usize) {
    let skip = |mut i: usize| loop {
        while w[i].is_ascii_whitespace() {
            i += 1;
        }
        if w[i..].starts_with(b"/*") {
            i += memchr::memmem::find(&w[i + 2..], b"*/").unwrap() + 4;
        } else if w[i..].starts_with(b"-- ") || w[i..].starts_with(b"--\n") || w[i] == b'#' {
            i += memchr::memchr(b'\n', &w[i..]).unwrap() + 1;
        } else {
            return i;
        }
    };
    let (mut commas, mut ends) = (Vec::new(), Vec::new());
    let mut p = 0;
    loop {
        assert_eq!(w[p], b'(');
        p += 1;
        let mut row = Vec::new();
        loop {
            p = skip(p);
            p = match w[p] {
                q @ (b'\'' | b'"' | b'`') => naive_string_end(w, p + 1, q, q != b'`').unwrap() + 1,
                _ => {
                    p + w[p..]
                        .iter()
                        .position(|&b| b == b',' || b == b')' || b.is_ascii_whitespace())
                        .unwrap()
                }
            };
            p = skip(p);
            if w[p] == b',' {
                row.push(p);
                p += 1;
            } else {
                assert_eq!(w[p], b')');
                break;
            }
        }
        commas.push(row);
        ends.push(p + 1);
        p = skip(p + 1);
        if w[p] == b';' {
            return (commas, ends, p);
        }
        assert_eq!(w[p], b',');
        p = skip(p + 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The block scanners of MySQL rows decide what the obvious reader
    /// decides, and only step aside for what they do not follow.
    #[test]
    fn mysql_block_scanners_agree_with_the_obvious_reader(
        rows in mysql_rows(),
        sep in prop::sample::select(vec![&b","[..], b",\n", b" , "]),
        cut in 0usize..4000,
    ) {
        use dumpmask::internals::{row_fields, scan_rows, RowsScan};
        let mut w = Vec::new();
        let mut opens = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                w.extend_from_slice(sep);
            }
            opens.push(w.len());
            w.push(b'(');
            let vals: Vec<&[u8]> = row.iter().map(|(v, _)| v.as_slice()).collect();
            w.extend_from_slice(&vals.join(&b","[..]));
            w.push(b')');
        }
        w.extend_from_slice(b";\nINSERT INTO `t` VALUES ('a;b');\n");
        let (commas, ends, semicolon) = reference_rows(&w);
        let odd_row: Vec<bool> = rows.iter().map(|r| r.iter().any(|(_, odd)| *odd)).collect();
        for (k, &open) in opens.iter().enumerate() {
            let mut got = Vec::new();
            match row_fields(&w, open, w.len(), &mut got) {
                Some(close) => {
                    prop_assert_eq!(close + 1, ends[k], "row {}", k);
                    prop_assert_eq!(&got, &commas[k], "row {}", k);
                }
                None => prop_assert!(odd_row[k], "row {} has nothing odd", k),
            }
        }
        let starts = std::iter::once(0).chain(ends.iter().copied());
        // Every `,` and `)` of the rows, for the scan's marks.
        let mut structure: Vec<usize> = Vec::new();
        for (k, row) in commas.iter().enumerate() {
            structure.extend(row);
            structure.push(ends[k] - 1);
            if let Some(&next) = opens.get(k + 1) {
                structure.push(ends[k] + w[ends[k]..next].iter().position(|&b| b == b',').unwrap());
            }
        }
        for (k, from) in starts.enumerate() {
            let cut = from + cut;
            let later: Vec<usize> = ends[k..].to_vec();
            let mut marks = Vec::new();
            let scan = scan_rows(&w, from, cut, Some(&mut marks));
            let marked: Vec<usize> = marks
                .iter()
                .enumerate()
                .flat_map(|(i, &bits)| (0..64).filter(move |b| bits >> b & 1 == 1).map(move |b| from + 64 * i + b))
                .collect();
            let expect_marks = |upto: usize| -> Vec<usize> {
                structure.iter().copied().filter(|&x| x >= from && x < upto).collect()
            };
            match scan {
                RowsScan::End { semicolon: s, rows_end } => {
                    prop_assert_eq!(s, semicolon);
                    prop_assert_eq!(rows_end, *ends.last().unwrap());
                    prop_assert!(later.iter().all(|&e| e < cut), "passed a cut point");
                    prop_assert_eq!(marked, expect_marks(rows_end));
                }
                RowsScan::Cut(c) => {
                    prop_assert_eq!(Some(c), later.iter().copied().find(|&e| e >= cut));
                    prop_assert_eq!(marked, expect_marks(c));
                }
                RowsScan::Stop { rows_end } => {
                    prop_assert!(rows_end == from || later.contains(&rows_end));
                    prop_assert!(odd_row[k..].iter().any(|&o| o), "stopped without cause");
                }
            }
        }
    }
}

/// The end marker ends in CRLF, and the COPY follows the previous
/// statement without a line break: every chunk size and window gives the
/// same rewrite. A line that starts with `\.` but is not the marker
/// (`\.x`, `\. `) is refused at every chunk size and window: PostgreSQL
/// rejects it, and psql would read the statements after it as rows.
#[test]
fn copy_end_marker_is_only_a_line_that_is_exactly_backslash_dot() {
    let mut dump = b"--\n-- PostgreSQL database dump\n--\nCREATE TABLE public.t (\n    a text,\n    b integer\n);".to_vec();
    let head = dump.clone();
    dump.extend_from_slice(b"COPY public.t (a, b) FROM stdin;\nsecret\t1\n\\.\r\nSELECT 1;\n");
    let want = b"--\n-- PostgreSQL database dump\n--\nCREATE TABLE public.t (\n    a text,\n    b integer\n);COPY public.t (a, b) FROM stdin;\nX\t1\n\\.\r\nSELECT 1;\n".to_vec();
    let rules = "[tables.t.columns]\na = { transform = \"fixed\", value = \"X\" }\n";
    every_path_gives(&dump, &want, rules, Engine::Postgres);
    for bad in [&b"\\.x\t2\n"[..], b"\\. \n", b"\\.\rx\n"] {
        let mut dump = head.clone();
        dump.extend_from_slice(b"COPY public.t (a, b) FROM stdin;\nsecret\t1\n");
        dump.extend_from_slice(bad);
        dump.extend_from_slice(b"INSERT INTO public.t VALUES ('secret', 3);\n\\.\n");
        for chunk in [1, 5, 64, 1 << 20] {
            let opts = Options {
                chunk_size: chunk,
                threads: 1,
                ..Options::default()
            };
            for (rules, how) in [(rules, "ruled"), ("", "unruled")] {
                let whole = rewrite_whole(dump.clone(), rules, Engine::Postgres, &opts);
                let streamed = rewrite_stream(&dump, rules, Engine::Postgres, &opts);
                assert!(
                    whole.is_err() && streamed.is_err(),
                    "{how}, chunk {chunk}: accepted"
                );
            }
        }
    }
}

/// Asserts that `dump` rewrites to `want` at every chunk size, thread
/// count and standard-input window tried.
fn every_path_gives(dump: &[u8], want: &[u8], rules: &str, dialect: Engine) {
    for chunk in [1, 2, 3, 5, 8, 13, 21, 40, 70, 100, 1 << 20] {
        for threads in [1, 2] {
            for window in [1, 7, 64] {
                let opts = Options {
                    threads,
                    chunk_size: chunk,
                    max_statement: 1 << 20,
                    window,
                    ..Options::default()
                };
                let whole = rewrite_whole(dump.to_vec(), rules, dialect, &opts).unwrap();
                assert!(
                    whole == want,
                    "chunk {chunk}, threads {threads}: {}",
                    String::from_utf8_lossy(&whole)
                );
                let streamed = rewrite_stream(dump, rules, dialect, &opts).unwrap();
                assert!(streamed == want, "streamed, chunk {chunk}, window {window}");
            }
        }
    }
}

/// An INSERT into a table no rule touches may end in a clause with `)`
/// and `,` of its own (ON DUPLICATE KEY UPDATE a = VALUES(a), ...): it
/// passes through whole at every chunk size, and the ruled INSERT after
/// it is still rewritten.
#[test]
fn unruled_insert_with_an_on_duplicate_clause_passes_through() {
    let head = b"-- MariaDB dump 10.19\nCREATE TABLE `u` (`a` text, `b` int);\nCREATE TABLE `t` (`a` text, `b` int, `c` text);\n".to_vec();
    for clause in [
        &b"a=VALUES(a), b=`b`+1"[..],
        b"a=VALUES(a), b=1",
        b"b=VALUES(b)+1",
    ] {
        let mut dump = head.clone();
        dump.extend_from_slice(b"INSERT INTO `u` VALUES ('p',1),('q',2) ON DUPLICATE KEY UPDATE ");
        dump.extend_from_slice(clause);
        dump.extend_from_slice(b";\n");
        let unruled = dump.clone();
        dump.extend_from_slice(b"INSERT INTO `t` VALUES ('s',1,'x');\n");
        let mut want = unruled;
        want.extend_from_slice(b"INSERT INTO `t` VALUES ('X',1,NULL);\n");
        every_path_gives(&dump, &want, RULES, Engine::MySql);
    }
}

/// Comments between the rows of an INSERT, read from standard input in
/// windows that end anywhere inside them (`/`, `-`, `--` at a window's end
/// decide nothing yet). The first window holds 4 KiB; padding moves each
/// comment across that boundary. Unruled, the rows come out byte for byte;
/// ruled, the statement is refused for its comment (which could hold a
/// row), never misread.
#[test]
fn comments_between_rows_survive_any_window_boundary() {
    let rows = "('s',1,'x'),/* c */('s',2,'y'), -- c\n('s',3,'z'),# c\n('s',4,'w');\n";
    for pad in 3950..4100 {
        let head = format!(
            "-- MariaDB dump 10.19\n-- {}\nCREATE TABLE `t` (`a` text, `b` int, `c` text);\nINSERT INTO `t` VALUES ",
            "p".repeat(pad)
        );
        let dump = format!("{head}{rows}").into_bytes();
        for window in [1, 2, 3] {
            let opts = Options {
                threads: 1,
                chunk_size: 1 << 20,
                max_statement: 1 << 20,
                window,
                ..Options::default()
            };
            let unruled = rewrite_stream(&dump, "", Engine::MySql, &opts);
            assert!(
                unruled.as_deref() == Ok(&dump[..]),
                "pad {pad}, window {window}"
            );
            let ruled = rewrite_stream(&dump, RULES, Engine::MySql, &opts);
            assert!(
                ruled
                    .as_ref()
                    .is_err_and(|e| e.contains("a comment between the rows of a ruled table")),
                "pad {pad}, window {window}: {ruled:?}"
            );
        }
    }
}
