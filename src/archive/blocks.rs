//! A custom archive's data blocks: where each starts and ends, and its
//! chunks `[int len][bytes]` read as one stream or written from one.

use std::io::{Read, Write};

use super::toc::{put_int, truncated, Header, Reader};
use crate::error::{Error, Result};
use crate::format::SharedBytes;

/// A custom archive's block: where it is and how it ends.
pub(crate) struct Block {
    pub(crate) kind: u8,
    pub(crate) dump_id: i64,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Walks the data blocks after the TOC (not trusting offsets, which a
/// piped pg_dump leaves unset).
pub(crate) fn scan_blocks(b: &[u8], from: usize, h: &Header) -> Result<Vec<Block>> {
    let mut r = Reader {
        b,
        pos: from,
        int_size: h.int_size,
        off_size: h.off_size,
    };
    let mut blocks = Vec::new();
    let skip_chunks = |r: &mut Reader<'_>| -> Result<()> {
        loop {
            let at = r.pos;
            let len = r.int()?;
            if len == 0 {
                return Ok(());
            }
            let skipped = usize::try_from(len).ok().and_then(|n| r.take(n));
            if skipped.is_none() {
                return Err(truncated(at));
            }
        }
    };
    while r.pos < b.len() {
        let start = r.pos;
        let kind = r.byte()?;
        let dump_id = r.int()?;
        match kind {
            1 => skip_chunks(&mut r)?,
            3 => loop {
                let oid = r.int()?;
                if oid == 0 {
                    break;
                }
                skip_chunks(&mut r)?;
            },
            _ => {
                return Err(Error::input(
                    start as u64,
                    format!("unknown data block type {kind} in pg_dump archive"),
                ))
            }
        }
        blocks.push(Block {
            kind,
            dump_id,
            start,
            end: r.pos,
        });
    }
    Ok(blocks)
}

/// The chunks of a data block, joined, as a reader.
pub(crate) struct ChunkReader {
    pub(crate) data: SharedBytes,
    pub(crate) pos: usize,
    pub(crate) left: usize,
    pub(crate) int_size: usize,
    pub(crate) done: bool,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let b: &[u8] = (*self.data).as_ref();
        while self.left == 0 && !self.done {
            let mut r = Reader {
                b,
                pos: self.pos,
                int_size: self.int_size,
                off_size: 8,
            };
            let len = r
                .int()
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
            self.pos = r.pos;
            if len <= 0 {
                self.done = true;
            } else {
                self.left = len as usize;
            }
        }
        if self.done {
            return Ok(0);
        }
        let n = buf.len().min(self.left);
        buf[..n].copy_from_slice(&b[self.pos..self.pos + n]);
        self.pos += n;
        self.left -= n;
        Ok(n)
    }
}

/// Frames bytes as chunks `[int len][bytes]` of at most 64 KiB.
pub(crate) struct ChunkFramer<W: Write> {
    pub(crate) out: W,
    pub(crate) buf: Vec<u8>,
    pub(crate) int_size: usize,
    pub(crate) written: u64,
}

impl<W: Write> ChunkFramer<W> {
    fn flush_chunk(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut len = Vec::new();
        put_int(&mut len, self.buf.len() as i64, self.int_size);
        self.out.write_all(&len)?;
        self.out.write_all(&self.buf)?;
        self.written += (len.len() + self.buf.len()) as u64;
        self.buf.clear();
        Ok(())
    }

    /// Writes the last chunk and the terminator; returns bytes written.
    pub(crate) fn finish(mut self) -> std::io::Result<u64> {
        self.flush_chunk()?;
        let mut zero = Vec::new();
        put_int(&mut zero, 0, self.int_size);
        self.out.write_all(&zero)?;
        Ok(self.written + zero.len() as u64)
    }
}

impl<W: Write> Write for ChunkFramer<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 << 10 {
            self.flush_chunk()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
