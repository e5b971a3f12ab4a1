//! A Python-expression subset, enough for feedparser's `Expect:` lines: `a and b`,
//! `not x`, `x == literal`, `len(x)`, `( … )`, strings, integers, tuples, subscripts
//! and attribute access.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Lit {
    Str(String),
    Int(i64),
    Tuple(Vec<Lit>),
}

#[derive(Debug, Clone)]
pub(super) enum Seg {
    Key(String),
    Index(i64),
}

#[derive(Debug, Clone)]
pub(super) enum Expr {
    Lit(Lit),
    Path(String, Vec<Seg>),
    Len(Box<Expr>),
    Not(Box<Expr>),
    Eq(Box<Expr>, Box<Expr>),
    And(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Str(String),
    Int(i64),
    Ident(String),
    Sym(&'static str),
}

pub(super) fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '=' && cs.get(i + 1) == Some(&'=') {
            out.push(Tok::Sym("=="));
            i += 2;
        } else if "[]().,".contains(c) {
            out.push(Tok::Sym(match c {
                '[' => "[",
                ']' => "]",
                '(' => "(",
                ')' => ")",
                '.' => ".",
                _ => ",",
            }));
            i += 1;
        } else if c == '\''
            || c == '"'
            || ((c == 'u' || c == 'b') && matches!(cs.get(i + 1), Some('\'') | Some('"')))
        {
            if c == 'u' || c == 'b' {
                i += 1;
            }
            let q = cs[i];
            i += 1;
            let mut v = String::new();
            while i < cs.len() && cs[i] != q {
                if cs[i] == '\\' {
                    i += 1;
                    let e = *cs.get(i)?;
                    let hex = |n: usize, i: &mut usize| {
                        let h: String = cs.get(*i + 1..*i + 1 + n)?.iter().collect();
                        *i += n;
                        char::from_u32(u32::from_str_radix(&h, 16).ok()?)
                    };
                    match e {
                        'n' => v.push('\n'),
                        't' => v.push('\t'),
                        'r' => v.push('\r'),
                        '0' => v.push('\0'),
                        'x' => v.push(hex(2, &mut i)?),
                        'u' => v.push(hex(4, &mut i)?),
                        'U' => v.push(hex(8, &mut i)?),
                        other => v.push(other),
                    }
                } else {
                    v.push(cs[i]);
                }
                i += 1;
            }
            i += 1;
            out.push(Tok::Str(v));
        } else if c.is_ascii_digit()
            || (c == '-' && cs.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < cs.len() && cs[i].is_ascii_digit() {
                i += 1;
            }
            if cs.get(i) == Some(&'.') && cs.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
                return None; // floats are not in the subset
            }
            out.push(Tok::Int(
                cs[start..i].iter().collect::<String>().parse().ok()?,
            ));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(cs[start..i].iter().collect()));
        } else {
            return None;
        }
    }
    Some(out)
}

pub(super) struct ExprParser {
    toks: Vec<Tok>,
    pos: usize,
}

impl ExprParser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn and(&mut self) -> Option<Expr> {
        let mut terms = vec![self.not()?];
        while self.eat(&Tok::Ident("and".into())) {
            terms.push(self.not()?);
        }
        Some(if terms.len() == 1 {
            terms.pop()?
        } else {
            Expr::And(terms)
        })
    }
    fn not(&mut self) -> Option<Expr> {
        if self.eat(&Tok::Ident("not".into())) {
            return Some(Expr::Not(Box::new(self.not()?)));
        }
        let left = self.operand()?;
        if self.eat(&Tok::Sym("==")) {
            let right = self.operand()?;
            return Some(Expr::Eq(Box::new(left), Box::new(right)));
        }
        Some(left)
    }
    fn operand(&mut self) -> Option<Expr> {
        match self.peek()?.clone() {
            Tok::Str(s) => {
                self.pos += 1;
                // Adjacent literals concatenate, as in Python.
                let mut s = s;
                while let Some(Tok::Str(more)) = self.peek().cloned() {
                    s.push_str(&more);
                    self.pos += 1;
                }
                Some(Expr::Lit(Lit::Str(s)))
            }
            Tok::Int(n) => {
                self.pos += 1;
                Some(Expr::Lit(Lit::Int(n)))
            }
            Tok::Sym("(") => {
                self.pos += 1;
                let first = self.and()?;
                if self.eat(&Tok::Sym(")")) {
                    return Some(first);
                }
                let mut items = vec![first];
                while self.eat(&Tok::Sym(",")) {
                    if self.eat(&Tok::Sym(")")) {
                        return tuple(items);
                    }
                    items.push(self.and()?);
                }
                self.eat(&Tok::Sym(")")).then_some(())?;
                tuple(items)
            }
            Tok::Ident(name) if name == "len" => {
                self.pos += 1;
                self.eat(&Tok::Sym("(")).then_some(())?;
                let inner = self.operand()?;
                self.eat(&Tok::Sym(")")).then_some(())?;
                Some(Expr::Len(Box::new(inner)))
            }
            Tok::Ident(name) => {
                self.pos += 1;
                let mut segs = Vec::new();
                loop {
                    if self.eat(&Tok::Sym("[")) {
                        match self.peek()?.clone() {
                            Tok::Str(k) => segs.push(Seg::Key(k)),
                            Tok::Int(i) => segs.push(Seg::Index(i)),
                            _ => return None,
                        }
                        self.pos += 1;
                        self.eat(&Tok::Sym("]")).then_some(())?;
                    } else if self.eat(&Tok::Sym(".")) {
                        match self.peek()?.clone() {
                            Tok::Ident(k) => segs.push(Seg::Key(k)),
                            _ => return None,
                        }
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                Some(Expr::Path(name, segs))
            }
            _ => None,
        }
    }
}

pub(super) fn tuple(items: Vec<Expr>) -> Option<Expr> {
    let lits = items
        .into_iter()
        .map(|e| match e {
            Expr::Lit(l) => Some(l),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Expr::Lit(Lit::Tuple(lits)))
}

pub(super) fn parse_expr(s: &str) -> Option<Expr> {
    let mut p = ExprParser {
        toks: tokenize(s)?,
        pos: 0,
    };
    let e = p.and()?;
    (p.pos == p.toks.len()).then_some(e)
}
