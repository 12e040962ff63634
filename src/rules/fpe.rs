//! Format-preserving encryption: a keyed bijection on the integers
//! `[0, m)`, and on strings whose letters and digits each come from a
//! fixed class (digits stay digits of their script, letters stay letters
//! of their script and case: ASCII, Latin, Greek, Cyrillic, Armenian,
//! Georgian, Hebrew, Arabic, CJK ideographs, kana, Hangul, full-width
//! forms and every decimal digit set of the BMP; the table is below).
//! A class never mixes UTF-8 lengths, so a masked value keeps both its
//! character count and its byte length.
//!
//! A letter or digit that no class covers, or a value that is not UTF-8,
//! is refused with a [`Refusal`]: writing it back unchanged would leave
//! personal data in a value the report counts as masked.
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

/// What kind of character a class holds: it decides what `phone` (digits
/// only) masks, and what the table checks in the tests hold each class to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Digits and other numbers (`phone` masks them).
    Numeric,
    /// Uppercase letters.
    Upper,
    /// Lowercase letters.
    Lower,
    /// Letters of a script without case.
    Letter,
    /// Combining vowel points that Unicode counts as alphabetic (Hebrew
    /// niqqud, Arabic harakat): they carry the vowels of a name, so they
    /// are masked too, each to another point of its script.
    Mark,
}

/// Code points `first`, `first + step`, ..., `last`: case pairs alternate,
/// so a step of 2 keeps the Latin and Cyrillic tables short.
#[derive(Debug, Clone, Copy)]
struct Run {
    first: u32,
    last: u32,
    step: u32,
}

const fn run(first: u32, last: u32, step: u32) -> Run {
    Run { first, last, step }
}

const fn one(cp: u32) -> Run {
    Run {
        first: cp,
        last: cp,
        step: 1,
    }
}

/// The characters of one class, in the order their digit values count.
#[derive(Debug)]
struct Alphabet {
    /// For test messages.
    #[cfg_attr(not(test), allow(dead_code))]
    name: &'static str,
    kind: Kind,
    /// Sorted, disjoint.
    runs: &'static [Run],
    /// How many characters: the radix of a masked position.
    radix: u32,
    /// UTF-8 length of every character: a class never mixes lengths, so a
    /// masked value keeps its byte length as well as its character count
    /// (VARCHAR limits in characters and in bytes both hold) and can be
    /// rewritten in place.
    width: usize,
    /// Smallest and largest code point, to skip classes quickly.
    lo: u32,
    hi: u32,
}

impl Alphabet {
    const fn new(name: &'static str, kind: Kind, runs: &'static [Run]) -> Alphabet {
        let mut radix = 0;
        let mut i = 0;
        while i < runs.len() {
            radix += (runs[i].last - runs[i].first) / runs[i].step + 1;
            i += 1;
        }
        let lo = runs[0].first;
        let width = if lo < 0x80 {
            1
        } else if lo < 0x800 {
            2
        } else if lo < 0x10000 {
            3
        } else {
            4
        };
        Alphabet {
            name,
            kind,
            runs,
            radix,
            width,
            lo,
            hi: runs[runs.len() - 1].last,
        }
    }

    /// A set of ten decimal digits, zero first (every Unicode decimal
    /// digit set is ten consecutive code points).
    const fn digits(name: &'static str, runs: &'static [Run]) -> Alphabet {
        Alphabet::new(name, Kind::Numeric, runs)
    }

    /// The digit value of code point `cp`, if the class holds it.
    fn index(&self, cp: u32) -> Option<u32> {
        if cp < self.lo || cp > self.hi {
            return None;
        }
        let mut before = 0;
        for r in self.runs {
            if cp < r.first {
                return None;
            }
            if cp <= r.last {
                let off = cp - r.first;
                return off.is_multiple_of(r.step).then_some(before + off / r.step);
            }
            before += (r.last - r.first) / r.step + 1;
        }
        None
    }

    /// The code point of digit value `d` (`d < radix`).
    fn nth(&self, mut d: u32) -> Option<u32> {
        for r in self.runs {
            let n = (r.last - r.first) / r.step + 1;
            if d < n {
                return Some(r.first + d * r.step);
            }
            d -= n;
        }
        None
    }
}

/// Every class, indexed by [`Class`]. The index is bound into the tweak,
/// so entries are only ever appended: reordering or editing a class
/// would change the pseudonyms of every value that holds it. The first three are the ASCII classes that were all there
/// was before Unicode support, with the same indexes, so ASCII values
/// mask exactly as they did.
///
/// The tables are fixed here, not computed from the Rust standard
/// library's Unicode data at run time, so a newer toolchain (a newer
/// Unicode version) never changes a pseudonym. Letter classes split by
/// case where the script has case; every character is assigned since
/// Unicode 11 or earlier. What no class covers and counts as a letter or
/// digit (Thai, Devanagari and other Brahmic letters, ideographs beyond
/// the BMP, titlecase digraphs, presentation forms, ...) is refused.
static ALPHABETS: [Alphabet; 77] = [
    Alphabet::digits("ASCII_DIGIT", &[run(0x30, 0x39, 1)]),
    Alphabet::new("ASCII_LOWER", Kind::Lower, &[run(0x61, 0x7A, 1)]),
    Alphabet::new("ASCII_UPPER", Kind::Upper, &[run(0x41, 0x5A, 1)]),
    // ¹ ² ³ and ¼ ½ ¾: "m²" and "1½" are common enough in addresses that
    // refusing them would stop runs for nothing.
    Alphabet::new(
        "LATIN1_SUPERSCRIPT",
        Kind::Numeric,
        &[run(0xB2, 0xB3, 1), one(0xB9)],
    ),
    Alphabet::new("LATIN1_FRACTION", Kind::Numeric, &[run(0xBC, 0xBE, 1)]),
    // Latin-1 Supplement and Latin Extended-A; ª µ º are lowercase in
    // Unicode and go with the lowercase letters.
    Alphabet::new(
        "LATIN_UPPER",
        Kind::Upper,
        &[
            run(0xC0, 0xD6, 1),
            run(0xD8, 0xDE, 1),
            run(0x100, 0x136, 2),
            run(0x139, 0x147, 2),
            run(0x14A, 0x178, 2),
            run(0x179, 0x17D, 2),
        ],
    ),
    Alphabet::new(
        "LATIN_LOWER",
        Kind::Lower,
        &[
            one(0xAA),
            one(0xB5),
            one(0xBA),
            run(0xDF, 0xF6, 1),
            run(0xF8, 0xFF, 1),
            run(0x101, 0x137, 2),
            run(0x138, 0x148, 2),
            run(0x149, 0x177, 2),
            run(0x17A, 0x17E, 2),
            one(0x17F),
        ],
    ),
    // Latin Extended-B (Romanian ș ț, Vietnamese ơ ư, African letters),
    // apart from Extended-A so that é stays among the common accents.
    Alphabet::new(
        "LATIN_B_UPPER",
        Kind::Upper,
        &[
            run(0x181, 0x182, 1),
            run(0x184, 0x186, 2),
            run(0x187, 0x189, 2),
            run(0x18A, 0x18B, 1),
            run(0x18E, 0x191, 1),
            run(0x193, 0x194, 1),
            run(0x196, 0x198, 1),
            run(0x19C, 0x19D, 1),
            run(0x19F, 0x1A0, 1),
            run(0x1A2, 0x1A6, 2),
            run(0x1A7, 0x1A9, 2),
            run(0x1AC, 0x1AE, 2),
            run(0x1AF, 0x1B1, 2),
            run(0x1B2, 0x1B3, 1),
            run(0x1B5, 0x1B7, 2),
            one(0x1B8),
            one(0x1BC),
            one(0x1C4),
            one(0x1C7),
            one(0x1CA),
            run(0x1CD, 0x1DB, 2),
            run(0x1DE, 0x1EE, 2),
            one(0x1F1),
            run(0x1F4, 0x1F6, 2),
            run(0x1F7, 0x1F8, 1),
            run(0x1FA, 0x232, 2),
            run(0x23A, 0x23B, 1),
            run(0x23D, 0x23E, 1),
            run(0x241, 0x243, 2),
            run(0x244, 0x246, 1),
            run(0x248, 0x24E, 2),
        ],
    ),
    Alphabet::new(
        "LATIN_B_LOWER",
        Kind::Lower,
        &[
            one(0x180),
            run(0x183, 0x185, 2),
            one(0x188),
            run(0x18C, 0x18D, 1),
            one(0x192),
            one(0x195),
            run(0x199, 0x19B, 1),
            one(0x19E),
            run(0x1A1, 0x1A5, 2),
            run(0x1A8, 0x1AA, 2),
            run(0x1AB, 0x1AD, 2),
            one(0x1B0),
            run(0x1B4, 0x1B6, 2),
            run(0x1B9, 0x1BA, 1),
            run(0x1BD, 0x1BF, 1),
            one(0x1C6),
            one(0x1C9),
            run(0x1CC, 0x1DC, 2),
            run(0x1DD, 0x1EF, 2),
            one(0x1F0),
            run(0x1F3, 0x1F5, 2),
            run(0x1F9, 0x233, 2),
            run(0x234, 0x239, 1),
            one(0x23C),
            run(0x23F, 0x240, 1),
            one(0x242),
            run(0x247, 0x24F, 2),
        ],
    ),
    // Latin Extended Additional: Vietnamese (Nguyễn), Welsh ẁ ỳ.
    Alphabet::new(
        "LATIN_ADDITIONAL_UPPER",
        Kind::Upper,
        &[run(0x1E00, 0x1E94, 2), run(0x1E9E, 0x1EFE, 2)],
    ),
    Alphabet::new(
        "LATIN_ADDITIONAL_LOWER",
        Kind::Lower,
        &[
            run(0x1E01, 0x1E95, 2),
            run(0x1E96, 0x1E9D, 1),
            run(0x1E9F, 0x1EFF, 2),
        ],
    ),
    // Greek: the modern alphabet with its accented letters, apart from
    // the archaic, Coptic-in-Greek and symbol letters, so that a Greek
    // name stays in the letters Greek is written with. The unassigned
    // U+03A2 is skipped; final sigma ς (U+03C2) is an ordinary lowercase
    // letter here, so a masked word may hold it mid-word or end in σ (a
    // clean bijection beats a pretty one).
    Alphabet::new(
        "GREEK_UPPER",
        Kind::Upper,
        &[
            one(0x386),
            run(0x388, 0x38A, 1),
            one(0x38C),
            run(0x38E, 0x38F, 1),
            run(0x391, 0x3A1, 1),
            run(0x3A3, 0x3AB, 1),
        ],
    ),
    Alphabet::new(
        "GREEK_LOWER",
        Kind::Lower,
        &[one(0x390), run(0x3AC, 0x3CE, 1)],
    ),
    Alphabet::new(
        "GREEK_EXT_UPPER",
        Kind::Upper,
        &[
            run(0x370, 0x372, 2),
            one(0x376),
            one(0x37F),
            one(0x3CF),
            run(0x3D2, 0x3D4, 1),
            run(0x3D8, 0x3EE, 2),
            one(0x3F4),
            run(0x3F7, 0x3F9, 2),
            one(0x3FA),
            run(0x3FD, 0x3FF, 1),
        ],
    ),
    Alphabet::new(
        "GREEK_EXT_LOWER",
        Kind::Lower,
        &[
            run(0x371, 0x373, 2),
            one(0x377),
            run(0x37B, 0x37D, 1),
            run(0x3D0, 0x3D1, 1),
            run(0x3D5, 0x3D7, 1),
            run(0x3D9, 0x3EF, 2),
            run(0x3F0, 0x3F3, 1),
            one(0x3F5),
            one(0x3F8),
            run(0x3FB, 0x3FC, 1),
        ],
    ),
    // Cyrillic in three tiers, so that a Russian name stays Russian: the
    // Russian alphabet (with Ё/ё), the other letters of the basic block
    // that Ukrainian, Belarusian, Serbian and Macedonian use (with Ґ/ґ),
    // and the rest of Cyrillic and Cyrillic Supplement (historic letters,
    // Kazakh, Tatar, Bashkir, ...).
    Alphabet::new(
        "CYRILLIC_UPPER",
        Kind::Upper,
        &[one(0x401), run(0x410, 0x42F, 1)],
    ),
    Alphabet::new(
        "CYRILLIC_LOWER",
        Kind::Lower,
        &[run(0x430, 0x44F, 1), one(0x451)],
    ),
    Alphabet::new(
        "CYRILLIC_NATIONAL_UPPER",
        Kind::Upper,
        &[one(0x400), run(0x402, 0x40F, 1), one(0x490)],
    ),
    Alphabet::new(
        "CYRILLIC_NATIONAL_LOWER",
        Kind::Lower,
        &[one(0x450), run(0x452, 0x45F, 1), one(0x491)],
    ),
    Alphabet::new(
        "CYRILLIC_EXT_UPPER",
        Kind::Upper,
        &[
            run(0x460, 0x480, 2),
            run(0x48A, 0x48E, 2),
            run(0x492, 0x4C0, 2),
            run(0x4C1, 0x4CD, 2),
            run(0x4D0, 0x52E, 2),
        ],
    ),
    Alphabet::new(
        "CYRILLIC_EXT_LOWER",
        Kind::Lower,
        &[
            run(0x461, 0x481, 2),
            run(0x48B, 0x48F, 2),
            run(0x493, 0x4BF, 2),
            run(0x4C2, 0x4CE, 2),
            run(0x4CF, 0x52F, 2),
        ],
    ),
    Alphabet::new("ARMENIAN_UPPER", Kind::Upper, &[run(0x531, 0x556, 1)]),
    Alphabet::new("ARMENIAN_LOWER", Kind::Lower, &[run(0x560, 0x588, 1)]),
    // Georgian: Mkhedruli (everyday text), Mtavruli (its capitals), and
    // the historic Asomtavruli on their own.
    Alphabet::new(
        "GEORGIAN_LOWER",
        Kind::Lower,
        &[run(0x10D0, 0x10FA, 1), run(0x10FD, 0x10FF, 1)],
    ),
    Alphabet::new(
        "GEORGIAN_UPPER",
        Kind::Upper,
        &[run(0x1C90, 0x1CBA, 1), run(0x1CBD, 0x1CBF, 1)],
    ),
    Alphabet::new(
        "GEORGIAN_ASOMTAVRULI",
        Kind::Upper,
        &[run(0x10A0, 0x10C5, 1), one(0x10C7), one(0x10CD)],
    ),
    // Hebrew: letters with their final forms, and the points.
    Alphabet::new(
        "HEBREW_LETTER",
        Kind::Letter,
        &[run(0x5D0, 0x5EA, 1), run(0x5EF, 0x5F2, 1)],
    ),
    Alphabet::new(
        "HEBREW_POINT",
        Kind::Mark,
        &[
            run(0x5B0, 0x5BD, 1),
            one(0x5BF),
            run(0x5C1, 0x5C2, 1),
            run(0x5C4, 0x5C5, 1),
            one(0x5C7),
        ],
    ),
    // Arabic: the letters of Arabic itself, the letters Persian, Urdu
    // and other languages add (with Arabic Supplement and the tatweel),
    // and the harakat.
    Alphabet::new(
        "ARABIC_LETTER",
        Kind::Letter,
        &[run(0x621, 0x63A, 1), run(0x641, 0x64A, 1)],
    ),
    Alphabet::new(
        "ARABIC_EXT_LETTER",
        Kind::Letter,
        &[
            one(0x620),
            run(0x63B, 0x640, 1),
            run(0x66E, 0x66F, 1),
            run(0x671, 0x6D3, 1),
            one(0x6D5),
            run(0x6E5, 0x6E6, 1),
            run(0x6EE, 0x6EF, 1),
            run(0x6FA, 0x6FC, 1),
            one(0x6FF),
            run(0x750, 0x77F, 1),
        ],
    ),
    Alphabet::new(
        "ARABIC_MARK",
        Kind::Mark,
        &[
            run(0x610, 0x61A, 1),
            run(0x64B, 0x657, 1),
            run(0x659, 0x65F, 1),
            one(0x670),
            run(0x6D6, 0x6DC, 1),
            run(0x6E1, 0x6E4, 1),
            run(0x6E7, 0x6E8, 1),
            one(0x6ED),
        ],
    ),
    // CJK Unified Ideographs with 々 〆 〇 (佐々木), and Extension A on
    // its own so that common ideographs stay common.
    Alphabet::new(
        "HAN",
        Kind::Letter,
        &[run(0x3005, 0x3007, 1), run(0x4E00, 0x9FFF, 1)],
    ),
    Alphabet::new("HAN_EXT_A", Kind::Letter, &[run(0x3400, 0x4DBF, 1)]),
    // Kana with their iteration and prolonged-sound marks.
    Alphabet::new(
        "HIRAGANA",
        Kind::Letter,
        &[run(0x3041, 0x3096, 1), run(0x309D, 0x309F, 1)],
    ),
    Alphabet::new(
        "KATAKANA",
        Kind::Letter,
        &[
            run(0x30A1, 0x30FA, 1),
            run(0x30FC, 0x30FF, 1),
            run(0x31F0, 0x31FF, 1),
        ],
    ),
    Alphabet::new(
        "HALFWIDTH_KATAKANA",
        Kind::Letter,
        &[run(0xFF66, 0xFF9F, 1)],
    ),
    Alphabet::new("HANGUL", Kind::Letter, &[run(0xAC00, 0xD7A3, 1)]),
    Alphabet::new("HANGUL_JAMO", Kind::Letter, &[run(0x1100, 0x11FF, 1)]),
    Alphabet::new(
        "HANGUL_COMPAT_JAMO",
        Kind::Letter,
        &[run(0x3131, 0x318E, 1)],
    ),
    Alphabet::new("FULLWIDTH_UPPER", Kind::Upper, &[run(0xFF21, 0xFF3A, 1)]),
    Alphabet::new("FULLWIDTH_LOWER", Kind::Lower, &[run(0xFF41, 0xFF5A, 1)]),
    // Every decimal digit set of the Basic Multilingual Plane.
    Alphabet::digits("ARABIC_INDIC_DIGIT", &[run(0x660, 0x669, 1)]),
    Alphabet::digits("EXTENDED_ARABIC_INDIC_DIGIT", &[run(0x6F0, 0x6F9, 1)]),
    Alphabet::digits("NKO_DIGIT", &[run(0x7C0, 0x7C9, 1)]),
    Alphabet::digits("DEVANAGARI_DIGIT", &[run(0x966, 0x96F, 1)]),
    Alphabet::digits("BENGALI_DIGIT", &[run(0x9E6, 0x9EF, 1)]),
    Alphabet::digits("GURMUKHI_DIGIT", &[run(0xA66, 0xA6F, 1)]),
    Alphabet::digits("GUJARATI_DIGIT", &[run(0xAE6, 0xAEF, 1)]),
    Alphabet::digits("ORIYA_DIGIT", &[run(0xB66, 0xB6F, 1)]),
    Alphabet::digits("TAMIL_DIGIT", &[run(0xBE6, 0xBEF, 1)]),
    Alphabet::digits("TELUGU_DIGIT", &[run(0xC66, 0xC6F, 1)]),
    Alphabet::digits("KANNADA_DIGIT", &[run(0xCE6, 0xCEF, 1)]),
    Alphabet::digits("MALAYALAM_DIGIT", &[run(0xD66, 0xD6F, 1)]),
    Alphabet::digits("SINHALA_LITH_DIGIT", &[run(0xDE6, 0xDEF, 1)]),
    Alphabet::digits("THAI_DIGIT", &[run(0xE50, 0xE59, 1)]),
    Alphabet::digits("LAO_DIGIT", &[run(0xED0, 0xED9, 1)]),
    Alphabet::digits("TIBETAN_DIGIT", &[run(0xF20, 0xF29, 1)]),
    Alphabet::digits("MYANMAR_DIGIT", &[run(0x1040, 0x1049, 1)]),
    Alphabet::digits("MYANMAR_SHAN_DIGIT", &[run(0x1090, 0x1099, 1)]),
    Alphabet::digits("KHMER_DIGIT", &[run(0x17E0, 0x17E9, 1)]),
    Alphabet::digits("MONGOLIAN_DIGIT", &[run(0x1810, 0x1819, 1)]),
    Alphabet::digits("LIMBU_DIGIT", &[run(0x1946, 0x194F, 1)]),
    Alphabet::digits("NEW_TAI_LUE_DIGIT", &[run(0x19D0, 0x19D9, 1)]),
    Alphabet::digits("TAI_THAM_HORA_DIGIT", &[run(0x1A80, 0x1A89, 1)]),
    Alphabet::digits("TAI_THAM_THAM_DIGIT", &[run(0x1A90, 0x1A99, 1)]),
    Alphabet::digits("BALINESE_DIGIT", &[run(0x1B50, 0x1B59, 1)]),
    Alphabet::digits("SUNDANESE_DIGIT", &[run(0x1BB0, 0x1BB9, 1)]),
    Alphabet::digits("LEPCHA_DIGIT", &[run(0x1C40, 0x1C49, 1)]),
    Alphabet::digits("OL_CHIKI_DIGIT", &[run(0x1C50, 0x1C59, 1)]),
    Alphabet::digits("VAI_DIGIT", &[run(0xA620, 0xA629, 1)]),
    Alphabet::digits("SAURASHTRA_DIGIT", &[run(0xA8D0, 0xA8D9, 1)]),
    Alphabet::digits("KAYAH_LI_DIGIT", &[run(0xA900, 0xA909, 1)]),
    Alphabet::digits("JAVANESE_DIGIT", &[run(0xA9D0, 0xA9D9, 1)]),
    Alphabet::digits("MYANMAR_TAI_LAING_DIGIT", &[run(0xA9F0, 0xA9F9, 1)]),
    Alphabet::digits("CHAM_DIGIT", &[run(0xAA50, 0xAA59, 1)]),
    Alphabet::digits("MEETEI_MAYEK_DIGIT", &[run(0xABF0, 0xABF9, 1)]),
    Alphabet::digits("FULLWIDTH_DIGIT", &[run(0xFF10, 0xFF19, 1)]),
];

/// Characters a masked position draws from: one script's letters of one
/// case, or one set of digits (an index into the class table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class(u8);

impl Class {
    /// ASCII `0-9`.
    pub const DIGIT: Class = Class(0);
    /// ASCII `a-z`.
    pub const LOWER: Class = Class(1);
    /// ASCII `A-Z`.
    pub const UPPER: Class = Class(2);

    /// The class of an ASCII byte, if it is masked.
    fn of_ascii(b: u8, letters: bool) -> Option<Class> {
        match b {
            b'0'..=b'9' => Some(Class::DIGIT),
            b'a'..=b'z' if letters => Some(Class::LOWER),
            b'A'..=b'Z' if letters => Some(Class::UPPER),
            _ => None,
        }
    }

    /// The class of a non-ASCII character, if one holds it. A scan of the
    /// table: non-ASCII characters are the rare case, and the HMAC rounds
    /// of the mask cost far more than this.
    fn of_char(c: char) -> Option<Class> {
        let cp = c as u32;
        ALPHABETS
            .iter()
            .position(|a| a.index(cp).is_some())
            .map(|i| Class(i as u8))
    }

    fn alphabet(self) -> &'static Alphabet {
        // A Class is only ever made from an index of the table.
        &ALPHABETS[self.0 as usize]
    }

    fn radix(self) -> u128 {
        self.alphabet().radix as u128
    }

    fn is_numeric(self) -> bool {
        self.alphabet().kind == Kind::Numeric
    }

    /// The digit value of the character of this class at byte `p` of `v`.
    fn digit_at(self, v: &[u8], p: usize) -> Option<u128> {
        let a = self.alphabet();
        let bytes = v.get(p..p + a.width)?;
        let cp = match bytes {
            [b] => *b as u32,
            _ => std::str::from_utf8(bytes).ok()?.chars().next()? as u32,
        };
        a.index(cp).map(u128::from)
    }

    /// Writes the character of digit value `d` over the one at byte `p`
    /// of `v` (the same UTF-8 length: a class never mixes lengths).
    fn put(self, v: &mut [u8], p: usize, d: u128) -> Option<()> {
        let a = self.alphabet();
        let c = char::from_u32(a.nth(u32::try_from(d).ok()?)?)?;
        let slot = v.get_mut(p..p + a.width)?;
        if c.len_utf8() != slot.len() {
            return None;
        }
        c.encode_utf8(slot);
        Some(())
    }
}

/// Why a value cannot be masked. Carries a position inside the value,
/// never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The value is not UTF-8 from this byte on (latin1 text, binary).
    NotUtf8 {
        /// Byte offset in the value.
        byte: usize,
    },
    /// A letter or digit of a script no class covers, at this byte.
    Unsupported {
        /// Byte offset in the value.
        byte: usize,
    },
}

impl Refusal {
    /// What to tell the user, for transformer `name`.
    pub fn message(self, name: &str) -> String {
        match self {
            Refusal::NotUtf8 { byte } => format!(
                "`{name}` cannot transform a value that is not UTF-8 text (invalid byte at offset {byte} of the value); it never passes one through"
            ),
            Refusal::Unsupported { byte } => format!(
                "`{name}` cannot transform a letter or digit of this script (character at byte {byte} of the value); it never passes one through: use hash or a fake-name transformer for this column"
            ),
        }
    }
}

/// Encrypts, in place, the characters of `v` at byte offsets `positions`
/// (each with its class), as one mixed-radix number, cut into blocks of at
/// most 2^120. `tweak` separates domains; the format (classes) is part of
/// the tweak. A position that does not hold a character of its class is
/// refused, and `v` is then left partly written.
pub fn encrypt_positions(
    prf: &Prf,
    tweak: &[u8],
    v: &mut [u8],
    positions: &[(usize, Class)],
) -> Result<(), Refusal> {
    let mut prev: Vec<u8> = tweak.to_vec();
    prev.push(0);
    // The format is public (it is kept); binding it to the key stream
    // keeps formats from sharing one permutation.
    prev.extend(positions.iter().map(|(_, c)| c.0));
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
        let digits = block
            .iter()
            .map(|&(p, c)| c.digit_at(v, p).ok_or(Refusal::Unsupported { byte: p }))
            .collect::<Result<Vec<u128>, Refusal>>()?;
        let radices: Vec<u128> = block.iter().map(|(_, c)| c.radix()).collect();
        let out = permute_digits(prf, &prev, &digits, &radices);
        for (&(p, c), d) in block.iter().zip(&out) {
            c.put(v, p, *d).ok_or(Refusal::Unsupported { byte: p })?;
        }
        // Chain: the next block's tweak holds this block's ciphertext.
        let mut y: u128 = 0;
        for (d, r) in out.iter().zip(&radices) {
            y = y * r + d;
        }
        prev.extend_from_slice(&y.to_le_bytes());
        start = end;
    }
    Ok(())
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

/// The positions `mask` encrypts in `v`, with their classes: digits of
/// every supported script, and with `letters` every letter (and vowel
/// point) of one. Anything else stays as format. A letter or digit no
/// class covers, or bytes that are not UTF-8, refuse the value: passing it
/// through would leave personal data in a value counted as masked.
/// Without `letters` (`phone`) only numbers refuse; letters of any script
/// stay, as ASCII ones do.
fn masked_positions(v: &[u8], letters: bool) -> Result<Vec<(usize, Class)>, Refusal> {
    if v.is_ascii() {
        return Ok(v
            .iter()
            .enumerate()
            .filter_map(|(i, &b)| Class::of_ascii(b, letters).map(|c| (i, c)))
            .collect());
    }
    let s = std::str::from_utf8(v).map_err(|e| Refusal::NotUtf8 {
        byte: e.valid_up_to(),
    })?;
    let mut out = Vec::new();
    for (i, c) in s.char_indices() {
        if c.is_ascii() {
            if let Some(class) = Class::of_ascii(c as u8, letters) {
                out.push((i, class));
            }
            continue;
        }
        match Class::of_char(c) {
            Some(class) if letters || class.is_numeric() => out.push((i, class)),
            Some(_) => {}
            None if c.is_numeric() || (letters && c.is_alphanumeric()) => {
                return Err(Refusal::Unsupported { byte: i });
            }
            None => {}
        }
    }
    Ok(out)
}

/// Masks `v` into `out`: every digit (and, with `letters`, every letter)
/// is replaced by one of its class (script and case), everything else
/// stays, and so do the character count and the byte length. A bijection
/// on values of the same format. On a refusal nothing is appended.
pub fn mask(
    prf: &Prf,
    tweak: &[u8],
    v: &[u8],
    letters: bool,
    out: &mut Vec<u8>,
) -> Result<(), Refusal> {
    let positions = masked_positions(v, letters)?;
    let start = out.len();
    out.extend_from_slice(v);
    let done = encrypt_positions(prf, tweak, &mut out[start..], &positions);
    if done.is_err() {
        // Never leave the original behind in the caller's buffer.
        out.truncate(start);
    }
    done
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
        mask(&prf, b"mask", b"AB-123 cd/9", true, &mut out).unwrap();
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
        mask(&prf, b"t", &a, true, &mut x).unwrap();
        mask(&prf, b"t", &b, true, &mut y).unwrap();
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
            )
            .unwrap();
            assert!(seen.insert(out.clone()), "collision");
        }
    }

    /// Outputs of the code before Unicode support (commit 33b43c6), for
    /// pure-ASCII values: they must never change.
    #[test]
    fn ascii_output_is_unchanged_from_before_unicode() {
        let prf = Prf::new(b"regression-key");
        for (v, letters, want) in [
            ("AB-123 cd/9", true, "SP-468 mk/0"),
            ("Alice.Smith@example.com", true, "Nkxiz.Avsvq@xislrqg.mln"),
            ("+1 (555) 010-6000", false, "+1 (712) 186-5680"),
            ("+1 (555) 010-6000", true, "+1 (712) 186-5680"),
            ("x", true, "r"),
            ("7", false, "9"),
            ("zz", true, "qc"),
            ("", true, ""),
            (
                "123456789012345678901234567890123456789012345678901234567890",
                false,
                "847031432288291278916047908444968777190228093492466670435484",
            ),
            (
                "TheQuickBrownFoxJumpsOverTheLazyDog0123456789",
                true,
                "DueTumakGezpiSjoFtrjbInhxQcdVcmnJhg7883062116",
            ),
        ] {
            let mut out = Vec::new();
            mask(&prf, b"mask", v.as_bytes(), letters, &mut out).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "input {v:?}");
        }
    }

    fn class_of(c: char) -> Option<Class> {
        if c.is_ascii() {
            Class::of_ascii(c as u8, true)
        } else {
            Class::of_char(c)
        }
    }

    fn masked(v: &str, letters: bool) -> String {
        let mut out = Vec::new();
        mask(&Prf::new(b"k"), b"mask", v.as_bytes(), letters, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Every class: a sample value changes, every character stays in its
    /// class (or, outside any class, stays as it is), and the character
    /// count and byte length stay.
    #[test]
    fn every_script_stays_in_its_class() {
        for v in [
            "Иванов Сергей",
            "Ёжиков ёлка Їжак ґанок",
            "山田太郎",
            "佐々木 〇",
            "㐀㐁",
            "やまだ たろう",
            "ヤマダ・タロー",
            "ﾔﾏﾀﾞ",
            "김민준",
            "ㄱㄴㄷ ᄀᄁ",
            "Αλέξανδρος Παπαδόπουλος",
            "ΣΊΣΥΦΟΣ ς",
            "François Müller-Łukasz Øre ß",
            "Nguyễn Thị Ơ ư ș Ț",
            "1º andar, 5 m², 1½",
            "Հայաստան Երևան",
            "საქართველო ᲡᲐᲥᲐᲠᲗᲕᲔᲚᲝ Ⴀ",
            "דוד כהן שָׁלוֹם",
            "محمد علي مُحَمَّد پژوهش",
            "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ ०१२३४५६७८९ ๐๑๒",
            "０１２３ ＡＢＣ ａｂｃ",
        ] {
            let out = masked(v, true);
            assert_ne!(out, v);
            assert_eq!(out.len(), v.len(), "byte length of {v}");
            assert_eq!(out.chars().count(), v.chars().count());
            for (a, b) in v.chars().zip(out.chars()) {
                match class_of(a) {
                    Some(c) => assert_eq!(class_of(b), Some(c), "{a} -> {b} in {v}"),
                    None => assert_eq!(a, b, "{v}"),
                }
            }
            assert_eq!(out, masked(v, true), "deterministic");
        }
    }

    #[test]
    fn phone_masks_digits_of_every_script_and_keeps_letters() {
        for v in [
            "+7 (495) 123-45-67 доб. 12",
            "٠١٢٣٤٥٦٧٨٩",
            "۰۹۱۲ ۳۴۵ ۶۷۸۹",
            "०९८७६५४३२१",
            "０３－１２３４－５６７８",
            "๐๘๑ ๒๓๔ ๕๖๗๘",
        ] {
            let out = masked(v, false);
            assert_ne!(out, v);
            assert_eq!(out.len(), v.len());
            for (a, b) in v.chars().zip(out.chars()) {
                if a.is_numeric() {
                    assert_eq!(class_of(b), class_of(a), "{a} -> {b}");
                } else {
                    assert_eq!(a, b, "only digits change in {v}");
                }
            }
        }
    }

    #[test]
    fn every_two_letter_cyrillic_word_maps_to_a_distinct_one() {
        // All lowercase Cyrillic, across its three classes.
        let letters: Vec<char> = [
            "CYRILLIC_LOWER",
            "CYRILLIC_NATIONAL_LOWER",
            "CYRILLIC_EXT_LOWER",
        ]
        .iter()
        .flat_map(|name| {
            let a = ALPHABETS.iter().find(|a| a.name == *name).unwrap();
            (0..a.radix).map(|d| char::from_u32(a.nth(d).unwrap()).unwrap())
        })
        .collect();
        assert_eq!(letters.len(), 148);
        let prf = Prf::new(b"k");
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for x in &letters {
            for y in &letters {
                out.clear();
                let v = format!("{x}{y}");
                mask(&prf, b"t", v.as_bytes(), true, &mut out).unwrap();
                assert!(seen.insert(out.clone()), "collision");
            }
        }
        assert_eq!(seen.len(), letters.len() * letters.len());
    }

    #[test]
    fn every_letter_of_a_small_class_maps_to_a_distinct_one() {
        let prf = Prf::new(b"k");
        for a in ALPHABETS.iter().filter(|a| a.radix <= 300) {
            let mut seen = HashSet::new();
            for d in 0..a.radix {
                let c = char::from_u32(a.nth(d).unwrap()).unwrap();
                let mut out = Vec::new();
                mask(&prf, b"t", c.to_string().as_bytes(), true, &mut out).unwrap();
                assert!(seen.insert(out), "collision in {}", a.name);
            }
        }
    }

    /// The tables: each class is what its kind says, of one UTF-8 length,
    /// counts its radix, numbers its characters both ways, and no
    /// character is in two classes (the class of a character must not
    /// depend on the order of the lookup).
    #[test]
    fn class_tables_are_consistent() {
        let mut owner = std::collections::HashMap::new();
        for (i, a) in ALPHABETS.iter().enumerate() {
            assert!(a.radix >= 2, "{}", a.name);
            for r in a.runs {
                assert!(r.first <= r.last && r.step >= 1, "{}", a.name);
            }
            for w in a.runs.windows(2) {
                assert!(w[0].last < w[1].first, "{} runs unsorted", a.name);
            }
            let mut n = 0;
            for d in 0..a.radix {
                let cp = a.nth(d).unwrap();
                let c = char::from_u32(cp).unwrap();
                assert_eq!(a.index(cp), Some(d), "{} {c}", a.name);
                assert_eq!(c.len_utf8(), a.width, "{} {c}", a.name);
                let ok = match a.kind {
                    Kind::Numeric => c.is_numeric(),
                    Kind::Upper => c.is_uppercase(),
                    Kind::Lower => c.is_lowercase(),
                    Kind::Letter | Kind::Mark => c.is_alphabetic(),
                };
                assert!(ok, "{} holds {c} (U+{cp:04X})", a.name);
                assert_eq!(owner.insert(cp, i), None, "U+{cp:04X} in two classes");
                assert_eq!(class_of(c), Some(Class(i as u8)));
                n += 1;
            }
            assert_eq!(n, a.radix);
            assert_eq!(a.nth(a.radix), None);
        }
        assert_eq!(Class::DIGIT.alphabet().name, "ASCII_DIGIT");
        assert_eq!(Class::LOWER.alphabet().name, "ASCII_LOWER");
        assert_eq!(Class::UPPER.alphabet().name, "ASCII_UPPER");
        // Decimal digit sets count from zero.
        for a in ALPHABETS.iter().filter(|a| a.name.ends_with("_DIGIT")) {
            let zero = char::from_u32(a.nth(0).unwrap()).unwrap();
            assert_eq!(a.radix, 10, "{}", a.name);
            assert!(zero.is_numeric());
        }
        assert!(u8::try_from(ALPHABETS.len()).is_ok());
    }

    #[test]
    fn unsupported_letters_and_digits_are_refused() {
        let prf = Prf::new(b"k");
        for (v, letters, want) in [
            (&b"Jos\xe9"[..], true, Refusal::NotUtf8 { byte: 3 }),
            (&b"\xe9"[..], false, Refusal::NotUtf8 { byte: 0 }),
            ("สมชาย".as_bytes(), true, Refusal::Unsupported { byte: 0 }),
            ("Ram राम".as_bytes(), true, Refusal::Unsupported { byte: 4 }),
            ("ǅemal".as_bytes(), true, Refusal::Unsupported { byte: 0 }),
            ("𠮷野家".as_bytes(), true, Refusal::Unsupported { byte: 0 }),
            ("Ⅻ".as_bytes(), true, Refusal::Unsupported { byte: 0 }),
            (
                "tel ① 123".as_bytes(),
                false,
                Refusal::Unsupported { byte: 4 },
            ),
        ] {
            let mut out = b"kept".to_vec();
            assert_eq!(mask(&prf, b"t", v, letters, &mut out), Err(want), "{v:?}");
            assert_eq!(out, b"kept", "nothing appended on a refusal");
            let msg = want.message("mask");
            assert!(!msg.contains(&*String::from_utf8_lossy(v)), "{msg}");
        }
        // `phone` keeps letters of any script, as it keeps ASCII ones.
        assert_eq!(masked("สมชาย", false), "สมชาย");
        // Nothing to mask is no refusal: punctuation and spaces stay.
        assert_eq!(masked("-- · —", true), "-- · —");
    }

    #[test]
    fn mixed_scripts_keep_ascii_positions_in_ascii() {
        let out = masked("Ivan Иван 42 ٤٢", true);
        let classes: Vec<Option<Class>> = out.chars().map(class_of).collect();
        let want: Vec<Option<Class>> = "Ivan Иван 42 ٤٢".chars().map(class_of).collect();
        assert_eq!(classes, want);
    }
}
