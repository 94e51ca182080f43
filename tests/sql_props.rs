//! Properties of the SQL inspector (threats §6.2, "classification invariance", and the
//! Display round-trip oracle of §6.1):
//!
//! * a write, DDL, DCL or dangerous call is found wherever it is placed: at the top level,
//!   in a CTE, under `EXPLAIN ANALYZE`, as a second statement, or in nested subqueries;
//! * semantics-preserving rewrites (keyword and function-name case, whitespace, `--` and
//!   `/* */` comments between tokens) give the same labels, objects and risk;
//! * printing the parsed statements with sqlparser's `Display` and classifying the
//!   printed text gives the same labels.
//!
//! Statements are generated as token lists (keywords, names, literals, punctuation) and
//! rendered to text; every rendering separates tokens by whitespace or a comment.
//! Not covered: identifier quoting, and rewrites that change how a dialect tokenizes
//! (string escapes, dollar quotes).

use std::collections::BTreeSet;

use proptest::prelude::*;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use tollgate::classify::Classification;
use tollgate::classify::sql::{SqlDialect, SqlOptions, inspect_sql};

/// One token of a generated statement.
#[derive(Debug, Clone)]
enum Tok {
    /// A keyword or function name: its case may change.
    Kw(&'static str),
    /// A table, column or alias name: written as is.
    Name(String),
    /// Punctuation or a literal: written as is.
    Raw(String),
}

fn kw(words: &'static str) -> Vec<Tok> {
    words.split(' ').map(Tok::Kw).collect()
}

fn raw(text: &str) -> Tok {
    Tok::Raw(text.to_owned())
}

/// What to hide, with the labels it must produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Delete { filtered: bool },
    Update { filtered: bool },
    Insert,
    Drop,
    Truncate,
    Create,
    Alter,
    Grant,
    ReadFile,
    LockingRead,
}

/// Where to hide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    TopLevel,
    Cte,
    ExplainAnalyze,
    SecondStatement,
    Subquery { depth: usize },
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        any::<bool>().prop_map(|filtered| Kind::Delete { filtered }),
        any::<bool>().prop_map(|filtered| Kind::Update { filtered }),
        Just(Kind::Insert),
        Just(Kind::Drop),
        Just(Kind::Truncate),
        Just(Kind::Create),
        Just(Kind::Alter),
        Just(Kind::Grant),
        Just(Kind::ReadFile),
        Just(Kind::LockingRead),
    ]
}

fn place() -> impl Strategy<Value = Place> {
    prop_oneof![
        Just(Place::TopLevel),
        Just(Place::Cte),
        Just(Place::ExplainAnalyze),
        Just(Place::SecondStatement),
        (1usize..5).prop_map(|depth| Place::Subquery { depth }),
    ]
}

fn name(prefix: &'static str) -> impl Strategy<Value = String> {
    "[a-z]{1,8}".prop_map(move |s| format!("{prefix}_{s}"))
}

fn expected(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::Delete { filtered: true } => vec!["sql.write"],
        Kind::Delete { filtered: false } => vec!["sql.write", "sql.delete_all"],
        Kind::Update { filtered: true } => vec!["sql.write"],
        Kind::Update { filtered: false } => vec!["sql.write", "sql.update_all"],
        Kind::Insert | Kind::LockingRead => vec!["sql.write"],
        Kind::Drop | Kind::Create | Kind::Alter => vec!["sql.ddl"],
        Kind::Truncate => vec!["sql.ddl", "sql.delete_all"],
        Kind::Grant => vec!["sql.dcl"],
        Kind::ReadFile => vec!["sql.exfil"],
    }
}

fn is_dml(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Delete { .. } | Kind::Update { .. } | Kind::Insert
    )
}

/// The statement itself, as tokens.
fn statement(kind: Kind, table: &str, column: &str) -> Vec<Tok> {
    let t = || Tok::Name(table.to_owned());
    let c = || Tok::Name(column.to_owned());
    let mut out = Vec::new();
    match kind {
        Kind::Delete { filtered } => {
            out.extend(kw("DELETE FROM"));
            out.push(t());
            if filtered {
                out.extend([Tok::Kw("WHERE"), c(), raw("="), raw("7")]);
            }
        }
        Kind::Update { filtered } => {
            out.push(Tok::Kw("UPDATE"));
            out.extend([t(), Tok::Kw("SET"), c(), raw("="), raw("'x'")]);
            if filtered {
                out.extend([Tok::Kw("WHERE"), c(), raw(">"), raw("3")]);
            }
        }
        Kind::Insert => {
            out.extend(kw("INSERT INTO"));
            out.extend([t(), raw("("), c(), raw(")"), Tok::Kw("VALUES")]);
            out.extend([raw("("), raw("1"), raw(")")]);
        }
        Kind::Drop => {
            out.extend(kw("DROP TABLE IF EXISTS"));
            out.push(t());
        }
        Kind::Truncate => {
            out.extend(kw("TRUNCATE TABLE"));
            out.push(t());
        }
        Kind::Create => {
            out.extend(kw("CREATE TABLE"));
            out.extend([t(), raw("("), c(), Tok::Kw("INT"), raw(")")]);
        }
        Kind::Alter => {
            out.extend(kw("ALTER TABLE"));
            out.push(t());
            out.extend(kw("ADD COLUMN"));
            out.extend([c(), Tok::Kw("TEXT")]);
        }
        Kind::Grant => {
            out.extend(kw("GRANT SELECT ON"));
            out.extend([t(), Tok::Kw("TO"), Tok::Name("r_agent".into())]);
        }
        Kind::ReadFile => {
            out.push(Tok::Kw("SELECT"));
            out.extend([
                Tok::Kw("pg_read_file"),
                raw("("),
                raw("'/etc/passwd'"),
                raw(")"),
            ]);
            out.extend(kw("LIMIT 1"));
        }
        Kind::LockingRead => {
            out.push(Tok::Kw("SELECT"));
            out.extend([c(), Tok::Kw("FROM"), t()]);
            out.extend(kw("LIMIT 1 FOR UPDATE"));
        }
    }
    out
}

/// The statement placed somewhere, with the labels the whole text must carry.
fn placed(kind: Kind, place: Place, table: &str, column: &str) -> (Vec<Tok>, Vec<&'static str>) {
    let inner = statement(kind, table, column);
    let mut labels = expected(kind);
    let mut out = Vec::new();
    match place {
        Place::Cte if is_dml(kind) => {
            out.extend([
                Tok::Kw("WITH"),
                Tok::Name("d".into()),
                Tok::Kw("AS"),
                raw("("),
            ]);
            out.extend(inner);
            out.extend(kw("RETURNING"));
            out.extend([raw("*"), raw(")"), Tok::Kw("SELECT"), raw("*")]);
            out.extend([
                Tok::Kw("FROM"),
                Tok::Name("d".into()),
                Tok::Kw("LIMIT"),
                raw("1"),
            ]);
        }
        Place::ExplainAnalyze if is_dml(kind) => {
            out.extend(kw("EXPLAIN ANALYZE"));
            out.extend(inner);
        }
        Place::Subquery { depth } if matches!(kind, Kind::ReadFile | Kind::LockingRead) => {
            for _ in 0..depth {
                out.extend([Tok::Kw("SELECT"), raw("*"), Tok::Kw("FROM"), raw("(")]);
            }
            out.extend(inner);
            for level in 0..depth {
                out.extend([raw(")"), Tok::Name(format!("s{level}"))]);
                out.extend(kw("LIMIT 1"));
            }
        }
        Place::TopLevel => out.extend(inner),
        // Second statement, and every placement the kind cannot take.
        _ => {
            out.extend(kw("SELECT 1"));
            out.push(raw(";"));
            out.extend(inner);
            labels.push("sql.multi_statement");
        }
    }
    (out, labels)
}

/// How a rendering separates and spells tokens.
#[derive(Debug, Clone)]
struct Style {
    separators: Vec<usize>,
    case_bits: Vec<u8>,
}

const SEPARATORS: [&str; 8] = [
    " ",
    "  ",
    "\n",
    "\t",
    "/**/",
    " /* note */ ",
    " -- note\n",
    "\r\n ",
];

fn style() -> impl Strategy<Value = Style> {
    (
        prop::collection::vec(0..SEPARATORS.len(), 64),
        prop::collection::vec(any::<u8>(), 64),
    )
        .prop_map(|(separators, case_bits)| Style {
            separators,
            case_bits,
        })
}

fn render(tokens: &[Tok], style: Option<&Style>) -> String {
    let mut text = String::new();
    for (i, token) in tokens.iter().enumerate() {
        if i > 0 {
            let sep = style
                .and_then(|s| s.separators.get(i % s.separators.len()))
                .and_then(|&k| SEPARATORS.get(k))
                .copied()
                .unwrap_or(" ");
            text.push_str(sep);
        }
        match token {
            Tok::Kw(word) => match style {
                None => text.push_str(&word.to_uppercase()),
                Some(s) => {
                    let bits = s.case_bits.get(i % s.case_bits.len()).copied().unwrap_or(0);
                    text.extend(word.chars().enumerate().map(|(j, ch)| {
                        if bits >> (j % 8) & 1 == 1 {
                            ch.to_ascii_uppercase()
                        } else {
                            ch.to_ascii_lowercase()
                        }
                    }));
                }
            },
            Tok::Name(s) | Tok::Raw(s) => text.push_str(s),
        }
    }
    text
}

fn classify(sql: &str) -> Classification {
    let options = SqlOptions::new(SqlDialect::Postgres).with_sensitive_tables(["customers"]);
    let mut out = Classification::new();
    inspect_sql(sql, &options, "/sql", &mut out);
    out
}

fn generated() -> impl Strategy<Value = (Vec<Tok>, Vec<&'static str>)> {
    (kind(), place(), name("t"), name("c"))
        .prop_map(|(kind, place, table, column)| placed(kind, place, &table, &column))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn hidden_writes_and_ddl_are_found((tokens, labels) in generated()) {
        let sql = render(&tokens, None);
        let got = classify(&sql);
        for label in &labels {
            prop_assert!(got.has_label(label), "{sql}: missing {label}, got {:?}", got.labels);
        }
        prop_assert!(!got.has_label("sql.unparsed"), "{sql}: {:?}", got.findings);
    }

    #[test]
    fn case_whitespace_and_comments_do_not_change_labels(
        (tokens, _labels) in generated(),
        style in style(),
    ) {
        let plain = classify(&render(&tokens, None));
        let variant_sql = render(&tokens, Some(&style));
        let variant = classify(&variant_sql);
        prop_assert_eq!(&plain.labels, &variant.labels, "{}", variant_sql);
        prop_assert_eq!(&plain.objects, &variant.objects, "{}", variant_sql);
        prop_assert_eq!(plain.risk, variant.risk, "{}", variant_sql);
    }

    #[test]
    fn printed_ast_classifies_the_same((tokens, _labels) in generated()) {
        let sql = render(&tokens, None);
        let statements = Parser::parse_sql(&PostgreSqlDialect {}, &sql);
        prop_assert!(statements.is_ok(), "{sql}: {:?}", statements.err());
        let printed = statements
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        let before: BTreeSet<String> = classify(&sql).labels;
        let after: BTreeSet<String> = classify(&printed).labels;
        prop_assert_eq!(before, after, "{} printed as {}", sql, printed);
    }

    #[test]
    fn arbitrary_text_never_panics_and_parse_errors_are_high(
        sql in "\\PC{0,200}",
        dialect in prop::sample::select(vec![
            SqlDialect::Postgres, SqlDialect::Mysql, SqlDialect::Sqlite, SqlDialect::Mssql,
            SqlDialect::Snowflake, SqlDialect::Bigquery, SqlDialect::Generic,
        ]),
    ) {
        let mut out = Classification::new();
        inspect_sql(&sql, &SqlOptions::new(dialect), "/sql", &mut out);
        if out.has_label("sql.unparsed") {
            prop_assert!(out.risk >= tollgate::classify::Risk::High);
        }
    }
}
