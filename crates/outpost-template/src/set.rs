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
        tmpl.parse_named("default.tmpl", DEFAULT_TEMPLATES).expect("the default templates parse");
        TemplateSet { tmpl }
    }

    /// The defaults plus user template files given as `(path, text)` (the
    /// expanded `templates:` globs, in order). Each file's body is named
    /// after its base name; later definitions replace earlier ones.
    pub fn with_files<P: AsRef<str>, T: AsRef<str>>(files: impl IntoIterator<Item = (P, T)>) -> Result<TemplateSet> {
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
