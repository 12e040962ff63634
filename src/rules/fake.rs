//! Realistic stand-ins for names, places and companies, built into the
//! binary (no files or network at run time).
//!
//! Values are composed from syllable and word lists written for dumpmask
//! (no third-party list is copied), driven by the bytes of a keyed PRF of
//! the original value. The lists multiply out to well over a hundred
//! thousand first names and more last names, so a million people do not
//! collapse onto a few hundred values; none of these transformers promises
//! uniqueness.

/// Draws choices from PRF output bytes.
pub struct Draw<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Draw<'a> {
    /// Draws from `bytes` (32 or more).
    pub fn new(bytes: &'a [u8]) -> Draw<'a> {
        Draw { bytes, at: 0 }
    }

    /// A number in `[0, n)`, from two bytes (slight bias is harmless here).
    pub fn below(&mut self, n: usize) -> usize {
        let i = self.at % (self.bytes.len() - 1);
        self.at += 2;
        let x = u16::from_le_bytes([self.bytes[i], self.bytes[i + 1]]) as usize;
        x % n.max(1)
    }

    /// One item of a list.
    pub fn pick<T: Copy>(&mut self, list: &[T]) -> T {
        list[self.below(list.len())]
    }
}

const GIVEN_START: &[&str] = &[
    "a", "al", "an", "ar", "be", "bri", "ca", "cla", "da", "de", "do", "e", "el", "em", "fa", "fe",
    "fi", "ga", "gi", "ha", "he", "i", "is", "ja", "jo", "ju", "ka", "ke", "la", "le", "li", "lu",
    "ma", "me", "mi", "mo", "na", "ne", "ni", "no", "o", "pa", "pe", "ra", "re", "ri", "ro", "sa",
    "se", "si", "so", "ta", "te", "ti", "to", "va", "vi", "wi", "ya", "za",
];
const GIVEN_MID: &[&str] = &[
    "", "", "", "", "", "", "la", "li", "lo", "ra", "ri", "ro", "na", "ni", "mi", "ma", "de", "do",
    "be", "ve", "sa", "ta", "te", "ne",
];
const GIVEN_END: &[&str] = &[
    "a", "ah", "an", "ana", "as", "e", "el", "ela", "en", "er", "i", "ia", "ie", "in", "ina", "io",
    "is", "la", "lia", "lo", "ly", "n", "na", "ne", "nia", "no", "o", "on", "or", "ra", "ri",
    "rie", "ro", "s", "sa", "son", "ta", "th", "ti", "to", "us", "y", "ya", "yn",
];
const FAMILY_START: &[&str] = &[
    "ab", "al", "an", "ash", "bar", "bel", "ber", "bor", "brad", "bran", "brook", "cal", "car",
    "cas", "chan", "cor", "dal", "dar", "del", "dor", "dun", "el", "fal", "far", "fen", "fer",
    "gal", "gar", "gor", "hal", "har", "hel", "hol", "jan", "kal", "kar", "kel", "kin", "lan",
    "lar", "lind", "lor", "mal", "mar", "mel", "mor", "nor", "ol", "or", "pal", "par", "pen",
    "quin", "ral", "ran", "ros", "sal", "san", "sel", "sor", "stan", "tal", "tor", "val", "var",
    "ven", "wal", "war", "wes", "win", "yor", "zan",
];
const FAMILY_MID: &[&str] = &[
    "", "", "", "", "a", "e", "i", "o", "en", "er", "an", "in", "ri", "le", "de", "ma",
];
const FAMILY_END: &[&str] = &[
    "berg", "by", "dahl", "den", "dez", "don", "er", "ez", "feld", "ford", "gard", "ham", "hart",
    "holm", "ia", "ian", "ic", "ich", "ik", "ini", "is", "ka", "kin", "ley", "lund", "man", "mann",
    "mond", "more", "nen", "ner", "ney", "o", "off", "os", "ov", "ova", "quist", "ric", "sen",
    "shaw", "ski", "son", "sson", "stad", "stein", "strom", "ton", "ucci", "vale", "well", "wick",
    "wood", "worth",
];
const PLACE_END: &[&str] = &[
    "borough", "bridge", "burg", "by", "field", "ford", "gate", "haven", "holm", "ia", "mouth",
    "port", "stad", "ston", "ton", "vale", "ville", "wick", "worth",
];
const STREET_KIND: &[&str] = &[
    "Street", "Road", "Lane", "Avenue", "Way", "Close", "Drive", "Place", "Court", "Gardens",
    "Row", "Terrace",
];
const COMPANY_KIND: &[&str] = &[
    "Ltd",
    "GmbH",
    "AB",
    "AS",
    "Oy",
    "BV",
    "SA",
    "Inc",
    "LLC",
    "& Co",
    "Group",
    "Partners",
    "Systems",
    "Logistics",
    "Trading",
    "Holdings",
    "Labs",
    "Works",
];

fn capitalised(parts: &[&str]) -> String {
    let s: String = parts.concat();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => s,
    }
}

/// A given name.
pub fn first_name(d: &mut Draw<'_>) -> String {
    capitalised(&[d.pick(GIVEN_START), d.pick(GIVEN_MID), d.pick(GIVEN_END)])
}

/// A family name.
pub fn last_name(d: &mut Draw<'_>) -> String {
    capitalised(&[d.pick(FAMILY_START), d.pick(FAMILY_MID), d.pick(FAMILY_END)])
}

/// A city.
pub fn city(d: &mut Draw<'_>) -> String {
    capitalised(&[d.pick(FAMILY_START), d.pick(FAMILY_MID), d.pick(PLACE_END)])
}

/// A street name with its kind.
pub fn street(d: &mut Draw<'_>) -> String {
    let name = if d.below(2) == 0 {
        last_name(d)
    } else {
        first_name(d)
    };
    format!("{name} {}", d.pick(STREET_KIND))
}

/// A street address with a house number, postcode and city.
pub fn address(d: &mut Draw<'_>) -> String {
    let number = 1 + d.below(199);
    let street = street(d);
    let postcode = 10_000 + d.below(89_999);
    format!("{street} {number}, {postcode} {}", city(d))
}

/// A company name.
pub fn company(d: &mut Draw<'_>) -> String {
    format!("{} {}", last_name(d), d.pick(COMPANY_KIND))
}

/// A user name: lower-case name parts and digits.
pub fn username(d: &mut Draw<'_>) -> String {
    let first = first_name(d).to_lowercase();
    let last = last_name(d).to_lowercase();
    match d.below(3) {
        0 => format!("{first}.{last}"),
        1 => format!("{}{last}{}", &first[..1], d.below(100)),
        _ => format!("{first}_{}", d.below(10_000)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::transform::Prf;
    use std::collections::HashSet;

    #[test]
    fn a_million_people_keep_many_distinct_names() {
        let prf = Prf::new(b"k");
        let mut firsts = HashSet::new();
        let mut lasts = HashSet::new();
        for i in 0..200_000u32 {
            let b = prf.derive(b"name", &i.to_le_bytes(), 0);
            let mut d = Draw::new(&b);
            firsts.insert(first_name(&mut d));
            lasts.insert(last_name(&mut d));
        }
        assert!(firsts.len() > 20_000, "{}", firsts.len());
        assert!(lasts.len() > 20_000, "{}", lasts.len());
    }

    #[test]
    fn values_look_like_what_they_stand_for() {
        let b = [7u8; 32];
        let mut d = Draw::new(&b);
        let name = first_name(&mut d);
        assert!(name.chars().next().unwrap().is_uppercase());
        let a = address(&mut d);
        assert!(
            a.contains(", ") && a.chars().any(|c| c.is_ascii_digit()),
            "{a}"
        );
        assert!(username(&mut d)
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'));
    }
}
