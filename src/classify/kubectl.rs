//! What a `kubectl` (or `oc`) command would do to a cluster.
//!
//! The command is parsed with kubectl's own flag grammar (pflag): global flags may come
//! before the verb (`kubectl -n prod delete ns prod`), after it or after the resources;
//! values may be attached (`--namespace=prod`, `-nprod`, `-n=prod`) or separate
//! (`-n prod`); short boolean flags may be clustered (`-it`); `--` ends the flags.
//! The command is then classified on its verb, resources, scope, impersonation and
//! context:
//!
//! | label | when |
//! |---|---|
//! | `k8s.read` | `get`, `describe`, `logs`, `top`, `explain`, `events`, `diff`, `wait`, `auth can-i`, `config view`, … |
//! | `k8s.write` | `apply`, `create`, `patch`, `edit`, `replace`, `set`, `label`, `scale`, `rollout restart`, `run`, `cordon`, `taint`, `config set*`, … |
//! | `k8s.delete` | `delete`, `drain`, `apply --prune`, `replace --force`, `scale --replicas=0` |
//! | `k8s.exec` | `exec`, `attach`, `port-forward`, `cp`, `debug`, `proxy`, interactive `run -it` |
//! | `k8s.cluster_wide` | `-A`/`--all-namespaces`, `--all`, cluster-scoped resources (`nodes`, `namespaces`, `clusterroles`, …), manifests read from stdin (`-f -`) or a URL |
//! | `k8s.impersonate` | `--as`, `--as-group`, `--as-uid` |
//! | `k8s.context_switch` | `--context`, `--kubeconfig`, `--cluster`, `--server`, `--token`, `--user`, `KUBECONFIG=…`, `config use-context`/`set-context`/`set-credentials`/`set-cluster`/`set`/`unset` |
//! | `k8s.unknown` | unknown verbs and plugins, no verb, a flag missing its value, unbalanced quotes |
//!
//! A manifest from stdin or a URL is labelled `k8s.cluster_wide` (its contents, and so
//! the kinds and namespaces it touches, cannot be known) rather than `k8s.unknown`: the
//! verb is known, only the blast radius is not. Touched objects are recorded as
//! `namespace:<name>` and `resource:<plural kind>` (short names expanded, API group
//! suffixes stripped).

use super::shell::{inspect_shell, split_words};
use super::{Classification, Finding, default_risk};

const READ: &str = "k8s.read";
const WRITE: &str = "k8s.write";
const DELETE: &str = "k8s.delete";
const EXEC: &str = "k8s.exec";
const CLUSTER_WIDE: &str = "k8s.cluster_wide";
const IMPERSONATE: &str = "k8s.impersonate";
const CONTEXT_SWITCH: &str = "k8s.context_switch";
const UNKNOWN: &str = "k8s.unknown";

/// Program names that are kubectl (compared case-insensitively, after any directory).
const PROGRAMS: [&str; 4] = ["kubectl", "kubectl.exe", "oc", "oc.exe"];

/// Long flags that take a value (`--flag value` or `--flag=value`). Every other long
/// flag is treated as boolean and only carries a value in the `--flag=value` form.
const VALUE_FLAGS: &[&str] = &[
    // Global (inherited) flags.
    "namespace",
    "context",
    "kubeconfig",
    "as",
    "as-group",
    "as-uid",
    "server",
    "token",
    "cluster",
    "user",
    "username",
    "password",
    "request-timeout",
    "v",
    "vmodule",
    "cache-dir",
    "certificate-authority",
    "client-certificate",
    "client-key",
    "tls-server-name",
    "profile",
    "profile-output",
    "log-dir",
    "log-file",
    "log-file-max-size",
    "log-flush-frequency",
    "log_backtrace_at",
    "log_dir",
    "log_file",
    "stderrthreshold",
    "kuberc",
    // Common command flags.
    "filename",
    "selector",
    "output",
    "container",
    "kustomize",
    "field-selector",
    "replicas",
    "image",
    "type",
    "grace-period",
    "timeout",
    "patch",
    "port",
    "target-port",
    "name",
    "min",
    "max",
    "cpu-percent",
    "current-replicas",
    "resource-version",
    "for",
    "from",
    "from-literal",
    "from-file",
    "from-env-file",
    "env",
    "overrides",
    "template",
    "sort-by",
    "label-columns",
    "chunk-size",
    "field-manager",
    "subresource",
    "pod-running-timeout",
    "address",
    "restart",
    "labels",
    "raw",
    "target",
    "copy-to",
    "since",
    "since-time",
    "tail",
    "limit-bytes",
    "max-log-requests",
    "prune-allowlist",
    "applyset",
    "image-pull-policy",
    "serviceaccount",
    "role",
    "clusterrole",
    "group",
    "verb",
    "resource",
    "resource-name",
    "rule",
    "secret",
    "docker-server",
    "docker-username",
    "docker-password",
    "docker-email",
    "cert",
    "key",
    "schedule",
    "duration",
    "bound-object-kind",
    "bound-object-name",
    "audience",
    "api-group",
    "api-version",
    "tcp",
    "protocol",
    "external-ip",
    "load-balancer-ip",
    "session-affinity",
    "generator",
    "requests",
    "limits",
    "session-affinity-timeout",
];

/// Short flags and the long flag each stands for. The bool says whether it takes a value.
const SHORT_FLAGS: &[(char, &str, bool)] = &[
    ('n', "namespace", true),
    ('s', "server", true),
    ('v', "v", true),
    ('f', "filename", true),
    ('l', "selector", true),
    ('o', "output", true),
    ('c', "container", true),
    ('k', "kustomize", true),
    ('L', "label-columns", true),
    ('r', "replicas", true),
    ('A', "all-namespaces", false),
    ('i', "stdin", false),
    ('t', "tty", false),
    ('R', "recursive", false),
    ('w', "watch", false),
    ('q', "quiet", false),
    ('h', "help", false),
];

/// Flags whose mere presence says who kubectl acts as.
const IMPERSONATION_FLAGS: &[&str] = &["as", "as-group", "as-uid"];

/// Flags that point kubectl at another cluster, user or credential.
const CONTEXT_FLAGS: &[&str] = &[
    "context",
    "kubeconfig",
    "cluster",
    "server",
    "token",
    "user",
    "username",
    "password",
    "client-certificate",
    "client-key",
];

/// Flags whose values are secrets and never appear in findings.
const SECRET_FLAGS: &[&str] = &["token", "password", "client-key"];

/// Verbs whose words after `--` are a command to run, not kubectl arguments.
const COMMAND_VERBS: &[&str] = &["exec", "run", "debug"];

/// Short names, singulars and plurals of built-in kinds, and the plural they stand for.
const KIND_ALIASES: &[(&str, &[&str])] = &[
    ("pods", &["po", "pod"]),
    ("services", &["svc", "service"]),
    ("deployments", &["deploy", "deployment"]),
    ("replicasets", &["rs", "replicaset"]),
    ("statefulsets", &["sts", "statefulset"]),
    ("daemonsets", &["ds", "daemonset"]),
    ("jobs", &["job"]),
    ("cronjobs", &["cj", "cronjob"]),
    ("configmaps", &["cm", "configmap"]),
    ("secrets", &["secret"]),
    ("serviceaccounts", &["sa", "serviceaccount"]),
    ("persistentvolumeclaims", &["pvc", "persistentvolumeclaim"]),
    ("persistentvolumes", &["pv", "persistentvolume"]),
    ("namespaces", &["ns", "namespace"]),
    ("nodes", &["no", "node"]),
    ("ingresses", &["ing", "ingress"]),
    ("ingressclasses", &["ingressclass"]),
    ("endpoints", &["ep", "endpoint"]),
    ("endpointslices", &["endpointslice"]),
    ("events", &["ev", "event"]),
    ("limitranges", &["limits", "limitrange"]),
    ("resourcequotas", &["quota", "resourcequota"]),
    (
        "horizontalpodautoscalers",
        &["hpa", "horizontalpodautoscaler"],
    ),
    ("poddisruptionbudgets", &["pdb", "poddisruptionbudget"]),
    ("networkpolicies", &["netpol", "networkpolicy"]),
    ("replicationcontrollers", &["rc", "replicationcontroller"]),
    ("roles", &["role"]),
    ("rolebindings", &["rolebinding"]),
    ("clusterroles", &["clusterrole"]),
    ("clusterrolebindings", &["clusterrolebinding"]),
    (
        "customresourcedefinitions",
        &["crd", "crds", "customresourcedefinition"],
    ),
    ("storageclasses", &["sc", "storageclass"]),
    (
        "mutatingwebhookconfigurations",
        &["mutatingwebhookconfiguration"],
    ),
    (
        "validatingwebhookconfigurations",
        &["validatingwebhookconfiguration"],
    ),
    ("priorityclasses", &["pc", "priorityclass"]),
    ("apiservices", &["apiservice"]),
    (
        "certificatesigningrequests",
        &["csr", "certificatesigningrequest"],
    ),
    ("runtimeclasses", &["runtimeclass"]),
    ("volumeattachments", &["volumeattachment"]),
    ("componentstatuses", &["cs", "componentstatus"]),
    ("csidrivers", &["csidriver"]),
    ("csinodes", &["csinode"]),
    ("podsecuritypolicies", &["psp", "podsecuritypolicy"]),
];

/// Kinds that are not namespaced: acting on them acts on the whole cluster.
const CLUSTER_SCOPED: &[&str] = &[
    "nodes",
    "namespaces",
    "persistentvolumes",
    "clusterroles",
    "clusterrolebindings",
    "customresourcedefinitions",
    "storageclasses",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "priorityclasses",
    "apiservices",
    "certificatesigningrequests",
    "runtimeclasses",
    "ingressclasses",
    "volumeattachments",
    "componentstatuses",
    "csidrivers",
    "csinodes",
    "podsecuritypolicies",
    "flowschemas",
    "prioritylevelconfigurations",
];

/// Classifies a kubectl command given as argv, recording labels, findings (at `pointer`)
/// and touched objects in `out`. `argv` may start with the program (`kubectl`,
/// `kubectl.exe`, `oc`, or a path ending in one of them) or directly with the verb or
/// flags. A program named `kubectl-<x>` is a plugin and is labelled `k8s.unknown`.
///
/// ```
/// use tollgate::Classification;
/// use tollgate::classify::kubectl::inspect_kubectl;
///
/// let argv: Vec<String> = ["kubectl", "-n", "prod", "delete", "ns", "prod"]
///     .iter()
///     .map(|s| s.to_string())
///     .collect();
/// let mut out = Classification::new();
/// inspect_kubectl(&argv, "/args", &mut out);
/// assert!(out.has_label("k8s.delete"));
/// assert!(out.has_label("k8s.cluster_wide"));
/// assert!(out.objects.contains("namespace:prod"));
/// ```
pub fn inspect_kubectl(argv: &[String], pointer: &str, out: &mut Classification) {
    let mut sink = Sink { out, pointer };
    let (args, plugin) = strip_program(argv);
    let parsed = parse(args);
    report_missing_values(&parsed, &mut sink);
    report_flags(&parsed, &mut sink);
    match plugin {
        Some(program) => sink.find(UNKNOWN, format!("plugin program {program}")),
        None => report_command(&parsed, &mut sink),
    }
}

/// Classifies a kubectl command line: splits it into words (POSIX quoting) and
/// classifies them like [`inspect_kubectl`]. Leading `NAME=value` environment
/// assignments are skipped (`KUBECONFIG=…` is a context switch). When the line holds
/// shell operators or substitutions (`;`, `&&`, `||`, `|`, `&`, `>`, `<`, `$(`, a
/// backtick, a newline), the whole line also goes to
/// [`inspect_shell`] and only the words before
/// the first operator are classified as kubectl. Unbalanced quotes give `k8s.unknown`.
/// (The shell classifier must hand kubectl segments to [`inspect_kubectl`], not to
/// this function, or the two would recurse.)
///
/// ```
/// use tollgate::Classification;
/// use tollgate::classify::kubectl::inspect_kubectl_line;
///
/// let mut out = Classification::new();
/// inspect_kubectl_line("kubectl --as=system:admin get secrets", "/args", &mut out);
/// assert!(out.has_label("k8s.impersonate"));
/// assert!(out.objects.contains("resource:secrets"));
/// ```
pub fn inspect_kubectl_line(line: &str, pointer: &str, out: &mut Classification) {
    let cut = first_operator(line);
    if cut.is_some() || has_operator_text(line) {
        inspect_shell(line, pointer, out);
    }
    let kubectl_part = cut.and_then(|i| line.get(..i)).unwrap_or(line);
    let Some(words) = split_words(kubectl_part) else {
        Sink { out, pointer }.find(UNKNOWN, "unbalanced quotes in the command line".into());
        return;
    };
    let start = skip_assignments(&words, &mut Sink { out, pointer });
    inspect_kubectl(words.get(start..).unwrap_or(&[]), pointer, out);
}

/// Where findings go.
struct Sink<'a> {
    out: &'a mut Classification,
    pointer: &'a str,
}

impl Sink<'_> {
    fn find(&mut self, label: &str, what: String) {
        let finding = Finding::new(label, what).at(self.pointer);
        self.out.find(finding, default_risk(label));
    }

    /// Records an object. A name computed at run time (`$(…)`, `$VAR`, backticks) is
    /// not a name: it is left out, and the shell inspector labels it dynamic.
    fn touch(&mut self, kind: &str, name: &str) {
        if !name.is_empty() && !name.contains('$') && !name.contains('`') {
            self.out.touch(kind, name);
        }
    }
}

/// A parsed flag: its long name and its value (`None` for a bare boolean flag).
#[derive(Debug)]
struct Flag {
    name: String,
    value: Option<String>,
}

/// A kubectl command split by kubectl's flag grammar.
#[derive(Debug, Default)]
struct Parsed {
    flags: Vec<Flag>,
    /// Non-flag words: the verb, sub-verbs, resources and names.
    positionals: Vec<String>,
    /// Value-taking flags that came last, with no value.
    missing: Vec<String>,
}

impl Parsed {
    fn verb(&self) -> Option<&str> {
        self.positionals.first().map(String::as_str)
    }

    /// The positionals after the verb.
    fn args(&self) -> &[String] {
        self.positionals.get(1..).unwrap_or(&[])
    }

    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Option<&'a str>> + 'a {
        self.flags
            .iter()
            .filter(move |f| f.name == name)
            .map(|f| f.value.as_deref())
    }

    /// Whether boolean flag `name` is set to true (bare, or `=true`).
    fn is_set(&self, name: &str) -> bool {
        self.values(name).any(|v| v.is_none_or(is_true))
    }
}

/// pflag's boolean parsing, read conservatively: anything but a false spelling is true.
fn is_true(value: &str) -> bool {
    !matches!(value, "0" | "f" | "F" | "false" | "FALSE" | "False")
}

/// Splits off the program word, if any. Returns the arguments and, when the program is
/// a `kubectl-<x>` plugin binary, its name.
fn strip_program(argv: &[String]) -> (&[String], Option<String>) {
    let Some((first, rest)) = argv.split_first() else {
        return (argv, None);
    };
    let base = first
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(first)
        .to_ascii_lowercase();
    if PROGRAMS.contains(&base.as_str()) {
        (rest, None)
    } else if base.starts_with("kubectl-") || base.starts_with("oc-") {
        (rest, Some(base))
    } else {
        (argv, None)
    }
}

/// Parses `args` the way pflag does.
fn parse(args: &[String]) -> Parsed {
    let mut parsed = Parsed::default();
    let mut words = args.iter();
    let mut after_dash = Vec::new();
    while let Some(word) = words.next() {
        if word == "--" {
            after_dash.extend(words.by_ref().cloned());
        } else if let Some(long) = word.strip_prefix("--") {
            parse_long(long, &mut words, &mut parsed);
        } else if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            parse_shorts(shorts, &mut words, &mut parsed);
        } else {
            parsed.positionals.push(word.clone());
        }
    }
    let runs_command = parsed.verb().is_some_and(|v| COMMAND_VERBS.contains(&v));
    if !runs_command {
        parsed.positionals.extend(after_dash);
    }
    parsed
}

/// Parses `--name`, `--name=value` or `--name value`.
fn parse_long<'a>(long: &str, words: &mut impl Iterator<Item = &'a String>, parsed: &mut Parsed) {
    let (name, value) = match long.split_once('=') {
        Some((name, value)) => (name, Some(value.to_string())),
        None if VALUE_FLAGS.contains(&long) => match words.next() {
            Some(next) => (long, Some(next.clone())),
            None => {
                parsed.missing.push(format!("--{long}"));
                (long, None)
            }
        },
        None => (long, None),
    };
    parsed.flags.push(Flag {
        name: name.to_string(),
        value,
    });
}

/// Parses a cluster of short flags (`-it`, `-nprod`, `-n=prod`, `-n prod`): boolean
/// letters until one that takes a value, which takes the rest of the word or the next.
fn parse_shorts<'a>(
    shorts: &str,
    words: &mut impl Iterator<Item = &'a String>,
    parsed: &mut Parsed,
) {
    for (i, letter) in shorts.char_indices() {
        let (name, takes_value) = short_flag(letter, parsed.verb());
        if !takes_value {
            parsed.flags.push(Flag { name, value: None });
            continue;
        }
        let rest = shorts.get(i + letter.len_utf8()..).unwrap_or("");
        let value = if rest.is_empty() {
            words.next().cloned()
        } else {
            Some(rest.strip_prefix('=').unwrap_or(rest).to_string())
        };
        if value.is_none() {
            parsed.missing.push(format!("-{letter}"));
        }
        parsed.flags.push(Flag { name, value });
        return;
    }
}

/// The long name of short flag `letter` and whether it takes a value. `-p` is
/// `--patch` (a value) for `patch` and a boolean (`--previous`) elsewhere; unknown
/// letters are booleans named by the letter.
fn short_flag(letter: char, verb: Option<&str>) -> (String, bool) {
    if letter == 'p' {
        return match verb {
            Some("patch") => ("patch".into(), true),
            _ => ("previous".into(), false),
        };
    }
    SHORT_FLAGS
        .iter()
        .find(|(c, _, _)| *c == letter)
        .map(|(_, name, value)| ((*name).to_string(), *value))
        .unwrap_or_else(|| (letter.to_string(), false))
}

fn report_missing_values(parsed: &Parsed, sink: &mut Sink<'_>) {
    for flag in &parsed.missing {
        sink.find(UNKNOWN, format!("flag {flag} is missing its value"));
    }
}

/// Labels the flags that matter wherever they appear: namespace, scope, impersonation,
/// context and manifests of unknown content.
fn report_flags(parsed: &Parsed, sink: &mut Sink<'_>) {
    for flag in &parsed.flags {
        let name = flag.name.as_str();
        let value = flag.value.as_deref();
        match name {
            "namespace" => sink.touch("namespace", value.unwrap_or("")),
            "all-namespaces" | "all" if value.is_none_or(is_true) => {
                sink.find(CLUSTER_WIDE, format!("flag --{name}"));
            }
            "filename" => report_manifest(value.unwrap_or(""), sink),
            _ => {}
        }
        if IMPERSONATION_FLAGS.contains(&name) {
            sink.find(IMPERSONATE, describe_flag(flag));
        }
        if CONTEXT_FLAGS.contains(&name) {
            sink.find(CONTEXT_SWITCH, describe_flag(flag));
        }
    }
}

/// `--name=value`, or `--name` alone for secrets and bare flags.
fn describe_flag(flag: &Flag) -> String {
    match &flag.value {
        Some(value) if !SECRET_FLAGS.contains(&flag.name.as_str()) => {
            format!("flag --{}={value}", flag.name)
        }
        _ => format!("flag --{}", flag.name),
    }
}

/// A manifest from stdin or a URL may hold any kind in any namespace.
fn report_manifest(file: &str, sink: &mut Sink<'_>) {
    let lower = file.to_ascii_lowercase();
    if file == "-" {
        sink.find(
            CLUSTER_WIDE,
            "manifest read from stdin (-f -): its kinds and namespaces are unknown".into(),
        );
    } else if lower.starts_with("http://") || lower.starts_with("https://") {
        sink.find(
            CLUSTER_WIDE,
            format!("manifest fetched from {file}: its kinds and namespaces are unknown"),
        );
    }
}

/// Labels the verb (and sub-verb) and records the resources it acts on.
fn report_command(parsed: &Parsed, sink: &mut Sink<'_>) {
    let Some(verb) = parsed.verb() else {
        sink.find(UNKNOWN, "no kubectl verb".into());
        return;
    };
    let args = parsed.args();
    let what = format!("verb {verb}");
    match verb {
        "get" | "describe" | "explain" | "wait" => {
            sink.find(READ, what);
            touch_resources(args, sink);
        }
        "logs" => {
            sink.find(READ, what);
            touch_target(args.first(), sink);
        }
        "top" => {
            sink.find(READ, what);
            touch_resources(args.get(..1).unwrap_or(&[]), sink);
        }
        "api-resources" | "api-versions" | "version" | "cluster-info" | "events" | "diff"
        | "kustomize" | "completion" | "help" | "options" => sink.find(READ, what),
        "auth" => report_auth(args, sink),
        "config" => report_config(args, sink),
        "apply" => report_apply(parsed, sink),
        "create" => {
            sink.find(WRITE, what);
            touch_created(args, sink);
        }
        "patch" | "edit" | "label" | "annotate" | "autoscale" | "expose" | "taint" => {
            sink.find(WRITE, what);
            touch_resources(args, sink);
        }
        "replace" => report_replace(parsed, sink),
        "scale" => report_scale(parsed, sink),
        "set" => {
            sink.find(WRITE, what);
            touch_resources(args.get(1..).unwrap_or(&[]), sink);
        }
        "rollout" => report_rollout(args, sink),
        "run" => report_run(parsed, sink),
        "cordon" | "uncordon" => {
            sink.find(WRITE, what);
            touch_kind("nodes", sink);
        }
        "certificate" => report_certificate(args, sink),
        "delete" => {
            sink.find(DELETE, what);
            touch_resources(args, sink);
        }
        "drain" => {
            sink.find(DELETE, format!("{what} evicts every pod on the node"));
            touch_kind("nodes", sink);
        }
        "exec" | "attach" | "port-forward" | "debug" => {
            sink.find(EXEC, what);
            touch_target(args.first(), sink);
        }
        "cp" => {
            sink.find(EXEC, what);
            if args.iter().any(|a| a.contains(':')) {
                touch_kind("pods", sink);
            }
        }
        "proxy" => sink.find(EXEC, format!("{what} gives full API access")),
        "plugin" if args.first().is_some_and(|a| a == "list") => {
            sink.find(READ, "verb plugin list".into());
        }
        _ => sink.find(UNKNOWN, format!("unknown verb or plugin `{verb}`")),
    }
}

fn report_auth(args: &[String], sink: &mut Sink<'_>) {
    match args.first().map(String::as_str) {
        Some(sub @ ("can-i" | "whoami")) => sink.find(READ, format!("verb auth {sub}")),
        Some("reconcile") => sink.find(WRITE, "verb auth reconcile".into()),
        other => unknown_sub("auth", other, sink),
    }
}

fn report_config(args: &[String], sink: &mut Sink<'_>) {
    let Some(sub) = args.first().map(String::as_str) else {
        unknown_sub("config", None, sink);
        return;
    };
    let what = format!("verb config {sub}");
    match sub {
        "view" | "current-context" | "get-contexts" | "get-clusters" | "get-users" => {
            sink.find(READ, what);
        }
        "use-context" | "use" | "set-context" | "set-credentials" | "set-cluster" | "set"
        | "unset" => {
            if sub != "use-context" && sub != "use" {
                sink.find(WRITE, what.clone());
            }
            sink.find(CONTEXT_SWITCH, what);
        }
        "delete-context" | "delete-cluster" | "delete-user" | "rename-context" => {
            sink.find(WRITE, what);
        }
        other => unknown_sub("config", Some(other), sink),
    }
}

fn report_apply(parsed: &Parsed, sink: &mut Sink<'_>) {
    match parsed.args().first().map(String::as_str) {
        Some("view-last-applied") => sink.find(READ, "verb apply view-last-applied".into()),
        Some(sub @ ("edit-last-applied" | "set-last-applied")) => {
            sink.find(WRITE, format!("verb apply {sub}"));
            touch_resources(parsed.args().get(1..).unwrap_or(&[]), sink);
        }
        _ => {
            sink.find(WRITE, "verb apply".into());
            touch_resources(parsed.args(), sink);
        }
    }
    if parsed.is_set("prune") {
        sink.find(
            DELETE,
            "apply --prune deletes objects missing from the manifests".into(),
        );
    }
}

fn report_replace(parsed: &Parsed, sink: &mut Sink<'_>) {
    sink.find(WRITE, "verb replace".into());
    if parsed.is_set("force") {
        sink.find(DELETE, "replace --force deletes and re-creates".into());
    }
    touch_resources(parsed.args(), sink);
}

fn report_scale(parsed: &Parsed, sink: &mut Sink<'_>) {
    sink.find(WRITE, "verb scale".into());
    let to_zero = parsed
        .values("replicas")
        .flatten()
        .any(|v| v.trim().parse::<u64>().is_ok_and(|n| n == 0));
    if to_zero {
        sink.find(DELETE, "scale --replicas=0 stops every pod".into());
    }
    touch_resources(parsed.args(), sink);
}

fn report_rollout(args: &[String], sink: &mut Sink<'_>) {
    let sub = args.first().map(String::as_str);
    match sub {
        Some(s @ ("status" | "history")) => sink.find(READ, format!("verb rollout {s}")),
        Some(s @ ("restart" | "undo" | "pause" | "resume")) => {
            sink.find(WRITE, format!("verb rollout {s}"));
        }
        other => {
            unknown_sub("rollout", other, sink);
            return;
        }
    }
    touch_resources(args.get(1..).unwrap_or(&[]), sink);
}

fn report_run(parsed: &Parsed, sink: &mut Sink<'_>) {
    sink.find(WRITE, "verb run".into());
    touch_kind("pods", sink);
    let interactive = ["stdin", "tty", "attach"]
        .iter()
        .any(|name| parsed.is_set(name));
    if interactive {
        sink.find(
            EXEC,
            "run with an attached terminal (-i/-t/--attach)".into(),
        );
    }
}

fn report_certificate(args: &[String], sink: &mut Sink<'_>) {
    match args.first().map(String::as_str) {
        Some(sub @ ("approve" | "deny")) => {
            sink.find(WRITE, format!("verb certificate {sub}"));
            touch_kind("certificatesigningrequests", sink);
        }
        other => unknown_sub("certificate", other, sink),
    }
}

fn unknown_sub(verb: &str, sub: Option<&str>, sink: &mut Sink<'_>) {
    let what = match sub {
        Some(sub) => format!("unknown sub-command `{verb} {sub}`"),
        None => format!("`{verb}` without a sub-command"),
    };
    sink.find(UNKNOWN, what);
}

/// Records the resources of `TYPE[,TYPE…] [NAME…]` or `TYPE/NAME…` arguments.
fn touch_resources(args: &[String], sink: &mut Sink<'_>) {
    let Some((first, names)) = args.split_first() else {
        return;
    };
    if first.contains('/') {
        for (kind, name) in args.iter().filter_map(|a| a.split_once('/')) {
            let kind = touch_kind(kind, sink);
            touch_names(&kind, std::slice::from_ref(&name.to_string()), sink);
        }
        return;
    }
    for kind in first.split(',') {
        let kind = touch_kind(kind, sink);
        touch_names(&kind, names, sink);
    }
}

/// Records the target of `exec`, `logs`, `attach`, …: `TYPE/NAME`, or a pod name.
fn touch_target(target: Option<&String>, sink: &mut Sink<'_>) {
    match target.and_then(|t| t.split_once('/')) {
        Some((kind, _)) => {
            touch_kind(kind, sink);
        }
        None => {
            touch_kind("pods", sink);
        }
    }
}

/// Records the kind made by `create <kind> NAME` (`create secret generic NAME`, …).
fn touch_created(args: &[String], sink: &mut Sink<'_>) {
    let Some((sub, rest)) = args.split_first() else {
        return;
    };
    let kind = match sub.as_str() {
        "token" => "serviceaccounts",
        "quota" => "resourcequotas",
        other => other,
    };
    let kind = touch_kind(kind, sink);
    let names = match kind.as_str() {
        "secrets" | "services" => rest.get(1..).unwrap_or(&[]),
        _ => rest,
    };
    touch_names(&kind, names, sink);
}

/// Records a namespace object for each name when the kind is `namespaces`.
fn touch_names(kind: &str, names: &[String], sink: &mut Sink<'_>) {
    if kind == "namespaces" {
        for name in names {
            sink.touch("namespace", name);
        }
    }
}

/// Records `resource:<kind>` (normalised) and labels cluster-scoped kinds. Returns the
/// normalised kind.
fn touch_kind(raw: &str, sink: &mut Sink<'_>) -> String {
    let kind = normalize_kind(raw);
    sink.touch("resource", &kind);
    if CLUSTER_SCOPED.contains(&kind.as_str()) {
        sink.find(CLUSTER_WIDE, format!("resource {kind} is cluster-scoped"));
    }
    kind
}

/// Lower-cases `raw`, strips an API group or version suffix (`deployments.v1.apps`,
/// `pod.v1.`) and expands short names and singulars to the plural.
fn normalize_kind(raw: &str) -> String {
    let lower = raw.to_ascii_lowercase();
    let base = lower.split('.').next().unwrap_or("");
    KIND_ALIASES
        .iter()
        .find(|(plural, aliases)| *plural == base || aliases.contains(&base))
        .map(|(plural, _)| (*plural).to_string())
        .unwrap_or_else(|| base.to_string())
}

/// Skips leading `NAME=value` environment assignments, labelling `KUBECONFIG=…`.
fn skip_assignments(words: &[String], sink: &mut Sink<'_>) -> usize {
    let mut count = 0;
    for word in words {
        let Some((name, value)) = word.split_once('=') else {
            break;
        };
        if !is_env_name(name) {
            break;
        }
        if name == "KUBECONFIG" {
            sink.find(CONTEXT_SWITCH, format!("environment KUBECONFIG={value}"));
        }
        count += 1;
    }
    count
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether the raw line contains any shell operator text at all (quoted or not).
fn has_operator_text(line: &str) -> bool {
    [";", "&&", "||", "|", "$(", "`", "\n", ">"]
        .iter()
        .any(|op| line.contains(op))
}

/// The byte offset of the first shell operator or substitution outside single quotes
/// (substitutions count inside double quotes too).
fn first_operator(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if escaped {
            escaped = false;
            continue;
        }
        let substitution = c == '`' || (c == '$' && chars.peek().is_some_and(|(_, n)| *n == '('));
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            _ if substitution => return Some(i),
            (Some(_), '"') => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, ';' | '|' | '&' | '>' | '<' | '\n') => return Some(i),
            (None, _) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Risk;

    fn argv(words: &[&str]) -> Classification {
        let argv: Vec<String> = words.iter().map(|w| (*w).to_string()).collect();
        let mut out = Classification::new();
        inspect_kubectl(&argv, "/args", &mut out);
        out
    }

    fn line(text: &str) -> Classification {
        let mut out = Classification::new();
        inspect_kubectl_line(text, "/args", &mut out);
        out
    }

    #[test]
    fn global_namespace_before_the_verb() {
        let c = argv(&["kubectl", "-n", "prod", "delete", "pod", "x"]);
        assert!(c.has_label(DELETE));
        assert!(c.objects.contains("namespace:prod"));
        assert!(c.objects.contains("resource:pods"));
        assert!(!c.has_label(UNKNOWN));
        assert_eq!(c.findings[0].pointer.as_deref(), Some("/args"));
    }

    #[test]
    fn namespace_flag_forms_agree() {
        for form in [
            &["-n", "prod"][..],
            &["-nprod"],
            &["-n=prod"],
            &["--namespace=prod"],
            &["--namespace", "prod"],
        ] {
            let mut words = vec!["get", "pods"];
            words.extend_from_slice(form);
            let c = argv(&words);
            assert!(c.objects.contains("namespace:prod"), "{form:?}");
            assert!(c.has_label(READ) && !c.has_label(UNKNOWN), "{form:?}");
        }
    }

    #[test]
    fn short_flag_clusters_take_a_trailing_value() {
        let c = argv(&["kubectl", "exec", "-itn", "prod", "web", "--", "sh"]);
        assert!(c.has_label(EXEC));
        assert!(c.objects.contains("namespace:prod"));
        assert!(c.objects.contains("resource:pods"));
    }

    #[test]
    fn words_after_double_dash_are_not_flags_for_exec() {
        let c = argv(&["exec", "web", "--", "kubectl", "--as=admin", "get", "ns"]);
        assert!(!c.has_label(IMPERSONATE));
        assert!(!c.has_label(CLUSTER_WIDE));
    }

    #[test]
    fn missing_values_are_unknown() {
        for words in [&["kubectl", "get", "pods", "-n"][..], &["--context"]] {
            let c = argv(words);
            assert!(c.has_label(UNKNOWN), "{words:?}");
            assert!(c.risk >= Risk::High);
        }
    }

    #[test]
    fn empty_and_bare_commands_are_unknown() {
        assert!(argv(&[]).has_label(UNKNOWN));
        assert!(argv(&["kubectl"]).has_label(UNKNOWN));
        assert!(argv(&["kubectl", "-n", "prod"]).has_label(UNKNOWN));
    }

    #[test]
    fn programs_and_plugins() {
        assert!(argv(&["/usr/local/bin/kubectl", "get", "po"]).has_label(READ));
        assert!(argv(&["C:\\bin\\KUBECTL.EXE", "get", "po"]).has_label(READ));
        assert!(argv(&["oc", "get", "po"]).has_label(READ));
        let plugin = argv(&["kubectl-foo", "get", "po"]);
        assert!(plugin.has_label(UNKNOWN) && !plugin.has_label(READ));
        assert!(argv(&["kubectl", "krew", "install", "x"]).has_label(UNKNOWN));
    }

    #[test]
    fn false_booleans_do_not_widen() {
        let c = argv(&["get", "pods", "--all-namespaces=false"]);
        assert!(!c.has_label(CLUSTER_WIDE));
        let c = argv(&["apply", "-f", "x.yaml", "--prune=false"]);
        assert!(!c.has_label(DELETE));
    }

    #[test]
    fn secrets_stay_out_of_findings() {
        let c = argv(&["get", "pods", "--token", "s3cr3t"]);
        assert!(c.has_label(CONTEXT_SWITCH));
        assert!(c.findings.iter().all(|f| !f.what.contains("s3cr3t")));
    }

    #[test]
    fn kinds_are_normalised() {
        assert_eq!(normalize_kind("Deploy"), "deployments");
        assert_eq!(normalize_kind("pod.v1."), "pods");
        assert_eq!(normalize_kind("deployments.v1.apps"), "deployments");
        assert_eq!(
            normalize_kind("certificates.cert-manager.io"),
            "certificates"
        );
        let c = argv(&["get", "pods,svc", "deploy/api"]);
        assert!(c.objects.contains("resource:pods"));
        assert!(c.objects.contains("resource:services"));
    }

    #[test]
    fn kubeconfig_environment_is_a_context_switch() {
        let c = line("KUBECONFIG=/tmp/other kubectl get pods");
        assert!(c.has_label(CONTEXT_SWITCH) && c.has_label(READ));
    }

    #[test]
    fn unbalanced_quotes_are_unknown() {
        let c = line("kubectl delete ns 'prod");
        assert!(c.has_label(UNKNOWN));
        assert!(c.risk >= Risk::High);
    }

    #[test]
    fn only_words_before_a_shell_operator_are_kubectl() {
        let c = line("kubectl get pods -n prod | grep -v Running > /tmp/out");
        assert!(c.has_label(READ));
        assert!(c.objects.contains("namespace:prod"));
        assert!(c.objects.contains("resource:pods"));
        // `grep` is a command the shell inspector records, never a kubectl resource.
        assert!(
            !c.objects
                .iter()
                .any(|o| o.starts_with("resource:") && o.contains("grep"))
        );
        assert!(c.objects.contains("command:grep"));
        assert!(!c.has_label(UNKNOWN));
    }

    #[test]
    fn substitution_cuts_the_kubectl_words() {
        let c = line("kubectl delete ns $(cat victims)");
        assert!(c.has_label(DELETE) && c.has_label(CLUSTER_WIDE));
        assert!(
            !c.objects
                .iter()
                .any(|o| !o.starts_with("command:") && o.contains("cat"))
        );
        assert!(c.has_label("shell.dynamic"));
    }

    #[test]
    fn quoted_operators_are_arguments() {
        assert_eq!(first_operator("kubectl get pods -l 'a|b'"), None);
        assert_eq!(first_operator("echo \"a;b\""), None);
        assert_eq!(first_operator("a \"$(b)\""), Some(3));
        assert_eq!(first_operator("a \\; b"), None);
        assert_eq!(first_operator("a && b"), Some(2));
        let c = line("kubectl get pods -l 'app in (a|b)'");
        assert!(c.has_label(READ) && c.objects.contains("resource:pods"));
    }

    #[test]
    fn run_interactive_is_exec() {
        let c = argv(&["run", "tmp", "--rm", "-it", "--image=busybox", "--", "sh"]);
        assert!(c.has_label(WRITE) && c.has_label(EXEC));
        let c = argv(&["run", "web", "--image=nginx"]);
        assert!(!c.has_label(EXEC));
    }

    #[test]
    fn patch_short_flag_takes_a_value() {
        let c = argv(&["patch", "deploy", "api", "-p", "{\"spec\":{}}"]);
        assert!(c.has_label(WRITE));
        assert!(c.objects.contains("resource:deployments"));
        assert_eq!(c.objects.len(), 1);
    }
}
