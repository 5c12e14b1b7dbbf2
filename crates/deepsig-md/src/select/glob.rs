//! Shell-style wildcard patterns with the semantics of Python's `fnmatch.fnmatchcase`, which
//! MDAnalysis uses for `name`, `resname` and `segid` values.

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(char),
    /// `?`: exactly one character.
    Any,
    /// `*`: any run of characters, including none.
    Star,
    /// `[...]` or `[!...]`: one character in (or, negated, not in) the inclusive ranges.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A compiled, case-sensitive wildcard pattern (`*`, `?`, `[seq]`, `[!seq]`).
///
/// As in `fnmatch`, a `[` with no closing `]` is an ordinary character, and a `]` right after
/// `[` or `[!` belongs to the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pieces: Vec<Piece>,
    /// The pattern has no wildcard, so matching is a plain string comparison.
    literal: Option<String>,
}

impl Pattern {
    pub(crate) fn new(text: &str) -> Pattern {
        let chars: Vec<char> = text.chars().collect();
        let mut pieces = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' => {
                    // Consecutive stars match the same strings as one.
                    if pieces.last() != Some(&Piece::Star) {
                        pieces.push(Piece::Star);
                    }
                    i += 1;
                }
                '?' => {
                    pieces.push(Piece::Any);
                    i += 1;
                }
                '[' => match parse_class(&chars, i) {
                    Some((piece, next)) => {
                        pieces.push(piece);
                        i = next;
                    }
                    None => {
                        pieces.push(Piece::Literal('['));
                        i += 1;
                    }
                },
                c => {
                    pieces.push(Piece::Literal(c));
                    i += 1;
                }
            }
        }
        let literal =
            pieces.iter().all(|p| matches!(p, Piece::Literal(_))).then(|| text.to_string());
        Pattern { pieces, literal }
    }

    pub(crate) fn matches(&self, s: &str) -> bool {
        if let Some(lit) = &self.literal {
            return lit == s;
        }
        let text: Vec<char> = s.chars().collect();
        // Greedy match with backtracking to the most recent star: linear in practice and
        // never exponential, because only the last star is ever retried.
        let (mut p, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match self.pieces.get(p) {
                Some(Piece::Star) => {
                    star = Some((p, t));
                    p += 1;
                }
                Some(piece) if single_matches(piece, text[t]) => {
                    p += 1;
                    t += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        p = sp + 1;
                        t = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        self.pieces[p..].iter().all(|piece| *piece == Piece::Star)
    }
}

fn single_matches(piece: &Piece, c: char) -> bool {
    match piece {
        Piece::Literal(l) => *l == c,
        Piece::Any => true,
        Piece::Star => false,
        Piece::Class { negated, ranges } => {
            ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
        }
    }
}

/// Parses the class starting at `chars[open] == '['`; returns it and the index after `]`.
fn parse_class(chars: &[char], open: usize) -> Option<(Piece, usize)> {
    let mut i = open + 1;
    let negated = chars.get(i) == Some(&'!');
    if negated {
        i += 1;
    }
    let body_start = i;
    // A `]` first in the set is a member, not the end.
    if chars.get(i) == Some(&']') {
        i += 1;
    }
    while chars.get(i)? != &']' {
        i += 1;
    }
    let body = &chars[body_start..i];
    let mut ranges = Vec::new();
    let mut k = 0;
    while k < body.len() {
        if k + 2 < body.len() && body[k + 1] == '-' {
            ranges.push((body[k], body[k + 2]));
            k += 3;
        } else {
            ranges.push((body[k], body[k]));
            k += 1;
        }
    }
    Some((Piece::Class { negated, ranges }, i + 1))
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn m(p: &str, s: &str) -> bool {
        Pattern::new(p).matches(s)
    }

    #[test]
    fn behaves_like_fnmatchcase() {
        assert!(m("H*", "H") && m("H*", "HG11") && !m("H*", "1HG1") && !m("H*", "h1"));
        assert!(m("*", "") && m("C?", "CA") && !m("C?", "C") && !m("C?", "CAB"));
        assert!(m("*A*B", "xxAyyB") && !m("*A*B", "xxAyyBz"));
        assert!(m("[CN]A", "CA") && m("[CN]A", "NA") && !m("[CN]A", "OA"));
        assert!(m("[!H]*", "CA") && !m("[!H]*", "HA"));
        assert!(m("O[A-C]", "OB") && !m("O[A-C]", "OD"));
        assert!(m("[]]", "]") && m("[!]]", "a"));
        // An unclosed bracket is literal, as in Python.
        assert!(m("A[B", "A[B") && !m("A[B", "AB"));
        assert!(m("a**b", "ab") && m("?*", "x") && !m("?*", ""));
    }
}
