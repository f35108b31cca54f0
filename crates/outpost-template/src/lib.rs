//! Go `text/template` semantics for Outpost, with Prometheus' and
//! Alertmanager's function sets, written from scratch.
//!
//! # Engine
//! [`Template`] parses and executes Go templates: text, actions, comments,
//! trim markers, pipelines, variables, field chains, map keys, method calls on
//! typed objects (with arguments), parenthesised pipelines, literals,
//! `if`/`else if`/`with`/`else with`/`range` (with `break`/`continue`),
//! `define`/`template`/`block`, and the built-ins `and or not len index slice
//! print printf println html js urlquery call eq ne lt le gt ge`. Errors carry
//! Go's texts and positions (`template: NAME:LINE: ...` when parsing,
//! `template: NAME:LINE:COL: executing "NAME" at <NODE>: ...` when executing),
//! checked against Debian's amtool 0.25 and promtool 2.42 (Go 1.19): the
//! golden table `tests/golden.yaml` is generated from them.
//!
//! - `Template::new(name)`, `.funcs(&FuncMap)`, `.missing_key_zero(bool)`,
//!   `.escape_html(bool)`, `.parse(text)`, `.parse_named(name, text)`,
//!   `.execute(&Value)`, `.execute_template(name, &Value)`, `.has(name)`,
//!   `.names()`; templates are `Clone + Send + Sync`.
//! - [`FuncMap`]: `add(name, nargs, f)`, `add_variadic(name, min, f)`,
//!   `extend`, `contains`, `call`; `f: Fn(&[Value]) -> Result<Value, String>`
//!   (an `Err` shows as `error calling NAME: MSG`).
//!
//! # Values
//! [`Value`] is the dynamic value model (`Null`, `Bool`, `Int`, `Float`,
//! `String`, `List`, `Map`, `Time`, `Duration`, `Object`), with conversions
//! from Rust scalars, maps and `serde_json::Value`. [`Object`] lets callers
//! expose typed objects: `call(name, args)` serves fields and methods,
//! `base()` the list or map they stand for (`range`, `index`, `len`), and
//! `elem_zero()` the zero value of missing keys. `Value::string_map` and
//! `Value::string_list` build Go's `map[string]string` and `[]string`.
//! Alertmanager's types ship ready-made: [`Data`] (with [`Data::build`] and
//! [`Data::from_json`]), [`Alert`], [`Alerts`] (`Firing`, `Resolved`), [`Kv`]
//! (`SortedPairs`, `Names`, `Values`, `Remove`, `String`), [`Pairs`],
//! [`Pair`].
//!
//! # Function sets
//! [`prometheus_funcs`] (from an [`AlertContext`], with a [`Querier`] behind
//! `query`) and [`alertmanager_funcs`] (`since` measures from a given now).
//!
//! # Entry points
//! - Prometheus rules: [`expand`] (`<error expanding template: ...>` on
//!   error, as Prometheus renders it) and [`check`] (load-time syntax check).
//! - Alertmanager: [`TemplateSet`] holds the default templates
//!   ([`DEFAULT_TEMPLATES`], our own text with Alertmanager's output) plus user
//!   files and renders named templates (`render`), inline config texts
//!   (`render_text`) and HTML fields (`render_html`) against a [`Data`].
//!
//! Time is never read from the OS: `expand` uses `AlertContext::ts_ms`,
//! `since` uses `Data::now_ms`.
//!
//! ```
//! use outpost_template::{expand, AlertContext};
//! let mut ctx = AlertContext::default();
//! ctx.labels.insert("instance".into(), "h:9090".into());
//! ctx.value = 1234567.0;
//! let s = expand("X", "{{ $labels.instance }} is {{ $value | humanize }} ({{ $value }})", &ctx);
//! assert_eq!(s, "h:9090 is 1.235M (1.234567e+06)");
//! ```

mod am;
mod defaults;
mod error;
mod exec;
mod format;
mod funcs;
mod lex;
mod parse;
mod prom;
mod set;
mod timefmt;
mod value;

pub use am::{Alert, Alerts, Data, Kv, Pair, Pairs, alertmanager_funcs, quote_meta};
pub use defaults::DEFAULT_TEMPLATES;
pub use error::{Error, Result};
pub use exec::{FuncImpl, FuncMap, MAX_TEMPLATE_DEPTH, Template};
pub use format::go_quote;
pub use prom::{ALERT_PRELUDE, AlertContext, Querier, Sample, check, expand, prometheus_funcs};
pub use set::TemplateSet;
pub use value::{Object, Value};

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn shared_types_are_send_sync() {
        assert_send_sync::<crate::Template>();
        assert_send_sync::<crate::TemplateSet>();
        assert_send_sync::<crate::Value>();
        assert_send_sync::<crate::FuncMap>();
        assert_send_sync::<crate::Data>();
        assert_send_sync::<crate::AlertContext>();
    }
}
