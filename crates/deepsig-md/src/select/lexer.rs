//! Splits a selection string into words and parentheses, remembering each one's column.

/// One token of a selection string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// The text: a word, `(` or `)`. A leading backslash has been removed from escaped words.
    pub(crate) text: String,
    /// 1-based character column of the token's first character in the selection string.
    pub(crate) column: usize,
    /// The word was written with a leading backslash, so it is a value even if it spells a
    /// keyword (MDAnalysis 2.x's escape, e.g. `name \protein`).
    pub(crate) escaped: bool,
}

impl Token {
    pub(crate) fn is(&self, text: &str) -> bool {
        !self.escaped && self.text == text
    }
}

/// Tokenises like MDAnalysis (`str.replace("(", " ( ")`, then split on whitespace): parentheses
/// are always tokens of their own, everything else is a whitespace-separated word.
pub(crate) fn tokenize(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut start = 0;
    let flush = |word: &mut String, start: usize, tokens: &mut Vec<Token>| {
        if word.is_empty() {
            return;
        }
        let (text, escaped) = match word.strip_prefix('\\') {
            Some(rest) if !rest.is_empty() => (rest.to_string(), true),
            _ => (word.clone(), false),
        };
        tokens.push(Token { text, column: start, escaped });
        word.clear();
    };
    for (i, c) in input.chars().enumerate() {
        let column = i + 1;
        if c == '(' || c == ')' {
            flush(&mut word, start, &mut tokens);
            tokens.push(Token { text: c.to_string(), column, escaped: false });
        } else if c.is_whitespace() {
            flush(&mut word, start, &mut tokens);
        } else {
            if word.is_empty() {
                start = column;
            }
            word.push(c);
        }
    }
    flush(&mut word, start, &mut tokens);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<(String, usize)> {
        tokenize(s).into_iter().map(|t| (t.text, t.column)).collect()
    }

    #[test]
    fn parentheses_split_words_and_columns_are_one_based() {
        assert_eq!(
            texts("not(name CA)"),
            vec![
                ("not".into(), 1),
                ("(".into(), 4),
                ("name".into(), 5),
                ("CA".into(), 10),
                (")".into(), 12)
            ]
        );
        assert!(tokenize("  \t ").is_empty());
    }

    #[test]
    fn backslash_escapes_a_keyword() {
        let t = tokenize("name \\and");
        assert_eq!(t[1].text, "and");
        assert!(t[1].escaped && !t[1].is("and"));
    }
}
