//! The condition language of `when`, `drop_when` and `if`: a small SQL
//! expression subset over a row's original values.
//!
//! ```text
//! expr := or ;  or := and (OR and)* ;  and := not (AND not)*
//! not  := NOT not | '(' expr ')' | operand tail
//! tail := cmp operand | IS [NOT] NULL | [NOT] IN '(' operand, ... ')'
//!       | [NOT] LIKE operand | [NOT] ILIKE operand | [NOT] BETWEEN operand AND operand
//! cmp  := = | != | <> | < | <= | > | >=
//! operand := column | `column` | "column" | number | 'string' | TRUE | FALSE | NULL
//!          | DATE 'yyyy-mm-dd' | TIMESTAMP '...'
//! ```
//!
//! Evaluation is SQL's three-valued logic: a comparison with NULL is
//! unknown, and a condition holds only when it is true. Values compare as
//! numbers when both sides are numbers, as dates when either side is a date
//! column or a date literal, as booleans against TRUE/FALSE or a boolean
//! column (both engines' spellings: 1/0, t/f, true/false), and as bytes
//! otherwise, where a fixed-length `CHAR(n)` column's trailing spaces do not
//! count (see [`is_padded`]). Parsing knows nothing of tables;
//! [`Cond::bind`] turns names into column positions.

use std::cmp::Ordering;

use crate::schema::{ColumnType, Table};

/// A parsed condition over column names.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond<C = String> {
    /// Both hold.
    And(Box<Cond<C>>, Box<Cond<C>>),
    /// Either holds.
    Or(Box<Cond<C>>, Box<Cond<C>>),
    /// Does not hold.
    Not(Box<Cond<C>>),
    /// `a op b`.
    Cmp(Operand<C>, CmpOp, Operand<C>),
    /// `a IS [NOT] NULL` (`true`: IS NULL).
    IsNull(Operand<C>, bool),
    /// `a [NOT] IN (..)`.
    In(Operand<C>, Vec<Operand<C>>, bool),
    /// `a [NOT] LIKE p` (`case_insensitive` for ILIKE).
    Like {
        /// The value.
        value: Operand<C>,
        /// The pattern (`%`, `_`, `\` escapes).
        pattern: Operand<C>,
        /// NOT LIKE.
        negated: bool,
        /// ILIKE.
        case_insensitive: bool,
    },
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`, `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand<C> {
    /// A column of the row.
    Column(C),
    /// A literal.
    Lit(Lit),
}

/// A literal in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// NULL.
    Null,
    /// A number as written.
    Number(String),
    /// A string.
    Str(String),
    /// TRUE or FALSE.
    Bool(bool),
    /// DATE '...' or TIMESTAMP '...'.
    Date(String),
}

/// A bound column: its position in the table and its type.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundColumn {
    /// Table column index.
    pub index: usize,
    /// Declared type.
    pub ty: ColumnType,
}

/// Where parsing failed: byte offset in the condition text and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondError {
    /// Byte offset in the condition.
    pub at: usize,
    /// What is wrong.
    pub what: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Quoted(String),
    Str(String),
    Num(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, CondError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, what: &str| CondError {
        at,
        what: what.into(),
    };
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => {
                out.push((Tok::LParen, start));
                i += 1;
            }
            b')' => {
                out.push((Tok::RParen, start));
                i += 1;
            }
            b',' => {
                out.push((Tok::Comma, start));
                i += 1;
            }
            b'\'' | b'"' | b'`' => {
                let mut s = Vec::new();
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err(err(start, "unterminated quote")),
                        Some(&q) if q == c && b.get(i + 1) == Some(&c) => {
                            s.push(c);
                            i += 2;
                        }
                        Some(&q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some(&x) => {
                            s.push(x);
                            i += 1;
                        }
                    }
                }
                let s = String::from_utf8_lossy(&s).into_owned();
                out.push((
                    if c == b'\'' {
                        Tok::Str(s)
                    } else {
                        Tok::Quoted(s)
                    },
                    start,
                ));
            }
            b'=' => {
                out.push((Tok::Op("="), start));
                i += 1;
            }
            b'!' | b'<' | b'>' => {
                // Bytes, not str: the next character may be multi-byte.
                let (op, len) = match (c, b.get(i + 1)) {
                    (b'!', Some(b'=')) | (b'<', Some(b'>')) => ("!=", 2),
                    (b'<', Some(b'=')) => ("<=", 2),
                    (b'>', Some(b'=')) => (">=", 2),
                    (b'<', _) => ("<", 1),
                    (b'>', _) => (">", 1),
                    _ => return Err(err(start, "unexpected `!`")),
                };
                i += len;
                out.push((Tok::Op(op), start));
            }
            b'0'..=b'9' | b'-' | b'+' | b'.' => {
                i += 1;
                while i < b.len()
                    && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'e' || b[i] == b'E')
                {
                    i += 1;
                }
                if !src[start..i].bytes().any(|x| x.is_ascii_digit()) {
                    return Err(err(start, "malformed number"));
                }
                out.push((Tok::Num(src[start..i].to_string()), start));
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                {
                    i += 1;
                }
                out.push((Tok::Ident(src[start..i].to_string()), start));
            }
            _ => return Err(err(start, "unexpected character")),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    i: usize,
    len: usize,
}

impl Parser {
    fn at(&self) -> usize {
        self.toks.get(self.i).map_or(self.len, |t| t.1)
    }
    fn err(&self, what: &str) -> CondError {
        CondError {
            at: self.at(),
            what: what.into(),
        }
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.0)
    }
    fn kw(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(k))
    }
    fn eat_kw(&mut self, k: &str) -> bool {
        let hit = self.kw(k);
        if hit {
            self.i += 1;
        }
        hit
    }
    fn expr(&mut self) -> Result<Cond, CondError> {
        let mut left = self.and()?;
        while self.eat_kw("or") {
            left = Cond::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Cond, CondError> {
        let mut left = self.not()?;
        while self.eat_kw("and") {
            left = Cond::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }
    fn not(&mut self) -> Result<Cond, CondError> {
        if self.eat_kw("not") {
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            // A parenthesised condition (operands are never parenthesised).
            self.i += 1;
            let e = self.expr()?;
            if self.peek() != Some(&Tok::RParen) {
                return Err(self.err("expected `)`"));
            }
            self.i += 1;
            return Ok(e);
        }
        let left = self.operand()?;
        if let Some(Tok::Op(op)) = self.peek().cloned() {
            self.i += 1;
            let op = match op {
                "=" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                _ => CmpOp::Ge,
            };
            return Ok(Cond::Cmp(left, op, self.operand()?));
        }
        if self.eat_kw("is") {
            let negated = self.eat_kw("not");
            if !self.eat_kw("null") {
                return Err(self.err("expected NULL after IS"));
            }
            return Ok(Cond::IsNull(left, !negated));
        }
        let negated = self.eat_kw("not");
        if self.eat_kw("in") {
            if self.peek() != Some(&Tok::LParen) {
                return Err(self.err("expected `(` after IN"));
            }
            self.i += 1;
            let mut list = vec![self.operand()?];
            while self.peek() == Some(&Tok::Comma) {
                self.i += 1;
                list.push(self.operand()?);
            }
            if self.peek() != Some(&Tok::RParen) {
                return Err(self.err("expected `)` to close IN"));
            }
            self.i += 1;
            return Ok(Cond::In(left, list, negated));
        }
        let like = self.kw("like");
        if like || self.kw("ilike") {
            self.i += 1;
            return Ok(Cond::Like {
                value: left,
                pattern: self.operand()?,
                negated,
                case_insensitive: !like,
            });
        }
        if self.eat_kw("between") {
            let low = self.operand()?;
            if !self.eat_kw("and") {
                return Err(self.err("expected AND in BETWEEN"));
            }
            let high = self.operand()?;
            let c = Cond::And(
                Box::new(Cond::Cmp(left.clone(), CmpOp::Ge, low)),
                Box::new(Cond::Cmp(left, CmpOp::Le, high)),
            );
            return Ok(if negated { Cond::Not(Box::new(c)) } else { c });
        }
        Err(self.err("expected a comparison, IS NULL, IN, LIKE or BETWEEN"))
    }
    fn operand(&mut self) -> Result<Operand<String>, CondError> {
        let t = self
            .peek()
            .cloned()
            .ok_or_else(|| self.err("expected a column or a value"))?;
        self.i += 1;
        Ok(match t {
            Tok::Str(s) => Operand::Lit(Lit::Str(s)),
            Tok::Num(n) => Operand::Lit(Lit::Number(n)),
            Tok::Quoted(q) => Operand::Column(q),
            Tok::Ident(w) => match w.to_ascii_lowercase().as_str() {
                "null" => Operand::Lit(Lit::Null),
                "true" => Operand::Lit(Lit::Bool(true)),
                "false" => Operand::Lit(Lit::Bool(false)),
                "date" | "timestamp" if matches!(self.peek(), Some(Tok::Str(_))) => {
                    let Some(Tok::Str(s)) = self.peek().cloned() else {
                        unreachable!()
                    };
                    self.i += 1;
                    Operand::Lit(Lit::Date(s))
                }
                "and" | "or" | "not" | "is" | "in" | "like" | "between" => {
                    self.i -= 1;
                    return Err(self.err("expected a column or a value"));
                }
                _ => Operand::Column(w),
            },
            _ => {
                self.i -= 1;
                return Err(self.err("expected a column or a value"));
            }
        })
    }
}

/// Parses a condition.
pub fn parse(src: &str) -> Result<Cond, CondError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        len: src.len(),
    };
    let e = p.expr()?;
    if p.i != p.toks.len() {
        return Err(p.err("unexpected text after the condition"));
    }
    Ok(e)
}

impl<C> Cond<C> {
    /// Calls `f` with every column the condition reads, in order.
    pub fn for_each_column(&self, f: &mut impl FnMut(&C)) {
        let mut op = |o: &Operand<C>| {
            if let Operand::Column(c) = o {
                f(c);
            }
        };
        match self {
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.for_each_column(f);
                b.for_each_column(f);
            }
            Cond::Not(a) => a.for_each_column(f),
            Cond::Cmp(a, _, b) => {
                op(a);
                op(b);
            }
            Cond::IsNull(a, _) => op(a),
            Cond::In(a, list, _) => {
                op(a);
                list.iter().for_each(op);
            }
            Cond::Like { value, pattern, .. } => {
                op(value);
                op(pattern);
            }
        }
    }
}

impl Cond<String> {
    /// Resolves column names against a table; the error names the column.
    pub fn bind(&self, table: &Table) -> Result<Cond<BoundColumn>, String> {
        let col = |o: &Operand<String>| -> Result<Operand<BoundColumn>, String> {
            Ok(match o {
                Operand::Lit(l) => Operand::Lit(l.clone()),
                Operand::Column(name) => {
                    let index = table.column_index(name).ok_or_else(|| {
                        let have: Vec<&str> =
                            table.columns.iter().map(|c| c.name.as_str()).collect();
                        format!(
                            "condition names column `{name}`, which table {} lacks; it has: {}",
                            table.name,
                            have.join(", ")
                        )
                    })?;
                    Operand::Column(BoundColumn {
                        index,
                        ty: table.columns[index].ty.clone(),
                    })
                }
            })
        };
        Ok(match self {
            Cond::And(a, b) => Cond::And(Box::new(a.bind(table)?), Box::new(b.bind(table)?)),
            Cond::Or(a, b) => Cond::Or(Box::new(a.bind(table)?), Box::new(b.bind(table)?)),
            Cond::Not(a) => Cond::Not(Box::new(a.bind(table)?)),
            Cond::Cmp(a, op, b) => Cond::Cmp(col(a)?, *op, col(b)?),
            Cond::IsNull(a, n) => Cond::IsNull(col(a)?, *n),
            Cond::In(a, l, n) => {
                Cond::In(col(a)?, l.iter().map(col).collect::<Result<_, _>>()?, *n)
            }
            Cond::Like {
                value,
                pattern,
                negated,
                case_insensitive,
            } => Cond::Like {
                value: col(value)?,
                pattern: col(pattern)?,
                negated: *negated,
                case_insensitive: *case_insensitive,
            },
        })
    }
}

/// A value an operand evaluates to: bytes, or NULL; with a type hint.
struct Val<'a> {
    bytes: Option<&'a [u8]>,
    ty: Option<&'a ColumnType>,
    lit: Option<&'a Lit>,
}

impl Cond<BoundColumn> {
    /// Table column indexes the condition reads.
    pub fn columns_read(&self, out: &mut Vec<usize>) {
        self.for_each_column(&mut |c| out.push(c.index));
    }

    /// Does the condition hold for a row? `value(i)` gives column `i`'s
    /// decoded original value (`None`: NULL or absent).
    pub fn holds<'a>(&'a self, value: &dyn Fn(usize) -> Option<&'a [u8]>) -> bool {
        self.eval(value) == Some(true)
    }

    fn eval<'a>(&'a self, value: &dyn Fn(usize) -> Option<&'a [u8]>) -> Option<bool> {
        let get = |o: &'a Operand<BoundColumn>| -> Val<'a> {
            match o {
                Operand::Column(c) => Val {
                    bytes: value(c.index),
                    ty: Some(&c.ty),
                    lit: None,
                },
                Operand::Lit(l) => Val {
                    bytes: lit_bytes(l),
                    ty: None,
                    lit: Some(l),
                },
            }
        };
        match self {
            Cond::And(a, b) => match (a.eval(value), b.eval(value)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Cond::Or(a, b) => match (a.eval(value), b.eval(value)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Cond::Not(a) => a.eval(value).map(|v| !v),
            Cond::Cmp(a, op, b) => {
                let ord = compare(&get(a), &get(b))?;
                Some(match op {
                    CmpOp::Eq => ord == Ordering::Equal,
                    CmpOp::Ne => ord != Ordering::Equal,
                    CmpOp::Lt => ord == Ordering::Less,
                    CmpOp::Le => ord != Ordering::Greater,
                    CmpOp::Gt => ord == Ordering::Greater,
                    CmpOp::Ge => ord != Ordering::Less,
                })
            }
            Cond::IsNull(a, is_null) => Some(get(a).bytes.is_none() == *is_null),
            Cond::In(a, list, negated) => {
                let v = get(a);
                v.bytes?;
                let mut unknown = false;
                for item in list {
                    match compare(&v, &get(item)) {
                        Some(Ordering::Equal) => return Some(!negated),
                        None => unknown = true,
                        _ => {}
                    }
                }
                if unknown {
                    None
                } else {
                    Some(*negated)
                }
            }
            Cond::Like {
                value: v,
                pattern,
                negated,
                case_insensitive,
            } => {
                let v = get(v).bytes?;
                let p = get(pattern).bytes?;
                let hit = if *case_insensitive {
                    like(&v.to_ascii_lowercase(), &p.to_ascii_lowercase())
                } else {
                    like(v, p)
                };
                Some(hit != *negated)
            }
        }
    }
}

fn lit_bytes(l: &Lit) -> Option<&[u8]> {
    match l {
        Lit::Null => None,
        Lit::Number(s) | Lit::Str(s) | Lit::Date(s) => Some(s.as_bytes()),
        Lit::Bool(true) => Some(b"true"),
        Lit::Bool(false) => Some(b"false"),
    }
}

fn as_bool(v: &[u8]) -> Option<bool> {
    let s = std::str::from_utf8(v).ok()?.trim().to_ascii_lowercase();
    match s.as_str() {
        "1" | "t" | "true" | "y" | "yes" | "on" => Some(true),
        "0" | "f" | "false" | "n" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn as_number(v: &[u8]) -> Option<f64> {
    std::str::from_utf8(v)
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
}

/// A date or timestamp as a sortable key: `YYYY-MM-DD HH:MM:SS.ffffff`,
/// missing parts as zeros; `T` as the separator is accepted.
fn date_key(v: &[u8]) -> Option<Vec<u8>> {
    let s = std::str::from_utf8(v).ok()?.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let mut key = b"0000-00-00 00:00:00.000000".to_vec();
    for (i, c) in b.iter().take(26).enumerate() {
        match (key[i], *c) {
            (b' ', b'T') | (b' ', b' ') => {}
            (k, c) if k.is_ascii_digit() && c.is_ascii_digit() => key[i] = c,
            (k, c) if k == c => {}
            _ => break, // time zone or the end of what is comparable
        }
    }
    Some(key)
}

fn compare(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    let (x, y) = (a.bytes?, b.bytes?);
    let is = |v: &Val<'_>, f: fn(&ColumnType) -> bool| v.ty.is_some_and(f);
    let boolish = |v: &Val<'_>| {
        matches!(v.lit, Some(Lit::Bool(_))) || is(v, |t| matches!(t, ColumnType::Boolean))
    };
    if boolish(a) || boolish(b) {
        if let (Some(p), Some(q)) = (as_bool(x), as_bool(y)) {
            return Some(p.cmp(&q));
        }
    }
    let dateish = |v: &Val<'_>| {
        matches!(v.lit, Some(Lit::Date(_)))
            || is(v, |t| matches!(t, ColumnType::Date | ColumnType::Timestamp))
    };
    if dateish(a) || dateish(b) {
        if let (Some(p), Some(q)) = (date_key(x), date_key(y)) {
            return Some(p.cmp(&q));
        }
    }
    if let (Some(p), Some(q)) = (as_number(x), as_number(y)) {
        return p.partial_cmp(&q);
    }
    if is(a, is_padded) || is(b, is_padded) {
        return Some(without_pad(x).cmp(without_pad(y)));
    }
    Some(x.cmp(y))
}

/// Is this a fixed-length character type, whose trailing spaces the
/// engine ignores when comparing? PostgreSQL `char(n)` (bpchar): pg_dump
/// writes its values blank-padded (`DE `), and `=`, `<>`, `<`, `>`, `IN`
/// and `BETWEEN` compare them without the padding (bpcharcmp), on both
/// sides, whether the other side is a literal, a `char(n)` or a
/// `varchar`. MySQL `CHAR(n)`: the server strips the padding before
/// dumping, and PAD SPACE collations (MariaDB's, MySQL 5.7's) ignore
/// trailing spaces of the other side too (MySQL 8's NO PAD default would
/// count a literal's trailing spaces, which rules hardly ever write).
/// One departure: PostgreSQL compares a `char(n)` column with a `text`
/// column as text, where the `text` side's trailing spaces count; the
/// schema reads `text` and a `varchar` without a length as one type (and
/// `varchar` compares as bpchar there), so here they never count.
///
/// LIKE is left alone: PostgreSQL matches a pattern against the padded
/// value (`'DE '::char(3) LIKE 'DE'` is false, `LIKE 'DE%'` true; checked
/// on PostgreSQL 15), and MySQL against the stripped one, which is what
/// each dump holds.
///
/// Not applied to variable-length text, although MySQL's PAD SPACE
/// collations ignore trailing spaces there too: whether they do depends
/// on a collation the schema does not record (MySQL 8's default,
/// `utf8mb4_0900_ai_ci`, is NO PAD), and PostgreSQL never does.
fn is_padded(t: &ColumnType) -> bool {
    matches!(t, ColumnType::Text { fixed: true, .. })
}

/// `v` without its trailing spaces (only U+0020, as bpchar pads).
fn without_pad(v: &[u8]) -> &[u8] {
    let n = v.iter().rposition(|&c| c != b' ').map_or(0, |i| i + 1);
    &v[..n]
}

/// SQL LIKE: `%` any run, `_` one character (UTF-8 aware), `\` escapes.
fn like(v: &[u8], p: &[u8]) -> bool {
    let v: Vec<char> = String::from_utf8_lossy(v).chars().collect();
    let p: Vec<char> = String::from_utf8_lossy(p).chars().collect();
    // Iterative matching with backtracking on the last `%`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < v.len() {
        if j < p.len() {
            match p[j] {
                '%' => {
                    star = Some((j, i));
                    j += 1;
                    continue;
                }
                '_' => {
                    i += 1;
                    j += 1;
                    continue;
                }
                '\\' if j + 1 < p.len() && p[j + 1] == v[i] => {
                    i += 1;
                    j += 2;
                    continue;
                }
                c if c != '\\' && c == v[i] => {
                    i += 1;
                    j += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sj, si)) => {
                j = sj + 1;
                i = si + 1;
                star = Some((sj, si + 1));
            }
            None => return false,
        }
    }
    p[j..].iter().all(|c| *c == '%')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;
    use crate::sql::QualifiedName;

    fn table() -> Table {
        let col = |n: &str, ty: ColumnType| Column::plain(n, ty);
        let text = |max_chars: u32, fixed: bool| ColumnType::Text {
            max_chars: Some(max_chars),
            fixed,
        };
        Table {
            name: QualifiedName {
                schema: None,
                name: "customers".into(),
            },
            columns: vec![
                col("status", ColumnType::Other("text".into())),
                col("last_login", ColumnType::Timestamp),
                col("consent", ColumnType::Boolean),
                col(
                    "balance",
                    ColumnType::Decimal {
                        precision: Some(10),
                        scale: 2,
                    },
                ),
                col(
                    "name",
                    ColumnType::Text {
                        max_chars: None,
                        fixed: false,
                    },
                ),
                col("country", text(3, true)),
                col("code", text(5, true)),
                col("city", text(20, false)),
            ],
            parents: Vec::new(),
            ancestors: Vec::new(),
        }
    }

    /// Evaluates `cond` on a row given as (status, last_login, consent,
    /// balance, name, country, code, city), `None` for NULL; columns past
    /// the row's end are NULL.
    fn holds(cond: &str, row: &[Option<&str>]) -> bool {
        let c = parse(cond).unwrap().bind(&table()).unwrap();
        c.holds(&|i| row.get(i).copied().flatten().map(str::as_bytes))
    }

    macro_rules! evaluates {
        ($name:ident, $cond:expr, $row:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!(holds($cond, &$row), $want, "{}", $cond);
            }
        };
    }

    const ROW: [Option<&str>; 5] = [
        Some("closed"),
        Some("2019-05-01 10:00:00"),
        Some("0"),
        Some("-12.50"),
        Some("O'Brien"),
    ];

    evaluates!(string_equality, "status = 'closed'", ROW, true);
    evaluates!(
        and_with_date,
        "status = 'closed' AND last_login < '2020-01-01'",
        ROW,
        true
    );
    evaluates!(date_literal, "last_login >= DATE '2019-05-01'", ROW, true);
    evaluates!(date_not_before, "last_login < '2019-05-01'", ROW, false);
    evaluates!(numbers_compare_as_numbers, "balance < -2", ROW, true);
    evaluates!(mysql_boolean_against_false, "consent = false", ROW, true);
    evaluates!(
        postgres_boolean_spelling,
        "consent = 0",
        [None, None, Some("f"), None, None],
        true
    );
    evaluates!(
        postgres_true_spelling,
        "consent = TRUE",
        [None, None, Some("t"), None, None],
        true
    );
    evaluates!(in_list, "status IN ('open', 'closed')", ROW, true);
    evaluates!(not_in_list, "status NOT IN ('open', 'closed')", ROW, false);
    evaluates!(like, "name LIKE 'O''B%'", ROW, true);
    evaluates!(like_underscore, "name LIKE 'O_Brien'", ROW, true);
    evaluates!(ilike, "status ILIKE 'CLO%'", ROW, true);
    evaluates!(between, "balance BETWEEN -20 AND 0", ROW, true);
    evaluates!(
        parentheses_and_or,
        "(status = 'open' OR balance < 0) AND NOT consent = 1",
        ROW,
        true
    );
    evaluates!(null_comparison_is_unknown, "consent = 0", [None; 5], false);
    evaluates!(
        not_of_unknown_is_unknown,
        "NOT consent = 0",
        [None; 5],
        false
    );
    evaluates!(is_null, "consent IS NULL", [None; 5], true);
    evaluates!(is_not_null, "consent IS NOT NULL", ROW, true);
    evaluates!(
        or_with_unknown_and_true,
        "consent = 1 OR status = 'closed'",
        [Some("closed"), None, None, None, None],
        true
    );
    evaluates!(
        quoted_column,
        "`status` = 'closed' AND \"status\" != 'open'",
        ROW,
        true
    );

    /// A row as pg_dump writes `char(3)`, `char(5)` and `varchar(20)`
    /// values: (country, code, city).
    const fn padded(
        country: Option<&'static str>,
        code: Option<&'static str>,
        city: Option<&'static str>,
    ) -> [Option<&'static str>; 8] {
        [None, None, None, None, None, country, code, city]
    }

    const DE: [Option<&str>; 8] = padded(Some("DE "), Some("AB   "), Some("Oslo "));

    // What PostgreSQL 15 answers for the same values and conditions
    // (`'DE '::char(3) = 'DE'` and so on).
    evaluates!(char_equals_without_padding, "country = 'DE'", DE, true);
    evaluates!(
        char_equals_literal_with_more_padding,
        "country = 'DE  '",
        DE,
        true
    );
    evaluates!(char_not_equal_without_padding, "country <> 'DE'", DE, false);
    evaluates!(char_in_list, "country IN ('FR', 'DE')", DE, true);
    evaluates!(char_not_in_list, "country NOT IN ('FR', 'DE')", DE, false);
    evaluates!(char_greater_ignores_padding, "country > 'DE'", DE, false);
    evaluates!(char_at_least, "country >= 'DE'", DE, true);
    evaluates!(char_at_most, "country <= 'DE'", DE, true);
    evaluates!(
        char_less_than_a_control_byte_after_it,
        "country < 'DE\u{1}'",
        DE,
        true
    );
    evaluates!(char_between, "country BETWEEN 'DE' AND 'DE'", DE, true);
    evaluates!(
        char_between_wider,
        "country NOT BETWEEN 'CZ' AND 'DK'",
        DE,
        false
    );
    evaluates!(char_like_sees_padding, "country LIKE 'DE'", DE, false);
    evaluates!(
        char_like_pattern_for_padding,
        "country LIKE 'DE_'",
        DE,
        true
    );
    evaluates!(char_ilike_sees_padding, "country ILIKE 'de'", DE, false);
    evaluates!(
        char_only_spaces_are_padding,
        "country = 'DE'",
        padded(Some("DE\t"), None, None),
        false
    );
    evaluates!(
        char_all_spaces_equals_empty,
        "country = ''",
        padded(Some("   "), None, None),
        true
    );
    evaluates!(
        char_columns_of_different_lengths,
        "code = country",
        padded(Some("AB "), Some("AB   "), None),
        true
    );
    evaluates!(
        char_against_varchar_column,
        "country = city",
        padded(Some("DE "), None, Some("DE")),
        true
    );
    evaluates!(
        char_null_is_unknown,
        "country <> 'DE'",
        padded(None, None, None),
        false
    );
    evaluates!(varchar_keeps_trailing_spaces, "city = 'Oslo'", DE, false);
    evaluates!(literals_keep_trailing_spaces, "'DE ' = 'DE'", DE, false);

    #[test]
    fn errors_point_at_the_offset() {
        assert_eq!(parse("status = ").unwrap_err().at, 9);
        assert_eq!(parse("status == 'x'").unwrap_err().at, 8);
        assert_eq!(parse("status = 'x").unwrap_err().at, 9);
        assert_eq!(parse("status 'x'").unwrap_err().at, 7);
    }

    #[test]
    fn operators_before_multibyte_text_do_not_split_characters() {
        // `é` is a name (a column), so this is a comparison.
        assert!(matches!(parse("a <é"), Ok(Cond::Cmp(_, CmpOp::Lt, _))));
        assert!(parse("a <'é'").is_ok());
        assert!(parse("a<>'é'").is_ok());
        assert_eq!(parse("a !é").unwrap_err().at, 2);
    }

    #[test]
    fn unknown_column_is_named() {
        let e = parse("statsu = 'x'").unwrap().bind(&table()).unwrap_err();
        assert!(e.contains("`statsu`") && e.contains("status"), "{e}");
    }
}
