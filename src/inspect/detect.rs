//! Which columns look personal, and why: evidence from a column's name
//! (in several languages, with the usual abbreviations) and from sampled
//! values (shapes with check digits where they have one). Knows nothing
//! of dumps or rules: names and byte strings in, categories out. Evidence
//! is described by category and shape only, never by a value.

use serde::Serialize;

/// What kind of personal data a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// A given name.
    FirstName,
    /// A family name.
    LastName,
    /// A person's whole name.
    FullName,
    /// A login or user name.
    Username,
    /// A street address.
    Address,
    /// A city.
    City,
    /// A postal code.
    PostalCode,
    /// A date of birth.
    BirthDate,
    /// A national identifier (social security, tax, passport number...).
    NationalId,
    /// A bank account number (IBAN).
    Iban,
    /// A payment card number.
    Card,
    /// An IP address.
    Ip,
    /// A geographic coordinate.
    Location,
    /// A password, its hash, or another secret.
    Secret,
    /// Personal data inside a JSON document (the paths say where).
    Json,
    /// Free text written about a person (notes, comments), which holds
    /// names and more in any shape.
    FreeText,
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Category {
    /// The transformer that replaces such data as it is written (in a
    /// text column, or at a JSON path), if one is made for it.
    pub fn transformer(self) -> Option<&'static str> {
        Some(match self {
            Category::Email => "email",
            Category::Phone => "phone",
            Category::FirstName => "first_name",
            Category::LastName => "last_name",
            Category::FullName => "full_name",
            Category::Username => "username",
            Category::Address => "address",
            Category::City => "city",
            Category::Iban => "iban",
            Category::Card => "credit_card",
            Category::Ip => "ip",
            Category::Secret => "hash",
            _ => return None,
        })
    }

    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::PostalCode => "postal_code",
            Category::BirthDate => "birth_date",
            Category::NationalId => "national_id",
            Category::Card => "card_number",
            Category::Ip => "ip_address",
            Category::Location => "location",
            Category::Secret => "secret",
            Category::Json => "json",
            Category::FreeText => "free_text",
            // The others are named as their transformer.
            other => other.transformer().unwrap_or("personal"),
        }
    }
}

/// Words (after splitting a name at `_`, `-`, spaces and case changes,
/// lower-cased) and whole names that say what a column holds. English,
/// French, Spanish, German, Italian, Portuguese, Dutch, Swedish and
/// Russian, with the abbreviations schemas use.
const NAME_WORDS: &[(&str, Category)] = &[
    ("email", Category::Email),
    ("e_mail", Category::Email),
    ("mail", Category::Email),
    ("emailaddress", Category::Email),
    ("courriel", Category::Email),
    ("correo", Category::Email),
    ("epost", Category::Email),
    ("почта", Category::Email),
    ("phone", Category::Phone),
    ("phonenumber", Category::Phone),
    ("tel", Category::Phone),
    ("tele", Category::Phone),
    ("telephone", Category::Phone),
    ("téléphone", Category::Phone),
    ("telefon", Category::Phone),
    ("telefono", Category::Phone),
    ("teléfono", Category::Phone),
    ("telefone", Category::Phone),
    ("telefoon", Category::Phone),
    ("mobile", Category::Phone),
    ("mobil", Category::Phone),
    ("movil", Category::Phone),
    ("móvil", Category::Phone),
    ("cellulare", Category::Phone),
    ("celular", Category::Phone),
    ("cell", Category::Phone),
    ("cellphone", Category::Phone),
    ("handy", Category::Phone),
    ("gsm", Category::Phone),
    ("fax", Category::Phone),
    ("msisdn", Category::Phone),
    ("телефон", Category::Phone),
    ("fname", Category::FirstName),
    ("firstname", Category::FirstName),
    ("givenname", Category::FirstName),
    ("forename", Category::FirstName),
    ("prenom", Category::FirstName),
    ("prénom", Category::FirstName),
    ("vorname", Category::FirstName),
    ("nombre", Category::FirstName),
    ("voornaam", Category::FirstName),
    ("fornamn", Category::FirstName),
    ("förnamn", Category::FirstName),
    ("имя", Category::FirstName),
    ("lname", Category::LastName),
    ("lastname", Category::LastName),
    ("surname", Category::LastName),
    ("familyname", Category::LastName),
    ("nom", Category::LastName),
    ("nachname", Category::LastName),
    ("familienname", Category::LastName),
    ("apellido", Category::LastName),
    ("apellidos", Category::LastName),
    ("cognome", Category::LastName),
    ("sobrenome", Category::LastName),
    ("achternaam", Category::LastName),
    ("efternamn", Category::LastName),
    ("фамилия", Category::LastName),
    ("fullname", Category::FullName),
    ("username", Category::Username),
    ("login", Category::Username),
    ("nickname", Category::Username),
    ("nick", Category::Username),
    ("benutzername", Category::Username),
    ("usuario", Category::Username),
    ("address", Category::Address),
    ("addr", Category::Address),
    ("street", Category::Address),
    ("adresse", Category::Address),
    ("adres", Category::Address),
    ("direccion", Category::Address),
    ("dirección", Category::Address),
    ("indirizzo", Category::Address),
    ("endereco", Category::Address),
    ("endereço", Category::Address),
    ("strasse", Category::Address),
    ("straße", Category::Address),
    ("rue", Category::Address),
    ("calle", Category::Address),
    ("адрес", Category::Address),
    ("улица", Category::Address),
    ("city", Category::City),
    ("town", Category::City),
    ("ville", Category::City),
    ("ciudad", Category::City),
    ("stadt", Category::City),
    ("citta", Category::City),
    ("città", Category::City),
    ("cidade", Category::City),
    ("plaats", Category::City),
    ("ort", Category::City),
    ("wohnort", Category::City),
    ("город", Category::City),
    ("zip", Category::PostalCode),
    ("zipcode", Category::PostalCode),
    ("postcode", Category::PostalCode),
    ("postalcode", Category::PostalCode),
    ("plz", Category::PostalCode),
    ("postleitzahl", Category::PostalCode),
    ("cap", Category::PostalCode),
    ("codigopostal", Category::PostalCode),
    ("codepostal", Category::PostalCode),
    ("индекс", Category::PostalCode),
    ("dob", Category::BirthDate),
    ("birth", Category::BirthDate),
    ("birthday", Category::BirthDate),
    ("birthdate", Category::BirthDate),
    ("born", Category::BirthDate),
    ("geburtsdatum", Category::BirthDate),
    ("geburtstag", Category::BirthDate),
    ("naissance", Category::BirthDate),
    ("nacimiento", Category::BirthDate),
    ("nascita", Category::BirthDate),
    ("nascimento", Category::BirthDate),
    ("geboortedatum", Category::BirthDate),
    ("födelsedatum", Category::BirthDate),
    ("рождения", Category::BirthDate),
    ("ssn", Category::NationalId),
    ("sin", Category::NationalId),
    ("nin", Category::NationalId),
    ("nino", Category::NationalId),
    ("socialsecurity", Category::NationalId),
    ("nationalid", Category::NationalId),
    ("personalnumber", Category::NationalId),
    ("personnummer", Category::NationalId),
    ("personalid", Category::NationalId),
    ("passport", Category::NationalId),
    ("passportnumber", Category::NationalId),
    ("taxid", Category::NationalId),
    ("tin", Category::NationalId),
    ("nif", Category::NationalId),
    ("nie", Category::NationalId),
    ("dni", Category::NationalId),
    ("nir", Category::NationalId),
    ("cpf", Category::NationalId),
    ("curp", Category::NationalId),
    ("bsn", Category::NationalId),
    ("pesel", Category::NationalId),
    ("steuernummer", Category::NationalId),
    ("steuerid", Category::NationalId),
    ("codicefiscale", Category::NationalId),
    ("snils", Category::NationalId),
    ("инн", Category::NationalId),
    ("паспорт", Category::NationalId),
    ("iban", Category::Iban),
    ("bankaccount", Category::Iban),
    ("accountnumber", Category::Iban),
    ("kontonummer", Category::Iban),
    ("rib", Category::Iban),
    ("cardnumber", Category::Card),
    ("creditcard", Category::Card),
    ("ccnumber", Category::Card),
    ("ccnum", Category::Card),
    ("pan", Category::Card),
    ("kreditkarte", Category::Card),
    ("tarjeta", Category::Card),
    ("ip", Category::Ip),
    ("ipaddress", Category::Ip),
    ("ipaddr", Category::Ip),
    ("ipv4", Category::Ip),
    ("ipv6", Category::Ip),
    ("remoteaddr", Category::Ip),
    ("latitude", Category::Location),
    ("longitude", Category::Location),
    ("lat", Category::Location),
    ("lng", Category::Location),
    ("lon", Category::Location),
    ("user", Category::Username),
    ("note", Category::FreeText),
    ("notes", Category::FreeText),
    ("comment", Category::FreeText),
    ("comments", Category::FreeText),
    ("remark", Category::FreeText),
    ("remarks", Category::FreeText),
    ("memo", Category::FreeText),
    ("bio", Category::FreeText),
    ("biography", Category::FreeText),
    ("notiz", Category::FreeText),
    ("notizen", Category::FreeText),
    ("bemerkung", Category::FreeText),
    ("remarque", Category::FreeText),
    ("commentaire", Category::FreeText),
    ("comentario", Category::FreeText),
    ("nota", Category::FreeText),
    ("notas", Category::FreeText),
    ("password", Category::Secret),
    ("passwd", Category::Secret),
    ("pwd", Category::Secret),
    ("passwort", Category::Secret),
    ("contrasena", Category::Secret),
    ("contraseña", Category::Secret),
    ("motdepasse", Category::Secret),
    ("пароль", Category::Secret),
];

/// Two-word names joined (`first_name` -> `firstname`) are looked up
/// whole; these words, in a name with another word that says "person",
/// make it a person's name.
const PERSON_WORDS: &[&str] = &[
    "customer",
    "client",
    "user",
    "person",
    "people",
    "employee",
    "staff",
    "member",
    "patient",
    "contact",
    "author",
    "owner",
    "holder",
    "buyer",
    "guest",
    "student",
    "teacher",
    "driver",
    "recipient",
    "sender",
    "applicant",
    "candidate",
    "account",
    "cardholder",
    "beneficiary",
    "actor",
    "manager",
    "doctor",
    "nurse",
    "passenger",
    "tenant",
    "subscriber",
    "visitor",
];

/// Splits a column name into lower-case words: at `_`, `-`, `.`, spaces,
/// digits and lower-to-upper case changes (`firstName`, `First Name`,
/// `address2`).
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphabetic() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn word_category(w: &str) -> Option<Category> {
    NAME_WORDS.iter().find(|(k, _)| *k == w).map(|(_, c)| *c)
}

/// What a column's name says, and the words that say it, judged with its
/// table's name (a bare `name` is a person's in a table of people only).
pub fn by_name(table: &str, column: &str) -> Option<(Category, String)> {
    let ws = words(column);
    if ws.is_empty() {
        return None;
    }
    let joined: String = ws.concat();
    // Words that name something else than a person's data.
    const NOT: &[&str] = &[
        "id",
        "count",
        "verified",
        "confirmed",
        "enabled",
        "sent",
        "opt",
        "optin",
        "type",
        "status",
        "format",
        "template",
        "domain",
        "server",
        "host",
        "port",
        "flag",
        "is",
        "has",
        "allowed",
        "length",
        "agent",
        "group",
        "role",
        "level",
    ];
    let negated = |ws: &[String]| ws.iter().any(|w| NOT.contains(&w.as_str()));
    // Whole name first (`first_name` -> `firstname`), then pairs of
    // neighbouring words, then single words.
    if let Some(c) = word_category(&joined) {
        if !(negated(&ws) && ws.len() > 1) {
            return Some((c, format!("column name `{joined}`")));
        }
    }
    for pair in ws.windows(2) {
        let p = format!("{}{}", pair[0], pair[1]);
        if let Some(c) = word_category(&p) {
            if !negated(&ws) {
                return Some((c, format!("column name words `{} {}`", pair[0], pair[1])));
            }
        }
    }
    // Known two-word shapes: first/given + name, last/family + name.
    let has = |w: &str| ws.iter().any(|x| x == w);
    if has("name") || has("nom") || has("nombre") {
        if has("first") || has("given") || has("fore") || has("christian") {
            return Some((Category::FirstName, "column name `first name`".into()));
        }
        if has("last") || has("family") || has("sur") || has("maiden") {
            return Some((Category::LastName, "column name `last name`".into()));
        }
        if has("full") || has("display") || has("legal") || has("real") {
            return Some((Category::FullName, "column name `full name`".into()));
        }
        if has("user") || has("screen") || has("login") || has("account") {
            return Some((Category::Username, "column name `user name`".into()));
        }
        let table_words = words(table);
        let person = |w: &String| PERSON_WORDS.iter().any(|p| w.trim_end_matches('s') == *p);
        if ws.len() == 1 && table_words.iter().any(person) {
            return Some((
                Category::FullName,
                "column name `name` in a table of people".into(),
            ));
        }
        if ws.iter().any(person) {
            return Some((Category::FullName, "column name `<person> name`".into()));
        }
    }
    if negated(&ws) {
        return None;
    }
    // The last word names the thing (`last_login_ip` is an address, not
    // a login); only whole words count (`tel` is no word of `hotel`).
    for w in ws.iter().rev() {
        if let Some(c) = word_category(w) {
            return Some((c, format!("column name word `{w}`")));
        }
    }
    None
}

/// A test of a value's shape, and what passing it says.
type Shape = (fn(&str) -> bool, Category);

/// What a sampled value looks like, when it looks personal; `now_year`
/// bounds birth dates.
pub fn by_value(v: &[u8], now_year: i32) -> Option<Category> {
    let s = std::str::from_utf8(v).ok()?.trim();
    if s.len() < 3 || s.len() > 254 {
        return None;
    }
    // Most specific shape first: a card number also passes as a phone.
    let shapes: [Shape; 6] = [
        (is_email, Category::Email),
        (is_ip, Category::Ip),
        (is_iban, Category::Iban),
        (is_card, Category::Card),
        (is_national_id, Category::NationalId),
        (is_phone, Category::Phone),
    ];
    if let Some((_, c)) = shapes.iter().find(|(is, _)| is(s)) {
        return Some(*c);
    }
    if is_birth_date(s, now_year) {
        return Some(Category::BirthDate);
    }
    None
}

/// `local@domain.tld`, without spaces.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && !s.contains(char::is_whitespace)
        && domain.rsplit_once('.').is_some_and(|(host, tld)| {
            !host.is_empty() && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
        })
}

/// An IPv4 or IPv6 address (with an optional `/prefix`).
pub fn is_ip(s: &str) -> bool {
    let addr = s.split_once('/').map_or(s, |(a, _)| a);
    (addr.contains('.') || addr.contains(':')) && addr.parse::<std::net::IpAddr>().is_ok()
}

/// An IBAN: country letters, two check digits, up to 30 letters or
/// digits (spaces allowed), and the ISO 13616 check (mod 97 = 1).
pub fn is_iban(s: &str) -> bool {
    let c: Vec<u8> = s.bytes().filter(|b| *b != b' ').collect();
    if c.len() < 15 || c.len() > 34 {
        return false;
    }
    let head = c[0].is_ascii_uppercase()
        && c[1].is_ascii_uppercase()
        && c[2].is_ascii_digit()
        && c[3].is_ascii_digit();
    if !head
        || !c
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in c[4..].iter().chain(&c[..4]) {
        let n = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if n >= 10 {
            (rem * 100 + n) % 97
        } else {
            (rem * 10 + n) % 97
        };
    }
    rem == 1
}

/// The digits of `s` if it is only digits and the separators given.
fn digits_of(s: &str, seps: &[char]) -> Option<Vec<u8>> {
    let mut d = Vec::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            d.push(c as u8 - b'0');
        } else if !seps.contains(&c) {
            return None;
        }
    }
    Some(d)
}

/// The Luhn check (ISO/IEC 7812) over digits (values 0 to 9).
pub fn luhn(d: &[u8]) -> bool {
    let Some((&last, body)) = d.split_last() else {
        return false;
    };
    let ascii: Vec<u8> = body.iter().map(|x| b'0' + x).collect();
    crate::rules::library::luhn_digit(&ascii) == b'0' + last
}

/// A payment card number: 13 to 19 digits (spaces or dashes between),
/// a major network's first digit, and a valid Luhn check.
pub fn is_card(s: &str) -> bool {
    let Some(d) = digits_of(s, &[' ', '-']) else {
        return false;
    };
    (13..=19).contains(&d.len()) && matches!(d[0], 2..=6) && luhn(&d)
}

/// National identifiers whose shape is distinctive, checked where they
/// carry check digits: US SSN (`123-45-6789`, valid area and group),
/// Spanish DNI/NIE (8 digits and the mod-23 letter), French NIR (13
/// digits and the 97-complement key), Brazilian CPF (`123.456.789-09`,
/// two mod-11 digits), Swedish personnummer (`YYMMDD-NNNN`, Luhn).
pub fn is_national_id(s: &str) -> bool {
    let b = s.as_bytes();
    // US SSN: ddd-dd-dddd.
    if b.len() == 11 && b[3] == b'-' && b[6] == b'-' {
        if let Some(d) = digits_of(s, &['-']) {
            let area = u32::from(d[0]) * 100 + u32::from(d[1]) * 10 + u32::from(d[2]);
            let group = u32::from(d[3]) * 10 + u32::from(d[4]);
            let serial: u32 = d[5..].iter().fold(0, |a, &x| a * 10 + u32::from(x));
            return d.len() == 9
                && area != 0
                && area != 666
                && area < 900
                && group != 0
                && serial != 0;
        }
    }
    // Spanish DNI (12345678Z) and NIE (X1234567L).
    if b.len() == 9 && b[8].is_ascii_uppercase() {
        let lead = match b[0] {
            b'X' => Some(0),
            b'Y' => Some(1),
            b'Z' => Some(2),
            c if c.is_ascii_digit() => None,
            _ => return false,
        };
        let body = if lead.is_some() { &s[1..8] } else { &s[..8] };
        if let (Some(d), true) = (
            digits_of(body, &[]),
            body.len() == 7 + usize::from(lead.is_none()),
        ) {
            let n = d
                .iter()
                .fold(lead.unwrap_or(0) as u64, |a, &x| a * 10 + u64::from(x));
            const LETTERS: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
            return LETTERS[(n % 23) as usize] == b[8];
        }
    }
    // French NIR: 1 or 2, 12 more digits, 2-digit key (spaces allowed).
    if let Some(d) = digits_of(s, &[' ']) {
        if d.len() == 15 && matches!(d[0], 1 | 2) {
            let n: u64 = d[..13].iter().fold(0, |a, &x| a * 10 + u64::from(x));
            let key = u64::from(d[13]) * 10 + u64::from(d[14]);
            return 97 - n % 97 == key;
        }
    }
    // Brazilian CPF: ddd.ddd.ddd-dd.
    if b.len() == 14 && b[3] == b'.' && b[7] == b'.' && b[11] == b'-' {
        if let Some(d) = digits_of(s, &['.', '-']) {
            let check = |n: usize| {
                let sum: u32 = (0..n)
                    .map(|i| u32::from(d[i]) * (n as u32 + 1 - i as u32))
                    .sum();
                let r = (sum * 10) % 11;
                (r % 10) as u8 == d[n]
            };
            return d.iter().any(|&x| x != d[0]) && check(9) && check(10);
        }
    }
    // Swedish personnummer: YYMMDD-NNNN or YYMMDD+NNNN, Luhn over ten.
    if b.len() == 11 && (b[6] == b'-' || b[6] == b'+') {
        if let Some(d) = digits_of(s, &['-', '+']) {
            let month = d[2] * 10 + d[3];
            let day = d[4] * 10 + d[5];
            return d.len() == 10
                && (1..=12).contains(&month)
                && (1..=31).contains(&day)
                && luhn(&d);
        }
    }
    false
}

/// A phone number: E.164 (`+` and 8 to 15 digits) or a national form
/// with separators or a trunk prefix (`(555) 010-4477`, `06 12 34 56 78`,
/// `030-1234567`), 8 to 15 digits in all.
pub fn is_phone(s: &str) -> bool {
    let Some(d) = digits_of(s, &[' ', '-', '.', '(', ')', '+', '/']) else {
        return false;
    };
    if !(8..=15).contains(&d.len()) {
        return false;
    }
    let plus = s.starts_with('+') && s[1..].find('+').is_none();
    if s.contains('+') && !plus {
        return false;
    }
    let separated = s.contains([' ', '-', '.', '(', '/']);
    // Dates, times and decimal numbers are not phones.
    let dotted_number = s.matches('.').count() == 1 && !s.contains([' ', '-', '(']);
    plus || (separated
        && !dotted_number
        && (s.starts_with('0') || s.starts_with('(') || d.len() >= 10))
        || (s.starts_with('0') && d.len() >= 9 && !s.starts_with("00"))
}

/// A date (`YYYY-MM-DD`, optionally with a midnight time) whose year puts
/// a person between 14 and 110 years old.
pub fn is_birth_date(s: &str, now_year: i32) -> bool {
    let b = s.as_bytes();
    let date = b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[8..10].iter().all(u8::is_ascii_digit);
    if !date
        || !(b.len() == 10
            || s[10..]
                .trim_start_matches([' ', 'T'])
                .starts_with("00:00:00"))
    {
        return false;
    }
    let year: i32 = s[..4].parse().unwrap_or(0);
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && year >= now_year - 110
        && year <= now_year - 14
}

/// Personal data inside a JSON document: each path (`$.a.b`,
/// `$.list[*].c`) with what it holds, by key name or by value.
pub fn in_json(v: &[u8], now_year: i32, found: &mut Vec<(String, Category)>) {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(v) else {
        return;
    };
    walk_json(&doc, "$".to_string(), None, now_year, found);
}

fn walk_json(
    v: &serde_json::Value,
    path: String,
    key: Option<&str>,
    now_year: i32,
    found: &mut Vec<(String, Category)>,
) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                // Only keys shaped like a schema's names are followed and
                // named in a path: a key can itself be a value (`{"Jürgen":
                // "+49.."}`), and scan never prints one. Capitalised and
                // non-ASCII keys are passed over (a PascalCase schema then
                // goes unexamined inside, which the README says).
                let schema_like = k
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
                    && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if schema_like {
                    walk_json(child, format!("{path}.{k}"), Some(k), now_year, found);
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter().take(16) {
                walk_json(item, format!("{path}[*]"), key, now_year, found);
            }
        }
        Value::String(s) => {
            let by_key = key.and_then(|k| by_name("", k)).map(|(c, _)| c);
            let cat = by_value(s.as_bytes(), now_year)
                .filter(|c| {
                    !matches!(c, Category::BirthDate) || by_key == Some(Category::BirthDate)
                })
                .or(by_key);
            if let Some(c) = cat {
                if !found.iter().any(|(p, _)| *p == path) {
                    found.push((path, c));
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! names {
        ($($name:ident: $table:expr, $col:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(by_name($table, $col).map(|(c, _)| c), $want, "{}.{}", $table, $col);
            }
        )*};
    }

    names! {
        email_plain: "t", "email" => Some(Category::Email);
        email_camel: "t", "EmailAddress" => Some(Category::Email);
        email_verified_is_not: "t", "email_verified" => None;
        fname: "t", "fname" => Some(Category::FirstName);
        first_name: "t", "first_name" => Some(Category::FirstName);
        prenom: "t", "prénom" => Some(Category::FirstName);
        nom: "t", "nom" => Some(Category::LastName);
        apellido: "t", "apellido" => Some(Category::LastName);
        nachname: "t", "Nachname" => Some(Category::LastName);
        telefon_ru: "t", "телефон" => Some(Category::Phone);
        tel: "t", "tel" => Some(Category::Phone);
        hotel_is_not_tel: "t", "hotel" => None;
        dob: "t", "dob" => Some(Category::BirthDate);
        date_of_birth: "t", "date_of_birth" => Some(Category::BirthDate);
        ssn: "t", "ssn" => Some(Category::NationalId);
        name_of_customer: "customers", "name" => Some(Category::FullName);
        name_of_product: "products", "name" => None;
        contact_name: "orders", "contact_name" => Some(Category::FullName);
        user_id_is_not: "t", "user_id" => None;
        user: "t", "user" => Some(Category::Username);
        user_agent_is_not: "t", "user_agent" => None;
        notes: "t", "notes" => Some(Category::FreeText);
        last_login_ip: "t", "last_login_ip" => Some(Category::Ip);
        zip: "t", "zip_code" => Some(Category::PostalCode);
        address2: "t", "address2" => Some(Category::Address);
    }

    #[test]
    fn values_by_shape_and_check_digits() {
        let y = 2026;
        let cat = |s: &str| by_value(s.as_bytes(), y);
        assert_eq!(cat("ann.lee@example.org"), Some(Category::Email));
        assert_eq!(cat("+33612345678"), Some(Category::Phone));
        assert_eq!(cat("(555) 010-4477"), Some(Category::Phone));
        assert_eq!(cat("06 12 34 56 78"), Some(Category::Phone));
        assert_eq!(cat("GB82 WEST 1234 5698 7654 32"), Some(Category::Iban));
        assert_eq!(cat("GB83 WEST 1234 5698 7654 32"), None, "bad check digits");
        assert_eq!(cat("4111 1111 1111 1111"), Some(Category::Card));
        assert_eq!(cat("4111 1111 1111 1112"), None, "bad Luhn");
        assert_eq!(cat("192.168.10.4"), Some(Category::Ip));
        assert_eq!(cat("2001:db8::1"), Some(Category::Ip));
        assert_eq!(cat("123-45-6789"), Some(Category::NationalId));
        assert_eq!(cat("666-45-6789"), None, "no SSN area 666");
        assert_eq!(cat("12345678Z"), Some(Category::NationalId));
        assert_eq!(cat("12345678A"), None, "bad DNI letter");
        assert_eq!(cat("111.444.777-35"), Some(Category::NationalId));
        assert_eq!(cat("1980-04-12"), Some(Category::BirthDate));
        assert_eq!(cat("2024-04-12"), None, "too young");
        assert_eq!(cat("2024-04-12 13:22:01"), None);
        assert_eq!(cat("12.50"), None);
        assert_eq!(cat("hello world"), None);
        assert_eq!(cat("1234567"), None);
    }

    #[test]
    fn json_paths() {
        let mut found = Vec::new();
        in_json(
            br#"{"contact":{"email":"a@b.example"},"tags":["x"],"people":[{"name":"Ann","phone":"+4915112345678"}],"n":3}"#,
            2026,
            &mut found,
        );
        found.sort();
        assert_eq!(
            found,
            vec![
                ("$.contact.email".to_string(), Category::Email),
                ("$.people[*].phone".to_string(), Category::Phone),
            ]
        );
    }
}
