//! MySQL and MariaDB literals, as mysqldump and mariadb-dump write them.
//!
//! Strings follow MySQL's string literal rules: `'..'` or `".."`, a
//! doubled quote is a quote, and a backslash escapes the next byte
//! (`\0 \' \" \b \n \r \t \Z \\`; `\%` and `\_` keep their
//! backslash). Binary data may be raw bytes in a string, `0x..` (hex-blob),
//! `X'..'`, `_binary '..'` (MySQL 8), or `b'0101'` bits.

use crate::format::Literal;
use crate::simd::{self, below, escaped, prefix_xor, Lanes, Scan, WIDTH};
use crate::sql::{self, Lexical};

/// MySQL's lexical rules, as mysqldump writes them (no ANSI_QUOTES).
pub const LEXICAL: Lexical = Lexical {
    backslash_in_strings: true,
    ident_quote: b'`',
    double_quote_is_string: true,
    hash_comments: true,
    conditional_comments: true,
    dash_comment_needs_space: true,
    nested_comments: false,
    dollar_quotes: false,
    e_strings: false,
    fold_unquoted: false,
};

/// Given a row's `(`, the offset just past its `)`. Values are literals,
/// so the first `)` outside a string closes the row; anything else (a
/// function call) is caught by the worker's exact parse.
pub fn row_end(w: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    loop {
        let j = i + memchr::memchr3(b'\'', b'"', b')', &w[i..])?;
        if w[j] == b')' {
            return Some(j + 1);
        }
        i = sql::string_end(w, j + 1, w[j], true)? + 1;
    }
}

/// Where [`scan_rows`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowsScan {
    /// The statement's `;` is at `semicolon`; the last row before it ends
    /// at `rows_end` (the scan's start when no row ended on the way).
    End {
        /// Offset of the `;`.
        semicolon: usize,
        /// Offset just past the last row's `)`.
        rows_end: usize,
    },
    /// A row ends here, at or past where the caller wanted to cut.
    Cut(usize),
    /// Rows end at `rows_end` (the scan's start if none did); past it lies
    /// the end of the input or something only the exact scanner reads: a
    /// `".."` or `` `..` `` string, a comment, a backslash outside a
    /// string (`\N`).
    Stop {
        /// Offset just past the last row's `)` seen.
        rows_end: usize,
    },
}

/// Scans the rows of an INSERT from `from` (outside any string: a row's
/// `(` or just past a row's `)`) for the statement's `;`, or the first row
/// end at or past `cut_from`, 64 bytes at a time.
///
/// A row ends at a `)` outside strings, as in [`row_end`]. Only `'..'`
/// strings are followed here; anything else that changes how the bytes
/// after it read stops the scan, and the exact scanner takes over from
/// the last row end. A `;` inside a string never ends the statement: the
/// string interiors come from the unescaped quotes of each block (a
/// prefix XOR), not from a search that could be fooled by escapes.
///
/// With `marks`, also records where every `,` and `)` outside strings is,
/// up to where it stops (for [`RowsScan::End`], up to `rows_end`): bit `i`
/// of word `k` stands for offset `from + 64 * k + i`. The worker splits
/// the rows on them without a second scan.
pub fn scan_rows(w: &[u8], from: usize, cut_from: usize, marks: Option<&mut Vec<u64>>) -> RowsScan {
    struct ScanRows<'a, 'b>(&'a [u8], usize, usize, Option<&'b mut Vec<u64>>);
    impl Scan for ScanRows<'_, '_> {
        type Out = RowsScan;
        #[inline(always)]
        fn run<L: Lanes>(self) -> RowsScan {
            scan_rows_in::<L>(self.0, self.1, self.2, self.3)
        }
    }
    simd::dispatch(ScanRows(w, from, cut_from, marks))
}

#[inline(always)]
fn scan_rows_in<L: Lanes>(
    w: &[u8],
    from: usize,
    cut_from: usize,
    mut marks: Option<&mut Vec<u64>>,
) -> RowsScan {
    let mut lexer = BlockLexer::default();
    let mut at = from;
    let mut rows_end = from;
    let cut_at = cut_from.saturating_sub(1);
    // One mask per block: pushing a word per 64 bytes costs far less than
    // an offset per mark.
    let mut mark = |bits: u64| {
        if let Some(m) = marks.as_deref_mut() {
            m.push(bits);
        }
    };
    while at < w.len() {
        let (b, ok, odd) = lexer.next::<L>(w, at);
        let semis = b.eq(b';') & ok;
        // Rows before the statement's end only.
        let closes = b.eq(b')') & ok & below(semis.trailing_zeros());
        let commas = b.eq(b',') & ok & below(semis.trailing_zeros());
        if cut_at < at + WIDTH {
            let late = closes & !below(cut_at.saturating_sub(at) as u32);
            if late != 0 {
                let j = late.trailing_zeros();
                mark((commas | closes) & below(j + 1));
                return RowsScan::Cut(at + j as usize + 1);
            }
        }
        if closes != 0 {
            rows_end = at + WIDTH - closes.leading_zeros() as usize;
        }
        if semis != 0 {
            mark((commas | closes) & below((rows_end.max(at) - at) as u32));
            return RowsScan::End {
                semicolon: at + semis.trailing_zeros() as usize,
                rows_end,
            };
        }
        mark(commas | closes);
        if odd {
            break;
        }
        at += WIDTH;
    }
    RowsScan::Stop { rows_end }
}

/// Given a row's `(` at `open`, the offset of its `)`, with the offsets of
/// the commas between its values in `commas`, 64 bytes at a time. `None`
/// where the exact reader must decide: something besides `'..'` strings
/// and plain values (see [`scan_rows`]), or no `)` before `end`.
pub fn row_fields(w: &[u8], open: usize, end: usize, commas: &mut Vec<usize>) -> Option<usize> {
    struct RowFields<'a, 'b>(&'a [u8], usize, usize, &'b mut Vec<usize>);
    impl Scan for RowFields<'_, '_> {
        type Out = Option<usize>;
        #[inline(always)]
        fn run<L: Lanes>(self) -> Option<usize> {
            row_fields_in::<L>(self.0, self.1, self.2, self.3)
        }
    }
    simd::dispatch(RowFields(w, open, end, commas))
}

#[inline(always)]
fn row_fields_in<L: Lanes>(
    w: &[u8],
    open: usize,
    end: usize,
    commas: &mut Vec<usize>,
) -> Option<usize> {
    commas.clear();
    let w = &w[..end];
    let mut lexer = BlockLexer::default();
    let mut at = open + 1;
    while at < w.len() {
        let (b, ok, odd) = lexer.next::<L>(w, at);
        let closes = b.eq(b')') & ok;
        let before = if closes != 0 {
            below(closes.trailing_zeros())
        } else {
            !0
        };
        let mut c = b.eq(b',') & ok & before;
        while c != 0 {
            commas.push(at + c.trailing_zeros() as usize);
            c &= c - 1;
        }
        if closes != 0 {
            return Some(at + closes.trailing_zeros() as usize);
        }
        if odd {
            return None;
        }
        at += WIDTH;
    }
    None
}

/// Follows `'..'` strings block by block from a position outside any
/// string.
#[derive(Default)]
struct BlockLexer {
    /// The next block's first byte is escaped.
    escape: bool,
    /// All ones while the previous block ended inside a string.
    in_string: u64,
    /// The previous block ended with `-` / `/` (bit 0).
    dash: u64,
    slash: u64,
}

impl BlockLexer {
    /// Reads the block at `at`: the block, the bytes outside strings that
    /// come before anything odd (a `".."` or `` `..` `` string, `#`, `--`,
    /// `/*`, a backslash outside a string), and whether something odd
    /// came. Masks stop at the end of `w`.
    #[inline(always)]
    fn next<L: Lanes>(&mut self, w: &[u8], at: usize) -> (L, u64, bool) {
        let b = L::load(w, at);
        let valid = below((w.len() - at).min(WIDTH) as u32);
        let backslash = b.eq(b'\\');
        let quotes = b.eq(b'\'') & !escaped(backslash, &mut self.escape);
        let inside = prefix_xor(quotes) ^ self.in_string;
        self.in_string = 0u64.wrapping_sub(inside >> 63);
        let outside = !inside & valid;
        let (dash, slash) = (b.eq(b'-'), b.eq(b'/'));
        let odd = (b.eq(b'"')
            | b.eq(b'`')
            | b.eq(b'#')
            | backslash
            | (dash & (dash << 1 | self.dash))
            | (b.eq(b'*') & (slash << 1 | self.slash)))
            & outside;
        self.dash = dash >> 63;
        self.slash = slash >> 63;
        (b, outside & below(odd.trailing_zeros()), odd != 0)
    }
}

/// Reads one value at `i`: the literal, where it ends, and where the value
/// ends (the same in MySQL, which has no casts in dumps). Errors name the
/// offset and what was expected; never the value.
pub fn value(w: &[u8], i: usize) -> Result<(Literal, usize, usize), (usize, &'static str)> {
    let (lit, end) = literal(w, i)?;
    Ok((lit, end, end))
}

fn literal(w: &[u8], i: usize) -> Result<(Literal, usize), (usize, &'static str)> {
    let Some(&b) = w.get(i) else {
        return Err((i, "row ends inside a value"));
    };
    match b {
        b'\'' | b'"' => {
            let end = sql::string_end(w, i + 1, b, true).ok_or((i, "unterminated string"))?;
            Ok((Literal::MyStr(i + 1, end), end + 1))
        }
        b'_' => {
            // `_binary '..'`, `_utf8mb4'..'`, `_binary 0x..`
            let mut j = i + 1;
            while j < w.len() && (w[j].is_ascii_alphanumeric() || w[j] == b'_') {
                j += 1;
            }
            while j < w.len() && w[j].is_ascii_whitespace() {
                j += 1;
            }
            match w.get(j) {
                Some(b'\'') | Some(b'"') | Some(b'0') | Some(b'x') | Some(b'X') => {
                    let (lit, end) = literal(w, j)?;
                    match lit {
                        Literal::MyStr(..) | Literal::Hex(..) => Ok((lit, end)),
                        _ => Err((i, "charset introducer without a string")),
                    }
                }
                _ => Err((i, "charset introducer without a string")),
            }
        }
        b'0' if matches!(w.get(i + 1), Some(b'x') | Some(b'X')) => {
            let mut j = i + 2;
            while j < w.len() && w[j].is_ascii_hexdigit() {
                j += 1;
            }
            Ok((Literal::Hex(i + 2, j), j))
        }
        b'0' if matches!(w.get(i + 1), Some(b'b'))
            && w.get(i + 2).is_some_and(|c| *c == b'0' || *c == b'1') =>
        {
            let mut j = i + 2;
            while j < w.len() && (w[j] == b'0' || w[j] == b'1') {
                j += 1;
            }
            Ok((Literal::Bits(i + 2, j), j))
        }
        b'x' | b'X' | b'b' | b'B' if w.get(i + 1) == Some(&b'\'') => {
            let end = memchr::memchr(b'\'', &w[i + 2..]).ok_or((i, "unterminated string"))? + i + 2;
            let digits = &w[i + 2..end];
            let ok = if b == b'x' || b == b'X' {
                digits.iter().all(u8::is_ascii_hexdigit) && digits.len().is_multiple_of(2)
            } else {
                digits.iter().all(|c| *c == b'0' || *c == b'1')
            };
            if !ok {
                return Err((i, "malformed hex or bit literal"));
            }
            let lit = if b == b'x' || b == b'X' {
                Literal::Hex(i + 2, end)
            } else {
                Literal::Bits(i + 2, end)
            };
            Ok((lit, end + 1))
        }
        _ => super::bare_value(w, i),
    }
}

/// Hex digits to bytes; an odd count has an implied leading zero
/// (`0xABC` is 0x0ABC).
pub(crate) fn unhex(digits: &[u8], out: &mut Vec<u8>) {
    let mut acc: u8 = 0;
    let mut half = digits.len() % 2 == 1;
    for &d in digits {
        let v = (d as char).to_digit(16).unwrap_or(0) as u8;
        if half {
            out.push(acc << 4 | v);
            acc = 0;
            half = false;
        } else {
            acc = v;
            half = true;
        }
    }
}

/// Binary digits to big-endian bytes.
pub(crate) fn unbits(digits: &[u8], out: &mut Vec<u8>) {
    let nbytes = digits.len().div_ceil(8);
    let at = out.len();
    out.resize(at + nbytes, 0);
    for (k, &d) in digits.iter().rev().enumerate() {
        if d == b'1' {
            out[at + nbytes - 1 - k / 8] |= 1 << (k % 8);
        }
    }
}

/// Unescapes the content of a MySQL string literal.
pub(crate) fn unescape(s: &[u8], quote: u8, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < s.len() {
        let Some(n) = memchr::memchr2(b'\\', quote, &s[i..]) else {
            out.extend_from_slice(&s[i..]);
            return;
        };
        out.extend_from_slice(&s[i..i + n]);
        let j = i + n;
        if s[j] == quote {
            // A doubled quote inside the literal.
            out.push(quote);
            i = j + 2;
            continue;
        }
        let Some(&e) = s.get(j + 1) else {
            return;
        };
        match e {
            b'0' => out.push(0),
            b'b' => out.push(8),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'Z' => out.push(0x1a),
            b'%' | b'_' => out.extend_from_slice(&[b'\\', e]),
            other => out.push(other),
        }
        i = j + 2;
    }
}

/// Writes `v` as a MySQL string literal the way mysqldump does.
pub fn encode_string(v: &[u8], out: &mut Vec<u8>) {
    out.reserve(v.len() + 2);
    out.push(b'\'');
    super::write_escaped(v, out, |b| match b {
        0 => Some(b"\\0"),
        b'\n' => Some(b"\\n"),
        b'\r' => Some(b"\\r"),
        b'\\' => Some(b"\\\\"),
        b'\'' => Some(b"\\'"),
        b'"' => Some(b"\\\""),
        0x1a => Some(b"\\Z"),
        _ => None,
    });
    out.push(b'\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &[u8]) -> Option<Vec<u8>> {
        let (l, end, _) = value(s, 0).unwrap();
        let mut out = Vec::new();
        l.decode(s, (0, end), &mut out).map(|_| out)
    }

    macro_rules! decodes_to {
        ($name:ident, $input:expr, $expected:expr) => {
            #[test]
            fn $name() {
                assert_eq!(dec($input).as_deref(), $expected);
            }
        };
    }

    decodes_to!(plain_string, b"'abc'", Some(&b"abc"[..]));
    decodes_to!(
        every_escape,
        br#"'\0\'\"\b\n\r\t\Z\\\%\_\q'"#,
        Some(&b"\0'\"\x08\n\r\t\x1a\\\\%\\_q"[..])
    );
    decodes_to!(doubled_quote, b"'it''s'", Some(&b"it's"[..]));
    decodes_to!(escaped_backslash_then_quote, br"'a\\'", Some(&br"a\"[..]));
    decodes_to!(hex_blob, b"0x00FF27", Some(&b"\x00\xff\x27"[..]));
    decodes_to!(hex_string, b"X'4142'", Some(&b"AB"[..]));
    decodes_to!(
        binary_introducer,
        b"_binary '\\0\xff'",
        Some(&b"\x00\xff"[..])
    );
    decodes_to!(utf8_introducer, b"_utf8mb4'x'", Some(&b"x"[..]));
    decodes_to!(bit_literal, b"b'0000000100000011'", Some(&b"\x01\x03"[..]));
    decodes_to!(short_bit_literal, b"b'101'", Some(&b"\x05"[..]));
    decodes_to!(negative_decimal, b"-12.50", Some(&b"-12.50"[..]));
    decodes_to!(exponent, b"1.5e-3", Some(&b"1.5e-3"[..]));
    decodes_to!(null, b"NULL", None);

    #[test]
    fn garbage_is_refused() {
        assert!(literal(b"abc", 0).is_err());
        assert!(literal(b"'abc", 0).is_err());
        assert!(literal(b"X'4G'", 0).is_err());
        assert!(literal(b"-", 0).is_err());
    }

    #[test]
    fn encode_round_trips_through_decode() {
        let v = b"\x00'\"\\\n\r\x1a\ttab \xff end";
        let mut enc = Vec::new();
        encode_string(v, &mut enc);
        assert_eq!(dec(&enc).unwrap(), v);
    }

    #[test]
    fn row_end_skips_parens_in_strings() {
        let s = b"(1,'a)b','c\\')'),(2)";
        assert_eq!(row_end(s, 0), Some(16));
    }
}
