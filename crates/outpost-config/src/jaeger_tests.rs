use std::path::PathBuf;

use super::*;
use crate::{FileKind, StackPaths, check_paths, load_stack};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn no_templates(_: &str, _: &str) -> std::result::Result<(), String> {
    Ok(())
}

fn one(text: &'static str) -> Result<(JaegerFile, Vec<Diagnostic>)> {
    let files: &'static [(&'static str, &'static str)] =
        Box::leak(vec![("jaeger/j.yml", text)].into_boxed_slice());
    load_jaeger(&Files::Embedded(files), Path::new("jaeger/j.yml"))
}

fn messages(d: &[Diagnostic]) -> Vec<String> {
    d.iter().map(|d| d.to_string()).collect()
}

fn assert_production_cr(j: &JaegerFile, warnings: &[Diagnostic]) {
    assert_eq!(j.shape, JaegerShape::OperatorCr);
    assert_eq!(j.name.as_deref(), Some("jaeger-production"));
    assert_eq!(j.storage, "elasticsearch");
    assert_eq!(
        j.mappings,
        vec![
            "strategy production (collector and query deployments) -> one outpost process"
                .to_string(),
            format!("storage elasticsearch -> {STORE_NOTE}"),
            format!("collector (3 replicas) -> {COLLECTOR_NOTE}"),
            format!("query (2 replicas) -> {QUERY_NOTE}"),
            SPM_NOTE.to_string(),
        ]
    );
    let w = messages(warnings);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].ends_with(
            "field spec.ingress: ingress (hosts jaeger.ecommerce.com) is not served; the jaeger-query listener answers on its own address"
        ),
        "{w:?}"
    );
}

#[test]
fn the_seeds_operator_resource_is_accepted_with_its_mapping() {
    for rel in [
        "fixtures/ecommerce/jaeger/jaeger-production.yml",
        "fixtures/seed-original/jaeger/jaeger-production.yml",
    ] {
        let (j, w) = load_jaeger(&Files::Disk, &repo().join(rel)).unwrap();
        assert_production_cr(&j, &w);
    }
}

#[test]
fn the_operator_resource_in_the_seed_document_is_accepted() {
    let seed = repo().join("../shared/seed/monitoring-configs.md");
    let Ok(md) = std::fs::read_to_string(&seed) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing",
            seed.display()
        );
        eprintln!("skipped: {} not found", seed.display());
        return;
    };
    let start = md
        .find("### Production Jaeger (jaeger/jaeger-production.yml)")
        .expect("the seed documents the jaeger file");
    let body = &md[start..];
    let from = body.find("```yaml\n").unwrap() + "```yaml\n".len();
    let to = from + body[from..].find("```").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("jaeger-production.yml");
    std::fs::write(&f, &body[from..to]).unwrap();
    let (j, w) = load_jaeger(&Files::Disk, &f).unwrap();
    assert_production_cr(&j, &w);
}

#[test]
fn the_stack_loader_reads_jaeger_files() {
    let root = repo().join("fixtures/ecommerce");
    let stack = load_stack(&StackPaths::tree(Files::Disk, &root, no_templates));
    let r = stack
        .reports
        .iter()
        .find(|r| r.kind == FileKind::Jaeger)
        .expect("a jaeger report");
    assert!(
        r.file.ends_with("jaeger/jaeger-production.yml"),
        "{}",
        r.file
    );
    assert!(r.errors.is_empty());
    assert!(
        r.summary
            .starts_with("jaeger operator resource \"jaeger-production\": strategy production"),
        "{}",
        r.summary
    );
    assert!(
        r.summary
            .contains("storage elasticsearch -> the in-memory trace store")
    );
    assert_eq!(stack.jaeger.len(), 1);
    // A single file is recognised too.
    let reports = check_paths(
        &Files::Disk,
        &[root.join("jaeger/jaeger-production.yml")],
        no_templates,
    );
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].kind, FileKind::Jaeger);
}

#[test]
fn a_broken_operator_resource_fails_with_positions() {
    let e = one("apiVersion: jaegertracing.io/v1\nkind: Jaeger\nmetadata:\n  name: j\nspecs:\n  strategy: production\n")
        .unwrap_err();
    let m = messages(&e.diagnostics());
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].starts_with("<embedded>/jaeger/j.yml:5:1"), "{m:?}");
    assert!(m[0].contains("specs"), "{m:?}");

    let e = one("apiVersion: jaegertracing.io/v1\nkind: Jaegr\nmetadata: {}\n").unwrap_err();
    let m = messages(&e.diagnostics());
    assert_eq!(
        m,
        vec![
            "<embedded>/jaeger/j.yml: field kind: kind \"Jaegr\" is not a jaeger operator resource (hint: Jaeger)",
            "<embedded>/jaeger/j.yml: field metadata.name: metadata.name is required",
        ]
    );
    let e = one("apiVersion: jaegertracing.io/v1\nkind: Jaeger\nmetadata: {name: j}\nspec:\n  strategy: [x]\n")
        .unwrap_err();
    assert!(messages(&e.diagnostics())[0].contains(":5:"), "{e}");
}

#[test]
fn an_all_in_one_resource_with_memory_options_and_odd_fields() {
    let (j, w) = one(
        "apiVersion: jaegertracing.io/v1\nkind: Jaeger\nmetadata:\n  name: simplest\nspec:\n  strategy: allInOne\n  storage:\n    type: memory\n    options:\n      memory:\n        max-traces: 100000\n  agent:\n    strategy: DaemonSet\n  resources: {}\n  colector: {}\n",
    )
    .unwrap();
    assert_eq!(j.max_traces, Some(100_000));
    assert_eq!(j.mappings[0], "strategy allInOne -> one outpost process");
    assert_eq!(
        j.mappings[1],
        format!("storage memory (max-traces 100000) -> {STORE_NOTE}")
    );
    let w = messages(&w);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].contains("field spec.agent: the jaeger agent"), "{w:?}");
    assert!(
        w[1].ends_with("field spec.colector: unknown field \"colector\" in the jaeger spec"),
        "{w:?}"
    );
}

#[test]
fn kubernetes_all_in_one_manifests() {
    let (j, w) = one(r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: jaeger
spec:
  template:
    spec:
      containers:
        - name: jaeger
          image: jaegertracing/all-in-one:1.60
          env:
            - name: SPAN_STORAGE_TYPE
              value: memory
            - name: MEMORY_MAX_TRACES
              value: "50000"
            - name: COLLECTOR_OTLP_ENABLED
              value: "true"
          ports:
            - containerPort: 16686
            - containerPort: 14268
            - containerPort: 4317
            - containerPort: 6831
              protocol: UDP
---
apiVersion: v1
kind: Service
metadata:
  name: jaeger-query
spec:
  ports:
    - port: 16686
"#)
    .unwrap();
    assert_eq!(j.shape, JaegerShape::Kubernetes);
    assert_eq!((j.storage.as_str(), j.max_traces), ("memory", Some(50_000)));
    assert_eq!(
        j.mappings,
        vec![
            "jaegertracing/all-in-one:1.60 -> one outpost process".to_string(),
            format!("storage memory (max-traces 50000) -> {STORE_NOTE}"),
            "ports 4317 -> otlp-grpc, 14268 -> jaeger-collector-http, 16686 -> jaeger-query"
                .to_string(),
            SPM_NOTE.to_string(),
        ]
    );
    let w = messages(&w);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("agent ports"), "{w:?}");
}

#[test]
fn compose_and_v2_configs() {
    let (j, w) = one(
        "services:\n  jaeger:\n    image: jaegertracing/jaeger:2.20.0\n    environment:\n      - SPAN_STORAGE_TYPE=elasticsearch\n    ports:\n      - \"16686:16686\"\n      - \"4318:4318\"\n      - \"9999:9999\"\n",
    )
    .unwrap();
    assert_eq!(j.shape, JaegerShape::Compose);
    assert_eq!(j.storage, "elasticsearch");
    assert_eq!(
        j.mappings[2],
        "ports 4318 -> otlp-http, 16686 -> jaeger-query"
    );
    assert_eq!(
        messages(&w),
        vec!["<embedded>/jaeger/j.yml: port 9999 has no outpost counterpart"]
    );

    let (j, w) = one(
        "service:\n  extensions: [jaeger_storage, jaeger_query]\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [jaeger_storage_exporter]\nextensions:\n  jaeger_query:\n    storage:\n      traces: some_store\n  jaeger_storage:\n    backends:\n      some_store:\n        memory:\n          max_traces: 100000\nreceivers:\n  otlp:\n    protocols:\n      grpc:\n  kafka: {}\nexporters:\n  jaeger_storage_exporter:\n    trace_storage: some_store\n",
    )
    .unwrap();
    assert_eq!(j.shape, JaegerShape::V2Config);
    assert_eq!(
        (j.storage.as_str(), j.max_traces),
        ("memory", Some(100_000))
    );
    assert_eq!(j.mappings[1], format!("receivers otlp -> {COLLECTOR_NOTE}"));
    assert_eq!(j.mappings[2], format!("jaeger_query -> {QUERY_NOTE}"));
    let w = messages(&w);
    assert_eq!(
        w,
        vec![
            "<embedded>/jaeger/j.yml: field receivers.kafka: receiver \"kafka\" has no outpost counterpart"
        ]
    );
}

#[test]
fn files_that_are_not_jaeger_deployments_fail() {
    let e =
        one("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n").unwrap_err();
    assert_eq!(
        messages(&e.diagnostics()),
        vec!["<embedded>/jaeger/j.yml: no container runs a jaegertracing/* image"]
    );
    let e = one("just: text\n").unwrap_err();
    assert!(e.to_string().contains("not recognised"), "{e}");
    let e = one("").unwrap_err();
    assert!(e.to_string().contains("empty jaeger file"), "{e}");
}
