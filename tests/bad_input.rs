//! Fail closed: bad input or rules give a clear error with file, line and
//! byte offset, a non-zero exit, and no output file.

mod common;

use common::*;

fn rules() -> String {
    fixture("mysql/rules.toml").display().to_string()
}

/// Runs on `dump`, expecting failure; returns stderr. Checks that neither
/// the output nor a temporary file is left.
fn fails(dump: &[u8], rules: &str, code: i32) -> String {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.sql");
    std::fs::write(&input, dump).unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let dest = out_dir.join("anon.sql");
    let out = dumpmask()
        .args([
            "run",
            "--rules",
            rules,
            input.to_str().unwrap(),
            "-o",
            dest.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(
        std::fs::read_dir(&out_dir).unwrap().count(),
        0,
        "output left behind"
    );
    // The same through standard input, for every thread count.
    for threads in ["1", "2"] {
        let s = run_stdin(
            &[
                "--rules",
                rules,
                "--threads",
                threads,
                "--stream-window",
                "64",
            ],
            dump,
        );
        assert_eq!(s.status.code(), Some(code), "stdin, {threads} threads");
    }
    stderr
}

fn default_dump() -> Vec<u8> {
    std::fs::read(fixture("mysql/default.sql")).unwrap()
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap()
}

#[test]
fn truncated_inside_a_ruled_insert() {
    let d = default_dump();
    let at = find(&d, b"(3,'Zo");
    let err = fails(&d[..at + 20], &rules(), 3);
    assert!(err.contains("bad.sql:"), "{err}");
    assert!(err.contains("(byte "), "{err}");
    assert!(err.contains("customers"), "{err}");
}

#[test]
fn truncated_inside_an_unruled_insert() {
    let d = default_dump();
    let at = find(&d, b"(3,'customer created");
    let err = fails(&d[..at + 10], &rules(), 3);
    assert!(
        err.contains("truncated") || err.contains("unterminated"),
        "{err}"
    );
}

#[test]
fn truncated_after_a_statement_start() {
    let d = default_dump();
    let at = find(&d, b"CREATE TABLE `orders`");
    let err = fails(&d[..at + 40], &rules(), 3);
    assert!(err.contains("not terminated"), "{err}");
}

#[test]
fn unterminated_string_names_line_and_byte() {
    let dump = b"-- MariaDB dump\nCREATE TABLE `t` (`a` varchar(10), `b` int);\nINSERT INTO `t` VALUES ('x',1),('oops,2);\n";
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    std::fs::write(&r, "[tables.t.columns]\na = \"null\"\n").unwrap();
    let err = fails(dump, r.to_str().unwrap(), 3);
    assert!(err.contains("bad.sql:3 (byte "), "{err}");
    assert!(err.contains("(table t)"), "{err}");
    assert!(!err.contains("oops"), "the error shows a data value: {err}");
}

#[test]
fn wrong_number_of_values() {
    let dump = b"-- MariaDB dump\nCREATE TABLE `t` (`a` varchar(10), `b` int);\nINSERT INTO `t` VALUES ('x',1),('y',2,3);\n";
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    std::fs::write(&r, "[tables.t.columns]\na = \"null\"\n").unwrap();
    let err = fails(dump, r.to_str().unwrap(), 3);
    assert!(err.contains("row has 3 values"), "{err}");
}

#[test]
fn garbage_in_a_ruled_row() {
    let dump = b"-- MariaDB dump\nCREATE TABLE `t` (`a` varchar(10), `b` int);\nINSERT INTO `t` VALUES ('x',1),('y',now());\n";
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    std::fs::write(&r, "[tables.t.columns]\na = \"null\"\n").unwrap();
    fails(dump, r.to_str().unwrap(), 3);
}

#[test]
fn nul_bytes_and_garbage_instead_of_a_dump() {
    let mut junk = b"-- MariaDB dump\n".to_vec();
    junk.extend_from_slice(&[0, 1, 2, b'\'', 0xff, 0xfe, 0]);
    fails(&junk, &rules(), 3);
}

#[test]
fn not_a_dump_at_all() {
    let err = fails(b"\x00\x01\x02 hello", &rules(), 3);
    assert!(err.contains("dialect"), "{err}");
}

#[test]
fn rule_on_a_missing_column_lists_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    std::fs::write(&r, "[tables.customers.columns]\nemial = \"null\"\n").unwrap();
    let err = fails(&default_dump(), r.to_str().unwrap(), 2);
    assert!(err.contains("emial") && err.contains("email"), "{err}");
    assert!(err.contains("r.toml:2:1"), "{err}");
}

#[test]
fn rule_on_a_missing_table() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    std::fs::write(&r, "[tables.custmers.columns]\nemail = \"null\"\n").unwrap();
    let err = fails(&default_dump(), r.to_str().unwrap(), 2);
    assert!(
        err.contains("custmers") && err.contains("customers"),
        "{err}"
    );
}

#[test]
fn bad_rules_file_points_at_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    std::fs::write(&r, "[tables.customers.columns]\nemail = \"shred\"\n").unwrap();
    let err = fails(&default_dump(), r.to_str().unwrap(), 2);
    assert!(err.contains("r.toml:2:"), "{err}");
    assert!(err.contains("unknown transformer"), "{err}");
}

#[test]
fn missing_secret_is_refused() {
    let out = dumpmask()
        .env_remove("DUMPMASK_SECRET")
        .args([
            "run",
            "--rules",
            &rules(),
            fixture("mysql/default.sql").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DUMPMASK_SECRET"));
}

#[test]
fn the_secret_never_appears_in_output_or_errors() {
    let out = run_ok(&[
        "--rules",
        &rules(),
        fixture("mysql/default.sql").to_str().unwrap(),
    ]);
    assert!(!contains(&out.stdout, SECRET.as_bytes()));
    let bad = run_stdin(
        &["--rules", &rules()],
        b"-- MariaDB dump\nINSERT INTO `customers` VALUES ('x",
    );
    assert!(!bad.status.success());
    assert!(!contains(&bad.stderr, SECRET.as_bytes()));
}

#[test]
fn truncated_gzip_is_an_input_error() {
    let err = fails(&[0x1f, 0x8b, 8, 0, 0, 0], &rules(), 3);
    assert!(err.contains("corrupt gzip"), "{err}");
}

const PG_HEAD: &[u8] = b"--\n-- PostgreSQL database dump\n--\n\nSET standard_conforming_strings = on;\nCREATE TABLE public.t (\n    a text,\n    b integer\n);\n";

fn pg_rules(dir: &std::path::Path) -> String {
    let r = dir.join("r.toml");
    std::fs::write(&r, "[tables.t.columns]\na = \"null\"\n").unwrap();
    r.display().to_string()
}

fn pg_dump_with(tail: &[u8]) -> Vec<u8> {
    let mut d = PG_HEAD.to_vec();
    d.extend_from_slice(tail);
    d
}

#[test]
fn postgres_copy_without_end_marker() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(
        &pg_dump_with(b"COPY public.t (a, b) FROM stdin;\nx\t1\ny\t2\n"),
        &pg_rules(dir.path()),
        3,
    );
    assert!(err.contains("\\."), "{err}");
    assert!(err.contains("public.t"), "{err}");
}

#[test]
fn postgres_copy_row_with_too_few_fields() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(
        &pg_dump_with(b"COPY public.t (a, b) FROM stdin;\nx\t1\nsecretvalue\n\\.\n"),
        &pg_rules(dir.path()),
        3,
    );
    assert!(err.contains("bad.sql:12 (byte "), "{err}");
    assert!(err.contains("row has 1 values"), "{err}");
    assert!(!err.contains("secretvalue"), "{err}");
}

/// COPY FROM reads `\r` alone as a line end (or refuses it), and a
/// backslash before a newline as a newline in the value: rows this reader
/// would split differently, so in a ruled table they stop the run.
#[test]
fn postgres_copy_rows_split_where_postgres_would_not() {
    let dir = tempfile::tempdir().unwrap();
    for (rows, what) in [
        (
            &b"x\t1\nsecretvalue\t2\rsecretother\t3\n"[..],
            "raw carriage return",
        ),
        (
            b"x\t1\nsecretvalue\\\n\t2\n",
            "backslash before a COPY line end",
        ),
    ] {
        let mut tail = b"COPY public.t (a, b) FROM stdin;\n".to_vec();
        tail.extend_from_slice(rows);
        tail.extend_from_slice(b"\\.\n");
        let err = fails(&pg_dump_with(&tail), &pg_rules(dir.path()), 3);
        assert!(err.contains("bad.sql:12 (byte "), "{err}");
        assert!(err.contains(what), "{err}");
        assert!(err.contains("public.t"), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }
}

#[test]
fn postgres_unterminated_dollar_quote() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(
        &pg_dump_with(b"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\nCOPY public.t (a, b) FROM stdin;\nx\t1\n\\.\n"),
        &pg_rules(dir.path()),
        3,
    );
    assert!(err.contains("dollar-quoted"), "{err}");
}

#[test]
fn postgres_unterminated_string_in_insert() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(
        &pg_dump_with(b"INSERT INTO public.t VALUES ('x, 1);\n"),
        &pg_rules(dir.path()),
        3,
    );
    assert!(err.contains("unterminated"), "{err}");
}

#[test]
fn postgres_dump_read_as_mysql_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pg.sql");
    std::fs::write(
        &input,
        pg_dump_with(b"COPY public.t (a, b) FROM stdin;\nx\t1\n\\.\n"),
    )
    .unwrap();
    let out = dumpmask()
        .args([
            "run",
            "--dialect",
            "mysql",
            "--rules",
            &pg_rules(dir.path()),
            input.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
}

/// Binding hands warnings back as values; the command line prints each
/// once, as it arises, and `--quiet` prints none.
#[test]
fn warnings_print_once_and_quiet_silences_them() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    std::fs::write(
        &r,
        "[secret]\nenv = \"DUMPMASK_TEST_SHORT\"\n[tables.customers.columns]\nemail = \"hash\"\npersonal_number = \"hash\"\n",
    )
    .unwrap();
    let dest = dir.path().join("anon.sql");
    for (quiet, threads) in [(false, "1"), (false, "2"), (true, "2")] {
        let mut c = dumpmask();
        c.env("DUMPMASK_TEST_SHORT", "short").args([
            "run",
            "--rules",
            r.to_str().unwrap(),
            "--threads",
            threads,
            "-o",
            dest.to_str().unwrap(),
        ]);
        if quiet {
            c.arg("--quiet");
        }
        let out = c
            .arg(fixture("mysql/default.sql").to_str().unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        let warnings: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("dumpmask: warning: "))
            .collect();
        if quiet {
            assert!(warnings.is_empty(), "{stderr}");
            continue;
        }
        assert_eq!(warnings.len(), 3, "{stderr}");
        assert_eq!(
            warnings[0],
            "dumpmask: warning: the secret from environment variable DUMPMASK_TEST_SHORT is 5 bytes; use at least 16 random bytes"
        );
        for (w, col) in warnings[1..].iter().zip(["email", "personal_number"]) {
            assert!(
                w.contains(&format!("customers.{col} is UNIQUE or a primary key, and `hash` does not promise distinct outputs")),
                "{stderr}"
            );
        }
    }
}

/// Two bad rows far apart, many small chunks, two workers: the error
/// reported is always the first in the input, whichever worker fails
/// first in time.
#[test]
fn the_earliest_error_in_input_order_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "[tables.t.columns]\na = \"hash\"\n").unwrap();
    let mut dump = b"-- MariaDB dump\nCREATE TABLE `t` (`a` text);\n".to_vec();
    for i in 0..3000 {
        // Row 10 and row 2900 hold a value a worker cannot read.
        let row: &[u8] = if i == 10 || i == 2900 {
            b"('x' 'y')"
        } else {
            b"('abc')"
        };
        dump.extend_from_slice(b"INSERT INTO `t` VALUES ");
        dump.extend_from_slice(row);
        dump.extend_from_slice(b";\n");
    }
    let input = dir.path().join("two-errors.sql");
    std::fs::write(&input, &dump).unwrap();
    let first = dump.windows(9).position(|w| w == b"('x' 'y')").unwrap();
    for _ in 0..10 {
        let out = dumpmask()
            .args(["run", "-q", "--threads", "2", "--chunk-size", "64"])
            .arg("--rules")
            .arg(&rules)
            .arg(&input)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        // The error is inside the first bad row.
        let at: usize = err
            .split("(byte ")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no byte offset: {err}"));
        assert!((first..first + 9).contains(&at), "{err}");
    }
}
