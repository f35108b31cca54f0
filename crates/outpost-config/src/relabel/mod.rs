//! Relabel configs: raw YAML form, the validated and compiled form, and
//! applying them to a label set ([`relabel`]), as Prometheus keeps
//! `model/relabel` beside its config.

mod apply;

pub use apply::{LabelBuilder, hashmod, relabel};

use regex::Regex;
use serde::Deserialize;

use crate::labels::is_valid_label_name;

/// A relabel rule as written in YAML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRelabelConfig {
    /// Labels whose values are joined to form the source value.
    #[serde(default)]
    pub source_labels: Vec<String>,
    /// Separator for the joined source value (default `;`).
    #[serde(default)]
    pub separator: Option<String>,
    /// Label written by replace/hashmod/lowercase/uppercase.
    #[serde(default)]
    pub target_label: Option<String>,
    /// Regex (default `(.*)`); `regex:` with a null value is the empty regex.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub regex: Option<String>,
    /// Modulus for hashmod.
    #[serde(default)]
    pub modulus: Option<u64>,
    /// Replacement (default `$1`).
    #[serde(default)]
    pub replacement: Option<String>,
    /// Action (default `replace`), case-insensitive.
    #[serde(default)]
    pub action: Option<String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?.unwrap_or_default()))
}

/// What a relabel rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelabelAction {
    /// Set target_label to the expanded replacement when the regex matches.
    Replace,
    /// Keep the target/series only when the regex matches.
    Keep,
    /// Drop the target/series when the regex matches.
    Drop,
    /// Keep when the source value equals target_label's value.
    KeepEqual,
    /// Drop when the source value equals target_label's value.
    DropEqual,
    /// Set target_label to md5(source) mod modulus.
    HashMod,
    /// Copy labels whose names match the regex to replaced names.
    LabelMap,
    /// Delete labels whose names match.
    LabelDrop,
    /// Delete labels whose names do not match.
    LabelKeep,
    /// Set target_label to the lowercased source value.
    Lowercase,
    /// Set target_label to the uppercased source value.
    Uppercase,
}

impl RelabelAction {
    fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "replace" => Self::Replace,
            "keep" => Self::Keep,
            "drop" => Self::Drop,
            "keepequal" => Self::KeepEqual,
            "dropequal" => Self::DropEqual,
            "hashmod" => Self::HashMod,
            "labelmap" => Self::LabelMap,
            "labeldrop" => Self::LabelDrop,
            "labelkeep" => Self::LabelKeep,
            "lowercase" => Self::Lowercase,
            "uppercase" => Self::Uppercase,
            _ => return None,
        })
    }

    /// The action's name as written in configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Replace => "replace",
            Self::Keep => "keep",
            Self::Drop => "drop",
            Self::KeepEqual => "keepequal",
            Self::DropEqual => "dropequal",
            Self::HashMod => "hashmod",
            Self::LabelMap => "labelmap",
            Self::LabelDrop => "labeldrop",
            Self::LabelKeep => "labelkeep",
            Self::Lowercase => "lowercase",
            Self::Uppercase => "uppercase",
        }
    }
}

/// A validated relabel rule with its regex compiled, anchored as Prometheus 3 does.
#[derive(Debug, Clone)]
pub struct RelabelConfig {
    /// Source labels.
    pub source_labels: Vec<String>,
    /// Joins the source label values into the source value (default `;`).
    pub separator: String,
    /// Target label (may contain `$1`-style references for replace).
    pub target_label: String,
    /// The regex as written.
    pub regex_source: String,
    /// The compiled, fully anchored regex `^(?s:R)$`.
    pub regex: Regex,
    /// Modulus for hashmod.
    pub modulus: u64,
    /// Text written by `replace` (default `$1`), with `$n`/`${name}` group references.
    pub replacement: String,
    /// What the rule does with a match (default `replace`).
    pub action: RelabelAction,
}

const DEFAULT_REGEX: &str = "(.*)";
const DEFAULT_REPLACEMENT: &str = "$1";

/// Compiles `re` fully anchored, as Prometheus' relabel regexes are.
pub fn anchored_regex(re: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?s:{re})$")).map_err(|e| format!("error parsing regexp: {e}"))
}

fn is_templated_label(s: &str) -> bool {
    static RE: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$").unwrap()
    });
    RE.is_match(s)
}

impl RawRelabelConfig {
    /// Validates with Prometheus' rules and messages.
    pub fn validate(&self) -> Result<RelabelConfig, String> {
        let action = match self.action.as_deref() {
            None => RelabelAction::Replace,
            Some("") => return Err("relabel action cannot be empty".into()),
            Some(a) => {
                RelabelAction::parse(a).ok_or_else(|| format!("unknown relabel action {a:?}"))?
            }
        };
        let regex_source = self.regex.clone().unwrap_or_else(|| DEFAULT_REGEX.into());
        let regex = anchored_regex(&regex_source)?;
        let target = self.target_label.clone().unwrap_or_default();
        let name = action.as_str();
        use RelabelAction as A;
        if action == A::HashMod && self.modulus.unwrap_or(0) == 0 {
            return Err("relabel configuration for hashmod requires non-zero modulus".into());
        }
        if matches!(
            action,
            A::Replace | A::HashMod | A::Lowercase | A::Uppercase | A::KeepEqual | A::DropEqual
        ) && target.is_empty()
        {
            return Err(format!(
                "relabel configuration for {name} action requires 'target_label' value"
            ));
        }
        let target_ok = match action {
            A::Replace => {
                if target.contains('$') {
                    is_templated_label(&target)
                } else {
                    is_valid_label_name(&target)
                }
            }
            A::Lowercase | A::Uppercase | A::KeepEqual | A::DropEqual | A::HashMod => {
                is_valid_label_name(&target)
            }
            _ => true,
        };
        if !target_ok {
            return Err(format!(
                "{target:?} is invalid 'target_label' for {name} action"
            ));
        }
        if matches!(
            action,
            A::Lowercase | A::Uppercase | A::KeepEqual | A::DropEqual
        ) && self.replacement.is_some()
            && self.replacement.as_deref() != Some(DEFAULT_REPLACEMENT)
        {
            return Err(format!("'replacement' can not be set for {name} action"));
        }
        let replacement = self
            .replacement
            .clone()
            .unwrap_or_else(|| DEFAULT_REPLACEMENT.into());
        if action == A::LabelMap && !is_templated_label(&replacement) {
            return Err(format!(
                "{replacement:?} is invalid 'replacement' for labelmap action"
            ));
        }
        if matches!(action, A::KeepEqual | A::DropEqual)
            && (regex_source != DEFAULT_REGEX
                || self.modulus.unwrap_or(0) != 0
                || self.separator.as_deref().is_some_and(|s| s != ";")
                || replacement != DEFAULT_REPLACEMENT)
        {
            return Err(format!(
                "{name} action requires only 'source_labels' and `target_label`, and no other fields"
            ));
        }
        if matches!(action, A::LabelDrop | A::LabelKeep)
            && (!self.source_labels.is_empty()
                || !target.is_empty()
                || self.modulus.unwrap_or(0) != 0
                || self.separator.as_deref().is_some_and(|s| s != ";")
                || replacement != DEFAULT_REPLACEMENT)
        {
            return Err(format!(
                "{name} action requires only 'regex', and no other fields"
            ));
        }
        for l in &self.source_labels {
            if !is_valid_label_name(l) {
                return Err(format!("{l:?} is not a valid label name"));
            }
        }
        Ok(RelabelConfig {
            source_labels: self.source_labels.clone(),
            separator: self.separator.clone().unwrap_or_else(|| ";".into()),
            target_label: target,
            regex_source,
            regex,
            modulus: self.modulus.unwrap_or(0),
            replacement,
            action,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(action: &str) -> RawRelabelConfig {
        RawRelabelConfig {
            action: Some(action.into()),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_and_anchoring() {
        let r = RawRelabelConfig {
            target_label: Some("x".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(r.action, RelabelAction::Replace);
        assert_eq!(r.separator, ";");
        assert_eq!(r.replacement, "$1");
        assert!(r.regex.is_match("a\nb"));
        let k = RawRelabelConfig {
            regex: Some("true".into()),
            ..raw("KEEP")
        }
        .validate()
        .unwrap();
        assert!(k.regex.is_match("true"));
        assert!(!k.regex.is_match("untrue"));
    }

    #[test]
    fn prometheus_validation_messages() {
        assert_eq!(
            raw("bogus").validate().unwrap_err(),
            "unknown relabel action \"bogus\""
        );
        assert_eq!(
            raw("").validate().unwrap_err(),
            "relabel action cannot be empty"
        );
        assert_eq!(
            raw("hashmod").validate().unwrap_err(),
            "relabel configuration for hashmod requires non-zero modulus"
        );
        assert_eq!(
            raw("replace").validate().unwrap_err(),
            "relabel configuration for replace action requires 'target_label' value"
        );
        let bad_target = RawRelabelConfig {
            target_label: Some("1x".into()),
            ..raw("replace")
        };
        assert_eq!(
            bad_target.validate().unwrap_err(),
            "\"1x\" is invalid 'target_label' for replace action"
        );
        let templated = RawRelabelConfig {
            target_label: Some("${1}_x".into()),
            ..raw("replace")
        };
        assert!(templated.validate().is_ok());
        let labeldrop = RawRelabelConfig {
            target_label: Some("x".into()),
            ..raw("labeldrop")
        };
        assert_eq!(
            labeldrop.validate().unwrap_err(),
            "labeldrop action requires only 'regex', and no other fields"
        );
        let bad_re = RawRelabelConfig {
            regex: Some("(".into()),
            ..raw("keep")
        };
        assert!(
            bad_re
                .validate()
                .unwrap_err()
                .starts_with("error parsing regexp")
        );
    }
}
