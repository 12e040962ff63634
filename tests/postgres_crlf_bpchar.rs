//! Issue 13, "Conditions fail open": a `char(3)` column, which pg_dump
//! writes blank-padded (`DE `), last in COPY lines that end in CRLF (a dump
//! saved on Windows). A condition on it must hold where PostgreSQL's does,
//! a rewritten last value must keep the `\r\n` after it, no original value
//! of a ruled column (or of a dropped row) may be left, and the output must
//! restore.
//!
//! With a PostgreSQL server, the dump is made by its pg_dump from
//! fixtures/postgres/bpchar-schema.sql and the output is restored into a
//! fresh database; without one, the same schema's dump checked in as
//! fixtures/postgres/bpchar.sql is used and the restore is skipped.

mod common;

use std::process::Command;

use common::*;

/// Rows whose `country` PostgreSQL finds `IN ('DE', 'FR')`: `DE ` and
/// `FR `, not `D  `, `DE\t`, `US ` or NULL.
const MATCHED: &[&str] = &["1", "2", "4", "8"];

/// Rows `drop_when = "country = 'ZZ'"` drops.
const DROPPED: &[&str] = &["7"];

/// The dump, LF line ends as pg_dump writes them; with a server, made
/// live, and the source database is returned too.
fn dump() -> (Vec<u8>, Option<PgDb>) {
    if !postgres_available() {
        return (std::fs::read(fixture("postgres/bpchar.sql")).unwrap(), None);
    }
    let src = PgDb::fresh("bpchar_src");
    psql_load(&src.0, &fixture("postgres/bpchar-schema.sql"));
    let out = Command::new("pg_dump")
        .args(["-U", "postgres", &src.0])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let matched = psql(
        &src.0,
        "SELECT id FROM public.people WHERE country IN ('DE', 'FR') ORDER BY id",
    );
    assert_eq!(matched.lines().collect::<Vec<_>>(), MATCHED, "the server");
    (out.stdout, Some(src))
}

/// Where the COPY block of `public.people` lies: from its `COPY` line to
/// just past its `\.` line, whose line end is `eol`.
fn copy_block(dump: &[u8], eol: &[u8]) -> std::ops::Range<usize> {
    let head = b"\nCOPY public.people ";
    let start = dump
        .windows(head.len())
        .position(|w| w == head)
        .expect("a COPY block")
        + 1;
    let marker = [b"\n\\.".as_slice(), eol].concat();
    let end = start
        + dump[start..]
            .windows(marker.len())
            .position(|w| w == marker)
            .expect("an end marker")
        + marker.len();
    start..end
}

/// The dump with its COPY block's lines, from the `COPY` line to the `\.`
/// line, ending in `\r\n`.
fn with_crlf_copy(dump: &[u8]) -> Vec<u8> {
    let block = copy_block(dump, b"\n");
    let mut out = dump[..block.start].to_vec();
    for &b in &dump[block.clone()] {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out.extend_from_slice(&dump[block.end..]);
    out
}

/// The COPY rows of a dump whose block has CRLF lines, as COPY text
/// fields; every line must end in `\r\n`.
fn rows(dump: &[u8]) -> Vec<Vec<String>> {
    let block = &dump[copy_block(dump, b"\r\n")];
    let text = String::from_utf8(block.to_vec()).unwrap();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert!(
        lines.iter().all(|l| !l.contains('\n') && !l.contains('\r')),
        "a COPY line without its \\r\\n"
    );
    assert!(lines[0].starts_with("COPY ") && lines[lines.len() - 1] == "\\.");
    lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

#[test]
fn conditions_on_padded_char_in_crlf_copy_lines_match_as_postgres_does() {
    let (dump, src) = dump();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("crlf.sql");
    let crlf = with_crlf_copy(&dump);
    std::fs::write(&input, &crlf).unwrap();
    let rules = fixture("postgres/rules-bpchar.toml");
    let out = assert_all_paths_identical(rules.to_str().unwrap(), input.to_str().unwrap());

    let before = rows(&crlf);
    let after = rows(&out);
    assert_eq!(before.len(), 9);
    assert_eq!(after.len(), before.len() - DROPPED.len());
    let mut leaks: Vec<String> = Vec::new();
    for orig in &before {
        let (id, name, email, country) = (&orig[0], &orig[1], &orig[2], &orig[3]);
        let got = after.iter().find(|r| &r[0] == id);
        if DROPPED.contains(&id.as_str()) {
            assert!(got.is_none(), "row {id} is not dropped");
            leaks.extend([name.clone(), email.clone()]);
            continue;
        }
        let got = got.unwrap_or_else(|| panic!("row {id} is dropped"));
        if email != "\\N" {
            assert_ne!(&got[2], email, "email of row {id} is unchanged");
            leaks.push(email.clone());
        }
        if MATCHED.contains(&id.as_str()) {
            assert_ne!(&got[1], name, "the condition missed row {id}");
            assert_eq!(got[3], "EU", "country of row {id}");
            leaks.push(name.clone());
        } else {
            assert_eq!(&got[1], name, "the condition held for row {id}");
            assert_eq!(&got[3], country, "country of row {id}");
        }
    }
    // No original value left: names and e-mails anywhere, the padded
    // countries as a last field.
    for v in &leaks {
        assert!(
            !contains(&out, v.as_bytes()),
            "a ruled value is in the output"
        );
    }
    for country in ["DE ", "FR "] {
        for eol in ["\r\n", "\n"] {
            let needle = format!("\t{country}{eol}");
            assert!(
                !contains(&out, needle.as_bytes()),
                "a ruled country is in the output"
            );
        }
    }

    let Some(src) = src else {
        return;
    };
    let anon = dir.path().join("anon.sql");
    std::fs::write(&anon, &out).unwrap();
    let dst = PgDb::fresh("bpchar_dst");
    psql_load(&dst.0, &anon);
    let n = |db: &str, sql: &str| psql(db, sql).trim().to_string();
    assert_eq!(
        n(&dst.0, "SELECT count(*) FROM public.people"),
        (before.len() - DROPPED.len()).to_string()
    );
    assert_eq!(
        n(
            &dst.0,
            "SELECT count(*) FROM public.people WHERE country = 'EU'"
        ),
        MATCHED.len().to_string()
    );
    // The rows the condition left alone restore as they were.
    let kept = "SELECT id, name, country FROM public.people \
                WHERE country IS NULL OR country NOT IN ('DE', 'FR', 'ZZ', 'EU') ORDER BY id";
    assert_eq!(psql(&dst.0, kept), psql(&src.0, kept));
}
