//! The transformer registry: every transformer a rule can name, with its
//! own options (the serde variant), and, in one place each, whether it
//! needs the secret, whether it promises distinct outputs, which columns
//! it can write, and how it is built (see [`Transformer::entry`] and
//! [`build_transform`]). The transformers themselves live in `library.rs`;
//! this file knows nothing of tables, patterns or the rules file's layout.
//!
//! Adding a transformer: a variant here (with its options), its arm in
//! `entry` and in `build`, its name in [`TRANSFORMERS`], its code in
//! `library.rs`, and its row in the README. The matches have no catch-all,
//! so the compiler points at every arm left to write.

use std::sync::Arc;

use serde::Deserialize;

use super::library::{
    parse_path, CreditCard, DateShift, Email, Fake, FakeKind, Iban, Ip, Json, Mask, NumberNoise,
    Partial, RegexReplace, Template, Truncate, Uuid,
};
use super::spec::{literal_bytes, template_parts, TransformSpec};
use super::transform::{Alphabet, Fixed, Hash, Keep, Null, Prf, Transform};
use crate::schema::{Column, ColumnType};

/// Every transformer name, for messages (the README's table, in order).
pub const TRANSFORMERS: &str = "keep, null, fixed, hash, email, first_name, last_name, full_name, username, city, street, address, company, phone, mask, partial, iban, credit_card, ipv4, ipv6, ip, uuid, date_shift, number_noise, truncate, regex, template, json";

/// A transformer as a rule names it, with the options only it takes
/// (`unique` and `when` apply to all and live in [`TransformSpec`]).
/// Serde refuses an option of another transformer.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "transform", rename_all = "snake_case", deny_unknown_fields)]
pub enum Transformer {
    /// The value unchanged.
    Keep {},
    /// `NULL`.
    Null {},
    /// A literal.
    Fixed {
        /// The literal to write.
        value: Option<toml::Value>,
    },
    /// A keyed pseudonym of fixed length.
    Hash {
        /// Output length.
        length: Option<usize>,
        /// Output characters (`hex`, `alnum`, ... or a literal list).
        alphabet: Option<String>,
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A realistic e-mail address.
    Email {
        /// Keep the original domain.
        keep_domain: Option<bool>,
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A first name.
    FirstName {
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A last name.
    LastName {
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A first and last name.
    FullName {
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A user name.
    Username {
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A city.
    City {
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A street.
    Street {
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A street address.
    Address {
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A company name.
    Company {
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// Digits encrypted in place, the shape kept.
    Phone {
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// Letters and digits encrypted in place.
    Mask {
        /// Mask letters too (default true).
        letters: Option<bool>,
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// The ends kept, the middle filled.
    Partial {
        /// Characters kept at the start.
        keep_first: Option<usize>,
        /// Characters kept at the end.
        keep_last: Option<usize>,
        /// The fill character.
        fill: Option<String>,
    },
    /// An IBAN of the same country.
    Iban {
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A Luhn-valid card number.
    CreditCard {
        /// Keep the last four digits.
        keep_last4: Option<bool>,
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// An IP address of the same family.
    Ipv4 {
        /// Network bits kept.
        keep_prefix: Option<u32>,
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// An IP address of the same family.
    Ipv6 {
        /// Network bits kept.
        keep_prefix: Option<u32>,
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// An IP address of the same family (for columns holding both).
    Ip {
        /// Network bits kept.
        keep_prefix: Option<u32>,
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A version-4 UUID.
    Uuid {
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A date moved by a keyed number of days.
    DateShift {
        /// Largest shift in days (required).
        days: Option<u32>,
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// A number times a keyed factor.
    NumberNoise {
        /// Largest change in percent (required).
        percent: Option<f64>,
        /// Columns with the same domain share one mapping.
        domain: Option<String>,
    },
    /// The first characters.
    Truncate {
        /// Characters kept (required).
        length: Option<usize>,
    },
    /// Every match of a pattern replaced.
    Regex {
        /// The pattern (required).
        pattern: Option<String>,
        /// The replacement (`$1` for groups).
        replacement: Option<String>,
    },
    /// Text built from the row.
    Template {
        /// The text, with `{column}` (rewritten value) and
        /// `{column.original}` placeholders (required).
        template: Option<String>,
    },
    /// Paths inside a JSON value, each rewritten by its transformer.
    Json {
        /// `{ "$.path" = transformer }` (required).
        paths: Option<toml::Value>,
    },
}

/// What the registry says about one transformer.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// Its name in the rules file.
    pub name: &'static str,
    /// It needs the secret.
    pub keyed: bool,
    /// It is a bijection with these options, so `unique = true` holds.
    pub unique: bool,
    /// The columns it can write.
    pub writes: Writes,
}

/// The columns a transformer can write. Checked before it is built for a
/// column; what depends on more than the type (NOT NULL, a `fixed`
/// value, a `hash` length) is checked by `build`.
#[derive(Debug, Clone, Copy)]
pub enum Writes {
    /// Any column.
    Any,
    /// Text, binary or untyped columns of at least `min_chars`
    /// characters; `what` names the output in messages.
    Text {
        /// The output, for messages: "an e-mail address".
        what: &'static str,
        /// Shorter VARCHARs can never hold the output.
        min_chars: usize,
    },
    /// Text columns, or numeric ones (with a digits alphabet).
    TextOrNumber,
    /// Anything but integers (the output could overflow them).
    NotInteger,
    /// Dates, timestamps, text.
    Dates,
    /// Numbers and text.
    Numbers,
    /// JSON and text.
    Json,
}

/// Text of any length, named "text" in messages.
const TEXT: Writes = Writes::Text {
    what: "text",
    min_chars: 0,
};

impl Transformer {
    /// The registry: name, secret, uniqueness and columns of each
    /// transformer.
    pub fn entry(&self) -> Entry {
        use Transformer as T;
        let e = |name, keyed, unique, writes| Entry {
            name,
            keyed,
            unique,
            writes,
        };
        let text = |what| Writes::Text { what, min_chars: 0 };
        match self {
            T::Keep {} => e("keep", false, true, Writes::Any),
            T::Null {} => e("null", false, false, Writes::Any),
            T::Fixed { .. } => e("fixed", false, false, Writes::Any),
            T::Hash { .. } => e("hash", true, false, Writes::TextOrNumber),
            T::Email { .. } => e("email", true, true, text("an e-mail address")),
            T::FirstName { .. } => e("first_name", true, false, TEXT),
            T::LastName { .. } => e("last_name", true, false, TEXT),
            T::FullName { .. } => e("full_name", true, false, TEXT),
            T::Username { .. } => e("username", true, false, TEXT),
            T::City { .. } => e("city", true, false, TEXT),
            T::Street { .. } => e("street", true, false, TEXT),
            T::Address { .. } => e("address", true, false, TEXT),
            T::Company { .. } => e("company", true, false, TEXT),
            T::Phone { .. } => e("phone", true, true, Writes::NotInteger),
            T::Mask { .. } => e("mask", true, true, Writes::NotInteger),
            T::Partial { .. } => e("partial", false, false, TEXT),
            T::Iban { .. } => e("iban", true, true, text("an IBAN")),
            T::CreditCard { keep_last4, .. } => e(
                "credit_card",
                true,
                *keep_last4 != Some(true),
                text("a card number"),
            ),
            T::Ipv4 { .. } => e("ipv4", true, true, IP),
            T::Ipv6 { .. } => e("ipv6", true, true, IP),
            T::Ip { .. } => e("ip", true, true, IP),
            T::Uuid { .. } => e(
                "uuid",
                true,
                true,
                Writes::Text {
                    what: "a UUID",
                    min_chars: 36,
                },
            ),
            T::DateShift { .. } => e("date_shift", true, false, Writes::Dates),
            T::NumberNoise { .. } => e("number_noise", true, false, Writes::Numbers),
            T::Truncate { .. } => e("truncate", false, false, TEXT),
            T::Regex { .. } => e("regex", false, false, TEXT),
            T::Template { .. } => e("template", false, false, TEXT),
            // Its paths may hold keyed transformers.
            T::Json { .. } => e("json", true, false, Writes::Json),
        }
    }
}

impl Transformer {
    /// Puts back the options that hold raw TOML as written: serde reads an
    /// internally tagged enum through a buffer that turns TOML datetimes
    /// into strings (a `fixed` value of `2020-01-01`, unquoted, must stay a
    /// datetime and be refused).
    pub(super) fn restore_raw(&mut self, raw: &toml::Table) {
        match self {
            Transformer::Fixed { value } => *value = raw.get("value").cloned(),
            Transformer::Json { paths } => *paths = raw.get("paths").cloned(),
            // The others hold no raw TOML.
            _ => {}
        }
    }
}

/// An IP address: 15 characters at least (`255.255.255.255`).
const IP: Writes = Writes::Text {
    what: "an IP address",
    min_chars: 15,
};

impl Writes {
    /// Can a transformer called `name` write a column of type `ty`?
    fn check(self, name: &str, ty: &ColumnType) -> Result<(), String> {
        let textual = |what: &str| match ty {
            ColumnType::Text { .. } | ColumnType::Other(_) | ColumnType::Binary { .. } => Ok(()),
            t => Err(format!(
                "`{name}` writes {what}, which does not fit a column of type {t:?}"
            )),
        };
        match self {
            Writes::Any => Ok(()),
            Writes::Text { what, min_chars } => {
                textual(what)?;
                match ty {
                    ColumnType::Text {
                        max_chars: Some(n), ..
                    } if (*n as usize) < min_chars => {
                        Err(format!("{what} can never fit VARCHAR({n})"))
                    }
                    _ => Ok(()),
                }
            }
            Writes::TextOrNumber if ty.is_numeric() => Ok(()),
            Writes::TextOrNumber => textual("text"),
            Writes::NotInteger => match ty {
                ColumnType::Integer { .. } => Err(format!("`{name}` on an integer column could overflow it; use number_noise, hash with alphabet = \"digits\", or a text column")),
                _ => Ok(()),
            },
            Writes::Dates => match ty {
                ColumnType::Date
                | ColumnType::Timestamp
                | ColumnType::Text { .. }
                | ColumnType::Other(_) => Ok(()),
                t => Err(format!(
                    "`{name}` needs a date or timestamp column, not {:?}",
                    Some(t)
                )),
            },
            Writes::Numbers => match ty {
                ColumnType::Decimal { .. }
                | ColumnType::Integer { .. }
                | ColumnType::Float
                | ColumnType::Other(_)
                | ColumnType::Text { .. } => Ok(()),
                t => Err(format!("`{name}` needs a numeric column, not {t:?}")),
            },
            Writes::Json => match ty {
                ColumnType::Json | ColumnType::Text { .. } | ColumnType::Other(_) => Ok(()),
                t => Err(format!(
                    "`{name}` needs a JSON or text column, not {:?}",
                    Some(t)
                )),
            },
        }
    }
}

/// Builds a transformer from its spec, for a column when one is given (to
/// check that its output always fits the column) or without one (to check
/// the options alone). `template` is bound later, against the table.
pub fn build_transform(
    spec: &TransformSpec,
    column: Option<&Column>,
    prf: Option<&Arc<Prf>>,
) -> Result<Arc<dyn Transform>, String> {
    use Transformer as T;
    let entry = spec.transformer.entry();
    let name = entry.name;
    // Transformers that are bijections (format-preserving encryption) can
    // promise distinct outputs; the others refuse rather than pretend.
    if spec.unique && !entry.unique {
        return Err(format!(
            "`{name}` cannot promise distinct outputs for distinct inputs, so it refuses `unique = true` (use mask, phone, email, uuid, iban, credit_card or ipv4/ipv6)"
        ));
    }
    let ty = column.map(|c| &c.ty);
    if let Some(ty) = ty {
        entry.writes.check(name, ty)?;
    }
    let max_chars = match ty {
        Some(ColumnType::Text {
            max_chars: Some(n), ..
        }) => Some(*n as usize),
        _ => None,
    };
    let keyed = || -> Result<Arc<Prf>, String> {
        prf.cloned()
            .ok_or_else(|| format!("`{name}` needs a secret"))
    };
    let domain = |d: &Option<String>| d.clone().unwrap_or_else(|| name.to_string());
    let fake = |kind: FakeKind, d: &Option<String>| -> Result<Arc<dyn Transform>, String> {
        Ok(Arc::new(Fake {
            prf: keyed()?,
            domain: domain(d),
            kind,
            max_chars,
        }))
    };
    Ok(match &spec.transformer {
        T::Keep {} => Arc::new(Keep),
        T::Null {} => {
            if column.is_some_and(|c| c.not_null) {
                return Err("`null` on a NOT NULL column would make the dump unrestorable".into());
            }
            Arc::new(Null)
        }
        T::Fixed { value } => {
            let value = match value {
                Some(v) => literal_bytes(v).map_err(|m| format!("`value` {m}"))?,
                None => return Err("`fixed` needs a `value`".into()),
            };
            if let Some(ty) = ty {
                fixed_fits(&value, ty)?;
            }
            Arc::new(Fixed { value })
        }
        T::Hash {
            length,
            alphabet,
            domain: d,
        } => {
            let alphabet = match alphabet {
                Some(a) => Alphabet::parse(a)?,
                None if ty.is_some_and(ColumnType::is_numeric) => Alphabet::parse("digits")?,
                None => Alphabet::parse("hex")?,
            };
            let limit = match ty {
                Some(ColumnType::Text {
                    max_chars: Some(n), ..
                }) => Some(*n as usize),
                Some(ColumnType::Binary { max_bytes: Some(n) }) => Some(*n as usize),
                Some(ColumnType::Integer { bits, .. }) => Some(match bits {
                    8 => 2,
                    16 => 4,
                    24 => 6,
                    32 => 9,
                    _ => 18,
                }),
                _ => None,
            };
            if ty.is_some_and(|t| t.is_numeric() && !alphabet.is_digits()) {
                return Err("`hash` into a numeric column needs alphabet = \"digits\"".into());
            }
            let length = match (*length, limit) {
                (Some(0), _) => return Err("`length` must be at least 1".into()),
                (Some(n), Some(max)) if n > max => {
                    return Err(format!(
                        "`hash` length {n} does not fit the column (at most {max})"
                    ))
                }
                (Some(n), _) => n,
                (None, Some(max)) => max.min(16),
                (None, None) => 16,
            };
            Arc::new(Hash {
                prf: keyed()?,
                domain: domain(d),
                length,
                alphabet,
            })
        }
        T::FirstName { domain: d } => fake(FakeKind::FirstName, d)?,
        T::LastName { domain: d } => fake(FakeKind::LastName, d)?,
        T::FullName { domain: d } => fake(FakeKind::FullName, d)?,
        T::Username { domain: d } => fake(FakeKind::Username, d)?,
        T::City { domain: d } => fake(FakeKind::City, d)?,
        T::Street { domain: d } => fake(FakeKind::Street, d)?,
        T::Address { domain: d } => fake(FakeKind::Address, d)?,
        T::Company { domain: d } => fake(FakeKind::Company, d)?,
        T::Email {
            keep_domain,
            domain: d,
        } => {
            // A pseudonymous address needs 20 characters; a unique one is
            // encrypted in place and keeps its length.
            if let Some(n) = max_chars.filter(|n| *n < 20 && !spec.unique) {
                return Err(format!("an e-mail address can never fit VARCHAR({n})"));
            }
            Arc::new(Email {
                prf: keyed()?,
                domain: domain(d),
                keep_domain: keep_domain.unwrap_or(false),
                unique: spec.unique,
                max_chars,
            })
        }
        T::Mask { letters, domain: d } => Arc::new(Mask {
            prf: keyed()?,
            domain: domain(d),
            letters: letters.unwrap_or(true),
        }),
        T::Phone { domain: d } => Arc::new(Mask {
            prf: keyed()?,
            domain: domain(d),
            letters: false,
        }),
        T::Partial {
            keep_first,
            keep_last,
            fill,
        } => {
            let fill = match fill.as_deref() {
                None => '*',
                Some(f) if f.chars().count() == 1 => f.chars().next().unwrap_or('*'),
                Some(_) => return Err("`fill` must be one character".into()),
            };
            Arc::new(Partial {
                keep_first: keep_first.unwrap_or(0),
                keep_last: keep_last.unwrap_or(0),
                fill,
            })
        }
        T::Truncate { length } => {
            let length = length.ok_or("`truncate` needs a `length`")?;
            Arc::new(Truncate { length })
        }
        T::Uuid { domain: d } => Arc::new(Uuid {
            prf: keyed()?,
            domain: domain(d),
            unique: spec.unique,
        }),
        T::Ipv4 {
            keep_prefix,
            domain: d,
        }
        | T::Ipv6 {
            keep_prefix,
            domain: d,
        }
        | T::Ip {
            keep_prefix,
            domain: d,
        } => Arc::new(Ip {
            prf: keyed()?,
            domain: domain(d),
            keep_prefix: keep_prefix.unwrap_or(0),
        }),
        T::Iban { domain: d } => Arc::new(Iban {
            prf: keyed()?,
            domain: domain(d),
        }),
        T::CreditCard {
            keep_last4,
            domain: d,
        } => Arc::new(CreditCard {
            prf: keyed()?,
            domain: domain(d),
            keep_last4: keep_last4.unwrap_or(false),
        }),
        T::DateShift { days, domain: d } => {
            let days = days.ok_or("`date_shift` needs `days`")?;
            Arc::new(DateShift {
                prf: keyed()?,
                domain: domain(d),
                days,
            })
        }
        T::NumberNoise { percent, domain: d } => {
            let percent = percent
                .filter(|p| *p >= 0.0 && *p <= 100.0)
                .ok_or("`number_noise` needs `percent` from 0 to 100")?;
            // The column's type was checked above (`Writes::Numbers`).
            let max_abs = match ty {
                Some(ColumnType::Decimal {
                    precision: Some(p),
                    scale,
                }) => 10f64.powi((*p as i32) - (*scale as i32)) - 10f64.powi(-(*scale as i32)),
                Some(ColumnType::Integer { bits, unsigned }) => {
                    let b = if *unsigned {
                        *bits as i32
                    } else {
                        *bits as i32 - 1
                    };
                    2f64.powi(b) - 1.0
                }
                _ => f64::MAX,
            };
            Arc::new(NumberNoise {
                prf: keyed()?,
                domain: domain(d),
                percent,
                max_abs,
            })
        }
        T::Regex {
            pattern,
            replacement,
        } => {
            let pattern = pattern.as_deref().ok_or("`regex` needs a `pattern`")?;
            let re = regex::bytes::Regex::new(pattern)
                .map_err(|e| format!("`pattern` is not a valid regular expression: {e}"))?;
            Arc::new(RegexReplace {
                re,
                replacement: replacement.clone().unwrap_or_default().into_bytes(),
            })
        }
        T::Template { template } => {
            let t = template.as_deref().ok_or("`template` needs a `template`")?;
            template_parts(t)?;
            // Bound against the table's columns in `bind`.
            Arc::new(Template {
                parts: Vec::new(),
                max_chars,
            })
        }
        T::Json { paths } => {
            let Some(toml::Value::Table(paths)) = paths else {
                return Err("`json` needs `paths = { \"$.key\" = \"transformer\" }`".into());
            };
            let mut built = Vec::new();
            for (path, v) in paths {
                let steps = parse_path(path)?;
                let inner = TransformSpec::from_value(v.clone())
                    .map_err(|m| format!("path `{path}`: {m}"))?;
                if matches!(inner.transformer, T::Json { .. } | T::Template { .. }) {
                    return Err(format!(
                        "path `{path}`: `{}` cannot be used inside `json`",
                        inner.name()
                    ));
                }
                built.push((
                    steps,
                    build_transform(&inner, None, prf)
                        .map_err(|m| format!("path `{path}`: {m}"))?,
                ));
            }
            Arc::new(Json { paths: built })
        }
    })
}

/// Checks that a fixed literal is valid for the column type.
fn fixed_fits(value: &[u8], ty: &ColumnType) -> Result<(), String> {
    let text = std::str::from_utf8(value).map_err(|_| "`value` is not UTF-8".to_string())?;
    let bad = |what: &str| Err(format!("`fixed` value is not {what}"));
    match ty {
        ColumnType::Text {
            max_chars: Some(n), ..
        } if text.chars().count() > *n as usize => Err(format!(
            "`fixed` value has {} characters; the column holds at most {n}",
            text.chars().count()
        )),
        ColumnType::Binary { max_bytes: Some(n) } if value.len() > *n as usize => Err(format!(
            "`fixed` value has {} bytes; the column holds at most {n}",
            value.len()
        )),
        ColumnType::Integer { .. } if text.parse::<i128>().is_err() => bad("an integer"),
        ColumnType::Decimal { .. } | ColumnType::Float if text.parse::<f64>().is_err() => {
            bad("a number")
        }
        ColumnType::Date if !is_date(text) => bad("a date (YYYY-MM-DD)"),
        ColumnType::Timestamp if !text.get(..10).is_some_and(is_date) => {
            bad("a timestamp (YYYY-MM-DD hh:mm:ss)")
        }
        ColumnType::Enum(members) if !members.iter().any(|m| m == text) => Err(format!(
            "`fixed` value is not one of the column's ENUM members ({})",
            members.len()
        )),
        _ => Ok(()),
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn names() -> impl Iterator<Item = &'static str> {
        TRANSFORMERS.split(", ")
    }

    /// Transformers with an option they cannot do without.
    const REQUIRED: &[(&str, &str)] = &[
        ("fixed", "needs a `value`"),
        ("date_shift", "needs `days`"),
        ("number_noise", "needs `percent`"),
        ("truncate", "needs a `length`"),
        ("regex", "needs a `pattern`"),
        ("template", "needs a `template`"),
        ("json", "needs `paths"),
    ];

    #[test]
    fn the_list_names_every_variant_once() {
        // Serde lists the variants when it meets an unknown one.
        let mut t = toml::Table::new();
        t.insert("transform".into(), "?".into());
        let e = toml::Value::Table(t)
            .try_into::<Transformer>()
            .unwrap_err()
            .message()
            .to_string();
        let mut variants: Vec<&str> = e.split('`').skip(3).step_by(2).collect::<Vec<_>>();
        variants.sort_unstable();
        let mut listed: Vec<&str> = names().collect();
        listed.sort_unstable();
        assert_eq!(variants, listed, "{e}");
        for name in names() {
            let spec = TransformSpec::from_value(name.into()).unwrap();
            assert_eq!(spec.name(), name);
        }
    }

    #[test]
    fn every_transformer_builds_with_its_defaults() {
        let prf = Arc::new(Prf::new(b"test"));
        for name in names() {
            let spec = TransformSpec::from_value(name.into()).unwrap();
            let built = build_transform(&spec, None, Some(&prf));
            match REQUIRED.iter().find(|(n, _)| *n == name) {
                Some((_, why)) => {
                    let e = built.err().unwrap_or_else(|| panic!("{name} built"));
                    assert!(e.contains(why), "{name}: {e}");
                }
                None => assert!(built.is_ok(), "{name}: {:?}", built.err()),
            }
            // Keyed transformers need the secret, and say so.
            let without = build_transform(&spec, None, None);
            if spec.transformer.entry().keyed && REQUIRED.iter().all(|(n, _)| *n != name) {
                assert!(
                    without.is_err_and(|e| e.contains("needs a secret")),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn unique_is_accepted_exactly_where_promised() {
        let prf = Arc::new(Prf::new(b"test"));
        for name in names().filter(|n| REQUIRED.iter().all(|(r, _)| r != n)) {
            for unique in [false, true] {
                let spec = TransformSpec::parse(&format!(
                    "{{ transform = \"{name}\", unique = {unique}, when = \"a = 1\" }}"
                ))
                .unwrap();
                let built = build_transform(&spec, None, Some(&prf));
                let promised = spec.transformer.entry().unique;
                assert_eq!(built.is_ok(), !unique || promised, "{name} unique={unique}");
            }
        }
        let card = |o: &str| {
            TransformSpec::parse(&format!("{{ transform = \"credit_card\"{o} }}"))
                .unwrap()
                .transformer
                .entry()
                .unique
        };
        assert!(card("") && card(", keep_last4 = false") && !card(", keep_last4 = true"));
    }

    /// A rule with an option of another transformer is refused by serde,
    /// at the rule's line and column, naming the option.
    macro_rules! refused {
        ($($name:ident: $rule:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let src = format!("[secret]\nfile = \"/dev/null\"\n[tables.t.columns]\nid = \"keep\"\n  a = {}\n", $rule);
                let e = Rules::parse(&src, "r.toml", None).unwrap_err().to_string();
                assert!(e.starts_with("r.toml:5:3: column `a` of table `t`: "), "{e}");
                assert!(e.contains($want), "{e}");
            }
        )*};
    }

    refused! {
        null_takes_no_length: r#"{ transform = "null", length = 3 }"# => "unknown field `length`";
        keep_takes_no_domain: r#"{ transform = "keep", domain = "x" }"# => "unknown field `domain`";
        fixed_takes_no_alphabet: r#"{ transform = "fixed", value = "x", alphabet = "hex" }"# => "unknown field `alphabet`";
        hash_takes_no_value: r#"{ transform = "hash", value = "x" }"# => "unknown field `value`";
        email_takes_no_letters: r#"{ transform = "email", letters = false }"# => "unknown field `letters`";
        phone_takes_no_letters: r#"{ transform = "phone", letters = false }"# => "unknown field `letters`";
        first_name_takes_no_length: r#"{ transform = "first_name", length = 4 }"# => "unknown field `length`";
        partial_takes_no_domain: r#"{ transform = "partial", domain = "x" }"# => "unknown field `domain`";
        truncate_takes_no_domain: r#"{ transform = "truncate", length = 3, domain = "x" }"# => "unknown field `domain`";
        ipv4_takes_no_keep_last4: r#"{ transform = "ipv4", keep_last4 = true }"# => "unknown field `keep_last4`";
        ip_takes_no_days: r#"{ transform = "ip", days = 3 }"# => "unknown field `days`";
        date_shift_takes_no_percent: r#"{ transform = "date_shift", days = 3, percent = 5 }"# => "unknown field `percent`";
        regex_takes_no_template: r#"{ transform = "regex", pattern = "x", template = "{a}" }"# => "unknown field `template`";
        template_takes_no_replacement: r#"{ transform = "template", template = "x", replacement = "y" }"# => "unknown field `replacement`";
        json_takes_no_domain: r#"{ transform = "json", paths = {}, domain = "x" }"# => "unknown field `domain`";
        misspelt_option: r#"{ transform = "hash", lenght = 3 }"# => "unknown field `lenght`";
        unknown_transformer: r#""shred""# => "unknown transformer `shred`; known: keep,";
        unique_is_a_boolean: r#"{ transform = "mask", unique = "yes" }"# => "expected a boolean";
        no_transform: r#"{ length = 3 }"# => "missing field `transform`";
        fixed_datetime: r#"{ transform = "fixed", value = 2020-01-01 }"# => "`value` must be a string, number or boolean, not a datetime";
        json_fixed_datetime: r#"{ transform = "json", paths = { "$.a" = { transform = "fixed", value = 2020-01-01 } } }"# => "not a datetime";
        inner_json_option: r#"{ transform = "json", paths = { "$.a" = { transform = "null", fill = "x" } } }"# => "path `$.a`: unknown field `fill`";
    }
}
