//! Command-line arguments, their resolution into a [`run::RunConfig`],
//! and the mapping of results to exit codes. The library knows nothing of
//! clap; this module knows nothing of SQL.

mod progress;
mod run;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use dumpmask::report::Progress;
use dumpmask::{Codec, Compression, Engine};
use dumpmask::{CsvOptions, ErrorKind, Options, RecordFormat, RecordOptions};
use run::RunConfig;

/// Exit codes, documented in the README.
mod exit {
    pub const OK: u8 = 0;
    pub const USAGE_OR_RULES: u8 = 2;
    pub const INPUT: u8 = 3;
    pub const IO: u8 = 4;
    pub const FAULTS: u8 = 5;
    pub const INTERNAL: u8 = 70;
    pub const INTERRUPTED: u8 = 130;
    pub const BROKEN_PIPE: u8 = 141;
}

#[derive(Parser, Debug)]
#[command(
    name = "dumpmask",
    version,
    about = "Anonymize SQL dump files offline, in parallel"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Rewrite a dump according to a rules file.
    Run(RunArgs),
    /// Validate a rules file against a dump's schema; write nothing.
    Check(CheckArgs),
    /// List tables, columns, types, row counts and the columns that look
    /// personal, with why; optionally write starter rules. Never prints a
    /// data value.
    Scan(ScanArgs),
    /// Prove after the fact that an anonymized dump holds no original
    /// value of a ruled column, no colliding unique output, and no changed
    /// unruled column. Never prints a data value.
    Verify(VerifyArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish,
    /// powershell) to standard output.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to standard output.
    Man,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// The dump to read: a file path, a pg_dump archive, or `-` for
    /// standard input.
    input: String,
    /// Write starter rules here (strict; a commented rule per personal
    /// column; `keep` for the rest).
    #[arg(long)]
    rules_out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// The dump's dialect.
    #[arg(long, value_enum, default_value_t = DialectArg::Auto)]
    dialect: DialectArg,
}

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// The original dump (file, compressed file, archive, or `-`).
    original: String,
    /// The anonymized dump made from it (file, compressed file, archive,
    /// or `-`; not both `-`).
    anonymized: String,
    /// The rules file the anonymized dump was made with.
    #[arg(long, short = 'r')]
    rules: PathBuf,
    /// Write JSON evidence here (counts, rules fingerprint, sha256 of both
    /// dumps, version, time; never a data value).
    #[arg(long)]
    report: Option<PathBuf>,
    /// The dumps' dialect.
    #[arg(long, value_enum, default_value_t = DialectArg::Auto)]
    dialect: DialectArg,
    /// Print nothing but faults and errors.
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// The dump to read: a file path, or `-` for standard input.
    input: String,
    /// The rules file (TOML).
    #[arg(long, short = 'r')]
    rules: PathBuf,
    /// The dump's dialect.
    #[arg(long, value_enum, default_value_t = DialectArg::Auto)]
    dialect: DialectArg,
    /// Every column of every table with data must have a rule.
    #[arg(long)]
    strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The dump to read: a file path, or `-` for standard input.
    input: String,
    /// The rules file (TOML).
    #[arg(long, short = 'r')]
    rules: PathBuf,
    /// Write here (atomically, mode 0600) instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Worker threads (default: all cores; 1 is the sequential path).
    #[arg(long, short = 't')]
    threads: Option<usize>,
    /// The dump's dialect.
    #[arg(long, value_enum, default_value_t = DialectArg::Auto)]
    dialect: DialectArg,
    /// Fail unless every column of every table with data has a rule.
    #[arg(long)]
    strict: bool,
    /// Input bytes per chunk of work (e.g. 2M).
    #[arg(long, value_parser = parse_size, default_value = "2M")]
    chunk_size: usize,
    /// Largest statement or row accepted (e.g. 1G).
    #[arg(long, value_parser = parse_size, default_value = "1G")]
    max_statement: usize,
    /// Bytes read from a stream at a time (tests use tiny windows).
    #[arg(long, value_parser = parse_size, default_value = "8M", hide = true)]
    stream_window: usize,
    /// Output compression (default: by the output's extension, `.zst`
    /// or `.gz`; none on standard output).
    #[arg(long, value_enum)]
    compress: Option<CompressArg>,
    /// Compression level (zstd 1-22, default 3; gzip 1-9, default 6).
    #[arg(long)]
    level: Option<i32>,
    /// Write a JSON report of the run here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Print nothing on standard error but errors.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// What the input is: a SQL dump (default), JSON Lines or CSV.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Sql)]
    input_format: InputFormatArg,
    /// Records (jsonl, csv): the rules' table they belong to
    /// (`[tables.NAME]`).
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    /// CSV: the field separator, one byte (`,`; `;`, `|`, `\t` for tab).
    #[arg(long, default_value = ",")]
    delimiter: String,
    /// CSV: the first record is data; columns are named c1, c2, ...
    #[arg(long)]
    no_header: bool,
    /// JSON Lines: a key a rule names that no record has is a warning,
    /// not an error.
    #[arg(long)]
    allow_absent_keys: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum InputFormatArg {
    Sql,
    Jsonl,
    Csv,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CompressArg {
    None,
    Gzip,
    Zstd,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DialectArg {
    Auto,
    Mysql,
    Postgres,
}

/// `64K`, `2M`, `1G`, or a plain byte count.
fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: usize = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix in `{s}` (use K, M or G)")),
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    let n: usize = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size like 64K, 2M or 1G"))?;
    n.checked_mul(mult)
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("size `{s}` is out of range"))
}

/// Parses arguments, runs, and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args),
        Command::Check(args) => check(args),
        Command::Scan(args) => scan(args),
        Command::Verify(args) => verify(args),
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut cmd, "dumpmask", &mut std::io::stdout());
            ExitCode::from(exit::OK)
        }
        Command::Man => man(),
    }
}

/// The man page, from the same definitions as `--help`: the command's own
/// page, then each subcommand's as a section.
fn man() -> ExitCode {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut out: Vec<u8> = Vec::new();
    let page = clap_mangen::Man::new(cmd.clone());
    if let Err(e) = page.render(&mut out) {
        return fail(dumpmask::Error::io("writing the man page", e));
    }
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        let title = format!("dumpmask {}", sub.get_name()).to_uppercase();
        let page = clap_mangen::Man::new(sub.clone());
        let _ = writeln!(out, ".SH \"{title}\"");
        if let Err(e) = page
            .render_description_section(&mut out)
            .and_then(|()| page.render_synopsis_section(&mut out))
            .and_then(|()| page.render_options_section(&mut out))
        {
            return fail(dumpmask::Error::io("writing the man page", e));
        }
    }
    match std::io::stdout().write_all(&out) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(exit::BROKEN_PIPE),
        Err(e) => fail(dumpmask::Error::io("writing the man page", e)),
    }
}

fn scan(args: ScanArgs) -> ExitCode {
    let report = match dumpmask::inspect::scan::scan(
        &args.input,
        dialect(args.dialect),
        &Options::default(),
    ) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if let Some(path) = &args.rules_out {
        let text = dumpmask::inspect::scan::starter_rules(&report, &args.input);
        if let Err(e) = run::write_atomically(path, text.as_bytes()) {
            return fail(e);
        }
    }
    let shown = match args.format {
        FormatArg::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        FormatArg::Text => render_scan(&report),
    };
    print!("{shown}");
    if let Some(path) = &args.rules_out {
        if matches!(args.format, FormatArg::Text) {
            println!(
                "starter rules written to {} (review them, then: dumpmask check --rules {} {})",
                path.display(),
                path.display(),
                args.input
            );
        }
    }
    ExitCode::from(exit::OK)
}

/// The scan as text: per table its rows and columns, personal ones
/// marked with their category and why.
fn render_scan(r: &dumpmask::inspect::scan::ScanReport) -> String {
    let mut out = String::new();
    for t in &r.tables {
        out.push_str(&format!(
            "{}: {} row(s), {} column(s)\n",
            t.table,
            t.rows,
            t.columns.len()
        ));
        let width = t
            .columns
            .iter()
            .map(|c| c.column.chars().count())
            .max()
            .unwrap_or(0);
        for c in &t.columns {
            let pad = width - c.column.chars().count();
            let mut line = format!("  {}{}  {}", c.column, " ".repeat(pad), c.ty);
            if c.unique {
                line.push_str(" unique");
            }
            if let Some(cat) = c.category {
                line.push_str(&format!(
                    "  PERSONAL {}: {}",
                    cat.as_str(),
                    c.why.join("; ")
                ));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "{} table(s), {} personal-looking column(s) ({} dump, {} bytes read)\n",
        r.tables.len(),
        r.personal_columns,
        r.dialect,
        r.bytes
    ));
    out
}

fn verify(args: VerifyArgs) -> ExitCode {
    let cfg = run::VerifyConfig {
        original: args.original,
        anonymized: args.anonymized,
        rules: args.rules,
        dialect: dialect(args.dialect),
        report: args.report,
    };
    let verdict = match run::verify(&cfg) {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    for f in &verdict.faults {
        println!("{f}");
    }
    if verdict.ok {
        if !args.quiet {
            let rows: u64 = verdict.tables.iter().map(|t| t.rows_output).sum();
            println!(
                "ok: {} table(s), {rows} row(s); {} distinct ruled value(s) searched for, none found; unique rules hold; unruled columns unchanged",
                verdict.tables.len(),
                verdict.distinct_values_searched
            );
        }
        ExitCode::from(exit::OK)
    } else {
        println!("verify failed: {} fault(s)", verdict.faults.len());
        ExitCode::from(exit::FAULTS)
    }
}

fn dialect(d: DialectArg) -> Option<Engine> {
    match d {
        DialectArg::Auto => None,
        DialectArg::Mysql => Some(Engine::MySql),
        DialectArg::Postgres => Some(Engine::Postgres),
    }
}

/// Maps a library error to its exit code, printing it unless it is a
/// closed pipe.
fn fail(e: dumpmask::Error) -> ExitCode {
    let code = match e.kind() {
        ErrorKind::Input => exit::INPUT,
        ErrorKind::Rules => exit::USAGE_OR_RULES,
        ErrorKind::Io => exit::IO,
        ErrorKind::Interrupted => exit::INTERRUPTED,
        ErrorKind::Internal => exit::INTERNAL,
        ErrorKind::BrokenPipe => return ExitCode::from(exit::BROKEN_PIPE),
        _ => 1,
    };
    eprintln!("dumpmask: error: {e}");
    ExitCode::from(code)
}

fn check(args: CheckArgs) -> ExitCode {
    let cfg = run::CheckConfig {
        input: args.input,
        rules: args.rules,
        dialect: dialect(args.dialect),
        strict: args.strict,
    };
    let report = match run::check(&cfg) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    match args.format {
        FormatArg::Json => {
            let text = serde_json::to_string_pretty(&report).unwrap_or_default();
            println!("{text}");
        }
        FormatArg::Text => {
            for p in &report.problems {
                println!("{}", p.message);
            }
            if report.ok {
                println!("ok: the rules fit the dump's {} tables", report.tables);
            } else {
                println!("{} problem(s)", report.problems.len());
            }
        }
    }
    ExitCode::from(if report.ok {
        exit::OK
    } else {
        exit::USAGE_OR_RULES
    })
}

/// The record options the arguments ask for; `None` for a dump. A
/// record option without `--input-format` is a usage error.
fn records(args: &RunArgs) -> Result<Option<RecordOptions>, String> {
    let format = match args.input_format {
        InputFormatArg::Sql => {
            if args.table.is_some()
                || args.no_header
                || args.allow_absent_keys
                || args.delimiter != ","
            {
                return Err("--table, --delimiter, --no-header and --allow-absent-keys apply to --input-format jsonl or csv".into());
            }
            return Ok(None);
        }
        InputFormatArg::Jsonl => {
            if args.no_header || args.delimiter != "," {
                return Err("--delimiter and --no-header apply to --input-format csv".into());
            }
            RecordFormat::Jsonl
        }
        InputFormatArg::Csv => {
            let delimiter = match args.delimiter.as_str() {
                "\\t" | "tab" => b'\t',
                d if d.len() == 1 && !matches!(d.as_bytes()[0], b'"' | b'\n' | b'\r') => {
                    d.as_bytes()[0]
                }
                _ => return Err(
                    "--delimiter takes one byte other than a quote or a line break (`\\t` for tab)"
                        .into(),
                ),
            };
            if args.allow_absent_keys {
                return Err(
                    "--allow-absent-keys applies to --input-format jsonl (a CSV header is known)"
                        .into(),
                );
            }
            RecordFormat::Csv(CsvOptions {
                delimiter,
                header: !args.no_header,
            })
        }
    };
    let Some(table) = args.table.clone() else {
        return Err("--input-format jsonl or csv needs --table NAME: the rules' table the records belong to".into());
    };
    Ok(Some(RecordOptions {
        format,
        table,
        allow_absent_keys: args.allow_absent_keys,
    }))
}

fn run(args: RunArgs) -> ExitCode {
    let records = match records(&args) {
        Ok(r) => r,
        Err(m) => {
            eprintln!("dumpmask: error: {m}");
            return ExitCode::from(exit::USAGE_OR_RULES);
        }
    };
    let mut options = Options::default();
    if let Some(t) = args.threads {
        options.threads = t.max(1);
    }
    options.chunk_size = args.chunk_size;
    options.max_statement = args.max_statement;
    options.window = args.stream_window;
    // First Ctrl-C or SIGTERM: stop cleanly (no output file is left);
    // a second one exits at once.
    let interrupt = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register_conditional_shutdown(
            sig,
            exit::INTERRUPTED as i32,
            interrupt.clone(),
        );
        let _ = signal_hook::flag::register(sig, interrupt.clone());
    }
    options.interrupt = Some(interrupt);
    let progress = (!args.quiet).then(|| Arc::new(Progress::default()));
    options.progress = progress.clone();
    let compress = match (args.compress, args.level) {
        (None, None) => None,
        (kind, level) => {
            let kind = match kind {
                Some(CompressArg::None) => Compression::None,
                Some(CompressArg::Gzip) => Compression::Gzip,
                Some(CompressArg::Zstd) => Compression::Zstd,
                None => args
                    .output
                    .as_deref()
                    .map_or(Compression::None, Compression::from_extension),
            };
            let mut codec = Codec::with_default_level(kind);
            if let Some(l) = level {
                let range = match kind {
                    Compression::Gzip => 1..=9,
                    _ => 1..=22,
                };
                if !range.contains(&l) {
                    eprintln!(
                        "dumpmask: error: --level {l} is out of range for {kind:?} ({}-{})",
                        range.start(),
                        range.end()
                    );
                    return ExitCode::from(exit::USAGE_OR_RULES);
                }
                codec.level = l;
            }
            Some(codec)
        }
    };
    let cfg = RunConfig {
        input: args.input,
        output: args.output,
        rules: args.rules,
        dialect: dialect(args.dialect),
        strict: args.strict,
        compress,
        report: args.report,
        quiet: args.quiet,
        options,
        records,
    };
    let display = progress.map(progress::Display::start);
    let result = run::run(&cfg);
    drop(display);
    match result {
        Ok(summary) => {
            if !args.quiet {
                eprint!("{}", summary.render());
            }
            ExitCode::from(exit::OK)
        }
        Err(e) => fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("2m"), Ok(2 << 20));
        assert_eq!(parse_size("17"), Ok(17));
        assert!(parse_size("0").is_err());
        assert!(parse_size("3X").is_err());
    }
}
