//! Format-preserving encryption: a keyed bijection on the integers
//! `[0, m)`, and on strings whose characters each come from a fixed set
//! (digits stay digits, letters stay letters in their case).
//!
//! The permutation is a balanced Feistel network on the smallest even
//! number of bits that holds `m`, with HMAC-SHA256 as the round function
//! (10 rounds, as FF1), and cycle walking to stay inside `[0, m)`: apply
//! the network until the value falls below `m` again. Every step is
//! invertible, so distinct inputs give distinct outputs: this is what
//! `unique = true` rests on, with no table of values seen.
//!
//! Values longer than what 120 bits hold are cut into blocks, each
//! encrypted with a tweak that includes the previous block's ciphertext,
//! which keeps the whole map injective.

use super::transform::Prf;

/// Feistel rounds.
const ROUNDS: u8 = 10;

/// A keyed permutation of `[0, m)` for a given tweak.
pub struct Permutation<'a> {
    prf: &'a Prf,
    tweak: &'a [u8],
    m: u128,
    half_bits: u32,
}

impl<'a> Permutation<'a> {
    /// The permutation of `[0, m)` under `prf` and `tweak`; `m` at most
    /// 2^126.
    pub fn new(prf: &'a Prf, tweak: &'a [u8], m: u128) -> Permutation<'a> {
        let bits = (128 - (m.max(2) - 1).leading_zeros()).max(2);
        let bits = bits + bits % 2;
        Permutation {
            prf,
            tweak,
            m,
            half_bits: bits / 2,
        }
    }

    fn round(&self, r: u8, x: u128) -> u128 {
        let mut msg = [0u8; 17];
        msg[0] = r;
        msg[1..].copy_from_slice(&x.to_le_bytes());
        let d = self.prf.derive(self.tweak, &msg, 0xfe);
        u128::from_le_bytes(d[..16].try_into().unwrap_or([0; 16]))
    }

    fn feistel(&self, x: u128) -> u128 {
        let mask = (1u128 << self.half_bits) - 1;
        let (mut l, mut r) = (x >> self.half_bits, x & mask);
        for i in 0..ROUNDS {
            let f = self.round(i, r) & mask;
            (l, r) = (r, l ^ f);
        }
        (l << self.half_bits) | r
    }

    /// The image of `x` (`x < m`).
    pub fn apply(&self, x: u128) -> u128 {
        if self.m <= 1 {
            return x;
        }
        let mut y = self.feistel(x);
        // Cycle walking: the network permutes [0, 2^bits); walking the
        // cycle of x until it re-enters [0, m) permutes [0, m).
        while y >= self.m {
            y = self.feistel(y);
        }
        y
    }
}

/// Characters a masked position draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `0-9`
    Digit,
    /// `a-z`
    Lower,
    /// `A-Z`
    Upper,
}

impl Class {
    /// The class of an ASCII byte, if it is masked.
    pub fn of(b: u8, letters: bool) -> Option<Class> {
        match b {
            b'0'..=b'9' => Some(Class::Digit),
            b'a'..=b'z' if letters => Some(Class::Lower),
            b'A'..=b'Z' if letters => Some(Class::Upper),
            _ => None,
        }
    }

    fn radix(self) -> u128 {
        match self {
            Class::Digit => 10,
            _ => 26,
        }
    }

    fn base(self) -> u8 {
        match self {
            Class::Digit => b'0',
            Class::Lower => b'a',
            Class::Upper => b'A',
        }
    }
}

/// Encrypts, in place, the bytes of `v` at `positions` (each with its
/// class), as one mixed-radix number, cut into blocks of at most 2^120.
/// `tweak` separates domains; the format (classes) is part of the tweak.
pub fn encrypt_positions(prf: &Prf, tweak: &[u8], v: &mut [u8], positions: &[(usize, Class)]) {
    let mut prev: Vec<u8> = tweak.to_vec();
    prev.push(0);
    // The format is public (it is kept); binding it to the key stream
    // keeps formats from sharing one permutation.
    prev.extend(positions.iter().map(|(_, c)| *c as u8));
    let mut start = 0;
    while start < positions.len() {
        let mut m: u128 = 1;
        let mut end = start;
        while end < positions.len() && m.saturating_mul(positions[end].1.radix()) <= (1u128 << 120)
        {
            m *= positions[end].1.radix();
            end += 1;
        }
        let block = &positions[start..end];
        let digits: Vec<u128> = block
            .iter()
            .map(|&(p, c)| (v[p] - c.base()) as u128)
            .collect();
        let radices: Vec<u128> = block.iter().map(|(_, c)| c.radix()).collect();
        let out = permute_digits(prf, &prev, &digits, &radices);
        for (&(p, c), d) in block.iter().zip(&out) {
            v[p] = c.base() + *d as u8;
        }
        // Chain: the next block's tweak holds this block's ciphertext.
        let mut y: u128 = 0;
        for (d, r) in out.iter().zip(&radices) {
            y = y * r + d;
        }
        prev.extend_from_slice(&y.to_le_bytes());
        start = end;
    }
}

/// The number a list of mixed-radix digits spells, most significant first.
fn number(digits: &[u128], radices: &[u128]) -> u128 {
    digits
        .iter()
        .zip(radices)
        .fold(0, |acc, (d, r)| acc * r + d)
}

fn spell(mut x: u128, radices: &[u128]) -> Vec<u128> {
    let mut out = vec![0; radices.len()];
    for (o, r) in out.iter_mut().zip(radices).rev() {
        *o = x % r;
        x /= r;
    }
    out
}

/// Permutes mixed-radix digits. Two or more digits: a Feistel network over
/// the two halves' ranges with addition modulo each range (as FF1 does),
/// so no cycle walking is needed; one digit: the binary network with cycle
/// walking over its radix.
fn permute_digits(prf: &Prf, tweak: &[u8], digits: &[u128], radices: &[u128]) -> Vec<u128> {
    if digits.len() < 2 {
        let m: u128 = radices.iter().product();
        let y = Permutation::new(prf, tweak, m).apply(number(digits, radices));
        return spell(y, radices);
    }
    let mid = digits.len() / 2;
    let (ra, rb) = radices.split_at(mid);
    let (ma, mb): (u128, u128) = (ra.iter().product(), rb.iter().product());
    let (mut a, mut b) = (number(&digits[..mid], ra), number(&digits[mid..], rb));
    for i in 0..FEISTEL_ROUNDS {
        let mut msg = [0u8; 17];
        msg[0] = i;
        if i % 2 == 0 {
            msg[1..].copy_from_slice(&b.to_le_bytes());
            a = (a + prf_u128(prf, tweak, &msg) % ma) % ma;
        } else {
            msg[1..].copy_from_slice(&a.to_le_bytes());
            b = (b + prf_u128(prf, tweak, &msg) % mb) % mb;
        }
    }
    let mut out = spell(a, ra);
    out.extend(spell(b, rb));
    out
}

/// Rounds of the mixed-radix network (FF3-1 uses 8; FF1 10).
const FEISTEL_ROUNDS: u8 = 10;

fn prf_u128(prf: &Prf, tweak: &[u8], msg: &[u8]) -> u128 {
    let d = prf.derive(tweak, msg, 0xfd);
    u128::from_le_bytes(d[..16].try_into().unwrap_or([0; 16]))
}

/// Masks `v`: every ASCII digit (and, with `letters`, every ASCII
/// letter) is replaced, keeping its class; everything else stays. A
/// bijection on values of the same format.
pub fn mask(prf: &Prf, tweak: &[u8], v: &[u8], letters: bool, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(v);
    let positions: Vec<(usize, Class)> = v
        .iter()
        .enumerate()
        .filter_map(|(i, &b)| Class::of(b, letters).map(|c| (start + i, c)))
        .collect();
    encrypt_positions(prf, tweak, out, &positions);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn permutation_is_a_bijection_on_small_domains() {
        let prf = Prf::new(b"k");
        for m in [1u128, 2, 3, 10, 97, 1000, 4096] {
            let p = Permutation::new(&prf, b"t", m);
            let image: HashSet<u128> = (0..m).map(|x| p.apply(x)).collect();
            assert_eq!(image.len() as u128, m);
            assert!(image.iter().all(|y| *y < m));
        }
    }

    #[test]
    fn permutation_depends_on_key_and_tweak() {
        let (a, b) = (Prf::new(b"k1"), Prf::new(b"k2"));
        let m = 1u128 << 40;
        let x = 123_456_789;
        let pa = Permutation::new(&a, b"t", m).apply(x);
        assert_ne!(pa, Permutation::new(&b, b"t", m).apply(x));
        assert_ne!(pa, Permutation::new(&a, b"u", m).apply(x));
    }

    #[test]
    fn mask_keeps_format() {
        let prf = Prf::new(b"k");
        let mut out = Vec::new();
        mask(&prf, b"mask", b"AB-123 cd/9", true, &mut out);
        assert_eq!(out.len(), 11);
        assert!(out[0].is_ascii_uppercase() && out[1].is_ascii_uppercase());
        assert_eq!(out[2], b'-');
        assert!(out[3..6].iter().all(u8::is_ascii_digit));
        assert_eq!(out[6], b' ');
        assert!(out[7].is_ascii_lowercase() && out[8].is_ascii_lowercase());
        assert_eq!(out[9], b'/');
        assert!(out[10].is_ascii_digit());
    }

    #[test]
    fn long_values_chain_blocks() {
        let prf = Prf::new(b"k");
        let a: Vec<u8> = b"1".repeat(80);
        let mut b = a.clone();
        b[79] = b'2';
        let (mut x, mut y) = (Vec::new(), Vec::new());
        mask(&prf, b"t", &a, true, &mut x);
        mask(&prf, b"t", &b, true, &mut y);
        assert_ne!(x, y);
        // The first block is the same (it saw the same digits), the rest
        // differs only where the input did: the output is still unique.
        assert_eq!(x.len(), 80);
    }

    #[test]
    fn distinct_eleven_digit_ids_never_collide() {
        let prf = Prf::new(b"k");
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for i in 0..20_000u64 {
            out.clear();
            mask(
                &prf,
                b"id",
                format!("{:011}", 19_800_000_000u64 + i * 7919).as_bytes(),
                false,
                &mut out,
            );
            assert!(seen.insert(out.clone()), "collision");
        }
    }
}
