//! Transformers: what happens to one value of one column.
//!
//! A transformer sees the value decoded (string escapes removed, hex blobs
//! as bytes, numbers as their text) and writes the new value's bytes, also
//! decoded; the dialect encodes them for where they land. It knows nothing
//! about dump syntax, tables or the pipeline. New transformers implement
//! [`Transform`] and are registered in [`super::build_transform`].

use std::fmt;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a transformer did with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Leave the original bytes in place.
    Keep,
    /// Write SQL NULL.
    Null,
    /// Write the bytes the transformer appended to the output buffer.
    Value,
    /// Write the SQL keyword `DEFAULT`: the server computes the value.
    Default,
}

/// Why a value could not be transformed. Carries no data value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformError(pub String);

/// The original values of the row a value belongs to, for transformers
/// that read other columns (`template`).
pub trait Row {
    /// Column `col`'s decoded original value; `None` for NULL or absent.
    fn original(&self, col: usize) -> Option<&[u8]>;
}

/// No row: for transformers applied to a value alone.
pub struct NoRow;

impl Row for NoRow {
    fn original(&self, _: usize) -> Option<&[u8]> {
        None
    }
}

/// Rewrites one value of a column.
pub trait Transform: Send + Sync + fmt::Debug {
    /// `input` is the decoded value, `None` for NULL; `row` holds the
    /// row's other original values where the plan decoded them. New bytes
    /// are appended to `out` when the outcome is [`Outcome::Value`].
    fn apply(
        &self,
        input: Option<&[u8]>,
        row: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError>;

    /// The transformer's name in the rules language.
    fn name(&self) -> &'static str;

    /// The type the rules file gave the value this transformer writes,
    /// where it gives one (a `set` literal): formats that keep types
    /// (JSON records) write `true` as a boolean, not as `1`. `None`: the
    /// value takes the type of the one it replaces.
    fn literal_type(&self) -> Option<LiteralType> {
        None
    }

    /// For `json`: the paths it rewrites and each one's transformer, so a
    /// reader that holds the document's bytes (JSON records) can rewrite
    /// the leaves in place instead of writing the document again.
    fn json_paths(&self) -> Option<&[JsonPath]> {
        None
    }
}

/// A path inside a JSON document and the transformer of what it reaches.
pub type JsonPath = (Vec<super::library::PathStep>, Arc<dyn Transform>);

/// How a literal of the rules file is typed in TOML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralType {
    /// A string.
    String,
    /// An integer or a float.
    Number,
    /// `true` or `false` (its bytes are `1` or `0`, as SQL writes them).
    Boolean,
}

/// `keep`: the value is left as it is.
#[derive(Debug)]
pub struct Keep;

impl Transform for Keep {
    fn apply(
        &self,
        _: Option<&[u8]>,
        _: &dyn Row,
        _: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        Ok(Outcome::Keep)
    }
    fn name(&self) -> &'static str {
        "keep"
    }
}

/// `null`: every value becomes NULL.
#[derive(Debug)]
pub struct Null;

impl Transform for Null {
    fn apply(
        &self,
        _: Option<&[u8]>,
        _: &dyn Row,
        _: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        Ok(Outcome::Null)
    }
    fn name(&self) -> &'static str {
        "null"
    }
}

/// Values of generated columns that a dump carries anyway (mariadb-dump
/// writes them; the server ignores them on restore) are derived from other
/// columns, personal ones included, so in a ruled table they become
/// `DEFAULT` and the server recomputes them from the rewritten row.
#[derive(Debug)]
pub struct Generated;

impl Transform for Generated {
    fn apply(
        &self,
        _: Option<&[u8]>,
        _: &dyn Row,
        _: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        Ok(Outcome::Default)
    }
    fn name(&self) -> &'static str {
        "generated"
    }
}

/// `set` in a `when` block: the column gets the literal, whatever it held
/// (NULL included).
#[derive(Debug)]
pub struct SetLiteral {
    /// The literal's bytes.
    pub value: Vec<u8>,
    /// Its type in the rules file.
    pub ty: LiteralType,
}

impl Transform for SetLiteral {
    fn apply(
        &self,
        _: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        out.extend_from_slice(&self.value);
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "set"
    }
    fn literal_type(&self) -> Option<LiteralType> {
        Some(self.ty)
    }
}

/// `fixed`: every non-NULL value becomes the same literal. NULL stays NULL
/// (a NULL holds no personal data, and turning it into a value would change
/// what the row says).
#[derive(Debug)]
pub struct Fixed {
    /// The literal's bytes.
    pub value: Vec<u8>,
}

impl Transform for Fixed {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        if input.is_none() {
            return Ok(Outcome::Null);
        }
        out.extend_from_slice(&self.value);
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "fixed"
    }
}

/// The keyed pseudorandom function every pseudonym derives from:
/// HMAC-SHA256 keyed with the secret, over `domain || 0x00 || value`.
/// The same secret, domain and value give the same 32 bytes on every
/// machine, thread and run.
#[derive(Clone)]
pub struct Prf {
    keyed: Hmac<Sha256>,
}

impl fmt::Debug for Prf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never show key material.
        f.write_str("Prf(..)")
    }
}

impl Prf {
    /// Keys the PRF with the secret.
    pub fn new(secret: &[u8]) -> Prf {
        // HMAC accepts keys of any length.
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC-SHA256 takes keys of any length"));
        Prf { keyed }
    }

    /// 32 pseudorandom bytes for `value` in `domain`; `block` selects
    /// further independent blocks when one is not enough.
    pub fn derive(&self, domain: &[u8], value: &[u8], block: u8) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(domain);
        mac.update(&[0, block]);
        mac.update(value);
        mac.finalize().into_bytes().into()
    }
}

/// The characters a `hash` pseudonym is written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alphabet(Vec<u8>);

impl Alphabet {
    /// Reads a named alphabet (`hex`, `alnum`, `alpha`, `lower`, `upper`,
    /// `digits`) or a literal list of at least two distinct ASCII bytes.
    pub fn parse(s: &str) -> Result<Alphabet, String> {
        let named: Option<&[u8]> = match s {
            "hex" => Some(b"0123456789abcdef"),
            "alnum" => Some(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
            "alpha" => Some(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
            "lower" => Some(b"abcdefghijklmnopqrstuvwxyz"),
            "upper" => Some(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            "digits" => Some(b"0123456789"),
            _ => None,
        };
        let bytes = named
            .map(<[u8]>::to_vec)
            .unwrap_or_else(|| s.as_bytes().to_vec());
        let mut sorted = bytes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != bytes.len() || bytes.len() < 2 || !bytes.iter().all(u8::is_ascii) {
            return Err(format!(
                "alphabet must be hex, alnum, alpha, lower, upper, digits, or at least two distinct ASCII characters (got {} characters)",
                s.chars().count()
            ));
        }
        Ok(Alphabet(bytes))
    }

    /// Is every character an ASCII digit?
    pub fn is_digits(&self) -> bool {
        self.0.iter().all(u8::is_ascii_digit)
    }
}

/// `hash`: a keyed pseudonym of a fixed length over an alphabet.
#[derive(Debug)]
pub struct Hash {
    /// The keyed PRF.
    pub prf: Arc<Prf>,
    /// Domain separation: columns with the same domain share one mapping.
    pub domain: String,
    /// Output length in characters.
    pub length: usize,
    /// Output characters.
    pub alphabet: Alphabet,
}

impl Hash {
    /// Characters drawn from one 64-bit word without noticeable bias:
    /// the largest k with base^k <= 2^64 / 2^8, so each draw keeps 8 bits
    /// of slack. Looked up, not counted per value: alphabets are ASCII,
    /// so bases run from 2 to 128.
    fn chars_per_word(base: u64) -> usize {
        const fn count(base: u64) -> usize {
            let mut k = 0;
            let mut acc: u128 = 1;
            while acc * base as u128 <= (1u128 << 56) {
                acc *= base as u128;
                k += 1;
            }
            k
        }
        const TABLE: [u8; 129] = {
            let mut t = [0u8; 129];
            let mut b = 2;
            while b <= 128 {
                t[b] = count(b as u64) as u8;
                b += 1;
            }
            t
        };
        match TABLE.get(base as usize) {
            Some(&k) if base >= 2 => usize::from(k),
            _ => count(base),
        }
    }
}

impl Transform for Hash {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(value) = input else {
            return Ok(Outcome::Null);
        };
        let base = self.alphabet.0.len() as u64;
        let per_word = Self::chars_per_word(base);
        let mut written = 0;
        let mut block = 0u8;
        while written < self.length {
            let bytes = self.prf.derive(self.domain.as_bytes(), value, block);
            for word in bytes.chunks_exact(8) {
                let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
                let n = per_word.min(self.length - written);
                push_digits(w, n, &self.alphabet.0, out);
                written += n;
            }
            block = block.wrapping_add(1);
        }
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "hash"
    }
}

/// `n` digits of `w` in the alphabet's base, least significant first.
/// The named alphabets' bases are constants here, so the compiler divides
/// by multiplying: a hardware division per character cost as much as the
/// HMAC itself.
fn push_digits(w: u64, n: usize, alphabet: &[u8], out: &mut Vec<u8>) {
    fn run<const B: u64>(mut w: u64, n: usize, alphabet: &[u8], out: &mut Vec<u8>) {
        for _ in 0..n {
            out.push(alphabet[(w % B) as usize]);
            w /= B;
        }
    }
    match alphabet.len() {
        10 => run::<10>(w, n, alphabet, out),
        16 => run::<16>(w, n, alphabet, out),
        26 => run::<26>(w, n, alphabet, out),
        52 => run::<52>(w, n, alphabet, out),
        62 => run::<62>(w, n, alphabet, out),
        len => {
            let base = len as u64;
            let mut w = w;
            for _ in 0..n {
                out.push(alphabet[(w % base) as usize]);
                w /= base;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_in_a_constant_base_match_plain_division() {
        for name in ["digits", "hex", "lower", "alpha", "alnum", "abc"] {
            let alphabet = Alphabet::parse(name).unwrap().0;
            let base = alphabet.len() as u64;
            for w in [0, 1, 61, 62, 12345678901234567, u64::MAX, u64::MAX / 3] {
                let mut got = Vec::new();
                push_digits(w, 9, &alphabet, &mut got);
                let mut want = Vec::new();
                let mut x = w;
                for _ in 0..9 {
                    want.push(alphabet[(x % base) as usize]);
                    x /= base;
                }
                assert_eq!(got, want, "alphabet {name}, word {w}");
            }
        }
    }

    fn hash(len: usize, alphabet: &str, domain: &str, secret: &[u8]) -> Hash {
        Hash {
            prf: Arc::new(Prf::new(secret)),
            domain: domain.into(),
            length: len,
            alphabet: Alphabet::parse(alphabet).unwrap(),
        }
    }

    fn run(t: &dyn Transform, v: Option<&[u8]>) -> (Outcome, Vec<u8>) {
        let mut out = Vec::new();
        let o = t.apply(v, &NoRow, &mut out).unwrap();
        (o, out)
    }

    #[test]
    fn hash_is_deterministic_and_keyed() {
        let a = hash(12, "alnum", "hash", b"secret-one");
        let b = hash(12, "alnum", "hash", b"secret-two");
        let (_, x1) = run(&a, Some(b"alice"));
        let (_, x2) = run(&a, Some(b"alice"));
        let (_, y) = run(&b, Some(b"alice"));
        let (_, z) = run(&a, Some(b"bob"));
        assert_eq!(x1, x2);
        assert_ne!(x1, y);
        assert_ne!(x1, z);
        assert_eq!(x1.len(), 12);
        assert!(x1.iter().all(u8::is_ascii_alphanumeric));
    }

    #[test]
    fn hash_domains_separate_mappings() {
        let a = hash(16, "hex", "d1", b"k");
        let b = hash(16, "hex", "d2", b"k");
        assert_ne!(run(&a, Some(b"x")).1, run(&b, Some(b"x")).1);
    }

    #[test]
    fn hash_long_output_spans_blocks() {
        let a = hash(100, "digits", "hash", b"k");
        let (_, out) = run(&a, Some(b"x"));
        assert_eq!(out.len(), 100);
        assert!(out.iter().all(u8::is_ascii_digit));
        // Later blocks are not a repeat of the first.
        assert_ne!(&out[..16], &out[16..32]);
    }

    #[test]
    fn null_stays_null_under_fixed_and_hash() {
        let f = Fixed {
            value: b"REDACTED".to_vec(),
        };
        assert_eq!(run(&f, None).0, Outcome::Null);
        assert_eq!(run(&f, Some(b"x")), (Outcome::Value, b"REDACTED".to_vec()));
        assert_eq!(run(&hash(4, "hex", "h", b"k"), None).0, Outcome::Null);
    }

    #[test]
    fn alphabet_rejects_duplicates_and_singletons() {
        assert!(Alphabet::parse("aa").is_err());
        assert!(Alphabet::parse("a").is_err());
        assert!(Alphabet::parse("ab").is_ok());
        assert!(Alphabet::parse("digits").unwrap().is_digits());
    }
}
