#!/usr/bin/env python3
"""Plots of a poolbench report: throughput, end-to-end latency and the task-duration crossover.

Input: the JSON form of a report, as `poolbench report RESULT.json --format json` writes it (schema
"poolbench-report/2", or /1 from older builds); `poolbench report RESULT.json --plots DIR` runs this script for you.
Metric units come from the metric catalogue the report carries ("metrics", copied from the result file's
context.poolbench.metrics); reports without one get the units poolbench's catalogue version 1 gave. It reads the report rather
than the result file so that every plotted number is one the report itself prints (medians and min-max spreads over
a case's successful repetitions); nothing is recomputed here.

Output, in --out DIR, each as SVG and PNG:
  throughput   tasks/s per strategy, one panel per workload configuration (a point at the median, a bar min-max
               over the repetitions, on a labelled log axis: bars from zero would mean nothing there)
  latency      end-to-end latency p50 / p99 / p99.9 per strategy (one marker shape each, with min-max bars), one
               panel per workload configuration, a legend in each (log scale)
  crossover    wall time per task against the task's own duration (cpu_burst), one line per strategy, with the
               ideal "duration / workers" for reference; only when the report has cpu_burst data
  load_latency end-to-end latency p50 and p99 (from intended submit times) against the offered load, one panel
               per workload configuration, one line per strategy, saturated points marked with a cross: the
               hockey stick that sizes a pool; only when the report has open-loop cases (--arrival)
  self_tuning_k live workers over time (median over the repetitions, min-max band) per strategy, with the
               adaptive strategy's capacity K (dashed), the phases (low, high, low again) and the busy workers
               each phase offers by Little's law (dotted); one panel per configuration; only when the report
               has phased cases (--scenario adaptive)

Every strategy has one colour in every plot of every run: fixed by name (FIXED_COLORS), else from a stable hash of
its name; a mode ("semaphore_group (spawn=fiber)") gets a shade of its strategy's colour, fixed per mode
(MODE_SHADES), else by a stable hash of its parameters. `--colors` prints the colour of every label of a report
(JSON) instead of plotting.

Dependencies: matplotlib (Debian's python3-matplotlib, installed by scripts/setup), nothing else. Debian's package
is visible only to Debian's interpreter, so when this runs under another python3 (pyenv, a virtualenv) without
matplotlib it re-runs itself with /usr/bin/python3.

Exit status: 0 plots written; 2 unusable input (one line on stderr); 3 matplotlib missing.
"""

import argparse
import colorsys
import json
import math
import os
import sys
import textwrap
import zlib

DEBIAN_PYTHON = "/usr/bin/python3"
SCHEMAS = ("poolbench-report/1", "poolbench-report/2")

# The metrics plotted, by catalogue name. Reports of schema 1 named the throughput tasks_per_second.
THROUGHPUT = "items_per_second"
LEGACY_NAMES = {"items_per_second": "tasks_per_second"}
LATENCY_PERCENTILES = (("e2e_p50_ns", "p50", "#4c72b0"), ("e2e_p99_ns", "p99", "#dd8452"),
                       ("e2e_p999_ns", "p99.9", "#c44e52"))
TIME_PER_TASK = "time_per_task_ns"
# Units of the plotted metrics in catalogue version 1, for reports that carry no catalogue.
FALLBACK_UNITS = {"items_per_second": "1/s", "e2e_p50_ns": "ns", "e2e_p99_ns": "ns", "e2e_p999_ns": "ns",
                  "time_per_task_ns": "ns"}


def import_matplotlib():
    try:
        import matplotlib
    except ImportError:
        if (os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) and os.access(DEBIAN_PYTHON, os.X_OK)
                and not os.environ.get("POOLBENCH_PLOT_REEXEC")):
            os.environ["POOLBENCH_PLOT_REEXEC"] = "1"
            os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
        print("plot.py: matplotlib is not installed: install python3-matplotlib (./scripts/setup does)",
              file=sys.stderr)
        sys.exit(3)
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as pyplot
    from matplotlib import ticker
    return matplotlib, pyplot, ticker


def fail(message):
    print(f"plot.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def load_report(path):
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except OSError as error:
        fail(f"{path}: cannot read: {error.strerror}")
    except ValueError as error:
        fail(f"{path}: invalid JSON: {error}")
    if not isinstance(report, dict) or report.get("schema") not in SCHEMAS:
        hint = " (a result file? pass `poolbench report RESULT.json --format json` output)" \
            if isinstance(report, dict) and "benchmarks" in report else ""
        fail(f"{path}: not a poolbench report (no \"schema\": \"{SCHEMAS[-1]}\"){hint}")
    if not isinstance(report.get("tables"), list):
        fail(f"{path}: report has no \"tables\" list")
    return report


# ---- units -------------------------------------------------------------------------------------------------------

def format_ns(value, _position=None):
    for limit, divisor, unit in ((1e3, 1, "ns"), (1e6, 1e3, "µs"), (1e9, 1e6, "ms")):
        if abs(value) < limit:
            return f"{value / divisor:g} {unit}"
    return f"{value / 1e9:g} s"


def format_rate(value, _position=None):
    for limit, divisor, unit in ((1e3, 1, ""), (1e6, 1e3, "k"), (1e9, 1e6, "M")):
        if abs(value) < limit:
            return f"{value / divisor:g}{unit}"
    return f"{value / 1e9:g}G"


def format_us(value, _position=None):
    return format_ns(value * 1e3)


# ---- layout helpers ----------------------------------------------------------------------------------------------

# One colour per strategy, the same in every plot of every run: a fixed mapping by name (colour-blind-safe
# Okabe-Ito first, then tab10's), and for any other strategy a colour picked from an extra palette by a stable hash
# of its name, so that it too never changes between runs or with which other strategies a report holds.
FIXED_COLORS = {
    "inline": "#000000",
    "raw_threads": "#E69F00",
    "semaphore_group": "#56B4E9",
    "fifo_ring": "#009E73",
    "lifo_stack": "#D55E00",
    "sharded": "#CC79A7",
    "stateful": "#0072B2",
    "dispatcher": "#8c564b",
    "ref_asio_thread_pool": "#7f7f7f",
    "ref_bs_thread_pool": "#bcbd22",
    "ref_moodycamel": "#17becf",
    "ref_tbb_task_group": "#9467bd",
    "adaptive": "#e7298a",
    "priority": "#66a61e",
    "fair_tenants": "#e6ab02",
}
FALLBACK_PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
                    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#31a354", "#756bb1")
# A mode (a label with parameters, as the report writes it: "semaphore_group (spawn=fiber)") is a shade of its
# strategy's colour, so that it reads as that strategy and still differs from it: the colour's lightness moved by
# a fixed step per mode of the built-in strategies (a value the default matrix names that is the default itself,
# spawn=thread, keeps the strategy's colour), and for any other parameters by a step picked by a stable hash of
# their text. Negative steps darken; a step that would leave the lightness range goes the other way.
MODE_SHADES = {
    "spawn=thread": 0.0,
    "spawn=fiber": -0.22,
    "prealloc=true": -0.22,
    "disable_purge=true": 0.16,
    "unlimited=true": 0.32,
    "batching=true": -0.22,
    "api=arena_enqueue": -0.22,
    "mode=pond": -0.22,
}
FALLBACK_SHADES = (-0.22, 0.16, 0.32, -0.12, 0.24, -0.3)
LIGHTNESS_RANGE = (0.12, 0.78)  # beyond it a shade is too close to black or to the white background


def split_label(label):
    """A report label's strategy and parameter text: "name (a=1, b=2)" -> ("name", "a=1, b=2"); no mode: ""."""
    if label.endswith(")") and " (" in label:
        name, params = label[:-1].split(" (", 1)
        return name, params
    return label, ""


def base_color(name):
    if name in FIXED_COLORS:
        return FIXED_COLORS[name]
    return FALLBACK_PALETTE[zlib.crc32(name.encode("utf-8")) % len(FALLBACK_PALETTE)]


def shade(color, step):
    """`color` (#rrggbb) with its HLS lightness moved by `step`, the other way where that leaves the range."""
    red, green, blue = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    low, high = LIGHTNESS_RANGE
    moved = lightness + step
    if moved < low or moved > high:
        moved = lightness - step
    moved = min(max(moved, low), high)
    return "#" + "".join(f"{round(c * 255):02x}" for c in colorsys.hls_to_rgb(hue, moved, saturation))


def strategy_color(label):
    """The colour of a strategy label, the same in every run: the strategy's, shaded per mode (see above)."""
    name, params = split_label(label)
    color = base_color(name)
    if not params:
        return color
    step = MODE_SHADES.get(params)
    if step is None:
        step = FALLBACK_SHADES[zlib.crc32(params.encode("utf-8")) % len(FALLBACK_SHADES)]
    return color if step == 0 else shade(color, step)


def report_labels(report):
    """Every strategy label the plots of `report` colour, in order of first appearance."""
    labels = []
    for table in report.get("tables", []):
        labels += [row.get("label") for row in table.get("rows", [])]
    for crossover in report.get("crossovers", []):
        labels += [series.get("label") for series in crossover.get("series", [])]
    for group in report.get("sizing") or []:
        labels += [curve.get("label") for curve in group.get("curves", [])]
    return list(dict.fromkeys(label for label in labels if isinstance(label, str)))


class StrategyColors(dict):
    """label -> colour, computed on first use (so every label a plot meets has one)."""

    def __missing__(self, label):
        return strategy_color(label)

    def get(self, label, default=None):
        return strategy_color(label)


def strategy_colors(_report=None, _pyplot=None):
    return StrategyColors()


def grid(pyplot, panels, width=5.6, height=4.4, max_columns=3):
    columns = max(1, min(max_columns, panels))
    rows = max(1, math.ceil(panels / columns))
    figure, axes = pyplot.subplots(rows, columns, figsize=(width * columns, height * rows + 0.9),
                                   squeeze=False, layout="constrained")
    flat = [axis for row in axes for axis in row]
    for axis in flat[panels:]:
        axis.set_visible(False)
    return figure, flat[:panels]


def panel_title(text):
    return "\n".join(textwrap.wrap(text, 52))


def metric(row, key):
    metrics = row.get("metrics", {})
    value = metrics.get(key, metrics.get(LEGACY_NAMES.get(key, key)))
    return value if isinstance(value, dict) and value.get("samples", 0) > 0 else None


def units_of(report):
    """Metric name -> unit, from the catalogue the report carries (else catalogue version 1's)."""
    entries = report.get("metrics", {}).get("entries") if isinstance(report.get("metrics"), dict) else None
    if not isinstance(entries, list):
        return dict(FALLBACK_UNITS)
    return {entry["name"]: entry.get("unit") for entry in entries if isinstance(entry, dict) and "name" in entry}


def formatter_for(units, name):
    unit = units.get(name, FALLBACK_UNITS.get(name))
    if unit == "ns":
        return format_ns
    if unit == "1/s":
        return format_rate
    return lambda value, _position=None: f"{value:g}"


def nice_log_ticks(low, high):
    """Tick values for a log axis from low to high: decades, or 1-2-5 steps (then every digit) on narrow ranges,
    so that every tick carries a plain label and none are mathtext minor labels."""
    if not (low > 0 and high > low):
        return []
    ticks = []
    for mantissas in ((1,), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        ticks = [m * 10 ** k for k in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
                 for m in mantissas if low <= m * 10 ** k <= high]
        if len(ticks) >= 2:
            break
    if len(ticks) > 8:  # thin out long runs of decades
        step = math.ceil(len(ticks) / 8)
        ticks = ticks[::step]
    return ticks


def set_log_axis(axis, which, low, high, formatter, ticker):
    """Log scale on one axis with plain-unit labels at nice_log_ticks (and no labels on the minor ticks)."""
    getattr(axis, f"set_{which}scale")("log")
    getattr(axis, f"set_{which}lim")(low, high)
    target = axis.yaxis if which == "y" else axis.xaxis
    ticks = nice_log_ticks(low, high)
    if ticks:
        target.set_major_locator(ticker.FixedLocator(ticks))
    target.set_major_formatter(ticker.FuncFormatter(formatter))
    target.set_minor_formatter(ticker.NullFormatter())


def log_floor(values):
    positive = [v for v in values if v and v > 0]
    return min(positive) / 3 if positive else 1


def save(figure, out_dir, name, written):
    for extension in ("svg", "png"):
        path = os.path.join(out_dir, f"{name}.{extension}")
        figure.savefig(path, dpi=110 if extension == "png" else None)
        written.append(path)


# ---- plots -------------------------------------------------------------------------------------------------------

def range_bars(spread):
    """Error-bar lengths below and above the median: the min–max over the repetitions."""
    return [[spread["median"] - spread["min"]], [spread["max"] - spread["median"]]]


def plot_throughput(report, pyplot, ticker, colors, out_dir, written):
    tables = report["tables"]
    figure, axes = grid(pyplot, len(tables))
    figure.suptitle("Throughput: tasks per second by strategy (point: median; bar: min–max over repetitions)",
                    fontsize=13, fontweight="bold")
    for axis, table in zip(axes, tables):
        rows = table.get("rows", [])
        labels = [row["label"] for row in rows]
        spreads = [metric(row, THROUGHPUT) for row in rows]
        floor = log_floor([s["min"] for s in spreads if s])
        for x, (label, spread) in enumerate(zip(labels, spreads)):
            if spread is None:
                axis.text(x, floor * 1.5, "no data\n(failed)", ha="center", va="bottom", fontsize=8, color="#a00")
                continue
            axis.errorbar([x], [spread["median"]], yerr=range_bars(spread), fmt="o", markersize=7, capsize=4,
                          color=colors[label], ecolor=colors[label], elinewidth=1.5)
        top = max([s["max"] for s in spreads if s] or [floor * 10]) * 1.6
        set_log_axis(axis, "y", floor, top, formatter_for(units_of(report), THROUGHPUT), ticker)
        axis.set_xlim(-0.6, len(labels) - 0.4)
        axis.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
        for tick, label in zip(axis.get_xticklabels(), labels):
            tick.set_color(colors[label])
        axis.set_ylabel("tasks/s (log scale)")
        axis.set_title(panel_title(table["title"]), fontsize=9)
        axis.grid(axis="y", which="major", alpha=0.3)
        choice = table.get("recommendation", {}).get("choice")
        for name in (choice or "").split(" or "):
            if name in labels:
                axis.get_xticklabels()[labels.index(name)].set_fontweight("bold")
    figure.text(0.5, 0.0, "Log scale: equal distances are equal ratios. Bold strategy name: the report's "
                "recommendation for that configuration (several on a tie).",
                ha="center", va="bottom", fontsize=8, style="italic")
    save(figure, out_dir, "throughput", written)
    pyplot.close(figure)


# Percentile markers of the latency plot: the strategy's colour, the percentile's shape.
LATENCY_MARKERS = {"p50": "o", "p99": "s", "p99.9": "^"}


def plot_latency(report, pyplot, ticker, colors, out_dir, written):
    tables = report["tables"]
    figure, axes = grid(pyplot, len(tables))
    offsets = {"p50": -0.22, "p99": 0.0, "p99.9": 0.22}
    shown_anywhere = set()
    for axis, table in zip(axes, tables):
        rows = table.get("rows", [])
        labels = [row["label"] for row in rows]
        values = []
        shown = set()
        for key, name, _ in LATENCY_PERCENTILES:
            for x, row in enumerate(rows):
                spread = metric(row, key)
                if spread is None:
                    continue
                values += [spread["min"], spread["max"]]
                axis.errorbar([x + offsets[name]], [spread["median"]], yerr=range_bars(spread),
                              fmt=LATENCY_MARKERS[name], markersize=5, capsize=2, color=colors[row["label"]],
                              ecolor=colors[row["label"]], elinewidth=1)
                shown.add(name)
        shown_anywhere |= shown
        if values:
            set_log_axis(axis, "y", log_floor(values), max(values) * 12,
                         formatter_for(units_of(report), LATENCY_PERCENTILES[0][0]), ticker)
        else:
            axis.text(0.5, 0.5, "latency not measured", transform=axis.transAxes, ha="center")
            axis.set_yscale("log")
        axis.set_xlim(-0.6, len(labels) - 0.4)
        axis.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
        for tick, label in zip(axis.get_xticklabels(), labels):
            tick.set_color(colors[label])
        axis.set_ylabel("latency (log scale)")
        axis.set_title(panel_title(table["title"]), fontsize=9)
        axis.grid(axis="y", which="major", alpha=0.3)
        if shown:
            # A legend on every panel: which marker is which percentile (the colour is the strategy, named on
            # the x axis in its colour).
            handles = [pyplot.Line2D([], [], linestyle="none", marker=LATENCY_MARKERS[name], color="#444",
                                     markersize=5) for _, name, _ in LATENCY_PERCENTILES if name in shown]
            axis.legend(handles, [name for _, name, _ in LATENCY_PERCENTILES if name in shown], loc="upper left",
                        ncol=3, fontsize=7, title="percentile", title_fontsize=7)
    # The title names only the percentiles drawn (a run records p99.9 only where it was asked for), wrapped to
    # the figure's width.
    symbols = {"p50": "●", "p99": "■", "p99.9": "▲"}
    drawn = ", ".join(f"{name} {symbols[name]}" for _, name, _ in LATENCY_PERCENTILES if name in shown_anywhere)
    title = (f"End-to-end latency (submit to task end) by strategy: {drawn or 'not measured'} "
             "(point: median; bar: min–max over repetitions; log scale)")
    figure.suptitle("\n".join(textwrap.wrap(title, 56 if len(tables) == 1 else 100)), fontsize=12,
                    fontweight="bold")
    save(figure, out_dir, "latency", written)
    pyplot.close(figure)


def plot_crossover(report, pyplot, ticker, colors, out_dir, written):
    crossovers = [c for c in report.get("crossovers", []) if c.get("series")]
    if not crossovers:
        print("plot.py: crossover not drawn: no cpu_burst data in this report", file=sys.stderr)
        return
    figure, axes = grid(pyplot, len(crossovers), width=6.4, height=4.8, max_columns=2)
    title = "Time per task against the task's own duration (cpu_burst): where pooling stops paying"
    figure.suptitle("\n".join(textwrap.wrap(title, 48 if len(crossovers) == 1 else 100)), fontsize=13,
                    fontweight="bold")
    for axis, crossover in zip(axes, crossovers):
        durations = sorted({p["task_duration_us"] for s in crossover["series"] for p in s["points"]})
        for series in crossover["series"]:
            points = series["points"]
            xs = [p["task_duration_us"] for p in points]
            ys = [p[TIME_PER_TASK]["median"] for p in points]
            low = [p[TIME_PER_TASK]["median"] - p[TIME_PER_TASK]["min"] for p in points]
            high = [p[TIME_PER_TASK]["max"] - p[TIME_PER_TASK]["median"] for p in points]
            axis.errorbar(xs, ys, yerr=[low, high], marker="o", capsize=3, color=colors.get(series["label"]),
                          label=series["label"])
        workers = crossover.get("workers") or 1
        if durations:
            axis.plot(durations, [d * 1e3 / workers for d in durations], linestyle="--", color="#888",
                      label=f"ideal: duration ÷ {workers} workers")
        crossing_us = crossover.get("adopt_crossover_us")
        if crossing_us:
            rounded = float(f"{crossing_us:.3g}")
            axis.axvline(crossing_us, color="#555", linestyle=":",
                         label=f"pool's gap falls to {report.get('adopt_threshold', 2):g}x (≈ {format_us(rounded)})")
        y_values = [p[TIME_PER_TASK][k] for s in crossover["series"] for p in s["points"] for k in ("min", "max")]
        y_values += [d * 1e3 / workers for d in durations]
        if durations:
            set_log_axis(axis, "x", min(durations) / 1.5, max(durations) * 1.5, format_us, ticker)
        if y_values:
            set_log_axis(axis, "y", log_floor(y_values), max(y_values) * 2,
                         formatter_for(units_of(report), TIME_PER_TASK), ticker)
        axis.set_xlabel(f"task duration ({crossover.get('duration_param', 'duration')})")
        axis.set_ylabel("wall time per task")
        axis.set_title(panel_title(crossover["title"]), fontsize=9)
        axis.grid(which="major", alpha=0.3)
        axis.legend(fontsize=8, loc="best")
    save(figure, out_dir, "crossover", written)
    pyplot.close(figure)


OPEN_LOOP_PARAMS = ("arrival", "rate", "load")


def open_loop_series(report):
    """Open-loop tables grouped by everything but the offered load: {panel title: {strategy label: [points]}}, each
    point (x, p50 spread, p99 spread, saturated). x is the load fraction where the cases were given by --load,
    else the offered rate in tasks/s."""
    panels = {}
    by_load = False
    for table in report["tables"]:
        params = table.get("params") or {}
        if "arrival" not in params or ("rate" not in params and "load" not in params):
            continue
        by_load = by_load or "load" in params
        rest = {k: v for k, v in params.items() if k not in OPEN_LOOP_PARAMS}
        title = " ".join([table.get("workload", "?"), f"({params['arrival']})"] +
                         [f"{k}={v}" for k, v in sorted(rest.items())] +
                         [f"tasks={table.get('tasks')}", f"workers={table.get('workers')}",
                          f"producers={table.get('producers')}"])
        for row in table.get("rows", []):
            p50, p99 = metric(row, "e2e_p50_ns"), metric(row, "e2e_p99_ns")
            offered = metric(row, "offered_rate")
            if p50 is None or p99 is None:
                continue
            x = float(params["load"]) if "load" in params else (offered["median"] if offered else float(params["rate"]))
            saturated = metric(row, "saturated")
            panels.setdefault(title, {}).setdefault(row["label"], []).append(
                (x, p50, p99, bool(saturated and saturated["max"] > 0)))
    return panels, by_load


def plot_load_latency(report, pyplot, ticker, colors, out_dir, written):
    panels, by_load = open_loop_series(report)
    if not panels:
        return
    figure, axes = grid(pyplot, len(panels), width=6.4, height=4.8, max_columns=2)
    title = ("Latency against offered load (open loop, from intended submit times): p50 dashed, p99 solid, "
             "× saturated")
    figure.suptitle("\n".join(textwrap.wrap(title, 56 if len(panels) == 1 else 110)), fontsize=12,
                    fontweight="bold")
    for axis, (title, series) in zip(axes, sorted(panels.items())):
        values = []
        for label, points in sorted(series.items()):
            points.sort(key=lambda point: point[0])
            xs = [point[0] for point in points]
            for index, style in ((1, "--"), (2, "-")):
                ys = [point[index]["median"] for point in points]
                values += ys
                axis.plot(xs, ys, linestyle=style, marker="o", markersize=3, color=colors.get(label),
                          label=label if index == 2 else None)
                saturated = [(x, y) for x, y, point in zip(xs, ys, points) if point[3]]
                if saturated:
                    axis.scatter([x for x, _ in saturated], [y for _, y in saturated], marker="x", s=60,
                                 color=colors.get(label), zorder=3)
        if values:
            set_log_axis(axis, "y", log_floor(values), max(values) * 3, formatter_for(units_of(report), "e2e_p99_ns"),
                         ticker)
        axis.set_xlabel("offered load (fraction of the case's calibrated capacity)" if by_load
                        else "offered rate (tasks/s)")
        if not by_load:
            axis.xaxis.set_major_formatter(ticker.FuncFormatter(format_rate))
        axis.set_ylabel("e2e latency")
        axis.set_title(panel_title(title), fontsize=9)
        axis.grid(which="major", alpha=0.3)
        axis.legend(fontsize=8, loc="upper left")
    save(figure, out_dir, "load_latency", written)
    pyplot.close(figure)


def plot_sizing(report, pyplot, ticker, colors, out_dir, written):
    """Tasks/s and e2e p99 against K, one row of two panels per configuration, with Little's law's K (dotted
    line, the fastest strategy's λ·W) and the K that is enough (ringed point) marked."""
    groups = report.get("sizing") or []
    if not groups:
        return
    figure, axes = pyplot.subplots(len(groups), 2, figsize=(12.8, 4.8 * len(groups)), squeeze=False,
                                   constrained_layout=True)
    title = ("Sizing K: tasks/s and e2e p99 against the worker count (point: median; bar: min–max; dotted: "
             "Little's K = λ·W of the fastest strategy; ringed: the smallest K within the noise of the best)")
    figure.suptitle("\n".join(textwrap.wrap(title, 110)), fontsize=11, fontweight="bold")
    for (throughput_axis, p99_axis), group in zip(axes, groups):
        fastest = max(group["curves"], key=lambda curve: curve["best_rate"], default=None)
        rates, p99s, workers = [], [], []
        for curve in group["curves"]:
            color = colors.get(curve["label"])
            points = curve["points"]
            xs = [point["workers"] for point in points]
            workers += xs
            ys = [point["tasks_per_second"]["median"] for point in points]
            rates += [point["tasks_per_second"]["min"] for point in points] + ys
            throughput_axis.errorbar(xs, ys, yerr=[[y - point["tasks_per_second"]["min"] for y, point in
                                                    zip(ys, points)],
                                                   [point["tasks_per_second"]["max"] - y for y, point in
                                                    zip(ys, points)]],
                                     marker="o", markersize=4, capsize=3, color=color, label=curve["label"])
            enough = [(x, y) for x, y in zip(xs, ys) if x == curve["enough_workers"]]
            if enough:
                throughput_axis.scatter([enough[0][0]], [enough[0][1]], s=160, facecolors="none",
                                        edgecolors=color, linewidths=2, zorder=3)
            latency = [(point["workers"], point["e2e_p99_ns"]["median"]) for point in points
                       if point.get("e2e_p99_ns")]
            if latency:
                p99s += [y for _, y in latency]
                p99_axis.plot([x for x, _ in latency], [y for _, y in latency], marker="o", markersize=4,
                              color=color, label=curve["label"])
        for axis in (throughput_axis, p99_axis):
            axis.set_xscale("log", base=2)
            axis.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _position: f"{value:g}"))
            axis.set_xlabel("workers K (log scale)")
            axis.grid(which="major", alpha=0.3)
            if fastest and fastest.get("little_workers"):
                little = fastest["little_workers"]
                axis.axvline(little, linestyle=":", color="#444")
                axis.text(little, 0.02, f" Little: K≈{little:.3g}\n ({fastest['label']})", rotation=0,
                          transform=axis.get_xaxis_transform(), va="bottom", fontsize=8, color="#444")
        if rates:
            set_log_axis(throughput_axis, "y", log_floor(rates), max(rates) * 2,
                         formatter_for(units_of(report), THROUGHPUT), ticker)
        if p99s:
            set_log_axis(p99_axis, "y", log_floor(p99s), max(p99s) * 3,
                         formatter_for(units_of(report), "e2e_p99_ns"), ticker)
        throughput_axis.set_ylabel("tasks/s (log scale)")
        p99_axis.set_ylabel("e2e p99 (log scale)")
        throughput_axis.set_title(panel_title(group["title"]), fontsize=9)
        p99_axis.set_title(panel_title(group["title"]), fontsize=9)
        throughput_axis.legend(fontsize=8, loc="best")
        p99_axis.legend(fontsize=8, loc="best")
    save(figure, out_dir, "sizing", written)
    pyplot.close(figure)


def series_of(row, prefix):
    """[(seconds, median, min, max)] from a row's PREFIX<ms>ms metrics, in time order."""
    points = []
    for name, spread in (row.get("metrics") or {}).items():
        if name.startswith(prefix) and name.endswith("ms") and isinstance(spread, dict):
            try:
                milliseconds = int(name[len(prefix):-2])
            except ValueError:
                continue
            points.append((milliseconds / 1000, spread["median"], spread["min"], spread["max"]))
    return sorted(points)


def plot_self_tuning(report, pyplot, ticker, colors, out_dir, written):
    """Live workers (and the adaptive strategy's K) over time per phased configuration."""
    tables = [table for table in report["tables"] if table.get("workload") == "phased"]
    if not tables:
        return
    figure, axes = pyplot.subplots(len(tables), 1, figsize=(11.2, 4.6 * len(tables)), squeeze=False,
                                   constrained_layout=True)
    title = ("Self-tuning K: live workers over time (line: median over the repetitions; band: min–max; dashed: "
             "adaptive's capacity K; dotted: busy workers the phase offers, rate × task time)")
    figure.suptitle("\n".join(textwrap.wrap(title, 110)), fontsize=11, fontweight="bold")
    for (axis,), table in zip(axes, tables):
        end = 0
        boundaries = []
        for row in table["rows"]:
            color = colors.get(row["label"])
            live = series_of(row, "live_workers_at_")
            if live:
                xs = [point[0] for point in live]
                end = max(end, xs[-1])
                axis.step(xs, [point[1] for point in live], where="post", color=color, label=row["label"])
                axis.fill_between(xs, [point[2] for point in live], [point[3] for point in live], step="post",
                                  color=color, alpha=0.15, linewidth=0)
            capacity = series_of(row, "k_at_")
            if capacity:
                axis.step([point[0] for point in capacity], [point[1] for point in capacity], where="post",
                          color=color, linestyle="--", label=f"{row['label']}: K")
            if not boundaries:
                for key in ("phase_high_start_ns", "phase_low_again_start_ns"):
                    spread = metric(row, key)
                    if spread:
                        boundaries.append(spread["median"] / 1e9)
        params = table.get("params") or {}
        try:
            task_seconds = float(params.get("task_us", "2500")) / 1e6
            offered = [float(params.get("low_rate", "400")) * task_seconds,
                       float(params.get("high_rate", "3200")) * task_seconds,
                       float(params.get("low_rate", "400")) * task_seconds]
        except ValueError:
            offered = []
        edges = [0] + boundaries + [end]
        if offered and len(edges) == 4:
            for phase, (start, stop) in enumerate(zip(edges, edges[1:])):
                axis.hlines(offered[phase], start, stop, colors="#444", linestyles=":",
                            label="offered (λ·W)" if phase == 0 else None)
        for boundary in boundaries:
            axis.axvline(boundary, color="#999", linewidth=1)
        for name, (start, stop) in zip(("low", "high", "low again"), zip(edges, edges[1:])):
            axis.text((start + stop) / 2, 1.01, name, transform=axis.get_xaxis_transform(), ha="center",
                      va="bottom", fontsize=9, color="#444")
        axis.set_xlabel("seconds since the first submit")
        axis.set_ylabel("workers")
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
        axis.set_title(panel_title(table["title"]), fontsize=9, pad=16)
        axis.legend(fontsize=8, loc="upper right")
    save(figure, out_dir, "self_tuning_k", written)
    pyplot.close(figure)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", help="JSON report (poolbench report RESULT.json --format json)")
    parser.add_argument("--out", help="directory for the SVG and PNG files")
    parser.add_argument("--colors", action="store_true",
                        help="print the colour of every strategy label of the report (a JSON object), draw nothing")
    arguments = parser.parse_args()

    report = load_report(arguments.report)
    if arguments.colors:
        print(json.dumps({label: strategy_color(label) for label in report_labels(report)}, indent=1))
        return
    if not arguments.out:
        fail("--out DIR is required (or --colors)")
    if not os.path.isdir(arguments.out):
        try:
            os.makedirs(arguments.out, exist_ok=True)
        except OSError as error:
            fail(f"--out {arguments.out}: {error.strerror}")
    _, pyplot, ticker = import_matplotlib()
    pyplot.rcParams.update({"svg.fonttype": "none", "font.size": 9})
    colors = strategy_colors(report, pyplot)
    written = []
    if report["tables"]:
        plot_throughput(report, pyplot, ticker, colors, arguments.out, written)
        plot_latency(report, pyplot, ticker, colors, arguments.out, written)
    plot_crossover(report, pyplot, ticker, colors, arguments.out, written)
    plot_load_latency(report, pyplot, ticker, colors, arguments.out, written)
    plot_sizing(report, pyplot, ticker, colors, arguments.out, written)
    plot_self_tuning(report, pyplot, ticker, colors, arguments.out, written)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
