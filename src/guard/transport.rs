//! Step 1 of the pipeline: what kind of request this is and whether its transport is
//! acceptable (Host and Origin allow-lists, content type, content encoding).

use http::request::Parts;
use http::{Method, StatusCode, header};

/// How the guard handles a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    /// A POST to an MCP endpoint: buffered, decoded and decided message by message.
    McpPost,
    /// Anything else (GET listen streams, DELETE, gRPC, other routes): authenticated,
    /// then forwarded without buffering.
    Passthrough,
}

/// The transport rules of a guard.
#[derive(Debug, Clone)]
pub(crate) struct TransportRules {
    /// Lowercased allowed hosts, with or without a port; `None` allows any host.
    pub allowed_hosts: Option<Vec<String>>,
    /// Lowercased allowed origins (`scheme://host[:port]`).
    pub allowed_origins: Vec<String>,
    /// Paths that carry MCP; empty means every path.
    pub mcp_paths: Vec<String>,
}

/// A transport-level refusal: an HTTP status and a one-line reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: StatusCode,
    pub reason: &'static str,
}

impl TransportRules {
    /// Checks Host and Origin against the allow-lists, then sorts the request.
    pub(crate) fn admit(&self, parts: &Parts) -> Result<RequestKind, Refusal> {
        if !self.host_allowed(parts) {
            return Err(Refusal {
                status: StatusCode::FORBIDDEN,
                reason: "Forbidden: Host header is not allowed",
            });
        }
        if let Some(origin) = parts.headers.get(header::ORIGIN) {
            let allowed = origin.to_str().is_ok_and(|o| {
                let o = o.trim().to_ascii_lowercase();
                self.allowed_origins.contains(&o)
            });
            if !allowed {
                return Err(Refusal {
                    status: StatusCode::FORBIDDEN,
                    reason: "Forbidden: Origin is not allowed",
                });
            }
        }
        self.kind(parts)
    }

    fn kind(&self, parts: &Parts) -> Result<RequestKind, Refusal> {
        let on_mcp_path =
            self.mcp_paths.is_empty() || self.mcp_paths.iter().any(|p| p == parts.uri.path());
        if !on_mcp_path || parts.method != Method::POST {
            return Ok(RequestKind::Passthrough);
        }
        let content_type = crate::mcp::media_type(&parts.headers);
        if content_type.starts_with("application/grpc") {
            return Ok(RequestKind::Passthrough);
        }
        if content_type != "application/json" {
            return Err(Refusal {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                reason: "Unsupported Media Type: MCP requests must be application/json",
            });
        }
        let encoded = parts
            .headers
            .get_all(header::CONTENT_ENCODING)
            .iter()
            .any(|v| {
                !v.to_str()
                    .is_ok_and(|v| v.trim().eq_ignore_ascii_case("identity"))
            });
        if encoded {
            return Err(Refusal {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                reason: "Unsupported Media Type: encoded MCP request bodies cannot be inspected",
            });
        }
        Ok(RequestKind::McpPost)
    }

    fn host_allowed(&self, parts: &Parts) -> bool {
        let Some(allowed) = &self.allowed_hosts else {
            return true;
        };
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()));
        let Some(host) = host else {
            return false;
        };
        let host = host.trim().to_ascii_lowercase();
        let name = host_name(&host);
        allowed.iter().any(|a| {
            if has_port(a) {
                *a == host
            } else {
                host_name(a) == name
            }
        })
    }
}

/// The host part of `host[:port]`, with IPv6 brackets removed.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        // A bare IPv6 address has several colons and no port.
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

fn has_port(entry: &str) -> bool {
    host_name(entry) != entry.trim_start_matches('[').trim_end_matches(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> TransportRules {
        TransportRules {
            allowed_hosts: Some(vec![
                "localhost".into(),
                "127.0.0.1".into(),
                "::1".into(),
                "gw.example:8443".into(),
            ]),
            allowed_origins: vec!["https://app.example".into()],
            mcp_paths: vec![],
        }
    }

    fn parts(method: &str, host: Option<&str>, headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder().method(method).uri("/mcp");
        if let Some(h) = host {
            b = b.header("host", h);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn host_allow_list_matches_names_ports_and_ipv6() {
        let r = rules();
        for ok in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:3000",
            "[::1]:80",
            "gw.example:8443",
        ] {
            assert!(r.host_allowed(&parts("GET", Some(ok), &[])), "{ok}");
        }
        for bad in [
            "evil.example",
            "gw.example",
            "gw.example:443",
            "localhost.evil.example",
        ] {
            assert!(!r.host_allowed(&parts("GET", Some(bad), &[])), "{bad}");
        }
        assert!(!r.host_allowed(&parts("GET", None, &[])));
    }

    #[test]
    fn foreign_origin_is_forbidden_even_with_a_good_host() {
        let r = rules();
        let p = parts(
            "POST",
            Some("localhost"),
            &[
                ("origin", "https://evil.example"),
                ("content-type", "application/json"),
            ],
        );
        assert_eq!(r.admit(&p).unwrap_err().status, StatusCode::FORBIDDEN);
        let p = parts(
            "POST",
            Some("localhost"),
            &[
                ("origin", "https://app.example"),
                ("content-type", "application/json"),
            ],
        );
        assert_eq!(r.admit(&p).unwrap(), RequestKind::McpPost);
    }

    #[test]
    fn sorts_requests_by_method_and_content_type() {
        let r = rules();
        let kind = |m, h: &[(&str, &str)]| r.admit(&parts(m, Some("localhost"), h));
        assert_eq!(kind("GET", &[]).unwrap(), RequestKind::Passthrough);
        assert_eq!(kind("DELETE", &[]).unwrap(), RequestKind::Passthrough);
        assert_eq!(
            kind("POST", &[("content-type", "application/grpc+proto")]).unwrap(),
            RequestKind::Passthrough
        );
        assert_eq!(
            kind(
                "POST",
                &[("content-type", "application/json; charset=utf-8")]
            )
            .unwrap(),
            RequestKind::McpPost
        );
        assert_eq!(
            kind("POST", &[("content-type", "text/plain")])
                .unwrap_err()
                .status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            kind(
                "POST",
                &[
                    ("content-type", "application/json"),
                    ("content-encoding", "gzip")
                ]
            )
            .unwrap_err()
            .status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
    }

    #[test]
    fn other_paths_pass_through_when_mcp_paths_are_set() {
        let mut r = rules();
        r.mcp_paths = vec!["/mcp".into()];
        let mut p = parts("POST", Some("localhost"), &[("content-type", "text/plain")]);
        assert_eq!(
            r.admit(&p).unwrap_err().status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        p.uri = "/health".parse().unwrap();
        assert_eq!(r.admit(&p).unwrap(), RequestKind::Passthrough);
    }
}
