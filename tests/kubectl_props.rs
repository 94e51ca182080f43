//! Properties of the kubectl classifier: where a flag is placed (before the verb, after
//! the verb, after the resources), how its value is attached (`--flag=value`,
//! `--flag value`, `-nvalue`) and the order of resources and flags never remove a label.

use proptest::prelude::*;
use tollgate::Classification;
use tollgate::classify::kubectl::{inspect_kubectl, inspect_kubectl_line};

/// A flag with a value, as (long name, value, optional short letter).
const VALUE_FLAGS: &[(&str, &str, Option<char>)] = &[
    ("namespace", "prod", Some('n')),
    ("context", "prod-admin", None),
    ("kubeconfig", "/tmp/other.yaml", None),
    ("as", "system:admin", None),
    ("as-group", "system:masters", None),
    ("as-uid", "1234", None),
    ("server", "https://10.0.0.1:6443", Some('s')),
    ("cluster", "other", None),
    ("user", "admin", None),
    ("request-timeout", "5s", None),
    ("replicas", "0", None),
    ("filename", "-", Some('f')),
];

/// Boolean flags.
const BOOL_FLAGS: &[&str] = &["--all-namespaces", "-A", "--all", "--force", "--prune"];

/// A verb and the resource words that may follow it.
const COMMANDS: &[(&str, &[&str])] = &[
    ("get", &["pods"]),
    ("get", &["po,svc", "web"]),
    ("delete", &["ns", "prod"]),
    ("delete", &["deploy/api", "svc/api"]),
    ("describe", &["nodes", "worker-1"]),
    ("scale", &["deploy", "api"]),
    ("replace", &[]),
    ("apply", &[]),
    ("logs", &["web-0"]),
    ("exec", &["web-0"]),
    ("port-forward", &["svc/db", "5432:5432"]),
    ("patch", &["clusterrole", "view"]),
    ("label", &["pods", "env=x"]),
    ("rollout", &["restart", "deploy/api"]),
    ("cordon", &["worker-1"]),
    ("frobnicate", &["x"]),
];

/// One flag as argv words, in one of its spellings.
fn spell(flag: &Flag, style: u8) -> Vec<String> {
    match flag {
        Flag::Bool(word) => vec![(*word).to_string()],
        Flag::Value(name, value, short) => match (style % 4, short) {
            (0, _) => vec![format!("--{name}={value}")],
            (2, Some(c)) => vec![format!("-{c}"), (*value).to_string()],
            (3, Some(c)) if *value != "-" => vec![format!("-{c}{value}")],
            _ => vec![format!("--{name}"), (*value).to_string()],
        },
    }
}

#[derive(Debug, Clone)]
enum Flag {
    Bool(&'static str),
    Value(&'static str, &'static str, Option<char>),
}

fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![
        proptest::sample::select(VALUE_FLAGS).prop_map(|(n, v, s)| Flag::Value(n, v, s)),
        proptest::sample::select(BOOL_FLAGS).prop_map(Flag::Bool),
    ]
}

/// Where flag `i` goes: 0 before the verb, 1 right after it, 2 after the resources.
#[derive(Debug, Clone)]
struct Case {
    command: (&'static str, &'static [&'static str]),
    flags: Vec<(Flag, u8, u8)>,
    program: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::sample::select(COMMANDS),
        proptest::collection::vec((flag(), 0u8..3, 0u8..4), 0..5),
        any::<bool>(),
    )
        .prop_map(|(command, flags, program)| Case {
            command,
            flags,
            program,
        })
}

/// The canonical form: every flag `--name=value` after the resources.
fn canonical(case: &Case) -> Vec<String> {
    let mut words = vec![case.command.0.to_string()];
    words.extend(case.command.1.iter().map(|w| (*w).to_string()));
    for (flag, _, _) in &case.flags {
        words.extend(spell(flag, 0));
    }
    words
}

/// The case as written: flags at their chosen places, in their chosen spellings.
fn placed(case: &Case) -> Vec<String> {
    let at = |place: u8| -> Vec<String> {
        case.flags
            .iter()
            .filter(|(_, p, _)| *p == place)
            .flat_map(|(flag, _, style)| spell(flag, *style))
            .collect()
    };
    let mut words = Vec::new();
    if case.program {
        words.push("kubectl".to_string());
    }
    words.extend(at(0));
    words.push(case.command.0.to_string());
    words.extend(at(1));
    words.extend(case.command.1.iter().map(|w| (*w).to_string()));
    words.extend(at(2));
    words
}

fn classify(argv: &[String]) -> Classification {
    let mut out = Classification::new();
    inspect_kubectl(argv, "/args", &mut out);
    out
}

proptest! {
    #[test]
    fn flag_placement_and_spelling_never_remove_a_label(case in case()) {
        let base = classify(&canonical(&case));
        let moved = classify(&placed(&case));
        for label in &base.labels {
            prop_assert!(moved.has_label(label), "{label} lost: {:?}", placed(&case));
        }
        for object in &base.objects {
            prop_assert!(moved.objects.contains(object), "{object} lost: {:?}", placed(&case));
        }
        prop_assert!(moved.risk >= base.risk);
    }

    #[test]
    fn argv_and_line_agree(case in case()) {
        let words = placed(&case);
        let mut line = Classification::new();
        inspect_kubectl_line(&words.join(" "), "/args", &mut line);
        prop_assert_eq!(&line.labels, &classify(&words).labels);
    }

    #[test]
    fn any_words_never_panic(words in proptest::collection::vec("[-a-z=/.,:A-Z0-9]{0,12}", 0..8)) {
        let _ = classify(&words);
        let mut out = Classification::new();
        inspect_kubectl_line(&words.join(" "), "/args", &mut out);
    }
}

#[test]
fn a_pinned_placement_keeps_every_label() {
    let before: Vec<String> = [
        "kubectl",
        "--as",
        "system:admin",
        "-nprod",
        "delete",
        "ns",
        "prod",
    ]
    .iter()
    .map(|w| (*w).to_string())
    .collect();
    let after: Vec<String> = [
        "delete",
        "ns",
        "prod",
        "--namespace=prod",
        "--as=system:admin",
    ]
    .iter()
    .map(|w| (*w).to_string())
    .collect();
    assert_eq!(classify(&before).labels, classify(&after).labels);
    assert_eq!(classify(&before).objects, classify(&after).objects);
}
