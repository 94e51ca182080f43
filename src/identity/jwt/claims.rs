//! Claim validation (time, issuer, audience, required claims) and the mapping of
//! verified claims to an [`Identity`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::error::JwtError;
use crate::identity::{Identity, IdentityKind};

type Claims = Map<String, Value>;

/// The claim rules of one issuer, compiled from its configuration.
#[derive(Debug, Clone)]
pub(crate) struct ClaimRules {
    pub(crate) issuer: String,
    pub(crate) audiences: Vec<String>,
    pub(crate) single_audience: bool,
    pub(crate) required: Vec<String>,
    pub(crate) leeway: u64,
    pub(crate) max_token_age: Option<Duration>,
    pub(crate) groups_claim: String,
    pub(crate) kind_claim: Option<String>,
    pub(crate) default_kind: IdentityKind,
}

/// The validated times of a token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Validity {
    pub(crate) expires_at: SystemTime,
}

fn seconds_since_epoch(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// A NumericDate claim: a JSON number (never a string), in whole seconds.
fn numeric_date(claims: &Claims, name: &str) -> Result<Option<i64>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite() && f.abs() < 1e15) {
                Ok(Some(f.floor() as i64))
            } else {
                Err(JwtError::InvalidClaim(name.to_owned()))
            }
        }
        Some(_) => Err(JwtError::InvalidClaim(name.to_owned())),
    }
}

fn string_claim<'a>(claims: &'a Claims, name: &str) -> Result<Option<&'a str>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JwtError::InvalidClaim(name.to_owned())),
    }
}

/// Checks `iss`, `sub`, `aud`, `exp`, `nbf`, `iat` and the extra required claims.
pub(crate) fn validate(
    claims: &Claims,
    rules: &ClaimRules,
    now: SystemTime,
) -> Result<Validity, JwtError> {
    for name in ["exp", "iss", "aud", "sub"]
        .into_iter()
        .chain(rules.required.iter().map(String::as_str))
    {
        if !claims.contains_key(name) {
            return Err(JwtError::MissingClaim(name.to_owned()));
        }
    }
    if string_claim(claims, "iss")? != Some(rules.issuer.as_str()) {
        return Err(JwtError::UnknownIssuer);
    }
    match string_claim(claims, "sub")? {
        Some(sub) if !sub.is_empty() => {}
        _ => return Err(JwtError::InvalidClaim("sub".into())),
    }
    check_audience(claims, rules)?;

    let now = seconds_since_epoch(now);
    let leeway = i64::try_from(rules.leeway).unwrap_or(0);
    let exp = numeric_date(claims, "exp")?.ok_or_else(|| JwtError::MissingClaim("exp".into()))?;
    if now >= exp.saturating_add(leeway) {
        return Err(JwtError::Expired);
    }
    if let Some(nbf) = numeric_date(claims, "nbf")?
        && now.saturating_add(leeway) < nbf
    {
        return Err(JwtError::NotYetValid);
    }
    if let Some(iat) = numeric_date(claims, "iat")? {
        if iat > now.saturating_add(leeway) {
            return Err(JwtError::IssuedInFuture);
        }
        if let Some(max) = rules.max_token_age {
            let max = i64::try_from(max.as_secs()).unwrap_or(i64::MAX);
            if now.saturating_sub(iat) > max.saturating_add(leeway) {
                return Err(JwtError::TooOld);
            }
        }
    } else if rules.max_token_age.is_some() {
        return Err(JwtError::MissingClaim("iat".into()));
    }
    let expires_at = u64::try_from(exp)
        .ok()
        .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
        .ok_or_else(|| JwtError::InvalidClaim("exp".into()))?;
    Ok(Validity { expires_at })
}

/// `aud` is a string or a non-empty array of strings, one of which is accepted.
fn check_audience(claims: &Claims, rules: &ClaimRules) -> Result<(), JwtError> {
    let accepted = |a: &str| rules.audiences.iter().any(|x| x == a);
    match claims.get("aud") {
        Some(Value::String(aud)) if accepted(aud) => Ok(()),
        Some(Value::String(_)) => Err(JwtError::WrongAudience),
        Some(Value::Array(values)) if !values.is_empty() => {
            let mut names = Vec::with_capacity(values.len());
            for v in values {
                match v {
                    Value::String(s) => names.push(s.as_str()),
                    _ => return Err(JwtError::InvalidClaim("aud".into())),
                }
            }
            if rules.single_audience && names.len() > 1 {
                return Err(JwtError::WrongAudience);
            }
            if names.into_iter().any(accepted) {
                Ok(())
            } else {
                Err(JwtError::WrongAudience)
            }
        }
        _ => Err(JwtError::InvalidClaim("aud".into())),
    }
}

/// The claim at `path`: a top-level member named exactly `path` (so `cognito:groups`
/// and URL-named claims work), else a walk of nested objects along dot-separated names
/// (`realm_access.roles`).
pub(crate) fn claim_at<'a>(claims: &'a Claims, path: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    let mut parts = path.split('.');
    let mut current = claims.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

/// A list of strings from an array of strings, or a space-separated string.
fn string_list(value: &Value, name: &str, split: bool) -> Result<Vec<String>, JwtError> {
    match value {
        Value::String(s) if split => Ok(s.split_whitespace().map(str::to_owned).collect()),
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(JwtError::InvalidClaim(name.to_owned())),
            })
            .collect(),
        _ => Err(JwtError::InvalidClaim(name.to_owned())),
    }
}

/// Builds the identity of validated claims.
pub(crate) fn identity(
    claims: &Claims,
    rules: &ClaimRules,
    validity: Validity,
) -> Result<Identity, JwtError> {
    let subject = string_claim(claims, "sub")?.unwrap_or_default();
    let kind = match &rules.kind_claim {
        Some(path) => match claim_at(claims, path) {
            None => rules.default_kind,
            Some(Value::String(s)) => {
                parse_kind(s).ok_or_else(|| JwtError::InvalidClaim(path.clone()))?
            }
            Some(_) => return Err(JwtError::InvalidClaim(path.clone())),
        },
        None => rules.default_kind,
    };
    let groups = match claim_at(claims, &rules.groups_claim) {
        Some(value) => string_list(value, &rules.groups_claim, false)?,
        None => Vec::new(),
    };
    let scopes = match (claims.get("scope"), claims.get("scp")) {
        (Some(value), _) => string_list(value, "scope", true)?,
        (None, Some(value)) => string_list(value, "scp", true)?,
        (None, None) => Vec::new(),
    };
    let mut identity = Identity::new(subject, kind)
        .with_issuer(rules.issuer.clone())
        .with_groups(groups)
        .with_scopes(scopes)
        .with_expires_at(validity.expires_at);
    let client = match string_claim(claims, "azp")? {
        Some(azp) => Some(azp),
        None => string_claim(claims, "client_id")?,
    };
    if let Some(client) = client {
        identity = identity.with_client_id(client);
    }
    if let Some(jti) = string_claim(claims, "jti")? {
        identity = identity.with_token_id(jti);
    }
    Ok(identity)
}

fn parse_kind(value: &str) -> Option<IdentityKind> {
    [
        IdentityKind::User,
        IdentityKind::Service,
        IdentityKind::Agent,
    ]
    .into_iter()
    .find(|k| k.as_str().eq_ignore_ascii_case(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> ClaimRules {
        ClaimRules {
            issuer: "https://idp.example".into(),
            audiences: vec!["https://gw.example/mcp".into()],
            single_audience: false,
            required: Vec::new(),
            leeway: 60,
            max_token_age: None,
            groups_claim: "realm_access.roles".into(),
            kind_claim: Some("tollgate:kind".into()),
            default_kind: IdentityKind::User,
        }
    }

    fn claims(json: serde_json::Value) -> Claims {
        json.as_object().cloned().unwrap()
    }

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn maps_groups_scopes_kind_client_and_token_id() {
        let c = claims(serde_json::json!({
            "iss": "https://idp.example", "sub": "alice", "aud": ["x", "https://gw.example/mcp"],
            "exp": 2000, "realm_access": {"roles": ["support", "ops"]},
            "scp": ["files:read"], "tollgate:kind": "Agent", "client_id": "cli", "jti": "t-1"
        }));
        let v = validate(&c, &rules(), at(1000)).unwrap();
        let id = identity(&c, &rules(), v).unwrap();
        assert_eq!(id.groups, ["support", "ops"]);
        assert_eq!(id.scopes, ["files:read"]);
        assert_eq!(id.kind, IdentityKind::Agent);
        assert_eq!(id.client_id.as_deref(), Some("cli"));
        assert_eq!(id.token_id.as_deref(), Some("t-1"));
        assert_eq!(id.expires_at, Some(at(2000)));
    }

    #[test]
    fn unknown_kind_value_is_refused() {
        let c = claims(serde_json::json!({
            "iss": "https://idp.example", "sub": "a", "aud": "https://gw.example/mcp",
            "exp": 2000, "tollgate:kind": "admin"
        }));
        let v = validate(&c, &rules(), at(1000)).unwrap();
        assert_eq!(
            identity(&c, &rules(), v),
            Err(JwtError::InvalidClaim("tollgate:kind".into()))
        );
    }

    #[test]
    fn single_audience_refuses_arrays() {
        let mut r = rules();
        r.single_audience = true;
        let c = claims(serde_json::json!({
            "iss": "https://idp.example", "sub": "a", "aud": ["x", "https://gw.example/mcp"], "exp": 2000
        }));
        assert_eq!(
            validate(&c, &r, at(1000)).unwrap_err(),
            JwtError::WrongAudience
        );
    }
}
