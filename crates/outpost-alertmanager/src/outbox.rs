//! The notification outbox: every notification Outpost sent or rendered,
//! bounded, newest last, for `/outpost/v1/notifications`.

use std::collections::VecDeque;

use serde::Serialize;

use crate::alert::LabelSet;

/// One alert as a notification carried it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NotifiedAlert {
    /// `firing` or `resolved` at send time.
    pub status: String,
    /// The alert's labels (its identity).
    pub labels: LabelSet,
    /// The alert's annotations (summary, description, ...).
    pub annotations: LabelSet,
    /// Start (RFC 3339).
    pub starts_at: String,
    /// End (RFC 3339; Go's zero time while firing).
    pub ends_at: String,
    /// Link to the source.
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    /// Fingerprint.
    pub fingerprint: String,
}

/// What happened to a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationStatus {
    /// Delivered to its endpoint (webhook, or any integration with `--notify.deliver`).
    Delivered,
    /// Rendered into the outbox only (delivery is off).
    Rendered,
    /// Delivery failed after retries.
    Failed,
}

impl NotificationStatus {
    /// `delivered`, `rendered` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Delivered => "delivered",
            NotificationStatus::Rendered => "rendered",
            NotificationStatus::Failed => "failed",
        }
    }
}

/// A notification in the outbox.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Sequence number (1, 2, …).
    pub id: u64,
    /// When it was produced (RFC 3339, ms).
    pub time: String,
    /// Same, Unix ms.
    pub time_ms: i64,
    /// Receiver name.
    pub receiver: String,
    /// Integration (`webhook`, `email`, `slack`, `pagerduty`, …).
    pub integration: String,
    /// Index of the integration within its kind in the receiver.
    pub index: usize,
    /// Outcome.
    pub status: NotificationStatus,
    /// Group key.
    pub group_key: String,
    /// Group labels.
    pub group_labels: LabelSet,
    /// `firing` or `resolved`.
    pub group_status: String,
    /// Alerts carried.
    pub alerts: Vec<NotifiedAlert>,
    /// The rendered message (webhook body, email headers and bodies, Slack or PagerDuty payload).
    pub message: serde_json::Value,
    /// Attempts made.
    pub attempts: u32,
    /// Last error, when failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Filter of [`crate::Alertmanager::notifications`].
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    /// Receiver name.
    pub receiver: Option<String>,
    /// Integration name.
    pub integration: Option<String>,
    /// Status text.
    pub status: Option<String>,
    /// Only notifications at or after this time (Unix ms).
    pub since_ms: Option<i64>,
}

/// Bounded list of notifications.
#[derive(Debug)]
pub(crate) struct Outbox {
    items: VecDeque<Notification>,
    cap: usize,
    next_id: u64,
    pub(crate) dropped: u64,
}

impl Outbox {
    pub(crate) fn new(cap: usize) -> Self {
        Outbox {
            items: VecDeque::new(),
            cap: cap.max(1),
            next_id: 1,
            dropped: 0,
        }
    }

    pub(crate) fn push(&mut self, mut n: Notification) {
        n.id = self.next_id;
        self.next_id += 1;
        if self.items.len() >= self.cap {
            self.items.pop_front();
            self.dropped += 1;
        }
        self.items.push_back(n);
    }

    pub(crate) fn list(&self, f: &NotificationFilter) -> Vec<Notification> {
        self.items
            .iter()
            .filter(|n| f.receiver.as_ref().is_none_or(|r| &n.receiver == r))
            .filter(|n| f.integration.as_ref().is_none_or(|i| &n.integration == i))
            .filter(|n| f.status.as_ref().is_none_or(|s| n.status.as_str() == s))
            .filter(|n| f.since_ms.is_none_or(|t| n.time_ms >= t))
            .cloned()
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }
}
