//! Fetching key sets and discovery documents: the [`KeyFetcher`] extension point and,
//! with the `http-client` feature, the default [`HttpKeyFetcher`].

use url::Url;

use crate::identity::BoxFuture;

/// The largest key set or discovery document accepted, in bytes.
pub const MAX_DOCUMENT_LEN: usize = 512 * 1024;

/// Why a document could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fetch failed: {message}")]
pub struct FetchError {
    message: String,
}

impl FetchError {
    /// A fetch failure saying `message` (never include credentials).
    pub fn new(message: impl Into<String>) -> Self {
        FetchError {
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Fetches the bytes of a JWKS or OIDC discovery document by URL.
///
/// tollgate only ever asks for URLs from its own configuration (a configured JWKS URL,
/// the issuer's `/.well-known/openid-configuration`, and the `jwks_uri` it names),
/// never for a URL taken from a token. Implementations should send no cookies or
/// credentials, follow no redirects to other hosts, time out, and refuse bodies larger
/// than [`MAX_DOCUMENT_LEN`]. Tests and air-gapped deployments supply their own:
///
/// ```
/// use std::sync::Arc;
/// use tollgate::identity::BoxFuture;
/// use tollgate::identity::jwt::{FetchError, KeyFetcher};
///
/// struct Fixed(Vec<u8>);
///
/// impl KeyFetcher for Fixed {
///     fn fetch<'a>(&'a self, _url: &'a url::Url) -> BoxFuture<'a, Result<Vec<u8>, FetchError>> {
///         Box::pin(std::future::ready(Ok(self.0.clone())))
///     }
/// }
///
/// let fetcher: Arc<dyn KeyFetcher> = Arc::new(Fixed(br#"{"keys":[]}"#.to_vec()));
/// ```
pub trait KeyFetcher: Send + Sync + 'static {
    /// The body of a successful (200) `GET url`.
    fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, FetchError>>;
}

#[cfg(feature = "http-client")]
pub use http_client::HttpKeyFetcher;

#[cfg(feature = "http-client")]
mod http_client {
    use std::sync::Arc;
    use std::time::Duration;

    use rustls_platform_verifier::BuilderVerifierExt;
    use url::Url;

    use super::{FetchError, KeyFetcher, MAX_DOCUMENT_LEN};
    use crate::ConfigError;
    use crate::identity::BoxFuture;

    /// The default [`KeyFetcher`]: HTTPS with rustls (the `ring` provider, the
    /// platform's trust store), a 10 s timeout, no redirects, no cookies, and a
    /// [`MAX_DOCUMENT_LEN`] body cap. Needs the `http-client` feature and a Tokio
    /// runtime.
    #[derive(Debug, Clone)]
    pub struct HttpKeyFetcher {
        client: reqwest::Client,
    }

    impl HttpKeyFetcher {
        /// A fetcher with a 10 s timeout.
        pub fn new() -> Result<Self, ConfigError> {
            Self::with_timeout(Duration::from_secs(10))
        }

        /// A fetcher whose requests give up after `timeout`.
        pub fn with_timeout(timeout: Duration) -> Result<Self, ConfigError> {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .and_then(|b| b.with_platform_verifier())
                .map_err(|e| ConfigError::new(format!("TLS set-up failed: {e}")))?
                .with_no_client_auth();
            let client = reqwest::Client::builder()
                .tls_backend_preconfigured(tls)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(timeout)
                .build()
                .map_err(|e| ConfigError::new(format!("HTTP client set-up failed: {e}")))?;
            Ok(HttpKeyFetcher { client })
        }

        async fn get(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
            let mut response = self
                .client
                .get(url.clone())
                .header(http::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|e| FetchError::new(format!("GET {url}: {e}")))?;
            if response.status() != reqwest::StatusCode::OK {
                return Err(FetchError::new(format!(
                    "GET {url}: status {}",
                    response.status()
                )));
            }
            if response
                .content_length()
                .is_some_and(|len| len > MAX_DOCUMENT_LEN as u64)
            {
                return Err(FetchError::new(format!("GET {url}: body too large")));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| FetchError::new(format!("GET {url}: {e}")))?
            {
                if body.len() + chunk.len() > MAX_DOCUMENT_LEN {
                    return Err(FetchError::new(format!("GET {url}: body too large")));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        }
    }

    impl KeyFetcher for HttpKeyFetcher {
        fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, FetchError>> {
            Box::pin(self.get(url))
        }
    }
}
