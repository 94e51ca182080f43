//! Argument conditions: an RFC 6901 JSON pointer into the call's arguments and one test
//! (`equals`, `regex` or `one_of`), compiled once.

use regex::{Regex, RegexBuilder};
use serde_json::Value;

use super::spec::ArgSpec;

/// Upper bound on a compiled regex and on its lazy DFA, so a policy cannot make a rule
/// that costs unbounded memory or time.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A parsed JSON pointer. Tokens are unescaped once at load, so resolving one does not
/// allocate.
#[derive(Debug, Clone)]
pub(crate) struct Pointer {
    text: String,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone)]
struct Token {
    key: String,
    /// The token as an array index, when it is one (`0`, or digits without a leading 0).
    index: Option<usize>,
}

impl Pointer {
    /// Parses `text`, which must be empty (the whole arguments) or start with `/`, and
    /// use `~` only in the escapes `~0` and `~1`.
    pub(crate) fn parse(text: &str) -> Result<Pointer, String> {
        let mut tokens = Vec::new();
        if !text.is_empty() {
            let Some(rest) = text.strip_prefix('/') else {
                return Err(format!(
                    "invalid JSON pointer `{text}`: must be empty or start with `/`"
                ));
            };
            for raw in rest.split('/') {
                let key = unescape(raw).ok_or_else(|| {
                    format!("invalid JSON pointer `{text}`: `~` must be followed by 0 or 1")
                })?;
                let index = array_index(&key);
                tokens.push(Token { key, index });
            }
        }
        Ok(Pointer {
            text: text.to_owned(),
            tokens,
        })
    }

    /// The pointer as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The value `self` points to in `root`, if there is one.
    pub(crate) fn resolve<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        self.tokens.iter().try_fold(root, |cur, t| match cur {
            Value::Object(map) => map.get(&t.key),
            Value::Array(items) => t.index.and_then(|i| items.get(i)),
            _ => None,
        })
    }

    /// How the pointer is shown in explanations.
    fn display(&self) -> &str {
        if self.text.is_empty() {
            "the arguments"
        } else {
            &self.text
        }
    }
}

fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn array_index(key: &str) -> Option<usize> {
    let digits = !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit());
    if !digits || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    key.parse().ok()
}

/// What an argument condition tests.
#[derive(Debug, Clone)]
enum Test {
    Equals(Value),
    Regex(Regex),
    OneOf(Vec<Value>),
}

/// One compiled argument condition.
#[derive(Debug, Clone)]
pub(crate) struct ArgCond {
    pointer: Pointer,
    test: Test,
}

impl ArgCond {
    /// Compiles `spec`; the error is a message for the rule's error.
    pub(crate) fn compile(spec: ArgSpec) -> Result<ArgCond, String> {
        let pointer = Pointer::parse(&spec.pointer)?;
        let test = match (spec.equals, spec.regex, spec.one_of) {
            (Some(v), None, None) => Test::Equals(v),
            (None, Some(pattern), None) => Test::Regex(compile_regex(&pattern)?),
            (None, None, Some(values)) if values.is_empty() => {
                return Err(format!(
                    "argument condition on `{}`: `one_of` is empty",
                    spec.pointer
                ));
            }
            (None, None, Some(values)) => Test::OneOf(values),
            (e, r, o) => {
                let given: Vec<&str> = [(e.is_some(), "`equals`"), (r.is_some(), "`regex`")]
                    .into_iter()
                    .chain([(o.is_some(), "`one_of`")])
                    .filter_map(|(present, name)| present.then_some(name))
                    .collect();
                let found = if given.is_empty() {
                    "none".to_owned()
                } else {
                    given.join(" and ")
                };
                return Err(format!(
                    "argument condition on `{}` needs exactly one of `equals`, `regex`, `one_of` (found {found})",
                    spec.pointer
                ));
            }
        };
        Ok(ArgCond { pointer, test })
    }

    /// The pointer the condition looks at.
    pub(crate) fn pointer(&self) -> &str {
        self.pointer.as_str()
    }

    /// Whether the condition holds for `arguments`. A pointer with no target is false.
    ///
    /// A regex tests a string value as is, and any other value (number, bool, null,
    /// array, object) as its compact JSON text: wrapping a string in an array, as in
    /// `{"sql": ["DROP TABLE t"]}`, must not sidestep a deny rule's regex.
    pub(crate) fn matches(&self, arguments: &Value) -> bool {
        let Some(target) = self.pointer.resolve(arguments) else {
            return false;
        };
        match &self.test {
            Test::Equals(v) => json_eq(target, v),
            Test::OneOf(values) => values.iter().any(|v| json_eq(target, v)),
            Test::Regex(re) => match target {
                Value::String(s) => re.is_match(s),
                other => re.is_match(&other.to_string()),
            },
        }
    }

    /// A plain-English line saying why the condition held.
    pub(crate) fn describe(&self) -> String {
        let at = self.pointer.display();
        match &self.test {
            Test::Equals(v) => format!("{at} equals `{v}`"),
            Test::Regex(re) => format!("{at} matches regex `{}`", re.as_str()),
            Test::OneOf(values) => {
                let list: Vec<String> = values.iter().map(Value::to_string).collect();
                format!("{at} is one of `{}`", list.join("`, `"))
            }
        }
    }
}

/// Compiles a policy regex with the crate's size limits.
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            // The syntax error's Display spans several lines (pattern, caret, message);
            // keep the message so load errors stay on one line.
            let text = e.to_string();
            let last = text
                .lines()
                .rev()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("");
            let reason = last.strip_prefix("error: ").unwrap_or(last);
            format!("invalid regex `{pattern}`: {reason}")
        })
}

/// JSON equality where numbers compare by value: `1e2` equals `100`.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                x == y
            } else if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                x == y
            } else {
                matches!((x.as_f64(), y.as_f64()), (Some(x), Some(y)) if x == y)
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cond(
        pointer: &str,
        equals: Option<Value>,
        regex: Option<&str>,
        one_of: Option<Vec<Value>>,
    ) -> Result<ArgCond, String> {
        ArgCond::compile(ArgSpec {
            pointer: pointer.to_owned(),
            equals,
            regex: regex.map(str::to_owned),
            one_of,
        })
    }

    #[test]
    fn pointer_follows_rfc6901_escapes_and_indices() {
        let args = json!({"a/b": {"m~n": [10, 20]}, "list": ["x"], "01": 1});
        let p = Pointer::parse("/a~1b/m~0n/1").unwrap();
        assert_eq!(p.resolve(&args), Some(&json!(20)));
        assert_eq!(Pointer::parse("").unwrap().resolve(&args), Some(&args));
        // a leading zero is not an array index
        assert_eq!(Pointer::parse("/list/00").unwrap().resolve(&args), None);
        assert_eq!(
            Pointer::parse("/list/0").unwrap().resolve(&args),
            Some(&json!("x"))
        );
        assert_eq!(
            Pointer::parse("/01").unwrap().resolve(&args),
            Some(&json!(1))
        );
        assert_eq!(Pointer::parse("/list/5").unwrap().resolve(&args), None);
        assert!(Pointer::parse("sql").is_err());
        assert!(Pointer::parse("/a~2").is_err());
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!(1e2), &json!(100)));
        assert!(json_eq(&json!(-3), &json!(-3.0)));
        assert!(!json_eq(&json!(100), &json!("100")));
        assert!(!json_eq(&json!(-1), &json!(u64::MAX)));
        assert!(json_eq(&json!({"n": [1.0, 2]}), &json!({"n": [1, 2.0]})));
        assert!(!json_eq(&json!({"n": 1}), &json!({"n": 1, "m": 2})));
    }

    #[test]
    fn regex_on_non_strings_uses_compact_json() {
        let c = cond("/sql", None, Some("(?i)drop"), None).unwrap();
        assert!(c.matches(&json!({"sql": "DROP TABLE t"})));
        assert!(c.matches(&json!({"sql": ["DROP TABLE t"]})));
        assert!(c.matches(&json!({"sql": {"q": "drop"}})));
        assert!(!c.matches(&json!({"sql": 5})));
        assert!(!c.matches(&json!({"query": "drop"})));
        let n = cond("/n", None, Some("^42$"), None).unwrap();
        assert!(n.matches(&json!({"n": 42})));
    }

    #[test]
    fn exactly_one_test_is_required() {
        let both = cond("/x", Some(json!(1)), Some("a"), None).unwrap_err();
        assert!(both.contains("found `equals` and `regex`"), "{both}");
        let none = cond("/x", None, None, None).unwrap_err();
        assert!(none.contains("found none"), "{none}");
        assert!(
            cond("/x", None, None, Some(vec![]))
                .unwrap_err()
                .contains("empty")
        );
        let bad = cond("/x", None, Some("("), None).unwrap_err();
        assert!(bad.starts_with("invalid regex `(`: "), "{bad}");
        assert!(!bad.contains('\n'), "{bad}");
    }

    #[test]
    fn explicit_null_is_a_value() {
        let c = cond("/x", Some(Value::Null), None, None).unwrap();
        assert!(c.matches(&json!({"x": null})));
        assert!(!c.matches(&json!({})));
    }

    #[test]
    fn regex_size_is_limited() {
        let huge = format!("(?:{}){{1000}}", "[a-z]{100}");
        assert!(compile_regex(&huge).is_err());
    }
}
