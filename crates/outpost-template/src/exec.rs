//! Templates, function maps and the executor (Go's `text/template` exec).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::format;
use crate::parse::{self, Arg, Branch, Command, Node, Number, Pipe, Tree};
use crate::value::Value;

/// Maximum nesting of `{{template}}` calls (Go allows 100000; we keep the
/// native stack small).
pub const MAX_TEMPLATE_DEPTH: usize = 100;

/// Maximum output of one execution, a guard against runaway templates.
const MAX_OUTPUT: usize = 64 << 20;

/// The signature of a template function: evaluated arguments in, a value or an
/// error message out (shown as `error calling NAME: MSG`).
pub type FuncImpl = dyn Fn(&[Value]) -> std::result::Result<Value, String> + Send + Sync;

#[derive(Clone)]
struct Function {
    min: usize,
    variadic: bool,
    f: Arc<FuncImpl>,
    /// Parameter types (fixed, then variadic), checked before the call.
    sig: Option<Arc<(Vec<ArgType>, Option<ArgType>)>>,
}

/// Named functions available to templates (Go's `template.FuncMap`). The Go
/// built-ins (`and`, `printf`, `eq`, ...) are always available; a function of
/// the same name here overrides one of them.
#[derive(Clone, Default)]
pub struct FuncMap {
    funcs: HashMap<String, Function>,
}

impl fmt::Debug for FuncMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.funcs.keys().collect();
        names.sort();
        f.debug_struct("FuncMap").field("names", &names).finish()
    }
}

impl FuncMap {
    /// An empty map (the built-ins stay available).
    pub fn new() -> FuncMap {
        FuncMap::default()
    }

    /// Adds a function taking exactly `nargs` arguments.
    pub fn add(
        &mut self,
        name: &str,
        nargs: usize,
        f: impl Fn(&[Value]) -> std::result::Result<Value, String> + Send + Sync + 'static,
    ) -> &mut Self {
        self.funcs.insert(
            name.to_string(),
            Function {
                min: nargs,
                variadic: false,
                f: Arc::new(f),
                sig: None,
            },
        );
        self
    }

    /// Adds a variadic function taking at least `min` arguments.
    pub fn add_variadic(
        &mut self,
        name: &str,
        min: usize,
        f: impl Fn(&[Value]) -> std::result::Result<Value, String> + Send + Sync + 'static,
    ) -> &mut Self {
        self.funcs.insert(
            name.to_string(),
            Function {
                min,
                variadic: true,
                f: Arc::new(f),
                sig: None,
            },
        );
        self
    }

    /// Adds a function with typed parameters: arguments are checked as Go
    /// checks them against a Go function's signature.
    pub(crate) fn add_typed(
        &mut self,
        name: &str,
        params: &[ArgType],
        rest: Option<ArgType>,
        f: impl Fn(&[Value]) -> std::result::Result<Value, String> + Send + Sync + 'static,
    ) -> &mut Self {
        self.funcs.insert(
            name.to_string(),
            Function {
                min: params.len(),
                variadic: rest.is_some(),
                f: Arc::new(f),
                sig: Some(Arc::new((params.to_vec(), rest))),
            },
        );
        self
    }

    /// Adds (or replaces) every function of `other`.
    pub fn extend(&mut self, other: &FuncMap) -> &mut Self {
        for (k, v) in &other.funcs {
            self.funcs.insert(k.clone(), v.clone());
        }
        self
    }

    /// Whether a function of this name was added (built-ins not included).
    pub fn contains(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }

    /// Calls a function directly (for tests and callers composing functions).
    pub fn call(&self, name: &str, args: &[Value]) -> Option<std::result::Result<Value, String>> {
        let f = self.funcs.get(name)?;
        if args.len() < f.min || (!f.variadic && args.len() != f.min) {
            return Some(Err(format!(
                "wrong number of args for {name}: want {} got {}",
                f.min,
                args.len()
            )));
        }
        Some((f.f)(args))
    }
}

const BUILTINS: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

/// A set of named templates sharing functions and options, like Go's
/// `*template.Template` with its associated templates.
///
/// ```
/// use outpost_template::{Template, Value};
/// let mut t = Template::new("t");
/// t.parse("{{ range $i, $e := . }}{{ $i }}={{ $e }} {{ end }}").unwrap();
/// let out = t.execute(&Value::list(vec!["a".into(), "b".into()])).unwrap();
/// assert_eq!(out, "0=a 1=b ");
/// ```
#[derive(Clone, Debug)]
pub struct Template {
    name: String,
    trees: HashMap<String, Arc<Tree>>,
    funcs: Arc<FuncMap>,
    missing_zero: bool,
    escape_html: bool,
}

impl Template {
    /// An empty template set whose main template is `name`.
    pub fn new(name: &str) -> Template {
        Template {
            name: name.to_string(),
            trees: HashMap::new(),
            funcs: Arc::new(FuncMap::new()),
            missing_zero: false,
            escape_html: false,
        }
    }

    /// The main template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds functions (call before parsing: unknown functions are parse errors).
    pub fn funcs(&mut self, funcs: &FuncMap) -> &mut Self {
        Arc::make_mut(&mut self.funcs).extend(funcs);
        self
    }

    /// `missingkey=zero` (true) or the default `missingkey=invalid` (false):
    /// whether a missing map key gives the zero value (`""` for maps of
    /// strings) or `<no value>`.
    pub fn missing_key_zero(&mut self, on: bool) -> &mut Self {
        self.missing_zero = on;
        self
    }

    /// HTML-escapes the values printed by actions (except `safeHtml`
    /// results), approximating `html/template` in text context.
    pub fn escape_html(&mut self, on: bool) -> &mut Self {
        self.escape_html = on;
        self
    }

    /// Parses `text` as the body of the main template (plus its `define`s).
    pub fn parse(&mut self, text: &str) -> Result<&mut Self> {
        let name = self.name.clone();
        self.parse_named(&name, text)
    }

    /// Parses `text` as the body of template `name` (plus its `define`s), as
    /// `ParseFiles` does with a file's base name. A body that is empty or only
    /// whitespace does not replace an existing template of that name.
    pub fn parse_named(&mut self, name: &str, text: &str) -> Result<&mut Self> {
        let funcs = self.funcs.clone();
        let is_func = move |n: &str| funcs.contains(n) || BUILTINS.contains(&n);
        let trees = parse::parse(name, text, &is_func)?;
        for tree in trees {
            let empty = tree.root.iter().all(|n| matches!(n, Node::Text(t) if t.trim_matches([' ', '\t', '\r', '\n']).is_empty()));
            if empty && self.trees.contains_key(&tree.name) {
                continue;
            }
            self.trees.insert(tree.name.clone(), Arc::new(tree));
        }
        Ok(self)
    }

    /// Whether a template of this name is defined.
    pub fn has(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The defined template names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.trees.keys().cloned().collect();
        v.sort();
        v
    }

    /// Executes the main template with `data` as dot.
    pub fn execute(&self, data: &Value) -> Result<String> {
        match self.trees.get(&self.name) {
            Some(t) => self.run(t, data),
            None => Err(Error::Exec(format!(
                "template: {}: {:?} is an incomplete or empty template",
                self.name, self.name
            ))),
        }
    }

    /// Executes the named template with `data` as dot.
    pub fn execute_template(&self, name: &str, data: &Value) -> Result<String> {
        match self.trees.get(name) {
            Some(t) => self.run(t, data),
            None => Err(Error::Exec(format!(
                "template: no template {:?} associated with template {:?}",
                name, self.name
            ))),
        }
    }

    fn run(&self, tree: &Tree, data: &Value) -> Result<String> {
        let mut st = State {
            tmpl: self,
            tree,
            vars: vec![("$".into(), data.clone())],
            out: String::new(),
            depth: 0,
            last: None,
        };
        st.walk_list(data, &tree.root)?;
        Ok(st.out)
    }
}

enum Flow {
    Normal,
    Break,
    Continue,
}

/// What an error is reported "at" (Go's `s.at(node)`).
#[derive(Clone, Copy)]
enum At<'a> {
    Arg(&'a Arg),
    Cmd(&'a Command),
    Pipe(&'a Pipe),
    Tmpl(usize, &'a str, &'a Option<Pipe>),
}

/// Parameter types of typed functions, checked as Go checks arguments.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ArgType {
    Any,
    Str,
    StrList,
    Time,
    Sample,
    QueryResult,
}

impl ArgType {
    fn go_name(self) -> &'static str {
        match self {
            ArgType::Any => "interface {}",
            ArgType::Str => "string",
            ArgType::StrList => "[]string",
            ArgType::Time => "time.Time",
            ArgType::Sample => "*template.sample",
            ArgType::QueryResult => "template.queryResult",
        }
    }

    fn nilable(self) -> bool {
        matches!(
            self,
            ArgType::Any | ArgType::StrList | ArgType::Sample | ArgType::QueryResult
        )
    }
}

type R<T> = std::result::Result<T, Error>;

struct State<'a> {
    tmpl: &'a Template,
    tree: &'a Tree,
    vars: Vec<(String, Value)>,
    out: String,
    depth: usize,
    /// The node evaluated last (Go's `s.node`), where errors without their
    /// own node are reported.
    last: Option<At<'a>>,
}

impl<'a> State<'a> {
    fn at(&mut self, a: At<'a>) {
        self.last = Some(a);
    }

    fn err_last(&self, msg: impl fmt::Display) -> Error {
        match self.last {
            Some(a) => self.err(a, msg),
            None => Error::Exec(format!("template: {}: {}", self.tree.name, msg)),
        }
    }

    fn err(&self, at: At<'_>, msg: impl fmt::Display) -> Error {
        let (pos, ctx) = match at {
            At::Arg(a) => (a.pos(), a.to_string()),
            At::Cmd(c) => (c.pos, c.to_string()),
            At::Pipe(p) => (p.pos, p.to_string()),
            At::Tmpl(pos, name, pipe) => (pos, template_ctx(name, pipe)),
        };
        let (line, col) = parse::line_col(&self.tree.text, pos);
        Error::Exec(format!(
            "template: {}:{}:{}: executing {:?} at <{}>: {}",
            self.tree.parse_name, line, col, self.tree.name, ctx, msg
        ))
    }

    fn var(&self, name: &str, node: &'a Arg) -> R<Value> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.err(At::Arg(node), format!("undefined variable: {name}"))),
        }
    }

    fn set_var(&mut self, name: &str, v: Value) {
        if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            slot.1 = v;
        }
    }

    fn walk_list(&mut self, dot: &Value, list: &'a [Node]) -> R<Flow> {
        for n in list {
            match self.walk(dot, n)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, node: &'a Node) -> R<Flow> {
        match node {
            Node::Text(t) => self.write(t)?,
            Node::Action(p) => {
                let v = self.eval_pipeline(dot, p)?;
                if p.decl.is_empty() {
                    let s = print_value(&v);
                    if self.tmpl.escape_html
                        && !matches!(&v, Value::Object(o) if o.type_name() == "template.HTML")
                    {
                        let e = crate::funcs::html_escape(&s).replace('+', "&#43;");
                        self.write(&e)?;
                    } else {
                        self.write(&s)?;
                    }
                }
            }
            Node::If(b) => return self.walk_if_with(dot, b, false),
            Node::With(b) => return self.walk_if_with(dot, b, true),
            Node::Range(b) => return self.walk_range(dot, b),
            Node::Template { pos, name, pipe } => {
                self.at(At::Tmpl(*pos, name, pipe));
                let Some(tree) = self.tmpl.trees.get(name) else {
                    return Err(self.err(
                        At::Tmpl(*pos, name, pipe),
                        format!("template {name:?} not defined"),
                    ));
                };
                if self.depth >= MAX_TEMPLATE_DEPTH {
                    return Err(self.err(
                        At::Tmpl(*pos, name, pipe),
                        format!("exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})"),
                    ));
                }
                let new_dot = match pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Value::Null,
                };
                let saved_vars =
                    std::mem::replace(&mut self.vars, vec![("$".into(), new_dot.clone())]);
                let saved_tree = std::mem::replace(&mut self.tree, tree);
                self.depth += 1;
                let r = self.walk_list(&new_dot, &tree.root);
                self.depth -= 1;
                self.tree = saved_tree;
                self.vars = saved_vars;
                r?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn write(&mut self, s: &str) -> R<()> {
        if self.out.len() + s.len() > MAX_OUTPUT {
            return Err(Error::Exec(format!(
                "template: {}: output exceeds {} bytes",
                self.tree.name, MAX_OUTPUT
            )));
        }
        self.out.push_str(s);
        Ok(())
    }

    fn walk_if_with(&mut self, dot: &Value, b: &'a Branch, with: bool) -> R<Flow> {
        let mark = self.vars.len();
        let v = self.eval_pipeline(dot, &b.pipe)?;
        let r = if v.truth() {
            if with {
                self.walk_list(&v, &b.list)
            } else {
                self.walk_list(dot, &b.list)
            }
        } else if let Some(e) = &b.else_list {
            self.walk_list(dot, e)
        } else {
            Ok(Flow::Normal)
        };
        self.vars.truncate(mark);
        r
    }

    fn walk_range(&mut self, dot: &Value, b: &'a Branch) -> R<Flow> {
        let mark = self.vars.len();
        let v = self.eval_pipeline(dot, &b.pipe)?;
        // the pipeline's declarations were pushed with the whole value; the
        // iteration rebinds them
        let items: Vec<(Value, Value)> = match v.plain() {
            Value::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, e)| (Value::Int(i as i64), e.clone()))
                .collect(),
            Value::Map(m) => m
                .iter()
                .map(|(k, e)| (Value::String(k.clone()), e.clone()))
                .collect(),
            Value::Null => Vec::new(),
            other => {
                return Err(self.err_last(format!("range can't iterate over {other}")));
            }
        };
        let mut flow = Flow::Normal;
        if items.is_empty() {
            if let Some(e) = &b.else_list {
                flow = self.walk_list(dot, e)?;
            }
            self.vars.truncate(mark);
            return Ok(match flow {
                Flow::Normal => Flow::Normal,
                // break/continue inside the else branch belong to an outer range
                f => f,
            });
        }
        let decl = &b.pipe.decl;
        for (k, e) in items {
            let inner = self.vars.len();
            match decl.len() {
                0 => {}
                1 => {
                    if b.pipe.is_assign {
                        self.set_var(&decl[0], e.clone());
                    } else {
                        self.set_var_last(&decl[0], e.clone());
                    }
                }
                _ => {
                    if b.pipe.is_assign {
                        self.set_var(&decl[0], k);
                        self.set_var(&decl[1], e.clone());
                    } else {
                        self.set_var_last(&decl[0], k);
                        self.set_var_last(&decl[1], e.clone());
                    }
                }
            }
            let r = self.walk_list(&e, &b.list)?;
            self.vars.truncate(inner);
            if let Flow::Break = r {
                break;
            }
        }
        self.vars.truncate(mark);
        let _ = flow;
        flow = Flow::Normal;
        Ok(flow)
    }

    fn set_var_last(&mut self, name: &str, v: Value) {
        self.set_var(name, v);
    }

    fn eval_pipeline(&mut self, dot: &Value, p: &'a Pipe) -> R<Value> {
        self.at(At::Pipe(p));
        let mut val: Option<Value> = None;
        for c in &p.cmds {
            let v = self.eval_command(dot, c, val.take())?;
            val = Some(v);
        }
        let v = val.unwrap_or_default();
        for name in &p.decl {
            if p.is_assign {
                self.set_var(name, v.clone());
            } else {
                self.vars.push((name.clone(), v.clone()));
            }
        }
        Ok(v)
    }

    fn eval_command(&mut self, dot: &Value, cmd: &'a Command, fin: Option<Value>) -> R<Value> {
        let first = &cmd.args[0];
        let rest = &cmd.args[1..];
        match first {
            Arg::Field(_, names) => {
                self.at(At::Arg(first));
                self.eval_field_chain(dot, dot.clone(), first, names, rest, fin)
            }
            Arg::Variable(_, name, names) => {
                self.at(At::Arg(first));
                let v = self.var(name, first)?;
                if names.is_empty() {
                    if !rest.is_empty() || fin.is_some() {
                        return Err(self.err(
                            At::Arg(first),
                            format!("can't give argument to non-function {first}"),
                        ));
                    }
                    return Ok(v);
                }
                self.eval_field_chain(dot, v, first, names, rest, fin)
            }
            Arg::Chain(_, node, names) => {
                self.at(At::Arg(first));
                let v = self.eval_arg(dot, node)?;
                self.eval_field_chain(dot, v, first, names, rest, fin)
            }
            Arg::Ident(_, name) => self.eval_function(dot, name, cmd, first, rest, fin),
            Arg::Pipe(_, p) => {
                if !rest.is_empty() || fin.is_some() {
                    return Err(self.err(
                        At::Arg(first),
                        format!("can't give argument to non-function {first}"),
                    ));
                }
                self.eval_pipeline(dot, p)
            }
            Arg::Nil(_) => Err(self.err(At::Arg(first), "nil is not a command")),
            _ => {
                if !rest.is_empty() || fin.is_some() {
                    return Err(self.err(
                        At::Arg(first),
                        format!("can't give argument to non-function {first}"),
                    ));
                }
                self.eval_arg(dot, first)
            }
        }
    }

    /// Evaluates an argument (no arguments of its own).
    fn eval_arg(&mut self, dot: &Value, a: &'a Arg) -> R<Value> {
        self.at(At::Arg(a));
        match a {
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Ok(Value::Null),
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Number(_, _, Number::Int(i)) => Ok(Value::Int(*i)),
            Arg::Number(_, _, Number::Float(f)) => Ok(Value::Float(*f)),
            Arg::Str(_, _, s) => Ok(Value::String(s.clone())),
            Arg::Field(_, names) => self.eval_field_chain(dot, dot.clone(), a, names, &[], None),
            Arg::Variable(_, name, names) => {
                let v = self.var(name, a)?;
                if names.is_empty() {
                    return Ok(v);
                }
                self.eval_field_chain(dot, v, a, names, &[], None)
            }
            Arg::Chain(_, node, names) => {
                let v = self.eval_arg(dot, node)?;
                self.eval_field_chain(dot, v, a, names, &[], None)
            }
            Arg::Pipe(_, p) => {
                let mark = self.vars.len();
                let v = self.eval_pipeline(dot, p);
                self.vars.truncate(mark);
                v
            }
            Arg::Ident(_, name) => {
                // a function used as an argument is called without arguments
                let cmd_like = a;
                self.call_function(dot, name, cmd_like, cmd_like, &[], None)
            }
        }
    }

    /// Evaluates arguments against parameter types, in order, failing with
    /// Go's messages at the offending argument.
    fn eval_typed_args(
        &mut self,
        dot: &Value,
        args: &'a [Arg],
        fin: Option<Value>,
        params: &[ArgType],
        rest: Option<ArgType>,
    ) -> R<Vec<Value>> {
        let ty = |i: usize| params.get(i).copied().or(rest).unwrap_or(ArgType::Any);
        let mut out = Vec::with_capacity(args.len() + 1);
        for (i, a) in args.iter().enumerate() {
            out.push(self.eval_typed(dot, a, ty(i))?);
        }
        if let Some(f) = fin {
            let t = ty(out.len());
            out.push(self.validate(f, t)?);
        }
        Ok(out)
    }

    fn eval_typed(&mut self, dot: &Value, a: &'a Arg, ty: ArgType) -> R<Value> {
        self.at(At::Arg(a));
        if ty == ArgType::Any {
            return self.eval_arg(dot, a);
        }
        match a {
            Arg::Str(_, _, s) if ty == ArgType::Str => Ok(Value::String(s.clone())),
            Arg::Str(..) | Arg::Number(..) | Arg::Bool(..) => {
                if ty == ArgType::Str {
                    Err(self.err_last(format!("expected string; found {a}")))
                } else {
                    Err(self.err_last(format!("can't handle {a} for arg of type {}", ty.go_name())))
                }
            }
            Arg::Nil(_) if ty.nilable() => Ok(Value::Null),
            Arg::Nil(_) => Err(self.err_last(format!("cannot assign nil to {}", ty.go_name()))),
            _ => {
                let v = self.eval_arg(dot, a)?;
                self.validate(v, ty)
            }
        }
    }

    /// Go's `validateType` for our parameter types.
    fn validate(&self, v: Value, ty: ArgType) -> R<Value> {
        let ok = match (&v, ty) {
            (_, ArgType::Any) => true,
            (Value::Null, t) => {
                if t.nilable() {
                    return Ok(v);
                }
                return Err(self.err_last(format!("invalid value; expected {}", ty.go_name())));
            }
            (Value::String(_), ArgType::Str) => true,
            (Value::Time(_), ArgType::Time) => true,
            (Value::Object(o), ArgType::StrList) => {
                o.type_name() == "[]string"
                    || matches!(o.base(), Some(Value::List(l)) if l.iter().all(|e| matches!(e, Value::String(_))) && o.type_name().starts_with("[]"))
            }
            (Value::List(l), ArgType::StrList) => l.iter().all(|e| matches!(e, Value::String(_))),
            (Value::Object(o), ArgType::Sample) => o.type_name() == "*template.sample",
            (Value::Object(o), ArgType::QueryResult) => o.type_name() == "template.queryResult",
            (Value::List(_), ArgType::QueryResult) => true,
            _ => false,
        };
        if ok {
            Ok(v)
        } else {
            Err(self.err_last(format!(
                "wrong type for value; expected {}; got {}",
                ty.go_name(),
                v.type_name()
            )))
        }
    }

    fn eval_args(&mut self, dot: &Value, args: &'a [Arg], fin: Option<Value>) -> R<Vec<Value>> {
        let mut out = Vec::with_capacity(args.len() + 1);
        for a in args {
            out.push(self.eval_arg(dot, a)?);
        }
        if let Some(f) = fin {
            out.push(f);
        }
        Ok(out)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut recv: Value,
        node: &'a Arg,
        names: &[String],
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        let n = names.len();
        for name in &names[..n - 1] {
            recv = self.eval_field(node, name, &[], recv)?;
        }
        let has_args = !args.is_empty() || fin.is_some();
        let argv = if has_args {
            self.eval_args(dot, args, fin)?
        } else {
            Vec::new()
        };
        self.eval_field_args(node, &names[n - 1], &argv, has_args, recv)
    }

    fn eval_field(&mut self, node: &'a Arg, name: &str, args: &[Value], recv: Value) -> R<Value> {
        self.eval_field_args(node, name, args, !args.is_empty(), recv)
    }

    fn eval_field_args(
        &mut self,
        node: &'a Arg,
        name: &str,
        args: &[Value],
        has_args: bool,
        recv: Value,
    ) -> R<Value> {
        match &recv {
            Value::Null => Ok(Value::Null),
            Value::Map(m) => {
                if has_args {
                    return Err(self.err(
                        At::Arg(node),
                        format!("{name} is not a method but has arguments"),
                    ));
                }
                Ok(match m.get(name) {
                    Some(v) => v.clone(),
                    None => self.missing(m),
                })
            }
            Value::Object(o) => match o.call(name, args) {
                Some(Ok(v)) => Ok(v),
                Some(Err(e)) if is_arg_error(&e) => Err(self.err(At::Arg(node), e)),
                Some(Err(e)) => Err(self.err(At::Arg(node), format!("error calling {name}: {e}"))),
                None => match o.base() {
                    Some(Value::Map(m)) => {
                        if has_args {
                            return Err(self.err(
                                At::Arg(node),
                                format!("{name} is not a method but has arguments"),
                            ));
                        }
                        Ok(match m.get(name) {
                            Some(v) => v.clone(),
                            None if self.tmpl.missing_zero => {
                                o.elem_zero().unwrap_or_else(|| zero_of_map(&m))
                            }
                            None => Value::Null,
                        })
                    }
                    _ => Err(self.err(
                        At::Arg(node),
                        format!("can't evaluate field {name} in type {}", recv.type_name()),
                    )),
                },
            },
            Value::Time(t) => match crate::funcs::time_method(t, name, args) {
                Some(Ok(v)) => Ok(v),
                Some(Err(e)) => Err(self.err(At::Arg(node), format!("error calling {name}: {e}"))),
                None => Err(self.err(
                    At::Arg(node),
                    format!("can't evaluate field {name} in type time.Time"),
                )),
            },
            other => Err(self.err(
                At::Arg(node),
                format!("can't evaluate field {name} in type {}", other.type_name()),
            )),
        }
    }

    fn missing(&self, m: &BTreeMap<String, Value>) -> Value {
        if self.tmpl.missing_zero {
            zero_of_map(m)
        } else {
            Value::Null
        }
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        name: &str,
        cmd: &'a Command,
        ident: &'a Arg,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        self.call_function_cmd(dot, name, At::Cmd(cmd), ident, args, fin)
    }

    fn call_function(
        &mut self,
        dot: &Value,
        name: &str,
        at: &'a Arg,
        ident: &'a Arg,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        self.call_function_cmd(dot, name, At::Arg(at), ident, args, fin)
    }

    fn call_function_cmd(
        &mut self,
        dot: &Value,
        name: &str,
        at: At<'a>,
        ident: &'a Arg,
        args: &'a [Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        let nargs = args.len() + usize::from(fin.is_some());
        self.at(At::Arg(ident));
        if let Some(f) = self.tmpl.funcs.funcs.get(name) {
            let f = f.clone();
            self.check_arity(ident, name, nargs, f.min, f.variadic)?;
            let argv = match &f.sig {
                Some(sig) => self.eval_typed_args(dot, args, fin, &sig.0, sig.1)?,
                None => self.eval_args(dot, args, fin)?,
            };
            return (f.f)(&argv).map_err(|e| self.err(at, format!("error calling {name}: {e}")));
        }
        // lazy and/or
        if name == "and" || name == "or" {
            self.check_arity(ident, name, nargs, 1, true)?;
            let mut seen = 0;
            for a in args {
                let v = self.eval_arg(dot, a)?;
                seen += 1;
                let t = v.truth();
                if (name == "and" && !t) || (name == "or" && t) || seen == nargs {
                    return Ok(v);
                }
            }
            return Ok(fin.unwrap_or_default());
        }
        let (min, variadic) = match name {
            "not" | "len" => (1, false),
            "ne" | "lt" | "le" | "gt" | "ge" => (2, false),
            "index" | "slice" | "call" | "eq" => (1, true),
            "printf" => (1, true),
            _ => (0, true),
        };
        self.check_arity(ident, name, nargs, min, variadic)?;
        let argv = if name == "printf" {
            self.eval_typed_args(dot, args, fin, &[ArgType::Str], Some(ArgType::Any))?
        } else {
            self.eval_args(dot, args, fin)?
        };
        crate::funcs::builtin(name, &argv)
            .map_err(|e| self.err(at, format!("error calling {name}: {e}")))
    }

    fn check_arity(
        &self,
        ident: &'a Arg,
        name: &str,
        got: usize,
        min: usize,
        variadic: bool,
    ) -> R<()> {
        if variadic && got < min {
            return Err(self.err(
                At::Arg(ident),
                format!("wrong number of args for {name}: want at least {min} got {got}"),
            ));
        }
        if !variadic && got != min {
            return Err(self.err(
                At::Arg(ident),
                format!("wrong number of args for {name}: want {min} got {got}"),
            ));
        }
        Ok(())
    }
}

fn template_ctx(name: &str, pipe: &Option<Pipe>) -> String {
    match pipe {
        Some(p) => format!("{{{{template {name:?} {p}}}}}"),
        None => format!("{{{{template {name:?}}}}}"),
    }
}

/// Argument errors of methods are reported as they are, not as failed calls.
fn is_arg_error(e: &str) -> bool {
    e.starts_with("wrong number of args")
        || e.starts_with("wrong type for value")
        || e.contains("has arguments but cannot be invoked")
}

/// The zero value of a map's element type: `""` for maps of strings, else nil.
pub(crate) fn zero_of_map(m: &BTreeMap<String, Value>) -> Value {
    if !m.is_empty() && m.values().all(|v| matches!(v, Value::String(_))) {
        Value::String(String::new())
    } else {
        Value::Null
    }
}

/// How an action prints its value (`<no value>` for nil).
fn print_value(v: &Value) -> String {
    match v {
        Value::Null => "<no value>".into(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// `fmt.Sprint` of the arguments, or the single string argument itself.
pub(crate) fn eval_args_string(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.clone();
    }
    // nil prints as "<no value>" here (Go's printableValue)
    let args: Vec<Value> = args
        .iter()
        .map(|a| match a {
            Value::Null => Value::String("<no value>".into()),
            a => a.clone(),
        })
        .collect();
    format::sprint(&args)
}
