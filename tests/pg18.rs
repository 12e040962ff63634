//! pg_dump 18 output (fixtures made by scripts/make-fixtures-pg18.sh):
//! planner statistics (`--statistics`) hold a column's most common values
//! and histogram bounds. Those of ruled tables leave the output; row
//! counts and the statistics of other tables stay; the archives stay
//! readable by pg_restore 18.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{db_required, dumpmask, fixture};

const RULES: &str = "[tables.customers.columns]\nemail = \"hash\"\n";

fn anonymize(input: &Path, dir: &Path) -> PathBuf {
    let rules = dir.join("rules.toml");
    std::fs::write(&rules, RULES).unwrap();
    let out = dir.join(format!(
        "anon-{}",
        input.file_name().unwrap().to_string_lossy()
    ));
    let o = dumpmask()
        .args(["run", "-q", "--rules"])
        .arg(&rules)
        .arg(input)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}: {}",
        input.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// Every byte of a file, or of every file of a directory.
fn bytes(path: &Path) -> Vec<u8> {
    if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .iter()
            .flat_map(|f| std::fs::read(f).unwrap())
            .collect()
    } else {
        std::fs::read(path).unwrap()
    }
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// The leak oracle: an original e-mail (`pii` + 4 digits) anywhere. The
/// archives are uncompressed (-Z0), so their data and TOC are plain bytes.
fn leak(out: &[u8]) -> Option<usize> {
    out.windows(7)
        .position(|w| w.starts_with(b"pii") && w[3..].iter().all(u8::is_ascii_digit))
}

#[test]
fn statistics_of_ruled_tables_leave_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["statistics.sql", "statistics-z0.dump", "statistics-dir"] {
        let input = fixture(&format!("postgres/pg18/{name}"));
        let before = bytes(&input);
        assert!(
            leak(&before).is_some(),
            "{name}: the fixture holds no originals"
        );
        assert_eq!(count(&before, b"pg_restore_attribute_stats"), 6, "{name}");
        let out = bytes(&anonymize(&input, dir.path()));
        if let Some(at) = leak(&out) {
            panic!("{name}: an original e-mail survived at output byte {at}");
        }
        // customers' three columns go, and so do those of the index and
        // the materialized view over its e-mails; cities' one stays; every
        // relation's row count stays.
        assert_eq!(count(&out, b"pg_restore_attribute_stats"), 1, "{name}");
        assert_eq!(
            count(&out, b"pg_restore_relation_stats"),
            count(&before, b"pg_restore_relation_stats"),
            "{name}"
        );
    }
}

/// pg_restore 18 reads the rewritten archives (`scripts/install-pg18`
/// provides it; CI installs it).
#[test]
fn pg_restore_18_reads_the_rewritten_archives() {
    let Some(bin) = pg18_bin() else {
        assert!(
            !db_required(),
            "DUMPMASK_REQUIRE_DB=1 but pg_restore 18 is not installed (scripts/install-pg18)"
        );
        eprintln!("SKIPPED: pg_restore 18 not installed (scripts/install-pg18)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for name in ["statistics-z0.dump", "statistics-dir"] {
        let out = anonymize(&fixture(&format!("postgres/pg18/{name}")), dir.path());
        let sql = Command::new(bin.join("pg_restore"))
            .args(["-f", "-"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            sql.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&sql.stderr)
        );
        assert!(leak(&sql.stdout).is_none(), "{name}: an original survived");
        assert_eq!(count(&sql.stdout, b"pg_restore_attribute_stats"), 1);
        assert_eq!(count(&sql.stdout, b"\\.\n"), 2, "{name}: both tables' rows");
    }
}

fn pg18_bin() -> Option<PathBuf> {
    let dir = std::env::var_os("DUMPMASK_PG18_BIN").map(PathBuf::from)?;
    dir.join("pg_restore").is_file().then_some(dir)
}
