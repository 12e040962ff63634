//! Proof by count that `unique = true` holds: maps N distinct national-id
//! numbers (11 digits) and N distinct e-mail addresses through `mask` and
//! unique `email`, and counts collisions.
//!
//!     cargo run --release --example uniqueness -- 10000000
//!
//! Exits non-zero on any collision. Results go to BENCHMARKS.md.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use dumpmask::rules::build_transform;
use dumpmask::rules::transform::{NoRow, Prf};
use dumpmask::rules::TransformSpec;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let prf = Arc::new(Prf::new(b"uniqueness-proof-secret-0123456789"));
    let mut failed = false;
    for (name, spec) in [("mask", "mask"), ("email", "email")] {
        let s = TransformSpec::parse(&format!("{{ transform = \"{spec}\", unique = true }}"))
            .expect("rule");
        let t = build_transform(&s, None, Some(&prf)).expect("transformer");
        let started = Instant::now();
        // The output bytes themselves are kept: fingerprints could hide or
        // invent collisions.
        let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(n as usize);
        let mut collisions = 0u64;
        let mut out = Vec::new();
        for i in 0..n {
            // Distinct inputs shaped like the real thing.
            let input = match name {
                "mask" => format!("{:011}", 10_000_000_000u64 + i * 7_919),
                _ => format!("user.{i}@example.com"),
            };
            out.clear();
            t.apply(Some(input.as_bytes()), &NoRow, &mut out)
                .expect("apply");
            if !seen.insert(out.clone()) {
                collisions += 1;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{name}: {n} distinct inputs, {} distinct outputs, {collisions} collisions, {:.0} ns/value",
            seen.len(),
            secs * 1e9 / n as f64
        );
        failed |= collisions > 0;
    }
    if failed {
        std::process::exit(1);
    }
}
