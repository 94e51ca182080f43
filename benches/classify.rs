//! Classification cost: SQL statements of about 100 B, 1 KB and 10 KB (PostgreSQL
//! dialect), shell command lines and kubectl lines, through the inspectors directly and
//! through a policy's classifier (normalisation, routing and risk included).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tollgate::classify::ToolCall;
use tollgate::classify::kubectl::inspect_kubectl_line;
use tollgate::classify::shell::inspect_shell;
use tollgate::classify::sql::{SqlDialect, SqlOptions, inspect_sql};
use tollgate::{Classification, Classifier, Policy};

/// A realistic query of at least `size` bytes: a join with a growing IN-list filter.
fn query(size: usize) -> String {
    let mut sql = String::from(
        "SELECT c.id, c.name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.status = 'open' AND c.id IN (",
    );
    let mut i = 0;
    while sql.len() + 20 < size {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&(1000 + i).to_string());
        i += 1;
    }
    sql.push_str(") ORDER BY o.total DESC LIMIT 50");
    sql
}

fn bench_sql(c: &mut Criterion) {
    let options = SqlOptions::new(SqlDialect::Postgres);
    let mut group = c.benchmark_group("classify_sql");
    for size in [100usize, 1024, 10 * 1024] {
        let sql = query(size);
        group.throughput(Throughput::Bytes(sql.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &sql, |b, sql| {
            b.iter(|| {
                let mut out = Classification::new();
                inspect_sql(black_box(sql), &options, "/sql", &mut out);
                out.labels.len()
            })
        });
    }
    group.finish();
}

fn bench_commands(c: &mut Criterion) {
    let mut group = c.benchmark_group("classify_command");
    let shell = "cd /srv/app && git pull --ff-only && cargo build --release 2>&1 | tee build.log; rm -rf ./target/tmp";
    group.bench_function("shell_line", |b| {
        b.iter(|| {
            let mut out = Classification::new();
            inspect_shell(black_box(shell), "/command", &mut out);
            out.labels.len()
        })
    });
    let kubectl = "kubectl --context prod -n payments get pods -l app=api -o wide";
    group.bench_function("kubectl_line", |b| {
        b.iter(|| {
            let mut out = Classification::new();
            inspect_kubectl_line(black_box(kubectl), "/args", &mut out);
            out.labels.len()
        })
    });
    let policy = Policy::from_toml_str(
        "version = 1\n[[inspect]]\ntools = [\"db.query\"]\npointer = \"/sql\"\nkind = \"sql\"\ndialect = \"postgres\"\n",
    )
    .unwrap_or_else(|e| panic!("bench policy: {e}"));
    let call = ToolCall::new("db.query", json!({ "sql": query(1024) }));
    group.bench_function("policy_classifier_sql_1k", |b| {
        b.iter(|| {
            policy
                .classifier()
                .classify(black_box(&call))
                .map(|c| c.labels.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_sql, bench_commands);
criterion_main!(benches);
