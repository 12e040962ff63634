//! Byte classification 64 bytes at a time, for the scans that cross most
//! of a dump's bytes: string ends and the ends of MySQL INSERT statements.
//!
//! A block is 64 input bytes; [`Lanes::eq`] gives a mask whose bit `i`
//! says whether byte `i` is the given byte. [`escaped`] and [`prefix_xor`]
//! turn backslash and quote masks into "which bytes are escaped" and
//! "which bytes are inside a string", so a whole block is decided with a
//! few integer operations instead of one branch per byte.
//!
//! Scans are written once, generic over [`Lanes`], and run through
//! [`dispatch`], which picks the widest compare the CPU has: AVX-512BW
//! (one compare per mask), AVX2 (two), SSE2 (four, every x86_64 CPU), or a
//! plain loop elsewhere. Tests check every level's compare against a byte
//! loop, and run every scan at every level in one process
//! (`at_each_level`, test builds only) demanding the same answers.
//!
//! Departure from STYLE.md ("`unsafe` lives in one place, the mmap"): the
//! standard library's SIMD intrinsics can only be called in `unsafe` code.
//! It is kept to this module, and each block says why it holds.

/// Bytes per block.
pub const WIDTH: usize = 64;

/// Bits at even positions.
const EVEN: u64 = 0x5555_5555_5555_5555;

/// A block of 64 bytes, loaded for compares. Only [`dispatch`] picks the
/// type, so code generic over it runs where the CPU has the instructions.
pub trait Lanes: Copy + sealed::Sealed {
    /// Loads 64 bytes.
    fn load64(b: &[u8; WIDTH]) -> Self;

    /// Bit `i` set where byte `i` is `b`.
    fn eq(&self, b: u8) -> u64;

    /// Loads the 64 bytes at `at`; past the end of `src` the block reads
    /// zero bytes, which no scan looks for.
    #[inline(always)]
    fn load(src: &[u8], at: usize) -> Self {
        match src
            .get(at..at + WIDTH)
            .and_then(|s| <&[u8; WIDTH]>::try_from(s).ok())
        {
            Some(s) => Self::load64(s),
            None => {
                let mut pad = [0u8; WIDTH];
                let rest = src.get(at..).unwrap_or_default();
                pad[..rest.len()].copy_from_slice(rest);
                Self::load64(&pad)
            }
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A scan written once for every [`Lanes`].
pub trait Scan {
    /// What the scan finds.
    type Out;
    /// Runs the scan with blocks of `L`. Implementations are
    /// `#[inline(always)]`, so they compile into [`dispatch`]'s
    /// per-instruction-set copies.
    fn run<L: Lanes>(self) -> Self::Out;
}

/// Runs `scan` with the widest compares the CPU offers.
#[inline]
pub fn dispatch<S: Scan>(scan: S) -> S::Out {
    imp::dispatch(scan)
}

/// Which bytes are escaped by a backslash, given the block's backslash
/// mask: the byte after an odd run of backslashes (a run of `\\` pairs
/// escapes nothing). `carry` says that the block's first byte is escaped
/// (the previous block ended inside an odd run) and is updated for the
/// next block. Escaped backslashes are not reported, only the bytes
/// after a run.
#[inline(always)]
pub fn escaped(backslash: u64, carry: &mut bool) -> u64 {
    let first = *carry as u64;
    // An escaped first byte is not an escaper, even if it is a backslash.
    let b = backslash & !first;
    let starts = b & !(b << 1);
    // Adding a run's start bit to the run carries into the byte after it;
    // a run of odd length that starts on an even bit ends on an odd one.
    let even_ends = b.wrapping_add(starts & EVEN) & !b;
    let (odd_sum, overflow) = b.overflowing_add(starts & !EVEN);
    let odd_ends = odd_sum & !b;
    // A run starting on an odd bit that reaches bit 63 has odd length: it
    // escapes the next block's first byte. (One starting on an even bit
    // reaching the end has even length and escapes nothing.)
    *carry = overflow;
    (even_ends & !EVEN) | (odd_ends & EVEN) | (first & !backslash)
}

/// Bit `i` of the result is the XOR of bits `0..=i` of `x`: with `x` the
/// unescaped quotes, the bytes from an opening quote up to (not
/// including) its closing quote.
#[inline(always)]
pub fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Bits strictly below bit `n` (all bits for `n >= 64`).
#[inline(always)]
pub fn below(n: u32) -> u64 {
    if n >= 64 {
        !0
    } else {
        (1u64 << n) - 1
    }
}

/// A block compare at one instruction-set level, for tests.
#[cfg(test)]
type EqFn<'a> = &'a dyn Fn(&[u8], usize, u8) -> u64;

#[cfg(target_arch = "x86_64")]
mod imp {
    use std::arch::x86_64::{
        __m128i, __m256i, __m512i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_set1_epi8, _mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_set1_epi8,
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    use std::sync::atomic::{AtomicU8, Ordering};

    use super::{sealed::Sealed, Lanes, Scan, WIDTH};

    const SSE2: u8 = 1;
    const AVX2: u8 = 2;
    const AVX512: u8 = 3;

    /// The level in use, found once (0: not yet).
    static LEVEL: AtomicU8 = AtomicU8::new(0);

    /// The widest level the CPU has, or a narrower one named by
    /// `DUMPMASK_SIMD` (`sse2`, `avx2`): tests run the narrower paths on
    /// a wide CPU that way. It never raises the level past the CPU's.
    fn level() -> u8 {
        #[cfg(test)]
        if let Some(forced) = super::forced() {
            return forced;
        }
        let known = LEVEL.load(Ordering::Relaxed);
        if known != 0 {
            return known;
        }
        let best = if std::arch::is_x86_feature_detected!("avx512bw") {
            AVX512
        } else if std::arch::is_x86_feature_detected!("avx2") {
            AVX2
        } else {
            SSE2
        };
        let level = match std::env::var("DUMPMASK_SIMD").as_deref() {
            Ok("sse2") => SSE2,
            Ok("avx2") => best.min(AVX2),
            _ => best,
        };
        LEVEL.store(level, Ordering::Relaxed);
        level
    }

    pub fn dispatch<S: Scan>(scan: S) -> S::Out {
        #[target_feature(enable = "avx512bw")]
        fn avx512<S: Scan>(scan: S) -> S::Out {
            scan.run::<Avx512>()
        }
        #[target_feature(enable = "avx2")]
        fn avx2<S: Scan>(scan: S) -> S::Out {
            scan.run::<Avx2>()
        }
        match level() {
            // SAFETY: `level` says AVX512 only when the CPU has AVX-512BW.
            AVX512 => unsafe { avx512(scan) },
            // SAFETY: `level` says AVX2 only when the CPU has AVX2.
            AVX2 => unsafe { avx2(scan) },
            _ => scan.run::<Sse2>(),
        }
    }

    /// Four 16-byte lanes: SSE2, which every x86_64 CPU has.
    #[derive(Clone, Copy)]
    pub struct Sse2([__m128i; 4]);

    impl Sealed for Sse2 {}

    impl Lanes for Sse2 {
        #[inline(always)]
        fn load64(b: &[u8; WIDTH]) -> Sse2 {
            // SAFETY: SSE2 is part of the x86_64 baseline; each load reads
            // 16 bytes inside `b` (offsets 0, 16, 32, 48 of 64), unaligned
            // loads allowed.
            Sse2(std::array::from_fn(|k| unsafe {
                _mm_loadu_si128(b.as_ptr().add(16 * k).cast())
            }))
        }

        #[inline(always)]
        fn eq(&self, b: u8) -> u64 {
            // SAFETY: SSE2 is part of the x86_64 baseline.
            unsafe {
                let n = _mm_set1_epi8(b as i8);
                let m = |k: usize| _mm_movemask_epi8(_mm_cmpeq_epi8(self.0[k], n)) as u16 as u64;
                m(0) | m(1) << 16 | m(2) << 32 | m(3) << 48
            }
        }
    }

    /// Two 32-byte lanes.
    #[derive(Clone, Copy)]
    pub struct Avx2([__m256i; 2]);

    impl Sealed for Avx2 {}

    impl Lanes for Avx2 {
        #[inline(always)]
        fn load64(b: &[u8; WIDTH]) -> Avx2 {
            // SAFETY: only `dispatch` instantiates scans with `Avx2`, after
            // checking the CPU has AVX2; the loads read 32 bytes at
            // offsets 0 and 32 of 64, unaligned loads allowed.
            Avx2(std::array::from_fn(|k| unsafe {
                _mm256_loadu_si256(b.as_ptr().add(32 * k).cast())
            }))
        }

        #[inline(always)]
        fn eq(&self, b: u8) -> u64 {
            // SAFETY: as in `load64`, the CPU has AVX2.
            unsafe {
                let n = _mm256_set1_epi8(b as i8);
                let m =
                    |k: usize| _mm256_movemask_epi8(_mm256_cmpeq_epi8(self.0[k], n)) as u32 as u64;
                m(0) | m(1) << 32
            }
        }
    }

    /// One 64-byte lane; a compare gives the mask directly.
    #[derive(Clone, Copy)]
    pub struct Avx512(__m512i);

    impl Sealed for Avx512 {}

    impl Lanes for Avx512 {
        #[inline(always)]
        fn load64(b: &[u8; WIDTH]) -> Avx512 {
            // SAFETY: only `dispatch` instantiates scans with `Avx512`,
            // after checking the CPU has AVX-512BW; the load reads the 64
            // bytes of `b`, unaligned loads allowed.
            Avx512(unsafe { _mm512_loadu_si512(b.as_ptr().cast()) })
        }

        #[inline(always)]
        fn eq(&self, b: u8) -> u64 {
            // SAFETY: as in `load64`, the CPU has AVX-512BW.
            unsafe { _mm512_cmpeq_epi8_mask(self.0, _mm512_set1_epi8(b as i8)) }
        }
    }

    /// The levels this CPU has, narrowest first.
    #[cfg(test)]
    pub fn levels() -> Vec<(&'static str, u8)> {
        let mut v = vec![("sse2", SSE2)];
        if std::arch::is_x86_feature_detected!("avx2") {
            v.push(("avx2", AVX2));
        }
        if std::arch::is_x86_feature_detected!("avx512bw") {
            v.push(("avx512bw", AVX512));
        }
        v
    }

    #[cfg(test)]
    pub fn each_level(check: &mut dyn FnMut(&'static str, super::EqFn<'_>)) {
        struct Eq<'a>(&'a [u8], usize, u8);
        impl Scan for Eq<'_> {
            type Out = u64;
            #[inline(always)]
            fn run<L: Lanes>(self) -> u64 {
                L::load(self.0, self.1).eq(self.2)
            }
        }
        check("sse2", &|s, at, b| Eq(s, at, b).run::<Sse2>());
        if std::arch::is_x86_feature_detected!("avx2") {
            #[target_feature(enable = "avx2")]
            fn avx2(s: &[u8], at: usize, b: u8) -> u64 {
                Eq(s, at, b).run::<Avx2>()
            }
            // SAFETY: the CPU has AVX2 (just checked).
            check("avx2", &|s, at, b| unsafe { avx2(s, at, b) });
        }
        if std::arch::is_x86_feature_detected!("avx512bw") {
            #[target_feature(enable = "avx512bw")]
            fn avx512(s: &[u8], at: usize, b: u8) -> u64 {
                Eq(s, at, b).run::<Avx512>()
            }
            // SAFETY: the CPU has AVX-512BW (just checked).
            check("avx512bw", &|s, at, b| unsafe { avx512(s, at, b) });
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    use super::{sealed::Sealed, Lanes, Scan, WIDTH};

    pub fn dispatch<S: Scan>(scan: S) -> S::Out {
        scan.run::<Bytes>()
    }

    /// The bytes themselves, compared one at a time.
    #[derive(Clone, Copy)]
    pub struct Bytes([u8; WIDTH]);

    impl Sealed for Bytes {}

    impl Lanes for Bytes {
        #[inline(always)]
        fn load64(b: &[u8; WIDTH]) -> Bytes {
            Bytes(*b)
        }

        #[inline(always)]
        fn eq(&self, b: u8) -> u64 {
            self.0
                .iter()
                .enumerate()
                .fold(0, |m, (i, &c)| m | ((c == b) as u64) << i)
        }
    }

    #[cfg(test)]
    pub fn levels() -> Vec<(&'static str, u8)> {
        vec![("bytes", 0)]
    }

    #[cfg(test)]
    pub fn each_level(check: &mut dyn FnMut(&'static str, super::EqFn<'_>)) {
        check("bytes", &|s, at, b| Bytes::load(s, at).eq(b));
    }
}

#[cfg(test)]
thread_local! {
    /// A level forced on this thread by [`at_each_level`] (0: none).
    static FORCED: std::cell::Cell<u8> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
fn forced() -> Option<u8> {
    Some(FORCED.with(|f| f.get())).filter(|&l| l != 0)
}

/// Runs `f` once per level this CPU has, every [`dispatch`] on this thread
/// using that level, so that one test process checks every
/// implementation of a scan (as memchr tests its own). Only tests build
/// it: release code reads no thread-local on its scans.
#[cfg(test)]
pub(crate) fn at_each_level(mut f: impl FnMut(&'static str)) {
    for (name, level) in imp::levels() {
        FORCED.with(|c| c.set(level));
        f(name);
        FORCED.with(|c| c.set(0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Everything each scan reports on `src`, at the level in force.
    fn every_scan(src: &[u8]) -> String {
        let mut seen = String::new();
        for start in [0, 1, src.len() / 2]
            .into_iter()
            .filter(|&s| s <= src.len())
        {
            for quote in [b'\'', b'"'] {
                for backslash in [true, false] {
                    let end = crate::sql::string_end(src, start, quote, backslash);
                    seen += &format!("string_end {start} {quote} {backslash}: {end:?}\n");
                }
            }
            for cut in [0, src.len() / 3, src.len()] {
                let mut marks = Vec::new();
                let r = crate::format::mysql::scan_rows(src, start, cut, Some(&mut marks));
                seen += &format!("scan_rows {start} {cut}: {r:?} {marks:?}\n");
            }
            let mut commas = Vec::new();
            let r = crate::format::mysql::row_fields(src, start, src.len(), &mut commas);
            seen += &format!("row_fields {start}: {r:?} {commas:?}\n");
            let mut tabs = Vec::new();
            let mut lines = Vec::new();
            let r =
                crate::format::postgres::copy_lines(src, start, src.len(), &mut tabs, |l, t| {
                    lines.push((l.start, l.fields_end, l.end, t.to_vec()));
                    Ok(())
                });
            let r = r.map_err(|e| e.to_string());
            seen += &format!("copy_lines {start}: {r:?} {lines:?}\n");
        }
        seen
    }

    /// Bytes dense with what the scans look for, long enough to cross
    /// several blocks.
    fn scan_input() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            Just(b'\''),
            Just(b'"'),
            Just(b'\\'),
            Just(b'('),
            Just(b')'),
            Just(b','),
            Just(b';'),
            Just(b'\t'),
            Just(b'\n'),
            Just(b'\r'),
            Just(b'`'),
            Just(b'-'),
            Just(b'a'),
            any::<u8>(),
        ];
        proptest::collection::vec(byte, 0..400)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Every scan gives the same answer at every level this CPU has,
        /// in one process.
        #[test]
        fn every_scan_agrees_at_every_level(src in scan_input()) {
            let mut first: Option<(&str, String)> = None;
            let mut levels = 0;
            at_each_level(|level| {
                levels += 1;
                let got = every_scan(&src);
                match &first {
                    None => first = Some((level, got)),
                    Some((l0, want)) => assert_eq!(&got, want, "{level} against {l0}"),
                }
            });
            prop_assert!(levels >= 1);
        }
    }

    fn eq_reference(src: &[u8], at: usize, b: u8) -> u64 {
        (0..64).fold(0, |m, i| {
            m | ((src.get(at + i) == Some(&b) && b != 0) as u64) << i
        })
    }

    /// Escaped bytes by walking the bytes one at a time.
    fn escaped_reference(bytes: &[u8]) -> Vec<bool> {
        let mut out = vec![false; bytes.len()];
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\\' {
                if i + 1 < bytes.len() && bytes[i + 1] != b'\\' {
                    out[i + 1] = true;
                }
                i += 2;
            } else {
                i += 1;
            }
        }
        out
    }

    proptest! {
        #[test]
        fn every_level_compares_like_a_byte_loop(src in proptest::collection::vec(any::<u8>(), 0..200), at in 0usize..200, b in 1u8..) {
            let want = eq_reference(&src, at, b);
            let mut levels = Vec::new();
            imp::each_level(&mut |name, eq| levels.push((name, eq(&src, at, b))));
            prop_assert!(!levels.is_empty());
            for (name, got) in levels {
                prop_assert_eq!(got, want, "{}", name);
            }
        }

        #[test]
        fn escapes_match_a_byte_walk_across_blocks(
            src in proptest::collection::vec(prop_oneof![Just(b'\\'), Just(b'\\'), Just(b'x'), Just(b'\'')], 0..400)
        ) {
            let want = escaped_reference(&src);
            let mut carry = false;
            let mut at = 0;
            while at < src.len() {
                let mut backslash = 0;
                imp::each_level(&mut |_, eq| backslash = eq(&src, at, b'\\'));
                let m = escaped(backslash, &mut carry);
                for i in 0..WIDTH.min(src.len() - at) {
                    let is_escaped_non_backslash = want[at + i] && src[at + i] != b'\\';
                    prop_assert_eq!(m >> i & 1 == 1, is_escaped_non_backslash, "byte {}", at + i);
                }
                at += WIDTH;
            }
        }
    }

    #[test]
    fn prefix_xor_marks_string_interiors() {
        // quotes at 1 and 4: bytes 1..4 inside
        assert_eq!(prefix_xor(1 << 1 | 1 << 4), 0b01110);
        assert_eq!(below(3), 0b111);
        assert_eq!(below(64), !0);
    }

    #[test]
    fn a_run_reaching_the_block_end_carries_by_its_parity() {
        let mut carry = false;
        // one backslash at bit 63: the next block's first byte is escaped
        escaped(1 << 63, &mut carry);
        assert!(carry);
        assert_eq!(escaped(0, &mut carry), 1);
        assert!(!carry);
        // two backslashes at 62, 63: nothing escaped next
        escaped(3 << 62, &mut carry);
        assert!(!carry);
        // carried-in escape of a backslash at bit 0, then a lone one at 1
        let mut carry = true;
        assert_eq!(escaped(0b11, &mut carry), 1 << 2);
    }
}
