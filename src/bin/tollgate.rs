//! The `tollgate` command-line tool: review policies, classifications and audit trails
//! offline.
//!
//! `check`, `classify`, `redact`, `verify`, `replay` and `report`. Exit codes: 0
//! success (an allowed call, an intact trail), 1 a finding that fails the command (a
//! denied call, one that needs approval, a trail with integrity findings), 2 bad usage
//! or bad input (unreadable files).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use tollgate::classify::ToolCall;
use tollgate::policy::{Action, Policy};
use tollgate::{Classifier, Identity};

#[derive(Parser)]
#[command(
    name = "tollgate",
    version,
    about = "Policy enforcement for MCP traffic: review tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decide one tool call under a policy and show every rule that matched.
    Check {
        /// The policy file (TOML, or JSON).
        #[arg(long)]
        policy: String,
        /// The caller, as JSON: {"subject": "alice", "groups": ["support"], "kind": "user", "scopes": [...]}.
        #[arg(long)]
        identity: String,
        /// The call, as JSON: {"name": "db.query", "arguments": {...}}.
        #[arg(long)]
        call: String,
        /// Print the full explanation as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Classify one tool call: risk, labels, findings and touched objects, as JSON.
    Classify {
        /// The tool's name.
        #[arg(long)]
        tool: String,
        /// The call's arguments, as a JSON object.
        #[arg(long, default_value = "{}")]
        args: String,
        /// A policy whose `[[inspect]]` entries, `[classify]` settings and `[[label]]`
        /// rules to apply (default: the built-in inspectors with auto-detection).
        #[arg(long)]
        policy: Option<String>,
    },
    /// Verify the hash chain and checkpoints of a JSONL audit trail (all its rotated
    /// files, in any order). Exit 1 on any finding.
    Verify {
        /// The trail's files.
        #[arg(required = true)]
        files: Vec<String>,
        /// A file holding the checkpoint HMAC key (a trailing line break is ignored).
        #[arg(long)]
        key: Option<String>,
        /// Require the trail to end with a checkpoint (a cleanly shut down recorder).
        #[arg(long)]
        sealed: bool,
        /// Accept a trail whose first file does not start the chain (older files removed).
        #[arg(long)]
        allow_partial: bool,
    },
    /// Show recorded sessions as a readable timeline.
    Replay {
        /// The trail's files.
        #[arg(required = true)]
        files: Vec<String>,
        /// Only this session.
        #[arg(long)]
        session: Option<String>,
    },
    /// The access-review report: per identity and per session.
    Report {
        /// The trail's files.
        #[arg(required = true)]
        files: Vec<String>,
        /// md, html, csv or json.
        #[arg(long, default_value = "md")]
        format: String,
        /// Only events at or after this time (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
        /// Only events before this time (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        until: Option<String>,
        /// Only this subject.
        #[arg(long)]
        subject: Option<String>,
        /// The checkpoint key file, for the integrity status.
        #[arg(long)]
        key: Option<String>,
    },
    /// Redact PII and secrets: stdin to stdout. Plain text by default; with --jsonl each
    /// input line is one JSON value and each output line its redacted form (strings that
    /// hold JSON are redacted as JSON).
    Redact {
        /// A policy whose `[redact]` section to apply (default: every built-in detector,
        /// full masks). Group and tool rules do not apply here.
        #[arg(long)]
        policy: Option<String>,
        /// One JSON value per line.
        #[arg(long)]
        jsonl: bool,
    },
}

#[path = "tollgate/audit.rs"]
mod audit;

/// A command's failure: bad input (exit 2) with a one-line message.
struct Failure(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check {
            policy,
            identity,
            call,
            json,
        } => check(&policy, &identity, &call, json),
        Command::Classify { tool, args, policy } => classify(&tool, &args, policy.as_deref()),
        Command::Verify {
            files,
            key,
            sealed,
            allow_partial,
        } => audit::verify(&files, key.as_deref(), sealed, allow_partial),
        Command::Replay { files, session } => audit::replay(&files, session),
        Command::Report {
            files,
            format,
            since,
            until,
            subject,
            key,
        } => audit::report(
            &files,
            &format,
            since.as_deref(),
            until.as_deref(),
            subject,
            key.as_deref(),
        ),
        Command::Redact { policy, jsonl } => redact(policy.as_deref(), jsonl),
    };
    match outcome {
        Ok(code) => code,
        Err(Failure(message)) => {
            eprintln!("tollgate: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn load_policy(path: &str) -> Result<Policy, Failure> {
    Policy::load(path).map_err(|e| Failure(e.to_string()))
}

fn parse_json(what: &str, text: &str) -> Result<Value, Failure> {
    serde_json::from_str(text).map_err(|e| Failure(format!("--{what} is not valid JSON: {e}")))
}

fn parse_identity(text: &str) -> Result<Identity, Failure> {
    let mut value = parse_json("identity", text)?;
    if let Value::Object(object) = &mut value {
        object.entry("kind").or_insert_with(|| json!("user"));
    }
    serde_json::from_value(value).map_err(|e| Failure(format!("--identity: {e}")))
}

fn parse_call(text: &str) -> Result<ToolCall, Failure> {
    let value = parse_json("call", text)?;
    let name = value
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure("--call needs a string `name`".into()))?;
    let arguments = value.get("arguments").cloned().unwrap_or(Value::Null);
    if !(arguments.is_object() || arguments.is_null()) {
        return Err(Failure("--call: `arguments` must be an object".into()));
    }
    Ok(ToolCall::new(name, arguments))
}

fn check(policy: &str, identity: &str, call: &str, as_json: bool) -> Result<ExitCode, Failure> {
    let policy = load_policy(policy)?;
    let identity = parse_identity(identity)?;
    let call = parse_call(call)?;
    let classification = policy
        .classifier()
        .classify(&call)
        .map_err(|e| Failure(e.to_string()))?;
    let explanation = policy.explain(&identity, &call, &classification);
    let decision = &explanation.decision;
    if as_json {
        let text =
            serde_json::to_string_pretty(&explanation).map_err(|e| Failure(e.to_string()))?;
        println!("{text}");
    } else {
        let action = serde_json::to_value(decision.action)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!(
            "{action}{}{}",
            decision
                .rule
                .as_ref()
                .map(|r| format!(" (rule `{r}`)"))
                .unwrap_or_default(),
            decision
                .reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default(),
        );
        if !explanation.labels.is_empty() {
            println!(
                "  labels: {} (risk {})",
                explanation.labels.join(", "),
                explanation.risk
            );
        }
        if !explanation.visible {
            println!("  tool `{}` is hidden from this caller", call.name);
        }
        for matched in &explanation.matched {
            println!("  matched {}", matched.rule);
            for reason in &matched.because {
                println!("    - {reason}");
            }
        }
    }
    Ok(if decision.action == Action::Allow {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn classify(tool: &str, args: &str, policy: Option<&str>) -> Result<ExitCode, Failure> {
    let arguments = parse_json("args", args)?;
    if !arguments.is_object() {
        return Err(Failure("--args must be a JSON object".into()));
    }
    let call = ToolCall::new(tool, arguments);
    // Without a policy the built-in inspectors still run, on auto-detected arguments.
    let policy = match policy {
        Some(path) => load_policy(path)?,
        None => Policy::from_toml_str("version = 1").map_err(|e| Failure(e.to_string()))?,
    };
    let classification = policy
        .classifier()
        .classify(&call)
        .map_err(|e| Failure(e.to_string()))?;
    let text = serde_json::to_string_pretty(&classification).map_err(|e| Failure(e.to_string()))?;
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn redact(policy: Option<&str>, jsonl: bool) -> Result<ExitCode, Failure> {
    use std::io::{BufRead, Read, Write};

    let redactor = match policy {
        Some(path) => {
            let policy = load_policy(path)?;
            let nobody = Identity::new("cli", tollgate::identity::IdentityKind::User);
            policy.redactor_for(&nobody, None)
        }
        None => Some(std::sync::Arc::new(tollgate::Redactor::default())),
    };
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let write_failed = |e: std::io::Error| Failure(format!("cannot write to stdout: {e}"));
    if !jsonl {
        let mut text = String::new();
        stdin
            .lock()
            .read_to_string(&mut text)
            .map_err(|e| Failure(format!("stdin is not UTF-8 text: {e}")))?;
        let redacted = match &redactor {
            Some(r) => r.redact_text(&text).0,
            None => std::borrow::Cow::Borrowed(text.as_str()),
        };
        out.write_all(redacted.as_bytes()).map_err(write_failed)?;
        out.flush().map_err(write_failed)?;
        return Ok(ExitCode::SUCCESS);
    }
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| Failure(format!("line {}: cannot read: {e}", n + 1)))?;
        let line = line.strip_suffix('\r').unwrap_or(&line);
        if line.trim().is_empty() {
            writeln!(out).map_err(write_failed)?;
            continue;
        }
        let mut value: Value = serde_json::from_str(line)
            .map_err(|e| Failure(format!("line {}: not valid JSON: {e}", n + 1)))?;
        if let Some(r) = &redactor {
            r.redact_value(&mut value, "");
        }
        serde_json::to_writer(&mut out, &value).map_err(|e| Failure(e.to_string()))?;
        writeln!(out).map_err(write_failed)?;
    }
    out.flush().map_err(write_failed)?;
    Ok(ExitCode::SUCCESS)
}
