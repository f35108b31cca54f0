//! Alertmanager default templates (our own text, same output).

/// The default notification templates, defining the names Alertmanager's
/// receiver defaults reference (`__subject`, `slack.default.title`, ...).
pub const DEFAULT_TEMPLATES: &str = include_str!("default.tmpl");
