#!/usr/bin/env bash
# The official Elasticsearch Python client (elasticsearch 8.x) against
# Outpost's Elasticsearch API: info, index create with mappings, index/get,
# helpers.bulk, search (query, sort, highlight), count, msearch, date_histogram
# and terms aggregations, get_mapping, cat.indices, index templates,
# delete_by_query and NotFoundError with security off; then, with a stack whose
# elasticsearch.yml enables security, basic auth with ELASTIC_PASSWORD works
# and missing or wrong credentials raise AuthenticationException.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

PY="$REPO/tests/interop/.venv/bin/python"
[ -x "$PY" ] || fail "no venv (run tests/interop/run.sh without --no-install)"
"$PY" -c 'import elasticsearch' 2>/dev/null || fail "no elasticsearch client in the venv (tests/interop/requirements.txt)"

stack() { # stack DIR SECURITY
  mkdir -p "$1/prometheus" "$1/elasticsearch"
  printf 'global:\n  scrape_interval: 15s\n' >"$1/prometheus/prometheus.yml"
  printf 'cluster.name: "py-client"\nxpack.security.enabled: %s\n' "$2" >"$1/elasticsearch/elasticsearch.yml"
}

cat >"$WORK/open.py" <<'PY'
import sys
from elasticsearch import Elasticsearch, NotFoundError, BadRequestError, helpers

es = Elasticsearch(f"http://{sys.argv[1]}", request_timeout=20)
IDX = "py-logs"

def eq(got, want, what):
    assert got == want, f"{what}: got {got!r}, want {want!r}"

info = es.info()
assert info["version"]["number"].startswith("8."), info
eq(info["tagline"], "You Know, for Search", "tagline")

r = es.indices.create(index=IDX, mappings={"properties": {
    "@timestamp": {"type": "date"}, "service": {"type": "keyword"},
    "message": {"type": "text"}, "latency_ms": {"type": "long"}}})
eq(r["acknowledged"], True, "create acknowledged")
eq(r["index"], IDX, "create index")
assert es.indices.exists(index=IDX)
assert not es.indices.exists(index="no-such-index")

# One document by hand, read back as sent.
doc1 = {"@timestamp": "2026-01-01T05:00:00Z", "service": "checkout",
        "message": "payment timeout upstream", "latency_ms": 950}
r = es.index(index=IDX, id="1", document=doc1, refresh=True)
eq(r["result"], "created", "index result")
eq(r["_id"], "1", "index _id")
g = es.get(index=IDX, id="1")
eq(g["found"], True, "get found")
eq(g["_source"], doc1, "get _source")

# 20 more through helpers.bulk: one every 10 minutes from midnight, services
# in turn, every third one a timeout.
SERVICES = ["checkout", "search", "cart", "payment"]
def action(i):
    return {"_index": IDX, "_id": f"b{i}", "_source": {
        "@timestamp": f"2026-01-01T{i * 10 // 60:02d}:{i * 10 % 60:02d}:00Z",
        "service": SERVICES[i % 4],
        "message": "request timeout after retry" if i % 3 == 0 else "request ok",
        "latency_ms": 10 * i}}
ok, errors = helpers.bulk(es, (action(i) for i in range(20)), refresh=True)
eq((ok, errors), (20, []), "helpers.bulk")

# Search: query, sort, highlight.
s = es.search(index=IDX, query={"match": {"message": "timeout"}}, size=3,
              sort=[{"@timestamp": {"order": "desc"}}], highlight={"fields": {"message": {}}})
eq(s["hits"]["total"], {"value": 8, "relation": "eq"}, "search total")
eq([h["_id"] for h in s["hits"]["hits"]], ["1", "b18", "b15"], "search order")
eq(s["hits"]["hits"][0]["highlight"]["message"], ["payment <em>timeout</em> upstream"], "highlight")
eq(s["hits"]["hits"][1]["sort"], [1767236400000], "sort value (epoch ms)")
eq(s["hits"]["hits"][1]["_source"]["latency_ms"], 180, "_source in hit")

eq(es.count(index=IDX, query={"term": {"service": "checkout"}})["count"], 6, "count checkout")
eq(es.count(index=IDX)["count"], 21, "count all")
eq(es.count(index=IDX, q="message:timeout AND service:cart")["count"], 2, "count q=")

# msearch: one good search, one on a missing index.
m = es.msearch(searches=[
    {"index": IDX}, {"query": {"match": {"message": "timeout"}}, "size": 0},
    {"index": "no-such-index"}, {"query": {"match_all": {}}}])
eq(len(m["responses"]), 2, "msearch responses")
eq(m["responses"][0]["hits"]["total"]["value"], 8, "msearch first total")
eq(m["responses"][0].get("status"), 200, "msearch first status")
eq(m["responses"][1]["status"], 404, "msearch second status")
eq(m["responses"][1]["error"]["type"], "index_not_found_exception", "msearch second error")

# Aggregations: hourly date_histogram (empty hour filled) and terms.
a = es.search(index=IDX, size=0, aggs={
    "per_hour": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h"}},
    "services": {"terms": {"field": "service"}}})["aggregations"]
eq([(b["key"], b["doc_count"]) for b in a["per_hour"]["buckets"]],
   [(1767225600000 + h * 3600000, n) for h, n in enumerate([6, 6, 6, 2, 0, 1])], "date_histogram buckets")
eq(a["per_hour"]["buckets"][0]["key_as_string"], "2026-01-01T00:00:00.000Z", "key_as_string")
eq([(b["key"], b["doc_count"]) for b in a["services"]["buckets"]],
   [("checkout", 6), ("cart", 5), ("payment", 5), ("search", 5)], "terms buckets")
eq(a["services"]["sum_other_doc_count"], 0, "terms sum_other_doc_count")

# Mapping as created, plus a dynamic field from the documents.
mp = es.indices.get_mapping(index=IDX)[IDX]["mappings"]["properties"]
eq(mp["service"], {"type": "keyword"}, "service mapping")
eq(mp["message"], {"type": "text"}, "message mapping")
eq(mp["@timestamp"]["type"], "date", "@timestamp mapping")

cat = es.cat.indices(index=IDX, format="json")
eq(len(cat), 1, "cat rows")
eq(cat[0]["index"], IDX, "cat index")
eq(cat[0]["docs.count"], "21", "cat docs.count")
assert cat[0]["health"] in ("green", "yellow"), cat[0]

# An index template decides the mapping of a new matching index.
r = es.indices.put_index_template(name="py-tmpl", index_patterns=["py-tmpl-*"],
                                  template={"mappings": {"properties": {"code": {"type": "keyword"}}}})
eq(r["acknowledged"], True, "put_index_template")
es.index(index="py-tmpl-1", id="x", document={"code": "200", "note": "from template"}, refresh=True)
tm = es.indices.get_mapping(index="py-tmpl-1")["py-tmpl-1"]["mappings"]["properties"]
eq(tm["code"], {"type": "keyword"}, "templated mapping")
eq(tm["note"]["type"], "text", "dynamic text field")
eq(tm["note"]["fields"]["keyword"]["type"], "keyword", "dynamic .keyword sub-field")
t = es.indices.get_index_template(name="py-tmpl")["index_templates"]
eq([x["name"] for x in t], ["py-tmpl"], "get_index_template")

# delete_by_query removes exactly the matching documents.
d = es.delete_by_query(index=IDX, query={"term": {"service": "search"}}, refresh=True)
eq(d["deleted"], 5, "delete_by_query deleted")
eq(es.count(index=IDX)["count"], 16, "count after delete_by_query")
eq(es.count(index=IDX, query={"term": {"service": "search"}})["count"], 0, "deleted service gone")

# Errors map to the client's exceptions.
try:
    es.get(index="no-such-index", id="1")
    raise AssertionError("get on a missing index did not raise")
except NotFoundError as e:
    eq(e.meta.status, 404, "NotFoundError status")
    eq(e.body["error"]["type"], "index_not_found_exception", "NotFoundError type")
try:
    es.search(index=IDX, query={"no_such_query": {}})
    raise AssertionError("unknown query type did not raise")
except BadRequestError as e:
    eq(e.meta.status, 400, "unknown query status")
print("ok")
PY

cat >"$WORK/auth.py" <<'PY'
import sys
from elasticsearch import Elasticsearch, AuthenticationException

url, pw = f"http://{sys.argv[1]}", sys.argv[2]
es = Elasticsearch(url, basic_auth=("elastic", pw), request_timeout=20)
assert es.info()["tagline"] == "You Know, for Search"
es.index(index="secure", id="1", document={"message": "hello"}, refresh=True)
assert es.get(index="secure", id="1")["_source"] == {"message": "hello"}
assert es.count(index="secure")["count"] == 1
for label, client in [("no credentials", Elasticsearch(url, request_timeout=20)),
                      ("wrong password", Elasticsearch(url, basic_auth=("elastic", pw + "x"), request_timeout=20))]:
    try:
        client.count(index="secure")
        raise AssertionError(f"{label}: no error")
    except AuthenticationException as e:
        assert e.meta.status == 401, (label, e.meta.status)
        assert e.body["error"]["type"] == "security_exception", (label, e.body)
        assert "WWW-Authenticate" in e.meta.headers or "www-authenticate" in e.meta.headers, (label, e.meta.headers)
print("ok")
PY

stack "$WORK/open" false
start_outpost "$WORK/open"
"$PY" "$WORK/open.py" "$(listener_addr elasticsearch)" || fail "python client against an open outpost"

stack "$WORK/secure" true
rm -f "$WORK/ports.json"
ELASTIC_PASSWORD=interop-pw start_outpost "$WORK/secure"
"$PY" "$WORK/auth.py" "$(listener_addr elasticsearch)" interop-pw || fail "python client with security enabled"
echo "elasticsearch-py $("$PY" -c 'import elasticsearch; print(elasticsearch.__versionstr__)'): bulk, get, search, count, msearch, aggs, mapping, cat, templates, delete_by_query, auth on and off"
