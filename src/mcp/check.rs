//! Request-level checks that need both the HTTP headers and the decoded body: which
//! protocol revision the request speaks, whether a batch is allowed in it, and whether
//! the mirrored headers (`Mcp-Method`, `Mcp-Name`, `MCP-Protocol-Version`) agree with the
//! body. tollgate always decides on the body; the headers are only hints, and a hint
//! that disagrees with the body is refused rather than trusted.

use base64::Engine;
use http::HeaderMap;

use super::codes;
use super::error::DecodeError;
use super::message::{Message, Payload};
use super::version::ProtocolVersion;

/// Checks a decoded POST body against its headers and returns the protocol revision the
/// request speaks.
///
/// The revision is the `MCP-Protocol-Version` header when present, else the body's
/// `_meta` revision, else 2025-03-26 (the specification's rule for a missing header).
/// Refused: an unknown revision; a body revision that differs from the header; a batch
/// outside 2025-03-26; a 2026-07-28 request without `Mcp-Method`, or without `Mcp-Name`
/// on `tools/call`, `resources/read` and `prompts/get`; and, in any revision, an
/// `Mcp-Method` or `Mcp-Name` header that disagrees with the body.
///
/// ```
/// use http::HeaderMap;
/// use tollgate::mcp::{check_request, DecodeError, Payload};
///
/// let body = br#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
/// let mut headers = HeaderMap::new();
/// headers.insert("mcp-protocol-version", "2026-07-28".parse().unwrap());
/// headers.insert("mcp-method", "tools/call".parse().unwrap());
/// headers.insert("mcp-name", "get_secret".parse().unwrap());
/// let err = check_request(&headers, &Payload::parse(body)?).unwrap_err();
/// assert!(matches!(err, DecodeError::HeaderMismatch(_)));
/// # Ok::<(), DecodeError>(())
/// ```
pub fn check_request(
    headers: &HeaderMap,
    payload: &Payload,
) -> Result<ProtocolVersion, DecodeError> {
    let header_version = header_str(headers, codes::HEADER_PROTOCOL_VERSION)?;
    let header_method = header_str(headers, codes::HEADER_METHOD)?;
    let header_name = header_str(headers, codes::HEADER_NAME)?;

    let mut declared: Option<&str> = None;
    for message in payload.messages() {
        if let Some(v) = message.declared_version() {
            match declared {
                Some(d) if d != v => {
                    return Err(DecodeError::InvalidRequest(
                        "batch elements declare different protocol versions".into(),
                    ));
                }
                _ => declared = Some(v),
            }
        }
    }
    let version = match (header_version, declared) {
        (Some(h), Some(d)) if h != d => {
            return Err(DecodeError::HeaderMismatch(format!(
                "MCP-Protocol-Version header `{h}` does not match body value `{d}`"
            )));
        }
        (Some(v), _) | (None, Some(v)) => known_version(v)?,
        (None, None) => ProtocolVersion::ASSUMED_WITHOUT_HEADER,
    };
    if declared.is_some() && header_version.is_none() {
        return Err(DecodeError::HeaderMismatch(
            "missing required MCP-Protocol-Version header".into(),
        ));
    }

    if let Payload::Batch(messages) = payload {
        if !version.allows_batches() {
            return Err(DecodeError::InvalidRequest(format!(
                "JSON-RPC batches are not allowed in protocol version {version}"
            )));
        }
        if header_method.is_some() || header_name.is_some() {
            return Err(DecodeError::HeaderMismatch(
                "Mcp-Method/Mcp-Name headers cannot describe a batch".into(),
            ));
        }
        debug_assert!(!messages.is_empty());
        return Ok(version);
    }

    for message in payload.messages() {
        check_mirrored_headers(message, version, header_method, header_name)?;
    }
    Ok(version)
}

fn check_mirrored_headers(
    message: &Message,
    version: ProtocolVersion,
    header_method: Option<&str>,
    header_name: Option<&str>,
) -> Result<(), DecodeError> {
    let method = message.method();
    match (header_method, method) {
        (Some(h), Some(m)) if h != m => {
            return Err(DecodeError::HeaderMismatch(format!(
                "Mcp-Method header `{h}` does not match body value `{m}`"
            )));
        }
        (Some(h), None) => {
            return Err(DecodeError::HeaderMismatch(format!(
                "Mcp-Method header `{h}` on a message without a method"
            )));
        }
        (None, Some(m)) if version.is_stateless() && matches!(message, Message::Request(_)) => {
            return Err(DecodeError::HeaderMismatch(format!(
                "missing required Mcp-Method header for `{m}`"
            )));
        }
        _ => {}
    }
    match (header_name, message.mirrored_name()) {
        (Some(h), Some(body)) => {
            let decoded = decode_header_value(h)?;
            if body.as_str() != Some(decoded.as_str()) {
                return Err(DecodeError::HeaderMismatch(format!(
                    "Mcp-Name header `{h}` does not match body value {body}"
                )));
            }
        }
        (Some(h), None) => {
            return Err(DecodeError::HeaderMismatch(format!(
                "Mcp-Name header `{h}` on a message that has no name"
            )));
        }
        (None, Some(_)) if version.is_stateless() => {
            return Err(DecodeError::HeaderMismatch(format!(
                "missing required Mcp-Name header for `{}`",
                method.unwrap_or_default()
            )));
        }
        _ => {}
    }
    Ok(())
}

/// Decodes the `=?base64?{b64}?=` sentinel MCP uses for header values that are not
/// safe ASCII; other values are returned as they are.
fn decode_header_value(value: &str) -> Result<String, DecodeError> {
    let Some(encoded) = value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Ok(value.to_owned());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| DecodeError::HeaderMismatch(format!("bad base64 header value: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|_| DecodeError::HeaderMismatch("base64 header value is not UTF-8".into()))
}

fn known_version(v: &str) -> Result<ProtocolVersion, DecodeError> {
    ProtocolVersion::parse(v).ok_or_else(|| DecodeError::UnsupportedVersion {
        requested: v.to_owned(),
    })
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, DecodeError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(DecodeError::HeaderMismatch(format!(
            "header `{name}` appears more than once"
        )));
    }
    first
        .to_str()
        .map(|s| Some(s.trim()))
        .map_err(|_| DecodeError::HeaderMismatch(format!("header `{name}` is not visible ASCII")))
}

/// The revision named by the `MCP-Protocol-Version` header alone, for requests without a
/// body (GET, DELETE). An unknown revision is refused.
pub fn header_version(headers: &HeaderMap) -> Result<Option<ProtocolVersion>, DecodeError> {
    header_str(headers, codes::HEADER_PROTOCOL_VERSION)?
        .map(known_version)
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    const MODERN_CALL: &str = r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"modern"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;

    fn check(h: &[(&str, &str)], body: &str) -> Result<ProtocolVersion, DecodeError> {
        check_request(&headers(h), &Payload::parse(body.as_bytes()).unwrap())
    }

    #[test]
    fn modern_request_with_matching_headers_passes() {
        let v = check(
            &[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "echo"),
            ],
            MODERN_CALL,
        )
        .unwrap();
        assert_eq!(v, ProtocolVersion::V2026_07_28);
    }

    #[test]
    fn modern_request_header_mismatches_are_refused() {
        let cases: [&[(&str, &str)]; 5] = [
            &[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "get_secret"),
            ],
            &[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/list"),
                ("mcp-name", "echo"),
            ],
            &[
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
            ],
            &[("mcp-protocol-version", "2026-07-28"), ("mcp-name", "echo")],
            &[("mcp-method", "tools/call"), ("mcp-name", "echo")],
        ];
        for h in cases {
            let err = check(h, MODERN_CALL).unwrap_err();
            assert_eq!(err.code(), codes::HEADER_MISMATCH, "{h:?}: {err}");
        }
        let err = check(
            &[
                ("mcp-protocol-version", "2025-11-25"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "echo"),
            ],
            MODERN_CALL,
        )
        .unwrap_err();
        assert_eq!(err.code(), codes::HEADER_MISMATCH);
    }

    #[test]
    fn base64_sentinel_names_are_decoded_before_comparing() {
        let body = MODERN_CALL.replace("\"echo\"", "\"écho\"");
        let b64 = base64::engine::general_purpose::STANDARD.encode("écho");
        let sentinel = format!("=?base64?{b64}?=");
        let h = [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", sentinel.as_str()),
        ];
        assert!(check(&h, &body).is_ok());
        let wrong = format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode("echo")
        );
        let h = [
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", wrong.as_str()),
        ];
        assert!(check(&h, &body).is_err());
    }

    #[test]
    fn legacy_mirrored_headers_are_optional_but_must_agree() {
        let body = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo"}}"#;
        assert_eq!(
            check(&[("mcp-protocol-version", "2025-11-25")], body).unwrap(),
            ProtocolVersion::V2025_11_25
        );
        assert!(
            check(
                &[("mcp-protocol-version", "2025-11-25"), ("mcp-name", "rm")],
                body
            )
            .is_err()
        );
        assert_eq!(check(&[], body).unwrap(), ProtocolVersion::V2025_03_26);
    }

    #[test]
    fn unknown_versions_are_refused_with_the_supported_list() {
        let body = r#"{"jsonrpc":"2.0","id":24,"method":"tools/list"}"#;
        let err = check(&[("mcp-protocol-version", "1999-01-01")], body).unwrap_err();
        assert_eq!(err.code(), codes::UNSUPPORTED_PROTOCOL_VERSION);
        let data = err.data().unwrap();
        assert_eq!(data["requested"], "1999-01-01");
        assert!(
            data["supported"]
                .as_array()
                .unwrap()
                .contains(&Value::from("2026-07-28"))
        );
    }

    #[test]
    fn batches_only_in_2025_03_26() {
        let batch = r#"[{"jsonrpc":"2.0","id":22,"method":"tools/list"},{"jsonrpc":"2.0","id":23,"method":"ping"}]"#;
        assert!(check(&[], batch).is_ok());
        assert!(check(&[("mcp-protocol-version", "2025-03-26")], batch).is_ok());
        for v in ["2025-06-18", "2025-11-25", "2026-07-28"] {
            let err = check(&[("mcp-protocol-version", v)], batch).unwrap_err();
            assert_eq!(err.code(), codes::INVALID_REQUEST, "{v}");
        }
    }

    #[test]
    fn repeated_headers_are_refused() {
        let body = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo"}}"#;
        let err = check(&[("mcp-name", "echo"), ("mcp-name", "rm")], body).unwrap_err();
        assert_eq!(err.code(), codes::HEADER_MISMATCH);
    }
}
