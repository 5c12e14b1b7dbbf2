//! Recursive-descent parser for the selection language: `or` < `and` < `not` < terms.

use super::glob::Pattern;
use super::lexer::{Token, tokenize};
use super::{SelectError, SelectErrorKind};

/// A parsed selection expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    All,
    Protein,
    Backbone,
    Water,
    Heavy,
    Text(TextField, Vec<Pattern>),
    Number(NumberField, Vec<IntRange>),
    Not(Box<Expr>),
    /// Two or more operands; n-ary so long chains do not make deep trees.
    And(Vec<Expr>),
    /// Two or more operands.
    Or(Vec<Expr>),
}

/// Maximum nesting of parentheses and `not`, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

/// A string attribute of an atom that `name`-like keywords match against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextField {
    Name,
    Resname,
    Segid,
    Chain,
    Element,
}

/// An integer attribute that `resid`-like keywords compare with ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberField {
    Resid,
    /// 0-based atom index (MDAnalysis `index`).
    Index,
    /// 1-based atom number (MDAnalysis `bynum`).
    Bynum,
}

/// An inclusive integer range; a single value `v` is `v..=v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IntRange {
    pub(crate) lo: i64,
    pub(crate) hi: i64,
}

/// Every reserved word. A value list stops at any of these (as MDAnalysis's
/// `grab_not_keywords` does), so `name CA and resid 5` reads `CA` as the only name.
pub(crate) const KEYWORDS: &[&str] = &[
    "all", "and", "backbone", "bynum", "chainID", "element", "heavy", "index", "name", "not", "or",
    "protein", "resid", "resname", "segid", "water",
];

pub(crate) fn parse(input: &str) -> Result<Expr, SelectError> {
    let tokens = tokenize(input);
    let mut p = Parser { input, tokens: &tokens, pos: 0, depth: 0 };
    if tokens.is_empty() {
        return Err(p.error(None, SelectErrorKind::EmptyExpression));
    }
    let expr = p.or_expr()?;
    match p.peek() {
        None => Ok(expr),
        Some(t) if t.is(")") => Err(p.error(Some(t.column), SelectErrorKind::UnmatchedClose)),
        Some(t) => Err(p.error(
            Some(t.column),
            SelectErrorKind::UnexpectedToken {
                found: t.text.clone(),
                expected: "'and', 'or' or the end",
            },
        )),
    }
}

struct Parser<'a> {
    input: &'a str,
    tokens: &'a [Token],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    fn error(&self, column: Option<usize>, kind: SelectErrorKind) -> SelectError {
        SelectError::new(self.input, column, kind)
    }

    /// Column just past the last character, for "unexpected end" errors.
    fn end_column(&self) -> usize {
        self.input.chars().count() + 1
    }

    fn or_expr(&mut self) -> Result<Expr, SelectError> {
        let mut terms = vec![self.and_expr()?.0];
        while self.peek().is_some_and(|t| t.is("or")) {
            self.pos += 1;
            let (term, first_and) = self.and_expr()?;
            // MDAnalysis reads `A or B and C` as `(A or B) and C`, VMD as `A or (B and C)`:
            // refuse to guess which one the user meant.
            if let Some(column) = first_and {
                return Err(self.error(Some(column), SelectErrorKind::AmbiguousPrecedence));
            }
            terms.push(term);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::Or(terms) })
    }

    /// The conjunction, and the column of its first unparenthesised `and`, if any.
    fn and_expr(&mut self) -> Result<(Expr, Option<usize>), SelectError> {
        let mut terms = vec![self.not_expr()?];
        let mut first_and = None;
        while let Some(token) = self.peek().filter(|t| t.is("and")) {
            first_and = first_and.or(Some(token.column));
            self.pos += 1;
            terms.push(self.not_expr()?);
        }
        Ok((if terms.len() == 1 { terms.remove(0) } else { Expr::And(terms) }, first_and))
    }

    fn not_expr(&mut self) -> Result<Expr, SelectError> {
        if let Some(t) = self.peek().filter(|t| t.is("not")) {
            self.pos += 1;
            self.enter(t)?;
            let inner = self.not_expr()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn enter(&mut self, at: &Token) -> Result<(), SelectError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(Some(at.column), SelectErrorKind::TooDeep(MAX_DEPTH)));
        }
        Ok(())
    }

    fn primary(&mut self) -> Result<Expr, SelectError> {
        let Some(tok) = self.peek() else {
            return Err(self.error(
                Some(self.end_column()),
                SelectErrorKind::UnexpectedEnd { expected: "a selection" },
            ));
        };
        self.pos += 1;
        if tok.is("(") {
            self.enter(tok)?;
            let inner = self.or_expr()?;
            self.depth -= 1;
            return match self.peek() {
                Some(t) if t.is(")") => {
                    self.pos += 1;
                    Ok(inner)
                }
                Some(t) => Err(self.error(
                    Some(t.column),
                    SelectErrorKind::UnexpectedToken { found: t.text.clone(), expected: "')'" },
                )),
                None => Err(self.error(Some(tok.column), SelectErrorKind::UnclosedParenthesis)),
            };
        }
        let word = if tok.escaped { "" } else { tok.text.as_str() };
        let expr = match word {
            "all" => Expr::All,
            "protein" => Expr::Protein,
            "backbone" => Expr::Backbone,
            "water" => Expr::Water,
            "heavy" => Expr::Heavy,
            "name" | "resname" | "segid" | "chainID" | "element" => {
                let field = match word {
                    "name" => TextField::Name,
                    "resname" => TextField::Resname,
                    "segid" => TextField::Segid,
                    "chainID" => TextField::Chain,
                    _ => TextField::Element,
                };
                let values = self.values(tok)?;
                Expr::Text(field, values.iter().map(|v| Pattern::new(&v.text)).collect())
            }
            "resid" | "index" | "bynum" => {
                let field = match word {
                    "resid" => NumberField::Resid,
                    "index" => NumberField::Index,
                    _ => NumberField::Bynum,
                };
                let values = self.values(tok)?;
                Expr::Number(field, self.ranges(&values)?)
            }
            _ if tok.is(")") => {
                return Err(self.error(Some(tok.column), SelectErrorKind::UnmatchedClose));
            }
            _ => {
                return Err(
                    self.error(Some(tok.column), SelectErrorKind::UnknownKeyword(tok.text.clone()))
                );
            }
        };
        Ok(expr)
    }

    /// The words after `keyword` up to the next reserved word or parenthesis.
    fn values(&mut self, keyword: &Token) -> Result<Vec<Token>, SelectError> {
        let mut out = Vec::new();
        while let Some(t) = self.peek() {
            let reserved =
                !t.escaped && (KEYWORDS.contains(&t.text.as_str()) || t.is("(") || t.is(")"));
            if reserved {
                break;
            }
            out.push(t.clone());
            self.pos += 1;
        }
        if out.is_empty() {
            let column = self.peek().map_or_else(|| self.end_column(), |t| t.column);
            return Err(self.error(
                Some(column),
                SelectErrorKind::MissingValue { keyword: keyword.text.clone() },
            ));
        }
        Ok(out)
    }

    /// Reads integer values and ranges written `a-b`, `a:b`, `a to b`, with or without spaces
    /// around `:`, `to` or a free-standing `-`. As in MDAnalysis, `1 -5` is the two values 1 and
    /// −5, while `1-5`, `1 - 5` and `1- 5` are the range 1 to 5.
    fn ranges(&self, values: &[Token]) -> Result<Vec<IntRange>, SelectError> {
        // First glue the words of one range back together, like MDAnalysis's
        // `join_separated_values`.
        let mut items: Vec<(String, usize)> = Vec::new();
        let mut i = 0;
        while i < values.len() {
            let v = &values[i];
            let joins_previous = !items.is_empty()
                && (matches!(v.text.as_str(), "to" | ":" | "-")
                    || v.text.starts_with(':')
                    || v.text.starts_with("--")
                    || items
                        .last()
                        .is_some_and(|(s, _)| s.ends_with([':', '-']) || s.ends_with(" to")));
            if joins_previous {
                if let Some(last) = items.last_mut() {
                    last.0.push(' ');
                    last.0.push_str(&v.text);
                }
            } else {
                items.push((v.text.clone(), v.column));
            }
            i += 1;
        }
        items
            .iter()
            .map(|(s, column)| {
                let range = parse_range(s).ok_or_else(|| {
                    self.error(Some(*column), SelectErrorKind::BadNumber(s.clone()))
                })?;
                if range.lo > range.hi {
                    return Err(self.error(Some(*column), SelectErrorKind::EmptyRange(s.clone())));
                }
                Ok(range)
            })
            .collect()
    }
}

/// Parses `int`, or `int SEP int` with `SEP` one of `:`, `-`, `to`, spaces allowed around it.
fn parse_range(s: &str) -> Option<IntRange> {
    let (lo, rest) = leading_int(s)?;
    let rest = rest.trim_start();
    if rest.is_empty() {
        return Some(IntRange { lo, hi: lo });
    }
    let rest = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix('-'))
        .or_else(|| rest.strip_prefix("to"))?;
    let (hi, tail) = leading_int(rest.trim_start())?;
    tail.trim().is_empty().then_some(IntRange { lo, hi })
}

/// An optionally negative integer at the start of `s`, and the rest of `s`.
fn leading_int(s: &str) -> Option<(i64, &str)> {
    let digits_start = usize::from(s.starts_with('-'));
    let end =
        s[digits_start..].find(|c: char| !c.is_ascii_digit()).map_or(s.len(), |k| k + digits_start);
    if end == digits_start {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(s: &str) -> Vec<(i64, i64)> {
        match parse(&format!("resid {s}")) {
            Ok(Expr::Number(_, r)) => r.iter().map(|r| (r.lo, r.hi)).collect(),
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn range_spellings_match_mdanalysis() {
        assert_eq!(ranges("10-50"), vec![(10, 50)]);
        assert_eq!(ranges("10:50"), vec![(10, 50)]);
        assert_eq!(ranges("10 to 50"), vec![(10, 50)]);
        assert_eq!(ranges("10 - 50"), vec![(10, 50)]);
        assert_eq!(ranges("10- 50"), vec![(10, 50)]);
        assert_eq!(ranges("10 :50"), vec![(10, 50)]);
        assert_eq!(ranges("1 -5"), vec![(1, 1), (-5, -5)]);
        assert_eq!(ranges("-5--3"), vec![(-5, -3)]);
        assert_eq!(ranges("1 2 5:7"), vec![(1, 1), (2, 2), (5, 7)]);
    }

    #[test]
    fn nesting_is_bounded_but_long_chains_are_flat() {
        let deep = format!("{}name CA{}", "(".repeat(200), ")".repeat(200));
        let err = parse(&deep).err().map(|e| e.kind);
        assert_eq!(err, Some(SelectErrorKind::TooDeep(MAX_DEPTH)));
        assert!(parse(&"not ".repeat(200)).is_err());
        let chain = vec!["name CA"; 100_000].join(" or ");
        assert!(matches!(parse(&chain), Ok(Expr::Or(t)) if t.len() == 100_000));
    }

    #[test]
    fn not_binds_tightest_and_and_before_or_is_unambiguous() {
        let e = parse("name B and not name C or name A").unwrap_or_else(|e| panic!("{e}"));
        let Expr::Or(terms) = e else { panic!("top must be or: {e:?}") };
        let [Expr::And(lhs), _] = &terms[..] else { panic!("lhs must be and: {terms:?}") };
        assert!(matches!(lhs[..], [Expr::Text(..), Expr::Not(_)]));
        let e = parse("name A or (name B and name C)").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(e, Expr::Or(ref t) if matches!(t[..], [_, Expr::And(_)])), "{e:?}");
    }

    #[test]
    fn and_after_or_without_parentheses_is_refused() {
        let err = parse("name A or name B and resid 1").unwrap_err();
        assert_eq!(err.kind, SelectErrorKind::AmbiguousPrecedence);
        assert_eq!(err.column, Some(18));
    }
}
