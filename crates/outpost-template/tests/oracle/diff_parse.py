#!/usr/bin/env python3
"""Differential check of parse errors against Debian's amtool 0.25: random
fragment soups (mostly invalid templates) are rendered by amtool and by the
`render` example; differences are printed. Not part of `cargo test`.

Run: cargo build -p outpost-template --example render
     python3 crates/outpost-template/tests/oracle/diff_parse.py COUNT SEED
"""
import json, os, random, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import AM_DATA  # noqa: E402
RENDER = os.environ.get("RENDER", "/work/target-tmpl/debug/examples/render")
FR = ["{{", "}}", "{{- ", " -}}", "{{/*", "*/}}", "if ", "else ", "end", "range ", "with ", "define ", "template ", "block ",
    "break", "continue", ".", ".Status", ".Alerts", "$", "$x", "$i, $e", " := ", " = ", " | ", "(", ")", "\"s\"", "1", "-2", "1.5",
    "'a'", "`raw`", "nil", "true", ",", "printf ", "index ", "len ", "eq ", "and ", "not ", " ", "\n", "text", "\"t\"", "{{ end }}",
    "{{ else }}", "{{ define \"t\" }}", "{{ template \"t\" . }}", "{{ range . }}", "{{ if . }}", "{{ $x := . }}", "{{ $x }}", "0x", "1e", "\"\\q\"", "#", "@"]
r = random.Random(int(sys.argv[2]))
d = tempfile.mkdtemp(); data = d + "/soup.json"; json.dump(AM_DATA, open(data, "w"))
glob = d + "/empty.tmpl"; open(glob, "w").close()
bad = 0; n = int(sys.argv[1])
for _ in range(n):
    t = "".join(r.choice(FR) for _ in range(r.randint(1, 10)))
    a = subprocess.run(["amtool", "template", "render", "--template.glob=" + glob, "--template.text=" + t, "--template.data=" + data], capture_output=True, text=True)
    want = a.stdout if a.returncode == 0 else "error: " + a.stderr.replace("amtool: error: ", "").rstrip("\n")
    o = subprocess.run([RENDER, data, t], capture_output=True, text=True)
    got = o.stdout if o.returncode == 0 else o.stderr.rstrip("\n")
    if want != got:
        bad += 1; print("TEXT %r\n  want %r\n  got  %r" % (t, want, got))
print("%d of %d differ" % (bad, n))
