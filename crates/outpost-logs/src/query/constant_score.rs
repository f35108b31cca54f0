//! `constant_score`: its `filter` clause matched without scoring, every hit scoring the same
//! (the `boost`, ES's default 1.0).

use serde_json::Value;

use super::{Query, parse as parse_query};
use crate::error::{Error, Result};

pub(super) fn parse(body: &Value) -> Result<Query> {
    let Some(o) = body.as_object() else {
        return Err(Error::Parsing(
            "[constant_score] query malformed, no start_object after query name".into(),
        ));
    };
    let mut filter = None;
    let mut boost = 1.0f32;
    for (k, v) in o {
        match k.as_str() {
            "filter" => filter = Some(parse_query(v)?),
            "boost" => {
                boost = v.as_f64().ok_or_else(|| {
                    Error::Parsing("[constant_score] [boost] must be a number".into())
                })? as f32
            }
            "_name" => {}
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
    Ok(Query::ConstantScore(Box::new(filter), boost))
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
        let Query::ConstantScore(filter, boost) = q else {
            panic!("not a constant_score: {q:?}")
        };
        assert!(matches!(*filter, Query::Term(_)));
        assert_eq!(boost, 2.0);
        let e = parse(&json!({"constant_score": {"boost": 2}})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "[constant_score] requires a 'filter' element"
        );
        assert_eq!(e.es_type(), "parsing_exception");
        assert!(parse(&json!({"constant_score": {"filter": {}, "x": 1}})).is_err());
    }
}
