//! Properties of the shell classifier: rewrites that keep a destructive command's
//! meaning (quoting of the name, the order and spelling of the flags, whitespace, a
//! path to the binary, wrappers, chaining, substitution) never remove
//! `shell.destructive`; quoted data never becomes a command; and no input panics.

use proptest::prelude::*;
use tollgate::classify::shell::inspect_shell;
use tollgate::{Classification, Risk};

/// Spellings of the name `rm` that a shell runs as `rm`.
const NAMES: &[&str] = &[
    "rm",
    "'rm'",
    "\"rm\"",
    "r\"\"m",
    "r''m",
    "\\rm",
    "r\\m",
    "'r'm",
    "/bin/rm",
    "/usr/bin/rm",
    "command rm",
    "env rm",
    "env X=1 rm",
    "X=1 rm",
    "nohup rm",
    "time rm",
    "nice -n 5 rm",
    "timeout 30 rm",
    "builtin rm",
];

/// Equivalent ways to ask for a recursive, forced removal.
const FLAGS: &[&str] = &[
    "-rf",
    "-fr",
    "-Rf",
    "-fR",
    "-r -f",
    "-f -r",
    "-R",
    "-r",
    "-f",
    "--recursive --force",
    "--force --recursive",
    "--recursive",
    "-rf --",
    "\"-rf\"",
    "'-r' '-f'",
    "-r --force",
    "-rfv",
];

/// Broad targets.
const TARGETS: &[&str] = &[
    "/",
    "/*",
    "'/'",
    "\"/\"",
    "~",
    "~/",
    "$HOME",
    "\"$HOME\"",
    "${HOME}",
    ".",
    "..",
    "*",
    "./*",
    "/etc",
    "/var",
    "/usr",
    "/home",
    "/home/*",
    "/tmp/..",
];

/// What may come before the command without changing that it runs.
const PREFIXES: &[&str] = &[
    "",
    "ls; ",
    "ls;",
    "true && ",
    "false || ",
    "echo hi\n",
    "cd /tmp & ",
    "yes | ",
    "sudo ",
    "{ ",
    "if true; then ",
];

/// Other destructive commands, as (name spellings, rest of the command line).
const OTHERS: &[(&str, &str)] = &[
    ("find", "/ -delete"),
    ("find", "/ -exec rm {} ;"),
    ("mkfs.ext4", "/dev/sda1"),
    ("shred", "-u /etc/passwd"),
    ("dd", "if=/dev/zero of=/dev/sda"),
    ("wipefs", "-a /dev/sda"),
    ("kill", "-9 -1"),
    ("chmod", "-R 777 /"),
    ("chown", "-R nobody /"),
    ("shutdown", "-h now"),
];

fn classify(command: &str) -> Classification {
    let mut out = Classification::new();
    inspect_shell(command, "/command", &mut out);
    out
}

/// One or more blanks.
fn blanks() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![Just(' '), Just('\t')], 1..4)
        .prop_map(|v| v.into_iter().collect())
}

/// Quotes a plain command name in one of the ways the shell removes.
fn quoted(name: &str, style: usize) -> String {
    let mut chars = name.chars();
    let first: String = chars.next().map(String::from).unwrap_or_default();
    let rest: String = chars.collect();
    match style % 5 {
        0 => name.to_owned(),
        1 => format!("'{name}'"),
        2 => format!("\"{name}\""),
        3 => format!("{first}\"\"{rest}"),
        _ => format!("\\{name}"),
    }
}

fn rm_command() -> impl Strategy<Value = String> {
    (
        prop::sample::select(PREFIXES),
        prop::sample::select(NAMES),
        prop::sample::select(FLAGS),
        prop::sample::select(TARGETS),
        blanks(),
        blanks(),
        prop::bool::ANY,
    )
        .prop_map(|(prefix, name, flags, target, gap1, gap2, trailer)| {
            let flags = flags.replace(' ', &gap1);
            let trailer = if trailer { ";echo done" } else { "" };
            format!("{prefix}{name}{gap1}{flags}{gap2}{target}{trailer}")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn rewrites_of_rm_stay_destructive(command in rm_command()) {
        let out = classify(&command);
        prop_assert!(out.has_label("shell.destructive"), "{command:?}: {:?}", out.labels);
        prop_assert_eq!(out.risk, Risk::Critical);
    }

    #[test]
    fn rm_inside_a_substitution_stays_destructive(command in rm_command()) {
        let out = classify(&format!("echo $( {command} )"));
        prop_assert!(out.has_label("shell.destructive"), "{command:?}: {:?}", out.labels);
        prop_assert!(out.has_label("shell.dynamic"));
    }

    #[test]
    fn rm_through_sh_c_stays_destructive(command in rm_command()) {
        prop_assume!(!command.contains('\''));
        let out = classify(&format!("sh -c '{command}'"));
        prop_assert!(out.has_label("shell.destructive"), "{command:?}: {:?}", out.labels);
        prop_assert!(out.has_label("shell.dynamic"));
    }

    #[test]
    fn other_destructive_commands_survive_quoting(
        (name, rest) in prop::sample::select(OTHERS),
        style in 0usize..5,
        gap in blanks(),
        prefix in prop::sample::select(PREFIXES),
    ) {
        let rest = rest.replace(' ', &gap);
        let command = format!("{prefix}{}{gap}{rest}", quoted(name, style));
        let out = classify(&command);
        prop_assert!(out.has_label("shell.destructive"), "{command:?}: {:?}", out.labels);
    }

    #[test]
    fn quoted_arguments_of_echo_are_data(text in "[a-z /;|&$()`*-]{0,40}") {
        let out = classify(&format!("echo '{text}'"));
        prop_assert!(out.labels.is_empty(), "{text:?}: {:?}", out.labels);
    }

    #[test]
    fn any_input_is_classified_without_panicking(text in "\\PC{0,200}") {
        let out = classify(&text);
        if out.has_label("shell.unparsed") {
            prop_assert!(out.risk >= Risk::High);
        }
    }

    #[test]
    fn shell_syntax_soup_never_panics(text in "[a-z'\"`$(){}|&;<> \\\\\n#*~/=-]{0,120}") {
        let _ = classify(&text);
    }
}
