//! Deny by default on what the real tools write: mariadb-dump and pg_dump
//! shapes that once leaked, dumped from the local servers, rewritten, and
//! restored. Ruled originals are marked `piiNNNN`; the leak oracle is a
//! search of the output for that marker.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn leak(out: &[u8]) -> Option<usize> {
    out.windows(7)
        .position(|w| w.starts_with(b"pii") && w[3..].iter().all(u8::is_ascii_digit))
}

fn rewrite(dump: &Path, rules: &str, dir: &Path) -> Vec<u8> {
    let rules_path = dir.join("rules.toml");
    std::fs::write(&rules_path, rules).unwrap();
    let out = run_ok(&[
        "--rules",
        rules_path.to_str().unwrap(),
        dump.to_str().unwrap(),
    ])
    .stdout;
    if let Some(at) = leak(&out) {
        panic!(
            "{}: an original survived at output byte {at}",
            dump.display()
        );
    }
    out
}

/// mariadb-dump `--compact --no-create-info --complete-insert
/// --skip-extended-insert` (the first INSERT follows the sandbox line with
/// no `;` between), and `--skip-quote-names --complete-insert` of columns
/// named `value` and `status` (mariadb-dump itself cannot dump a column
/// named `set` unquoted): every row rewritten, and the output loads.
#[test]
fn mariadb_dump_compact_and_unquoted_shapes() {
    if !mariadb_available() {
        return;
    }
    let db = format!("dm_shapes_{}", std::process::id());
    mariadb(
        None,
        &format!("DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}"),
    );
    mariadb(
        Some(&db),
        "CREATE TABLE customers (id int PRIMARY KEY, `value` varchar(20), `status` varchar(20), email varchar(50));
         INSERT INTO customers VALUES (1, 'a', 'b', 'pii0001@x.io'), (2, 'c', 'd', 'pii0002@x.io');",
    );
    let dir = tempfile::tempdir().unwrap();
    let rules = "[tables.customers.columns]\nemail = \"hash\"\n";
    for (tag, args) in [
        (
            "compact",
            &[
                "--compact",
                "--no-create-info",
                "--complete-insert",
                "--skip-extended-insert",
            ][..],
        ),
        ("unquoted", &["--skip-quote-names", "--complete-insert"][..]),
    ] {
        let dump = dir.path().join(format!("{tag}.sql"));
        let out = Command::new("mariadb-dump")
            .args(["-uroot"])
            .args(args)
            .arg(&db)
            .output()
            .unwrap();
        assert!(out.status.success(), "mariadb-dump {tag}");
        std::fs::write(&dump, &out.stdout).unwrap();
        assert!(
            leak(&out.stdout).is_some(),
            "{tag}: the dump holds no original"
        );
        let anon = rewrite(&dump, rules, dir.path());
        assert_eq!(
            anon.windows(6).filter(|w| w == b"INSERT").count(),
            out.stdout.windows(6).filter(|w| w == b"INSERT").count(),
            "{tag}: every INSERT kept"
        );
        // The output loads (the compact dump into the table as it is).
        let target = format!("{db}_{tag}");
        mariadb(
            None,
            &format!("DROP DATABASE IF EXISTS {target}; CREATE DATABASE {target}"),
        );
        if tag == "compact" {
            mariadb(
                Some(&target),
                "CREATE TABLE customers (id int PRIMARY KEY, `value` varchar(20), `status` varchar(20), email varchar(50))",
            );
        }
        let file = dir.path().join(format!("{tag}-anon.sql"));
        std::fs::write(&file, &anon).unwrap();
        mariadb_load(&target, &file);
        let n = mariadb(Some(&target), "SELECT count(*) FROM customers");
        assert_eq!(n.trim(), "2", "{tag}");
        mariadb(None, &format!("DROP DATABASE {target}"));
    }
    mariadb(None, &format!("DROP DATABASE {db}"));
}

/// pg_dump of table inheritance (a rule on the parent reaches the child's
/// rows; a rule may name the child's inherited column), keyword column
/// names left unquoted (`value`, `key`, `index`), and a char(n) column, in
/// `--column-inserts` and COPY form: rewritten, and the output restores.
#[test]
fn pg_dump_inheritance_and_keyword_columns() {
    if !postgres_available() {
        return;
    }
    let src = PgDb::fresh("shapes");
    psql(
        &src.0,
        "CREATE TABLE people (id int PRIMARY KEY, email text, value text, key text, index int);
         CREATE TABLE vips (level int) INHERITS (people);
         INSERT INTO people VALUES (1, 'pii0101@x.io', 'v', 'k', 1);
         INSERT INTO vips VALUES (2, 'pii0102@x.io', 'v', 'k', 2, 9);",
    );
    let dir = tempfile::tempdir().unwrap();
    for (tag, args, rules) in [
        (
            "copy-parent-rule",
            &[][..],
            "[tables.people.columns]\nemail = \"hash\"\n",
        ),
        (
            "inserts-child-rule",
            &["--column-inserts"][..],
            "[tables.people.columns]\nemail = \"hash\"\n[tables.vips.columns]\nkey = \"null\"\n",
        ),
    ] {
        let dump = dir.path().join(format!("{tag}.sql"));
        let out = Command::new("pg_dump")
            .args(["-U", "postgres", "-f"])
            .arg(&dump)
            .args(args)
            .arg(&src.0)
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_dump {tag}");
        let anon = rewrite(&dump, rules, dir.path());
        let file = dir.path().join(format!("{tag}-anon.sql"));
        std::fs::write(&file, &anon).unwrap();
        let restored = PgDb::fresh(&format!("shapes_{}", tag.replace('-', "_")));
        psql_load(&restored.0, &file);
        let rows = psql(
            &restored.0,
            "SELECT (SELECT count(*) FROM ONLY people) || ' ' || (SELECT count(*) FROM vips)",
        );
        assert_eq!(rows.trim(), "1 1", "{tag}");
    }
}
