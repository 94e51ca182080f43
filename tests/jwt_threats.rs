//! Every JWT case of the threat catalogue (section 1), as a named test asserting the
//! exact rejection. Tokens are minted here from raw header and claims JSON with the
//! fixed test keys in tests/data/jwt; the clock is fixed at `NOW`.

mod jwt_support;

use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use jsonwebtoken::{Algorithm, EncodingKey};
use jwt_support::*;
use tollgate::identity::jwt::{Issuer, JwtAuthenticator, JwtError, SigningAlgorithm};
use tollgate::identity::{AuthError, Authenticator};

const HMAC_ISSUER: &str = "https://hmac.example";

fn issuer() -> Issuer {
    Issuer::new(ISSUER)
        .jwks_json(jwks(&["rsa1", "ec1"]))
        .groups_claim("realm_access.roles")
}

fn builder_with(issuer: Issuer) -> tollgate::identity::jwt::JwtAuthenticatorBuilder {
    JwtAuthenticator::builder()
        .audience(AUDIENCE)
        .clock(Arc::new(TestClock::default()))
        .issuer(issuer)
}

fn auth() -> JwtAuthenticator {
    builder_with(issuer())
        .issuer(Issuer::new(HMAC_ISSUER).hmac_secret(
            Some("h1"),
            SigningAlgorithm::HS256,
            *HMAC_SECRET,
        ))
        .build()
        .unwrap()
}

async fn verify(token: &str) -> Result<tollgate::Identity, JwtError> {
    auth().verify(token).await
}

fn hmac_claims(extra: &str) -> String {
    claims_with(extra).replace(ISSUER, HMAC_ISSUER)
}

fn hs256(header: &str, claims: &str, secret: &[u8]) -> String {
    mint(
        header,
        claims,
        &EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )
}

// ---------------------------------------------------------------- baseline

#[tokio::test]
async fn valid_rs256_es256_and_hs256_tokens_verify() {
    let id = verify(&rs256_token(&claims_with(
        r#","realm_access":{"roles":["support"]},"scope":"files:read files:write","jti":"j1","azp":"cli""#,
    )))
    .await
    .unwrap();
    assert_eq!(id.subject, "alice");
    assert_eq!(id.issuer.as_deref(), Some(ISSUER));
    assert_eq!(id.groups, ["support"]);
    assert_eq!(id.scopes, ["files:read", "files:write"]);
    assert_eq!(id.token_id.as_deref(), Some("j1"));
    assert_eq!(id.client_id.as_deref(), Some("cli"));

    let es = mint(
        r#"{"alg":"ES256","typ":"at+jwt","kid":"ec1"}"#,
        &good_claims(),
        &ec_key("ec1"),
        Algorithm::ES256,
    );
    assert!(verify(&es).await.is_ok());
    let hs = hs256(
        r#"{"alg":"HS256","typ":"at+jwt","kid":"h1"}"#,
        &hmac_claims(""),
        HMAC_SECRET,
    );
    assert!(verify(&hs).await.is_ok());
}

// ---------------------------------------------------------------- 1a header and algorithm

#[tokio::test]
async fn alg_none_in_every_case_is_rejected() {
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = format!(r#"{{"alg":"{alg}","typ":"at+jwt","kid":"rsa1"}}"#);
        let token = format!("{}.{}.", b64(header), b64(good_claims()));
        assert_eq!(verify(&token).await, Err(JwtError::AlgorithmNone), "{alg}");
    }
}

#[tokio::test]
async fn null_signature_with_the_original_alg_is_rejected() {
    let token = rs256_token(&good_claims());
    let (input, _) = token.rsplit_once('.').unwrap();
    assert_eq!(
        verify(&format!("{input}.")).await,
        Err(JwtError::InvalidSignature)
    );
}

#[tokio::test]
async fn rs256_to_hs256_key_confusion_is_rejected() {
    let public_pem = data("rsa1.pub.pem");
    let header = r#"{"alg":"HS256","typ":"at+jwt","kid":"rsa1"}"#;
    let token = hs256(header, &good_claims(), public_pem.as_bytes());
    assert_eq!(verify(&token).await, Err(JwtError::AlgorithmMismatch));
    // Even when the configuration allows both algorithms, the RSA key is pinned to RS256.
    let lenient = builder_with(issuer().algorithms([
        SigningAlgorithm::RS256,
        SigningAlgorithm::HS256,
        SigningAlgorithm::ES256,
    ]))
    .build()
    .unwrap();
    assert_eq!(
        lenient.verify(&token).await,
        Err(JwtError::AlgorithmMismatch)
    );
}

#[tokio::test]
async fn blank_or_weak_hmac_secrets_are_refused_and_empty_key_tokens_rejected() {
    for secret in [&b""[..], b"secret", &[7u8; 31]] {
        let built = builder_with(Issuer::new(HMAC_ISSUER).hmac_secret(
            None,
            SigningAlgorithm::HS256,
            secret,
        ))
        .build();
        assert!(built.is_err(), "secret of {} bytes accepted", secret.len());
    }
    let weak_jwks = format!(
        r#"{{"keys":[{{"kty":"oct","kid":"w","alg":"HS256","k":"{}"}}]}}"#,
        b64("secret")
    );
    assert!(
        builder_with(
            Issuer::new(HMAC_ISSUER)
                .jwks_json(weak_jwks)
                .algorithms([SigningAlgorithm::HS256])
        )
        .build()
        .is_err()
    );
    let token = hs256(
        r#"{"alg":"HS256","typ":"at+jwt","kid":"h1"}"#,
        &hmac_claims(""),
        b"",
    );
    assert_eq!(verify(&token).await, Err(JwtError::InvalidSignature));
}

#[tokio::test]
async fn alg_casing_and_unknown_values_are_rejected() {
    for alg in ["hs256", "HS256 ", "ES256K", "rs256", ""] {
        let header = format!(r#"{{"alg":"{alg}","typ":"at+jwt","kid":"rsa1"}}"#);
        let token = mint(&header, &good_claims(), &rsa_key("rsa1"), Algorithm::RS256);
        assert_eq!(
            verify(&token).await,
            Err(JwtError::UnsupportedAlgorithm),
            "{alg:?}"
        );
    }
}

#[tokio::test]
async fn duplicate_header_member_is_rejected() {
    let header = r#"{"alg":"HS512","alg":"HS256","typ":"at+jwt","kid":"h1"}"#;
    let token = hs256(header, &hmac_claims(""), HMAC_SECRET);
    assert_eq!(verify(&token).await, Err(JwtError::DuplicateMember));
}

#[tokio::test]
async fn embedded_jwk_and_x5c_are_ignored() {
    let attacker_jwk = data("attacker.jwk.json");
    // The attacker's own kid: not in the issuer's key set.
    let header = format!(
        r#"{{"alg":"RS256","typ":"at+jwt","kid":"attacker","jwk":{attacker_jwk},"x5c":["MIIB"]}}"#
    );
    let token = mint(
        &header,
        &good_claims(),
        &rsa_key("attacker"),
        Algorithm::RS256,
    );
    assert_eq!(verify(&token).await, Err(JwtError::UnknownKey));
    // The issuer's kid with the attacker's signature and key embedded.
    let header = format!(r#"{{"alg":"RS256","typ":"at+jwt","kid":"rsa1","jwk":{attacker_jwk}}}"#);
    let token = mint(
        &header,
        &good_claims(),
        &rsa_key("attacker"),
        Algorithm::RS256,
    );
    assert_eq!(verify(&token).await, Err(JwtError::InvalidSignature));
}

#[tokio::test]
async fn jku_and_x5u_are_never_dereferenced() {
    let idp = KeyServer::start().await;
    idp.set("/jwks", 200, jwks(&["rsa1"]));
    let attacker = KeyServer::start().await;
    attacker.set("/jwks.json", 200, jwks(&["attacker"]));
    attacker.set("/cert.pem", 200, data("attacker.pub.pem"));
    let fetcher = Arc::new(PlainHttpFetcher::default());
    let auth = JwtAuthenticator::builder()
        .audience(AUDIENCE)
        .clock(Arc::new(TestClock::default()))
        .fetcher(fetcher.clone())
        .issuer(
            Issuer::new(ISSUER)
                .jwks_url(idp.url("/jwks"))
                .allow_http(true),
        )
        .build()
        .unwrap();
    for (member, path) in [("jku", "/jwks.json"), ("x5u", "/cert.pem")] {
        for kid in ["attacker", "rsa1"] {
            let header = format!(
                r#"{{"alg":"RS256","typ":"at+jwt","kid":"{kid}","{member}":"{}"}}"#,
                attacker.url(path)
            );
            let token = mint(
                &header,
                &good_claims(),
                &rsa_key("attacker"),
                Algorithm::RS256,
            );
            let expected = if kid == "rsa1" {
                JwtError::InvalidSignature
            } else {
                JwtError::UnknownKey
            };
            assert_eq!(auth.verify(&token).await, Err(expected), "{member} {kid}");
        }
    }
    assert_eq!(attacker.hits(), 0, "the attacker's server was contacted");
    assert_eq!(
        idp.hits_on("/jwks"),
        1,
        "only the configured JWKS URL, once"
    );
}

#[tokio::test]
async fn kid_injection_payloads_are_plain_lookups_with_at_most_one_refetch() {
    let idp = KeyServer::start().await;
    idp.set("/jwks", 200, jwks(&["rsa1"]));
    let auth = JwtAuthenticator::builder()
        .audience(AUDIENCE)
        .clock(Arc::new(TestClock::default()))
        .fetcher(Arc::new(PlainHttpFetcher::default()))
        .issuer(
            Issuer::new(ISSUER)
                .jwks_url(idp.url("/jwks"))
                .allow_http(true),
        )
        .build()
        .unwrap();
    let payloads = [
        "../../../../dev/null",
        "/dev/null",
        "x' UNION SELECT '1';--",
        "|sleep 10",
        "| curl http://127.0.0.1:9/",
        "rsa1\u{0}",
    ];
    for kid in payloads {
        let header = serde_json::json!({"alg":"RS256","typ":"at+jwt","kid":kid}).to_string();
        let token = mint(&header, &good_claims(), &rsa_key("rsa1"), Algorithm::RS256);
        let got = auth.verify(&token).await;
        assert!(
            matches!(got, Err(JwtError::UnknownKey | JwtError::InvalidKeyId)),
            "{kid:?}: {got:?}"
        );
    }
    let empty = mint(
        r#"{"alg":"RS256","typ":"at+jwt","kid":""}"#,
        &good_claims(),
        &rsa_key("rsa1"),
        Algorithm::RS256,
    );
    assert_eq!(auth.verify(&empty).await, Err(JwtError::InvalidKeyId));
    assert_eq!(
        idp.hits(),
        1,
        "one initial fetch, no refetch inside the cooldown"
    );
}

#[tokio::test]
async fn crit_in_every_form_is_rejected() {
    for crit in [
        r#""crit":["x-unknown"],"x-unknown":"1""#,
        r#""crit":[]"#,
        r#""crit":["alg"]"#,
        r#""crit":["exp","exp"],"exp":"1""#,
        r#""crit":["missing"]"#,
        r#""crit":"x""#,
    ] {
        let header = format!(r#"{{"alg":"RS256","typ":"at+jwt","kid":"rsa1",{crit}}}"#);
        let token = mint(&header, &good_claims(), &rsa_key("rsa1"), Algorithm::RS256);
        assert_eq!(
            verify(&token).await,
            Err(JwtError::CriticalHeader),
            "{crit}"
        );
    }
}

#[tokio::test]
async fn unencoded_payload_b64_false_is_rejected() {
    let header = r#"{"alg":"RS256","typ":"at+jwt","kid":"rsa1","b64":false,"crit":["b64"]}"#;
    let token = mint(header, &good_claims(), &rsa_key("rsa1"), Algorithm::RS256);
    assert_eq!(verify(&token).await, Err(JwtError::CriticalHeader));
}

#[tokio::test]
async fn typ_must_be_the_access_token_type() {
    for typ in [
        None,
        Some("JWT"),
        Some("id_token+jwt"),
        Some("logout+jwt"),
        Some(""),
    ] {
        let header = match typ {
            Some(t) => format!(r#"{{"alg":"RS256","typ":"{t}","kid":"rsa1"}}"#),
            None => r#"{"alg":"RS256","kid":"rsa1"}"#.to_owned(),
        };
        let token = mint(&header, &good_claims(), &rsa_key("rsa1"), Algorithm::RS256);
        assert_eq!(verify(&token).await, Err(JwtError::WrongType), "{typ:?}");
    }
    for typ in ["at+jwt", "AT+JWT", "application/at+jwt"] {
        let header = format!(r#"{{"alg":"RS256","typ":"{typ}","kid":"rsa1"}}"#);
        let token = mint(&header, &good_claims(), &rsa_key("rsa1"), Algorithm::RS256);
        assert!(verify(&token).await.is_ok(), "{typ}");
    }
}

// ---------------------------------------------------------------- 1b claims and time

#[tokio::test]
async fn exp_past_the_leeway_is_rejected_and_inside_it_accepted() {
    let at = |exp: u64| format!(r#"{{"iss":"{ISSUER}","sub":"a","aud":"{AUDIENCE}","exp":{exp}}}"#);
    assert_eq!(
        verify(&rs256_token(&at(NOW - 120))).await,
        Err(JwtError::Expired)
    );
    assert!(verify(&rs256_token(&at(NOW - 30))).await.is_ok());
    let strict = builder_with(issuer())
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    assert_eq!(
        strict.verify(&rs256_token(&at(NOW - 30))).await,
        Err(JwtError::Expired)
    );
    assert_eq!(
        strict.verify(&rs256_token(&at(NOW))).await,
        Err(JwtError::Expired)
    );
}

#[test]
fn leeway_above_sixty_seconds_is_refused() {
    assert!(
        builder_with(issuer())
            .leeway(Duration::from_secs(120))
            .build()
            .is_err()
    );
    assert!(
        builder_with(issuer())
            .leeway(Duration::from_secs(60))
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn missing_exp_is_rejected() {
    let claims = format!(r#"{{"iss":"{ISSUER}","sub":"a","aud":"{AUDIENCE}"}}"#);
    assert_eq!(
        verify(&rs256_token(&claims)).await,
        Err(JwtError::MissingClaim("exp".into()))
    );
}

#[tokio::test]
async fn string_typed_times_are_rejected() {
    let claims = format!(r#"{{"iss":"{ISSUER}","sub":"a","aud":"{AUDIENCE}","exp":"9999999999"}}"#);
    assert_eq!(
        verify(&rs256_token(&claims)).await,
        Err(JwtError::InvalidClaim("exp".into()))
    );
    for name in ["nbf", "iat"] {
        let claims = claims_with(&format!(r#","{name}":"99999999999""#))
            .replace(&format!(r#","iat":{}"#, NOW - 10), "");
        assert_eq!(
            verify(&rs256_token(&claims)).await,
            Err(JwtError::InvalidClaim(name.into())),
            "{name}"
        );
    }
}

#[tokio::test]
async fn nbf_in_the_future_is_rejected() {
    let claims = claims_with(&format!(r#","nbf":{}"#, NOW + 3600));
    assert_eq!(
        verify(&rs256_token(&claims)).await,
        Err(JwtError::NotYetValid)
    );
    let inside = claims_with(&format!(r#","nbf":{}"#, NOW + 30));
    assert!(verify(&rs256_token(&inside)).await.is_ok());
}

#[tokio::test]
async fn iat_in_the_future_is_rejected_and_max_age_enforced() {
    let claims = format!(
        r#"{{"iss":"{ISSUER}","sub":"a","aud":"{AUDIENCE}","exp":{},"iat":{}}}"#,
        NOW + 600,
        NOW + 10 * 365 * 86_400
    );
    assert_eq!(
        verify(&rs256_token(&claims)).await,
        Err(JwtError::IssuedInFuture)
    );
    let aged = builder_with(issuer().max_token_age(Duration::from_secs(3600)))
        .build()
        .unwrap();
    let old = format!(
        r#"{{"iss":"{ISSUER}","sub":"a","aud":"{AUDIENCE}","exp":{},"iat":{}}}"#,
        NOW + 600,
        NOW - 7200
    );
    assert_eq!(aged.verify(&rs256_token(&old)).await, Err(JwtError::TooOld));
}

#[tokio::test]
async fn wrong_or_missing_iss_is_rejected() {
    let wrong = good_claims().replace(ISSUER, "https://evil.example");
    assert_eq!(
        verify(&rs256_token(&wrong)).await,
        Err(JwtError::UnknownIssuer)
    );
    let missing = format!(r#"{{"sub":"a","aud":"{AUDIENCE}","exp":{}}}"#, NOW + 600);
    assert_eq!(
        verify(&rs256_token(&missing)).await,
        Err(JwtError::MissingClaim("iss".into()))
    );
}

#[tokio::test]
async fn wrong_or_missing_aud_is_rejected() {
    let wrong = good_claims().replace(AUDIENCE, "https://other.example/api");
    assert_eq!(
        verify(&rs256_token(&wrong)).await,
        Err(JwtError::WrongAudience)
    );
    let missing = format!(r#"{{"iss":"{ISSUER}","sub":"a","exp":{}}}"#, NOW + 600);
    assert_eq!(
        verify(&rs256_token(&missing)).await,
        Err(JwtError::MissingClaim("aud".into()))
    );
    let missing_sub = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{}}}"#,
        NOW + 600
    );
    assert_eq!(
        verify(&rs256_token(&missing_sub)).await,
        Err(JwtError::MissingClaim("sub".into()))
    );
}

#[tokio::test]
async fn audience_arrays_need_one_accepted_member_or_are_refused_when_single_required() {
    let array = good_claims().replace(
        &format!(r#""aud":"{AUDIENCE}""#),
        &format!(r#""aud":["other-api","{AUDIENCE}"]"#),
    );
    assert!(verify(&rs256_token(&array)).await.is_ok());
    let none = good_claims().replace(&format!(r#""aud":"{AUDIENCE}""#), r#""aud":["a","b"]"#);
    assert_eq!(
        verify(&rs256_token(&none)).await,
        Err(JwtError::WrongAudience)
    );
    let empty = good_claims().replace(&format!(r#""aud":"{AUDIENCE}""#), r#""aud":[]"#);
    assert_eq!(
        verify(&rs256_token(&empty)).await,
        Err(JwtError::InvalidClaim("aud".into()))
    );
    let single = builder_with(issuer().single_audience(true))
        .build()
        .unwrap();
    assert_eq!(
        single.verify(&rs256_token(&array)).await,
        Err(JwtError::WrongAudience)
    );
}

#[tokio::test]
async fn duplicate_claims_are_rejected() {
    let dup_exp = format!(
        r#"{{"iss":"{ISSUER}","sub":"a","aud":"{AUDIENCE}","exp":1,"exp":{}}}"#,
        NOW + 600
    );
    assert_eq!(
        verify(&rs256_token(&dup_exp)).await,
        Err(JwtError::DuplicateMember)
    );
    let dup_aud = format!(
        r#"{{"iss":"{ISSUER}","sub":"a","aud":"evil","aud":"{AUDIENCE}","exp":{}}}"#,
        NOW + 600
    );
    assert_eq!(
        verify(&rs256_token(&dup_aud)).await,
        Err(JwtError::DuplicateMember)
    );
    let nested = claims_with(r#","realm_access":{"roles":["a"],"roles":["admin"]}"#);
    assert_eq!(
        verify(&rs256_token(&nested)).await,
        Err(JwtError::DuplicateMember)
    );
}

#[tokio::test]
async fn claims_that_are_not_an_object_or_not_utf8_are_rejected() {
    let header = b64(rs256_header("rsa1"));
    for payload in [
        b64("[1,2]"),
        b64("42"),
        b64("\"x\""),
        b64([0x7b, 0xff, 0xfe, 0x7d]),
    ] {
        let token = format!("{header}.{payload}.AAAA");
        assert!(
            matches!(verify(&token).await, Err(JwtError::Malformed(_))),
            "{payload}"
        );
    }
}

#[tokio::test]
async fn a_kid_of_another_issuer_is_not_found() {
    let auth = builder_with(issuer())
        .issuer(Issuer::new("https://other.example").jwks_json(jwks(&["rsa2"])))
        .build()
        .unwrap();
    let token = mint(
        &rs256_header("rsa2"),
        &good_claims(),
        &rsa_key("rsa2"),
        Algorithm::RS256,
    );
    assert_eq!(auth.verify(&token).await, Err(JwtError::UnknownKey));
}

#[tokio::test]
async fn cross_jwt_confusion_is_rejected_by_type_and_audience() {
    let id_token_header = r#"{"alg":"RS256","typ":"JWT","kid":"rsa1"}"#;
    let id_token = mint(
        id_token_header,
        &good_claims().replace(AUDIENCE, "spa-client"),
        &rsa_key("rsa1"),
        Algorithm::RS256,
    );
    assert_eq!(verify(&id_token).await, Err(JwtError::WrongType));
    let other_api = rs256_token(&good_claims().replace(AUDIENCE, "https://billing.example/api"));
    assert_eq!(verify(&other_api).await, Err(JwtError::WrongAudience));
}

// ---------------------------------------------------------------- 1c keys

#[tokio::test]
async fn jwk_alg_or_use_disagreeing_with_the_token_is_rejected() {
    let header = r#"{"alg":"RS384","typ":"at+jwt","kid":"rsa1"}"#;
    let token = mint(header, &good_claims(), &rsa_key("rsa1"), Algorithm::RS384);
    assert_eq!(verify(&token).await, Err(JwtError::AlgorithmMismatch));
    let enc = data("rsa1.jwk.json").replace(r#""use": "sig""#, r#""use": "enc""#);
    let built =
        builder_with(Issuer::new(ISSUER).jwks_json(format!(r#"{{"keys":[{enc}]}}"#))).build();
    assert!(
        built.is_err(),
        "an encryption key was loaded as a signature key"
    );
}

#[test]
fn weak_rsa_and_wrong_curve_keys_are_refused() {
    assert!(
        builder_with(Issuer::new(ISSUER).jwks_json(jwks(&["rsa1024"])))
            .build()
            .is_err()
    );
    let p384 = data("ec1.jwk.json").replace("P-256", "P-384");
    assert!(
        builder_with(Issuer::new(ISSUER).jwks_json(format!(r#"{{"keys":[{p384}]}}"#)))
            .build()
            .is_err()
    );
}

// ---------------------------------------------------------------- 1d encoding, size, malleability

#[tokio::test]
async fn oversized_tokens_are_rejected_before_parsing() {
    let huge = rs256_token(&claims_with(&format!(
        r#","pad":"{}""#,
        "x".repeat(4 << 20)
    )));
    assert!(matches!(
        verify(&huge).await,
        Err(JwtError::TooLarge { .. })
    ));
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        format!("Bearer {huge}").parse().unwrap(),
    );
    assert!(matches!(
        auth().authenticate(&headers).await,
        Err(AuthError::Invalid(m)) if m.contains("cap")
    ));
}

#[tokio::test]
async fn bearer_scheme_variants_and_duplicate_headers() {
    let token = rs256_token(&good_claims());
    let auth = auth();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            format!("{scheme} {token}").parse().unwrap(),
        );
        assert!(auth.authenticate(&headers).await.is_ok(), "{scheme}");
    }
    let mut two = HeaderMap::new();
    two.append(
        http::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    two.append(http::header::AUTHORIZATION, "Bearer other".parse().unwrap());
    assert!(matches!(
        auth.authenticate(&two).await,
        Err(AuthError::Invalid(_))
    ));
}

#[tokio::test]
async fn trailing_padding_extra_segments_leading_space_and_empty_are_rejected() {
    let token = rs256_token(&good_claims());
    for bad in [
        format!("{token}="),
        format!("{token}.AAAA"),
        format!(" {token}"),
        String::new(),
    ] {
        assert!(
            matches!(verify(&bad).await, Err(JwtError::Malformed(_))),
            "{bad:.20}"
        );
    }
}

#[tokio::test]
async fn non_canonical_base64url_and_every_single_character_mutation_are_rejected() {
    let auth = auth();
    let token = hs256(
        r#"{"alg":"HS256","typ":"at+jwt","kid":"h1"}"#,
        &hmac_claims(""),
        HMAC_SECRET,
    );
    assert!(auth.verify(&token).await.is_ok());
    // Flip the trailing bits of the last signature character: same bytes if decoded
    // leniently, refused here.
    let last = token.chars().last().unwrap();
    let twin = match last {
        'A'..='Y' | 'a'..='y' | '0'..='8' => ((last as u8) + 1) as char,
        _ => 'A',
    };
    let mut non_canonical = token.clone();
    non_canonical.pop();
    non_canonical.push(twin);
    assert!(auth.verify(&non_canonical).await.is_err());
    let mut accepted = 0;
    for (i, original) in token.char_indices() {
        for replacement in ['A', 'f', '_', '.', '='] {
            if replacement == original {
                continue;
            }
            let mut mutated = token.clone();
            mutated.replace_range(i..i + 1, &replacement.to_string());
            if auth.verify(&mutated).await.is_ok() {
                accepted += 1;
            }
        }
    }
    assert_eq!(accepted, 0);
}

#[tokio::test]
async fn es256_zero_and_der_signatures_are_rejected() {
    let input = format!(
        "{}.{}",
        b64(r#"{"alg":"ES256","typ":"at+jwt","kid":"ec1"}"#),
        b64(good_claims())
    );
    let zeros = format!("{input}.{}", b64([0u8; 64]));
    assert_eq!(verify(&zeros).await, Err(JwtError::InvalidSignature));
    // A genuine signature, re-encoded as DER: SEQUENCE { INTEGER r, INTEGER s }.
    let good = mint(
        r#"{"alg":"ES256","typ":"at+jwt","kid":"ec1"}"#,
        &good_claims(),
        &ec_key("ec1"),
        Algorithm::ES256,
    );
    assert!(verify(&good).await.is_ok());
    let raw = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        good.rsplit_once('.').unwrap().1,
    )
    .unwrap();
    let int = |b: &[u8]| {
        let mut v = b.to_vec();
        if v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let (r, s) = raw.split_at(32);
    let body = [int(r), int(s)].concat();
    let der = [vec![0x30, body.len() as u8], body].concat();
    let (signed_input, _) = good.rsplit_once('.').unwrap();
    assert_eq!(
        verify(&format!("{signed_input}.{}", b64(der))).await,
        Err(JwtError::InvalidSignature)
    );
}

// ---------------------------------------------------------------- the authenticator

#[tokio::test]
async fn non_jwt_bearer_is_not_recognised_and_bad_jwt_is_invalid() {
    let auth = auth();
    let header = |v: &str| {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, v.parse().unwrap());
        h
    };
    assert_eq!(
        auth.authenticate(&HeaderMap::new()).await,
        Err(AuthError::NotRecognized)
    );
    assert_eq!(
        auth.authenticate(&header("Bearer k_live_0123456789abcdef"))
            .await,
        Err(AuthError::NotRecognized)
    );
    assert_eq!(
        auth.authenticate(&header("Basic YTpi")).await,
        Err(AuthError::NotRecognized)
    );
    let expired =
        rs256_token(&good_claims().replace(&(NOW + 600).to_string(), &(NOW - 600).to_string()));
    assert_eq!(
        auth.authenticate(&header(&format!("Bearer {expired}")))
            .await,
        Err(AuthError::Invalid("token expired".into()))
    );
    assert_eq!(auth.credential_headers(), vec![http::header::AUTHORIZATION]);
}
