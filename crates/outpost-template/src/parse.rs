//! Parser: tokens to trees, one per template name (`define` and `block` add
//! more trees), with Go's checks and error texts.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::lex::{Tok, Token, lex};

/// Maximum nesting of parentheses and control structures.
const MAX_DEPTH: usize = 200;

#[derive(Debug)]
pub(crate) struct Tree {
    /// The template's name.
    pub(crate) name: String,
    /// The name of the text it was parsed from (Go's ParseName).
    pub(crate) parse_name: String,
    pub(crate) text: Arc<str>,
    pub(crate) root: Vec<Node>,
}

#[derive(Debug)]
pub(crate) enum Node {
    Text(String),
    Action(Pipe),
    If(Branch),
    With(Branch),
    Range(Branch),
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    Break,
    Continue,
}

#[derive(Debug)]
pub(crate) struct Branch {
    pub(crate) pipe: Pipe,
    pub(crate) list: Vec<Node>,
    pub(crate) else_list: Option<Vec<Node>>,
}

#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) pos: usize,
    pub(crate) is_assign: bool,
    pub(crate) decl: Vec<String>,
    pub(crate) cmds: Vec<Command>,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) pos: usize,
    pub(crate) args: Vec<Arg>,
}

#[derive(Debug)]
pub(crate) enum Arg {
    /// `.A.B`
    Field(usize, Vec<String>),
    /// `$x.A.B` (fields may be empty)
    Variable(usize, String, Vec<String>),
    /// `(pipe).A.B`
    Chain(usize, Box<Arg>, Vec<String>),
    Dot(usize),
    Nil(usize),
    Bool(usize, bool),
    Number(usize, String, Number),
    Str(usize, String, String),
    Ident(usize, String),
    Pipe(usize, Box<Pipe>),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Number {
    Int(i64),
    Float(f64),
}

impl Arg {
    pub(crate) fn pos(&self) -> usize {
        match self {
            Arg::Field(p, _)
            | Arg::Variable(p, _, _)
            | Arg::Chain(p, _, _)
            | Arg::Dot(p)
            | Arg::Nil(p)
            | Arg::Bool(p, _)
            | Arg::Number(p, _, _)
            | Arg::Str(p, _, _)
            | Arg::Ident(p, _)
            | Arg::Pipe(p, _) => *p,
        }
    }
}

impl std::fmt::Display for Arg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arg::Field(_, names) => {
                for n in names {
                    write!(f, ".{n}")?;
                }
                Ok(())
            }
            Arg::Variable(_, v, names) => {
                f.write_str(v)?;
                for n in names {
                    write!(f, ".{n}")?;
                }
                Ok(())
            }
            Arg::Chain(_, node, names) => {
                if let Arg::Pipe(..) = **node {
                    write!(f, "({node})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for n in names {
                    write!(f, ".{n}")?;
                }
                Ok(())
            }
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number(_, t, _) | Arg::Str(_, t, _) => f.write_str(t),
            Arg::Ident(_, n) => f.write_str(n),
            Arg::Pipe(_, p) => write!(f, "{p}"),
        }
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Arg::Pipe(..) = a {
                write!(f, "({a})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for Pipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Line (1-based) and column (Go's byte offset in the line) of `pos`.
pub(crate) fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = &text.as_bytes()[..pos];
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let col = match before.iter().rposition(|b| *b == b'\n') {
        Some(i) => pos - (i + 1),
        None => pos,
    };
    (line, col)
}

/// Parses `text` as template `name`; returns the main tree (first) and the
/// trees of `define`/`block`.
pub(crate) fn parse(name: &str, text: &str, is_func: &dyn Fn(&str) -> bool) -> Result<Vec<Tree>> {
    let text: Arc<str> = Arc::from(text);
    let mut p = Parser {
        name: name.to_string(),
        text: text.clone(),
        toks: lex(&text),
        i: 0,
        vars: vec!["$".to_string()],
        is_func,
        range_depth: 0,
        depth: 0,
        defs: Vec::new(),
        def_names: HashSet::new(),
        action_start: None,
    };
    let root = p.parse_top()?;
    let mut trees = vec![Tree {
        name: name.to_string(),
        parse_name: name.to_string(),
        text: text.clone(),
        root,
    }];
    trees.append(&mut p.defs);
    Ok(trees)
}

struct Parser<'a> {
    name: String,
    text: Arc<str>,
    toks: Vec<Token>,
    i: usize,
    vars: Vec<String>,
    is_func: &'a dyn Fn(&str) -> bool,
    range_depth: usize,
    depth: usize,
    defs: Vec<Tree>,
    def_names: HashSet<String>,
    action_start: Option<usize>,
}

enum End {
    End,
    Else(usize),
}

/// Go's `item.String()` of a token, used in "unexpected ..." messages.
fn describe(t: &Token, text: &str) -> String {
    let quote = |s: &str| {
        if s.len() > 10 {
            let head: String = s.chars().take(10).collect();
            format!("{}...", crate::format::go_quote(&head))
        } else {
            crate::format::go_quote(s)
        }
    };
    match &t.tok {
        Tok::Eof => "EOF".into(),
        Tok::Error(e) => e.clone(),
        Tok::Keyword(k) => format!("<{k}>"),
        Tok::Dot => "<.>".into(),
        Tok::Nil => "<nil>".into(),
        Tok::Text(s) => quote(s),
        _ => quote(text.get(t.pos..t.end).unwrap_or("")),
    }
}

impl Parser<'_> {
    fn err<T>(&self, pos: usize, msg: impl std::fmt::Display) -> Result<T> {
        let (line, _) = line_col(&self.text, pos);
        Err(Error::Parse(format!(
            "template: {}:{}: {}",
            self.name, line, msg
        )))
    }

    fn next(&mut self) -> Result<Token> {
        let t = self.toks.get(self.i).cloned().unwrap_or(Token {
            tok: Tok::Eof,
            pos: self.text.len(),
            end: self.text.len(),
        });
        if self.i < self.toks.len() {
            self.i += 1;
        }
        if let Tok::Error(e) = &t.tok {
            return self.lex_err(t.pos, e);
        }
        Ok(t)
    }

    /// A lexer error, naming where the action started if that was on an
    /// earlier line (Go: "unclosed action started at NAME:LINE").
    fn lex_err<T>(&self, pos: usize, e: &str) -> Result<T> {
        if let Some(start) = self.action_start {
            let (sl, _) = line_col(&self.text, start);
            let (el, _) = line_col(&self.text, pos);
            if sl != el {
                let extra = if e.ends_with(" action") {
                    format!(" started at {}:{}", self.name, sl)
                } else {
                    format!(" in action started at {}:{}", self.name, sl)
                };
                return self.err(pos, format!("{e}{extra}"));
            }
        }
        self.err(pos, e)
    }

    fn peek(&self) -> Tok {
        self.toks
            .get(self.i)
            .map(|t| t.tok.clone())
            .unwrap_or(Tok::Eof)
    }

    fn peek_pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.text.len(), |t| t.pos)
    }

    fn next_non_space(&mut self) -> Result<Token> {
        loop {
            let t = self.next()?;
            if t.tok != Tok::Space {
                return Ok(t);
            }
        }
    }

    fn peek_non_space(&mut self) -> Tok {
        while self.peek() == Tok::Space {
            self.i += 1;
        }
        self.peek()
    }

    fn unexpected<T>(&self, t: &Token, context: &str) -> Result<T> {
        if let Tok::Error(e) = &t.tok {
            return self.lex_err(t.pos, e);
        }
        self.err(
            t.pos,
            format!("unexpected {} in {}", describe(t, &self.text), context),
        )
    }

    fn expect_right(&mut self, context: &str) -> Result<()> {
        let t = self.next_non_space()?;
        if t.tok != Tok::RightDelim {
            return self.unexpected(&t, context);
        }
        Ok(())
    }

    fn parse_top(&mut self) -> Result<Vec<Node>> {
        let mut root = Vec::new();
        loop {
            match self.peek() {
                Tok::Eof => break,
                Tok::LeftDelim => {
                    let save = self.i;
                    self.i += 1;
                    if self.peek_non_space() == Tok::Keyword("define") {
                        self.next()?;
                        self.parse_definition()?;
                        continue;
                    }
                    self.i = save;
                }
                _ => {}
            }
            match self.text_or_action()? {
                Ok(n) => root.push(n),
                Err((End::End, pos)) => return self.err(pos, "unexpected {{end}}"),
                Err((End::Else(_), pos)) => return self.err(pos, "unexpected {{else}}"),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> Result<()> {
        let t = self.next_non_space()?;
        let name = match t.tok {
            Tok::Str(_, v) => v,
            _ => return self.unexpected(&t, "define clause"),
        };
        self.expect_right("define clause")?;
        let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let (list, end) = self.item_list()?;
        self.vars = saved;
        if let End::Else(pos) = end {
            return self.err(pos, "unexpected {{else}} in define clause");
        }
        self.add_def(name, list, t.pos)
    }

    fn add_def(&mut self, name: String, list: Vec<Node>, pos: usize) -> Result<()> {
        if !self.def_names.insert(name.clone()) {
            // Go rejects a second non-empty definition in the same parse
            let empty = list
                .iter()
                .all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()));
            if !empty {
                return self.err(
                    pos,
                    format!("template: multiple definition of template {name:?}"),
                );
            }
            return Ok(());
        }
        self.defs.push(Tree {
            name,
            parse_name: self.name.clone(),
            text: self.text.clone(),
            root: list,
        });
        Ok(())
    }

    /// Parses nodes until `{{end}}` or `{{else`.
    fn item_list(&mut self) -> Result<(Vec<Node>, End)> {
        let mut list = Vec::new();
        loop {
            if self.peek() == Tok::Eof {
                let pos = self.peek_pos();
                return self.err(pos, "unexpected EOF");
            }
            match self.text_or_action()? {
                Ok(n) => list.push(n),
                Err((end, _)) => return Ok((list, end)),
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn text_or_action(&mut self) -> Result<std::result::Result<Node, (End, usize)>> {
        let t = self.next()?;
        match t.tok {
            Tok::Text(s) => Ok(Ok(Node::Text(s))),
            Tok::LeftDelim => {
                self.action_start = Some(t.pos);
                let r = self.action();
                self.action_start = None;
                r
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    #[allow(clippy::type_complexity)]
    fn action(&mut self) -> Result<std::result::Result<Node, (End, usize)>> {
        let t = self.next_non_space()?;
        match t.tok {
            Tok::Keyword("end") => {
                self.expect_right("end")?;
                Ok(Err((End::End, t.pos)))
            }
            Tok::Keyword("else") => {
                // `else if` / `else with` keep the right delimiter for the nested clause
                match self.peek_non_space() {
                    Tok::Keyword("if") | Tok::Keyword("with") => {}
                    _ => self.expect_right("else")?,
                }
                Ok(Err((End::Else(t.pos), t.pos)))
            }
            Tok::Keyword("if") => Ok(Ok(Node::If(self.control(t.pos, "if")?))),
            Tok::Keyword("with") => Ok(Ok(Node::With(self.control(t.pos, "with")?))),
            Tok::Keyword("range") => Ok(Ok(Node::Range(self.control(t.pos, "range")?))),
            Tok::Keyword("break") | Tok::Keyword("continue") => {
                let kw = if t.tok == Tok::Keyword("break") {
                    "break"
                } else {
                    "continue"
                };
                self.expect_right(&format!("{{{{{kw}}}}}"))?;
                if self.range_depth == 0 {
                    return self.err(t.pos, format!("{{{{{kw}}}}} outside {{{{range}}}}"));
                }
                Ok(Ok(if kw == "break" {
                    Node::Break
                } else {
                    Node::Continue
                }))
            }
            Tok::Keyword("template") => self.template_clause(t.pos, "template").map(Ok),
            Tok::Keyword("block") => self.template_clause(t.pos, "block").map(Ok),
            Tok::Keyword("define") => self.err(t.pos, "unexpected <define> in command"),
            _ => {
                self.i -= 1;
                let pipe = self.pipeline("command", true)?;
                Ok(Ok(Node::Action(pipe)))
            }
        }
    }

    fn template_clause(&mut self, pos: usize, ctx: &str) -> Result<Node> {
        let context = format!("{ctx} clause");
        let t = self.next_non_space()?;
        let name = match t.tok {
            Tok::Str(_, v) => v,
            _ => return self.unexpected(&t, &context),
        };
        let pipe = if self.peek_non_space() == Tok::RightDelim {
            self.next()?;
            None
        } else {
            Some(self.pipeline(&context, true)?)
        };
        if ctx == "block" {
            if pipe.is_none() {
                return self.err(pos, "missing value for block clause");
            }
            let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
            let (list, end) = self.item_list()?;
            self.vars = saved;
            if let End::Else(p) = end {
                return self.err(p, "unexpected {{else}} in block clause");
            }
            self.add_def(name.clone(), list, pos)?;
        }
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe,
        })
    }

    fn control(&mut self, pos: usize, ctx: &'static str) -> Result<Branch> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(pos, "max expression depth exceeded");
        }
        let mark = self.vars.len();
        let pipe = self.pipeline(ctx, true)?;
        if ctx == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if ctx == "range" {
            self.range_depth -= 1;
        }
        let (list, end) = r?;
        let mut else_list = None;
        if let End::Else(_) = end {
            // `else if` / `else with` nest a control node in the else branch
            match self.peek_non_space() {
                Tok::Keyword(k @ ("if" | "with")) if k == ctx => {
                    let t = self.next()?;
                    let b = self.control(t.pos, k)?;
                    else_list = Some(vec![if k == "if" {
                        Node::If(b)
                    } else {
                        Node::With(b)
                    }]);
                }
                Tok::Keyword(k @ ("if" | "with")) => {
                    let p = self.peek_pos();
                    return self.err(p, format!("unexpected <{k}> in input"));
                }
                _ => {
                    let (l, e) = self.item_list()?;
                    if let End::Else(p) = e {
                        return self.err(p, "expected end; found {{else}}");
                    }
                    else_list = Some(l);
                }
            }
        }
        self.vars.truncate(mark);
        self.depth -= 1;
        Ok(Branch {
            pipe,
            list,
            else_list,
        })
    }

    fn pipeline(&mut self, context: &str, at_delim: bool) -> Result<Pipe> {
        self.peek_non_space();
        let pos = self.peek_pos();
        let mut decl = Vec::new();
        let mut is_assign = false;
        // declarations
        if let Tok::Variable(v) = self.peek() {
            let save = self.i;
            self.i += 1;
            let mut vars = vec![(v, pos)];
            let mut ok = false;
            loop {
                match self.peek_non_space() {
                    Tok::Declare | Tok::Assign => {
                        is_assign = self.peek() == Tok::Assign;
                        self.i += 1;
                        ok = true;
                        break;
                    }
                    Tok::Comma if context == "range" && vars.len() < 2 => {
                        self.i += 1;
                        if let Tok::Variable(v2) = self.peek_non_space() {
                            let p2 = self.peek_pos();
                            self.i += 1;
                            vars.push((v2, p2));
                            continue;
                        }
                        let t = self.next()?;
                        return self.unexpected(&t, "declaration");
                    }
                    Tok::Comma => {
                        let p = self.peek_pos();
                        return self.err(p, format!("too many declarations in {context}"));
                    }
                    _ => break,
                }
            }
            if ok {
                for (v, vp) in vars {
                    if is_assign {
                        if !self.vars.contains(&v) {
                            return self.err(vp, format!("undefined variable \"{v}\""));
                        }
                    } else {
                        self.vars.push(v.clone());
                    }
                    decl.push(v);
                }
            } else {
                self.i = save;
            }
        }
        let mut cmds = Vec::new();
        loop {
            let t = self.next_non_space()?;
            match t.tok {
                Tok::RightDelim if at_delim => break,
                Tok::RParen if !at_delim => break,
                Tok::Bool(_)
                | Tok::Char(..)
                | Tok::Dot
                | Tok::Field(_)
                | Tok::Ident(_)
                | Tok::Number(_)
                | Tok::Nil
                | Tok::Str(..)
                | Tok::BadStr
                | Tok::Variable(_)
                | Tok::LParen => {
                    self.i -= 1;
                    cmds.push(self.command()?);
                }
                _ => return self.unexpected(&t, context),
            }
        }
        if cmds.is_empty() {
            return self.err(
                self.toks
                    .get(self.i.saturating_sub(1))
                    .map_or(pos, |t| t.pos),
                format!("missing value for {context}"),
            );
        }
        for (i, c) in cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args[0],
                Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(..) | Arg::Str(..)
            ) {
                return self.err(
                    c.pos,
                    format!("non executable command in pipeline stage {}", i + 1),
                );
            }
        }
        Ok(Pipe {
            pos,
            is_assign,
            decl,
            cmds,
        })
    }

    fn command(&mut self) -> Result<Command> {
        self.peek_non_space();
        let pos = self.peek_pos();
        let mut args = Vec::new();
        loop {
            self.peek_non_space();
            if let Some(a) = self.operand()? {
                args.push(a);
            }
            let t = self.next()?;
            match t.tok {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RParen => self.i -= 1,
                Tok::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if args.is_empty() {
            return self.err(pos, "empty command");
        }
        Ok(Command { pos, args })
    }

    fn operand(&mut self) -> Result<Option<Arg>> {
        let Some(term) = self.term()? else {
            return Ok(None);
        };
        let mut fields = Vec::new();
        let chain_pos = self.peek_pos();
        while let Tok::Field(f) = self.peek() {
            self.i += 1;
            fields.push(f);
        }
        if fields.is_empty() {
            return Ok(Some(term));
        }
        Ok(Some(match term {
            Arg::Field(_, mut names) => {
                names.extend(fields);
                Arg::Field(chain_pos, names)
            }
            Arg::Variable(_, v, mut names) => {
                names.extend(fields);
                Arg::Variable(chain_pos, v, names)
            }
            Arg::Bool(..) | Arg::Str(..) | Arg::Number(..) | Arg::Nil(_) | Arg::Dot(_) => {
                return self.err(
                    term.pos(),
                    format!(
                        "unexpected . after term {}",
                        crate::format::go_quote(&term.to_string())
                    ),
                );
            }
            other => Arg::Chain(chain_pos, Box::new(other), fields),
        }))
    }

    fn term(&mut self) -> Result<Option<Arg>> {
        let t = self.next_non_space()?;
        let pos = t.pos;
        Ok(Some(match t.tok {
            Tok::Ident(name) => {
                if !(self.is_func)(&name) {
                    return self.err(pos, format!("function \"{name}\" not defined"));
                }
                Arg::Ident(pos, name)
            }
            Tok::Dot => Arg::Dot(pos),
            Tok::Nil => Arg::Nil(pos),
            Tok::Variable(v) => {
                if !self.vars.contains(&v) {
                    return self.err(pos, format!("undefined variable \"{v}\""));
                }
                Arg::Variable(pos, v, Vec::new())
            }
            Tok::Field(f) => Arg::Field(pos, vec![f]),
            Tok::Bool(b) => Arg::Bool(pos, b),
            Tok::Char(raw, c) => Arg::Number(pos, raw, Number::Int(c)),
            Tok::Number(text) => match parse_number(&text) {
                Some(n) => Arg::Number(pos, text, n),
                None => return self.err(pos, format!("illegal number syntax: \"{text}\"")),
            },
            Tok::LParen => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return self.err(pos, "max expression depth exceeded");
                }
                let p = self.pipeline("parenthesized pipeline", false)?;
                self.depth -= 1;
                Arg::Pipe(pos, Box::new(p))
            }
            Tok::Str(raw, v) => Arg::Str(pos, raw, v),
            Tok::BadStr => return self.err(pos, "invalid syntax"),
            _ => {
                self.i -= 1;
                return Ok(None);
            }
        }))
    }
}

/// Go's number literal rules: integers (decimal, hex, octal, binary) or floats.
pub(crate) fn parse_number(text: &str) -> Option<Number> {
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    if text.contains('_') && (text.starts_with('_') || text.ends_with('_') || text.contains("__")) {
        return None;
    }
    let (neg, body) = match clean.as_bytes().first() {
        Some(b'-') => (true, &clean[1..]),
        Some(b'+') => (false, &clean[1..]),
        _ => (false, &clean[..]),
    };
    let lower = body.to_ascii_lowercase();
    let is_hex = lower.starts_with("0x");
    let is_float = if is_hex {
        lower.contains(['.', 'p'])
    } else {
        lower.contains(['.', 'e'])
    };
    if !is_float {
        let v = if let Some(h) = lower.strip_prefix("0x") {
            i128::from_str_radix(h, 16).ok()?
        } else if let Some(o) = lower.strip_prefix("0o") {
            i128::from_str_radix(o, 8).ok()?
        } else if let Some(b) = lower.strip_prefix("0b") {
            i128::from_str_radix(b, 2).ok()?
        } else if lower.len() > 1 && lower.starts_with('0') {
            i128::from_str_radix(&lower[1..], 8).ok()?
        } else {
            lower.parse::<i128>().ok()?
        };
        let v = if neg { -v } else { v };
        return match i64::try_from(v) {
            Ok(i) => Some(Number::Int(i)),
            Err(_) => Some(Number::Float(v as f64)),
        };
    }
    let f = if is_hex {
        parse_hex_float(&lower[2..])?
    } else {
        lower.parse::<f64>().ok()?
    };
    if !f.is_finite() {
        return None;
    }
    Some(Number::Float(if neg { -f } else { f }))
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_go_columns() {
        let text = "ab\ncd{{ x }}";
        assert_eq!(line_col(text, 0), (1, 0));
        assert_eq!(line_col(text, 2), (1, 2));
        assert_eq!(line_col(text, 5), (2, 2));
    }

    #[test]
    fn number_literals() {
        let int = |s: &str| match parse_number(s) {
            Some(Number::Int(i)) => Some(i),
            _ => None,
        };
        assert_eq!(int("0x1F"), Some(31));
        assert_eq!(int("017"), Some(15));
        assert_eq!(int("0o17"), Some(15));
        assert_eq!(int("0b101"), Some(5));
        assert_eq!(int("1_000"), Some(1000));
        assert_eq!(int("-5"), Some(-5));
        assert!(matches!(parse_number("1e3"), Some(Number::Float(f)) if f == 1000.0));
        assert!(matches!(parse_number("0x1p4"), Some(Number::Float(f)) if f == 16.0));
        assert!(parse_number(".").is_none());
        assert!(parse_number("1__0").is_none());
    }

    #[test]
    fn trees_and_node_strings() {
        let trees = parse(
            "t",
            r#"a{{ define "x" }}{{ .A.B | printf "%d" (len $) }}{{ end }}b"#,
            &|_| true,
        )
        .unwrap();
        assert_eq!(trees.len(), 2);
        assert_eq!(trees[1].name, "x");
        assert_eq!(trees[1].parse_name, "t");
        let Node::Action(p) = &trees[1].root[0] else {
            panic!("not an action")
        };
        assert_eq!(p.to_string(), r#".A.B | printf "%d" (len $)"#);
    }
}
