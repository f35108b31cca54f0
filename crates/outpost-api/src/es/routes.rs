//! The route table: path shape → endpoint and the methods it takes. A path
//! no endpoint has answers ES's 400 "no handler found for uri [...] and
//! method [...]"; a known path with another method ES's 405 "Incorrect HTTP
//! method for uri [...] and method [...], allowed: [...]".

use axum::http::Method;

use super::EsState;
use super::error::EsError;
use super::request::{Reply, Req};
use super::{bulk, cluster, documents, indices, scroll, search};

/// An endpoint with its path parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ep<'a> {
    Root,
    Bulk(Option<&'a str>),
    Search(Option<&'a str>),
    Msearch(Option<&'a str>),
    Count(Option<&'a str>),
    Refresh(Option<&'a str>),
    FieldCaps(Option<&'a str>),
    Mapping(Option<&'a str>),
    Settings(Option<&'a str>),
    DeleteByQuery(&'a str),
    License,
    Xpack,
    Health(Option<&'a str>),
    Cat,
    CatIndices(Option<&'a str>),
    CatHealth,
    Template(Option<&'a str>, bool),
    Authenticate,
    Aliases,
    Alias(Option<&'a str>, Option<&'a str>),
    DataStream(Option<&'a str>),
    IlmPolicy(Option<&'a str>),
    Index(&'a str),
    Doc(&'a str, Option<&'a str>),
    Create(&'a str, &'a str),
    Source(&'a str, &'a str),
    Update(&'a str, &'a str),
    Mget(Option<&'a str>),
    Pipeline(Option<&'a str>),
    Scroll(Option<&'a str>),
    Forcemerge(Option<&'a str>),
    Close(&'a str),
    Open(&'a str),
}

use Method as M;

const GET: &[M] = &[M::GET];
const GET_HEAD: &[M] = &[M::GET, M::HEAD];
const GET_POST: &[M] = &[M::GET, M::POST];
const POST: &[M] = &[M::POST];
const PUT_POST: &[M] = &[M::PUT, M::POST];
const GET_PUT: &[M] = &[M::GET, M::PUT];
const GET_PUT_POST: &[M] = &[M::GET, M::PUT, M::POST];
const INDEX: &[M] = &[M::GET, M::HEAD, M::PUT, M::DELETE];
const DOC: &[M] = &[M::GET, M::HEAD, M::PUT, M::POST, M::DELETE];
const TEMPLATE: &[M] = &[M::GET, M::HEAD, M::PUT, M::POST, M::DELETE];
const GET_PUT_DELETE: &[M] = &[M::GET, M::PUT, M::DELETE];
const SCROLL: &[M] = &[M::GET, M::POST, M::DELETE];

/// The endpoint of a path and the methods it takes.
pub(crate) fn route(segs: &[String]) -> Option<(Ep<'_>, &'static [Method])> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    Some(match s.as_slice() {
        [] => (Ep::Root, GET_HEAD),
        ["_bulk"] => (Ep::Bulk(None), PUT_POST),
        ["_search"] => (Ep::Search(None), GET_POST),
        ["_search", "scroll"] => (Ep::Scroll(None), SCROLL),
        ["_search", "scroll", id] => (Ep::Scroll(Some(id)), SCROLL),
        ["_msearch"] => (Ep::Msearch(None), GET_POST),
        ["_count"] => (Ep::Count(None), GET_POST),
        ["_refresh"] => (Ep::Refresh(None), GET_POST),
        ["_forcemerge"] => (Ep::Forcemerge(None), POST),
        ["_field_caps"] => (Ep::FieldCaps(None), GET_POST),
        ["_mapping"] => (Ep::Mapping(None), GET),
        ["_settings"] => (Ep::Settings(None), GET),
        ["_license"] => (Ep::License, GET),
        ["_xpack"] => (Ep::Xpack, GET),
        ["_cluster", "health"] => (Ep::Health(None), GET),
        ["_cluster", "health", i] => (Ep::Health(Some(i)), GET),
        ["_cat"] => (Ep::Cat, GET),
        ["_cat", "indices"] => (Ep::CatIndices(None), GET),
        ["_cat", "indices", i] => (Ep::CatIndices(Some(i)), GET),
        ["_cat", "health"] => (Ep::CatHealth, GET),
        ["_index_template"] => (Ep::Template(None, false), GET),
        ["_index_template", n] => (Ep::Template(Some(n), false), TEMPLATE),
        ["_template"] => (Ep::Template(None, true), GET),
        ["_template", n] => (Ep::Template(Some(n), true), TEMPLATE),
        ["_security", "_authenticate"] => (Ep::Authenticate, GET),
        ["_aliases"] => (Ep::Aliases, GET_POST),
        ["_mget"] => (Ep::Mget(None), GET_POST),
        ["_ingest", "pipeline"] => (Ep::Pipeline(None), GET),
        ["_ingest", "pipeline", n] => (Ep::Pipeline(Some(n)), GET_PUT_DELETE),
        ["_alias"] => (Ep::Alias(None, None), GET),
        ["_alias", n] => (Ep::Alias(None, Some(n)), GET_HEAD),
        ["_data_stream"] => (Ep::DataStream(None), GET),
        ["_data_stream", n] => (Ep::DataStream(Some(n)), GET_PUT_DELETE),
        ["_ilm", "policy"] => (Ep::IlmPolicy(None), GET),
        ["_ilm", "policy", n] => (Ep::IlmPolicy(Some(n)), GET_PUT_DELETE),
        [i, "_alias" | "_aliases"] => (Ep::Alias(Some(i), None), GET),
        [i, "_alias" | "_aliases", n] => (Ep::Alias(Some(i), Some(n)), TEMPLATE),
        [i] => (Ep::Index(i), INDEX),
        [i, "_bulk"] => (Ep::Bulk(Some(i)), PUT_POST),
        [i, "_search"] => (Ep::Search(Some(i)), GET_POST),
        [i, "_msearch"] => (Ep::Msearch(Some(i)), GET_POST),
        [i, "_count"] => (Ep::Count(Some(i)), GET_POST),
        [i, "_refresh"] => (Ep::Refresh(Some(i)), GET_POST),
        [i, "_forcemerge"] => (Ep::Forcemerge(Some(i)), POST),
        [i, "_close"] => (Ep::Close(i), POST),
        [i, "_open"] => (Ep::Open(i), POST),
        [i, "_field_caps"] => (Ep::FieldCaps(Some(i)), GET_POST),
        [i, "_mapping"] => (Ep::Mapping(Some(i)), GET_PUT_POST),
        [i, "_settings"] => (Ep::Settings(Some(i)), GET_PUT),
        [i, "_delete_by_query"] => (Ep::DeleteByQuery(i), POST),
        [i, "_doc"] => (Ep::Doc(i, None), POST),
        [i, "_doc", id] => (Ep::Doc(i, Some(id)), DOC),
        [i, "_create", id] => (Ep::Create(i, id), PUT_POST),
        [i, "_source", id] => (Ep::Source(i, id), GET_HEAD),
        [i, "_update", id] => (Ep::Update(i, id), POST),
        [i, "_mget"] => (Ep::Mget(Some(i)), GET_POST),
        _ => return None,
    })
}

/// Answers one request.
pub(crate) fn dispatch(st: &EsState, req: &Req) -> Result<Reply, EsError> {
    let Some((ep, methods)) = route(&req.segs) else {
        return Err(EsError::Text {
            status: 400,
            text: format!(
                "no handler found for uri [{}] and method [{}]",
                req.uri, req.method
            ),
        });
    };
    if !methods.contains(&req.method) {
        let allowed: Vec<&str> = methods.iter().map(Method::as_str).collect();
        return Err(EsError::Text {
            status: 405,
            text: format!(
                "Incorrect HTTP method for uri [{}] and method [{}], allowed: [{}]",
                req.uri,
                req.method,
                allowed.join(", ")
            ),
        });
    }
    let m = &req.method;
    match ep {
        Ep::Root => cluster::root(st, req),
        Ep::License => cluster::license(),
        Ep::Xpack => cluster::xpack(),
        Ep::Health(i) => cluster::health(st, req, i),
        Ep::Cat => cluster::cat(),
        Ep::CatIndices(i) => cluster::cat_indices(st, req, i),
        Ep::CatHealth => cluster::cat_health(st, req),
        Ep::Authenticate => Ok(Reply::Json(
            200,
            st.auth.authenticate_body(req.user.as_deref())?,
        )),
        Ep::Bulk(i) => bulk::bulk(st, req, i),
        Ep::Search(i) => search::search(st, req, i),
        Ep::Msearch(i) => search::msearch(st, req, i),
        Ep::Count(i) => search::count(st, req, i),
        Ep::Refresh(i) => indices::refresh(st, req, i),
        Ep::Forcemerge(i) => indices::forcemerge(st, req, i),
        Ep::Close(i) => indices::close(st, req, i, true),
        Ep::Open(i) => indices::close(st, req, i, false),
        Ep::FieldCaps(i) => indices::field_caps(st, req, i),
        Ep::Mapping(i) if *m == M::GET => indices::get_mapping(st, req, i),
        Ep::Mapping(i) => indices::put_mapping(st, req, i.unwrap_or_default()),
        Ep::Settings(i) if *m == M::GET => indices::get_settings(st, req, i),
        Ep::Settings(i) => indices::put_settings(st, req, i.unwrap_or_default()),
        Ep::DeleteByQuery(i) => indices::delete_by_query(st, req, i),
        Ep::Template(n, legacy) => indices::template(st, req, n, legacy),
        Ep::Aliases if *m == M::GET => indices::alias(st, req, None, None),
        Ep::Aliases => Ok(Reply::Json(
            200,
            st.store.update_aliases(&req.required_json()?)?,
        )),
        Ep::Alias(i, n) => indices::alias(st, req, i, n),
        Ep::DataStream(n) => indices::data_stream(st, req, n),
        Ep::IlmPolicy(n) => cluster::ilm_policy(st, req, n),
        Ep::Index(i) => match *m {
            M::HEAD => indices::exists(st, i),
            M::GET => indices::get_index(st, req, i),
            M::PUT => indices::create(st, req, i),
            _ => indices::delete(st, i),
        },
        Ep::Doc(i, id) => match *m {
            M::GET => documents::get(st, req, i, id.unwrap_or_default(), false),
            M::HEAD => documents::get(st, req, i, id.unwrap_or_default(), true),
            M::DELETE => documents::delete(st, req, i, id.unwrap_or_default()),
            _ => documents::index(st, req, i, id, false),
        },
        Ep::Create(i, id) => documents::index(st, req, i, Some(id), true),
        Ep::Source(i, id) => documents::source(st, req, i, id, *m == M::HEAD),
        Ep::Update(i, id) => documents::update(st, req, i, id),
        Ep::Mget(i) => documents::mget(st, req, i),
        Ep::Pipeline(n) => cluster::pipeline(st, req, n),
        Ep::Scroll(id) if *m == M::DELETE => scroll::clear(st, req, id),
        Ep::Scroll(id) => scroll::next(st, req, id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        super::super::request::segments(p)
    }

    #[test]
    fn paths_map_to_endpoints() {
        let s = segs("/logs-1/_doc/abc");
        assert_eq!(route(&s).unwrap().0, Ep::Doc("logs-1", Some("abc")));
        let s = segs("/_cluster/health/logs-*");
        assert_eq!(route(&s).unwrap().0, Ep::Health(Some("logs-*")));
        let s = segs("/a/_search");
        assert_eq!(route(&s).unwrap().0, Ep::Search(Some("a")));
        let s = segs("/_search");
        assert_eq!(route(&s).unwrap().0, Ep::Search(None));
        assert!(route(&segs("/a/b/c/d")).is_none());
        assert!(route(&segs("/a/_nope")).is_none());
    }
}
