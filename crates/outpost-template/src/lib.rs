//! Go `text/template` semantics for Outpost, with Prometheus' and
//! Alertmanager's function sets, written from scratch.
//!
//! # Engine
//! [`Template`] parses and executes Go templates: text, actions, comments,
//! trim markers, pipelines, variables, field chains, method calls on typed
//! objects, parenthesised pipelines, literals, `if`/`else if`/`with`/`else
//! with`/`range` (with `break`/`continue`)/`define`/`template`/`block`, and the
//! built-ins `and or not len index slice print printf println html js urlquery
//! call eq ne lt le gt ge`. Errors carry Go's texts and positions
//! (`template: NAME:LINE:COL: executing "NAME" at <.Foo>: ...`).
//!
//! # Values
//! [`Value`] is the dynamic value model; [`Object`] lets callers expose typed
//! objects with fields and methods. Alertmanager's types ship ready-made:
//! [`Data`], [`Alert`], [`Alerts`], [`Kv`], [`Pairs`], [`Pair`].
//!
//! # Function sets
//! [`prometheus_funcs`] (alert templates, with [`AlertContext`] and a
//! [`Querier`] for `query`) and [`alertmanager_funcs`].
//!
//! # Entry points
//! - Prometheus rules: [`expand`] (`<error expanding template: ...>` on
//!   error) and [`check`] (load-time syntax check).
//! - Alertmanager: [`TemplateSet`] holds the default templates
//!   ([`DEFAULT_TEMPLATES`]) plus user files and renders named templates or
//!   inline config texts against a [`Data`].
//!
//! ```
//! use outpost_template::{expand, AlertContext};
//! let mut ctx = AlertContext::default();
//! ctx.labels.insert("instance".into(), "h:9090".into());
//! ctx.value = 1234567.0;
//! let s = expand("X", "{{ $labels.instance }} is {{ $value | humanize }}", &ctx);
//! assert_eq!(s, "h:9090 is 1.235M");
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

pub use am::{Alert, Alerts, Data, Kv, Pair, Pairs, alertmanager_funcs};
pub use defaults::DEFAULT_TEMPLATES;
pub use error::{Error, Result};
pub use exec::{FuncImpl, FuncMap, MAX_TEMPLATE_DEPTH, Template};
pub use prom::{ALERT_PRELUDE, AlertContext, Querier, Sample, check, expand, prometheus_funcs};
pub use set::TemplateSet;
pub use value::{Object, Value};
