//! Golden vectors: the output of every keyed transformer for a fixed
//! secret and fixed inputs, pinned in `tests/golden/transformers.txt`.
//! Pseudonyms must not change silently between releases: users join
//! anonymized dumps made months apart on them. A change that is meant
//! gets a new version of the transformer; this file then gains lines and
//! keeps its old ones.
//!
//! To write the file after adding a transformer or an input:
//! `DUMPMASK_BLESS=1 cargo test --test golden` (and review the diff: an
//! existing line that changes is a broken promise, not an update).

use std::fmt::Write as _;
use std::sync::Arc;

use dumpmask::rules::build_transform;
use dumpmask::rules::transform::{NoRow, Prf};
use dumpmask::rules::TransformSpec;

const SECRET: &[u8] = b"golden-vectors-secret-0123456789abcdef";

/// Every keyed transformer, with its options that change the mapping.
const SPECS: &[&str] = &[
    r#""hash""#,
    r#"{ transform = "hash", length = 12 }"#,
    r#"{ transform = "hash", length = 20, alphabet = "alnum" }"#,
    r#"{ transform = "hash", length = 10, alphabet = "digits", domain = "people" }"#,
    r#""email""#,
    r#"{ transform = "email", keep_domain = true }"#,
    r#"{ transform = "email", unique = true }"#,
    r#"{ transform = "email", unique = true, keep_domain = true }"#,
    r#""first_name""#,
    r#""last_name""#,
    r#""full_name""#,
    r#""username""#,
    r#""city""#,
    r#""street""#,
    r#""address""#,
    r#""company""#,
    r#""phone""#,
    r#"{ transform = "mask", unique = true }"#,
    r#"{ transform = "mask", letters = false }"#,
    r#""iban""#,
    r#""credit_card""#,
    r#"{ transform = "credit_card", keep_last4 = true }"#,
    r#""ipv4""#,
    r#"{ transform = "ipv4", keep_prefix = 16 }"#,
    r#""ipv6""#,
    r#""ip""#,
    r#""uuid""#,
    r#"{ transform = "date_shift", days = 30 }"#,
    r#"{ transform = "number_noise", percent = 10 }"#,
];

/// Inputs shaped for the transformers above; each transformer gets those
/// it accepts (an input it refuses is pinned as refused).
const INPUTS: &[&str] = &[
    "Alice",
    "O'Brien",
    "Zoë Müller",
    "李小龙",
    "alice.smith@example.com",
    "bob+tag@mail.example.org",
    "+33 6 12 34 56 78",
    "(555) 010-6000",
    "12345678901",
    "AB-1234-cd",
    "FR7630006000011234567890189",
    "DE89 3704 0044 0532 0130 00",
    "4111 1111 1111 1111",
    "5500000000000004",
    "192.168.10.20",
    "10.0.0.1/8",
    "2001:db8::8a2e:370:7334",
    "550e8400-e29b-41d4-a716-446655440000",
    "1985-03-12",
    "2024-01-31 23:59:59.123456+02",
    "1234.56",
    "-42",
];

/// One line per (transformer, input): the spec, the input and the output
/// (or `refused`), as Rust string literals.
fn vectors() -> String {
    let prf = Arc::new(Prf::new(SECRET));
    let mut text = String::new();
    for spec in SPECS {
        let s = TransformSpec::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        let t = build_transform(&s, None, Some(&prf)).unwrap_or_else(|e| panic!("{spec}: {e}"));
        for input in INPUTS {
            let mut out = Vec::new();
            let got = match t.apply(Some(input.as_bytes()), &NoRow, &mut out) {
                Ok(_) => format!("{:?}", String::from_utf8_lossy(&out)),
                Err(_) => "refused".to_string(),
            };
            writeln!(text, "{spec}\t{input:?}\t{got}").unwrap();
        }
    }
    text
}

#[test]
fn keyed_transformers_match_their_golden_vectors() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/transformers.txt");
    let now = vectors();
    if std::env::var_os("DUMPMASK_BLESS").is_some() {
        std::fs::write(&path, &now).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (DUMPMASK_BLESS=1 writes it)", path.display()));
    let mut changed = Vec::new();
    for (want, got) in pinned.lines().zip(now.lines()) {
        if want != got {
            changed.push(format!("  pinned: {want}\n  now:    {got}"));
        }
    }
    assert!(
        changed.is_empty() && pinned.lines().count() == now.lines().count(),
        "{} golden vectors changed ({} pinned, {} now); a pseudonym that changes needs a new transformer version:\n{}",
        changed.len(),
        pinned.lines().count(),
        now.lines().count(),
        changed.join("\n")
    );
    // The vectors say something: keyed outputs differ from their inputs
    // and most inputs are accepted.
    let accepted = now.lines().filter(|l| !l.ends_with("\trefused")).count();
    assert!(
        accepted > now.lines().count() / 3,
        "only {accepted} accepted"
    );
}

#[test]
fn another_secret_gives_other_pseudonyms() {
    let s = TransformSpec::parse(r#""hash""#).unwrap();
    let a = build_transform(&s, None, Some(&Arc::new(Prf::new(SECRET)))).unwrap();
    let b = build_transform(
        &s,
        None,
        Some(&Arc::new(Prf::new(b"another-secret-0123456789abcdef"))),
    )
    .unwrap();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    a.apply(Some(b"Alice"), &NoRow, &mut x).unwrap();
    b.apply(Some(b"Alice"), &NoRow, &mut y).unwrap();
    assert_ne!(x, y);
}
