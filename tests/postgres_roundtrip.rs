//! Round trips through the real PostgreSQL server: load the fixture schema,
//! pg_dump it (COPY, --inserts, --column-inserts), rewrite, restore into a
//! fresh database with ON_ERROR_STOP, and compare row by row.

mod common;

use std::process::Command;

use common::leak::Oracle;
use common::*;

/// Tables to compare: SQL name, key column, ruled columns.
const TABLES: &[(&str, &str, &[&str])] = &[
    (
        "public.customers",
        "id",
        &[
            "first_name",
            "last_name",
            "email",
            "phone",
            "ssn",
            "notes",
            "profile",
        ],
    ),
    ("public.orders", "id", &["note"]),
    (
        "crm.\"Customer Accounts\"",
        "id",
        &["First Name", "LastName", "user"],
    ),
    ("public.events", "id", &["detail"]),
    ("public.sessions", "id", &[]),
];

fn columns(db: &str, table: &str) -> Vec<String> {
    psql(
        db,
        &format!(
            "SELECT attname FROM pg_attribute WHERE attrelid = '{}'::regclass AND attnum > 0 \
             AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
            table.replace('\'', "''")
        ),
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// Rows as COPY text fields, ordered by key.
fn rows(db: &str, table: &str, key: &str, cols: &[String]) -> Vec<Vec<String>> {
    let list: Vec<String> = cols
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect();
    let out = psql(
        db,
        &format!(
            "COPY (SELECT {} FROM {table} ORDER BY {key}) TO STDOUT",
            list.join(", ")
        ),
    );
    out.lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn round_trip(tag: &str, dump_args: &[&str]) {
    let src = PgDb::fresh(&format!("{tag}_src"));
    psql_load(&src.0, &fixture("postgres/schema.sql"));
    let dir = tempfile::tempdir().unwrap();
    let anon = dump_and_anonymize(
        Command::new("pg_dump")
            .args(["-U", "postgres"])
            .args(dump_args)
            .arg(&src.0),
        "postgres/rules.toml",
        dir.path(),
    );
    let dst = PgDb::fresh(&format!("{tag}_dst"));
    psql_load(&dst.0, &anon);
    let bytes = std::fs::read(&anon).unwrap();
    let dump = std::fs::read(dir.path().join("dump.sql")).unwrap();
    Oracle::postgres(&fixture("postgres/rules.toml"), &dump, &src.0).assert_clean(&bytes, tag);

    for (table, key, ruled) in TABLES {
        let cols = columns(&src.0, table);
        let a = rows(&src.0, table, key, &cols);
        let b = rows(&dst.0, table, key, &cols);
        assert_eq!(a.len(), b.len(), "{tag}: row count of {table}");
        assert!(!a.is_empty(), "{tag}: {table} has no rows to compare");
        for (ci, col) in cols.iter().enumerate() {
            for (ra, rb) in a.iter().zip(&b) {
                let (va, vb) = (&ra[ci], &rb[ci]);
                if ruled.contains(&col.as_str()) {
                    if va != "\\N" {
                        assert_ne!(va, vb, "{tag}: a value of {table}.{col} is unchanged");
                    }
                    // No original value left anywhere: as a COPY field, as a
                    // SQL literal, or raw when long enough to mean something
                    // (`{}` or `''` stand in many places and name no one).
                    if va != "\\N" && va.len() >= 3 {
                        for needle in [
                            format!("\t{va}\t"),
                            format!("\t{va}\n"),
                            format!("'{}'", va.replace('\'', "''")),
                        ] {
                            assert!(
                                !contains(&bytes, needle.as_bytes()),
                                "{tag}: a value of {table}.{col} is in the output"
                            );
                        }
                        if va.len() >= 8 && !va.contains('\\') {
                            assert!(
                                !contains(&bytes, va.as_bytes()),
                                "{tag}: a value of {table}.{col} is in the output"
                            );
                        }
                    }
                } else {
                    assert_eq!(va, vb, "{tag}: unruled {table}.{col} changed");
                }
            }
        }
    }
    // Constraints, the generated column and the functions survived.
    let stale = psql(
        &dst.0,
        "SELECT count(*) FROM public.customers WHERE full_name IS DISTINCT FROM first_name || ' ' || last_name",
    );
    assert_eq!(stale.trim(), "0");
    let uniques = psql(
        &dst.0,
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.customers'::regclass AND contype IN ('u', 'p')",
    );
    assert_ne!(uniques.trim(), "0");
    assert_eq!(
        psql(&dst.0, "SELECT public.copy_lookalike() IS NOT NULL").trim(),
        "t"
    );
}

#[test]
fn postgres_round_trip_copy() {
    if postgres_available() {
        round_trip("copy", &[]);
    }
}

#[test]
fn postgres_round_trip_inserts() {
    if postgres_available() {
        round_trip("ins", &["--inserts"]);
    }
}

#[test]
fn postgres_round_trip_column_inserts() {
    if postgres_available() {
        round_trip("colins", &["--column-inserts"]);
    }
}

#[test]
fn postgres_round_trip_conditional_rules() {
    if !postgres_available() {
        return;
    }
    let src = PgDb::fresh("cond_src");
    psql_load(&src.0, &fixture("postgres/schema.sql"));
    let dir = tempfile::tempdir().unwrap();
    let anon = dump_and_anonymize(
        Command::new("pg_dump").args(["-U", "postgres", &src.0]),
        "postgres/rules-conditional.toml",
        dir.path(),
    );
    let dst = PgDb::fresh("cond_dst");
    psql_load(&dst.0, &anon);
    let dump = std::fs::read(dir.path().join("dump.sql")).unwrap();
    Oracle::postgres(&fixture("postgres/rules-conditional.toml"), &dump, &src.0)
        .assert_clean(&std::fs::read(&anon).unwrap(), "conditional rules");
    let dropped = "amount < 0 OR note LIKE '%refund%'";
    let want = psql(
        &src.0,
        &format!(
            "SELECT id FROM public.orders WHERE NOT ({dropped}) OR ({dropped}) IS NULL ORDER BY id"
        ),
    );
    let got = psql(&dst.0, "SELECT id FROM public.orders ORDER BY id");
    assert_eq!(got, want);
    let all = psql(&src.0, "SELECT count(*) FROM public.orders");
    assert_ne!(
        want.lines().count().to_string(),
        all.trim(),
        "the fixture must drop some rows"
    );
    let q = "SELECT id, data_share_consent, dob, ssn, data_redacted, balance, phone FROM public.customers ORDER BY id";
    let a: Vec<Vec<String>> = psql(&src.0, q)
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect();
    let b: Vec<Vec<String>> = psql(&dst.0, q)
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect();
    let mut opted_out = 0;
    for rb in &b {
        let ra = a.iter().find(|r| r[0] == rb[0]).unwrap();
        if ra[1] == "f" {
            opted_out += 1;
            assert_eq!(rb[2], "", "dob of an opted-out row");
            assert!(
                ra[3].is_empty() || rb[3] == "REDACTED_CONTENT",
                "ssn of an opted-out row"
            );
            assert_eq!(rb[4], "t", "flag of an opted-out row");
        } else {
            assert_eq!(
                (&ra[2], &ra[3], &ra[4]),
                (&rb[2], &rb[3], &rb[4]),
                "a row with consent changed"
            );
        }
        let negative = ra[5].is_empty() || ra[5].starts_with('-');
        if negative {
            assert_eq!(rb[6], "", "phone where balance < 0 or NULL");
        } else {
            assert_eq!(ra[6], rb[6], "phone where balance >= 0");
        }
    }
    assert!(opted_out > 0, "the fixture must have opted-out rows");
    assert_eq!(
        psql(&dst.0, "SELECT count(*) FROM public.sessions").trim(),
        "0"
    );
    // Sampled partitions: a subset of the original rows, unchanged.
    let ev = "SELECT id, occurred_on, kind, customer_id, detail FROM public.events ORDER BY id";
    let (ea, eb) = (psql(&src.0, ev), psql(&dst.0, ev));
    let ea: Vec<&str> = ea.lines().collect();
    assert!(eb.lines().all(|l| ea.contains(&l)));
    assert!(eb.lines().count() < ea.len());
}

#[test]
fn postgres_round_trip_transformer_library() {
    if !postgres_available() {
        return;
    }
    for (tag, args) in [("libcopy", &[][..]), ("libins", &["--inserts"][..])] {
        let src = PgDb::fresh(&format!("{tag}_src"));
        psql_load(&src.0, &fixture("postgres/schema.sql"));
        let dir = tempfile::tempdir().unwrap();
        let anon = dump_and_anonymize(
            Command::new("pg_dump")
                .args(["-U", "postgres"])
                .args(args)
                .arg(&src.0),
            "postgres/rules-transformers.toml",
            dir.path(),
        );
        let dst = PgDb::fresh(&format!("{tag}_dst"));
        // Restores with its UNIQUE constraints (added after the data).
        psql_load(&dst.0, &anon);
        let dump = std::fs::read(dir.path().join("dump.sql")).unwrap();
        Oracle::postgres(&fixture("postgres/rules-transformers.toml"), &dump, &src.0)
            .assert_clean(&std::fs::read(&anon).unwrap(), tag);
        let n = |db: &str, sql: &str| psql(db, sql).trim().to_string();
        for t in [
            "public.customers",
            "public.orders",
            "public.sessions",
            "crm.\"Customer Accounts\"",
        ] {
            let q = format!("SELECT count(*) FROM {t}");
            assert_eq!(n(&src.0, &q), n(&dst.0, &q), "{tag}: row count of {t}");
        }
        let emails = |db: &str| psql(db, "SELECT email FROM public.customers ORDER BY id");
        let (ea, eb) = (emails(&src.0), emails(&dst.0));
        for (a, b) in ea.lines().zip(eb.lines()).filter(|(a, _)| !a.is_empty()) {
            assert_ne!(a, b, "{tag}: an e-mail is unchanged");
            assert_eq!(
                a.rsplit('@').next(),
                b.rsplit('@').next(),
                "{tag}: keep_domain"
            );
        }
        assert_eq!(
            n(&dst.0, "SELECT count(*) FROM public.customers WHERE notes <> first_name || ' ' || last_name || ' <' || email || '>'"),
            "0",
            "{tag}: template"
        );
        assert_eq!(
            n(&dst.0, "SELECT count(*) FROM public.orders WHERE ip IS NOT NULL AND family(ip) = 4 AND NOT ip << '0.0.0.0/0'::inet"),
            "0"
        );
    }
}
