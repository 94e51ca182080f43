//! [`Notifier`]: tells reviewers a ticket awaits them. [`LogNotifier`] writes a log
//! line; [`WebhookNotifier`] (feature `http-client`) POSTs JSON that Slack-compatible
//! incoming webhooks accept.

use serde_json::{Value, json};

use super::ticket::Ticket;
use crate::identity::BoxFuture;

/// Why a notification could not be delivered. A failed notification does not fail the
/// ticket: it stays pending and reviewers can still find it in the admin API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("approval notification failed: {0}")]
pub struct NotifyError(pub String);

/// Learns of new tickets. Used as `Arc<dyn Notifier>`; called off the request path.
pub trait Notifier: Send + Sync + 'static {
    /// A ticket was created; `review_url` is where to review it, when configured.
    fn ticket_created<'a>(
        &'a self,
        ticket: &'a Ticket,
        review_url: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), NotifyError>>;
}

/// Logs each new ticket at `info` (tool, rule, requester and id; never the arguments).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogNotifier;

impl Notifier for LogNotifier {
    fn ticket_created<'a>(
        &'a self,
        ticket: &'a Ticket,
        review_url: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), NotifyError>> {
        tracing::info!(
            ticket = %ticket.id,
            tool = %ticket.tool,
            rule = ticket.rule.as_deref().unwrap_or("-"),
            requester = %ticket.requester.subject,
            review_url = review_url.unwrap_or("-"),
            "approval requested"
        );
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopNotifier;

impl Notifier for NoopNotifier {
    fn ticket_created<'a>(
        &'a self,
        _ticket: &'a Ticket,
        _review_url: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), NotifyError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The JSON a [`WebhookNotifier`] posts: a Slack-compatible `text`, the `ticket` and
/// the `review_url`.
///
/// ```
/// # use tollgate::approval::{webhook_payload, Ticket};
/// # fn show(ticket: &Ticket) {
/// let body = webhook_payload(ticket, Some("https://gw.example/admin/tickets/ab12"));
/// assert!(body["text"].as_str().unwrap().contains(&ticket.tool));
/// # }
/// ```
pub fn webhook_payload(ticket: &Ticket, review_url: Option<&str>) -> Value {
    let rule = ticket
        .rule
        .as_deref()
        .map(|r| format!(" (rule `{r}`)"))
        .unwrap_or_default();
    let review = review_url
        .map(|u| format!(" Review: {u}"))
        .unwrap_or_default();
    let text = format!(
        "Approval needed: `{}` wants to call `{}`{rule}. Ticket {}; {} approval(s) from {} needed.{review}",
        ticket.requester.subject,
        ticket.tool,
        ticket.id,
        ticket.terms.min_approvals,
        ticket.terms.reviewers.join(", "),
    );
    json!({ "text": text, "ticket": ticket, "review_url": review_url })
}

#[cfg(feature = "http-client")]
pub use webhook::WebhookNotifier;

#[cfg(feature = "http-client")]
mod webhook {
    use std::time::Duration;

    use super::{Notifier, NotifyError, webhook_payload};
    use crate::approval::Ticket;
    use crate::identity::BoxFuture;

    /// POSTs [`webhook_payload`] as JSON to a URL for every new ticket.
    #[derive(Debug, Clone)]
    pub struct WebhookNotifier {
        client: reqwest::Client,
        url: reqwest::Url,
    }

    impl WebhookNotifier {
        /// A notifier posting to `url` with a 10 s timeout.
        pub fn new(url: &str) -> Result<WebhookNotifier, NotifyError> {
            WebhookNotifier::with_timeout(url, Duration::from_secs(10))
        }

        /// A notifier posting to `url`, giving up after `timeout`.
        pub fn with_timeout(url: &str, timeout: Duration) -> Result<WebhookNotifier, NotifyError> {
            let url = reqwest::Url::parse(url)
                .map_err(|e| NotifyError(format!("invalid webhook URL: {e}")))?;
            let client = reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .map_err(|e| NotifyError(format!("cannot build the HTTP client: {e}")))?;
            Ok(WebhookNotifier { client, url })
        }
    }

    impl Notifier for WebhookNotifier {
        fn ticket_created<'a>(
            &'a self,
            ticket: &'a Ticket,
            review_url: Option<&'a str>,
        ) -> BoxFuture<'a, Result<(), NotifyError>> {
            Box::pin(async move {
                let body = serde_json::to_vec(&webhook_payload(ticket, review_url))
                    .map_err(|e| NotifyError(e.to_string()))?;
                let response = self
                    .client
                    .post(self.url.clone())
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| NotifyError(e.without_url().to_string()))?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(NotifyError(format!(
                        "webhook answered {}",
                        response.status()
                    )))
                }
            })
        }
    }
}
