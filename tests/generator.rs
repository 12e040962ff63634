//! The benchmark dump generator's output loads into the real servers, and
//! dumpmask rewrites it into something that loads too.

mod common;

use std::process::Command;

use common::leak::{Dialect, Oracle};
use common::*;

fn generate(args: &[&str], out: &std::path::Path) {
    let st = Command::new("python3")
        .arg(root().join("scripts/gen-dump.py"))
        .args(args)
        .args(["--size", "2M", "--seed", "7", "-q", "-o"])
        .arg(out)
        .status()
        .expect("python3");
    assert!(st.success(), "gen-dump.py {args:?}");
}

#[test]
fn generated_mysql_dumps_load_before_and_after_the_rewrite() {
    if !mariadb_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for layout in ["mariadb", "oracle"] {
        let dump = dir.path().join(format!("{layout}.sql"));
        generate(&["--dialect", "mysql", "--layout", layout], &dump);
        let anon = dir.path().join(format!("{layout}-anon.sql"));
        run_ok(&[
            "--rules",
            root().join("benches/rules-mysql.toml").to_str().unwrap(),
            dump.to_str().unwrap(),
            "-o",
            anon.to_str().unwrap(),
        ]);
        Oracle::from_dump(
            &root().join("benches/rules-mysql.toml"),
            &std::fs::read(&dump).unwrap(),
            Dialect::MySql,
        )
        .assert_clean(&std::fs::read(&anon).unwrap(), layout);
        for (tag, file) in [("gen", &dump), ("anon", &anon)] {
            let db = format!("dm_gen_{layout}_{tag}_{}", std::process::id());
            mariadb(
                None,
                &format!("DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}"),
            );
            mariadb_load(&db, file);
            let n = mariadb(Some(&db), "SELECT COUNT(*) FROM customers");
            assert!(n.trim().parse::<u64>().unwrap() > 100, "{layout} {tag}");
            mariadb(None, &format!("DROP DATABASE {db}"));
        }
    }
}

#[test]
fn generated_postgres_dumps_load_before_and_after_the_rewrite() {
    if !postgres_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("pg.sql");
    generate(&["--dialect", "postgres"], &dump);
    let anon = dir.path().join("pg-anon.sql");
    run_ok(&[
        "--rules",
        root().join("benches/rules-postgres.toml").to_str().unwrap(),
        dump.to_str().unwrap(),
        "-o",
        anon.to_str().unwrap(),
    ]);
    Oracle::from_dump(
        &root().join("benches/rules-postgres.toml"),
        &std::fs::read(&dump).unwrap(),
        Dialect::Postgres,
    )
    .assert_clean(&std::fs::read(&anon).unwrap(), "postgres");
    for (tag, file) in [("gen", &dump), ("anon", &anon)] {
        let db = PgDb::fresh(&format!("gen_{tag}"));
        psql_load(&db.0, file);
        let n = psql(&db.0, "SELECT count(*) FROM public.customers");
        assert!(n.trim().parse::<u64>().unwrap() > 100, "{tag}");
    }
}
