//! Errors of configuration: what a builder reports when it cannot build.

/// A configuration that cannot be built (a short API key, a bad header name, a missing
/// policy). The message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {message}")]
pub struct ConfigError {
    message: String,
}

impl ConfigError {
    /// A configuration error saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        ConfigError {
            message: message.into(),
        }
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The boxed error type of bodies produced by the layer.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
