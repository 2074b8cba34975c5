"""Command line: ``python -m activelens simulate --dataset digits --strategies random,margin --seeds 5``."""
from __future__ import annotations

import argparse
import sys

import numpy as np


def _simulate(args) -> int:
    from activelens.datasets import load_dataset
    from activelens.strategies.registry import COLD_STARTS, STRATEGIES
    from activelens.models import make_model
    from activelens.loop.simulate import split_holdout, compare, full_pool_score, summarize

    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        print(f"error: unknown strategy {unknown[0]!r}; choose from {', '.join(STRATEGIES)}", file=sys.stderr)
        return 2
    if args.cold_start not in COLD_STARTS:
        print(f"error: unknown cold start {args.cold_start!r}; choose from {', '.join(COLD_STARTS)}", file=sys.stderr)
        return 2
    if "random" not in strategies:
        strategies.insert(0, "random")  # the baseline every ratio is measured against
    problem = _check_simulate_args(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        X, y = load_dataset(args.dataset, args.target, text=args.text)
        model = make_model(args.model, sparse=args.text is not None)
        Xp, yp, Xt, yt = split_holdout(X, y, None, None, args.test_size, 0)
        budget = args.budget or min(Xp.shape[0], 600)
        ceiling = full_pool_score(model, Xp, yp, X_test=Xt, y_test=yt)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fractions = [0.90, 0.95, 0.99]
    targets = {f"{int(f * 100)}%": f * ceiling for f in fractions}
    try:
        curves = compare(model, Xp, yp, strategies, seeds=args.seeds, X_test=Xt, y_test=yt, initial=args.initial,
                         batch_size=args.batch_size, budget=budget, n_jobs=args.jobs, progress=not args.quiet,
                         cold_start=args.cold_start)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = summarize(curves, targets)
    print(f"dataset={args.dataset} model={args.model} pool={Xp.shape[0]} test={Xt.shape[0]} budget={budget} "
          f"batch={args.batch_size} initial={args.initial} cold_start={args.cold_start} seeds={args.seeds}")
    print(f"full-pool {args.model} accuracy: {ceiling:.4f} (targets: " +
          ", ".join(f"{k}={v:.4f}" for k, v in targets.items()) + ")")
    shown = table[["aubc", "aubc_sd", "aubc_vs_random"] + [f"labels_to_{k}" for k in targets] +
                  [f"saving_{k}" for k in targets]]
    with __import__("pandas").option_context("display.width", 200, "display.max_columns", 20):
        print(shown.to_string(float_format=lambda v: f"{v:.3f}", na_rep="—"))
    print("labels_to_X: labels to reach X of full-pool accuracy on the seed-mean curve (— = not within budget); "
          "saving_X: random's labels / this strategy's labels")
    if args.plot:
        from activelens.plots import curves_figure
        curves_figure(curves, reference=ceiling).write_html(args.plot, include_plotlyjs=True)
        print(f"wrote {args.plot}")
    return 0


def _check_simulate_args(args) -> str | None:
    """What is wrong with the simulate arguments that need no data (checked before minutes of simulation), or None."""
    from pathlib import Path

    for name in ("seeds", "batch_size", "initial", "jobs"):
        value = getattr(args, name)
        if value < 1 and not (name == "jobs" and value == -1):
            return f"--{name.replace('_', '-')} must be a positive number, got {value}"
    if args.budget is not None and args.budget < 1:
        return f"--budget must be a positive number of labels, got {args.budget}"
    if not 0 < args.test_size < 1:
        return f"--test-size must be the share of rows held out for testing, between 0 and 1 (e.g. 0.3), got {args.test_size}"
    if args.plot:
        folder = Path(args.plot).expanduser().resolve().parent
        if not folder.is_dir():
            return f"--plot {args.plot!r}: the folder {str(folder)!r} does not exist; create it or write the plot elsewhere"
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m activelens", description="activelens command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", help="race strategies against random with a simulated oracle")
    sim.add_argument("--dataset", default="digits", help="digits, breast_cancer, wine, iris, or a .csv/.parquet file")
    sim.add_argument("--target", default=None, help="label column of a dataset file (default: the last column)")
    sim.add_argument("--text", default=None, metavar="COLUMN",
                     help="a text column of the dataset file: the pool is its TF-IDF matrix (sparse)")
    sim.add_argument("--strategies", default="auto,margin,entropy,combined",
                     help="comma-separated strategy names (random is always added); auto is the default strategy")
    sim.add_argument("--cold-start", default="auto", help="auto (default), random or typiclust")
    sim.add_argument("--seeds", type=int, default=5)
    sim.add_argument("--model", default="logreg", choices=["logreg", "svm"])
    sim.add_argument("--batch-size", type=int, default=10)
    sim.add_argument("--initial", type=int, default=20)
    sim.add_argument("--budget", type=int, default=None, help="labels per run (default: min(pool, 600))")
    sim.add_argument("--test-size", type=float, default=0.3)
    sim.add_argument("--jobs", type=int, default=1, help="parallel runs (joblib)")
    sim.add_argument("--plot", default=None, help="write the curves as a plotly HTML file")
    sim.add_argument("--quiet", action="store_true", help="no progress bar")
    sim.set_defaults(func=_simulate)
    from activelens.cli_store import add_store_commands
    add_store_commands(sub)  # select, export
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
