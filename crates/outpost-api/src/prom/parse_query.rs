//! `/api/v1/parse_query`: the query's syntax tree as JSON, in the shape
//! Prometheus 3 gives its UI's tree view (`translateAST` of
//! `web/api/v1/translate_ast.go`): one object per node with a `type`
//! (`aggregation`, `binaryExpr`, `call`, `matrixSelector`, `subquery`,
//! `numberLiteral`, `parenExpr`, `stringLiteral`, `unaryExpr`,
//! `vectorSelector`), durations and offsets in milliseconds, `@` times in
//! milliseconds or `startOrEnd`, matchers as `{name, value, type}` with the
//! metric name's matcher last.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::response::Response;
use promql_parser::label::MatchOp;
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{
    AtModifier, Expr, LabelModifier, Offset, VectorMatchCardinality, VectorSelector,
};
use serde_json::{Value, json};

use super::params::Params;
use crate::envelope::{ApiError, success};

/// Parses the `query` parameter and answers its syntax tree.
pub(super) async fn handle(p: Params) -> Result<Response, ApiError> {
    let expr = super::meta::parse_query(&p)?;
    Ok(success(translate(&expr)))
}

fn millis(d: &std::time::Duration) -> i64 {
    d.as_millis() as i64
}

fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => millis(d),
        Some(Offset::Neg(d)) => -millis(d),
    }
}

fn system_time_ms(t: &SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

/// `(timestamp, startOrEnd)` of an `@` modifier.
fn at_fields(at: &Option<AtModifier>) -> (Value, Value) {
    match at {
        None => (Value::Null, Value::Null),
        Some(AtModifier::At(t)) => (json!(system_time_ms(t)), Value::Null),
        Some(AtModifier::Start) => (Value::Null, json!("start")),
        Some(AtModifier::End) => (Value::Null, json!("end")),
    }
}

use outpost_exposition::go_float;

fn value_type(t: &ValueType) -> &'static str {
    match t {
        ValueType::Vector => "vector",
        ValueType::Scalar => "scalar",
        ValueType::Matrix => "matrix",
        ValueType::String => "string",
    }
}

/// The selector's matchers as Prometheus holds them: the written ones, then
/// `__name__="<name>"` when the metric name was written outside the braces.
fn matchers(vs: &VectorSelector) -> Value {
    let mut out: Vec<Value> = vs
        .matchers
        .matchers
        .iter()
        .map(|m| {
            let kind = match m.op {
                MatchOp::Equal => "=",
                MatchOp::NotEqual => "!=",
                MatchOp::Re(_) => "=~",
                MatchOp::NotRe(_) => "!~",
            };
            json!({"name": m.name, "value": m.value, "type": kind})
        })
        .collect();
    if let Some(name) = &vs.name
        && !vs.matchers.matchers.iter().any(|m| m.name == "__name__")
    {
        out.push(json!({"name": "__name__", "value": name, "type": "="}));
    }
    Value::Array(out)
}

/// The JSON tree of an expression.
pub(crate) fn translate(e: &Expr) -> Value {
    match e {
        Expr::Aggregate(a) => {
            let (grouping, without) = match &a.modifier {
                Some(LabelModifier::Include(l)) => (l.labels.clone(), false),
                Some(LabelModifier::Exclude(l)) => (l.labels.clone(), true),
                None => (Vec::new(), false),
            };
            json!({
                "type": "aggregation",
                "op": a.op.to_string(),
                "expr": translate(&a.expr),
                "param": a.param.as_deref().map(translate).unwrap_or(Value::Null),
                "grouping": grouping,
                "without": without,
            })
        }
        Expr::Binary(b) => {
            let vectors =
                b.lhs.value_type() == ValueType::Vector && b.rhs.value_type() == ValueType::Vector;
            let matching = if vectors {
                let set_op = matches!(b.op.to_string().as_str(), "and" | "or" | "unless");
                let (labels, on, card, include, fill) = match &b.modifier {
                    None => (Vec::new(), false, None, Vec::new(), (None, None)),
                    Some(m) => {
                        let (labels, on) = match &m.matching {
                            Some(LabelModifier::Include(l)) => (l.labels.clone(), true),
                            Some(LabelModifier::Exclude(l)) => (l.labels.clone(), false),
                            None => (Vec::new(), false),
                        };
                        let include = m
                            .card
                            .labels()
                            .map(|l| l.labels.clone())
                            .unwrap_or_default();
                        (
                            labels,
                            on,
                            Some(&m.card),
                            include,
                            (m.fill_values.lhs, m.fill_values.rhs),
                        )
                    }
                };
                let card = match card {
                    _ if set_op => "many-to-many",
                    Some(VectorMatchCardinality::ManyToOne(_)) => "many-to-one",
                    Some(VectorMatchCardinality::OneToMany(_)) => "one-to-many",
                    Some(VectorMatchCardinality::ManyToMany) => "many-to-many",
                    _ => "one-to-one",
                };
                json!({
                    "card": card,
                    "labels": labels,
                    "on": on,
                    "include": include,
                    "fillValues": {"lhs": fill.0, "rhs": fill.1},
                })
            } else {
                Value::Null
            };
            json!({
                "type": "binaryExpr",
                "op": b.op.to_string(),
                "lhs": translate(&b.lhs),
                "rhs": translate(&b.rhs),
                "matching": matching,
                "bool": b.modifier.as_ref().is_some_and(|m| m.return_bool),
            })
        }
        Expr::Call(c) => json!({
            "type": "call",
            "func": {
                "name": c.func.name,
                "argTypes": c.func.arg_types.iter().map(value_type).collect::<Vec<_>>(),
                "variadic": c.func.variadic,
                "returnType": value_type(&c.func.return_type),
            },
            "args": c.args.args.iter().map(|a| translate(a)).collect::<Vec<_>>(),
        }),
        Expr::MatrixSelector(ms) => {
            let (timestamp, start_or_end) = at_fields(&ms.vs.at);
            json!({
                "type": "matrixSelector",
                "name": ms.vs.name.clone().unwrap_or_default(),
                "range": millis(&ms.range),
                "offset": offset_ms(&ms.vs.offset),
                "matchers": matchers(&ms.vs),
                "timestamp": timestamp,
                "startOrEnd": start_or_end,
                "anchored": false,
                "smoothed": false,
            })
        }
        Expr::Subquery(sq) => {
            let (timestamp, start_or_end) = at_fields(&sq.at);
            json!({
                "type": "subquery",
                "expr": translate(&sq.expr),
                "range": millis(&sq.range),
                "offset": offset_ms(&sq.offset),
                "step": sq.step.as_ref().map(millis).unwrap_or(0),
                "timestamp": timestamp,
                "startOrEnd": start_or_end,
                "alignEvalTime": false,
            })
        }
        Expr::NumberLiteral(n) => json!({"type": "numberLiteral", "val": go_float(n.val)}),
        Expr::Paren(p) => json!({"type": "parenExpr", "expr": translate(&p.expr)}),
        Expr::StringLiteral(s) => json!({"type": "stringLiteral", "val": s.val}),
        Expr::Unary(u) => json!({"type": "unaryExpr", "op": "-", "expr": translate(&u.expr)}),
        Expr::VectorSelector(vs) => {
            let (timestamp, start_or_end) = at_fields(&vs.at);
            json!({
                "type": "vectorSelector",
                "name": vs.name.clone().unwrap_or_default(),
                "offset": offset_ms(&vs.offset),
                "matchers": matchers(vs),
                "timestamp": timestamp,
                "startOrEnd": start_or_end,
                "anchored": false,
                "smoothed": false,
            })
        }
        Expr::Extension(_) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use http_body_util::BodyExt;

    use super::*;

    fn tree(q: &str) -> Value {
        translate(&promql_parser::parser::parse(q).unwrap())
    }

    #[test]
    fn selector_matchers_end_with_the_name_and_offsets_are_millis() {
        assert_eq!(
            tree(r#"up{job=~"a.*"} offset -5m @ 100"#),
            json!({
                "type": "vectorSelector",
                "name": "up",
                "offset": -300000,
                "matchers": [
                    {"name": "job", "value": "a.*", "type": "=~"},
                    {"name": "__name__", "value": "up", "type": "="},
                ],
                "timestamp": 100000,
                "startOrEnd": null,
                "anchored": false,
                "smoothed": false,
            })
        );
        let m = tree("rate(x[5m] @ start())");
        assert_eq!(m["func"]["name"], "rate");
        assert_eq!(m["func"]["argTypes"], json!(["matrix"]));
        assert_eq!(m["func"]["returnType"], "vector");
        assert_eq!(m["args"][0]["type"], "matrixSelector");
        assert_eq!(m["args"][0]["range"], 300000);
        assert_eq!(m["args"][0]["startOrEnd"], "start");
        assert_eq!(m["args"][0]["timestamp"], Value::Null);
    }

    #[test]
    fn aggregations_binaries_and_subqueries() {
        let a = tree("topk by (job) (3, x)");
        assert_eq!(a["type"], "aggregation");
        assert_eq!(a["op"], "topk");
        assert_eq!(a["param"], json!({"type": "numberLiteral", "val": "3"}));
        assert_eq!(a["grouping"], json!(["job"]));
        assert_eq!(a["without"], false);
        assert_eq!(tree("sum(x)")["grouping"], json!([]));

        let b = tree("a / on (job) group_left (team) b");
        assert_eq!(b["op"], "/");
        assert_eq!(b["bool"], false);
        assert_eq!(
            b["matching"],
            json!({"card": "many-to-one", "labels": ["job"], "on": true, "include": ["team"],
                   "fillValues": {"lhs": null, "rhs": null}})
        );
        assert_eq!(tree("a and b")["matching"]["card"], "many-to-many");
        assert_eq!(tree("a + b")["matching"]["card"], "one-to-one");
        assert_eq!(tree("a > bool 1")["matching"], Value::Null);
        assert_eq!(tree("a > bool 1")["bool"], true);
        // Like Go's parser, a minus on a number literal is the literal.
        assert_eq!(tree("-1"), json!({"type": "numberLiteral", "val": "-1"}));
        assert_eq!(tree("-(1)")["type"], "unaryExpr");
        assert_eq!(tree("1e-7")["val"], "0.0000001");

        let s = tree("max_over_time((-x)[10m:30s] offset 1m)");
        let sq = &s["args"][0];
        assert_eq!(sq["type"], "subquery");
        assert_eq!(sq["range"], 600000);
        assert_eq!(sq["step"], 30000);
        assert_eq!(sq["offset"], 60000);
        assert_eq!(sq["expr"]["type"], "parenExpr");
        assert_eq!(sq["expr"]["expr"]["type"], "unaryExpr");
        assert_eq!(sq["expr"]["expr"]["op"], "-");
        assert_eq!(
            tree(r#"label_replace(x, "a", "$1", "b", "(.*)")"#)["args"][1],
            json!({"type": "stringLiteral", "val": "a"})
        );
    }

    #[tokio::test]
    async fn handler_answers_the_tree_or_bad_data() {
        let params = |q: &str| {
            Params::new(
                Some(q),
                &axum::http::HeaderMap::new(),
                &axum::body::Bytes::new(),
            )
        };
        let ok = handle(params("query=up")).await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        let body: Value =
            serde_json::from_slice(&ok.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!(body["status"], "success");
        assert_eq!(body["data"]["type"], "vectorSelector");

        let err = handle(params("query=sum(")).await;
        assert!(err.is_err());
    }
}
