#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus (fuzz/corpus/TARGET/) from tests/data and README's command lines.

Small on purpose: libFuzzer mutates faster on short inputs, so each seed keeps a few cases of its fixture,
compacted. Rerun after changing the fixtures: python3 fuzz/make_corpus.py
"""
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent
data = root / "tests" / "data"
corpus = root / "fuzz" / "corpus"


def trimmed(name, cases, repetitions=None, aggregates=True, failed_cases_only=False):
    """The fixture with its first `cases` cases, at most `repetitions` repetitions each, compact."""
    document = json.loads((data / name).read_text())
    kept, seen, count = [], [], {}
    failed = {entry.get("run_name", entry["name"]) for entry in document["benchmarks"] if entry.get("error_occurred")}
    for entry in document["benchmarks"]:
        if failed_cases_only and entry.get("run_name", entry["name"]) not in failed:
            continue
        run_name = entry.get("run_name", entry["name"])
        if run_name not in seen:
            if len(seen) == cases:
                continue
            seen.append(run_name)
        if entry.get("run_type") == "aggregate":
            if aggregates:
                kept.append(entry)
            continue
        count[run_name] = count.get(run_name, 0) + 1
        if repetitions is None or count[run_name] <= repetitions:
            kept.append(entry)
    document["benchmarks"] = kept
    return json.dumps(document, separators=(",", ":"))


def write(target, name, text):
    path = corpus / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


for fixture in ["pb_base.json", "gb_base.json", "report_fixture.json"]:
    write("result_reader", fixture, trimmed(fixture, cases=2))
write("result_reader", "pb_new_failed.json", trimmed("pb_new_failed.json", cases=2, failed_cases_only=True))
write("result_reader", "empty_benchmarks.json", '{"context":{},"benchmarks":[]}')

for base, new in [("pb_base.json", "pb_new_regressed.json"), ("pb_base.json", "pb_new_failed.json"),
                  ("pb_base.json", "pb_new_slower_machine.json"), ("gb_base.json", "gb_new.json")]:
    keep = dict(cases=2, repetitions=3, aggregates=base.startswith("gb_"))
    write("compare", f"{base[:-5]}-{new}", trimmed(base, **keep) + "\0" + trimmed(new, **keep))

write("report", "report_fixture.json", trimmed("report_fixture.json", cases=12, repetitions=2, aggregates=False))
write("report", "pb_base.json", trimmed("pb_base.json", cases=4, repetitions=3, aggregates=False))

# One argument per line, as the command_line target splits its input.
command_lines = [
    "run --dry-run",
    "run -s inline,fifo_ring,lifo_stack -w atomic_increment -n 1000000 -k 2 -p 1 -r 5",
    "run -w cpu_burst --param duration_us=1,10,100 --filter producers:1$",
    "run -s lifo_stack --param nonblocking=true -w simulated_io -k 100",
    "run --quick --repetitions 3 --quiet --out build/ci/quick.json",
    "run -s inline -w test_hang -n 10 -p 1 -r 1 -q --timeout 0.5 --out r.json",
    "list --json --all",
    "compare --profile ci results/baseline-quick.json build/ci/quick.json",
    "compare --format json --normalize-to inline a.json b.json",
    "report results/latest.json --format md --out results/latest.md --plots results/plots",
    "report r.json --format json --adopt-threshold 1.5",
    "--version",
    "run --help",
]
for index, line in enumerate(command_lines):
    write("command_line", f"example_{index:02}.txt", "\n".join(line.split(" ")) + "\n")
