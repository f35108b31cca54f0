//! Data streams, as far as Filebeat and Logstash need them: `PUT /_data_stream/{name}` (a
//! composable template with `data_stream: {}` must match), `GET` and `DELETE`. A data stream is
//! one index of the stream's own name (no `.ds-` backing indices, no rollover); it also comes
//! into being when a write auto-creates a name such a template matches.

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::resolve::wildcard_match;
use crate::store::LogStore;

impl LogStore {
    /// The template name when `index` is a data stream.
    fn data_stream_of(&self, index: &str) -> Option<String> {
        let idx = self.index(index).ok()?;
        self.meta
            .lock()
            .indices
            .get(idx.uuid())
            .and_then(|m| m.data_stream.clone())
    }

    /// `PUT /_data_stream/{name}`: 400 `resource_already_exists_exception` when it exists,
    /// 400 `illegal_argument_exception` when no data-stream template matches.
    pub fn create_data_stream(&self, name: &str) -> Result<()> {
        if self.exists(name) {
            return Err(Error::DataStreamExists(name.to_string()));
        }
        if self.template_contribution(name).data_stream.is_none() {
            return Err(Error::IllegalArgument(format!(
                "no matching index template found for data stream [{name}]"
            )));
        }
        self.create_index(name, None)
    }

    /// Whether a data stream of that name exists.
    pub fn data_stream_exists(&self, name: &str) -> bool {
        self.data_stream_of(name).is_some()
    }

    /// `GET /_data_stream[/{name}]` (comma lists and wildcards): `{"data_streams": [...]}`; a
    /// missing concrete name is 404 `index_not_found_exception`.
    pub fn get_data_streams(&self, name: Option<&str>) -> Result<Value> {
        let all = self.resolve_hidden("*,.*", true, true)?;
        let streams: Vec<_> = all
            .iter()
            .filter_map(|i| self.data_stream_of(i.name()).map(|t| (i.clone(), t)))
            .collect();
        let pats: Vec<&str> = match name.filter(|n| !n.is_empty() && *n != "_all") {
            Some(n) => n.split(',').map(str::trim).collect(),
            None => vec!["*"],
        };
        for p in &pats {
            if !p.contains('*') && !streams.iter().any(|(i, _)| i.name() == *p) {
                return Err(Error::IndexNotFound(p.to_string()));
            }
        }
        let infos = self
            .index_infos_expand(Some("*,.*"), true)
            .unwrap_or_default();
        let list: Vec<Value> = streams
            .iter()
            .filter(|(i, _)| pats.iter().any(|p| wildcard_match(p, i.name())))
            .map(|(i, template)| {
                let health = infos
                    .iter()
                    .find(|x| x.name == i.name())
                    .map_or("green", |x| x.health);
                json!({
                    "name": i.name(),
                    "timestamp_field": {"name": "@timestamp"},
                    "indices": [{"index_name": i.name(), "index_uuid": i.uuid()}],
                    "generation": 1,
                    "status": health.to_uppercase(),
                    "template": template,
                    "hidden": false,
                    "system": false,
                    "allow_custom_routing": false,
                    "replicated": false,
                })
            })
            .collect();
        Ok(json!({ "data_streams": list }))
    }

    /// `DELETE /_data_stream/{name}` (comma lists and wildcards); a missing concrete name is 404.
    pub fn delete_data_stream(&self, name: &str) -> Result<()> {
        let v = self.get_data_streams(Some(name))?;
        let names: Vec<String> = v["data_streams"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|d| d["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for n in names {
            self.delete_index(&n)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::store::{LogStore, Refresh};
    use crate::{OpType, SearchOptions};

    fn store() -> LogStore {
        LogStore::for_tests()
    }

    #[test]
    fn filebeat_data_stream_setup() {
        let s = store();
        // Filebeat: template, then GET (404) and PUT of the data stream, then create actions
        s.put_template(
            "filebeat-8.15.0",
            &json!({"index_patterns": ["filebeat-8.15.0"], "data_stream": {}, "priority": 150,
                "template": {"settings": {"index.lifecycle.name": "filebeat"}}}),
            false,
        )
        .unwrap();
        let e = s.get_data_streams(Some("filebeat-8.15.0")).unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (404, "index_not_found_exception")
        );
        s.create_data_stream("filebeat-8.15.0").unwrap();
        let e = s.create_data_stream("filebeat-8.15.0").unwrap_err();
        assert_eq!(
            (e.status(), e.es_type()),
            (400, "resource_already_exists_exception")
        );
        assert_eq!(
            e.to_string(),
            "data_stream [filebeat-8.15.0] already exists"
        );
        let g = s.get_data_streams(Some("filebeat-*")).unwrap();
        let d = &g["data_streams"][0];
        assert_eq!(d["name"], "filebeat-8.15.0");
        assert_eq!(d["template"], "filebeat-8.15.0");
        assert_eq!(d["timestamp_field"]["name"], "@timestamp");
        assert_eq!(d["status"], "YELLOW");
        s.index_doc(
            "filebeat-8.15.0",
            None,
            br#"{"@timestamp":"2026-12-07T10:00:00Z","message":"hi"}"#,
            OpType::Create,
            Refresh::True,
        )
        .unwrap();
        let c = s
            .count("filebeat-*", &json!({}), SearchOptions::default())
            .unwrap();
        assert_eq!(c["count"], 1);
        s.delete_data_stream("filebeat-8.15.0").unwrap();
        assert!(!s.exists("filebeat-8.15.0"));
    }

    #[test]
    fn data_streams_need_a_template_and_auto_create() {
        let s = store();
        let e = s.create_data_stream("logs-app-default").unwrap_err();
        assert_eq!(e.es_type(), "illegal_argument_exception");
        s.put_template(
            "logs",
            &json!({"index_patterns": ["logs-*-*"], "data_stream": {}, "priority": 100}),
            false,
        )
        .unwrap();
        // Logstash's data-stream mode: create actions into a new name
        s.index_doc(
            "logs-generic-default",
            None,
            br#"{"@timestamp":"2026-12-07T10:00:00Z"}"#,
            OpType::Create,
            Refresh::True,
        )
        .unwrap();
        assert!(s.data_stream_exists("logs-generic-default"));
        s.create_index_with("plain", &json!({})).unwrap();
        assert!(!s.data_stream_exists("plain"));
        assert_eq!(
            s.get_data_streams(None).unwrap()["data_streams"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(s.delete_data_stream("plain").unwrap_err().status(), 404);
    }
}
