//! Newline-delimited JSON (one object per line, RFC 8259 values): the
//! scanner that validates a line and finds its top-level members, string
//! decoding and encoding, and the in-place rewrite of `json` paths.
//!
//! Nothing is parsed into a tree: a line is validated once, the spans of
//! its top-level members are recorded, and only values a rule touches are
//! decoded. Every other byte (key order, white space, number spellings,
//! escapes in untouched strings) is copied as it was.
//!
//! The scanner is a recursive descent over bytes with one state per
//! grammar production (`value`, `object`, `array`, `string`, `number`);
//! nesting is bounded by [`MAX_DEPTH`] so a hostile line cannot exhaust
//! the stack.

use super::{Field, FieldKind, Rewrite};
use crate::rules::library::PathStep;
use crate::rules::transform::{JsonPath, LiteralType, Outcome, Row, Transform};

/// Deepest nesting accepted; deeper is an error, never a stack overflow.
pub const MAX_DEPTH: usize = 256;

/// A scan error: where, and what (never a data value).
pub type ScanError = (usize, &'static str);

/// JSON white space (RFC 8259 section 2).
fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Eight copies of a byte.
const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// Index of the first byte at or after `i` that ends a plain run inside a
/// string: `"`, `\` or a control character (below 0x20). Eight bytes at a
/// time (the classic "has a zero byte / has a byte less than n" tests),
/// then byte by byte.
fn string_special(b: &[u8], mut i: usize) -> usize {
    const HI: u64 = splat(0x80);
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(w);
        let quote = x ^ splat(b'"');
        let slash = x ^ splat(b'\\');
        // A byte is flagged when it is zero after the xor, or below 0x20;
        // bytes at or above 0x80 can set false flags in the lanes above a
        // true one only, so the first flag is exact.
        let hit = (quote.wrapping_sub(splat(1)) & !quote)
            | (slash.wrapping_sub(splat(1)) & !slash)
            | (x.wrapping_sub(splat(0x20)) & !x);
        let hit = hit & HI;
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !matches!(b[i], b'"' | b'\\' | 0..=0x1f) {
        i += 1;
    }
    i
}

/// `b[i]` is `"`: returns the offset past the closing quote, checking
/// escapes and refusing raw control characters. Whether the bytes are
/// UTF-8 is checked once per record, by the caller.
pub fn string_end(b: &[u8], i: usize) -> Result<usize, ScanError> {
    let mut j = i + 1;
    loop {
        j = string_special(b, j);
        match b.get(j) {
            None => return Err((i, "unterminated string")),
            Some(b'"') => return Ok(j + 1),
            Some(b'\\') => match b.get(j + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => j += 2,
                Some(b'u') => {
                    let hex = b.get(j + 2..j + 6).ok_or((j, "bad \\u escape"))?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err((j, "bad \\u escape"));
                    }
                    j += 6;
                }
                _ => return Err((j, "bad escape in a string")),
            },
            Some(_) => return Err((j, "control character inside a string")),
        }
    }
}

/// `b[i]` starts a number: returns its end, following RFC 8259's grammar
/// (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
fn number_end(b: &[u8], i: usize) -> Result<usize, ScanError> {
    let digits = |mut j: usize| {
        let s = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        (j, j - s)
    };
    let mut j = i;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    match b.get(j) {
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => j = digits(j).0,
        _ => return Err((i, "malformed number")),
    }
    if b.get(j) == Some(&b'.') {
        let (k, n) = digits(j + 1);
        if n == 0 {
            return Err((i, "malformed number"));
        }
        j = k;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let (k, n) = digits(j);
        if n == 0 {
            return Err((i, "malformed number"));
        }
        j = k;
    }
    Ok(j)
}

/// Is `v` exactly one JSON number?
pub fn is_number(v: &[u8]) -> bool {
    !v.is_empty() && number_end(v, 0) == Ok(v.len())
}

/// The value starting at `b[i]` (no white space before it): its kind and
/// the offset past it.
pub fn value_end(b: &[u8], i: usize, depth: usize) -> Result<(FieldKind, usize), ScanError> {
    if depth > MAX_DEPTH {
        return Err((i, "JSON nested too deeply"));
    }
    let literal = |word: &[u8], kind| {
        if b.get(i..i + word.len()) == Some(word) {
            Ok((kind, i + word.len()))
        } else {
            Err((i, "invalid JSON value"))
        }
    };
    match b.get(i) {
        Some(b'"') => Ok((FieldKind::JsonString, string_end(b, i)?)),
        Some(b'{') => {
            let mut j = ws(b, i + 1);
            if b.get(j) == Some(&b'}') {
                return Ok((FieldKind::JsonObject, j + 1));
            }
            loop {
                if b.get(j) != Some(&b'"') {
                    return Err((j, "expected a string key in an object"));
                }
                j = ws(b, string_end(b, j)?);
                if b.get(j) != Some(&b':') {
                    return Err((j, "expected `:` after an object key"));
                }
                j = ws(b, j + 1);
                j = ws(b, value_end(b, j, depth + 1)?.1);
                match b.get(j) {
                    Some(b',') => j = ws(b, j + 1),
                    Some(b'}') => return Ok((FieldKind::JsonObject, j + 1)),
                    _ => return Err((j, "expected `,` or `}` in an object")),
                }
            }
        }
        Some(b'[') => {
            let mut j = ws(b, i + 1);
            if b.get(j) == Some(&b']') {
                return Ok((FieldKind::JsonArray, j + 1));
            }
            loop {
                j = ws(b, value_end(b, j, depth + 1)?.1);
                match b.get(j) {
                    Some(b',') => j = ws(b, j + 1),
                    Some(b']') => return Ok((FieldKind::JsonArray, j + 1)),
                    _ => return Err((j, "expected `,` or `]` in an array")),
                }
            }
        }
        Some(b't') => literal(b"true", FieldKind::JsonBool),
        Some(b'f') => literal(b"false", FieldKind::JsonBool),
        Some(b'n') => literal(b"null", FieldKind::JsonNull),
        Some(b'-' | b'0'..=b'9') => Ok((FieldKind::JsonNumber, number_end(b, i)?)),
        None => Err((i, "line ends where a JSON value should be")),
        Some(_) => Err((i, "invalid JSON value")),
    }
}

/// One top-level member of a record: its key's content (between the
/// quotes) and its value.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    /// The key's bytes between its quotes, still escaped.
    pub key: (usize, usize),
    /// The value.
    pub value: Field,
}

/// A record's shape: its members, and where a key `set` adds goes.
#[derive(Debug, Default)]
pub struct Object {
    /// Top-level members in order.
    pub members: Vec<Member>,
    /// Just past the last member's value (or the `{` of an empty object):
    /// where added members are inserted.
    pub insert_at: usize,
}

/// Validates the record `b[start..end]` (a line without its line break)
/// and fills `obj` with its top-level members. The record must be one
/// object with nothing after it but white space.
pub fn scan_object(b: &[u8], start: usize, end: usize, obj: &mut Object) -> Result<(), ScanError> {
    obj.members.clear();
    let line = &b[..end];
    let i = ws(line, start);
    if line.get(i) != Some(&b'{') {
        return Err((i, "a JSON record must be an object"));
    }
    obj.insert_at = i + 1;
    let mut j = ws(line, i + 1);
    let close = if line.get(j) == Some(&b'}') {
        j
    } else {
        loop {
            if line.get(j) != Some(&b'"') {
                return Err((j, "expected a string key in an object"));
            }
            let key_end = string_end(line, j)?;
            let key = (j + 1, key_end - 1);
            j = ws(line, key_end);
            if line.get(j) != Some(&b':') {
                return Err((j, "expected `:` after an object key"));
            }
            j = ws(line, j + 1);
            let (kind, v_end) = value_end(line, j, 1)?;
            obj.members.push(Member {
                key,
                value: Field {
                    start: j,
                    end: v_end,
                    kind,
                },
            });
            obj.insert_at = v_end;
            j = ws(line, v_end);
            match line.get(j) {
                Some(b',') => j = ws(line, j + 1),
                Some(b'}') => break j,
                _ => return Err((j, "expected `,` or `}` in an object")),
            }
        }
    };
    let rest = ws(line, close + 1);
    if rest != end {
        return Err((rest, "more than one JSON value on a line"));
    }
    Ok(())
}

/// Decodes the escaped content of a string (between its quotes) into
/// `out`. The content was validated by [`string_end`]; a lone UTF-16
/// surrogate (`\ud800` unpaired) has no text and is an error.
pub fn unescape(s: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    let mut i = 0;
    while i < s.len() {
        let run = memchr::memchr(b'\\', &s[i..]).unwrap_or(s.len() - i);
        out.extend_from_slice(&s[i..i + run]);
        i += run;
        if i >= s.len() {
            break;
        }
        let c = s.get(i + 1).copied().ok_or("bad escape in a string")?;
        i += 2;
        let byte = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let hex4 = |at: usize| -> Result<u32, &'static str> {
                    let h = s.get(at..at + 4).ok_or("bad \\u escape")?;
                    let h = std::str::from_utf8(h).map_err(|_| "bad \\u escape")?;
                    u32::from_str_radix(h, 16).map_err(|_| "bad \\u escape")
                };
                let hi = hex4(i)?;
                i += 4;
                let code = match hi {
                    0xD800..=0xDBFF => {
                        if s.get(i..i + 2) != Some(b"\\u") {
                            return Err("a lone UTF-16 surrogate in a \\u escape");
                        }
                        let lo = hex4(i + 2)?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return Err("a lone UTF-16 surrogate in a \\u escape");
                        }
                        i += 6;
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err("a lone UTF-16 surrogate in a \\u escape"),
                    c => c,
                };
                let ch = char::from_u32(code).ok_or("bad \\u escape")?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            _ => return Err("bad escape in a string"),
        };
        out.push(byte);
    }
    Ok(())
}

/// Writes `v` as a JSON string: quotes, `"` and `\` escaped, control
/// characters as `\n`, `\t`.. or `\u00XX`; other text as it is. A value
/// that is not UTF-8 cannot be a JSON string: an error, never a lossy
/// copy.
pub fn write_string(v: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    if std::str::from_utf8(v).is_err() {
        return Err("a rewritten value is not UTF-8 text, which JSON cannot hold");
    }
    out.push(b'"');
    let mut i = 0;
    while i < v.len() {
        let j = string_special(v, i);
        out.extend_from_slice(&v[i..j]);
        let Some(&c) = v.get(j) else { break };
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            c => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 15) as usize]);
            }
        }
        i = j + 1;
    }
    out.push(b'"');
    Ok(())
}

/// Decodes a value as transformers see it: a string's text, a number,
/// `true` or `false` as written, an object or array as its JSON text;
/// `None` for `null`.
pub fn decode(b: &[u8], f: Field, out: &mut Vec<u8>) -> Result<Option<()>, &'static str> {
    match f.kind {
        FieldKind::JsonNull => return Ok(None),
        FieldKind::JsonString => unescape(&b[f.start + 1..f.end - 1], out)?,
        _ => out.extend_from_slice(&b[f.start..f.end]),
    }
    Ok(Some(()))
}

/// Writes what a transformer made of a value of kind `was` (`None`: the
/// key was absent and `set` adds it). The output keeps the original's
/// type where it can hold the new value: a number stays a bare number if
/// the output is one, `true`/`false` stay booleans; a `set` literal keeps
/// the type the rules file gave it; anything else is a string.
pub fn write_outcome(
    was: Option<FieldKind>,
    outcome: Outcome,
    produced: &[u8],
    t: &dyn Transform,
    out: &mut Vec<u8>,
) -> Result<Rewrite, &'static str> {
    match outcome {
        Outcome::Keep => Ok(Rewrite::Unchanged),
        Outcome::Null | Outcome::Default if was == Some(FieldKind::JsonNull) => {
            Ok(Rewrite::Unchanged)
        }
        Outcome::Null | Outcome::Default => {
            out.extend_from_slice(b"null");
            Ok(Rewrite::Written)
        }
        Outcome::Value => {
            let bare = match t.literal_type() {
                Some(LiteralType::Boolean) => {
                    out.extend_from_slice(if produced == b"0" { b"false" } else { b"true" });
                    return Ok(Rewrite::Written);
                }
                Some(LiteralType::Number) => is_number(produced),
                Some(LiteralType::String) => false,
                None => match was {
                    Some(FieldKind::JsonNumber) => is_number(produced),
                    Some(FieldKind::JsonBool) => matches!(produced, b"true" | b"false"),
                    _ => false,
                },
            };
            if bare {
                out.extend_from_slice(produced);
            } else {
                write_string(produced, out)?;
            }
            Ok(Rewrite::Written)
        }
    }
}

/// Reusable buffers of [`rewrite_paths`].
#[derive(Debug, Default)]
pub struct PathScratch {
    /// The document as the last path left it.
    doc: Vec<u8>,
    /// The document being written by the current path.
    next: Vec<u8>,
    /// A leaf's decoded value.
    input: Vec<u8>,
    /// What a transformer made of it.
    produced: Vec<u8>,
    /// An object key, decoded.
    key: Vec<u8>,
}

/// Rewrites the value `b[f.start..f.end]` under a `json` rule's paths into
/// `out`, changing only the leaves the paths reach; every other byte of
/// the document is copied. A string value holding a JSON document (JSON
/// in a string) is decoded, rewritten and written back as a string.
pub fn rewrite_paths(
    b: &[u8],
    f: Field,
    paths: &[JsonPath],
    row: &dyn Row,
    ps: &mut PathScratch,
    out: &mut Vec<u8>,
) -> Result<Rewrite, ScanError> {
    if let ([(steps, t)], FieldKind::JsonObject | FieldKind::JsonArray) = (paths, f.kind) {
        // One path over a document in place: walked from the input
        // straight into the output.
        walk(b, f.start, steps, t.as_ref(), row, ps, out)?;
        return Ok(Rewrite::Written);
    }
    let mut doc = std::mem::take(&mut ps.doc);
    let mut next = std::mem::take(&mut ps.next);
    doc.clear();
    let result = (|| {
        let embedded = match f.kind {
            FieldKind::JsonNull => return Ok(Rewrite::Unchanged),
            FieldKind::JsonString => {
                unescape(&b[f.start + 1..f.end - 1], &mut doc).map_err(|m| (f.start, m))?;
                // A string that is not a JSON document cannot have paths
                // rewritten; fail rather than pass it through.
                let start = ws(&doc, 0);
                let end = value_end(&doc, start, 0)
                    .map_err(|_| (f.start, "a `json` rule's string value is not valid JSON"))?
                    .1;
                if ws(&doc, end) != doc.len() {
                    return Err((f.start, "a `json` rule's string value is not valid JSON"));
                }
                true
            }
            _ => {
                doc.extend_from_slice(&b[f.start..f.end]);
                false
            }
        };
        for (steps, t) in paths {
            next.clear();
            let start = ws(&doc, 0);
            next.extend_from_slice(&doc[..start]);
            let end = walk(&doc, start, steps, t.as_ref(), row, ps, &mut next)?;
            next.extend_from_slice(&doc[end..]);
            std::mem::swap(&mut doc, &mut next);
        }
        if embedded {
            write_string(&doc, out).map_err(|m| (f.start, m))?;
        } else {
            out.extend_from_slice(&doc);
        }
        Ok(Rewrite::Written)
    })();
    ps.doc = doc;
    ps.next = next;
    result
}

/// Copies the value at `b[i]` (valid JSON) into `out`, rewriting the
/// leaves `steps` reach with `t`; returns the offset past the value.
/// Error offsets are relative to `b`.
fn walk(
    b: &[u8],
    i: usize,
    steps: &[PathStep],
    t: &dyn Transform,
    row: &dyn Row,
    ps: &mut PathScratch,
    out: &mut Vec<u8>,
) -> Result<usize, ScanError> {
    let copy = |out: &mut Vec<u8>| -> Result<usize, ScanError> {
        let e = value_end(b, i, 0)?.1;
        out.extend_from_slice(&b[i..e]);
        Ok(e)
    };
    let Some((step, rest)) = steps.split_first() else {
        let (kind, end) = value_end(b, i, 0)?;
        let f = Field {
            start: i,
            end,
            kind,
        };
        ps.input.clear();
        ps.produced.clear();
        let present = decode(b, f, &mut ps.input).map_err(|m| (i, m))?;
        let outcome = t
            .apply(present.map(|_| ps.input.as_slice()), row, &mut ps.produced)
            .map_err(|_| (i, "a transformer refused a value inside the JSON document"))?;
        if write_outcome(Some(kind), outcome, &ps.produced, t, out).map_err(|m| (i, m))?
            == Rewrite::Unchanged
        {
            out.extend_from_slice(&b[i..end]);
        }
        return Ok(end);
    };
    // The members or elements of a container, each copied or walked;
    // `close` is its closing bracket.
    let close = match (step, b[i]) {
        (PathStep::Key(_), b'{') => b'}',
        (PathStep::Each | PathStep::Index(_), b'[') => b']',
        // The path does not reach here: the value stays.
        _ => return copy(out),
    };
    let mut j = i;
    let mut n = 0usize;
    loop {
        // At the opening bracket or a `,`: copy it and the space after.
        let after = ws(b, j + 1);
        out.extend_from_slice(&b[j..after]);
        j = after;
        if b[j] == close {
            out.push(close);
            return Ok(j + 1);
        }
        ps.key.clear();
        if close == b'}' {
            let key_end = string_end(b, j)?;
            unescape(&b[j + 1..key_end - 1], &mut ps.key).map_err(|m| (j, m))?;
            let v = ws(b, ws(b, key_end) + 1);
            out.extend_from_slice(&b[j..v]);
            j = v;
        }
        let hit = match step {
            PathStep::Key(k) => ps.key == k.as_bytes(),
            PathStep::Each => true,
            PathStep::Index(k) => n == *k,
        };
        j = if hit {
            walk(b, j, rest, t, row, ps, out)?
        } else {
            let e = value_end(b, j, 0)?.1;
            out.extend_from_slice(&b[j..e]);
            e
        };
        n += 1;
        let sep = ws(b, j);
        out.extend_from_slice(&b[j..sep]);
        j = sep;
        if b[j] == close {
            out.push(close);
            return Ok(j + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! scans {
        ($($name:ident: $line:expr => $ok:expr;)*) => {$(
            #[test]
            fn $name() {
                let b: &[u8] = $line;
                let mut obj = Object::default();
                let r = scan_object(b, 0, b.len(), &mut obj);
                assert_eq!(r.is_ok(), $ok, "{:?}", r);
                // serde_json agrees on what is a JSON object.
                let serde_ok = serde_json::from_slice::<serde_json::Value>(b)
                    .is_ok_and(|v| v.is_object());
                assert_eq!(r.is_ok(), serde_ok);
            }
        )*};
    }

    scans! {
        empty_object: b"{}" => true;
        spaced: b" { \"a\" : 1 , \"b\":[1,{\"c\":null}] } " => true;
        escapes: br#"{"a":"x\"y\\z\u00e9\ud83d\ude00"}"# => true;
        numbers: b"{\"a\":-0.5e+10,\"b\":0,\"c\":12}" => true;
        leading_zero: b"{\"a\":01}" => false;
        trailing_comma: b"{\"a\":1,}" => false;
        bare_word: b"{\"a\":nope}" => false;
        raw_tab_in_string: b"{\"a\":\"x\ty\"}" => false;
        unterminated: b"{\"a\":\"xy}" => false;
        two_values: b"{} {}" => false;
        array_record: b"[1]" => false;
        missing_colon: b"{\"a\" 1}" => false;
        dot_number: b"{\"a\":1.}" => false;
    }

    #[test]
    fn the_word_scan_agrees_with_a_byte_loop() {
        let mut s = Vec::new();
        for i in 0..200u32 {
            s.push((i * 37 % 251) as u8);
        }
        for start in 0..s.len() {
            let slow = (start..s.len())
                .find(|&i| matches!(s[i], b'"' | b'\\' | 0..=0x1f))
                .unwrap_or(s.len());
            assert_eq!(string_special(&s, start), slow, "from {start}");
        }
    }

    #[test]
    fn strings_round_trip() {
        for text in ["plain", "qu\"ote", "back\\slash", "tab\tnl\n\u{1}", "é😀"] {
            let mut enc = Vec::new();
            write_string(text.as_bytes(), &mut enc).unwrap();
            let s: String = serde_json::from_slice(&enc).unwrap();
            assert_eq!(s, text);
            let mut dec = Vec::new();
            unescape(&enc[1..enc.len() - 1], &mut dec).unwrap();
            assert_eq!(dec, text.as_bytes());
        }
        let mut out = Vec::new();
        assert!(unescape(br"\ud800", &mut out).is_err());
        assert!(write_string(b"\xff", &mut out).is_err());
    }

    /// Rewrites `doc` under `paths` with a `fixed` value of "X".
    fn paths_of(doc: &str, paths: &[&str]) -> String {
        use crate::rules::library::parse_path;
        use crate::rules::transform::{Fixed, NoRow};
        let paths: Vec<JsonPath> = paths
            .iter()
            .map(|p| {
                let t: std::sync::Arc<dyn Transform> = std::sync::Arc::new(Fixed {
                    value: b"X".to_vec(),
                });
                (parse_path(p).unwrap(), t)
            })
            .collect();
        let b = doc.as_bytes();
        let (kind, end) = value_end(b, 0, 0).unwrap();
        let f = Field {
            start: 0,
            end,
            kind,
        };
        let mut out = Vec::new();
        let mut ps = PathScratch::default();
        rewrite_paths(b, f, &paths, &NoRow, &mut ps, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn paths_rewrite_leaves_and_copy_the_rest() {
        let doc = r#"{ "a" : {"b":"x","n":1.50}, "l":[ "p", {"b":"q"}, 3 ], "c":null }"#;
        assert_eq!(
            paths_of(doc, &["$.a.b"]),
            r#"{ "a" : {"b":"X","n":1.50}, "l":[ "p", {"b":"q"}, 3 ], "c":null }"#
        );
        assert_eq!(
            paths_of(doc, &["$.l[*].b", "$.l[0]", "$.c", "$.missing.x"]),
            r#"{ "a" : {"b":"x","n":1.50}, "l":[ "X", {"b":"X"}, 3 ], "c":null }"#
        );
        // A number leaf stays bare only if what is written is a number.
        assert_eq!(paths_of(r#"{"n":12}"#, &["$.n"]), r#"{"n":"X"}"#);
        // JSON inside a string: rewritten and written back as a string.
        assert_eq!(
            paths_of(r#""{\"e\": \"v\"}""#, &["$.e"]),
            r#""{\"e\": \"X\"}""#
        );
    }
}
