//! MySQL and MariaDB literals, as mysqldump and mariadb-dump write them.
//!
//! Strings follow MySQL's string literal rules: `'..'` or `".."`, a
//! doubled quote is a quote, and a backslash escapes the next byte
//! (`\0 \' \" \b \n \r \t \Z \\`; `\%` and `\_` keep their
//! backslash). Binary data may be raw bytes in a string, `0x..` (hex-blob),
//! `X'..'`, `_binary '..'` (MySQL 8), or `b'0101'` bits.

use crate::format::Literal;
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
                digits.iter().all(u8::is_ascii_hexdigit) && digits.len() % 2 == 0
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
    let mut i = 0;
    while i < v.len() {
        let run = v[i..]
            .iter()
            .position(|&b| matches!(b, 0 | b'\n' | b'\r' | b'\\' | b'\'' | b'"' | 0x1a))
            .unwrap_or(v.len() - i);
        out.extend_from_slice(&v[i..i + run]);
        i += run;
        if i == v.len() {
            break;
        }
        let esc: &[u8] = match v[i] {
            0 => b"\\0",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\\' => b"\\\\",
            b'\'' => b"\\'",
            b'"' => b"\\\"",
            _ => b"\\Z",
        };
        out.extend_from_slice(esc);
        i += 1;
    }
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
