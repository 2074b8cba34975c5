"""Command line: ``activelens simulate --dataset digits --strategies random,margin --seeds 5`` (or ``python -m activelens``)."""
from __future__ import annotations

import argparse
import sys

from activelens.cli_store import EXPECTED_ERRORS, add_store_commands, error_exit


def _simulate(args) -> int:
    from activelens.datasets import load_dataset
    from activelens.models import make_model
    from activelens.loop.simulate import split_holdout, compare, full_pool_score, summarize

    try:
        strategies = _check_simulate_args(args)
        X, y = load_dataset(args.dataset, args.target, text=args.text)
        model = make_model(args.model, sparse=args.text is not None)
        Xp, yp, Xt, yt = split_holdout(X, y, None, None, args.test_size, 0)
        budget = args.budget or min(Xp.shape[0], 600)
        ceiling = full_pool_score(model, Xp, yp, X_test=Xt, y_test=yt)
        targets = {f"{int(f * 100)}%": f * ceiling for f in (0.90, 0.95, 0.99)}
        curves = compare(model, Xp, yp, strategies, seeds=args.seeds, X_test=Xt, y_test=yt, initial=args.initial,
                         batch_size=args.batch_size, budget=budget, n_jobs=args.jobs, progress=not args.quiet,
                         cold_start=args.cold_start)
    except EXPECTED_ERRORS as exc:
        return error_exit(exc)
    print(f"dataset={args.dataset} model={args.model} pool={Xp.shape[0]} test={Xt.shape[0]} budget={budget} "
          f"batch={args.batch_size} initial={args.initial} cold_start={args.cold_start} seeds={args.seeds}")
    print(f"full-pool {args.model} accuracy: {ceiling:.4f} (targets: " +
          ", ".join(f"{k}={v:.4f}" for k, v in targets.items()) + ")")
    _print_table(summarize(curves, targets), targets)
    if args.plot:
        from activelens.plots import curves_figure
        curves_figure(curves, reference=ceiling).write_html(args.plot, include_plotlyjs=True)
        print(f"wrote {args.plot}")
    return 0


def _print_table(table, targets) -> None:
    import pandas as pd

    shown = table[["aubc", "aubc_sd", "aubc_vs_random"] + [f"labels_to_{k}" for k in targets] +
                  [f"saving_{k}" for k in targets]]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(shown.to_string(float_format=lambda v: f"{v:.3f}", na_rep="—"))
    print("labels_to_X: labels to reach X of full-pool accuracy on the seed-mean curve (— = not within budget); "
          "saving_X: random's labels / this strategy's labels")


def _check_simulate_args(args) -> list[str]:
    """The strategies to run (random first when not named), once every simulate argument that needs no data is
    checked (before minutes of simulation); a ValueError or TypeError names the first bad one."""
    import os
    from pathlib import Path

    from activelens.core.validation import check_path, check_scalar
    from activelens.datasets import BUNDLED
    from activelens.strategies.registry import COLD_STARTS, STRATEGIES

    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    if not strategies:
        raise ValueError(f"--strategies names no strategy ({args.strategies!r}); give one or more of "
                         f"{', '.join(STRATEGIES)}, comma-separated (random is always added as the baseline)")
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategy {unknown[0]!r}; choose from {', '.join(STRATEGIES)}")
    if args.cold_start not in COLD_STARTS:
        raise ValueError(f"unknown cold start {args.cold_start!r}; choose from {', '.join(COLD_STARTS)}")
    for name in ("seeds", "batch_size", "initial"):
        check_scalar(getattr(args, name), f"--{name.replace('_', '-')}", int, low=1)
    if args.jobs != -1:
        check_scalar(args.jobs, "--jobs", int, low=1, what="or -1 for every core")
    check_scalar(args.budget, "--budget", int, low=1, allow_none=True, what="labels per run")
    check_scalar(args.test_size, "--test-size", float, low=0, high=1, include_low=False, include_high=False,
                 what="the share of rows held out for testing, between 0 and 1, e.g. 0.3")
    if args.dataset not in BUNDLED and Path(args.dataset).exists():   # a file given: a folder or unreadable is refused
        check_path(args.dataset, "--dataset", must_exist=True)
    if args.plot:
        folder = Path(args.plot).expanduser().resolve().parent
        if not folder.is_dir():
            raise ValueError(f"--plot {args.plot!r}: the folder {str(folder)!r} does not exist; create it or write "
                             "the plot elsewhere")
        check_path(args.plot, "--plot")
        if not os.access(folder, os.W_OK):
            raise PermissionError(f"--plot {args.plot!r}: the folder {str(folder)!r} cannot be written to "
                                  "(permission denied); write the plot elsewhere")
    return strategies if "random" in strategies else ["random"] + strategies   # the baseline of every ratio


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="activelens", description="activelens command line (also: python -m activelens)")
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
    add_store_commands(sub)  # select, export
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except EXPECTED_ERRORS as exc:   # anything a command did not catch itself: still one line, never a traceback
        return error_exit(exc)


if __name__ == "__main__":
    sys.exit(main())
