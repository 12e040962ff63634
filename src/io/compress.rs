//! Compression: recognising compressed input by its magic bytes and
//! decompressing it on its own thread, and compressing output in parallel
//! as independent zstd frames or gzip members.
//!
//! Output is cut into blocks; each block is compressed on its own by a
//! pool of threads and the frames are written in order. Concatenated zstd
//! frames and gzip members are valid streams for the standard tools, and
//! each frame can be decompressed on its own.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver};

use crate::pipeline::ordered::{ordered, Submitter, Workers};

/// Compression formats recognised by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// No compression.
    None,
    /// gzip (RFC 1952), possibly several members.
    Gzip,
    /// Zstandard, possibly several frames.
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

    /// By a file name's extension: `.gz`, `.zst`.
    pub fn from_extension(path: &std::path::Path) -> Compression {
        match path.extension().and_then(|e| e.to_str()) {
            Some("gz") => Compression::Gzip,
            Some("zst") | Some("zstd") => Compression::Zstd,
            _ => Compression::None,
        }
    }
}

/// A reader that counts the bytes read through it (for progress on
/// compressed input, and for the offset of corrupt data).
pub struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> CountingReader<R> {
    /// Counts into `count`.
    pub fn new(inner: R, count: Arc<AtomicU64>) -> Self {
        CountingReader { inner, count }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decompressed bytes arriving from a decoder thread.
pub struct ChannelReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
    _thread: Option<JoinHandle<()>>,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            match self.rx.recv() {
                Ok(Ok(block)) => {
                    self.current = block;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Starts a thread decompressing `raw` (whose compressed bytes read are
/// counted in `compressed`), and returns a reader of the plain bytes.
/// Corrupt data is an `InvalidData` error naming the compressed offset.
pub fn decompress(
    raw: Box<dyn Read + Send>,
    kind: Compression,
    compressed: Arc<AtomicU64>,
) -> ChannelReader {
    let (tx, rx) = bounded::<io::Result<Vec<u8>>>(4);
    let thread = std::thread::spawn(move || {
        let counted = CountingReader::new(raw, compressed.clone());
        let mut decoder: Box<dyn Read> = match kind {
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(
                io::BufReader::with_capacity(1 << 20, counted),
            )),
            Compression::Zstd => match zstd::stream::read::Decoder::new(counted) {
                Ok(d) => Box::new(d),
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            },
            Compression::None => Box::new(counted),
        };
        loop {
            let mut block = vec![0u8; 1 << 20];
            let mut filled = 0;
            let res = loop {
                if filled == block.len() {
                    break Ok(());
                }
                match decoder.read(&mut block[filled..]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            block.truncate(filled);
            let done = filled == 0;
            if filled > 0 && tx.send(Ok(block)).is_err() {
                return;
            }
            if let Err(e) = res {
                let at = compressed.load(Ordering::Relaxed);
                let what = match kind {
                    Compression::Gzip => "gzip",
                    Compression::Zstd => "zstd",
                    Compression::None => "input",
                };
                let _ = tx.send(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("corrupt {what} data near compressed byte {at}: {e}"),
                )));
                return;
            }
            if done {
                return;
            }
        }
    });
    ChannelReader {
        rx,
        current: Vec::new(),
        at: 0,
        _thread: Some(thread),
    }
}

/// Decompresses a zstd file made of independent frames (as dumpmask and
/// pzstd write them) on `threads` threads, frames in order. `None` when the
/// file is a single frame (nothing to share out) or its first frame does
/// not record its size; the caller then streams it on one thread. Frames
/// without a recorded size, or over 64 MiB, are streamed in turn.
pub fn decompress_zstd_frames(
    data: crate::io::SharedBytes,
    threads: usize,
    compressed: Arc<AtomicU64>,
) -> Option<ChannelReader> {
    use zstd::zstd_safe::{find_frame_compressed_size, get_frame_content_size};
    const MAX_FRAME: u64 = 64 << 20;
    {
        let b: &[u8] = (*data).as_ref();
        let first = find_frame_compressed_size(b).ok()?;
        if first >= b.len() || !matches!(get_frame_content_size(b), Ok(Some(n)) if n <= MAX_FRAME) {
            return None;
        }
    }
    let threads = threads.max(1);
    let (tx, rx) = bounded::<io::Result<Vec<u8>>>(threads * 2);
    let thread = std::thread::spawn(move || {
        let b: &[u8] = (*data).as_ref();
        let corrupt = |at: usize| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("corrupt zstd data near compressed byte {at}"),
            )
        };
        let frames_data = data.clone();
        let (mut frames, decoded, workers) = ordered(
            threads,
            threads * 2,
            || (),
            move |_, (start, end, size): (usize, usize, usize)| {
                let b: &[u8] = (*frames_data).as_ref();
                zstd::bulk::decompress(&b[start..end], size).map_err(|_| start)
            },
        );
        // The orderer: frames back in sequence to the reader; the first
        // corrupt frame in input order ends the stream.
        let tx2 = tx.clone();
        let orderer = std::thread::spawn(move || {
            for r in decoded {
                let failed = r.is_err();
                if tx2.send(r.map_err(corrupt)).is_err() || failed {
                    return;
                }
            }
        });
        let mut pos = 0;
        while pos < b.len() {
            let rest = &b[pos..];
            let (Ok(n), Ok(Some(size))) = (
                find_frame_compressed_size(rest),
                get_frame_content_size(rest),
            ) else {
                break; // streamed below, after the frames before it
            };
            if size > MAX_FRAME || frames.submit((pos, pos + n, size as usize)).is_err() {
                break;
            }
            compressed.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            pos += n;
        }
        drop(frames);
        let _ = orderer.join();
        workers.join();
        let stream_rest = pos;
        // What is left (a frame without a recorded size, a huge one, or
        // corrupt data) is streamed on this thread, after every frame
        // before it has gone out.
        let rest_from = stream_rest;
        if rest_from < b.len() {
            let counted = CountingReader::new(&b[rest_from..], compressed.clone());
            let mut d = match zstd::stream::read::Decoder::new(counted) {
                Ok(d) => d,
                Err(_) => {
                    let _ = tx.send(Err(corrupt(rest_from)));
                    return;
                }
            };
            loop {
                let mut block = vec![0u8; 1 << 20];
                match d.read(&mut block) {
                    Ok(0) => return,
                    Ok(k) => {
                        block.truncate(k);
                        if tx.send(Ok(block)).is_err() {
                            return;
                        }
                    }
                    Err(_) => {
                        let _ = tx.send(Err(corrupt(rest_from)));
                        return;
                    }
                }
            }
        }
    });
    Some(ChannelReader {
        rx,
        current: Vec::new(),
        at: 0,
        _thread: Some(thread),
    })
}

/// How output is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codec {
    /// The format.
    pub kind: Compression,
    /// The level (zstd 1..=19, gzip 1..=9).
    pub level: i32,
}

impl Codec {
    /// The format's usual default level (zstd 3, gzip 6).
    pub fn with_default_level(kind: Compression) -> Codec {
        let level = match kind {
            Compression::Gzip => 6,
            _ => 3,
        };
        Codec { kind, level }
    }

    fn compress(&self, block: &[u8]) -> io::Result<Vec<u8>> {
        match self.kind {
            Compression::None => Ok(block.to_vec()),
            Compression::Zstd => {
                let mut c = zstd::bulk::Compressor::new(self.level)?;
                // The size lets a reader decompress frames in parallel; the
                // checksum lets it notice corruption.
                c.include_contentsize(true)?;
                c.include_checksum(true)?;
                c.compress(block)
            }
            Compression::Gzip => {
                let level = flate2::Compression::new(self.level.clamp(0, 9) as u32);
                let mut e =
                    flate2::write::GzEncoder::new(Vec::with_capacity(block.len() / 3), level);
                e.write_all(block)?;
                e.finish()
            }
        }
    }
}

/// A writer that compresses blocks in parallel and writes the frames in
/// order to `W`.
pub struct ParallelCompressor<W: Write + Send + 'static> {
    block: Vec<u8>,
    block_size: usize,
    blocks: Option<Submitter<Vec<u8>>>,
    workers: Option<Workers>,
    writer: Option<JoinHandle<io::Result<(W, u64)>>>,
}

impl<W: Write + Send + 'static> ParallelCompressor<W> {
    /// Compresses with `codec` on `threads` threads, in blocks of
    /// `block_size` bytes.
    pub fn new(out: W, codec: Codec, threads: usize, block_size: usize) -> Self {
        let threads = threads.max(1);
        let (blocks, frames, workers) = ordered(
            threads,
            threads * 2,
            || (),
            move |_, block: Vec<u8>| codec.compress(&block),
        );
        let writer = std::thread::spawn(move || {
            let mut out = out;
            let mut written = 0u64;
            for frame in frames {
                let f = frame?;
                out.write_all(&f)?;
                written += f.len() as u64;
            }
            out.flush()?;
            Ok((out, written))
        });
        ParallelCompressor {
            block: Vec::with_capacity(block_size),
            block_size,
            blocks: Some(blocks),
            workers: Some(workers),
            writer: Some(writer),
        }
    }

    fn send_block(&mut self) -> io::Result<()> {
        let block = std::mem::replace(&mut self.block, Vec::with_capacity(self.block_size));
        let blocks = self
            .blocks
            .as_mut()
            .ok_or_else(|| io::Error::other("compressor finished"))?;
        if blocks.submit(block).is_err() {
            // The writer stopped: its error says why.
            return Err(self
                .stop()
                .err()
                .unwrap_or_else(|| io::Error::other("compressed output stopped")));
        }
        Ok(())
    }

    fn stop(&mut self) -> io::Result<(W, u64)> {
        self.blocks = None;
        let workers_ok = self.workers.take().is_none_or(Workers::join);
        let written = match self.writer.take() {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("compressor thread panicked"))),
            None => Err(io::Error::other("compressor already finished")),
        };
        if !workers_ok {
            return Err(io::Error::other("a compressor thread panicked"));
        }
        written
    }

    /// Compresses what is left, waits for every frame to be written, and
    /// returns the sink and the compressed bytes written.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        if !self.block.is_empty() {
            self.send_block()?;
        }
        self.stop()
    }
}

impl<W: Write + Send + 'static> Write for ParallelCompressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let room = self.block_size - self.block.len();
            let n = room.min(buf.len());
            self.block.extend_from_slice(&buf[..n]);
            buf = &buf[n..];
            if self.block.len() == self.block_size {
                self.send_block()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write + Send + 'static> Drop for ParallelCompressor<W> {
    fn drop(&mut self) {
        self.blocks = None;
        if let Some(w) = self.workers.take() {
            w.join();
        }
        if let Some(h) = self.writer.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(kind: Compression, threads: usize, block: usize) {
        let data: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut c =
            ParallelCompressor::new(Vec::new(), Codec::with_default_level(kind), threads, block);
        for piece in data.chunks(777) {
            c.write_all(piece).unwrap();
        }
        let (out, n) = c.finish().unwrap();
        assert_eq!(n as usize, out.len());
        let raw: Box<dyn Read + Send> = Box::new(io::Cursor::new(out));
        let mut back = Vec::new();
        decompress(raw, kind, Arc::new(AtomicU64::new(0)))
            .read_to_end(&mut back)
            .unwrap();
        assert!(back == data);
    }

    #[test]
    fn zstd_frames_round_trip() {
        round_trip(Compression::Zstd, 3, 10_000);
    }

    #[test]
    fn gzip_members_round_trip() {
        round_trip(Compression::Gzip, 2, 64_000);
    }

    #[test]
    fn corrupt_input_is_invalid_data() {
        let mut bad = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        bad.extend_from_slice(&[0xff; 64]);
        let raw: Box<dyn Read + Send> = Box::new(io::Cursor::new(bad));
        let mut out = Vec::new();
        let e = decompress(raw, Compression::Gzip, Arc::new(AtomicU64::new(0)))
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn sniff_and_extension() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"-- MySQL dump"), Compression::None);
        assert_eq!(
            Compression::from_extension(std::path::Path::new("a.sql.zst")),
            Compression::Zstd
        );
        assert_eq!(
            Compression::from_extension(std::path::Path::new("a.sql.gz")),
            Compression::Gzip
        );
    }
}
