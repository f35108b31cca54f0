//! Alertmanager's template set: default templates plus user files.

use crate::am::{Data, alertmanager_funcs};
use crate::defaults::DEFAULT_TEMPLATES;
use crate::error::Result;
use crate::exec::Template;

/// The templates of one Alertmanager configuration: the defaults
/// ([`DEFAULT_TEMPLATES`]) plus the files of `templates:` globs, with
/// Alertmanager's functions and `missingkey=zero`.
///
/// ```
/// use std::collections::BTreeMap;
/// use outpost_template::{Alert, Data, TemplateSet};
/// let set = TemplateSet::new();
/// let mut labels = BTreeMap::new();
/// labels.insert("alertname".to_string(), "HighCPU".to_string());
/// let alert = Alert { status: "firing".into(), labels: labels.clone(), ..Alert::default() };
/// let data = Data::build("team", labels, vec![alert], "http://am:9093", 0);
/// assert_eq!(set.render("__subject", &data).unwrap(), "[FIRING:1] HighCPU ");
/// assert_eq!(set.render_text("{{ .Status }}", &data).unwrap(), "firing");
/// ```
#[derive(Clone, Debug)]
pub struct TemplateSet {
    tmpl: Template,
}

impl Default for TemplateSet {
    fn default() -> Self {
        TemplateSet::new()
    }
}

impl TemplateSet {
    /// The default templates only.
    pub fn new() -> TemplateSet {
        let mut tmpl = Template::new("");
        tmpl.funcs(&alertmanager_funcs(0)).missing_key_zero(true);
        tmpl.parse_named("default.tmpl", DEFAULT_TEMPLATES)
            .expect("the default templates parse");
        TemplateSet { tmpl }
    }

    /// The defaults plus user template files given as `(path, text)` (the
    /// expanded `templates:` globs, in order). Each file's body is named
    /// after its base name; later definitions replace earlier ones.
    pub fn with_files<P: AsRef<str>, T: AsRef<str>>(
        files: impl IntoIterator<Item = (P, T)>,
    ) -> Result<TemplateSet> {
        let mut set = TemplateSet::new();
        for (p, t) in files {
            set.add_file(p.as_ref(), t.as_ref())?;
        }
        Ok(set)
    }

    /// Adds one template file.
    pub fn add_file(&mut self, path: &str, text: &str) -> Result<()> {
        let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
        self.tmpl.parse_named(base, text)?;
        Ok(())
    }

    /// Whether a template of this name is defined.
    pub fn has(&self, name: &str) -> bool {
        self.tmpl.has(name)
    }

    /// The underlying template set.
    pub fn template(&self) -> &Template {
        &self.tmpl
    }

    fn for_data(&self, data: &Data) -> Template {
        let mut t = self.tmpl.clone();
        t.funcs(&alertmanager_funcs(data.now_ms));
        t
    }

    /// Renders the named template (e.g. `slack.default.title`) against `data`.
    pub fn render(&self, name: &str, data: &Data) -> Result<String> {
        self.for_data(data).execute_template(name, &data.to_value())
    }

    /// Renders an inline text from a receiver config field (e.g.
    /// `{{ template "slack.default.title" . }}`) as Alertmanager's
    /// `ExecuteTextString` does: an empty text gives `""`; the text may use
    /// every loaded template; errors name the template `""`.
    pub fn render_text(&self, text: &str, data: &Data) -> Result<String> {
        if text.is_empty() {
            return Ok(String::new());
        }
        let mut t = self.for_data(data);
        t.parse_named("", text)?;
        t.execute_template("", &data.to_value())
    }

    /// Like [`TemplateSet::render_text`] for HTML fields (email `html`):
    /// values printed by actions are HTML-escaped unless they come from
    /// `safeHtml` (a simplification of Go's contextual `html/template`).
    pub fn render_html(&self, text: &str, data: &Data) -> Result<String> {
        if text.is_empty() {
            return Ok(String::new());
        }
        let mut t = self.for_data(data);
        t.escape_html(true);
        t.parse_named("", text)?;
        t.execute_template("", &data.to_value())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::am::Alert;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn data() -> Data {
        let a1 = Alert {
            status: "firing".into(),
            labels: labels(&[("alertname", "Disk"), ("instance", "<h1>"), ("sev", "page")]),
            annotations: labels(&[("summary", "disk & more on h1")]),
            starts_at_ms: 1_714_557_600_000,
            generator_url: "http://prom/graph?g0.expr=a&b".into(),
            ..Alert::default()
        };
        let a2 = Alert {
            status: "resolved".into(),
            labels: labels(&[("alertname", "Disk"), ("instance", "h2"), ("sev", "page")]),
            annotations: labels(&[("summary", "disk on h2")]),
            starts_at_ms: 1_714_557_000_000,
            ends_at_ms: Some(1_714_557_300_000),
            ..Alert::default()
        };
        Data::build(
            "team.a",
            labels(&[("alertname", "Disk")]),
            vec![a1, a2],
            "http://am:9093/",
            1_714_557_660_000,
        )
    }

    #[test]
    fn data_build_computes_status_and_common_pairs() {
        let d = data();
        assert_eq!(d.receiver, "team\\.a");
        assert_eq!(d.status, "firing");
        assert_eq!(
            d.common_labels,
            labels(&[("alertname", "Disk"), ("sev", "page")])
        );
        assert!(d.common_annotations.is_empty());
        assert_eq!(d.external_url, "http://am:9093");
        let set = TemplateSet::new();
        assert_eq!(
            set.render("__subject", &d).unwrap(),
            "[FIRING:1] Disk (page)"
        );
        assert_eq!(
            set.render("__alertmanagerURL", &d).unwrap(),
            "http://am:9093/#/alerts?receiver=team%5C.a"
        );
        assert_eq!(
            set.render_text("{{ since (index .Alerts 0).StartsAt }}", &d)
                .unwrap(),
            "1m0s"
        );
    }

    #[test]
    fn user_files_add_and_override_templates() {
        let set = TemplateSet::with_files([
            (
                "/etc/am/templates/a.tmpl",
                r#"{{ define "slack.custom" }}{{ .CommonLabels.alertname }}!{{ end }}"#,
            ),
            ("b.tmpl", r#"{{ define "__alertmanager" }}Outpost{{ end }}"#),
        ])
        .unwrap();
        let d = data();
        assert_eq!(set.render("slack.custom", &d).unwrap(), "Disk!");
        assert_eq!(
            set.render_text(r#"{{ template "slack.default.username" . }}"#, &d)
                .unwrap(),
            "Outpost"
        );
        let err = TemplateSet::with_files([("bad.tmpl", "{{ nofunc }}")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"template: bad.tmpl:1: function "nofunc" not defined"#
        );
        assert_eq!(set.render_text("", &d).unwrap(), "");
        let err = set.render("nope", &d).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"template: no template "nope" associated with template """#
        );
    }

    #[test]
    fn inline_defines_stay_local() {
        let set = TemplateSet::new();
        let d = data();
        assert_eq!(
            set.render_text(r#"{{ define "x" }}1{{ end }}{{ template "x" }}"#, &d)
                .unwrap(),
            "1"
        );
        assert!(!set.has("x"));
    }

    #[test]
    fn html_rendering_escapes_values_but_not_safe_html() {
        let set = TemplateSet::new();
        let d = data();
        let out = set
            .render_html(
                r#"{{ (index .Alerts 0).Labels.instance }}|{{ safeHtml "<b>" }}|{{ "a+b" }}"#,
                &d,
            )
            .unwrap();
        assert_eq!(out, "&lt;h1&gt;|<b>|a&#43;b");
        let html = set
            .render_html(r#"{{ template "email.default.html" . }}"#, &d)
            .unwrap();
        for needle in [
            "<title>[FIRING:1] Disk (page)</title>",
            "[1] Firing",
            "[1] Resolved",
            "instance = &lt;h1&gt;<br />",
            "instance = h2<br />",
            "summary = disk &amp; more on h1<br />",
            "summary = disk on h2<br />",
            r#"<a href="http://prom/graph?g0.expr=a&amp;b">Source</a>"#,
            "View in Alertmanager",
        ] {
            assert!(html.contains(needle), "missing {needle:?} in\n{html}");
        }
    }

    #[test]
    fn every_default_name_is_defined() {
        let set = TemplateSet::new();
        for name in [
            "__alertmanager",
            "__alertmanagerURL",
            "__subject",
            "__description",
            "__text_alert_list",
            "__text_alert_list_markdown",
            "slack.default.title",
            "slack.default.username",
            "slack.default.fallback",
            "slack.default.callbackid",
            "slack.default.pretext",
            "slack.default.titlelink",
            "slack.default.iconemoji",
            "slack.default.iconurl",
            "slack.default.text",
            "slack.default.footer",
            "pagerduty.default.description",
            "pagerduty.default.client",
            "pagerduty.default.clientURL",
            "pagerduty.default.instances",
            "opsgenie.default.message",
            "opsgenie.default.description",
            "opsgenie.default.source",
            "wechat.default.message",
            "wechat.default.to_user",
            "wechat.default.to_party",
            "wechat.default.to_tag",
            "wechat.default.agent_id",
            "victorops.default.state_message",
            "victorops.default.entity_display_name",
            "victorops.default.monitoring_tool",
            "pushover.default.title",
            "pushover.default.message",
            "pushover.default.url",
            "sns.default.subject",
            "sns.default.message",
            "telegram.default.message",
            "discord.default.content",
            "discord.default.title",
            "discord.default.message",
            "webex.default.message",
            "msteams.default.summary",
            "msteams.default.title",
            "msteams.default.text",
            "msteamsv2.default.title",
            "msteamsv2.default.text",
            "jira.default.summary",
            "jira.default.description",
            "jira.default.priority",
            "rocketchat.default.title",
            "email.default.subject",
            "email.default.html",
        ] {
            assert!(set.has(name), "{name} is not defined");
        }
    }
}
