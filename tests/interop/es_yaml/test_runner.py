#!/usr/bin/env python3
"""Unit tests of the YAML test runner: parsing, stash, paths, matching, request
building and catch handling, against an in-process fake server."""

import http.server
import io
import json
import os
import sys
import tempfile
import threading
import unittest

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner as r  # noqa: E402


class FakeES(http.server.BaseHTTPRequestHandler):
    """Records requests; answers a few canned routes."""

    protocol_version = "HTTP/1.1"
    seen = []
    docs = {}

    def log_message(self, *a):
        pass

    def _send(self, status, obj, ctype="application/json"):
        data = obj.encode() if isinstance(obj, str) else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        FakeES.seen.append((self.command, self.path, self.headers.get("Content-Type"), body))
        p = self.path
        if p.startswith("/test/_doc/1") and self.command == "PUT":
            FakeES.docs["1"] = json.loads(body)
            return self._send(201, {"_index": "test", "_id": "1", "result": "created", "_version": 1})
        if p.startswith("/test/_doc/1") and self.command == "GET":
            if "1" not in FakeES.docs:
                return self._send(404, {"_index": "test", "_id": "1", "found": False})
            return self._send(200, {"_index": "test", "_id": "1", "found": True, "_source": FakeES.docs["1"]})
        if p.startswith("/test/_doc") and self.command == "POST":
            return self._send(201, {"_index": "test", "_id": "auto1", "result": "created"})
        if p.startswith("/_bulk"):
            lines = [line for line in body.split("\n") if line]
            return self._send(200, {"errors": False, "items": [{"index": {"status": 201}}] * (len(lines) // 2)})
        if p.startswith("/missing/_search"):
            return self._send(404, {"error": {"type": "index_not_found_exception", "reason": "no such index [missing]"}, "status": 404})
        if p.startswith("/_cat/indices") and "format=json" not in p:
            return self._send(200, "green open test 1 0\n", "text/plain")
        if p.startswith("/_cat/indices"):
            return self._send(200, [])
        if self.command == "HEAD":
            return self._send(200 if p.startswith("/test") else 404, "")
        if p.startswith("/test/_search") or p.startswith("/_search"):
            return self._send(200, {"hits": {"total": {"value": 1, "relation": "eq"}, "max_score": 1.0,
                                             "hits": [{"_id": "1", "_score": 1.0, "_source": {"a.b": 1, "n": [1, 2]}}]}})
        if self.command == "DELETE":
            return self._send(200, {"acknowledged": True})
        return self._send(400, {"error": {"type": "illegal_argument_exception", "reason": "no route " + p}, "status": 400})

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


SPEC = {
    "index": {"url": {"paths": [
        {"path": "/{index}/_doc/{id}", "methods": ["PUT", "POST"], "parts": {"index": {}, "id": {}}},
        {"path": "/{index}/_doc", "methods": ["POST"], "parts": {"index": {}}}]},
        "params": {"refresh": {}}, "body": {"required": True}},
    "get": {"url": {"paths": [{"path": "/{index}/_doc/{id}", "methods": ["GET"], "parts": {"index": {}, "id": {}}}]},
            "params": {"realtime": {}}},
    "bulk": {"url": {"paths": [{"path": "/_bulk", "methods": ["POST", "PUT"]},
                               {"path": "/{index}/_bulk", "methods": ["POST", "PUT"], "parts": {"index": {}}}]},
             "params": {"refresh": {}}, "body": {"serialize": "bulk"}},
    "search": {"url": {"paths": [{"path": "/_search", "methods": ["GET", "POST"]},
                                 {"path": "/{index}/_search", "methods": ["GET", "POST"], "parts": {"index": {}}}]},
               "params": {"rest_total_hits_as_int": {}, "size": {}}},
    "indices.exists": {"url": {"paths": [{"path": "/{index}", "methods": ["HEAD"], "parts": {"index": {}}}]}, "params": {}},
    "cat.indices": {"url": {"paths": [{"path": "/_cat/indices", "methods": ["GET"]}]}, "params": {"h": {}}},
}


class RunnerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeES)
        cls.thread = threading.Thread(target=cls.srv.serve_forever, daemon=True)
        cls.thread.start()
        cls.suite = tempfile.mkdtemp()
        os.makedirs(os.path.join(cls.suite, "api"))
        os.makedirs(os.path.join(cls.suite, "test", "demo"))
        for name, spec in SPEC.items():
            with open(os.path.join(cls.suite, "api", name + ".json"), "w") as f:
                json.dump({name: spec}, f)

    @classmethod
    def tearDownClass(cls):
        cls.srv.shutdown()

    def setUp(self):
        FakeES.seen.clear()
        FakeES.docs.clear()
        url = f"http://127.0.0.1:{self.srv.server_address[1]}"
        self.runner = r.Runner(r.Client(url), self.suite, out=io.StringIO())

    def tearDown(self):
        self.runner.client.close()

    def run_yaml(self, text, skips=None):
        path = os.path.join(self.suite, "test", "demo", "t.yml")
        with open(path, "w") as f:
            f.write(text)
        return self.runner.run_file("demo/t.yml", skips or {})

    # -- loading and skips

    def test_yaml_dates_stay_strings_and_yes_is_not_bool(self):
        (doc,) = r.load_yaml_docs("a: 2016-01-01\nb: yes\nc: true\nd: 1.5\n")
        self.assertEqual(doc, {"a": "2016-01-01", "b": "yes", "c": True, "d": 1.5})

    def test_version_ranges(self):
        self.assertTrue(r.version_in_ranges(" - 7.9.99", "7.9.1"))
        self.assertTrue(r.version_in_ranges(" - 2.99.99", "2.19.0"))
        self.assertFalse(r.version_in_ranges(" - 2.99.99", "3.99.0"))
        self.assertTrue(r.version_in_ranges("2.0.0 - ", "3.99.0"))
        self.assertTrue(r.version_in_ranges("- 3.0.99, 3.7.0 - ", "3.99.0"))
        self.assertFalse(r.version_in_ranges("- 3.0.99, 3.7.0 - ", "3.5.0"))
        self.assertTrue(r.version_in_ranges("all", "1.0.0"))
        # legacy Elasticsearch versions sort before OpenSearch 1.0.0
        self.assertFalse(r.version_in_ranges(" - 7.9.99", "3.99.0"))
        self.assertTrue(r.version_in_ranges("6.0.0 - ", "1.0.0"))

    def test_skip_reasons(self):
        self.assertIn("version", r.skip_reason([{"skip": {"version": "all", "reason": "x"}}], "3.99.0"))
        self.assertIn("yaml", r.skip_reason([{"skip": {"features": ["headers", "yaml"]}}], "3.99.0"))
        self.assertIsNone(r.skip_reason([{"skip": {"features": "headers"}}], "3.99.0"))
        self.assertIsNone(r.skip_reason([{"do": {}}], "3.99.0"))

    # -- paths, stash, matching

    def test_split_path_escapes_and_indexes(self):
        self.assertEqual(r.split_path(r"hits.hits.0._source.a\.b"), ["hits", "hits", "0", "_source", "a.b"])
        st = r.Stash()
        body = {"hits": {"hits": [{"_source": {"a.b": 1}}]}}
        self.assertEqual(r.resolve(body, r"hits.hits.0._source.a\.b", st), 1)
        self.assertIs(r.resolve(body, "hits.hits.3", st), r._MISSING)
        self.assertIs(r.resolve(body, "hits.nope", st), r._MISSING)
        self.assertEqual(r.resolve(body, "", st), body)

    def test_stash_substitution(self):
        st = r.Stash()
        st.values["id"] = 7
        st.values["host"] = "n1"
        self.assertEqual(st.sub("$id"), 7)
        self.assertEqual(st.sub("x-${id}-y"), "x-7-y")
        self.assertEqual(st.sub({"$host": ["$id"]}), {"n1": [7]})
        self.assertEqual(r.resolve({"nodes": {"n1": {"v": 3}}}, "nodes.$host.v", st), 3)
        with self.assertRaises(r.Failure):
            st.sub("$nope")

    def test_match_semantics(self):
        self.assertEqual(r.match_value(1, 1.0), [])  # numbers at the top level compare by value
        self.assertTrue(r.match_value({"a": 1}, {"a": 1.0}))  # nested values keep their type
        self.assertTrue(r.match_value("1", 1))
        self.assertEqual(r.match_value("/^ab\\d+$/", "ab12"), [])
        self.assertEqual(r.match_value("/true/", True), [])
        self.assertTrue(r.match_value("/^x/", "yx"))
        self.assertEqual(r.match_value(None, r._MISSING), [])
        self.assertEqual(r.match_value({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}), [])
        lines = r.match_value({"a": 1, "b": 2}, {"a": 2, "c": 3})
        self.assertIn("a: expected 1, got 2", lines)
        self.assertIn("b: missing, expected 2", lines)
        self.assertIn("c: unexpected, got 3", lines)
        self.assertTrue(r.match_value(True, 1))

    def test_truthiness(self):
        for v in (r._MISSING, None, False, 0, "", "false", "0", 0.0):
            self.assertFalse(r.truthy(v), v)
        for v in (True, 1, "x", {}, [], {"a": 1}):
            self.assertTrue(r.truthy(v), v)

    # -- requests

    def test_index_get_and_assertions_pass(self):
        res = self.run_yaml("""
"t":
  - do:
      index: {index: test, id: 1, refresh: true, body: {f: 2016-01-01, n: 1}}
  - match: {result: created}
  - set: {_id: the_id}
  - do:
      get: {index: test, id: $the_id}
  - match: {_source: {f: "2016-01-01", n: 1}}
  - match: {_id: "/^\\\\d$/"}
  - length: {_source: 2}
  - is_true: found
  - is_false: nope
  - gt: {_source.n: 0}
  - lte: {_source.n: 1}
""")
        self.assertEqual(res, [("t", "pass", "")], res)
        method, path, ctype, body = FakeES.seen[0]
        self.assertEqual((method, path, ctype), ("PUT", "/test/_doc/1?refresh=true", "application/json"))
        self.assertEqual(json.loads(body), {"f": "2016-01-01", "n": 1})
        self.assertEqual(FakeES.seen[1][:2], ("GET", "/test/_doc/1"))
        # the wipe between tests deletes the indices the test named, then everything else
        deletes = [s[1] for s in FakeES.seen if s[0] == "DELETE"]
        self.assertEqual(deletes[:2], ["/test?ignore_unavailable=true", "/*?expand_wildcards=all"])

    def test_failure_names_step_and_diff(self):
        res = self.run_yaml("""
"t":
  - do:
      search: {index: test, body: {query: {match_all: {}}}}
  - match: {hits.total.value: 2}
""")
        (name, status, detail) = res[0]
        self.assertEqual(status, "fail")
        self.assertIn("test step 2 (match", detail)
        self.assertIn("expected 2, got 1", detail)
        # a body on a GET/POST api goes by POST
        self.assertEqual(FakeES.seen[0][:2], ("POST", "/test/_search"))

    def test_bulk_list_is_ndjson(self):
        res = self.run_yaml("""
"t":
  - do:
      bulk:
        refresh: true
        body:
          - index: {_index: test, _id: "1"}
          - {f: 1}
          - '{"index": {"_index": "test"}}'
          - {f: 2}
  - match: {errors: false}
  - length: {items: 2}
""")
        self.assertEqual(res[0][1], "pass", res)
        method, path, ctype, body = FakeES.seen[0]
        self.assertEqual((method, path, ctype), ("POST", "/_bulk?refresh=true", "application/x-ndjson"))
        self.assertIn(("DELETE", "/test?ignore_unavailable=true"), [s[:2] for s in FakeES.seen])
        self.assertTrue(body.endswith("\n"))
        self.assertEqual(len(body.strip().split("\n")), 4)

    def test_catch_variants(self):
        res = self.run_yaml("""
"missing":
  - do:
      catch: missing
      search: {index: missing}
  - match: {error.type: index_not_found_exception}
---
"regex":
  - do:
      catch: /no.such.index/
      search: {index: missing}
---
"regex with spaces":
  - do:
      catch: /no such index \\[missing\\]/
      search: {index: missing}
---
"wrong status":
  - do:
      catch: conflict
      search: {index: missing}
---
"no error":
  - do:
      catch: missing
      search: {index: test}
---
"param":
  - do:
      catch: param
      search: {index: test, bogus: 1}
---
"unknown param fails":
  - do:
      search: {index: test, bogus: 1}
---
"ignore":
  - do:
      get: {index: test, id: 1, ignore: 404}
  - match: {found: false}
""")
        got = {n: s for n, s, _ in res}
        self.assertEqual(got, {"missing": "pass", "regex": "pass", "regex with spaces": "pass", "wrong status": "fail", "no error": "fail",
                               "param": "pass", "unknown param fails": "fail", "ignore": "pass"})

    def test_head_text_setup_teardown_and_skips(self):
        res = self.run_yaml("""
setup:
  - do:
      index: {index: test, id: 1, body: {a: 1}}
---
teardown:
  - do:
      indices.exists: {index: test}
---
"exists and text":
  - do:
      indices.exists: {index: test}
  - is_true: ''
  - do:
      indices.exists: {index: nope}
  - is_false: ''
  - do:
      cat.indices: {h: index}
  - match: {$body: "/^green \\\\s+ open/"}
---
"version skip":
  - skip: {version: " - 7.0.0", reason: old}
  - do: {get: {index: test, id: 1}}
---
"listed outside":
  - do: {get: {index: test, id: 1}}
---
"no api":
  - do: {nosuch.api: {}}
""", skips={("demo/t.yml", "listed outside"): "routing"})
        got = {n: (s, d) for n, s, d in res}
        self.assertEqual(got["exists and text"], ("pass", ""))
        self.assertEqual(got["version skip"][0], "pass")  # 3.99 is outside " - 7.0.0"
        self.assertEqual(got["listed outside"], ("skip", "outside #18: routing"))
        self.assertEqual(got["no api"][0], "fail")
        self.assertIn("no spec", got["no api"][1])
        heads = [s for s in FakeES.seen if s[0] == "HEAD"]
        self.assertGreaterEqual(len(heads), 3)  # test + teardown

    def test_file_level_skip(self):
        res = self.run_yaml("""
setup:
  - skip: {features: node_selector_v2, reason: x}
---
"a":
  - do: {get: {index: test, id: 1}}
""")
        self.assertEqual(res[0][1], "skip")
        self.assertIn("node_selector_v2", res[0][2])
        self.assertEqual(FakeES.seen, [])

    def test_stale_skip_entries_are_reported(self):
        self.run_yaml('"a":\n  - do: {get: {index: test, id: 1}}\n')
        self.assertEqual(r.stale_skips(self.suite, {("demo/t.yml", "a"): "x", ("demo/t.yml", "*"): "x"}), [])
        self.assertEqual(r.stale_skips(self.suite, {("demo/t.yml", "b"): "x"}), ["no test 'b' in demo/t.yml"])
        self.assertEqual(r.stale_skips(self.suite, {("demo/u.yml", "*"): "x"}), ["no test file demo/u.yml"])

    def test_expected_file_parsing(self):
        path = os.path.join(self.suite, "exp.tsv")
        with open(path, "w") as f:
            f.write("# comment\nbulk\t3\nsearch 10\n")
        self.assertEqual(r.load_expected(path), {"bulk": 3, "search": 10})


if __name__ == "__main__":
    unittest.main()
