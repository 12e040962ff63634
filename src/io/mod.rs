//! Getting bytes in and out: a memory-mapped file or a stream in; an
//! atomically replaced file or standard output out. Knows nothing about
//! SQL.

pub mod compress;
pub mod input;
pub mod output;

/// Shared, immutable input bytes: a memory map or a buffer read from a
/// stream, handed to every worker.
pub type SharedBytes = std::sync::Arc<dyn AsRef<[u8]> + Send + Sync>;
