//! JSON that refuses duplicate object members, for token headers, claims and key sets.
//!
//! `serde_json::Value` keeps the last of two duplicate members; another parser may keep
//! the first. For a token that is a parser differential an attacker can use
//! (`{"aud":"evil","aud":"gw"}`), so tollgate refuses such documents outright, with the
//! same strict parser that reads MCP bodies.

/// Why a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Some object names a member twice.
    Duplicate,
    /// Not JSON (or trailing bytes, or nested too deep).
    Syntax,
}

/// Parses `bytes` as one JSON value, refusing duplicate members at any depth.
pub(crate) fn parse_strict(bytes: &[u8]) -> Result<serde_json::Value, JsonError> {
    crate::mcp::strict_json::parse(bytes).map_err(|e| {
        if e.to_string()
            .starts_with(crate::mcp::strict_json::DUPLICATE_KEY)
        {
            JsonError::Duplicate
        } else {
            JsonError::Syntax
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_syntax_errors_are_told_apart() {
        assert_eq!(
            parse_strict(br#"{"aud":"evil","aud":"gw"}"#),
            Err(JsonError::Duplicate)
        );
        assert_eq!(
            parse_strict(br#"{"a":{"b":1,"b":2}}"#),
            Err(JsonError::Duplicate)
        );
        assert_eq!(parse_strict(b"{\"a\":"), Err(JsonError::Syntax));
        assert_eq!(parse_strict(b"{} x"), Err(JsonError::Syntax));
        assert!(parse_strict(br#"{"a":[1,{"b":2}]}"#).is_ok());
    }
}
