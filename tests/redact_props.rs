//! Properties of the redactor: on arbitrary JSON it never panics, its output is valid
//! JSON and redacting again changes nothing; a valid card number inserted into random
//! text — plain, spaced, fullwidth or zero-width-interleaved — is always masked.

use proptest::prelude::*;
use serde_json::Value;
use tollgate::Redactor;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,40}".prop_map(Value::String),
        "[0-9 .:@+()-]{0,30}".prop_map(Value::String),
        "\\PC{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("4111 1111 1111 1111"),
            Just("536-22-1234"),
            Just("bob@example.com"),
            Just("{\"ssn\":\"536221234\"}"),
            Just("fe80::1"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}|ssn|phone|password|version", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Valid card numbers: a brand prefix, random digits and the Luhn check digit.
fn card() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("4"),
            Just("51"),
            Just("55"),
            Just("2221"),
            Just("6011")
        ],
        prop::collection::vec(0u8..10, 14),
    )
        .prop_map(|(prefix, body)| {
            let mut digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
            digits.extend(body);
            digits.truncate(15);
            let sum: u32 = digits
                .iter()
                .rev()
                .enumerate()
                .map(|(i, &d)| {
                    let d = u32::from(d);
                    if i % 2 == 0 {
                        if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
                    } else {
                        d
                    }
                })
                .sum();
            digits.push(((10 - sum % 10) % 10) as u8);
            digits.iter().map(|d| char::from(b'0' + d)).collect()
        })
}

fn encode(card: &str, how: u8) -> String {
    match how {
        0 => card.to_owned(),
        1 => card
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" "),
        2 => card
            .chars()
            .map(|c| char::from_u32(0xFF10 + c.to_digit(10).unwrap()).unwrap())
            .collect(),
        _ => card.chars().flat_map(|c| [c, '\u{200B}']).collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn output_is_valid_json_and_redaction_is_idempotent(v in json_value()) {
        let r = Redactor::default();
        let mut once = v.clone();
        r.redact_value(&mut once, "");
        let text = serde_json::to_string(&once).unwrap();
        let reparsed: Value = serde_json::from_str(&text).unwrap();
        let mut twice = reparsed.clone();
        let again = r.redact_value(&mut twice, "");
        prop_assert_eq!(&twice, &reparsed);
        prop_assert!(again.is_empty(), "second pass found {:?}", again);
        // The byte path agrees with the value path.
        let bytes = serde_json::to_vec(&v).unwrap();
        let via_bytes = r.redact_json_bytes(&bytes).unwrap();
        match via_bytes {
            Some(out) => prop_assert_eq!(serde_json::from_slice::<Value>(&out.bytes).unwrap(), once),
            None => prop_assert_eq!(&v, &once),
        }
    }

    #[test]
    fn an_inserted_card_is_always_masked(
        before in "[a-z ,.:]{0,30}",
        after in "[a-z ,.:]{0,30}",
        card in card(),
        how in 0u8..4,
    ) {
        let r = Redactor::default();
        let text = format!("{before} {} {after}", encode(&card, how));
        let (out, findings) = r.redact_text(&text);
        prop_assert!(out.contains("[REDACTED:CREDIT_CARD]"), "{:?} -> {:?}", text, out);
        prop_assert_eq!(findings.count_of("CREDIT_CARD"), 1);
        let digits: String = out.chars().filter(char::is_ascii_digit).collect();
        prop_assert!(!digits.contains(&card[card.len() - 8..]));
    }
}
