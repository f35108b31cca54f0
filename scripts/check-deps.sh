#!/usr/bin/env bash
# Dependencies point one way: foundation (clock, config, leaf crates) ->
# stores and domain crates -> api -> binary. A crate may depend on crates of a
# lower layer; an edge inside one layer is allowed only when ARCHITECTURE.md
# lists it. The layers and the allowed edges are read from the `deps` block of
# ARCHITECTURE.md; a workspace crate missing from that block is an error, so a
# new crate has to be placed before it lands. Dev-dependencies follow the same
# rule (tests must not reach up either), except for the binary layer.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --no-deps --format-version 1 | python3 -c '
import json, re, sys

arch = open("ARCHITECTURE.md", encoding="utf-8").read()
m = re.search(r"```text deps\n(.*?)```", arch, re.S)
if not m:
    sys.exit("check-deps: ARCHITECTURE.md has no ```text deps block")
rank, layer_of, allowed = {}, {}, set()
for line in m.group(1).splitlines():
    line = line.strip()
    if line.startswith("layer "):
        name, crates = line[len("layer "):].split(":", 1)
        rank[name.strip()] = len(rank)
        for c in crates.split():
            layer_of[c] = name.strip()
    elif line.startswith("edge "):
        a, b = [x.strip() for x in line[len("edge "):].split("->")]
        allowed.add((a, b))

meta = json.load(sys.stdin)
members = {p["name"] for p in meta["packages"]}
bad = []
for c in sorted(members - set(layer_of)):
    bad.append(f"{c}: not placed in a layer of the ARCHITECTURE.md deps block")
for a, b in sorted(allowed):
    for c in (a, b):
        if c not in layer_of:
            bad.append(f"edge {a} -> {b}: {c} is in no layer")
for p in meta["packages"]:
    a = p["name"]
    if a not in layer_of:
        continue
    for d in p["dependencies"]:
        b = d["name"]
        if b not in members or b == a:
            continue
        if b not in layer_of:
            continue
        if d["kind"] == "dev" and layer_of[a] == "binary":
            continue
        ra, rb = rank[layer_of[a]], rank[layer_of[b]]
        kind = d["kind"] or "normal"
        if rb > ra:
            bad.append(f"{a} ({layer_of[a]}) -> {b} ({layer_of[b]}): points up ({kind} dependency)")
        elif rb == ra and (a, b) not in allowed:
            bad.append(f"{a} -> {b}: edge between siblings of layer {layer_of[a]} not listed in ARCHITECTURE.md ({kind} dependency)")
if bad:
    print("dependency rule broken:")
    for b in bad:
        print("  " + b)
    sys.exit(1)
print(f"dependency rule: {len(members)} crates, {len(allowed)} listed sibling edges, all edges point down")
'
