//! Lexer: splits template text into text and action tokens, applying trim
//! markers (`{{- ` and ` -}}`) and dropping comments.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Text(String),
    LeftDelim,
    RightDelim,
    Space,
    Ident(String),
    /// `.Name` (the name without the dot).
    Field(String),
    /// `$name` or `$` (with the dollar).
    Variable(String),
    Dot,
    Pipe,
    LParen,
    RParen,
    /// Quoted or raw string: original text and value.
    Str(String, String),
    /// A quoted string with a bad escape (an error where it is used).
    BadStr,
    /// Character constant: original text and code point.
    Char(String, i64),
    Number(String),
    Bool(bool),
    Nil,
    Declare,
    Assign,
    Comma,
    /// Any other printable ASCII character (the parser rejects it).
    Punct,
    Keyword(&'static str),
    Eof,
    Error(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) pos: usize,
    pub(crate) end: usize,
}

const KEYWORDS: &[&str] = &[
    "block", "break", "continue", "define", "else", "end", "if", "range", "template", "with",
];

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

pub(crate) fn lex(text: &str) -> Vec<Token> {
    let mut l = Lexer {
        s: text,
        b: text.as_bytes(),
        pos: 0,
        out: Vec::new(),
        paren: 0,
    };
    l.run();
    l.out
}

struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    out: Vec<Token>,
    paren: usize,
}

impl Lexer<'_> {
    fn emit(&mut self, tok: Tok, pos: usize) {
        let end = self.pos.max(pos);
        self.out.push(Token { tok, pos, end });
    }

    fn err(&mut self, msg: String) {
        let pos = self.pos;
        self.emit(Tok::Error(msg), pos);
    }

    fn run(&mut self) {
        let mut trim_next = false;
        loop {
            // text
            let start = self.pos;
            let idx = self.s[start..].find("{{").map(|i| start + i);
            let end = idx.unwrap_or(self.b.len());
            let mut tstart = start;
            if trim_next {
                while tstart < end && is_space(self.b[tstart]) {
                    tstart += 1;
                }
            }
            let mut tend = end;
            let left_trim = idx.is_some_and(|i| {
                self.b.len() >= i + 4 && self.b[i + 2] == b'-' && is_space(self.b[i + 3])
            });
            if left_trim {
                while tend > tstart && is_space(self.b[tend - 1]) {
                    tend -= 1;
                }
            }
            if tend > tstart {
                self.emit(Tok::Text(self.s[tstart..tend].to_string()), tstart);
            }
            let Some(i) = idx else {
                self.emit(Tok::Eof, self.b.len());
                return;
            };
            self.pos = i + 2 + if left_trim { 2 } else { 0 };
            // comment
            if self.s[self.pos..].starts_with("/*") {
                let Some(close) = self.s[self.pos + 2..].find("*/") else {
                    self.err("unclosed comment".into());
                    return;
                };
                self.pos += 2 + close + 2;
                let (found, trim) = self.at_right_delim();
                if !found {
                    self.err("comment ends before closing delimiter".into());
                    return;
                }
                self.pos += if trim { 4 } else { 2 };
                trim_next = trim;
                continue;
            }
            self.emit(Tok::LeftDelim, i);
            self.paren = 0;
            match self.action() {
                Some(trim) => trim_next = trim,
                None => return,
            }
        }
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let r = &self.b[self.pos..];
        if r.len() >= 4 && is_space(r[0]) && r[1] == b'-' && r[2] == b'}' && r[3] == b'}' {
            return (true, true);
        }
        (r.starts_with(b"}}"), false)
    }

    fn peek_char(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    /// Lexes one action; returns whether a right trim marker ended it, or
    /// `None` after an error.
    fn action(&mut self) -> Option<bool> {
        loop {
            let (delim, trim) = self.at_right_delim();
            if delim {
                if trim {
                    // the space before the marker
                    self.emit(Tok::Space, self.pos);
                    self.pos += 2;
                }
                if self.paren > 0 {
                    self.err("unclosed left paren".into());
                    return None;
                }
                self.emit(Tok::RightDelim, self.pos);
                self.pos += 2;
                return Some(trim);
            }
            let Some(c) = self.peek_char() else {
                self.err("unclosed action".into());
                return None;
            };
            let start = self.pos;
            match c {
                ' ' | '\t' | '\r' | '\n' => {
                    while self.pos < self.b.len() && is_space(self.b[self.pos]) {
                        let (d, t) = self.at_right_delim();
                        if d || t {
                            break;
                        }
                        self.pos += 1;
                    }
                    self.emit(Tok::Space, start);
                }
                '=' => {
                    self.pos += 1;
                    self.emit(Tok::Assign, start);
                }
                ':' => {
                    if self.b.get(self.pos + 1) != Some(&b'=') {
                        self.err("expected :=".into());
                        return None;
                    }
                    self.pos += 2;
                    self.emit(Tok::Declare, start);
                }
                '|' => {
                    self.pos += 1;
                    self.emit(Tok::Pipe, start);
                }
                ',' => {
                    self.pos += 1;
                    self.emit(Tok::Comma, start);
                }
                '"' => self.quote()?,
                '`' => {
                    let Some(end) = self.s[self.pos + 1..].find('`') else {
                        self.err("unterminated raw quoted string".into());
                        return None;
                    };
                    let raw = &self.s[self.pos..self.pos + 1 + end + 1];
                    let val = raw[1..raw.len() - 1].replace('\r', "");
                    self.pos += raw.len();
                    self.emit(Tok::Str(raw.to_string(), val), start);
                }
                '\'' => self.char_const()?,
                '$' => {
                    self.pos += 1;
                    self.word();
                    let name = self.s[start..self.pos].to_string();
                    if !self.at_terminator() {
                        self.bad_char();
                        return None;
                    }
                    self.emit(Tok::Variable(name), start);
                }
                '.' => {
                    if self.pos + 1 == self.b.len()
                        || self.b.get(self.pos + 1).is_some_and(u8::is_ascii_digit)
                    {
                        self.number()?;
                    } else {
                        self.pos += 1;
                        let ws = self.pos;
                        self.word();
                        if self.pos == ws {
                            if !self.at_terminator() {
                                self.bad_char();
                                return None;
                            }
                            self.emit(Tok::Dot, start);
                        } else {
                            if !self.at_terminator() {
                                self.bad_char();
                                return None;
                            }
                            let name = self.s[ws..self.pos].to_string();
                            self.emit(Tok::Field(name), start);
                        }
                    }
                }
                '+' | '-' | '0'..='9' => self.number()?,
                '(' => {
                    self.pos += 1;
                    self.paren += 1;
                    self.emit(Tok::LParen, start);
                }
                ')' => {
                    self.pos += 1;
                    self.emit(Tok::RParen, start);
                    if self.paren == 0 {
                        self.err("unexpected right paren U+0029 ')'".into());
                        return None;
                    }
                    self.paren -= 1;
                }
                c if is_alnum(c) => {
                    self.word();
                    let w = &self.s[start..self.pos];
                    if !self.at_terminator() {
                        self.bad_char();
                        return None;
                    }
                    let tok = if let Some(k) = KEYWORDS.iter().find(|k| **k == w) {
                        Tok::Keyword(k)
                    } else {
                        match w {
                            "true" => Tok::Bool(true),
                            "false" => Tok::Bool(false),
                            "nil" => Tok::Nil,
                            _ => Tok::Ident(w.to_string()),
                        }
                    };
                    self.emit(tok, start);
                }
                c if c.is_ascii() && !c.is_ascii_control() => {
                    self.pos += 1;
                    self.emit(Tok::Punct, start);
                }
                c => {
                    self.err(format!("unrecognized character in action: {}", go_u(c)));
                    return None;
                }
            }
        }
    }

    fn bad_char(&mut self) {
        let c = self.peek_char().unwrap_or('\0');
        self.err(format!("bad character {}", go_u(c)));
    }

    fn word(&mut self) {
        while let Some(c) = self.peek_char() {
            if !is_alnum(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn at_terminator(&self) -> bool {
        let Some(c) = self.peek_char() else {
            return true;
        };
        if matches!(
            c,
            ' ' | '\t' | '\r' | '\n' | '.' | ',' | '|' | ':' | ')' | '('
        ) {
            return true;
        }
        self.s[self.pos..].starts_with("}}")
    }

    fn quote(&mut self) -> Option<()> {
        let start = self.pos;
        let mut i = self.pos + 1;
        loop {
            match self.b.get(i) {
                None | Some(b'\n') => {
                    self.err("unterminated quoted string".into());
                    return None;
                }
                Some(b'\\') => {
                    if matches!(self.b.get(i + 1), None | Some(b'\n')) {
                        self.err("unterminated quoted string".into());
                        return None;
                    }
                    i += 2;
                }
                Some(b'"') => break,
                Some(_) => i += 1,
            }
        }
        let raw = &self.s[start..=i];
        self.pos = i + 1;
        match unquote(raw) {
            Some(v) => {
                self.emit(Tok::Str(raw.to_string(), v), start);
                Some(())
            }
            None => {
                self.emit(Tok::BadStr, start);
                Some(())
            }
        }
    }

    fn char_const(&mut self) -> Option<()> {
        let start = self.pos;
        let mut i = self.pos + 1;
        loop {
            match self.b.get(i) {
                None | Some(b'\n') => {
                    self.err("unterminated character constant".into());
                    return None;
                }
                Some(b'\\') => i += 2,
                Some(b'\'') => break,
                Some(_) => i += 1,
            }
        }
        if i >= self.b.len() {
            self.err("unterminated character constant".into());
            return None;
        }
        let raw = &self.s[start..=i];
        self.pos = i + 1;
        let inner = format!("\"{}\"", &raw[1..raw.len() - 1].replace("\\'", "'"));
        match unquote(&inner) {
            Some(v) if v.chars().count() == 1 => {
                let c = v.chars().next().unwrap_or('\0');
                self.emit(Tok::Char(raw.to_string(), c as i64), start);
                Some(())
            }
            _ => {
                self.err(format!("malformed character constant: {raw}"));
                None
            }
        }
    }

    fn number(&mut self) -> Option<()> {
        let start = self.pos;
        if matches!(self.b.get(self.pos), Some(b'+' | b'-')) {
            self.pos += 1;
        }
        let mut digits: &[u8] = b"0123456789_";
        let mut exp: &[u8] = b"eE";
        if self.b.get(self.pos) == Some(&b'0') {
            match self.b.get(self.pos + 1) {
                Some(b'x' | b'X') => {
                    self.pos += 2;
                    digits = b"0123456789abcdefABCDEF_";
                    exp = b"pP";
                }
                Some(b'o' | b'O') => {
                    self.pos += 2;
                    digits = b"01234567_";
                }
                Some(b'b' | b'B') => {
                    self.pos += 2;
                    digits = b"01_";
                }
                _ => {}
            }
        }
        let accept = |l: &mut Self, set: &[u8]| {
            while l.b.get(l.pos).is_some_and(|c| set.contains(c)) {
                l.pos += 1;
            }
        };
        accept(self, digits);
        if self.b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            accept(self, digits);
        }
        if self.b.get(self.pos).is_some_and(|c| exp.contains(c)) {
            self.pos += 1;
            if matches!(self.b.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            accept(self, b"0123456789_");
        }
        if self.b.get(self.pos) == Some(&b'i') {
            self.pos += 1;
        }
        if self.peek_char().is_some_and(is_alnum) {
            self.pos += self.peek_char().map_or(1, char::len_utf8);
            let text = self.s[start..self.pos].to_string();
            self.err(format!("bad number syntax: \"{text}\""));
            return None;
        }
        let text = self.s[start..self.pos].to_string();
        if text == "+" || text == "-" {
            self.pos = start;
            let c = self.peek_char().unwrap_or('\0');
            self.err(format!("unrecognized character in action: {}", go_u(c)));
            return None;
        }
        self.emit(Tok::Number(text), start);
        Some(())
    }
}

/// Go's `%#U` of a character: `U+0021 '!'`.
fn go_u(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{}'", c as u32, c)
    }
}

/// Unquotes a Go interpreted string literal including its quotes.
pub(crate) fn unquote(raw: &str) -> Option<String> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut v = 0u32;
                for _ in 0..n {
                    v = v * 16 + chars.next()?.to_digit(16)?;
                }
                if e == 'x' {
                    // a byte; only ASCII bytes keep the string valid UTF-8
                    if v < 0x80 {
                        out.push(char::from_u32(v)?);
                    } else {
                        out.push('\u{FFFD}');
                    }
                } else {
                    out.push(char::from_u32(v)?);
                }
            }
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                for _ in 0..2 {
                    v = v * 8 + chars.next()?.to_digit(8)?;
                }
                if v > 255 {
                    return None;
                }
                if v < 0x80 {
                    out.push(char::from_u32(v)?);
                } else {
                    out.push('\u{FFFD}');
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Tok> {
        lex(text).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn trim_markers_and_comments() {
        assert_eq!(
            kinds("a  {{- 1 -}}  b"),
            vec![
                Tok::Text("a".into()),
                Tok::LeftDelim,
                Tok::Number("1".into()),
                Tok::Space,
                Tok::RightDelim,
                Tok::Text("b".into()),
                Tok::Eof
            ]
        );
        assert_eq!(
            kinds("x {{- /* c */ -}} y"),
            vec![Tok::Text("x".into()), Tok::Text("y".into()), Tok::Eof]
        );
        assert_eq!(kinds("{{-3}}")[1], Tok::Number("-3".into()));
    }

    #[test]
    fn go_string_escapes() {
        assert_eq!(
            unquote(r#""a\tb\u00e9\x41\101\"""#).as_deref(),
            Some("a\tbéAA\"")
        );
        assert_eq!(unquote(r#""\q""#), None);
    }
}
