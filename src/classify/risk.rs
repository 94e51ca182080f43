//! The default risk of each built-in label. A policy can override any entry (`[risk]`
//! table); a call's risk is the highest risk of its labels.

use super::Risk;

/// The default risk of a label; labels not in the table are `Low`.
///
/// | label | risk |
/// |---|---|
/// | `sql.read`, `k8s.read`, `http.read` | low |
/// | `sql.write`, `sql.multi_statement`, `sql.bulk_read`, `shell.network`, `k8s.write`, `http.write`, `http.external` | medium |
/// | `sql.ddl`, `sql.dcl`, `sql.update_all`, `sql.admin`, `sql.unparsed`, `shell.dynamic`, `shell.privilege`, `shell.unparsed`, `k8s.delete`, `k8s.exec`, `k8s.cluster_wide`, `k8s.context_switch`, `k8s.unknown`, `http.delete`, `unicode.suspicious` | high |
/// | `sql.delete_all`, `sql.exfil`, `shell.destructive`, `k8s.impersonate` | critical |
pub fn default_risk(label: &str) -> Risk {
    match label {
        "sql.read" | "k8s.read" | "http.read" => Risk::Low,
        "sql.write"
        | "sql.multi_statement"
        | "sql.bulk_read"
        | "shell.network"
        | "k8s.write"
        | "http.write"
        | "http.external" => Risk::Medium,
        "sql.ddl" | "sql.dcl" | "sql.update_all" | "sql.admin" | "sql.unparsed"
        | "shell.dynamic" | "shell.privilege" | "shell.unparsed" | "k8s.delete" | "k8s.exec"
        | "k8s.cluster_wide" | "k8s.context_switch" | "k8s.unknown" | "http.delete"
        | "unicode.suspicious" => Risk::High,
        "sql.delete_all" | "sql.exfil" | "shell.destructive" | "k8s.impersonate" => Risk::Critical,
        _ => Risk::Low,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unparsed_input_is_never_below_high() {
        for label in ["sql.unparsed", "shell.unparsed", "k8s.unknown"] {
            assert!(default_risk(label) >= Risk::High, "{label}");
        }
        assert_eq!(default_risk("sql.exfil"), Risk::Critical);
        assert_eq!(default_risk("custom.label"), Risk::Low);
    }
}
