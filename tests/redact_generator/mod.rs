//! A labelled corpus generator for the redaction tests: MCP tool results, SQL rows, log
//! lines, config files and free text, each embedding values of known type (labels) and
//! look-alikes that must survive (decoys). Deterministic: the same seed always gives the
//! same documents.
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

/// xorshift64* — tiny, fast, and good enough to vary test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64 - 1) as usize]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.range(1, 100) <= percent
    }

    /// `n` characters drawn from `alphabet`.
    pub fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| char::from(*self.pick(alphabet))).collect()
    }

    /// `lo..=hi` characters drawn from `alphabet`.
    pub fn word(&mut self, alphabet: &[u8], lo: u64, hi: u64) -> String {
        let n = self.range(lo, hi) as usize;
        self.chars(alphabet, n)
    }

    pub fn digits(&mut self, n: usize) -> String {
        self.chars(DIGITS, n)
    }
}

pub const DIGITS: &[u8] = b"0123456789";
pub const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const HEX: &[u8] = b"0123456789abcdef";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// The built-in types, by their stable names.
pub const TYPES: [&str; 13] = [
    "CREDIT_CARD",
    "US_SSN",
    "EMAIL",
    "PHONE",
    "IBAN",
    "IP_ADDRESS",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "GITHUB_TOKEN",
    "SLACK_TOKEN",
    "JWT",
    "PRIVATE_KEY",
    "GENERIC_SECRET",
];

/// The kinds of decoys.
pub const DECOYS: [&str; 16] = [
    "luhn_failing_16",
    "order_id",
    "order_number_9",
    "epoch_seconds",
    "epoch_millis",
    "uuid",
    "git_sha",
    "version",
    "ip_shaped_version",
    "invalid_ssn",
    "invalid_iban",
    "invalid_ip",
    "masked_card",
    "certificate",
    "example_aws_key",
    "base64_cursor",
];

/// One value of a known type, and how it may be written.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The type name, or the decoy kind.
    pub kind: &'static str,
    /// The JSON key it sits under in structured documents.
    pub key: &'static str,
    /// The value in JSON documents (a string, sometimes a number).
    pub json: Value,
    /// The value as written in text.
    pub text: String,
    /// What must not survive (labels) or must survive (decoys) in the output.
    pub probe: String,
}

impl Sample {
    fn text(kind: &'static str, key: &'static str, text: String) -> Sample {
        Sample {
            kind,
            key,
            json: Value::String(text.clone()),
            probe: text.clone(),
            text,
        }
    }
}

/// A labelled value in a document.
#[derive(Debug, Clone)]
pub struct Label {
    pub kind: &'static str,
    pub probe: String,
    /// How many times the value is written in the document (a result's text copy and
    /// its `structuredContent` hold it twice).
    pub occurrences: u64,
}

/// A decoy in a document.
#[derive(Debug, Clone)]
pub struct Decoy {
    pub kind: &'static str,
    pub probe: String,
}

/// One generated document.
#[derive(Debug, Clone)]
pub struct Doc {
    pub shape: &'static str,
    pub value: Value,
    pub labels: Vec<Label>,
    pub decoys: Vec<Decoy>,
}

fn luhn_check_digit(body: &[u8]) -> u8 {
    // `body` without its check digit: double every second digit from the right.
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let v = d * 2;
                if v > 9 { v - 9 } else { v }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A valid card number of a random brand (digits only).
pub fn card_digits(rng: &mut Rng) -> (&'static str, String) {
    let (brand, prefix, len): (&str, String, usize) = match rng.range(0, 10) {
        0 => ("visa", "4".into(), 16),
        1 => ("visa13", "4".into(), 13),
        2 => ("mastercard", rng.range(51, 55).to_string(), 16),
        3 => ("mastercard2", rng.range(2221, 2720).to_string(), 16),
        4 => ("amex", rng.pick(&["34", "37"]).to_string(), 15),
        5 => ("discover", rng.pick(&["6011", "65"]).to_string(), 16),
        6 => ("jcb", rng.range(3528, 3589).to_string(), 16),
        7 => ("diners", rng.pick(&["36", "300", "305"]).to_string(), 14),
        8 => ("unionpay", "62".into(), 16),
        9 => (
            "maestro",
            rng.pick(&["6759", "5018", "5893"]).to_string(),
            16,
        ),
        _ => ("visa19", "4".into(), 19),
    };
    let mut digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
    while digits.len() < len - 1 {
        digits.push(rng.range(0, 9) as u8);
    }
    digits.push(luhn_check_digit(&digits));
    (brand, digits.iter().map(|d| char::from(b'0' + d)).collect())
}

/// Groups `digits` as cards are printed: 4-6-5 (15), 4-6-4 (14), else fours.
fn group_card(digits: &str, sep: char) -> String {
    let sizes: &[usize] = match digits.len() {
        15 => &[4, 6, 5],
        14 => &[4, 6, 4],
        _ => &[4, 4, 4, 4, 4],
    };
    let mut out = String::new();
    let mut rest = digits;
    for &n in sizes {
        if rest.is_empty() {
            break;
        }
        let (a, b) = rest.split_at(n.min(rest.len()));
        if !out.is_empty() {
            out.push(sep);
        }
        out.push_str(a);
        rest = b;
    }
    out
}

pub fn credit_card(rng: &mut Rng) -> Sample {
    let (_, digits) = card_digits(rng);
    match rng.range(0, 3) {
        0 => Sample {
            kind: "CREDIT_CARD",
            key: "card_number",
            json: Value::from(digits.parse::<u64>().unwrap()),
            text: digits.clone(),
            probe: digits,
        },
        1 => Sample::text("CREDIT_CARD", "card_number", digits),
        2 => Sample::text("CREDIT_CARD", "card", group_card(&digits, ' ')),
        _ => Sample::text("CREDIT_CARD", "pan", group_card(&digits, '-')),
    }
}

fn ssn_digits(rng: &mut Rng) -> String {
    loop {
        let area = rng.range(1, 899);
        if area == 666 {
            continue;
        }
        let s = format!("{area:03}{:02}{:04}", rng.range(1, 99), rng.range(1, 9999));
        if !["078051120", "219099999", "457555462"].contains(&s.as_str()) {
            return s;
        }
    }
}

fn dashed_ssn(d: &str) -> String {
    format!("{}-{}-{}", &d[..3], &d[3..5], &d[5..])
}

pub fn ssn(rng: &mut Rng) -> Sample {
    let d = ssn_digits(rng);
    match rng.range(0, 3) {
        0 => Sample {
            kind: "US_SSN",
            key: "ssn",
            json: Value::from(d.parse::<u64>().unwrap()),
            text: d.clone(),
            probe: d,
        },
        1 => Sample::text("US_SSN", "ssn", d),
        2 => Sample::text("US_SSN", "social_security_number", dashed_ssn(&d)),
        _ => Sample::text(
            "US_SSN",
            "ssn",
            format!("{} {} {}", &d[..3], &d[3..5], &d[5..]),
        ),
    }
}

pub fn email(rng: &mut Rng) -> Sample {
    let first = rng.word(LOWER, 3, 8);
    let last = rng.word(LOWER, 3, 10);
    let local = match rng.range(0, 3) {
        0 => format!("{first}.{last}"),
        1 => format!("{first}_{last}{}", rng.range(1, 99)),
        2 => format!("{first}+{}", rng.chars(LOWER, 4)),
        _ => first,
    };
    let domain = format!(
        "{}.{}",
        rng.word(LOWER, 4, 9),
        rng.pick(&["com", "org", "io", "co.uk", "de", "example"])
    );
    Sample::text("EMAIL", "email", format!("{local}@{domain}"))
}

fn nanp(rng: &mut Rng) -> (String, String, String) {
    let area = loop {
        let a = format!("{}{}", rng.range(2, 9), rng.digits(2));
        if &a[1..] != "11" {
            break a;
        }
    };
    let exchange = format!("{}{}", rng.range(2, 9), rng.digits(2));
    (area, exchange, rng.digits(4))
}

pub fn phone(rng: &mut Rng) -> Sample {
    let (a, e, l) = nanp(rng);
    let text = match rng.range(0, 10) {
        0 => format!("({a}) {e}-{l}"),
        1 => format!("{a}-{e}-{l}"),
        2 => format!("{a}.{e}.{l}"),
        3 => format!("+1 {a} {e} {l}"),
        4 => format!("+1{a}{e}{l}"),
        5 => format!("1-{a}-{e}-{l}"),
        6 => format!("+44 20 {} {}", rng.digits(4), rng.digits(4)),
        7 => format!("+49 30 {}", rng.digits(8)),
        8 => format!(
            "+33 {} {} {} {} {}",
            rng.range(1, 9),
            rng.digits(2),
            rng.digits(2),
            rng.digits(2),
            rng.digits(2)
        ),
        9 => format!("+81 3 {} {}", rng.digits(4), rng.digits(4)),
        _ => format!("+61 2 {} {}", rng.digits(4), rng.digits(4)),
    };
    Sample::text("PHONE", "phone", text)
}

/// Country, BBAN layout (`n` digit, `a` upper-case letter, `c` either).
const IBAN_COUNTRIES: &[(&str, &str)] = &[
    ("DE", "nnnnnnnnnnnnnnnnnn"),
    ("GB", "aaaannnnnnnnnnnnnn"),
    ("FR", "nnnnnnnnnncccccccccccnn"),
    ("NL", "aaaannnnnnnnnn"),
    ("ES", "nnnnnnnnnnnnnnnnnnnn"),
    ("IT", "annnnnnnnnncccccccccccc"),
    ("CH", "nnnnncccccccccccc"),
    ("BE", "nnnnnnnnnnnn"),
    ("PL", "nnnnnnnnnnnnnnnnnnnnnnnn"),
    ("AT", "nnnnnnnnnnnnnnnn"),
];

fn mod97(s: &str) -> u32 {
    s.bytes().fold(0u32, |rem, b| {
        if b.is_ascii_digit() {
            (rem * 10 + u32::from(b - b'0')) % 97
        } else {
            (rem * 100 + u32::from(b - b'A') + 10) % 97
        }
    })
}

/// A valid IBAN, compact; `valid = false` gives wrong check digits.
pub fn iban_compact(rng: &mut Rng, valid: bool) -> String {
    let &(cc, layout) = rng.pick(IBAN_COUNTRIES);
    let bban: String = layout
        .bytes()
        .map(|c| match c {
            b'a' => char::from(*rng.pick(UPPER)),
            b'c' if rng.chance(30) => char::from(*rng.pick(UPPER)),
            _ => char::from(*rng.pick(DIGITS)),
        })
        .collect();
    let check = 98 - mod97(&format!("{bban}{cc}00"));
    let check = if valid { check } else { (check + 1) % 97 + 2 };
    format!("{cc}{check:02}{bban}")
}

fn group4(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn iban(rng: &mut Rng) -> Sample {
    let compact = iban_compact(rng, true);
    let text = if rng.chance(50) {
        group4(&compact)
    } else {
        compact
    };
    Sample::text("IBAN", "iban", text)
}

fn hex_group(rng: &mut Rng) -> String {
    let n = rng.range(1, 4) as usize;
    let g = rng.chars(HEX, n);
    let g = g.trim_start_matches('0');
    if g.is_empty() { "0".into() } else { g.into() }
}

pub fn ip(rng: &mut Rng) -> Sample {
    let text = match rng.range(0, 4) {
        0 | 1 => format!(
            "{}.{}.{}.{}",
            rng.range(1, 223),
            rng.range(0, 255),
            rng.range(0, 255),
            rng.range(1, 254)
        ),
        2 => (0..8).map(|_| hex_group(rng)).collect::<Vec<_>>().join(":"),
        3 => format!(
            "2001:db8:{}::{}:{}",
            hex_group(rng),
            hex_group(rng),
            hex_group(rng)
        ),
        _ => format!(
            "fe80::{}:{}:{}:{}",
            hex_group(rng),
            hex_group(rng),
            hex_group(rng),
            hex_group(rng)
        ),
    };
    Sample::text("IP_ADDRESS", "client_ip", text)
}

pub fn aws_key_id(rng: &mut Rng) -> Sample {
    let prefix = if rng.chance(80) { "AKIA" } else { "ASIA" };
    let id = format!(
        "{prefix}{}",
        rng.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    );
    Sample::text("AWS_ACCESS_KEY", "access_key_id", id)
}

pub fn aws_secret(rng: &mut Rng) -> Sample {
    loop {
        let s = rng.chars(BASE64, 40);
        let b = s.as_bytes();
        if b.iter().any(u8::is_ascii_uppercase)
            && b.iter().any(u8::is_ascii_lowercase)
            && b.iter().any(u8::is_ascii_digit)
        {
            return Sample::text("AWS_SECRET_KEY", "secret_access_key", s);
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn base62_6(mut n: u32) -> String {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).unwrap()
}

pub fn github(rng: &mut Rng) -> Sample {
    let token = if rng.chance(85) {
        let prefix = rng.pick(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]);
        let random = rng.chars(BASE62, 30);
        format!("{prefix}{random}{}", base62_6(crc32(random.as_bytes())))
    } else {
        format!(
            "github_pat_11{}_{}",
            rng.chars(BASE62, 20),
            rng.chars(BASE62, 59)
        )
    };
    Sample::text("GITHUB_TOKEN", "deploy_token", token)
}

pub fn slack(rng: &mut Rng) -> Sample {
    let token = match rng.range(0, 2) {
        0 => format!(
            "xoxb-{}-{}-{}",
            rng.word(DIGITS, 10, 12),
            rng.digits(13),
            rng.chars(BASE62, 24)
        ),
        1 => format!(
            "xoxp-{}-{}-{}-{}",
            rng.digits(11),
            rng.digits(12),
            rng.digits(13),
            rng.chars(HEX, 32)
        ),
        _ => format!(
            "xapp-1-A{}-{}-{}",
            rng.chars(b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 10),
            rng.digits(13),
            rng.chars(HEX, 64)
        ),
    };
    Sample::text("SLACK_TOKEN", "slack_token", token)
}

pub fn jwt(rng: &mut Rng) -> Sample {
    let header = match rng.range(0, 2) {
        0 => json!({"alg": "HS256", "typ": "JWT"}),
        1 => json!({"alg": "RS256", "kid": rng.chars(HEX, 8), "typ": "JWT"}),
        _ => json!({"typ": "JWT", "alg": "ES256"}),
    };
    let payload = json!({
        "sub": format!("user-{}", rng.range(1, 99_999)),
        "iat": rng.range(1_600_000_000, 1_800_000_000),
        "scope": "read write",
    });
    let sig_len = if header["alg"] == "RS256" { 342 } else { 43 };
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        rng.chars(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
            sig_len
        )
    );
    Sample::text("JWT", "id_token", token)
}

fn pem(rng: &mut Rng, label: &str, lines: usize) -> (String, String) {
    let body: Vec<String> = (0..lines).map(|_| rng.chars(BASE64, 64)).collect();
    let block = format!(
        "-----BEGIN {label}-----\n{}\n{}==\n-----END {label}-----",
        body.join("\n"),
        rng.chars(BASE64, 22)
    );
    (block, body[0].clone())
}

pub fn private_key(rng: &mut Rng) -> Sample {
    let label = rng.pick(&[
        "RSA PRIVATE KEY",
        "PRIVATE KEY",
        "EC PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
    ]);
    let lines = rng.range(2, 6) as usize;
    let (block, probe) = pem(rng, label, lines);
    Sample {
        kind: "PRIVATE_KEY",
        key: "private_key",
        json: Value::String(block.clone()),
        text: block,
        probe,
    }
}

pub fn generic_secret(rng: &mut Rng) -> Sample {
    let value = loop {
        let v = rng.word(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#^_-",
            14,
            24,
        );
        if v.bytes().any(|b| b.is_ascii_digit()) && v.bytes().any(|b| b.is_ascii_uppercase()) {
            break v;
        }
    };
    let key = *rng.pick(&["password", "db_password", "api_key", "client_secret"]);
    Sample::text("GENERIC_SECRET", key, value)
}

/// A labelled value of `kind`.
pub fn label(rng: &mut Rng, kind: &str) -> Sample {
    match kind {
        "CREDIT_CARD" => credit_card(rng),
        "US_SSN" => ssn(rng),
        "EMAIL" => email(rng),
        "PHONE" => phone(rng),
        "IBAN" => iban(rng),
        "IP_ADDRESS" => ip(rng),
        "AWS_ACCESS_KEY" => aws_key_id(rng),
        "AWS_SECRET_KEY" => aws_secret(rng),
        "GITHUB_TOKEN" => github(rng),
        "SLACK_TOKEN" => slack(rng),
        "JWT" => jwt(rng),
        "PRIVATE_KEY" => private_key(rng),
        _ => generic_secret(rng),
    }
}

/// A decoy of `kind`.
pub fn decoy(rng: &mut Rng, kind: &'static str) -> Sample {
    let s = |key, text: String| Sample::text(kind, key, text);
    match kind {
        "luhn_failing_16" => {
            let (_, mut d) = loop {
                let c = card_digits(rng);
                if c.1.len() == 16 {
                    break c;
                }
            };
            let last = d.pop().unwrap().to_digit(10).unwrap();
            d.push(char::from_digit((last + rng.range(1, 9) as u32) % 10, 10).unwrap());
            s("reference", d)
        }
        "order_id" => s(
            "order_id",
            format!("ORD-{}-{}", rng.range(2019, 2026), rng.digits(6)),
        ),
        "order_number_9" => {
            let n = rng.range(100_000_000, 999_999_999);
            Sample {
                kind,
                key: "order_number",
                json: Value::from(n),
                text: n.to_string(),
                probe: n.to_string(),
            }
        }
        "epoch_seconds" => {
            let n = rng.range(1_500_000_000, 1_900_000_000);
            Sample {
                kind,
                key: "created_at",
                json: Value::from(n),
                text: n.to_string(),
                probe: n.to_string(),
            }
        }
        "epoch_millis" => {
            let n = rng.range(1_500_000_000_000, 1_900_000_000_000);
            Sample {
                kind,
                key: "updated_at_ms",
                json: Value::from(n),
                text: n.to_string(),
                probe: n.to_string(),
            }
        }
        "uuid" => s(
            "request_id",
            format!(
                "{}-{}-4{}-{}{}-{}",
                rng.chars(HEX, 8),
                rng.chars(HEX, 4),
                rng.chars(HEX, 3),
                rng.pick(&['8', '9', 'a', 'b']),
                rng.chars(HEX, 3),
                rng.chars(HEX, 12)
            ),
        ),
        "git_sha" => s("commit", rng.chars(HEX, 40)),
        "version" => s(
            "version",
            format!(
                "{}.{}.{}",
                rng.range(0, 30),
                rng.range(0, 99),
                rng.range(0, 300)
            ),
        ),
        "ip_shaped_version" => s(
            "version",
            format!(
                "{}.{}.{}.{}",
                rng.range(1, 20),
                rng.range(0, 40),
                rng.range(0, 9),
                rng.range(0, 250)
            ),
        ),
        "invalid_ssn" => {
            let area = match rng.range(0, 2) {
                0 => 0,
                1 => 666,
                _ => rng.range(900, 999),
            };
            s(
                "legacy_ssn",
                format!(
                    "{area:03}-{:02}-{:04}",
                    rng.range(1, 99),
                    rng.range(1, 9999)
                ),
            )
        }
        "invalid_iban" => s("old_iban", iban_compact(rng, false)),
        "invalid_ip" => s(
            "upstream",
            format!(
                "{}.{}.{}.{}",
                rng.range(256, 999),
                rng.range(0, 255),
                rng.range(0, 255),
                rng.range(1, 254)
            ),
        ),
        "masked_card" => {
            let last4 = rng.digits(4);
            let text = match rng.range(0, 2) {
                0 => format!("**** **** **** {last4}"),
                1 => format!("XXXX-XXXX-XXXX-{last4}"),
                _ => format!("************{last4}"),
            };
            s("card_hint", text)
        }
        "certificate" => {
            let label = rng.pick(&["CERTIFICATE", "PUBLIC KEY", "X509 CRL"]);
            let lines = rng.range(2, 5) as usize;
            let (block, probe) = pem(rng, label, lines);
            Sample {
                kind,
                key: "ca_cert",
                json: Value::String(block.clone()),
                text: block,
                probe,
            }
        }
        "example_aws_key" => s("example_key_id", "AKIAIOSFODNN7EXAMPLE".into()),
        _ => {
            let inner = format!(
                "{{\"offset\":{},\"page\":{}}}",
                rng.range(0, 100_000),
                rng.range(1, 500)
            );
            s("nextCursor", STANDARD.encode(inner))
        }
    }
}

/// How a value is written in a line of text.
pub fn phrase(sample: &Sample, style: &str) -> String {
    let v = &sample.text;
    let k = sample.key;
    match style {
        "log" => format!("{k}={v}"),
        "config" => format!("{k} = {v}"),
        _ => match sample.kind {
            "CREDIT_CARD" => format!("The card on file is {v}."),
            "US_SSN" => format!("Her SSN is {v}."),
            "EMAIL" => format!("Write to {v} for details."),
            "PHONE" => format!("Call me at {v} tomorrow."),
            "IBAN" => format!("Wire the refund to IBAN {v} please."),
            "IP_ADDRESS" => format!("The login came from {v} last night."),
            "AWS_ACCESS_KEY" => format!("The deploy used key {v} again."),
            "AWS_SECRET_KEY" => format!("The aws_secret_access_key is {v} now."),
            "GITHUB_TOKEN" => format!("Clone with {v} as the password."),
            "SLACK_TOKEN" => format!("The bot token {v} was rotated."),
            "JWT" => format!("Send Authorization: Bearer {v} on each call."),
            "PRIVATE_KEY" => format!("Here is the key:\n{v}\nKeep it safe."),
            "GENERIC_SECRET" => format!("Log in with {k}={v} today."),
            "order_id" => format!("Your order {v} has shipped."),
            "order_number_9" => format!("Order number {v} was refunded."),
            "epoch_seconds" | "epoch_millis" => format!("It was created at {v}."),
            "uuid" => format!("Request {v} failed."),
            "git_sha" => format!("Fixed in commit {v}."),
            "version" | "ip_shaped_version" => format!("Upgrade to version {v} first."),
            "invalid_ssn" => format!("The legacy SSN field held {v}."),
            "invalid_iban" => format!("The old IBAN {v} was rejected."),
            "invalid_ip" => format!("The upstream {v} is not an address."),
            "masked_card" => format!("Paid with card {v}."),
            "certificate" => format!("The CA is:\n{v}\n"),
            "example_aws_key" => format!("The docs use {v} as the key."),
            "luhn_failing_16" => format!("Reference {v} attached."),
            _ => format!("Next page: {v}"),
        },
    }
}

fn tool_result(text: String, structured: Option<Value>, id: u64) -> Value {
    let mut result = Map::new();
    result.insert("content".into(), json!([{"type": "text", "text": text}]));
    if let Some(s) = structured {
        result.insert("structuredContent".into(), s);
    }
    result.insert("isError".into(), Value::Bool(false));
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// The shapes documents come in.
pub const SHAPES: [&str; 5] = ["mcp_result", "sql_rows", "log", "config", "free_text"];

/// Builds one document of `shape` holding `labels` and `decoys`.
pub fn document(
    rng: &mut Rng,
    id: u64,
    shape: &'static str,
    labels: &[Sample],
    decoys: &[Sample],
) -> Doc {
    let mut all: Vec<&Sample> = labels.iter().chain(decoys).collect();
    // Shuffle, so no type always comes first.
    for i in (1..all.len()).rev() {
        let j = rng.range(0, i as u64) as usize;
        all.swap(i, j);
    }
    let mut occurrences = 1;
    let value = match shape {
        "mcp_result" => {
            let mut record = Map::new();
            record.insert("id".into(), Value::from(id));
            record.insert("name".into(), Value::from("Jane Doe"));
            for s in &all {
                record.insert(s.key.into(), s.json.clone());
            }
            let record = Value::Object(record);
            occurrences = 2;
            tool_result(record.to_string(), Some(record), id)
        }
        "sql_rows" => {
            let mut row = Map::new();
            row.insert("id".into(), Value::from(id));
            for s in &all {
                row.insert(s.key.into(), s.json.clone());
            }
            let other = json!({"id": id + 1, "status": "active", "tier": "gold"});
            let rows = json!({"columns": row.keys().collect::<Vec<_>>(), "rows": [other, row], "row_count": 2});
            tool_result(format!("{rows}"), None, id)
        }
        "log" => {
            let lines: Vec<String> = all
                .chunks(2)
                .map(|pair| {
                    let fields: Vec<String> = pair.iter().map(|s| phrase(s, "log")).collect();
                    format!(
                        "2025-0{}-1{}T0{}:1{}:22.{}Z {} svc=billing {}",
                        rng.range(1, 9),
                        rng.range(0, 9),
                        rng.range(0, 9),
                        rng.range(0, 9),
                        rng.digits(3),
                        rng.pick(&["INFO", "WARN", "DEBUG", "ERROR"]),
                        fields.join(" ")
                    )
                })
                .collect();
            json!({"jsonrpc": "2.0", "method": "notifications/message",
                   "params": {"level": "info", "logger": "billing", "data": lines.join("\n")}})
        }
        "config" => {
            let body: Vec<String> = all.iter().map(|s| phrase(s, "config")).collect();
            let text = format!(
                "# generated\n[service]\nname = billing\n{}\n",
                body.join("\n")
            );
            json!({"jsonrpc": "2.0", "id": id, "result": {"contents": [
                {"uri": "file:///etc/billing/app.conf", "mimeType": "text/plain", "text": text}
            ]}})
        }
        _ => {
            let text: Vec<String> = all.iter().map(|s| phrase(s, "free")).collect();
            tool_result(text.join(" "), None, id)
        }
    };
    Doc {
        shape,
        value,
        labels: labels
            .iter()
            .map(|s| Label {
                kind: s.kind,
                probe: s.probe.clone(),
                occurrences,
            })
            .collect(),
        decoys: decoys
            .iter()
            .map(|s| Decoy {
                kind: s.kind,
                probe: s.probe.clone(),
            })
            .collect(),
    }
}

/// Documents until every type has at least `per_type` labels and every decoy kind at
/// least `per_decoy` decoys.
pub fn corpus(seed: u64, per_type: usize, per_decoy: usize) -> Vec<Doc> {
    let mut rng = Rng::new(seed);
    let mut type_counts = [0usize; TYPES.len()];
    let mut decoy_counts = [0usize; DECOYS.len()];
    let mut docs = Vec::new();
    let mut id = 1u64;
    while type_counts.iter().any(|&c| c < per_type) || decoy_counts.iter().any(|&c| c < per_decoy) {
        let shape = SHAPES[(id as usize) % SHAPES.len()];
        let mut labels = Vec::new();
        let mut kinds: Vec<usize> = Vec::new();
        while kinds.len() < 4 {
            let k = rng.range(0, TYPES.len() as u64 - 1) as usize;
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        for &k in &kinds {
            let kind = TYPES[k];
            if kind == "AWS_SECRET_KEY" && !kinds.contains(&6) {
                // A secret key is only recognisable next to its key id.
                labels.push(aws_key_id(&mut rng));
                type_counts[6] += 1;
            }
            labels.push(label(&mut rng, kind));
            type_counts[k] += 1;
        }
        let mut decoys = Vec::new();
        let mut dk: Vec<usize> = Vec::new();
        while dk.len() < 3 {
            let k = rng.range(0, DECOYS.len() as u64 - 1) as usize;
            // One `version` key per record.
            let clash = |a: usize| DECOYS[a].contains("version");
            let second_version = clash(k) && dk.iter().any(|&d| clash(d));
            if !dk.contains(&k) && !second_version {
                dk.push(k);
            }
        }
        for &k in &dk {
            decoys.push(decoy(&mut rng, DECOYS[k]));
            decoy_counts[k] += 1;
        }
        docs.push(document(&mut rng, id, shape, &labels, &decoys));
        id += 1;
    }
    docs
}

/// Every string, key and number in `value`, one per line (strings holding JSON walked as
/// JSON), so probes can be looked for in what a reader of the document would see.
pub fn haystack(value: &Value) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                // JSON inside a string (a tool result's text copy): what it says.
                Ok(inner @ (Value::Object(_) | Value::Array(_))) => walk(&inner, out),
                _ => {
                    out.push_str(s);
                    out.push('\n');
                }
            },
            Value::Number(n) => {
                out.push_str(&n.to_string());
                out.push('\n');
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(m) => {
                for (k, v) in m {
                    out.push_str(k);
                    out.push('\n');
                    walk(v, out);
                }
            }
            _ => {}
        }
    }
    let mut out = String::new();
    walk(value, &mut out);
    out
}

/// Whether `probe` occurs in `haystack` as a whole token (not inside a longer run of
/// letters and digits).
pub fn present(haystack: &str, probe: &str) -> bool {
    let bytes = haystack.as_bytes();
    haystack.match_indices(probe).any(|(i, m)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + m.len()).copied();
        !before.is_some_and(|b| b.is_ascii_alphanumeric())
            && !after.is_some_and(|b| b.is_ascii_alphanumeric())
    })
}
