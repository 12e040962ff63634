//! ns/value for every transformer, and MB/s for the splitter and the row
//! rewriter alone.
//!
//!     cargo bench --bench transformers
//!
//! Results and the command go to BENCHMARKS.md.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dumpmask::rules::transform::{NoRow, Prf};
use dumpmask::rules::{build_transform, Rules, TransformSpec};
use dumpmask::Engine;
use dumpmask::RewriterBuilder;

fn spec(rule: &str) -> TransformSpec {
    TransformSpec::parse(rule).unwrap()
}

fn transformers(c: &mut Criterion) {
    let prf = Arc::new(Prf::new(b"bench-secret-0123456789abcdef"));
    let cases: Vec<(&str, TransformSpec, &str)> = vec![
        ("null", spec("\"null\""), "x"),
        (
            "fixed",
            spec(r#"{ transform = "fixed", value = "REDACTED" }"#),
            "secret",
        ),
        (
            "hash",
            spec(r#"{ transform = "hash", length = 12 }"#),
            "Alice",
        ),
        ("first_name", spec("\"first_name\""), "Alice"),
        ("last_name", spec("\"last_name\""), "Smith"),
        ("full_name", spec("\"full_name\""), "Alice Smith"),
        ("username", spec("\"username\""), "asmith"),
        ("city", spec("\"city\""), "Springfield"),
        ("street", spec("\"street\""), "Main Street"),
        (
            "address",
            spec("\"address\""),
            "1 Main Street, 12345 Springfield",
        ),
        ("company", spec("\"company\""), "Acme Ltd"),
        ("email", spec("\"email\""), "alice.smith@example.com"),
        (
            "email unique",
            spec(r#"{ transform = "email", unique = true }"#),
            "alice.smith@example.com",
        ),
        ("phone", spec("\"phone\""), "+1 (555) 010-6000"),
        ("mask 11 digits", spec("\"mask\""), "19800101001"),
        (
            "partial",
            spec(r#"{ transform = "partial", keep_last = 4 }"#),
            "123-45-6789",
        ),
        ("iban", spec("\"iban\""), "GB82WEST12345698765432"),
        ("credit_card", spec("\"credit_card\""), "4111111111111111"),
        ("ipv4", spec("\"ipv4\""), "192.168.1.10"),
        ("ipv6", spec("\"ipv6\""), "2001:db8::1"),
        (
            "uuid",
            spec("\"uuid\""),
            "123e4567-e89b-42d3-a456-426614174000",
        ),
        (
            "date_shift",
            spec(r#"{ transform = "date_shift", days = 30 }"#),
            "2024-02-29 12:34:56",
        ),
        (
            "number_noise",
            spec(r#"{ transform = "number_noise", percent = 5.0 }"#),
            "1234.50",
        ),
        (
            "truncate",
            spec(r#"{ transform = "truncate", length = 4 }"#),
            "Springfield",
        ),
        (
            "regex",
            spec(r##"{ transform = "regex", pattern = "[0-9]", replacement = "#" }"##),
            "order 12345",
        ),
        (
            "json",
            spec(r#"{ transform = "json", paths = { "$.email" = "email" } }"#),
            r#"{"email":"a@b.c","n":1}"#,
        ),
    ];
    let mut g = c.benchmark_group("transformer");
    // The keyed PRF alone (one HMAC-SHA256), the floor of every keyed
    // transformer: `hash` should cost little more.
    g.bench_function("keyed PRF alone", |b| {
        b.iter(|| black_box(prf.derive(black_box(b"hash"), black_box(b"Alice"), 0)))
    });
    for (name, spec, input) in cases {
        let t = build_transform(&spec, None, Some(&prf)).unwrap();
        let mut out = Vec::with_capacity(256);
        g.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                black_box(
                    t.apply(Some(black_box(input.as_bytes())), &NoRow, &mut out)
                        .unwrap(),
                );
            })
        });
    }
    g.finish();
}

/// A small generated MySQL dump (one table, ruled or not) in memory.
fn mysql_dump(rows: usize) -> Vec<u8> {
    let mut d = b"-- MariaDB dump 10.19\nCREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `name` varchar(50) DEFAULT NULL,\n  `note` text\n);\n".to_vec();
    for chunk in (0..rows).collect::<Vec<_>>().chunks(5000) {
        d.extend_from_slice(b"INSERT INTO `t` VALUES\n");
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                d.extend_from_slice(b",\n");
            }
            d.extend_from_slice(format!("({r},'Name O\\'Brien {r}','some longer note text with a \\\\ backslash and \\n newline {r}')").as_bytes());
        }
        d.extend_from_slice(b";\n");
    }
    d
}

/// The block scanners alone, on rows dense with escapes (binary-looking
/// strings, as in real BLOB columns), MB/s of the bytes scanned.
fn block_scans(c: &mut Criterion) {
    use dumpmask::internals::{row_fields, scan_rows};
    // Rows of a number, a name and 300 pseudo-random bytes, escaped.
    let mut rows = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for r in 0..20_000 {
        if r > 0 {
            rows.extend_from_slice(b",\n");
        }
        let blob: Vec<u8> = (0..300)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        rows.extend_from_slice(format!("({r},'Name {r}',").as_bytes());
        dumpmask::internals::encode_string(&blob, &mut rows);
        rows.push(b')');
    }
    rows.push(b';');
    let mut g = c.benchmark_group("block scans");
    g.throughput(Throughput::Bytes(rows.len() as u64));
    g.bench_function("statement end (splitter)", |b| {
        b.iter(|| black_box(scan_rows(&rows, 0, usize::MAX, None)))
    });
    g.bench_function("statement end with marks (splitter, ruled table)", |b| {
        let mut marks = Vec::new();
        b.iter(|| {
            marks.clear();
            black_box(scan_rows(&rows, 0, usize::MAX, Some(&mut marks)))
        })
    });
    g.bench_function("row fields, row by row (worker)", |b| {
        let mut commas = Vec::new();
        b.iter(|| {
            let mut p = 0;
            while let Some(close) = row_fields(&rows, p, rows.len(), &mut commas) {
                p = close + 1;
                while p < rows.len() && rows[p] != b'(' {
                    p += 1;
                }
            }
            black_box(p)
        })
    });
    g.bench_function("string ends (worker)", |b| {
        b.iter(|| {
            let mut n = 0;
            let mut p = 0;
            while let Some(q) = memchr::memchr(b'\'', &rows[p..]) {
                p = dumpmask::internals::string_end(&rows, p + q + 1, b'\'', true).unwrap() + 1;
                n += 1;
            }
            black_box(n)
        })
    });
    g.finish();
}

fn run(dump: &[u8], rules: &str, threads: usize) -> Vec<u8> {
    let rules = Rules::parse(rules, "bench.toml", None).unwrap();
    RewriterBuilder::new()
        .threads(threads)
        .dialect(Engine::MySql)
        .build(rules)
        .rewrite_bytes(dump.to_vec(), Vec::with_capacity(dump.len()))
        .unwrap()
        .out
}

fn pipeline_paths(c: &mut Criterion) {
    std::env::set_var("DUMPMASK_SECRET", "bench-secret-0123456789abcdef");
    let dump = mysql_dump(200_000);
    let mut g = c.benchmark_group("mysql 1 thread");
    g.throughput(Throughput::Bytes(dump.len() as u64));
    g.sample_size(10);
    // No rules: the splitter and the copy alone.
    g.bench_function("splitter (no rules)", |b| {
        b.iter(|| black_box(run(&dump, "", 1)))
    });
    // A rule that keeps values: the row parser without transformer cost.
    g.bench_function("row parser (keep-like fixed on NULLs)", |b| {
        b.iter(|| {
            black_box(run(
                &dump,
                "[tables.t.columns]\nname = { transform = \"null\", when = \"id < 0\" }\n",
                1,
            ))
        })
    });
    g.bench_function("rewrite (hash one column)", |b| {
        b.iter(|| black_box(run(&dump, "[tables.t.columns]\nname = \"hash\"\n", 1)))
    });
    g.finish();
}

criterion_group!(benches, transformers, pipeline_paths, block_scans);
criterion_main!(benches);
