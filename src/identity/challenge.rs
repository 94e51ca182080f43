//! `WWW-Authenticate: Bearer …` challenges for 401 and 403 replies (RFC 6750 §3,
//! RFC 9728 §5.1, and the MCP authorization spec).
//!
//! The MCP spec shows two shapes, which [`Challenge`] renders exactly:
//!
//! ```text
//! 401: Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", scope="files:read"
//! 403: Bearer error="insufficient_scope", scope="files:read files:write", resource_metadata="…", error_description="…"
//! ```

use std::fmt;

use http::{HeaderValue, StatusCode};

/// The RFC 6750 §3.1 error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BearerError {
    /// The request is malformed (400).
    InvalidRequest,
    /// The token is expired, revoked, malformed or otherwise invalid (401).
    InvalidToken,
    /// The token lacks the scope the request needs (403).
    InsufficientScope,
}

impl BearerError {
    /// The code as written in the challenge.
    pub fn as_str(self) -> &'static str {
        match self {
            BearerError::InvalidRequest => "invalid_request",
            BearerError::InvalidToken => "invalid_token",
            BearerError::InsufficientScope => "insufficient_scope",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> StatusCode {
        match self {
            BearerError::InvalidRequest => StatusCode::BAD_REQUEST,
            BearerError::InvalidToken => StatusCode::UNAUTHORIZED,
            BearerError::InsufficientScope => StatusCode::FORBIDDEN,
        }
    }
}

/// A `Bearer` challenge for the `WWW-Authenticate` header.
///
/// Without an error code it is the answer to a request with no token (RFC 6750 §3.1:
/// no error code then); [`Challenge::invalid_token`] answers a bad token and
/// [`Challenge::insufficient_scope`] a token without the needed scopes. Values are
/// written as quoted strings; `"` and `\` are escaped, and control or non-ASCII
/// characters are replaced by `?`, so the header is always valid and cannot be split.
///
/// ```
/// use tollgate::identity::Challenge;
///
/// let meta = "https://mcp.example.com/.well-known/oauth-protected-resource";
/// let c = Challenge::new().resource_metadata(meta).scope(["files:read"]);
/// assert_eq!(
///     c.to_string(),
///     r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", scope="files:read""#
/// );
/// assert_eq!(c.status(), http::StatusCode::UNAUTHORIZED);
///
/// let c = Challenge::insufficient_scope(["files:read", "files:write"])
///     .resource_metadata(meta)
///     .error_description("Additional file write permission required");
/// assert_eq!(c.status(), http::StatusCode::FORBIDDEN);
/// assert_eq!(
///     c.to_string(),
///     "Bearer error=\"insufficient_scope\", scope=\"files:read files:write\", \
///      resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource\", \
///      error_description=\"Additional file write permission required\""
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    error: Option<BearerError>,
    scope: Vec<String>,
    resource_metadata: Option<String>,
    error_description: Option<String>,
}

impl Challenge {
    /// A challenge without an error code (no token was sent).
    pub fn new() -> Self {
        Self::default()
    }

    /// `error="invalid_token"`: the token was refused.
    pub fn invalid_token() -> Self {
        Self::new().error(BearerError::InvalidToken)
    }

    /// `error="insufficient_scope"` with the scopes the request needs.
    pub fn insufficient_scope<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new()
            .error(BearerError::InsufficientScope)
            .scope(scopes)
    }

    /// Sets the error code.
    pub fn error(mut self, error: BearerError) -> Self {
        self.error = Some(error);
        self
    }

    /// Sets the scopes (written space-separated).
    pub fn scope<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scope = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the URL of the protected-resource metadata document (RFC 9728 §5.1).
    pub fn resource_metadata(mut self, url: impl Into<String>) -> Self {
        self.resource_metadata = Some(url.into());
        self
    }

    /// Sets a human-readable explanation. Never put token contents in it.
    pub fn error_description(mut self, description: impl Into<String>) -> Self {
        self.error_description = Some(description.into());
        self
    }

    /// The status to reply with: 403 for `insufficient_scope`, 400 for
    /// `invalid_request`, 401 otherwise.
    pub fn status(&self) -> StatusCode {
        self.error
            .map_or(StatusCode::UNAUTHORIZED, BearerError::status)
    }

    /// The `WWW-Authenticate` header value.
    pub fn to_header_value(&self) -> HeaderValue {
        // Every byte written is visible ASCII or a space, so this cannot fail.
        HeaderValue::from_str(&self.to_string()).unwrap_or(HeaderValue::from_static("Bearer"))
    }
}

/// Writes `value` as an RFC 7230 quoted-string.
fn quoted(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in value.chars() {
        match c {
            '"' | '\\' => write!(f, "\\{c}")?,
            ' '..='~' => write!(f, "{c}")?,
            _ => f.write_str("?")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer")?;
        let mut first = true;
        let mut param = |f: &mut fmt::Formatter<'_>, name: &str, value: &str| {
            f.write_str(if first { " " } else { ", " })?;
            first = false;
            f.write_str(name)?;
            f.write_str("=")?;
            quoted(f, value)
        };
        let scope = (!self.scope.is_empty()).then(|| self.scope.join(" "));
        if let Some(error) = self.error {
            param(f, "error", error.as_str())?;
            if let Some(scope) = &scope {
                param(f, "scope", scope)?;
            }
            if let Some(url) = &self.resource_metadata {
                param(f, "resource_metadata", url)?;
            }
        } else {
            if let Some(url) = &self.resource_metadata {
                param(f, "resource_metadata", url)?;
            }
            if let Some(scope) = &scope {
                param(f, "scope", scope)?;
            }
        }
        if let Some(description) = &self.error_description {
            param(f, "error_description", description)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_challenge_is_just_the_scheme() {
        assert_eq!(Challenge::new().to_string(), "Bearer");
    }

    #[test]
    fn invalid_token_names_the_error() {
        let c = Challenge::invalid_token()
            .resource_metadata("https://gw.example/.well-known/oauth-protected-resource/mcp");
        assert_eq!(
            c.to_string(),
            r#"Bearer error="invalid_token", resource_metadata="https://gw.example/.well-known/oauth-protected-resource/mcp""#
        );
        assert_eq!(c.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn quotes_and_line_breaks_cannot_escape_the_value() {
        let c = Challenge::invalid_token().error_description("bad \"x\" \\ \r\nSet-Cookie: a=b é");
        let text = c.to_string();
        assert_eq!(
            text,
            r#"Bearer error="invalid_token", error_description="bad \"x\" \\ ??Set-Cookie: a=b ?""#
        );
        assert_eq!(c.to_header_value().to_str().unwrap(), text);
    }
}
