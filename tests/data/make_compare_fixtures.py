#!/usr/bin/env python3
# Writes the compare fixtures (gb_*.json: Google Benchmark's own layout; pb_*.json: poolbench's) into the folder
# given as the argument: python3 tests/data/make_compare_fixtures.py tests/data. Deterministic: every value is
# written out here by hand; the tests in tests/compare_test.cpp state what each fixture must produce.
import json, statistics, sys
out = sys.argv[1]

def gb_context(poolbench=False):
    c = {"date": "2024-05-01T12:00:00+00:00", "host_name": "fixture", "executable": "./fixture",
         "num_cpus": 2, "mhz_per_cpu": 2000, "cpu_scaling_enabled": False,
         "caches": [], "load_avg": [0.5, 0.4, 0.3], "library_build_type": "release"}
    if poolbench:
        c["poolbench"] = {"version": "0.1.0", "git_commit": "fixture", "compiler": "g++ 12",
                          "build_type": "Release", "allocator": "jemalloc", "kernel": "6.1",
                          "command_line": "poolbench run --fixture", "date": "2024-05-01T12:00:00+00:00"}
    return c

def entries(name, family, times, counters=None, case=None, cpu_factor=0.98):
    reps = []
    n = len(times)
    for i, t in enumerate(times):
        e = {"name": name, "family_index": family, "per_family_instance_index": 0, "run_name": name,
             "run_type": "iteration", "repetitions": n, "repetition_index": i, "threads": 1,
             "iterations": 1, "real_time": t, "cpu_time": round(t * cpu_factor, 3), "time_unit": "ns"}
        for k, v in (counters or {}).items():
            e[k] = v[i] if isinstance(v, list) else v
        if case:
            e["case"] = case
        reps.append(e)
    aggs = []
    if n >= 2:
        keys = ["real_time", "cpu_time"] + list((counters or {}).keys())
        for stat, fn, unit in [("mean", statistics.mean, "time"), ("median", statistics.median, "time"),
                               ("stddev", statistics.stdev, "time"),
                               ("cv", lambda v: statistics.stdev(v) / statistics.mean(v) if statistics.mean(v) else 0, "percentage")]:
            a = {"name": name + "_" + stat, "family_index": family, "per_family_instance_index": 0,
                 "run_name": name, "run_type": "aggregate", "repetitions": n, "threads": 1,
                 "aggregate_name": stat, "aggregate_unit": unit, "iterations": n}
            for k in keys:
                a[k] = fn([r[k] for r in reps])
            a["time_unit"] = "ns"
            if case:
                a["case"] = case
            aggs.append(a)
    return reps + aggs

def write(path, doc):
    with open(f"{out}/{path}", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")

# ---- Google Benchmark's own format: 6 repetitions each ----
steady_base = [1000.0, 1012.0, 995.0, 1021.0, 990.0, 1005.0]
steady_new  = [1008.0, 998.0, 1015.0, 1002.0, 993.0, 1018.0]
slower_base = [2000.0, 2030.0, 1985.0, 2012.0, 2041.0, 1990.0]
slower_new  = [2610.0, 2580.0, 2650.0, 2595.0, 2630.0, 2602.0]   # about 30% slower
faster_base = [5000.0, 5100.0, 4950.0, 5050.0, 5020.0, 4980.0]
faster_new  = [3990.0, 4020.0, 4055.0, 3970.0, 4010.0, 4035.0]   # about 20% faster
small_base  = [3000.0, 3010.0, 2990.0, 3005.0, 2995.0, 3002.0]
small_new   = [3060.0, 3070.0, 3055.0, 3065.0, 3058.0, 3062.0]   # +2%: significant but below the minimum effect
noisy_base  = [7000.0, 9100.0, 6500.0, 8800.0, 7200.0, 9500.0]
noisy_new   = [9800.0, 6900.0, 10100.0, 7300.0, 9900.0, 7100.0]  # +10% median, not significant

def gb_doc(which):
    b = []
    pick = (lambda base, new: base) if which == "base" else (lambda base, new: new)
    b += entries("BM_steady/8", 0, pick(steady_base, steady_new))
    b += entries("BM_slower/8", 1, pick(slower_base, slower_new))
    b += entries("BM_faster/8", 2, pick(faster_base, faster_new))
    b += entries("BM_small_change/8", 3, pick(small_base, small_new))
    b += entries("BM_noisy/8", 4, pick(noisy_base, noisy_new))
    if which == "base":
        b += entries("BM_only_in_base/8", 5, [100.0, 101.0, 99.0, 100.5, 100.2, 99.8])
    else:
        b += entries("BM_only_in_new/8", 5, [100.0, 101.0, 99.0, 100.5, 100.2, 99.8])
    return {"context": gb_context(), "benchmarks": b}

write("gb_base.json", gb_doc("base"))
write("gb_new.json", gb_doc("new"))

# ---- poolbench format: 5 repetitions each ----
def case(strategy, workers=2):
    return {"strategy": strategy, "workload": "atomic_increment", "tasks": 1000, "workers": workers,
            "producers": 1, "params": {}}

def pb_name(strategy, workers=2):
    return f"{strategy}/atomic_increment/tasks:1000/workers:{workers}/producers:1"

inline_t = [10000.0, 10150.0, 9920.0, 10080.0, 10010.0]
fifo_t   = [50000.0, 50600.0, 49700.0, 50250.0, 49900.0]
raw_t    = [900000.0, 912000.0, 895000.0, 905000.0, 898000.0]

def counters(times, allocs, bytes_, threads, rss, e2e, qwait):
    return {"items_per_second": [1000 / (t * 1e-9) for t in times],
            "e2e_p99_ns": e2e, "queue_wait_p99_ns": qwait,
            "allocs_per_task": allocs, "bytes_per_task": bytes_, "threads_created": threads,
            "peak_rss_bytes": rss, "producers_used": 1}

def pb_doc(scale_all=1.0, fifo_scale=1.0, raw_allocs=3.0, extra=None, fail_raw=False):
    b = []
    t = [x * scale_all for x in inline_t]
    b += entries(pb_name("inline"), 0, t, counters(t, 0.0, 0.0, 0, 4194304, [60.0 * scale_all] * 5, 0.0), case("inline"))
    t = [x * scale_all * fifo_scale for x in fifo_t]
    b += entries(pb_name("fifo_ring"), 1, t,
                 counters(t, 0.0, 0.0, 2, 4456448, [x * scale_all * fifo_scale for x in [4100.0, 4210.0, 4050.0, 4160.0, 4120.0]],
                          [x * scale_all * fifo_scale for x in [3900.0, 3950.0, 3870.0, 3990.0, 3930.0]]), case("fifo_ring"))
    t = [x * scale_all for x in raw_t]
    raw = entries(pb_name("raw_threads"), 2, t,
                  counters(t, raw_allocs, 400.0, 1000, 8388608, [x * scale_all for x in [52000.0, 53000.0, 51500.0, 52500.0, 52200.0]],
                           [x * scale_all for x in [30000.0, 30500.0, 29800.0, 30200.0, 30100.0]]), case("raw_threads"))
    if fail_raw:
        raw = [{k: v for k, v in e.items() if k in ("name", "family_index", "per_family_instance_index", "run_name",
                                                    "run_type", "repetitions", "repetition_index", "threads", "case")}
               | {"error_occurred": True, "error_message": "child killed by signal 11 (SIGSEGV)",
                  "iterations": 0, "real_time": 0, "cpu_time": 0, "time_unit": "ns"}
               for e in raw if e["run_type"] == "iteration"]
    b += raw
    if extra:
        t = list(fifo_t)
        b += entries(pb_name("fifo_ring", extra), 3, t, counters(t, 0.0, 0.0, extra, 4456448, [4100.0] * 5, [3900.0] * 5), case("fifo_ring", extra))
    return {"context": gb_context(poolbench=True), "benchmarks": b}

write("pb_base.json", pb_doc(extra=4))
# The same code on a machine twice as slow: every time doubles, ratios to inline stay.
write("pb_new_slower_machine.json", pb_doc(scale_all=2.0, extra=4))
# fifo_ring 30% slower, raw_threads one allocation per task more; a case only in new (workers:8).
write("pb_new_regressed.json", pb_doc(fifo_scale=1.3, raw_allocs=4.0, extra=8))
# raw_threads crashes in every repetition.
write("pb_new_failed.json", pb_doc(fail_raw=True, extra=4))
