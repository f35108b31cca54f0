//! Inhibition rules: raw and validated form.

use super::*;

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInhibitRule {
    #[serde(default)]
    pub(super) source_match: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) source_match_re: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) source_matchers: Vec<String>,
    #[serde(default)]
    pub(super) target_match: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) target_match_re: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) target_matchers: Vec<String>,
    #[serde(default)]
    pub(super) equal: Vec<String>,
}

/// An inhibition rule.
#[derive(Debug, Clone, PartialEq)]
pub struct InhibitRule {
    /// Matchers of the inhibiting alert.
    pub source_matchers: Vec<Matcher>,
    /// Matchers of the inhibited alert.
    pub target_matchers: Vec<Matcher>,
    /// Labels that must be equal in both.
    pub equal: Vec<String>,
}
