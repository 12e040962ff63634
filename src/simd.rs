//! Byte classification 64 bytes at a time, for the scans that cross most
//! of a dump's bytes: string ends and the ends of MySQL INSERT statements.
//!
//! A [`Block`] is 64 input bytes; [`Block::eq`] gives a mask whose bit `i`
//! says whether byte `i` is the given byte. On x86_64 that is four SSE2
//! compares and movemasks; elsewhere a plain loop (same answers, slower).
//! [`escaped`] and [`prefix_xor`] turn backslash and quote masks into
//! "which bytes are escaped" and "which bytes are inside a string", so a
//! whole block is decided with a few integer operations instead of one
//! branch per byte.

/// Bytes per block.
pub const WIDTH: usize = 64;

/// Bits at even positions.
const EVEN: u64 = 0x5555_5555_5555_5555;

/// One block of input, loaded for comparisons.
#[derive(Clone, Copy)]
pub struct Block(imp::Lanes);

impl Block {
    /// Loads the 64 bytes at `at`; past the end of `src` the block reads
    /// zero bytes, which no scan looks for.
    #[inline(always)]
    pub fn load(src: &[u8], at: usize) -> Block {
        match src
            .get(at..at + WIDTH)
            .and_then(|s| <&[u8; WIDTH]>::try_from(s).ok())
        {
            Some(s) => Block(imp::load(s)),
            None => {
                let mut pad = [0u8; WIDTH];
                let rest = src.get(at..).unwrap_or_default();
                pad[..rest.len()].copy_from_slice(rest);
                Block(imp::load(&pad))
            }
        }
    }

    /// Bit `i` set where byte `i` is `b`.
    #[inline(always)]
    pub fn eq(&self, b: u8) -> u64 {
        imp::eq(&self.0, b)
    }
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

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod imp {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set1_epi8, _mm_set_epi64x,
    };

    pub type Lanes = [__m128i; 4];

    #[inline(always)]
    pub fn load(b: &[u8; super::WIDTH]) -> Lanes {
        // SAFETY: SSE2 is part of the x86_64 baseline (this module is only
        // compiled when the target has it), so the feature the function
        // is compiled for is present on every CPU this binary runs on.
        // This and `eq` are the only `unsafe` outside the mmap: the
        // standard library's SIMD intrinsics can only be reached this way.
        unsafe { sse2::load(b) }
    }

    #[inline(always)]
    pub fn eq(l: &Lanes, b: u8) -> u64 {
        // SAFETY: as in `load`: SSE2 is always present on x86_64.
        unsafe { sse2::eq(l, b) }
    }

    mod sse2 {
        use super::*;

        #[inline]
        #[target_feature(enable = "sse2")]
        pub fn load(b: &[u8; 64]) -> Lanes {
            // Two little-endian words per lane: the compiler turns this
            // into one unaligned 16-byte load, without a raw pointer.
            let lane = |k: usize| {
                let word = |o: usize| {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(&b[o..o + 8]);
                    i64::from_le_bytes(w)
                };
                _mm_set_epi64x(word(16 * k + 8), word(16 * k))
            };
            [lane(0), lane(1), lane(2), lane(3)]
        }

        #[inline]
        #[target_feature(enable = "sse2")]
        pub fn eq(l: &Lanes, b: u8) -> u64 {
            let n = _mm_set1_epi8(b as i8);
            let m = |k: usize| _mm_movemask_epi8(_mm_cmpeq_epi8(l[k], n)) as u16 as u64;
            m(0) | m(1) << 16 | m(2) << 32 | m(3) << 48
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
mod imp {
    pub type Lanes = [u8; super::WIDTH];

    #[inline(always)]
    pub fn load(b: &[u8; super::WIDTH]) -> Lanes {
        *b
    }

    #[inline(always)]
    pub fn eq(l: &Lanes, b: u8) -> u64 {
        l.iter()
            .enumerate()
            .fold(0, |m, (i, &c)| m | ((c == b) as u64) << i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        fn eq_matches_a_byte_loop(src in proptest::collection::vec(any::<u8>(), 0..200), at in 0usize..200, b in 1u8..) {
            prop_assert_eq!(Block::load(&src, at).eq(b), eq_reference(&src, at, b));
        }

        #[test]
        fn escapes_match_a_byte_walk_across_blocks(
            src in proptest::collection::vec(prop_oneof![Just(b'\\'), Just(b'\\'), Just(b'x'), Just(b'\'')], 0..400)
        ) {
            let want = escaped_reference(&src);
            let mut carry = false;
            let mut at = 0;
            while at < src.len() {
                let m = escaped(Block::load(&src, at).eq(b'\\'), &mut carry);
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
