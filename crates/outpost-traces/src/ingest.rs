//! The one write path: spans translated from any protocol go through
//! [`TraceIngest::write`], which shows them to the observers (span metrics,
//! service graph) and stores them.

use std::sync::Arc;

use crate::model::Span;
use crate::store::{TraceStore, WriteStats};

/// Something that sees every span written (e.g. span metrics).
pub trait SpanObserver: Send + Sync {
    /// Called with each batch before it is stored.
    fn observe(&self, spans: &[Span]);
}

/// The store plus its observers; what the receivers write into.
#[derive(Clone)]
pub struct TraceIngest {
    /// The store.
    pub store: Arc<TraceStore>,
    observers: Vec<Arc<dyn SpanObserver>>,
}

impl TraceIngest {
    /// A write path into `store` with no observers.
    pub fn new(store: Arc<TraceStore>) -> Self {
        Self {
            store,
            observers: Vec::new(),
        }
    }

    /// Adds an observer.
    pub fn with_observer(mut self, o: Arc<dyn SpanObserver>) -> Self {
        self.observers.push(o);
        self
    }

    /// Shows the spans to every observer, then stores them.
    pub fn write(&self, spans: Vec<Span>) -> WriteStats {
        for o in &self.observers {
            o.observe(&spans);
        }
        self.store.write(spans)
    }
}
