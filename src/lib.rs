//! dumpmask: rewrite MySQL/MariaDB and PostgreSQL dump files so that no
//! personal data leaves the host, without loading them into a database.
//!
//! The library is the product: a [`RewriterBuilder`] makes a [`Rewriter`],
//! which rewrites or checks a dump from a reader, bytes or a path into a
//! writer the caller owns, and a [`RecordRewriter`] for JSON Lines and
//! CSV under the same rules. The `dumpmask` binary parses arguments,
//! opens files and standard streams, and calls it.

#![deny(missing_docs)]

// The modules users embed: the rewriter and what it takes and gives back,
// the dump's inspection (`scan`, `verify`) and records (JSON Lines, CSV).
pub mod error;
pub mod inspect;
pub mod records;
pub mod report;
pub mod rules;

// The machinery behind it, free to change between releases.
pub(crate) mod archive;
pub(crate) mod dialect;
pub(crate) mod format;
pub(crate) mod io;
pub(crate) mod pipeline;
pub(crate) mod rewrite;
mod rewriter;
pub(crate) mod schema;
pub(crate) mod simd;
pub(crate) mod sql;

pub use archive::detect as detect_archive;
pub use error::{Error, ErrorKind, Result};
pub use format::Engine;
pub use io::compress::{Codec, Compression};
pub use io::output::AtomicFile;
pub use pipeline::Options;
pub use records::{CsvOptions, RecordFormat, RecordOptions, RecordRewriter};
pub use report::{Progress, Summary};
pub use rewriter::{CheckReport, Rewriter, RewriterBuilder, Rewritten};
pub use rules::Rules;

/// Entry points for this crate's own integration tests and benchmarks
/// (the block scans, the value encoders, the lexer), which compile as
/// separate crates and so cannot reach `pub(crate)` items. Not part of
/// the API: hidden from the docs, and they change without notice.
#[doc(hidden)]
pub mod internals {
    pub use crate::format::mysql::{encode_string, row_fields, scan_rows, RowsScan, LEXICAL};
    pub use crate::format::postgres::encode_copy;
    pub use crate::sql::{statement_end, string_end};
}
