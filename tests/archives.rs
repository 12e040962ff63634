//! pg_dump archives (-Fc, -Fc -Z0, -Fd) rewritten offline: pg_restore
//! reads them, they restore, and they agree with the plain-format rewrite
//! of the same source.

mod common;

use std::path::Path;
use std::process::Command;

use common::leak::{Dialect, Oracle};
use common::*;

fn rules() -> String {
    fixture("postgres/rules.toml").display().to_string()
}

/// An archive as SQL text, without pg_restore's random `\restrict` key.
fn restore_text(archive: &Path) -> String {
    without_restrict(&restore_bytes(archive))
}

/// An archive as the SQL text pg_restore makes of it, byte for byte.
fn restore_bytes(archive: &Path) -> Vec<u8> {
    let out = Command::new("pg_restore")
        .arg("-f")
        .arg("-")
        .arg(archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_restore -f - {}: {}",
        archive.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn without_restrict(s: &[u8]) -> String {
    String::from_utf8_lossy(s)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn fixture_archives_agree_with_the_plain_rewrite() {
    // Needs pg_restore (a client tool, installed with the PostgreSQL
    // client), not a server.
    if Command::new("pg_restore")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            !db_required(),
            "DUMPMASK_REQUIRE_DB=1 but pg_restore is missing"
        );
        eprintln!("SKIPPED: pg_restore not installed");
        return;
    }
    let plain = run_ok(&[
        "--rules",
        &rules(),
        fixture("postgres/plain.sql").to_str().unwrap(),
    ])
    .stdout;
    let want = without_restrict(&plain);
    let dir = tempfile::tempdir().unwrap();
    for (src, out) in [
        ("custom.dump", "a.dump"),
        ("custom-z0.dump", "b.dump"),
        ("directory", "c"),
    ] {
        let dest = dir.path().join(out);
        run_ok(&[
            "--rules",
            &rules(),
            fixture(&format!("postgres/{src}")).to_str().unwrap(),
            "-o",
            dest.to_str().unwrap(),
        ]);
        let list = Command::new("pg_restore")
            .arg("--list")
            .arg(&dest)
            .output()
            .unwrap();
        assert!(list.status.success(), "{src}: pg_restore --list");
        let original = restore_bytes(&fixture(&format!("postgres/{src}")));
        Oracle::from_dump(rules().as_ref(), &original, Dialect::Postgres)
            .assert_clean(&restore_bytes(&dest), src);
        assert!(
            restore_text(&dest) == want,
            "{src}: differs from the plain rewrite"
        );
    }
}

fn table_rows(db: &str) -> Vec<String> {
    let tables = psql(
        db,
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname IN ('public', 'crm') ORDER BY 1",
    );
    tables
        .lines()
        .map(|t| {
            format!(
                "{t}:\n{}",
                psql(
                    db,
                    &format!("COPY (SELECT * FROM {t} ORDER BY 1) TO STDOUT")
                )
            )
        })
        .collect()
}

#[test]
fn archives_from_a_live_database_restore_and_match() {
    if !postgres_available() {
        return;
    }
    let src = PgDb::fresh("arch_src");
    psql_load(&src.0, &fixture("postgres/schema.sql"));
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.sql");
    let out = Command::new("pg_dump")
        .args(["-U", "postgres", &src.0])
        .output()
        .unwrap();
    std::fs::write(&plain, &out.stdout).unwrap();
    let plain_anon = dir.path().join("plain-anon.sql");
    run_ok(&[
        "--rules",
        &rules(),
        plain.to_str().unwrap(),
        "-o",
        plain_anon.to_str().unwrap(),
    ]);
    let reference = PgDb::fresh("arch_ref");
    psql_load(&reference.0, &plain_anon);
    let want = table_rows(&reference.0);
    for (tag, args) in [
        ("fc", &["-Fc"][..]),
        ("fc0", &["-Fc", "-Z0"][..]),
        ("fd", &["-Fd"][..]),
    ] {
        let archive = dir.path().join(format!("src-{tag}"));
        let out = Command::new("pg_dump")
            .args(["-U", "postgres"])
            .args(args)
            .arg("-f")
            .arg(&archive)
            .arg(&src.0)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let anon = dir.path().join(format!("anon-{tag}"));
        run_ok(&[
            "--rules",
            &rules(),
            "--threads",
            "2",
            "--chunk-size",
            "1K",
            archive.to_str().unwrap(),
            "-o",
            anon.to_str().unwrap(),
        ]);
        let dst = PgDb::fresh(&format!("arch_{tag}"));
        let r = Command::new("pg_restore")
            .args(["-U", "postgres", "--exit-on-error", "-d", &dst.0])
            .arg(&anon)
            .output()
            .unwrap();
        assert!(
            r.status.success(),
            "{tag}: pg_restore -d: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let plain_dump = std::fs::read(&plain).unwrap();
        Oracle::postgres(rules().as_ref(), &plain_dump, &src.0)
            .assert_clean(&restore_bytes(&anon), tag);
        // The same rows as the plain-format rewrite of the same source.
        assert_eq!(table_rows(&dst.0), want, "{tag}");
        // And not the original rows.
        assert_ne!(table_rows(&dst.0), table_rows(&src.0), "{tag}");
        let original = psql(
            &src.0,
            "SELECT first_name FROM public.customers WHERE first_name IS NOT NULL ORDER BY id",
        );
        let rewritten = psql(
            &dst.0,
            "SELECT first_name FROM public.customers WHERE first_name IS NOT NULL ORDER BY id",
        );
        for (a, b) in original.lines().zip(rewritten.lines()) {
            assert_ne!(a, b, "{tag}: a ruled value is unchanged");
        }
    }
}

#[test]
fn truncated_or_corrupt_archives_fail_with_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(fixture("postgres/custom.dump")).unwrap();
    let mut corrupt = whole.clone();
    let n = corrupt.len();
    corrupt[n - 40] ^= 0xff; // inside the last data block
    for (name, bytes) in [
        ("truncated-toc.dump", whole[..3000].to_vec()),
        ("truncated-data.dump", whole[..n - 20].to_vec()),
        ("bad-version.dump", {
            let mut b = whole.clone();
            b[6] = 99;
            b
        }),
        ("corrupt-data.dump", corrupt),
        // A data block whose dump id no TOC entry claims (its rows are
        // customers'): never copied.
        ("orphan-block.dump", {
            let mut b = std::fs::read(fixture("postgres/custom-z0.dump")).unwrap();
            let rows = b
                .windows(16)
                .position(|w| w == b"1\tAlice\tAnderson")
                .expect("the customers rows");
            // type byte, dump id (sign + 4 bytes), chunk length (5 bytes).
            let block = rows - 11;
            assert_eq!(b[block], 1, "a data block starts there");
            b[block + 2..block + 6].copy_from_slice(&9999u32.to_le_bytes());
            b
        }),
        // One byte of a TOC entry's kind: pg_restore still loads the data
        // (it goes by the data block); dumpmask must not copy it.
        ("table-datx.dump", {
            let at = whole
                .windows(10)
                .position(|w| w == b"TABLE DATA")
                .expect("a TABLE DATA entry");
            let mut b = whole.clone();
            b[at + 9] = b'X';
            b
        }),
    ] {
        let input = dir.path().join(name);
        std::fs::write(&input, &bytes).unwrap();
        let dest = dir.path().join(format!("out-{name}"));
        let out = dumpmask()
            .args([
                "run",
                "-q",
                "--rules",
                &rules(),
                input.to_str().unwrap(),
                "-o",
                dest.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!dest.exists(), "{name}: output left behind");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("dumpmask"))
            .collect();
        assert!(leftovers.is_empty(), "{name}: temporary output left behind");
    }
}

/// A directory archive holding a file its TOC does not name (here a stray
/// copy of a table's data) is refused: nothing is copied unread.
#[test]
fn a_file_the_toc_does_not_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.dir");
    std::fs::create_dir(&src).unwrap();
    let fixture_dir = fixture("postgres/directory");
    let mut data_file = None;
    for item in std::fs::read_dir(&fixture_dir).unwrap() {
        let item = item.unwrap();
        std::fs::copy(item.path(), src.join(item.file_name())).unwrap();
        let name = item.file_name().to_string_lossy().into_owned();
        if name.ends_with(".dat.gz") && !name.starts_with("blob_") {
            data_file = Some(name);
        }
    }
    // Untouched, it rewrites.
    let ok = dir.path().join("ok.dir");
    let run = |input: &Path, dest: &Path| {
        dumpmask()
            .args(["run", "-q", "--rules", &rules()])
            .arg(input)
            .arg("-o")
            .arg(dest)
            .output()
            .unwrap()
    };
    let out = run(&src, &ok);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data_file = data_file.expect("a table's data file");
    std::fs::copy(src.join(&data_file), src.join(format!("{data_file}.orig"))).unwrap();
    let dest = dir.path().join("out.dir");
    let out = run(&src, &dest);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("does not name"), "{err}");
    assert!(!dest.exists(), "output left behind");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("dumpmask"))
        .collect();
    assert!(leftovers.is_empty(), "temporary output left behind");
}

/// `pg_dump --inserts` / `--column-inserts` inside archives: TABLE DATA of
/// INSERT statements (with `OVERRIDING SYSTEM VALUE` for an identity
/// column, and a column named `key`), and real partitions two levels deep,
/// are rewritten; nothing of the originals survives and the archive
/// restores with every row.
#[test]
fn archives_of_inserts_identity_and_sub_partitions_leak_nothing() {
    if !postgres_available() {
        return;
    }
    let src = PgDb::fresh("arch_ins");
    psql(
        &src.0,
        "CREATE TABLE customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text, key text);
         INSERT INTO customers (email, key) SELECT 'pii' || lpad(g::text, 4, '0') || '@x.io', 'k' FROM generate_series(1, 40) g;
         CREATE TABLE events (id int, email text) PARTITION BY RANGE (id);
         CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (100) PARTITION BY RANGE (id);
         CREATE TABLE events_a1 PARTITION OF events_a FOR VALUES FROM (0) TO (50);
         CREATE TABLE events_a2 PARTITION OF events_a FOR VALUES FROM (50) TO (100);
         INSERT INTO events SELECT g, 'pii' || lpad((g + 100)::text, 4, '0') || '@x.io' FROM generate_series(1, 99) g;",
    );
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[tables.customers.columns]\nemail = \"hash\"\n[tables.events.columns]\nemail = \"hash\"\n",
    )
    .unwrap();
    for (tag, args) in [
        ("fc_inserts", &["-Fc", "--inserts"][..]),
        ("fd_column_inserts", &["-Fd", "--column-inserts"][..]),
        ("fc_copy", &["-Fc"][..]),
        ("plain_inserts", &["--inserts"][..]),
    ] {
        let input = dir.path().join(tag);
        let out = Command::new("pg_dump")
            .args(["-U", "postgres", "-f"])
            .arg(&input)
            .args(args)
            .arg(&src.0)
            .output()
            .unwrap();
        assert!(out.status.success(), "{tag}: pg_dump failed");
        let anon = dir.path().join(format!("{tag}.anon"));
        run_ok(&[
            "--rules",
            rules.to_str().unwrap(),
            input.to_str().unwrap(),
            "-o",
            anon.to_str().unwrap(),
        ]);
        let (original, output) = if tag.starts_with("plain") {
            (
                std::fs::read(&input).unwrap(),
                std::fs::read(&anon).unwrap(),
            )
        } else {
            (restore_bytes(&input), restore_bytes(&anon))
        };
        Oracle::postgres(&rules, &original, &src.0).assert_clean(&output, tag);
        let restored = PgDb::fresh(&format!("arch_ins_{tag}"));
        if tag.starts_with("plain") {
            psql_load(&restored.0, &anon);
        } else {
            let r = Command::new("pg_restore")
                .args(["-U", "postgres", "--exit-on-error", "-d", &restored.0])
                .arg(&anon)
                .output()
                .unwrap();
            assert!(
                r.status.success(),
                "{tag}: pg_restore failed: {}",
                String::from_utf8_lossy(&r.stderr)
            );
        }
        let counts = psql(
            &restored.0,
            "SELECT (SELECT count(*) FROM customers) || ' ' || (SELECT count(*) FROM events) || ' ' || \
             (SELECT count(*) FROM customers WHERE email LIKE 'pii%') + (SELECT count(*) FROM events WHERE email LIKE 'pii%')",
        );
        assert_eq!(
            counts.trim(),
            "40 99 0",
            "{tag}: rows restored, originals left"
        );
    }
}
