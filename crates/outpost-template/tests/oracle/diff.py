#!/usr/bin/env python3
"""Differential check against Debian's amtool 0.25: random templates built from
fragments are rendered by `amtool template render` and by the `render`
example; differences are printed. Not part of `cargo test` (needs amtool).

Run: cargo build -p outpost-template --example render
     python3 crates/outpost-template/tests/oracle/diff.py [COUNT] [SEED]
"""

import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import AM_DATA  # noqa: E402

RENDER = os.environ.get("RENDER", "/work/target-tmpl/debug/examples/render")

ATOMS = ['.Status', '.Receiver', '.Alerts', '.Alerts.Firing', '.CommonLabels', '.CommonLabels.alertname',
         '.CommonLabels.nope', '.GroupLabels.SortedPairs', '.CommonAnnotations.SortedPairs.Values', '1', '0', '-3',
         '2.5', '1e6', '"a"', '""', '`r`', 'true', 'false', 'nil', '.', '$', '$x', "'c'", '(stringSlice "a" "b")',
         '(len .Alerts)', '(index .Alerts 0)', '(index .Alerts 0).Labels', '.ExternalURL']
FUNCS = ['len', 'index', 'slice', 'print', 'printf', 'println', 'html', 'js', 'urlquery', 'eq', 'ne', 'lt', 'le',
         'gt', 'ge', 'and', 'or', 'not', 'toUpper', 'toLower', 'title', 'join', 'match', 'reReplaceAll',
         'safeHtml', 'stringSlice']
FORMATS = ['"%v"', '"%d"', '"%s"', '"%q"', '"%5.2f"', '"%x"', '"%v %v"', '"%T"', '"%-4d|"', '"%e"', '"%g"', '"%t"']


def expr(r, depth=0):
    k = r.random()
    if depth > 2 or k < 0.4:
        return r.choice(ATOMS)
    if k < 0.55:
        return 'printf %s %s' % (r.choice(FORMATS), ' '.join(expr(r, depth + 1) for _ in range(r.randint(0, 2))))
    f = r.choice(FUNCS)
    args = ' '.join(wrap(expr(r, depth + 1)) for _ in range(r.randint(0, 3)))
    s = (f + ' ' + args).strip()
    if r.random() < 0.2:
        s = wrap(expr(r, depth + 1)) + ' | ' + s
    return s


def wrap(e):
    return '(' + e + ')' if ' ' in e and not e.startswith('(') else e


def template(r):
    parts = []
    for _ in range(r.randint(1, 4)):
        k = r.random()
        if k < 0.5:
            parts.append('{{ ' + expr(r) + ' }}')
        elif k < 0.6:
            parts.append('{{ $x := ' + expr(r) + ' }}{{ $x }}')
        elif k < 0.7:
            parts.append('{{ if ' + expr(r) + ' }}T{{ else }}F{{ end }}')
        elif k < 0.8:
            parts.append('{{ range $i, $e := ' + expr(r) + ' }}[{{ $i }}={{ $e }}]{{ else }}none{{ end }}')
        elif k < 0.9:
            parts.append('{{ with ' + expr(r) + ' }}<{{ . }}>{{ end }}')
        else:
            parts.append(r.choice(['{{- " a " -}}', ' x ', '{{/* c */}}', '\n']))
    return '|'.join(parts)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    r = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    bad = 0
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, 'data.json')
        with open(data, 'w') as f:
            json.dump(AM_DATA, f)
        glob = os.path.join(d, 'empty.tmpl')
        open(glob, 'w').close()
        for _ in range(count):
            t = template(r)
            a = subprocess.run(['amtool', 'template', 'render', '--template.glob=' + glob, '--template.text=' + t,
                                '--template.data=' + data], capture_output=True, text=True)
            want = a.stdout if a.returncode == 0 else 'error: ' + a.stderr.replace('amtool: error: ', '').rstrip('\n')
            o = subprocess.run([RENDER, data, t], capture_output=True, text=True)
            got = o.stdout if o.returncode == 0 else o.stderr.rstrip('\n')
            if want != got:
                bad += 1
                print('TEXT %r\n  want %r\n  got  %r' % (t, want, got))
    print('%d of %d differ' % (bad, count))


if __name__ == '__main__':
    main()
