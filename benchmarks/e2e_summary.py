"""Summarises an end-to-end run of run.sh (e2e, e2e-adapters) as the Markdown tables of BENCHMARKS.md.

Usage: e2e_summary.py CSV --variants a,b,... --pairs with/without,...
The CSV has one row per round and variant: round,variant,requests_per_s,p99_ms,cpu_us_per_request. Each pair's
ratios are taken within a round (both variants measured minutes apart at most), then summarised over the rounds by
their median and quartiles, so that drift of the machine between rounds cancels out.
"""
import argparse
import csv
import statistics


def quartiles(xs):
    xs = sorted(xs)
    n = len(xs)
    return statistics.median(xs), xs[n // 4], xs[(3 * n) // 4]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("--variants", required=True, help="table rows, in this order")
    parser.add_argument("--pairs", required=True, help="with/without,...: the per-round ratios to show")
    args = parser.parse_args()
    variants = args.variants.split(",")
    pairs = [tuple(p.split("/")) for p in args.pairs.split(",")]
    by = {v: [] for v in variants}
    with open(args.csv) as f:
        for r in csv.DictReader(f):
            by[r["variant"]].append(r)

    def med(v, k):
        return statistics.median(float(r[k]) for r in by[v])

    def spread(v, k):
        xs = sorted(float(r[k]) for r in by[v])
        return f"{xs[0]:.0f}–{xs[-1]:.0f}" if k == "requests_per_s" else f"{xs[0]:.2f}–{xs[-1]:.2f}"

    print(f"rounds: {len(by[variants[0]])}\n")
    print("| variant | req/s median | req/s min–max | p99 ms median | CPU µs/request median "
          "| CPU µs/request min–max |")
    print("|---|---|---|---|---|---|")
    for v in variants:
        print(f"| {v} | {med(v, 'requests_per_s'):.0f} | {spread(v, 'requests_per_s')} | {med(v, 'p99_ms'):.2f} | "
              f"{med(v, 'cpu_us_per_request'):.2f} | {spread(v, 'cpu_us_per_request')} |")
    print("\n| with / without | throughput ratio: median (q1–q3) | CPU per request ratio: median (q1–q3) |")
    print("|---|---|---|")
    for a, b in pairs:
        ra = {r["round"]: r for r in by[a]}
        rb = {r["round"]: r for r in by[b]}
        tp = quartiles([float(ra[k]["requests_per_s"]) / float(rb[k]["requests_per_s"]) for k in ra])
        cpu = quartiles([float(ra[k]["cpu_us_per_request"]) / float(rb[k]["cpu_us_per_request"]) for k in ra])
        print(f"| {a} / {b} | {tp[0]:.3f} ({tp[1]:.3f}–{tp[2]:.3f}) | {cpu[0]:.3f} ({cpu[1]:.3f}–{cpu[2]:.3f}) |")


if __name__ == "__main__":
    main()
