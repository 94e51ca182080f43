//! Helpers shared by the integration tests: serving a router or a tower service on a
//! loopback port, connecting the rmcp client, raw HTTP requests, and reading tool results.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;

use rmcp::model::CallToolResult;

#[path = "../../examples/common/demo_client.rs"]
mod demo_client;
pub use demo_client::*;

/// `Accept` and `Content-Type` as an MCP client sends them on a POST.
pub const MCP_POST_HEADERS: [(&str, &str); 2] = [
    ("accept", "application/json, text/event-stream"),
    ("content-type", "application/json"),
];

/// Binds `127.0.0.1:0` and serves `router` on it in a background task.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("axum::serve");
    });
    addr
}

/// Binds `127.0.0.1:0` and serves any infallible tower service taking axum requests, for
/// example a whole layered `Router` or a layered rmcp service. The response body is converted
/// to `axum::body::Body`, and every connection gets a clone of `svc`.
pub async fn serve_service<S, B>(svc: S) -> SocketAddr
where
    S: tower::Service<axum::extract::Request, Response = http::Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    use tower::ServiceExt as _;

    let svc = svc.map_response(|r: http::Response<B>| r.map(axum::body::Body::new));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, tower::make::Shared::new(svc))
            .await
            .expect("axum::serve");
    });
    addr
}

/// `http://<addr><path>`.
pub fn url(addr: SocketAddr, path: &str) -> String {
    format!("http://{addr}{path}")
}

/// The first text content block parsed as JSON. Panics when it is missing or not JSON.
pub fn text_json(result: &CallToolResult) -> serde_json::Value {
    let text = first_text(result);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Sends a hand-made HTTP request with exactly the given headers (nothing is added but what
/// reqwest itself sets, like `Host` and `Content-Length`) and returns status, headers and body.
pub async fn request_raw(
    method: &str,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (http::StatusCode, http::HeaderMap, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("HTTP method");
    let mut req = reqwest::Client::new().request(method, url(addr, path));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if !body.is_empty() {
        req = req.body(body.to_owned());
    }
    let resp = req.send().await.expect("send request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("read response body");
    (status, headers, text)
}

/// `POST`s `body` to `http://<addr><path>` with exactly the given headers. See
/// [`MCP_POST_HEADERS`] for the usual `Accept` and `Content-Type`.
pub async fn post_raw(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (http::StatusCode, http::HeaderMap, String) {
    request_raw("POST", addr, path, headers, body).await
}

/// The JSON payloads of the events of an SSE body, in order (an event's `data:` lines are
/// joined with `\n`; empty priming events and non-JSON data are skipped). A body that is
/// itself JSON yields itself.
pub fn sse_json(body: &str) -> Vec<serde_json::Value> {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        return vec![v];
    }
    let mut out = Vec::new();
    let mut data: Option<String> = None;
    let mut flush = |data: &mut Option<String>| {
        if let Some(d) = data.take()
            && let Ok(v) = serde_json::from_str(&d)
        {
            out.push(v);
        }
    };
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            flush(&mut data);
        } else if let Some(rest) = line.strip_prefix("data")
            && (rest.is_empty() || rest.starts_with(':'))
        {
            let rest = rest.strip_prefix(':').unwrap_or(rest);
            let value = rest.strip_prefix(' ').unwrap_or(rest);
            match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => data = Some(value.to_owned()),
            }
        }
    }
    flush(&mut data);
    out
}
