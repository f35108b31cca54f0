# Outpost tasks. `just` comes from `pip install rust-just` or `cargo install just`;
# every recipe is a plain command that also works without it.

# Run Outpost on the embedded e-commerce stack (pass a directory or flags after).
run *ARGS:
    cargo run --release -- {{ARGS}}

# Validate a monitoring-configs directory or files (the embedded stack without arguments).
check *PATHS:
    cargo run -q -- check {{PATHS}}

# The test suite (the README's test command).
test:
    cargo test --workspace

# Real peers (Debian's prometheus, promtool, amtool) against Outpost.
interop:
    bash tests/interop/run.sh

# Criterion benches, one file per hot path.
bench:
    cargo bench -p outpost-benches

# Startup time, idle RSS and binary size of the release build.
measure:
    cargo build --release -p outpost
    python3 scripts/measure-startup.py target/release/outpost 20

fmt:
    cargo fmt --all

lint:
    cargo fmt --all -- --check
    bash scripts/check-clock.sh
    bash scripts/check-deps.sh
    cargo clippy --workspace --all-targets -- -D warnings

# What CI runs.
ci:
    bash .ci/run
