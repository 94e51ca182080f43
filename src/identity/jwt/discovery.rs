//! OIDC discovery: `{issuer}/.well-known/openid-configuration` → `jwks_uri`.

use serde_json::Value;
use url::Url;

use super::json::parse_strict;

/// The discovery document URL of `issuer` (OpenID Connect Discovery 1.0 §4: the
/// well-known suffix appended to the issuer, without a doubled slash).
pub(crate) fn discovery_url(issuer: &str) -> Result<Url, String> {
    let base = issuer.trim_end_matches('/');
    Url::parse(&format!("{base}/.well-known/openid-configuration"))
        .map_err(|e| format!("issuer {issuer:?} is not a URL: {e}"))
}

/// Reads `jwks_uri` from a discovery document, after checking that its `issuer` is
/// exactly `issuer` (§4.3: a document for another issuer must not be used).
pub(crate) fn jwks_uri(document: &[u8], issuer: &str, allow_http: bool) -> Result<Url, String> {
    let doc = parse_strict(document).map_err(|e| format!("discovery document: {e:?}"))?;
    match doc.get("issuer") {
        Some(Value::String(named)) if named == issuer => {}
        Some(Value::String(named)) => {
            return Err(format!(
                "discovery document names issuer {named:?}, not {issuer:?}"
            ));
        }
        _ => return Err("discovery document has no issuer".into()),
    }
    let Some(Value::String(uri)) = doc.get("jwks_uri") else {
        return Err("discovery document has no jwks_uri".into());
    };
    let url = Url::parse(uri).map_err(|e| format!("jwks_uri is not a URL: {e}"))?;
    check_scheme(&url, allow_http)?;
    Ok(url)
}

/// Keys are fetched over HTTPS only, unless plain HTTP was allowed explicitly.
pub(crate) fn check_scheme(url: &Url, allow_http: bool) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http => Ok(()),
        other => Err(format!("key URL scheme {other:?} is not https")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_must_match_exactly() {
        let doc = br#"{"issuer":"https://idp.example","jwks_uri":"https://idp.example/keys"}"#;
        let url = jwks_uri(doc, "https://idp.example", false).unwrap();
        assert_eq!(url.as_str(), "https://idp.example/keys");
        assert!(jwks_uri(doc, "https://idp.example/", false).is_err());
        let http = br#"{"issuer":"https://idp.example","jwks_uri":"http://idp.example/keys"}"#;
        assert!(jwks_uri(http, "https://idp.example", false).is_err());
        assert!(jwks_uri(http, "https://idp.example", true).is_ok());
    }

    #[test]
    fn discovery_url_appends_the_well_known_suffix() {
        assert_eq!(
            discovery_url("https://idp.example/realms/a/")
                .unwrap()
                .as_str(),
            "https://idp.example/realms/a/.well-known/openid-configuration"
        );
    }
}
