//! `tollgate redact`: stdin to stdout, plain text or one JSON value per line, exit 2
//! with a one-line error on bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn redact(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .arg("redact")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses its arguments may exit before it reads stdin; the pipe
    // is then closed, which is not the test's failure.
    let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    if let Err(error) = written {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().unwrap()
}

struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(text: &str) -> TempFile {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "tollgate-redact-cli-{}-{n}.toml",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn text_mode_masks_and_keeps_everything_else_byte_for_byte() {
    let out = redact(&[], "Card 4111 1111 1111 1111\n  email bob@example.com\n");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Card [REDACTED:CREDIT_CARD]\n  email [REDACTED:EMAIL]\n"
    );
}

#[test]
fn jsonl_redacts_each_line_json_aware() {
    let input = concat!(
        r#"{"ssn":"536221234","n":1}"#,
        "\n",
        r#"{"content":[{"type":"text","text":"{\"card\":\"4111111111111111\"}"}]}"#,
        "\n\n",
        r#""plain 10.0.0.1""#,
        "\n"
    );
    let out = redact(&["--jsonl"], input);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"n":1,"ssn":"[REDACTED:US_SSN]"}"#,
            r#"{"content":[{"text":"{\"card\":\"[REDACTED:CREDIT_CARD]\"}","type":"text"}]}"#,
            "",
            r#""plain [REDACTED:IP_ADDRESS]""#,
        ]
    );
}

#[test]
fn jsonl_bad_line_exits_2_with_one_line_error() {
    let out = redact(&["--jsonl"], "{\"a\":1}\n{oops\n");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("tollgate: error: line 2: not valid JSON"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn policy_section_applies() {
    let policy = TempFile::new(
        "version = 1\n[redact]\nstyle = \"partial\"\ndisable = [\"EMAIL\"]\nfields = [\"note\"]\n",
    );
    let out = redact(
        &["--jsonl", "--policy", policy.path()],
        "{\"card\":\"4111111111111111\",\"mail\":\"bob@example.com\",\"note\":\"x\"}\n",
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"card\":\"[CREDIT_CARD:****1111]\",\"mail\":\"bob@example.com\",\"note\":\"[REDACTED:FIELD]\"}\n"
    );
}

#[test]
fn bad_policy_exits_2() {
    let policy = TempFile::new("version = 1\n[redact]\nstyel = \"full\"\n");
    let out = redact(&["--policy", policy.path()], "x");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(":3:") && err.contains("styel"), "{err}");
}
