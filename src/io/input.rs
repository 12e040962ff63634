//! The input dump: a regular file is memory-mapped (one window, the whole
//! file); standard input or a pipe is read as a stream of windows. Both end
//! in the same splitter code over `&[u8]`.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::error::{display_path, Error, Result};
use crate::format::SharedBytes;

/// Where the dump comes from.
pub enum Input {
    /// The whole input in memory (a memory map, or a buffer).
    Whole {
        /// The bytes.
        data: SharedBytes,
        /// Name for messages.
        name: String,
    },
    /// A stream read in windows.
    Stream {
        /// The reader.
        reader: Box<dyn Read + Send>,
        /// Name for messages.
        name: String,
    },
}

struct Mapped(memmap2::Mmap);

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Input {
    /// Opens `-` (standard input) or a path.
    pub fn open(path: &str) -> Result<Input> {
        if path == "-" {
            return Ok(Input::Stream {
                reader: Box::new(std::io::stdin()),
                name: "<stdin>".into(),
            });
        }
        let p = Path::new(path);
        let name = display_path(p);
        let file = File::open(p).map_err(|e| Error::io(format!("opening {name}"), e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io(format!("reading {name}"), e))?;
        if !meta.is_file() {
            // A pipe, a FIFO or a device: read it as a stream.
            return Ok(Input::Stream {
                reader: Box::new(file),
                name,
            });
        }
        if meta.len() == 0 {
            return Ok(Input::Whole {
                data: Arc::new(Vec::new()),
                name,
            });
        }
        // SAFETY: the map is read-only, and dumpmask never writes the input.
        // Another process truncating or rewriting the file during the run
        // would change the bytes under us; that is the documented contract
        // of memory-mapped input (as in ripgrep), and the output is only
        // published when the whole run succeeds.
        match unsafe { memmap2::MmapOptions::new().map(&file) } {
            Ok(map) => {
                #[cfg(unix)]
                let _ = map.advise(memmap2::Advice::Sequential);
                Ok(Input::Whole {
                    data: Arc::new(Mapped(map)),
                    name,
                })
            }
            // Some file systems cannot be mapped: fall back to reading.
            Err(_) => Ok(Input::Stream {
                reader: Box::new(file),
                name,
            }),
        }
    }

    /// An in-memory input (tests, benchmarks).
    pub fn from_bytes(bytes: Vec<u8>, name: &str) -> Input {
        Input::Whole {
            data: Arc::new(bytes),
            name: name.into(),
        }
    }

    /// The input's name for messages.
    pub fn name(&self) -> &str {
        match self {
            Input::Whole { name, .. } | Input::Stream { name, .. } => name,
        }
    }
}

/// Compression formats recognised by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// No compression.
    None,
    /// gzip (RFC 1952).
    Gzip,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// Recognises a compressed stream by its first bytes.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Reads into `buf` until it holds `want` bytes or the stream ends.
/// Returns whether the stream ended.
pub fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    while buf.len() < want {
        let old = buf.len();
        buf.resize(want, 0);
        match reader.read(&mut buf[old..]) {
            Ok(0) => {
                buf.truncate(old);
                return Ok(true);
            }
            Ok(n) => buf.truncate(old + n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(old),
            Err(e) => {
                buf.truncate(old);
                return Err(e);
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_magic_bytes() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"-- MySQL dump"), Compression::None);
    }

    #[test]
    fn fill_reads_until_want_or_end() {
        let mut r: &[u8] = b"hello world";
        let mut buf = Vec::new();
        assert!(!fill(&mut r, &mut buf, 5).unwrap());
        assert_eq!(buf, b"hello");
        assert!(fill(&mut r, &mut buf, 100).unwrap());
        assert_eq!(buf, b"hello world");
    }
}
