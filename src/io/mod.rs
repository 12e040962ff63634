//! Getting bytes in and out: a memory-mapped file or a stream in; an
//! atomically replaced file or standard output out. Knows nothing about
//! SQL.

pub mod compress;
pub mod input;
pub mod output;
