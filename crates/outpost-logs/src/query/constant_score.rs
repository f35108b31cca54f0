//! `constant_score`: its `filter` clause matched without scoring, every hit scoring the same
//! (ES's default boost, 1.0). Expressed as a `bool` of `match_all` (the score) and the filter.

use serde_json::Value;

use super::{BoolQuery, Query, parse as parse_query};
use crate::error::{Error, Result};

pub(super) fn parse(body: &Value) -> Result<Query> {
    let Some(o) = body.as_object() else {
        return Err(Error::Parsing(
            "[constant_score] query malformed, no start_object after query name".into(),
        ));
    };
    let mut filter = None;
    for (k, v) in o {
        match k.as_str() {
            "filter" => filter = Some(parse_query(v)?),
            "boost" | "_name" => {}
            other => {
                return Err(Error::Parsing(format!(
                    "[constant_score] query does not support [{other}]"
                )));
            }
        }
    }
    let Some(filter) = filter else {
        return Err(Error::Parsing(
            "[constant_score] requires a 'filter' element".into(),
        ));
    };
    Ok(Query::Bool(BoolQuery {
        must: vec![Query::MatchAll],
        filter: vec![filter],
        ..BoolQuery::default()
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::parse;
    use super::*;

    #[test]
    fn wraps_the_filter() {
        let q = parse(&json!({"constant_score": {"filter": {"term": {"a": "b"}}, "boost": 2}}))
            .unwrap();
        let Query::Bool(b) = q else {
            panic!("not a bool: {q:?}")
        };
        assert_eq!(b.must, vec![Query::MatchAll]);
        assert_eq!(b.filter.len(), 1);
        assert!(matches!(b.filter[0], Query::Term(_)));
        let e = parse(&json!({"constant_score": {"boost": 2}})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "[constant_score] requires a 'filter' element"
        );
        assert_eq!(e.es_type(), "parsing_exception");
        assert!(parse(&json!({"constant_score": {"filter": {}, "x": 1}})).is_err());
    }
}
