//! dumpmask: rewrite MySQL/MariaDB and PostgreSQL dump files so that no
//! personal data leaves the host, without loading them into a database.
//!
//! The library is the product: a [`RewriterBuilder`] makes a [`Rewriter`],
//! which rewrites or checks a dump from a reader, bytes or a path into a
//! writer the caller owns, and a [`RecordRewriter`] for JSON Lines and
//! CSV under the same rules. The `dumpmask` binary parses arguments,
//! opens files and standard streams, and calls it.

#![deny(missing_docs)]

pub mod archive;
pub mod dialect;
pub mod error;
pub mod format;
pub mod io;
pub mod pipeline;
pub mod records;
pub mod report;
pub mod rewrite;
pub mod rewriter;
pub mod rules;
pub mod schema;
pub mod simd;
pub mod sql;

pub use error::{Error, ErrorKind, Result};
pub use pipeline::Options;
pub use records::{CsvOptions, RecordFormat, RecordOptions, RecordRewriter};
pub use rewriter::{CheckReport, Rewriter, RewriterBuilder, Rewritten};
