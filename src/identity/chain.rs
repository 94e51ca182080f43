//! Several authenticators tried in order.

use std::sync::Arc;

use http::{HeaderMap, HeaderName};

use super::{AuthError, Authenticator, BoxFuture, Identity};

/// Tries authenticators in order: the first that recognises the credential decides.
///
/// An authenticator that answers [`AuthError::NotRecognized`] passes the request on to
/// the next; any other answer (an identity, an invalid credential, an unavailable key
/// source) ends the search. When none recognises the request, the chain answers
/// `NotRecognized`, which the guard turns into 401 (or the configured anonymous
/// identity when the request carried no credential at all).
#[derive(Clone, Default)]
pub struct AuthenticatorChain {
    links: Vec<Arc<dyn Authenticator>>,
}

impl std::fmt::Debug for AuthenticatorChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticatorChain")
            .field("links", &self.links.len())
            .finish()
    }
}

impl AuthenticatorChain {
    /// An empty chain (recognises nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an authenticator.
    pub fn with(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.links.push(authenticator);
        self
    }

    /// Appends an authenticator in place.
    pub fn push(&mut self, authenticator: Arc<dyn Authenticator>) {
        self.links.push(authenticator);
    }

    /// Whether the chain has no authenticators.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }
}

impl Authenticator for AuthenticatorChain {
    fn authenticate<'a>(
        &'a self,
        headers: &'a HeaderMap,
    ) -> BoxFuture<'a, Result<Identity, AuthError>> {
        Box::pin(async move {
            for link in &self.links {
                match link.authenticate(headers).await {
                    Err(AuthError::NotRecognized) => continue,
                    decided => return decided,
                }
            }
            Err(AuthError::NotRecognized)
        })
    }

    fn credential_headers(&self) -> Vec<HeaderName> {
        let mut names: Vec<HeaderName> = Vec::new();
        for name in self.links.iter().flat_map(|l| l.credential_headers()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }
}
