//! The e-commerce monitoring-configs stack (`fixtures/ecommerce/`), compiled in
//! as the default stack `outpost serve` runs when given no directory.

/// Every file of the embedded stack, by path relative to the stack root.
pub(crate) const EMBEDDED_STACK: &[(&str, &str)] = &[
    (
        "alertmanager/alertmanager.yml",
        include_str!("../../../fixtures/ecommerce/alertmanager/alertmanager.yml"),
    ),
    (
        "elasticsearch/elasticsearch.yml",
        include_str!("../../../fixtures/ecommerce/elasticsearch/elasticsearch.yml"),
    ),
    (
        "grafana/provisioning/dashboards/dashboards.yml",
        include_str!("../../../fixtures/ecommerce/grafana/provisioning/dashboards/dashboards.yml"),
    ),
    (
        "grafana/provisioning/datasources/prometheus.yml",
        include_str!("../../../fixtures/ecommerce/grafana/provisioning/datasources/prometheus.yml"),
    ),
    (
        "jaeger/jaeger-production.yml",
        include_str!("../../../fixtures/ecommerce/jaeger/jaeger-production.yml"),
    ),
    (
        "logstash/pipelines/microservices.conf",
        include_str!("../../../fixtures/ecommerce/logstash/pipelines/microservices.conf"),
    ),
    (
        "prometheus/alert-rules/business-metrics.yml",
        include_str!("../../../fixtures/ecommerce/prometheus/alert-rules/business-metrics.yml"),
    ),
    (
        "prometheus/alert-rules/infrastructure.yml",
        include_str!("../../../fixtures/ecommerce/prometheus/alert-rules/infrastructure.yml"),
    ),
    (
        "prometheus/alert-rules/microservices.yml",
        include_str!("../../../fixtures/ecommerce/prometheus/alert-rules/microservices.yml"),
    ),
    (
        "prometheus/prometheus.yml",
        include_str!("../../../fixtures/ecommerce/prometheus/prometheus.yml"),
    ),
    (
        "prometheus/secrets/kubernetes/ca.crt",
        include_str!("../../../fixtures/ecommerce/prometheus/secrets/kubernetes/ca.crt"),
    ),
    (
        "prometheus/secrets/kubernetes/token",
        include_str!("../../../fixtures/ecommerce/prometheus/secrets/kubernetes/token"),
    ),
    (
        "scripts/deploy-monitoring.sh",
        include_str!("../../../fixtures/ecommerce/scripts/deploy-monitoring.sh"),
    ),
];

#[cfg(test)]
mod tests {
    use super::EMBEDDED_STACK;

    /// Every config file under fixtures/ecommerce is embedded, so the default
    /// stack and `outpost check fixtures/ecommerce` never diverge (`tests/`
    /// holds the rule unit tests, which are not part of the stack).
    #[test]
    fn embedded_stack_matches_the_fixture_tree() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ecommerce");
        let mut on_disk = Vec::new();
        walk(&root, &root, &mut on_disk);
        on_disk.sort();
        let mut embedded: Vec<String> = EMBEDDED_STACK.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }

    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p == root.join("tests") {
                    continue;
                }
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
}
