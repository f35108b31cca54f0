//! The dynamic value model templates run on.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::format;
use crate::timefmt;

/// A value seen by a template: data, variables, function arguments and results.
///
/// Lists and maps are shared (`Arc`), so cloning a value is cheap.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Go's `nil` (and the "no value" of a missing map key).
    #[default]
    Null,
    /// A bool.
    Bool(bool),
    /// An integer (Go `int`).
    Int(i64),
    /// A float (Go `float64`).
    Float(f64),
    /// A string.
    String(String),
    /// A list (Go `[]interface{}`).
    List(Arc<Vec<Value>>),
    /// A map with string keys, ranged over in key order (Go `map[string]interface{}`).
    Map(Arc<BTreeMap<String, Value>>),
    /// A point in time (Go `time.Time`), printed as Go's `Time.String`.
    Time(jiff::ZonedDateTime),
    /// A duration in nanoseconds (Go `time.Duration`), printed like `1h2m3s`.
    Duration(i64),
    /// A typed object with fields and methods (see [`Object`]).
    Object(Arc<dyn Object>),
}

/// The answer of [`Object::call`] for a field (`v`): Go refuses arguments
/// to a field with `NAME has arguments but cannot be invoked as function`.
pub(crate) fn field(
    name: &str,
    args: &[Value],
    v: Value,
) -> Option<std::result::Result<Value, String>> {
    if !args.is_empty() {
        return Some(Err(format!(
            "{name} has arguments but cannot be invoked as function"
        )));
    }
    Some(Ok(v))
}

/// A typed object exposing fields and methods to templates, like a Go struct or
/// a Go named type with methods (`.Labels.SortedPairs`, `.Alerts.Firing`).
///
/// Field access `.Name` and method calls `.Name arg...` both go through
/// [`Object::call`]; a name the object does not know falls back to key lookup
/// in its [`Object::base`] map, if any.
pub trait Object: fmt::Debug + Send + Sync {
    /// The Go type name used in error messages, e.g. `template.Data`.
    fn type_name(&self) -> &str;

    /// Evaluates field or method `name` with `args` (empty for a field or a
    /// method called without arguments). `None` means no such field or method;
    /// `Some(Err(msg))` is a failing method (shown as `error calling NAME: msg`).
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>>;

    /// The plain value this object is built on (a list for Go slice types, a
    /// map for Go map types), used by `range`, `index`, `len`, `slice`, map key
    /// access and comparisons. `None` for struct-like objects.
    fn base(&self) -> Option<Value> {
        None
    }

    /// The zero value of the base map's element type, given for missing keys
    /// under `missingkey=zero` and by `index` (Go: `""` for
    /// `map[string]string`). `None` means an untyped element (`<no value>`).
    fn elem_zero(&self) -> Option<Value> {
        None
    }

    /// The text printed for the object (Go's `String()` method or `%v`).
    fn to_text(&self) -> String {
        match self.base() {
            Some(v) => v.to_string(),
            None => format!("{{{}}}", self.type_name()),
        }
    }

    /// Go truthiness: struct-like objects are always true.
    fn truth(&self) -> bool {
        match self.base() {
            Some(v) => v.truth(),
            None => true,
        }
    }
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    /// A map value.
    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(Arc::new(entries))
    }

    /// A map of strings (Go `map[string]string`, e.g. a label set): an
    /// [`Object`] over a map whose missing keys are `""` under
    /// `missingkey=zero` and for `index`.
    pub fn string_map<'a>(entries: impl IntoIterator<Item = (&'a String, &'a String)>) -> Value {
        Value::Object(Arc::new(StrMap(Arc::new(
            entries
                .into_iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        ))))
    }

    /// A list of strings (Go `[]string`), as `stringSlice` and `KV.Names`
    /// return it.
    pub fn string_list(items: Vec<String>) -> Value {
        Value::Object(Arc::new(StrList(Arc::new(
            items.into_iter().map(Value::String).collect(),
        ))))
    }

    /// A typed object value.
    pub fn object(o: impl Object + 'static) -> Value {
        Value::Object(Arc::new(o))
    }

    /// A UTC time from Unix milliseconds.
    pub fn time_ms(ms: i64) -> Value {
        Value::Time(timefmt::utc_from_ms(ms))
    }

    /// Go's truthiness: false, 0, nil and empty strings, lists and maps are false.
    pub fn truth(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Time(_) => true,
            Value::Duration(d) => *d != 0,
            Value::Object(o) => o.truth(),
        }
    }

    /// The Go type name used in messages (`string`, `float64`, `[]interface {}`).
    pub fn type_name(&self) -> String {
        match self {
            Value::Null => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Time(_) => "time.Time".into(),
            Value::Duration(_) => "time.Duration".into(),
            Value::Object(o) => o.type_name().to_string(),
        }
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The plain value for structural operations: an object's base, else itself.
    pub(crate) fn plain(&self) -> Value {
        match self {
            Value::Object(o) => o.base().unwrap_or_else(|| self.clone()),
            v => v.clone(),
        }
    }
}

/// Go's `%v` formatting (as `fmt.Sprint` prints one operand).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("<nil>"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&format::float_v(*x)),
            Value::String(s) => f.write_str(s),
            Value::List(l) => {
                f.write_str("[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("map[")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{k}:{v}")?;
                }
                f.write_str("]")
            }
            Value::Time(t) => f.write_str(&timefmt::go_time_string(t)),
            Value::Duration(d) => f.write_str(&timefmt::go_duration_string(*d)),
            Value::Object(o) => f.write_str(&o.to_text()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::list(v)
    }
}

impl From<BTreeMap<String, Value>> for Value {
    fn from(m: BTreeMap<String, Value>) -> Self {
        Value::map(m)
    }
}

impl From<BTreeMap<String, String>> for Value {
    fn from(m: BTreeMap<String, String>) -> Self {
        Value::string_map(&m)
    }
}

/// JSON numbers become `Int` when they are integers written without a
/// fraction or exponent, else `Float`; objects become maps.
impl From<&serde_json::Value> for Value {
    fn from(j: &serde_json::Value) -> Self {
        match j {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::list(a.iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => {
                Value::map(o.iter().map(|(k, v)| (k.clone(), Value::from(v))).collect())
            }
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(j: serde_json::Value) -> Self {
        Value::from(&j)
    }
}

/// Go's `map[string]string`.
#[derive(Debug)]
struct StrMap(Arc<BTreeMap<String, Value>>);

impl Object for StrMap {
    fn type_name(&self) -> &str {
        "map[string]string"
    }

    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }

    fn base(&self) -> Option<Value> {
        Some(Value::Map(self.0.clone()))
    }

    fn elem_zero(&self) -> Option<Value> {
        Some(Value::String(String::new()))
    }
}

/// Go's `[]string`.
#[derive(Debug)]
struct StrList(Arc<Vec<Value>>);

impl Object for StrList {
    fn type_name(&self) -> &str {
        "[]string"
    }

    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }

    fn base(&self) -> Option<Value> {
        Some(Value::List(self.0.clone()))
    }
}
