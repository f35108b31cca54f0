#!/usr/bin/env python3
"""Runs the Elasticsearch/OpenSearch REST API YAML tests against a server.

The tests and API specs are read from the conformance data
(`../shared/conformance/opensearch-rest-api-tests/`, never copied). The YAML
test format (setup/teardown, do/catch, match/length/is_true/is_false,
gt/gte/lt/lte, set, skip) is implemented here from its published description;
this is our own code.

Every test ends as pass, fail or skip. A skip always prints its reason: the
test's own `skip` section (version range, a runner feature we lack) or an
entry in `skips.tsv` (a feature outside the log-store issue). Skips are never
counted as passes. With `--expected FILE` the per-directory pass counts are
gated against a recorded floor: fewer passes fail the run, more passes are
reported so the record can be raised.

Usage: runner.py --url http://127.0.0.1:9200 [--suite DIR] [--only DIR,...]
                 [--file PATH] [--expected TSV] [-v]
"""

import argparse
import base64
import glob
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

import yaml

# Features of the YAML format this runner implements (a test whose skip lists
# any other feature is skipped with that reason).
SUPPORTED_FEATURES = {
    "headers",
    "allowed_warnings",
    "allowed_warnings_regex",
    "catch_unauthorized",
    "default_shards",
    "stash_in_key",
    "stash_in_path",
    "embedded_stash_key",
    "contains",
    "arbitrary_key",
    "node_selector",
}

# The version the runner claims when evaluating `skip.version` ranges. The
# suite is OpenSearch's, so versions are OpenSearch's; we run the newest
# expectations.
DEFAULT_VERSION = "3.99.0"

# Query parameters every API accepts (plus the client-side `ignore`).
GLOBAL_PARAMS = {"pretty", "human", "error_trace", "source", "filter_path", "ignore"}

# APIs the tests call that the stored specs lack.
BUILTIN_SPECS = {
    "field_caps": {
        "url": {
            "paths": [
                {"path": "/_field_caps", "methods": ["GET", "POST"]},
                {"path": "/{index}/_field_caps", "methods": ["GET", "POST"], "parts": {"index": {}}},
            ]
        },
        "params": {
            k: {}
            for k in (
                "fields",
                "ignore_unavailable",
                "allow_no_indices",
                "expand_wildcards",
                "include_unmapped",
            )
        },
        "body": {},
    },
    "indices.refresh": {
        "url": {
            "paths": [
                {"path": "/_refresh", "methods": ["POST", "GET"]},
                {"path": "/{index}/_refresh", "methods": ["POST", "GET"], "parts": {"index": {}}},
            ]
        },
        "params": {k: {} for k in ("ignore_unavailable", "allow_no_indices", "expand_wildcards")},
    },
}

CATCH_STATUS = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "missing": 404,
    "request_timeout": 408,
    "conflict": 409,
    "unavailable": 503,
}


# ---------------------------------------------------------------- YAML loading


class _Loader(yaml.SafeLoader):
    """YAML as the Java runner reads it: dates stay strings, only true/false are booleans."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in rs if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for ch, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml_docs(text):
    """The documents of one test file (empty ones dropped)."""
    return [d for d in yaml.load_all(text, Loader=_Loader) if d]


def parse_test_file(text):
    """(setup steps, teardown steps, [(name, steps)]) of one test file."""
    setup, teardown, tests = [], [], []
    for doc in load_yaml_docs(text):
        if not isinstance(doc, dict):
            raise ValueError("a test file section must be a mapping")
        for name, steps in doc.items():
            steps = steps or []
            if name == "setup":
                setup = steps
            elif name == "teardown":
                teardown = steps
            else:
                tests.append((str(name), steps))
    return setup, teardown, tests


# ---------------------------------------------------------------- skips


def parse_version(v):
    """A version string as a comparable tuple (non-numeric parts ignored).

    The suite mixes Elasticsearch versions (tests from before the fork: 0.x,
    5.x-7.x) and OpenSearch versions (1.x-3.x); as OpenSearch orders them, every
    legacy Elasticsearch version sorts before OpenSearch 1.0.0.
    """
    nums = []
    for part in v.strip().split("."):
        m = re.match(r"\d+", part)
        nums.append(int(m.group()) if m else 0)
    while len(nums) < 3:
        nums.append(0)
    legacy = nums[0] >= 5 or nums[0] == 0
    return (0 if legacy else 1,) + tuple(nums[:3])


def version_in_ranges(ranges, current):
    """Whether `current` lies in a skip range such as ' - 7.9.99', '7.2.0 - ', 'all' or a comma list."""
    ranges = str(ranges).strip()
    if ranges == "all":
        return True
    cur = parse_version(current)
    for r in ranges.split(","):
        r = r.strip()
        if not r:
            continue
        if "-" not in r:
            if parse_version(r) == cur:
                return True
            continue
        lo, hi = r.split("-", 1)
        lo_ok = not lo.strip() or parse_version(lo) <= cur
        hi_ok = not hi.strip() or cur <= parse_version(hi)
        if lo_ok and hi_ok:
            return True
    return False


def skip_reason(steps, version):
    """Why a section's leading `skip` step skips it on this runner, or None."""
    if not steps or not isinstance(steps[0], dict) or "skip" not in steps[0]:
        return None
    skip = steps[0]["skip"] or {}
    reason = skip.get("reason", "")
    if "version" in skip and version_in_ranges(skip["version"], version):
        return f"version {str(skip['version']).strip()}: {reason}".rstrip(": ")
    feats = skip.get("features", [])
    if isinstance(feats, str):
        feats = [feats]
    missing = [f for f in feats if f not in SUPPORTED_FEATURES]
    if missing:
        return f"runner feature {', '.join(missing)} not implemented"
    return None


def load_skip_list(path):
    """{(rel file, test name or '*'): reason} from a TSV of tests outside the issue."""
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                raise ValueError(f"{path}: want 3 tab-separated columns: {line!r}")
            out[(parts[0], parts[1])] = parts[2]
    return out


# ---------------------------------------------------------------- stash and paths


class Failure(Exception):
    """A test step did not hold."""


class ServerDown(Exception):
    """The server stopped answering (refused or reset connections)."""


class Stash:
    """Values saved by `set`, substituted as `$name` or `${name}`."""

    def __init__(self):
        self.values = {}
        self.body = None

    def get(self, name):
        if name == "body":
            return self.body
        if name not in self.values:
            raise Failure(f"stash has no value [{name}]")
        return self.values[name]

    def sub(self, value):
        """`value` with stashed values put in (whole `$x` strings, embedded `${x}`, keys too)."""
        if isinstance(value, str):
            m = re.fullmatch(r"\$(\w+)|\$\{(\w+)\}", value)
            if m:
                return self.get(m.group(1) or m.group(2))
            if "${" in value:
                return re.sub(r"\$\{(\w+)\}", lambda mm: str(self.get(mm.group(1))), value)
            return value
        if isinstance(value, list):
            return [self.sub(v) for v in value]
        if isinstance(value, dict):
            return {self.sub(k) if isinstance(k, str) else k: self.sub(v) for k, v in value.items()}
        return value


def split_path(path):
    """A dotted path's keys; `\\.` escapes a dot inside a key."""
    if path in ("", "$body"):
        return []
    keys, cur, i = [], "", 0
    while i < len(path):
        c = path[i]
        if c == "\\" and i + 1 < len(path) and path[i + 1] == ".":
            cur += "."
            i += 2
            continue
        if c == ".":
            keys.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    keys.append(cur)
    return keys


_MISSING = object()


def resolve(body, path, stash):
    """The value at `path` in the response, or _MISSING."""
    if path == "$body":
        return body
    cur = body
    for key in split_path(path):
        key = stash.sub(key) if key.startswith("$") else re.sub(
            r"\$\{(\w+)\}", lambda m: str(stash.get(m.group(1))), key
        )
        if isinstance(cur, dict):
            if key == "_arbitrary_key_":
                if not cur:
                    return _MISSING
                cur = next(iter(cur))
                continue
            skey = str(key)
            if skey not in cur:
                return _MISSING
            cur = cur[skey]
        elif isinstance(cur, list):
            try:
                idx = int(key)
            except (TypeError, ValueError):
                return _MISSING
            if idx < 0 or idx >= len(cur):
                return _MISSING
            cur = cur[idx]
        else:
            return _MISSING
    return cur


# ---------------------------------------------------------------- comparisons


def java_str(v):
    """How the Java runner prints a value before matching it against a regex."""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_regex(v):
    return isinstance(v, str) and len(v.strip()) > 2 and v.strip().startswith("/") and v.strip().endswith("/")


def diff(expected, actual, path=""):
    """Differences between two values, one line each (empty when equal).

    Nested values compare with their types (a long 1 differs from a double
    1.0), as the Java runner's map equality does.
    """
    here = path or "(root)"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{here}: expected an object, got {json.dumps(actual)}"]
        out = []
        for k, v in expected.items():
            sub = f"{path}.{k}" if path else str(k)
            if str(k) not in actual:
                out.append(f"{sub}: missing, expected {json.dumps(v)}")
            else:
                out.extend(diff(v, actual[str(k)], sub))
        for k in actual:
            if k not in {str(x) for x in expected}:
                sub = f"{path}.{k}" if path else str(k)
                out.append(f"{sub}: unexpected, got {json.dumps(actual[k])}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{here}: expected an array, got {json.dumps(actual)}"]
        out = []
        if len(expected) != len(actual):
            out.append(f"{here}: expected {len(expected)} elements, got {len(actual)}")
        for i, (e, a) in enumerate(zip(expected, actual)):
            out.extend(diff(e, a, f"{path}.{i}" if path else str(i)))
        return out
    if type(expected) is not type(actual) or expected != actual:
        return [f"{here}: expected {json.dumps(expected)}, got {json.dumps(actual)}"]
    return []


def match_value(expected, actual):
    """Lines saying how `actual` fails the `match` expectation (empty when it holds)."""
    if is_regex(expected):
        if actual is _MISSING:
            return ["missing, expected a value matching " + expected.strip()]
        pat = expected.strip()[1:-1]
        if re.search(pat, java_str(actual), re.VERBOSE) is None:
            return [f"{java_str(actual)!r} does not match {expected.strip()}"]
        return []
    if actual is _MISSING:
        if expected is None:
            return []
        return [f"missing, expected {json.dumps(expected)}"]
    if is_number(expected) and is_number(actual):
        return [] if float(expected) == float(actual) else [f"expected {expected}, got {actual}"]
    return diff(expected, actual)


def truthy(v):
    """is_true's notion of true: present and not null, false, 0, "", "false" or "0"."""
    if v is _MISSING or v is None or v is False:
        return False
    if is_number(v) and v == 0:
        return False
    return java_str(v) not in ("", "false", "0")


def contains(container, expected):
    if not isinstance(container, list):
        return False
    for item in container:
        if isinstance(expected, dict) and isinstance(item, dict):
            if all(k in item and not diff(v, item[k]) for k, v in expected.items()):
                return True
        elif not match_value(expected, item):
            return True
    return False


# ---------------------------------------------------------------- HTTP


class Client:
    """One keep-alive HTTP connection to the server under test."""

    def __init__(self, url, user=None, password=None, timeout=30):
        u = urllib.parse.urlsplit(url)
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or 9200
        self.timeout = timeout
        self.auth = None
        if user is not None:
            tok = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            self.auth = f"Basic {tok}"
        self.conn = None
        self.requests = 0

    def request(self, method, path, body=None, headers=None):
        """(status, headers dict lowercased, body bytes)."""
        # No Accept header by default, as the reference runner's client: the
        # _cat APIs answer in the format Accept asks for (text without it).
        hdrs = {}
        if self.auth:
            hdrs["Authorization"] = self.auth
        hdrs.update(headers or {})
        last = None
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                self.requests += 1
                rh = {k.lower(): v for k, v in resp.getheaders()}
                if rh.get("connection", "").lower() == "close":
                    self.close()
                return resp.status, rh, data
            except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError,
                    http.client.RemoteDisconnected, http.client.BadStatusLine, OSError) as e:
                last = e
                self.close()
                if isinstance(e, TimeoutError) or "timed out" in str(e):
                    raise Failure(f"{method} {path}: timed out after {self.timeout}s") from e
                time.sleep(0.05 * (attempt + 1))
        raise ServerDown(f"{method} {path}: {last}")

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


def param_text(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, list):
        return ",".join(param_text(x) for x in v)
    return str(v)


def choose_path(api, spec, params):
    """(method candidates, path) for an API call given its parameters."""
    best = None
    for p in spec["url"]["paths"]:
        parts = list((p.get("parts") or {}).keys()) or re.findall(r"\{(\w+)\}", p["path"])
        if not all(x in params for x in parts):
            continue
        rank = (len(parts), not p.get("deprecated"))
        if best is None or rank > best[0]:
            best = (rank, p, parts)
    if best is None:
        raise Failure(f"api [{api}]: no path fits the parameters {sorted(params)}")
    _, p, parts = best
    path = p["path"]
    for x in parts:
        path = path.replace("{" + x + "}", urllib.parse.quote(param_text(params[x]), safe=",*"))
    return p["methods"], path, set(parts)


def pick_method(methods, has_body):
    if has_body and "GET" in methods:
        for m in ("POST", "PUT"):
            if m in methods:
                return m
    if not has_body and "GET" in methods:
        return "GET"
    return methods[0]


def encode_body(api, spec, body):
    """(bytes, content type) for a `do` body: JSON, NDJSON from a list, or a string sent as is."""
    ndjson = (spec.get("body") or {}).get("serialize") == "bulk"
    if isinstance(body, list) and (ndjson or api in ("bulk", "msearch")):
        lines = [x if isinstance(x, str) else json.dumps(x) for x in body]
        return ("\n".join(lines) + "\n").encode(), "application/x-ndjson"
    if isinstance(body, str):
        text = body
        if ndjson and not text.endswith("\n"):
            text += "\n"
        return text.encode(), "application/x-ndjson" if ndjson else "application/json"
    return json.dumps(body).encode(), "application/json"


# ---------------------------------------------------------------- running


class Runner:
    def __init__(self, client, suite, version=DEFAULT_VERSION, verbose=False, out=sys.stdout):
        self.client = client
        self.suite = suite
        self.version = version
        self.verbose = verbose
        self.out = out
        self.touched = set()
        self.specs = dict(BUILTIN_SPECS)
        for f in glob.glob(os.path.join(suite, "api", "*.json")):
            with open(f, encoding="utf-8") as fh:
                for name, spec in json.load(fh).items():
                    self.specs[name] = spec

    # -- steps

    def do(self, args, stash, state):
        args = dict(args)
        catch = args.pop("catch", None)
        headers = stash.sub(args.pop("headers", None) or {})
        args.pop("warnings", None)
        args.pop("allowed_warnings", None)
        args.pop("allowed_warnings_regex", None)
        selector = args.pop("node_selector", None)
        if selector:
            ver = (selector or {}).get("version")
            if ver is not None and not version_in_ranges(ver, self.version):
                raise Failure(f"node_selector version {ver} selects no node (runner version {self.version})")
            if set(selector) - {"version"}:
                raise Failure(f"node_selector {sorted(selector)} not supported")
        if len(args) != 1:
            raise Failure(f"do: expected one api call, got {sorted(args)}")
        (api, params), = args.items()
        params = stash.sub(dict(params or {}))
        spec = self.specs.get(api)
        if spec is None:
            raise Failure(f"api [{api}] has no spec")
        body = params.pop("body", None)
        ignore = params.pop("ignore", None)
        ignore = {int(x) for x in (ignore if isinstance(ignore, list) else [ignore])} if ignore is not None else set()
        self.note_indices(params.get("index"), body)
        methods, path, used = choose_path(api, spec, params)
        known = set((spec.get("params") or {}).keys()) | GLOBAL_PARAMS | used
        unknown = [k for k in params if k not in known]
        if unknown:
            if catch == "param":
                state["body"] = None
                return
            raise Failure(f"api [{api}] has no param {unknown}")
        if catch == "param":
            raise Failure(f"expected a client-side param error calling [{api}]")
        query = [(k, param_text(v)) for k, v in params.items() if k not in used]
        if query:
            path += "?" + urllib.parse.urlencode(query)
        data, ctype = (None, None)
        if body is not None:
            data, ctype = encode_body(api, spec, body)
        method = pick_method(methods, data is not None)
        hdrs = {}
        if ctype:
            hdrs["Content-Type"] = ctype
        hdrs.update({str(k): str(v) for k, v in headers.items()})
        status, rh, raw = self.client.request(method, path, data, hdrs)
        text = raw.decode("utf-8", errors="replace")
        if method == "HEAD":
            resp = status == 200
        elif "json" in rh.get("content-type", "") or (text[:1] in "{[" and text):
            try:
                resp = json.loads(text)
            except ValueError:
                resp = text
        else:
            resp = text
        state["body"] = resp
        state["last"] = f"{method} {path} -> {status}"
        stash.body = resp
        is_error = status >= 400 and not (method == "HEAD" and status == 404) and status not in ignore
        if catch is None:
            if is_error:
                raise Failure(f"{method} {path}: status {status}: {text[:600]}")
            return
        if not is_error:
            raise Failure(f"{method} {path}: expected an error [{catch}], got status {status}: {text[:300]}")
        if catch in CATCH_STATUS:
            if status != CATCH_STATUS[catch]:
                raise Failure(f"{method} {path}: expected [{catch}] ({CATCH_STATUS[catch]}), got {status}: {text[:400]}")
        elif catch == "request":
            if status < 400 or status in CATCH_STATUS.values():
                raise Failure(f"{method} {path}: expected [request] (other 4xx/5xx), got {status}: {text[:400]}")
        elif is_regex(catch):
            # Unlike `match`, a `catch` regex is not in free-spacing mode.
            if re.search(catch.strip()[1:-1], text) is None:
                raise Failure(f"{method} {path}: error does not match {catch}: status {status}: {text[:600]}")
        else:
            raise Failure(f"unknown catch [{catch}]")

    def assertion(self, kind, arg, stash, state):
        body = state.get("body")
        if kind in ("is_true", "is_false"):
            path = str(arg) if arg is not None else ""
            v = resolve(body, path, stash)
            if truthy(v) != (kind == "is_true"):
                shown = "missing" if v is _MISSING else json.dumps(v)
                raise Failure(f"{kind} {path!r}: value is {shown}")
            return
        if not isinstance(arg, dict):
            raise Failure(f"{kind}: expected a mapping")
        for path, expected in arg.items():
            path = str(path)
            expected = stash.sub(expected)
            v = resolve(body, path, stash)
            if kind == "match":
                lines = match_value(expected, v)
                if lines:
                    raise Failure(f"match {path!r}:\n      " + "\n      ".join(lines[:40]))
            elif kind == "length":
                if v is _MISSING or not isinstance(v, (str, list, dict)):
                    raise Failure(f"length {path!r}: no string, array or object there ({'missing' if v is _MISSING else json.dumps(v)})")
                if len(v) != expected:
                    raise Failure(f"length {path!r}: expected {expected}, got {len(v)}")
            elif kind in ("gt", "gte", "lt", "lte"):
                if v is _MISSING:
                    raise Failure(f"{kind} {path!r}: missing")
                try:
                    ok = {"gt": v > expected, "gte": v >= expected, "lt": v < expected, "lte": v <= expected}[kind]
                except TypeError:
                    raise Failure(f"{kind} {path!r}: cannot compare {json.dumps(v)} with {json.dumps(expected)}")
                if not ok:
                    raise Failure(f"{kind} {path!r}: {json.dumps(v)} is not {kind} {json.dumps(expected)}")
            elif kind == "set":
                if v is _MISSING:
                    raise Failure(f"set {path!r}: missing")
                stash.values[str(expected)] = v
            elif kind == "contains":
                if not contains(v, expected):
                    raise Failure(f"contains {path!r}: {json.dumps(expected)} not in {json.dumps(None if v is _MISSING else v)[:400]}")
            else:
                raise Failure(f"unknown step [{kind}]")

    def run_steps(self, steps, stash, state, section):
        for i, step in enumerate(steps):
            if not isinstance(step, dict) or len(step) != 1:
                raise Failure(f"{section} step {i + 1}: malformed step {step!r}")
            (kind, arg), = step.items()
            if kind == "skip":
                continue
            try:
                if kind == "do":
                    self.do(arg or {}, stash, state)
                else:
                    self.assertion(kind, arg, stash, state)
            except Failure as e:
                raise Failure(f"{section} step {i + 1} ({kind} {describe(arg)}): {e}") from None

    # -- cleanup between tests

    def note_indices(self, index, body):
        """Remember concrete index names a call names, so the wipe can delete them by name
        (wildcard deletes are refused by default in 8.x, and hidden indices are not listed)."""
        names = index if isinstance(index, list) else str(index).split(",") if index is not None else []
        items = body if isinstance(body, list) else body.splitlines() if isinstance(body, str) else []
        for item in items:
            if isinstance(item, str):
                try:
                    item = json.loads(item)
                except ValueError:
                    continue
            if isinstance(item, dict) and len(item) == 1:
                meta = next(iter(item.values()))
                if isinstance(meta, dict) and isinstance(meta.get("_index"), str):
                    names.append(meta["_index"])
        for n in names:
            n = str(n).strip()
            if n and not n.startswith("-") and not any(ch in n for ch in "*?") and n != "_all":
                self.touched.add(n)

    def wipe(self):
        c = self.client
        for name in sorted(self.touched):
            c.request("DELETE", "/" + urllib.parse.quote(name, safe=",") + "?ignore_unavailable=true")
        self.touched.clear()
        c.request("DELETE", "/*?expand_wildcards=all")
        c.request("DELETE", "/_index_template/*")
        c.request("DELETE", "/_template/*")
        c.request("DELETE", "/_component_template/*")
        status, rh, raw = c.request("GET", "/_cat/indices?format=json&expand_wildcards=all&h=index")
        if status == 200:
            try:
                left = [x.get("index") for x in json.loads(raw)]
            except (ValueError, AttributeError):
                left = []
            for name in left:
                if name:
                    c.request("DELETE", "/" + urllib.parse.quote(name))

    # -- files

    def run_file(self, rel, skips):
        """[(test name, 'pass'|'fail'|'skip', detail)] for one test file."""
        path = os.path.join(self.suite, "test", rel)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            setup, teardown, tests = parse_test_file(text)
        except (yaml.YAMLError, ValueError) as e:
            return [("(file)", "fail", f"cannot parse: {e}")]
        results = []
        file_skip = skip_reason(setup, self.version)
        for name, steps in tests:
            reason = skips.get((rel, name)) or skips.get((rel, "*"))
            if reason:
                results.append((name, "skip", f"outside #18: {reason}"))
                continue
            reason = file_skip or skip_reason(steps, self.version)
            if reason:
                results.append((name, "skip", reason))
                continue
            stash, state = Stash(), {"body": None}
            status, detail = "pass", ""
            try:
                self.run_steps(setup, stash, state, "setup")
                self.run_steps(steps, stash, state, "test")
            except Failure as e:
                status, detail = "fail", str(e)
            try:
                self.run_steps(teardown, stash, state, "teardown")
            except Failure as e:
                if status == "pass":
                    status, detail = "fail", str(e)
            self.wipe()
            results.append((name, status, detail))
        return results


def stale_skips(suite, skips):
    """Entries of the skip list that name no test of the suite."""
    out, cache = [], {}
    for rel, name in skips:
        if rel not in cache:
            path = os.path.join(suite, "test", rel)
            if not os.path.exists(path):
                cache[rel] = None
            else:
                with open(path, encoding="utf-8") as f:
                    cache[rel] = [n for n, _ in parse_test_file(f.read())[2]]
        names = cache[rel]
        if names is None:
            out.append(f"no test file {rel}")
        elif name != "*" and name not in names:
            out.append(f"no test {name!r} in {rel}")
    return out


def describe(arg):
    s = json.dumps(arg, default=str)
    return s if len(s) <= 160 else s[:157] + "..."


def list_files(suite, only=None, files=None):
    if files:
        return files
    out = []
    for f in sorted(glob.glob(os.path.join(suite, "test", "*", "*.yml"))):
        rel = os.path.relpath(f, os.path.join(suite, "test"))
        d = rel.split(os.sep)[0]
        if only and d not in only:
            continue
        out.append(rel)
    return out


def load_expected(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) < 2:
                raise ValueError(f"{path}: want 'dir min_pass': {line!r}")
            out[parts[0]] = int(parts[1])
    return out


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.abspath(os.path.join(here, "..", "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:9200")
    ap.add_argument("--suite", default=os.path.join(repo, "..", "shared", "conformance", "opensearch-rest-api-tests"))
    ap.add_argument("--only", default="", help="comma list of test directories")
    ap.add_argument("--file", action="append", default=[], help="one test file, relative to test/")
    ap.add_argument("--skips", default=os.path.join(here, "skips.tsv"))
    ap.add_argument("--expected", default=None, help="TSV of minimum passes per directory (gate)")
    ap.add_argument("--version", default=DEFAULT_VERSION)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    if not os.path.isdir(os.path.join(args.suite, "test")):
        print(f"es-yaml: no suite at {args.suite}")
        return 2
    client = Client(args.url, args.user, args.password)
    runner = Runner(client, args.suite, args.version, args.verbose)
    skips = load_skip_list(args.skips)
    stale = stale_skips(args.suite, skips)
    if stale:
        for line in stale:
            print(f"es-yaml: {args.skips}: {line}")
        return 2
    only = {x for x in args.only.split(",") if x}
    per_dir = {}
    t0 = time.monotonic()
    try:
        for rel in list_files(args.suite, only, args.file):
            d = rel.split(os.sep)[0]
            agg = per_dir.setdefault(d, [0, 0, 0])
            for name, status, detail in runner.run_file(rel, skips):
                agg[1] += 1
                if status == "pass":
                    agg[0] += 1
                elif status == "skip":
                    agg[2] += 1
                    print(f"SKIP {rel} :: {name}: {detail}")
                else:
                    first = detail.splitlines()[0] if detail else ""
                    if args.verbose:
                        print(f"FAIL {rel} :: {name}\n    {detail}")
                    else:
                        print(f"FAIL {rel} :: {name}: {first[:300]}")
    except ServerDown as e:
        print(f"es-yaml: server stopped answering: {e}")
        return 3
    print()
    width = max([len(d) for d in per_dir] + [4])
    tp = tt = ts = 0
    for d, (p, t, s) in sorted(per_dir.items()):
        print(f"{d:<{width}} {p}/{t} (skipped {s})")
        tp, tt, ts = tp + p, tt + t, ts + s
    status = 0
    if args.expected:
        expected = load_expected(args.expected)
        for d, (p, t, s) in sorted(per_dir.items()):
            want = expected.get(d)
            if want is None:
                print(f"gate: {d}: {p} passed, not recorded: add it to {args.expected}")
            elif p < want:
                print(f"gate: {d}: {p} passed, recorded {want}: REGRESSION")
                status = 1
            elif p > want:
                print(f"gate: {d}: {p} passed, recorded {want}: raise the record in {args.expected}")
        if not only and not args.file:
            for d in sorted(set(expected) - set(per_dir)):
                print(f"gate: {d}: recorded but not run")
                status = 1
    print(f"es-yaml total {tp}/{tt} (skipped {ts}) in {time.monotonic() - t0:.1f}s, {client.requests} requests")
    return status


if __name__ == "__main__":
    sys.exit(main())
