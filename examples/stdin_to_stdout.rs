//! dumpmask as a library: rewrite a dump from standard input to standard
//! output under a rules file, through the embedding API.
//!
//!     DUMPMASK_SECRET=... cargo run --release --example stdin_to_stdout -- rules.toml < in.sql > out.sql

use std::io::Write;
use std::process::ExitCode;

use dumpmask::rules::Rules;
use dumpmask::RewriterBuilder;

fn main() -> ExitCode {
    let Some(rules) = std::env::args_os().nth(1) else {
        eprintln!("usage: stdin_to_stdout RULES.toml < in.sql > out.sql");
        return ExitCode::from(2);
    };
    let result = Rules::load(std::path::Path::new(&rules)).and_then(|rules| {
        let out = std::io::BufWriter::new(std::io::stdout());
        RewriterBuilder::new()
            .build(rules)
            .rewrite_reader(std::io::stdin(), out)
    });
    match result {
        Ok(mut done) => {
            let _ = done.out.flush();
            for w in &done.warnings {
                eprintln!("warning: {w}");
            }
            let (seen, rewritten, dropped) = done.summary.row_totals();
            eprintln!("rows: {seen} seen, {rewritten} rewritten, {dropped} dropped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
