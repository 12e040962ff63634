//! The transformer library beyond the basics: keyed pseudonyms, format-
//! preserving masks, noise, and structural transformers (template, JSON,
//! regex).
//!
//! Every keyed transformer derives its output from one PRF call on
//! (secret, domain, value) (format-preserving ones from a keyed Feistel
//! permutation), so the same input gives the same output in every table,
//! run and thread. A value a transformer cannot read is an error, never
//! passed through.

use std::sync::Arc;

use super::fake::{self, Draw};
use super::fpe::{self, Class};
use super::transform::{Outcome, Prf, Row, Transform, TransformError};

fn err(what: &str) -> TransformError {
    TransformError(what.to_string())
}

/// A value the format-preserving mask cannot transform, for transformer
/// `name`.
fn refused(name: &str, r: fpe::Refusal) -> TransformError {
    TransformError(r.message(name))
}

/// Cuts `s` to at most `max` characters (on a character boundary).
fn cut_chars(s: &mut String, max: Option<usize>) {
    if let Some(max) = max {
        if let Some((i, _)) = s.char_indices().nth(max) {
            s.truncate(i);
        }
    }
}

/// Which stand-in a [`Fake`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeKind {
    /// `first_name`
    FirstName,
    /// `last_name`
    LastName,
    /// `full_name`
    FullName,
    /// `username`
    Username,
    /// `city`
    City,
    /// `street`
    Street,
    /// `address`
    Address,
    /// `company`
    Company,
}

/// Names, places, companies: realistic keyed pseudonyms.
#[derive(Debug)]
pub struct Fake {
    /// The keyed PRF.
    pub prf: Arc<Prf>,
    /// Domain separation.
    pub domain: String,
    /// What to write.
    pub kind: FakeKind,
    /// The column's length limit in characters.
    pub max_chars: Option<usize>,
}

impl Transform for Fake {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        let bytes = self.prf.derive(self.domain.as_bytes(), v, 0);
        let mut d = Draw::new(&bytes);
        let mut s = match self.kind {
            FakeKind::FirstName => fake::first_name(&mut d),
            FakeKind::LastName => fake::last_name(&mut d),
            FakeKind::FullName => {
                format!("{} {}", fake::first_name(&mut d), fake::last_name(&mut d))
            }
            FakeKind::Username => fake::username(&mut d),
            FakeKind::City => fake::city(&mut d),
            FakeKind::Street => fake::street(&mut d),
            FakeKind::Address => fake::address(&mut d),
            FakeKind::Company => fake::company(&mut d),
        };
        cut_chars(&mut s, self.max_chars);
        out.extend_from_slice(s.as_bytes());
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        match self.kind {
            FakeKind::FirstName => "first_name",
            FakeKind::LastName => "last_name",
            FakeKind::FullName => "full_name",
            FakeKind::Username => "username",
            FakeKind::City => "city",
            FakeKind::Street => "street",
            FakeKind::Address => "address",
            FakeKind::Company => "company",
        }
    }
}

/// `email`: `first.last42@example.com`-like pseudonyms; with `unique`, a
/// format-preserving encryption of the address (local part only when the
/// domain is kept), which never maps two addresses to one.
#[derive(Debug)]
pub struct Email {
    /// The keyed PRF.
    pub prf: Arc<Prf>,
    /// Domain separation.
    pub domain: String,
    /// Keep the original domain.
    pub keep_domain: bool,
    /// Promise distinct outputs.
    pub unique: bool,
    /// The column's length limit.
    pub max_chars: Option<usize>,
}

impl Transform for Email {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        let at = v.iter().rposition(|&b| b == b'@');
        if self.unique {
            let start = out.len();
            match (self.keep_domain, at) {
                (true, Some(at)) => {
                    // The domain is part of the tweak: the same local part
                    // at two domains maps differently, and stays unique.
                    let mut tweak = self.domain.as_bytes().to_vec();
                    tweak.push(0);
                    tweak.extend_from_slice(&v[at..]);
                    fpe::mask(&self.prf, &tweak, &v[..at], true, out)
                        .map_err(|r| refused("email", r))?;
                    out.extend_from_slice(&v[at..]);
                }
                _ => fpe::mask(&self.prf, self.domain.as_bytes(), v, true, out)
                    .map_err(|r| refused("email", r))?,
            }
            // The local part names the person: one with no letter or digit
            // to encrypt (`😀@example.com`) would come out as it went in.
            let local = at.unwrap_or(v.len());
            if local > 0 && out.get(start..start + local) == Some(&v[..local]) {
                out.truncate(start);
                return Err(TransformError(
                    "email (unique): the address's local part has no letter or digit to encrypt, so it would stay as it is".into(),
                ));
            }
            return Ok(Outcome::Value);
        }
        let bytes = self.prf.derive(self.domain.as_bytes(), v, 0);
        let mut d = Draw::new(&bytes);
        let first = fake::first_name(&mut d).to_lowercase();
        let last = fake::last_name(&mut d).to_lowercase();
        let n = d.below(1000);
        let domain = match (self.keep_domain, at) {
            (true, Some(at)) => String::from_utf8_lossy(&v[at + 1..]).into_owned(),
            _ => ["example.com", "example.net", "example.org"][d.below(3)].to_string(),
        };
        let mut local = format!("{first}.{last}{n}");
        if let Some(max) = self.max_chars {
            let room = max.saturating_sub(domain.chars().count() + 1).max(1);
            cut_chars(&mut local, Some(room));
        }
        out.extend_from_slice(format!("{local}@{domain}").as_bytes());
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "email"
    }
}

/// `mask` and `phone`: format-preserving encryption of digits (and, for
/// `mask`, letters in their case); punctuation and length stay. A
/// bijection, so it promises uniqueness.
#[derive(Debug)]
pub struct Mask {
    /// The keyed PRF.
    pub prf: Arc<Prf>,
    /// Domain separation.
    pub domain: String,
    /// Letters are masked too (`mask`), or only digits (`phone`).
    pub letters: bool,
}

impl Transform for Mask {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        fpe::mask(&self.prf, self.domain.as_bytes(), v, self.letters, out)
            .map_err(|r| refused(self.name(), r))?;
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        if self.letters {
            "mask"
        } else {
            "phone"
        }
    }
}

/// `partial`: keeps the first and last characters, fills the middle.
#[derive(Debug)]
pub struct Partial {
    /// Characters kept at the start.
    pub keep_first: usize,
    /// Characters kept at the end.
    pub keep_last: usize,
    /// What replaces each middle character.
    pub fill: char,
}

impl Transform for Partial {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        let s = String::from_utf8_lossy(v);
        let n = s.chars().count();
        // A value too short to hide anything is filled whole.
        let (first, last) = if self.keep_first + self.keep_last >= n {
            (0, 0)
        } else {
            (self.keep_first, self.keep_last)
        };
        let masked: String = s
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i < first || i >= n - last {
                    c
                } else {
                    self.fill
                }
            })
            .collect();
        out.extend_from_slice(masked.as_bytes());
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "partial"
    }
}

/// `truncate`: keeps the first `length` characters.
#[derive(Debug)]
pub struct Truncate {
    /// Characters kept.
    pub length: usize,
}

impl Transform for Truncate {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        let mut s = String::from_utf8_lossy(v).into_owned();
        cut_chars(&mut s, Some(self.length));
        out.extend_from_slice(s.as_bytes());
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "truncate"
    }
}

/// `uuid`: a version-4 UUID; a UUID input is encrypted (122 bits, the
/// version and variant bits kept), which promises uniqueness.
#[derive(Debug)]
pub struct Uuid {
    /// The keyed PRF.
    pub prf: Arc<Prf>,
    /// Domain separation.
    pub domain: String,
    /// Distinct outputs promised: only UUID inputs (encrypted) qualify;
    /// anything else would go through a hash.
    pub unique: bool,
}

fn parse_uuid(v: &[u8]) -> Option<u128> {
    let hex: Vec<u8> = v.iter().copied().filter(|b| *b != b'-').collect();
    if hex.len() != 32 || v.len() != 36 && v.len() != 32 {
        return None;
    }
    u128::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()
}

fn write_uuid(x: u128, out: &mut Vec<u8>) {
    let h = format!("{x:032x}");
    out.extend_from_slice(
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
        .as_bytes(),
    );
}

impl Transform for Uuid {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        // Bits 76..79 hold the version, 62..63 the variant.
        const FIXED: u128 = (0xf << 76) | (0x3 << 62);
        match parse_uuid(v) {
            Some(x) => {
                // Pack the 122 free bits, permute them, unpack.
                let free: Vec<u32> = (0..128).filter(|b| FIXED >> b & 1 == 0).collect();
                let mut packed: u128 = 0;
                for (i, b) in free.iter().enumerate() {
                    packed |= (x >> b & 1) << i;
                }
                let y = fpe::Permutation::new(&self.prf, self.domain.as_bytes(), 1 << 122)
                    .apply(packed);
                let mut z = x & FIXED;
                for (i, b) in free.iter().enumerate() {
                    z |= (y >> i & 1) << b;
                }
                write_uuid(z, out);
            }
            None if self.unique => {
                return Err(err(
                    "not a UUID; `unique = true` keeps its promise only for UUIDs",
                ));
            }
            None => {
                let d = self.prf.derive(self.domain.as_bytes(), v, 0);
                let x = u128::from_le_bytes(d[..16].try_into().unwrap_or([0; 16]));
                write_uuid((x & !FIXED) | (0x4 << 76) | (0x2 << 62), out);
            }
        }
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "uuid"
    }
}

/// `ipv4` / `ipv6`: an address of the same family; the first
/// `keep_prefix` bits stay, the rest is encrypted (a bijection).
#[derive(Debug)]
pub struct Ip {
    /// The keyed PRF.
    pub prf: Arc<Prf>,
    /// Domain separation.
    pub domain: String,
    /// Network bits kept.
    pub keep_prefix: u32,
}

impl Transform for Ip {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        let s = std::str::from_utf8(v)
            .map_err(|_| err("not an IP address"))?
            .trim();
        // PostgreSQL inet/cidr values may carry a netmask: it stays.
        let (s, netmask) = match s.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (s, None),
        };
        let addr: std::net::IpAddr = s.parse().map_err(|_| err("not an IP address"))?;
        let (bits, x): (u32, u128) = match addr {
            std::net::IpAddr::V4(a) => (32, u32::from(a) as u128),
            std::net::IpAddr::V6(a) => (128, u128::from(a)),
        };
        if self.keep_prefix >= bits {
            // Every bit would be kept: the address would come out as it
            // went in.
            return Err(err(
                "`keep_prefix` covers the whole address, so nothing of it would change",
            ));
        }
        let host_bits = (bits - self.keep_prefix).min(126);
        let host_mask: u128 = if host_bits == 0 {
            0
        } else {
            (1u128 << host_bits) - 1
        };
        let mut tweak = self.domain.as_bytes().to_vec();
        tweak.extend_from_slice(&(x & !host_mask).to_le_bytes());
        let host = fpe::Permutation::new(&self.prf, &tweak, host_mask + 1).apply(x & host_mask);
        let y = (x & !host_mask) | host;
        let text = match addr {
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::from(y as u32).to_string(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::from(y).to_string(),
        };
        out.extend_from_slice(text.as_bytes());
        if let Some(m) = netmask {
            out.push(b'/');
            out.extend_from_slice(m.as_bytes());
        }
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "ip"
    }
}

/// ISO 7064 mod 97-10 check digits of an IBAN with `00` in their place.
fn iban_check(country: &[u8], bban: &[u8]) -> Option<u32> {
    let mut rem: u32 = 0;
    for &c in bban.iter().chain(country).chain(b"00") {
        let v = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'A'..=b'Z' => (c - b'A') as u32 + 10,
            _ => return None,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    Some(98 - rem)
}

/// `iban`: same country, masked account part, valid check digits.
#[derive(Debug)]
pub struct Iban {
    /// The keyed PRF.
    pub prf: Arc<Prf>,
    /// Domain separation.
    pub domain: String,
}

impl Transform for Iban {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        let compact: Vec<u8> = v
            .iter()
            .copied()
            .filter(|b| *b != b' ')
            .map(|b| b.to_ascii_uppercase())
            .collect();
        if compact.len() < 5
            || !compact[..2].iter().all(u8::is_ascii_uppercase)
            || !compact.iter().all(u8::is_ascii_alphanumeric)
        {
            return Err(err("not an IBAN"));
        }
        let mut bban = Vec::new();
        let mut tweak = self.domain.as_bytes().to_vec();
        tweak.extend_from_slice(&compact[..2]);
        fpe::mask(&self.prf, &tweak, &compact[4..], true, &mut bban)
            .map_err(|r| refused("iban", r))?;
        let check = iban_check(&compact[..2], &bban).ok_or_else(|| err("not an IBAN"))?;
        let mut iban = compact[..2].to_vec();
        iban.extend_from_slice(format!("{check:02}").as_bytes());
        iban.extend_from_slice(&bban);
        // Keep the input's grouping in fours when it had spaces.
        if v.contains(&b' ') {
            for (i, chunk) in iban.chunks(4).enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(chunk);
            }
        } else {
            out.extend_from_slice(&iban);
        }
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "iban"
    }
}

/// The Luhn check digit for `digits` (without it).
pub(crate) fn luhn_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = (d - b'0') as u32;
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// `credit_card`: a Luhn-valid number of the same length and grouping;
/// with `keep_last4` the last four digits stay.
#[derive(Debug)]
pub struct CreditCard {
    /// The keyed PRF.
    pub prf: Arc<Prf>,
    /// Domain separation.
    pub domain: String,
    /// Keep the last four digits.
    pub keep_last4: bool,
}

impl Transform for CreditCard {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        let digits: Vec<usize> = v
            .iter()
            .enumerate()
            .filter(|(_, b)| b.is_ascii_digit())
            .map(|(i, _)| i)
            .collect();
        if digits.len() < 12 || digits.len() > 19 {
            return Err(err("not a card number"));
        }
        // Only ASCII digits are encrypted: digits of another script (or
        // bytes that are not UTF-8, which may be latin1 ones) would be
        // written back as they are.
        if !v.is_ascii()
            && std::str::from_utf8(v)
                .map_or(true, |s| s.chars().any(|c| !c.is_ascii() && c.is_numeric()))
        {
            return Err(err(
                "not a card number: it holds digits other than ASCII ones",
            ));
        }
        let mut w = v.to_vec();
        let n = digits.len();
        // Encrypt the payload; the check digit (or, keeping the last four,
        // the digit before them) is recomputed so the number stays valid.
        let (free, fixer) = if self.keep_last4 {
            (&digits[..n - 5], n - 5)
        } else {
            (&digits[..n - 1], n - 1)
        };
        let positions: Vec<(usize, Class)> = free.iter().map(|&p| (p, Class::DIGIT)).collect();
        fpe::encrypt_positions(&self.prf, self.domain.as_bytes(), &mut w, &positions)
            .map_err(|r| refused("credit_card", r))?;
        if self.keep_last4 {
            // Choose the fixer digit so the whole number passes Luhn.
            for d in b'0'..=b'9' {
                w[digits[fixer]] = d;
                let all: Vec<u8> = digits.iter().map(|&p| w[p]).collect();
                if luhn_digit(&all[..n - 1]) == all[n - 1] {
                    break;
                }
            }
        } else {
            let payload: Vec<u8> = digits[..n - 1].iter().map(|&p| w[p]).collect();
            w[digits[n - 1]] = luhn_digit(&payload);
        }
        out.extend_from_slice(&w);
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "credit_card"
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

/// `date_shift`: moves a date or timestamp by a keyed number of days in
/// `[-days, +days]`, keeping the text after the date (time, fraction, time
/// zone) as it is, so the value keeps its format and stays valid.
#[derive(Debug)]
pub struct DateShift {
    /// The keyed PRF.
    pub prf: Arc<Prf>,
    /// Domain separation.
    pub domain: String,
    /// Largest shift in days.
    pub days: u32,
}

impl Transform for DateShift {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        let bad = || err("not a date (YYYY-MM-DD...)");
        if matches!(v, b"infinity" | b"-infinity") {
            // PostgreSQL's special dates say nothing about anyone.
            return Ok(Outcome::Keep);
        }
        if v.len() < 10 || v[4] != b'-' || v[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            std::str::from_utf8(&v[r]).ok()?.parse().ok()
        };
        let (y, m, d) = (
            num(0..4).ok_or_else(bad)?,
            num(5..7).ok_or_else(bad)?,
            num(8..10).ok_or_else(bad)?,
        );
        if y == 0 && m == 0 && d == 0 {
            // MySQL's zero date says nothing about anyone.
            return Ok(Outcome::Keep);
        }
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return Err(bad());
        }
        let bytes = self.prf.derive(self.domain.as_bytes(), v, 0);
        let span = 2 * self.days as u64 + 1;
        let shift = (u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8])) % span) as i64
            - self.days as i64;
        let (ny, nm, nd) = civil_from_days(days_from_civil(y as i64, m, d) + shift);
        if !(1..=9999).contains(&ny) {
            return Err(err("date out of range after the shift"));
        }
        out.extend_from_slice(format!("{ny:04}-{nm:02}-{nd:02}").as_bytes());
        out.extend_from_slice(&v[10..]);
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "date_shift"
    }
}

/// `number_noise`: multiplies by a keyed factor in `[1 - p%, 1 + p%]`,
/// keeping the number of decimals and the sign; clamped to what the column
/// holds (DECIMAL precision, integer width).
#[derive(Debug)]
pub struct NumberNoise {
    /// The keyed PRF.
    pub prf: Arc<Prf>,
    /// Domain separation.
    pub domain: String,
    /// Largest change in percent.
    pub percent: f64,
    /// Largest absolute value the column holds.
    pub max_abs: f64,
}

impl Transform for NumberNoise {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        let s = std::str::from_utf8(v)
            .map_err(|_| err("not a number"))?
            .trim();
        let x: f64 = s.parse().map_err(|_| err("not a number"))?;
        let decimals = s.split_once('.').map_or(0, |(_, f)| f.len());
        let bytes = self.prf.derive(self.domain.as_bytes(), v, 0);
        let r =
            u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8])) as f64 / u64::MAX as f64;
        let factor = 1.0 + (2.0 * r - 1.0) * self.percent / 100.0;
        let y = (x * factor).clamp(-self.max_abs, self.max_abs);
        // The sign stays: noise never turns a credit into a debit.
        let y = if x >= 0.0 { y.max(0.0) } else { y.min(0.0) };
        out.extend_from_slice(format!("{y:.decimals$}").as_bytes());
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "number_noise"
    }
}

/// `regex`: replaces every match of a pattern.
#[derive(Debug)]
pub struct RegexReplace {
    /// The pattern.
    pub re: regex::bytes::Regex,
    /// The replacement (`$1` refers to groups).
    pub replacement: Vec<u8>,
}

impl Transform for RegexReplace {
    fn apply(
        &self,
        input: Option<&[u8]>,
        _: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        out.extend_from_slice(&self.re.replace_all(v, self.replacement.as_slice()));
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "regex"
    }
}

/// One part of a template.
#[derive(Debug)]
pub enum TemplatePart {
    /// Literal text.
    Text(String),
    /// A column of the row: its original value, or its rewritten one
    /// (computed with that column's own transformer, so it matches what
    /// the row holds).
    Column {
        /// Table column index.
        index: usize,
        /// The column's transformer, for the rewritten value.
        transform: Option<Arc<dyn Transform>>,
    },
}

/// `template`: builds a value from the row's columns.
#[derive(Debug)]
pub struct Template {
    /// The parts, in order.
    pub parts: Vec<TemplatePart>,
    /// The column's length limit.
    pub max_chars: Option<usize>,
}

impl Transform for Template {
    fn apply(
        &self,
        _: Option<&[u8]>,
        row: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let mut s = Vec::new();
        for p in &self.parts {
            match p {
                TemplatePart::Text(t) => s.extend_from_slice(t.as_bytes()),
                TemplatePart::Column { index, transform } => {
                    let original = row.original(*index);
                    match transform {
                        None => s.extend_from_slice(original.unwrap_or_default()),
                        Some(t) => {
                            let mut buf = Vec::new();
                            match t.apply(original, row, &mut buf)? {
                                Outcome::Value => s.extend_from_slice(&buf),
                                Outcome::Keep => s.extend_from_slice(original.unwrap_or_default()),
                                Outcome::Null | Outcome::Default => {}
                            }
                        }
                    }
                }
            }
        }
        let mut text = String::from_utf8_lossy(&s).into_owned();
        cut_chars(&mut text, self.max_chars);
        out.extend_from_slice(text.as_bytes());
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "template"
    }
}

/// A step of a JSON path: `$.a.b`, `$.items[*].email`, `$.list[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// An object member.
    Key(String),
    /// Every array element.
    Each,
    /// One array element.
    Index(usize),
}

/// Parses `$.a.b[*].c`.
pub fn parse_path(p: &str) -> Result<Vec<PathStep>, String> {
    let rest = p
        .strip_prefix('$')
        .ok_or_else(|| format!("JSON path `{p}` must start with `$`"))?;
    let mut steps = Vec::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut key = String::new();
                while let Some(&n) = chars.peek() {
                    if n == '.' || n == '[' {
                        break;
                    }
                    key.push(n);
                    chars.next();
                }
                if key.is_empty() {
                    return Err(format!("JSON path `{p}` has an empty key"));
                }
                steps.push(PathStep::Key(key));
            }
            '[' => {
                let mut inner = String::new();
                for n in chars.by_ref() {
                    if n == ']' {
                        break;
                    }
                    inner.push(n);
                }
                let inner = inner.trim();
                if inner == "*" {
                    steps.push(PathStep::Each);
                } else if let Ok(i) = inner.parse() {
                    steps.push(PathStep::Index(i));
                } else {
                    let key = inner.trim_matches(|c| c == '\'' || c == '"').to_string();
                    steps.push(PathStep::Key(key));
                }
            }
            _ => return Err(format!("JSON path `{p}`: unexpected `{c}`")),
        }
    }
    Ok(steps)
}

/// `json`: applies transformers to paths inside a JSON value; the result
/// stays valid JSON, keys keep their order and unknown keys stay.
#[derive(Debug)]
pub struct Json {
    /// Paths and their transformers.
    pub paths: Vec<(Vec<PathStep>, Arc<dyn Transform>)>,
}

fn walk(
    v: &mut serde_json::Value,
    steps: &[PathStep],
    t: &dyn Transform,
    row: &dyn Row,
) -> Result<(), TransformError> {
    let Some((step, rest)) = steps.split_first() else {
        // A leaf: strings and numbers go through the transformer as their
        // text; the output is a string (or null).
        let text = match &*v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            // A whole object or array under a path is replaced by what the
            // transformer makes of its JSON text.
            other => Some(other.to_string()),
        };
        let mut out = Vec::new();
        match t.apply(text.as_deref().map(str::as_bytes), row, &mut out)? {
            Outcome::Keep => {}
            Outcome::Null | Outcome::Default => *v = serde_json::Value::Null,
            Outcome::Value => {
                let s = String::from_utf8_lossy(&out).into_owned();
                *v = match &*v {
                    serde_json::Value::Number(_) => s
                        .parse::<serde_json::Number>()
                        .map_or(serde_json::Value::String(s), serde_json::Value::Number),
                    _ => serde_json::Value::String(s),
                };
            }
        }
        return Ok(());
    };
    match (step, v) {
        (PathStep::Key(k), serde_json::Value::Object(m)) => {
            if let Some(child) = m.get_mut(k) {
                walk(child, rest, t, row)?;
            }
        }
        (PathStep::Each, serde_json::Value::Array(a)) => {
            for child in a {
                walk(child, rest, t, row)?;
            }
        }
        (PathStep::Index(i), serde_json::Value::Array(a)) => {
            if let Some(child) = a.get_mut(*i) {
                walk(child, rest, t, row)?;
            }
        }
        _ => {}
    }
    Ok(())
}

impl Transform for Json {
    fn apply(
        &self,
        input: Option<&[u8]>,
        row: &dyn Row,
        out: &mut Vec<u8>,
    ) -> Result<Outcome, TransformError> {
        let Some(v) = input else {
            return Ok(Outcome::Null);
        };
        let mut doc: serde_json::Value =
            serde_json::from_slice(v).map_err(|_| err("not valid JSON"))?;
        for (path, t) in &self.paths {
            walk(&mut doc, path, t.as_ref(), row)?;
        }
        let text = serde_json::to_string(&doc).map_err(|_| err("cannot write JSON"))?;
        out.extend_from_slice(text.as_bytes());
        Ok(Outcome::Value)
    }
    fn name(&self) -> &'static str {
        "json"
    }
    fn json_paths(&self) -> Option<&[super::transform::JsonPath]> {
        Some(&self.paths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::transform::NoRow;

    fn prf() -> Arc<Prf> {
        Arc::new(Prf::new(b"test-key"))
    }

    fn run(t: &dyn Transform, v: &str) -> String {
        let mut out = Vec::new();
        assert_eq!(
            t.apply(Some(v.as_bytes()), &NoRow, &mut out).unwrap(),
            Outcome::Value
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn email_pseudonyms() {
        let e = Email {
            prf: prf(),
            domain: "email".into(),
            keep_domain: true,
            unique: false,
            max_chars: Some(40),
        };
        let a = run(&e, "alice@corp.example");
        assert!(a.ends_with("@corp.example") && a.len() <= 40, "{a}");
        assert_eq!(a, run(&e, "alice@corp.example"));
        let u = Email {
            prf: prf(),
            domain: "email".into(),
            keep_domain: false,
            unique: true,
            max_chars: None,
        };
        let b = run(&u, "Alice.Smith@example.com");
        assert_eq!(b.len(), 23);
        assert_ne!(b, "Alice.Smith@example.com");
        assert_eq!(b.as_bytes()[11], b'@');
    }

    #[test]
    fn a_unique_email_whose_local_part_cannot_change_is_refused() {
        for keep_domain in [true, false] {
            let u = Email {
                prf: prf(),
                domain: "email".into(),
                keep_domain,
                unique: true,
                max_chars: None,
            };
            let mut out = b"kept".to_vec();
            let e = u
                .apply(Some("😀.-@ex.com".as_bytes()), &NoRow, &mut out)
                .unwrap_err();
            assert!(!e.0.contains("😀"), "{}", e.0);
            assert_eq!(out, b"kept", "nothing written on a refusal");
        }
    }

    #[test]
    fn unique_emails_never_collide() {
        let u = Email {
            prf: prf(),
            domain: "email".into(),
            keep_domain: true,
            unique: true,
            max_chars: None,
        };
        let mut seen = std::collections::HashSet::new();
        for i in 0..20_000 {
            assert!(seen.insert(run(&u, &format!("user{i}@example.com"))));
        }
    }

    #[test]
    fn phone_keeps_its_format() {
        let p = Mask {
            prf: prf(),
            domain: "phone".into(),
            letters: false,
        };
        let out = run(&p, "+1 (555) 010-6000 ext");
        assert_eq!(out.len(), 21);
        assert!(out.starts_with('+') && out.ends_with(" ext"));
        assert_eq!(&out[2..4], " (");
    }

    #[test]
    fn partial_keeps_the_ends() {
        let p = Partial {
            keep_first: 2,
            keep_last: 2,
            fill: '*',
        };
        assert_eq!(run(&p, "1234567890"), "12******90");
        assert_eq!(run(&p, "abc"), "***");
    }

    #[test]
    fn uuid_stays_a_uuid_and_is_a_bijection() {
        let u = Uuid {
            prf: prf(),
            domain: "uuid".into(),
            unique: false,
        };
        let a = run(&u, "123e4567-e89b-42d3-a456-426614174000");
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_ne!(a, run(&u, "123e4567-e89b-42d3-a456-426614174001"));
        let v = run(&u, "not a uuid");
        assert_eq!(v.len(), 36);
        let unique = Uuid { unique: true, ..u };
        let mut out = Vec::new();
        assert!(unique.apply(Some(b"not a uuid"), &NoRow, &mut out).is_err());
    }

    #[test]
    fn ip_keeps_family_and_prefix() {
        let ip = Ip {
            prf: prf(),
            domain: "ip".into(),
            keep_prefix: 24,
        };
        let a = run(&ip, "192.168.1.10");
        assert!(a.starts_with("192.168.1."), "{a}");
        let v6 = Ip {
            prf: prf(),
            domain: "ip".into(),
            keep_prefix: 0,
        };
        let b = run(&v6, "2001:db8::1");
        assert!(b.parse::<std::net::Ipv6Addr>().is_ok(), "{b}");
        let mut out = Vec::new();
        assert!(ip.apply(Some(b"nope"), &NoRow, &mut out).is_err());
    }

    #[test]
    fn iban_has_valid_check_digits() {
        let t = Iban {
            prf: prf(),
            domain: "iban".into(),
        };
        let out = run(&t, "GB82 WEST 1234 5698 7654 32");
        let compact: Vec<u8> = out.bytes().filter(|b| *b != b' ').collect();
        assert_eq!(&compact[..2], b"GB");
        assert_eq!(
            iban_check(&compact[..2], &compact[4..]).unwrap(),
            std::str::from_utf8(&compact[2..4])
                .unwrap()
                .parse::<u32>()
                .unwrap()
        );
        // The known-good example validates the check computation itself.
        assert_eq!(iban_check(b"GB", b"WEST12345698765432"), Some(82));
    }

    #[test]
    fn card_numbers_are_luhn_valid() {
        let t = CreditCard {
            prf: prf(),
            domain: "cc".into(),
            keep_last4: false,
        };
        let out = run(&t, "4111-1111-1111-1111");
        let d: Vec<u8> = out.bytes().filter(u8::is_ascii_digit).collect();
        assert_eq!(luhn_digit(&d[..15]), d[15]);
        assert_eq!(&out[4..5], "-");
        let k = CreditCard {
            prf: prf(),
            domain: "cc".into(),
            keep_last4: true,
        };
        let out = run(&k, "4111111111111111");
        assert!(out.ends_with("1111"));
        let d = out.as_bytes();
        assert_eq!(luhn_digit(&d[..15]), d[15]);
    }

    #[test]
    fn date_shift_keeps_format_and_range() {
        let t = DateShift {
            prf: prf(),
            domain: "d".into(),
            days: 30,
        };
        let out = run(&t, "2024-02-29 12:34:56.789+02");
        assert!(out.ends_with(" 12:34:56.789+02"), "{out}");
        let (y, m, d) = (&out[..4], &out[5..7], &out[8..10]);
        let days = days_from_civil(y.parse().unwrap(), m.parse().unwrap(), d.parse().unwrap())
            - days_from_civil(2024, 2, 29);
        assert!(days.abs() <= 30);
        for z in [-719_468i64, 0, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        let mut out = Vec::new();
        assert!(t.apply(Some(b"soon"), &NoRow, &mut out).is_err());
    }

    #[test]
    fn number_noise_keeps_scale_and_sign() {
        let t = NumberNoise {
            prf: prf(),
            domain: "n".into(),
            percent: 10.0,
            max_abs: 1e10,
        };
        let out = run(&t, "-1234.50");
        let v: f64 = out.parse().unwrap();
        assert!(
            out.starts_with('-') && out.split('.').nth(1).unwrap().len() == 2,
            "{out}"
        );
        assert!((v + 1234.5).abs() <= 123.46, "{out}");
    }

    #[test]
    fn json_paths_keep_the_rest() {
        let email = Arc::new(Email {
            prf: prf(),
            domain: "email".into(),
            keep_domain: false,
            unique: false,
            max_chars: None,
        });
        let j = Json {
            paths: vec![
                (parse_path("$.email").unwrap(), email.clone()),
                (parse_path("$.contacts[*].email").unwrap(), email),
            ],
        };
        let out = run(
            &j,
            r#"{"z":1,"email":"a@b.c","contacts":[{"email":"x@y.z","keep":true}],"a":null}"#,
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_ne!(v["email"], "a@b.c");
        assert_ne!(v["contacts"][0]["email"], "x@y.z");
        assert_eq!(v["contacts"][0]["keep"], true);
        assert!(
            out.starts_with(r#"{"z":1,"email":"#),
            "key order kept: {out}"
        );
        let mut o = Vec::new();
        assert!(j.apply(Some(b"{not json"), &NoRow, &mut o).is_err());
    }

    #[test]
    fn fake_respects_length() {
        let f = Fake {
            prf: prf(),
            domain: "full_name".into(),
            kind: FakeKind::FullName,
            max_chars: Some(5),
        };
        assert!(run(&f, "Alice Smith").chars().count() <= 5);
    }

    /// Outputs of the code before Unicode support (commit 33b43c6) for
    /// ASCII values: they must never change.
    #[test]
    fn ascii_outputs_are_unchanged_from_before_unicode() {
        let prf = Arc::new(Prf::new(b"regression-key"));
        let email = |keep_domain, unique| Email {
            prf: prf.clone(),
            domain: "email".into(),
            keep_domain,
            unique,
            max_chars: None,
        };
        let vectors: [(&dyn Transform, &str, &str); 16] = [
            (
                &email(true, true),
                "Alice.Smith@example.com",
                "Pjpih.Zgutv@example.com",
            ),
            (
                &email(true, true),
                "bob+tag@Corp.Example.ORG",
                "vsb+fgq@Corp.Example.ORG",
            ),
            (&email(true, true), "no-at-sign", "ge-hq-gseh"),
            (
                &email(true, false),
                "Alice.Smith@example.com",
                "rabeyn.kinleham65@example.com",
            ),
            (
                &email(true, false),
                "no-at-sign",
                "rimino.chanriian53@example.net",
            ),
            (
                &email(false, true),
                "Alice.Smith@example.com",
                "Kpclp.Kndoq@ksjwfpk.mal",
            ),
            (
                &email(false, true),
                "bob+tag@Corp.Example.ORG",
                "pqq+ijp@Mjby.Pgsyzvf.KRY",
            ),
            (
                &email(false, false),
                "Alice.Smith@example.com",
                "rabeyn.kinleham65@example.org",
            ),
            (
                &email(false, false),
                "bob+tag@Corp.Example.ORG",
                "hamael.borham632@example.net",
            ),
            (
                &Mask {
                    prf: prf.clone(),
                    domain: "mask".into(),
                    letters: true,
                },
                "AB-123 cd/9",
                "SP-468 mk/0",
            ),
            (
                &Mask {
                    prf: prf.clone(),
                    domain: "phone".into(),
                    letters: false,
                },
                "+46 70-123 45 67",
                "+13 94-458 84 87",
            ),
            (
                &Iban {
                    prf: prf.clone(),
                    domain: "iban".into(),
                },
                "GB82 WEST 1234 5698 7654 32",
                "GB91 ZDUA 9767 8798 9338 94",
            ),
            (
                &Iban {
                    prf: prf.clone(),
                    domain: "iban".into(),
                },
                "DE89370400440532013000",
                "DE24111174869224658930",
            ),
            (
                &CreditCard {
                    prf: prf.clone(),
                    domain: "cc".into(),
                    keep_last4: false,
                },
                "4111-1111-1111-1111",
                "1494-7676-4129-6301",
            ),
            (
                &CreditCard {
                    prf: prf.clone(),
                    domain: "cc".into(),
                    keep_last4: true,
                },
                "4111111111111111",
                "9059888267921111",
            ),
            (&email(false, true), "no-at-sign", "ge-hq-gseh"),
        ];
        for (t, v, want) in vectors {
            assert_eq!(run(t, v), want, "{} of {v}", t.name());
        }
    }

    fn mask(letters: bool) -> Mask {
        Mask {
            prf: prf(),
            domain: "mask".into(),
            letters,
        }
    }

    /// Issue 13, item 7: these came out unchanged and were counted as
    /// changed.
    #[test]
    fn values_of_other_scripts_change() {
        for (t, v) in [
            (mask(true), "Иванов Сергей"),
            (mask(true), "山田太郎"),
            (mask(true), "Αλέξανδρος"),
            (mask(true), "０１２３４５"),
            (mask(false), "０１２３４５"),
            (mask(false), "٠١٢٣٤٥٦٧٨٩"),
            (mask(false), "+98 ۹۱۲ ۳۴۵ ۶۷۸۹"),
        ] {
            let out = run(&t, v);
            assert_ne!(out, v, "{} of {v}", t.name());
            assert_eq!(out.len(), v.len());
            assert_eq!(out.chars().count(), v.chars().count());
        }
    }

    #[test]
    fn unique_emails_of_other_scripts_change() {
        let u = |keep_domain| Email {
            prf: prf(),
            domain: "email".into(),
            keep_domain,
            unique: true,
            max_chars: None,
        };
        let whole = run(&u(false), "иван@почта.рф");
        let (local, domain) = whole.split_once('@').unwrap();
        assert_ne!(local, "иван");
        assert_ne!(domain, "почта.рф");
        assert_eq!(whole.len(), "иван@почта.рф".len());
        assert_eq!(domain.chars().nth(5), Some('.'));
        let kept = run(&u(true), "иван@почта.рф");
        let (local, domain) = kept.split_once('@').unwrap();
        assert_ne!(local, "иван");
        assert_eq!(local.chars().count(), 4);
        assert_eq!(domain, "почта.рф");
    }

    #[test]
    fn pseudonym_emails_never_echo_the_local_part() {
        for keep_domain in [false, true] {
            let e = Email {
                prf: prf(),
                domain: "email".into(),
                keep_domain,
                unique: false,
                max_chars: None,
            };
            let out = run(&e, "иван@почта.рф");
            let (local, domain) = out.split_once('@').unwrap();
            assert!(local.is_ascii(), "{out}");
            assert_eq!(domain == "почта.рф", keep_domain, "{out}");
            assert!(keep_domain || domain.is_ascii());
        }
    }

    fn refusal(t: &dyn Transform, v: &[u8]) -> String {
        let mut out = Vec::new();
        match t.apply(Some(v), &NoRow, &mut out) {
            Err(e) => {
                let shown = String::from_utf8_lossy(v);
                assert!(!e.0.contains(&*shown), "the error holds the value: {}", e.0);
                e.0
            }
            Ok(o) => panic!("{} passed a value it cannot handle: {o:?}", t.name()),
        }
    }

    #[test]
    fn what_cannot_be_masked_is_refused() {
        let unique_email = Email {
            prf: prf(),
            domain: "email".into(),
            keep_domain: true,
            unique: true,
            max_chars: None,
        };
        let cases: [(&dyn Transform, &[u8]); 6] = [
            (&mask(true), "สมชาย ใจดี".as_bytes()),
            (&mask(true), b"Jos\xe9"),
            (&mask(false), b"+1 \xb9\xb2\xb3"),
            (&mask(false), "① 555".as_bytes()),
            (&unique_email, "สมชาย@example.com".as_bytes()),
            (&unique_email, b"jos\xe9@example.com"),
        ];
        for (t, v) in cases {
            refusal(t, v);
        }
        assert!(refusal(&mask(true), "Jos\u{e9} สม".as_bytes()).contains("byte 6"));
    }

    #[test]
    fn card_and_ip_refuse_what_they_would_write_back_unchanged() {
        let card = CreditCard {
            prf: prf(),
            domain: "cc".into(),
            keep_last4: false,
        };
        let ip = |keep_prefix| Ip {
            prf: prf(),
            domain: "ip".into(),
            keep_prefix,
        };
        refusal(&card, "4111 1111 1111 1111 ١٢٣".as_bytes());
        refusal(&card, b"4111 1111 1111 1111 \xb9");
        refusal(&ip(32), b"192.168.1.10");
        refusal(&ip(128), b"2001:db8::1");
        // `keep_prefix = 64`, meant for IPv6, kept every bit of an IPv4.
        refusal(&ip(64), b"192.168.1.10");
        // A prefix shorter than the address still masks the host bits.
        assert_ne!(run(&ip(24), "192.168.1.10"), "192.168.1.10");
        assert_ne!(run(&ip(64), "2001:db8::1"), "2001:db8::1");
    }
}
