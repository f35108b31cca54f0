#!/usr/bin/env python3
"""Differential check against Debian's promtool 2.42: random alert templates
using Prometheus' functions are expanded by `promtool test rules` and by the
`expand` example; differences are printed. Not part of `cargo test`.

Run: cargo build -p outpost-template --example expand
     python3 crates/outpost-template/tests/oracle/diff_prom.py [COUNT] [SEED]
"""

import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import PROM, run_promtool  # noqa: E402

EXPAND = os.environ.get("EXPAND", "/work/target-tmpl/debug/examples/expand")

NUMS = ['0', '1', '-1', '0.5', '1e3', '1024', '3661', '1.5e-7', '"12"', '"abc"', '$value', '1e21', '-90.5', 'nil', 'true']
STRS = ['"host.example.com:9090"', '"[::1]:80"', '"up == 0"', '$labels.instance', '$labels.job', '$labels.nope',
        '"1h30m"', '"5x"', '"Hello wORLD"', '$externalURL', '$externalLabels.cluster', '""', '"a.b.c"']
F1N = ['humanize', 'humanize1024', 'humanizeDuration', 'humanizePercentage', 'humanizeTimestamp']
F1S = ['title', 'toUpper', 'toLower', 'stripPort', 'stripDomain', 'graphLink', 'tableLink', 'parseDuration', 'safeHtml']


def expr(r):
    k = r.random()
    if k < 0.35:
        return '%s %s' % (r.choice(F1N), r.choice(NUMS))
    if k < 0.6:
        return '%s %s' % (r.choice(F1S), r.choice(STRS + NUMS[:3]))
    if k < 0.7:
        return 'reReplaceAll %s %s %s' % (r.choice(['"(\\\\w+)\\\\..*"', '"o"', '"("', '"^h"']), r.choice(['"$1"', '"x"', '"${1}y"']), r.choice(STRS))
    if k < 0.8:
        return 'match %s %s' % (r.choice(['"^host"', '"["', '".*"']), r.choice(STRS))
    if k < 0.9:
        return 'printf %s %s' % (r.choice(['"%v"', '"%.2f"', '"%d"', '"%s"', '"%g|%e"']), r.choice(NUMS))
    return '%s | %s' % (r.choice(NUMS), r.choice(F1N))


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    r = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    cases = []
    for _ in range(count):
        c = {"text": '|'.join('{{ %s }}' % expr(r) for _ in range(r.randint(1, 3)))}
        if r.random() < 0.5:
            c["value"] = r.choice(['0.25', '1234567', 'NaN', '-3', '100000', '1e-5', '86400'])
        cases.append(c)
    with tempfile.TemporaryDirectory() as d:
        want = run_promtool(cases, d)
        spec = {"labels": PROM["labels"], "external_labels": PROM["external_labels"],
                "external_url": PROM["external_url"],
                "cases": [{"text": c["text"], "value": str(c.get("value", PROM["value"])), "nameless": "value" in c}
                          for c in cases]}
        path = os.path.join(d, "cases.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        got = json.loads(subprocess.run([EXPAND, path], capture_output=True, text=True, check=True).stdout)
    bad = 0
    for i, c in enumerate(cases):
        if want[i] != got[i]:
            bad += 1
            print("TEXT %r (value %s)\n  want %r\n  got  %r" % (c["text"], c.get("value"), want[i], got[i]))
    print("%d of %d differ" % (bad, count))


if __name__ == "__main__":
    main()
