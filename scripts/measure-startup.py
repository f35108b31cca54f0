#!/usr/bin/env python3
"""Measures outpost's time from process start to ready (ports file written),
its idle resident memory, and the binary size.

usage: scripts/measure-startup.py [BINARY] [RUNS]
"""
import json, os, statistics, subprocess, sys, tempfile, time

LISTENERS = ["prometheus", "alertmanager", "otlp-grpc", "otlp-http", "jaeger-query",
             "jaeger-collector-http", "jaeger-collector-grpc", "zipkin", "elasticsearch", "beats"]

def run_once(binary, idle_seconds=0.0):
    with tempfile.TemporaryDirectory() as d:
        ports = os.path.join(d, "ports.json")
        args = [binary, "--ports-file", ports, "--log.level", "warn"]
        for l in LISTENERS:
            args += ["--listen", f"{l}=127.0.0.1:0"]
        t0 = time.perf_counter()
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not os.path.exists(ports):
            if p.poll() is not None:
                sys.exit(f"outpost exited with {p.returncode}")
            time.sleep(0.0005)
        ready_ms = (time.perf_counter() - t0) * 1000
        rss_kib = None
        if idle_seconds:
            time.sleep(idle_seconds)
            with open(f"/proc/{p.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss_kib = int(line.split()[1])
        p.terminate()
        p.wait(5)
        return ready_ms, rss_kib

def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/outpost"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    times = [run_once(binary)[0] for _ in range(runs)]
    _, rss = run_once(binary, idle_seconds=2.0)
    print(json.dumps({
        "binary": binary,
        "runs": runs,
        "ready_ms_median": round(statistics.median(times), 1),
        "ready_ms_max": round(max(times), 1),
        "idle_rss_mib": round(rss / 1024, 1),
        "binary_size_mib": round(os.path.getsize(binary) / (1 << 20), 1),
    }, indent=2))

main()
