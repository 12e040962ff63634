//! The input dump: a regular file is memory-mapped (one window, the whole
//! file); standard input or a pipe is read as a stream of windows. Both end
//! in the same splitter code over `&[u8]`.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use crate::error::{display_path, Error, Result};
use crate::io::compress::{decompress, Compression};
use crate::io::SharedBytes;

/// Where the dump comes from, and how far reading it has got.
pub struct Source {
    /// The bytes.
    pub input: Input,
    /// Size of the input as stored (compressed size for compressed
    /// input), when known.
    pub stored_size: Option<u64>,
    /// Compressed bytes read so far, for compressed input.
    pub compressed_read: Option<Arc<AtomicU64>>,
}

/// The bytes of a dump.
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

impl Source {
    fn plain(input: Input, stored_size: Option<u64>) -> Source {
        Source {
            input,
            stored_size,
            compressed_read: None,
        }
    }

    fn stream(
        raw: Box<dyn Read + Send>,
        name: String,
        kind: Compression,
        stored_size: Option<u64>,
    ) -> Source {
        if kind == Compression::None {
            return Source::plain(Input::Stream { reader: raw, name }, stored_size);
        }
        let count = Arc::new(AtomicU64::new(0));
        let reader = decompress(raw, kind, count.clone());
        Source {
            input: Input::Stream {
                reader: Box::new(reader),
                name,
            },
            stored_size,
            compressed_read: Some(count),
        }
    }
}

impl Source {
    /// A dump read from `reader` (gzip or zstd recognised by magic bytes).
    pub fn from_reader(mut reader: Box<dyn Read + Send>, name: String) -> Result<Source> {
        let mut head = Vec::with_capacity(4);
        fill(&mut reader, &mut head, 4).map_err(|e| Error::io(format!("reading {name}"), e))?;
        let kind = Compression::sniff(&head);
        let raw: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(head).chain(reader));
        Ok(Source::stream(raw, name, kind, None))
    }
}

impl Input {
    /// Opens `-` (standard input) or a path. Compressed input (gzip,
    /// zstd, by magic bytes) is decompressed on its own thread.
    pub fn open(path: &str) -> Result<Source> {
        if path == "-" {
            return Source::from_reader(Box::new(std::io::stdin()), "<stdin>".into());
        }
        let p = Path::new(path);
        let name = display_path(p);
        let mut file = File::open(p).map_err(|e| Error::io(format!("opening {name}"), e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io(format!("reading {name}"), e))?;
        if !meta.is_file() {
            // A pipe, a FIFO or a device: read it as a stream.
            return Source::from_reader(Box::new(file), name);
        }
        let size = meta.len();
        let mut head = Vec::with_capacity(4);
        fill(&mut file, &mut head, 4).map_err(|e| Error::io(format!("reading {name}"), e))?;
        let kind = Compression::sniff(&head);
        if kind == Compression::Zstd {
            // Independent frames (dumpmask's own output, pzstd's) are
            // decompressed in parallel.
            // SAFETY: as for the plain map below.
            if let Ok(map) = unsafe { memmap2::MmapOptions::new().map(&file) } {
                let count = Arc::new(AtomicU64::new(0));
                let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
                if let Some(reader) = crate::io::compress::decompress_zstd_frames(
                    Arc::new(Mapped(map)),
                    threads,
                    count.clone(),
                ) {
                    return Ok(Source {
                        input: Input::Stream {
                            reader: Box::new(reader),
                            name,
                        },
                        stored_size: Some(size),
                        compressed_read: Some(count),
                    });
                }
            }
        }
        if kind != Compression::None {
            let file = File::open(p).map_err(|e| Error::io(format!("opening {name}"), e))?;
            return Ok(Source::stream(Box::new(file), name, kind, Some(size)));
        }
        if size == 0 {
            return Ok(Source::plain(
                Input::Whole {
                    data: Arc::new(Vec::new()),
                    name,
                },
                Some(0),
            ));
        }
        // SAFETY: the map is read-only, and dumpmask never writes the input.
        // Another process truncating or rewriting the file during the run
        // would change the bytes under us; that is the documented contract
        // of memory-mapped input (as in ripgrep), and the output is only
        // published when the whole run succeeds.
        let input = match unsafe { memmap2::MmapOptions::new().map(&file) } {
            Ok(map) => {
                let _ = map.advise(memmap2::Advice::Sequential);
                Input::Whole {
                    data: Arc::new(Mapped(map)),
                    name,
                }
            }
            // Some file systems cannot be mapped: fall back to reading.
            Err(_) => {
                let file = File::open(p).map_err(|e| Error::io(format!("opening {name}"), e))?;
                Input::Stream {
                    reader: Box::new(file),
                    name,
                }
            }
        };
        Ok(Source::plain(input, Some(size)))
    }

    /// An in-memory input.
    #[cfg(test)]
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

/// Reads into `buf` until it holds `want` bytes or the stream ends.
/// Returns whether the stream ended.
pub fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    // Zero the room once: readers that return little at a time (chunked
    // archives, pipes) must not make every call clear the whole window.
    let mut filled = buf.len();
    if want > filled {
        buf.resize(want, 0);
    }
    let result = loop {
        if filled >= want {
            break Ok(false);
        }
        match reader.read(&mut buf[filled..want]) {
            Ok(0) => break Ok(true),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    buf.truncate(filled);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

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
