"""Plotly figures for reports and slides."""
from __future__ import annotations

import pandas as pd


def curves_figure(curves: pd.DataFrame, reference: float | None = None, title: str = "Learning curves"):
    """Seed-mean score vs labels per strategy, with a ±1 sd band; ``reference`` draws the full-pool score."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for strategy, g in curves.groupby("strategy", sort=False):
        stats = g.groupby("n_labels").score.agg(["mean", "std"]).fillna(0.0)
        x = stats.index.to_numpy()
        fig.add_trace(go.Scatter(x=list(x) + list(x[::-1]), y=list(stats["mean"] + stats["std"]) +
                                 list((stats["mean"] - stats["std"])[::-1]), fill="toself", line={"width": 0},
                                 opacity=0.15, showlegend=False, hoverinfo="skip", name=f"{strategy} ±sd"))
        fig.add_trace(go.Scatter(x=x, y=stats["mean"], mode="lines", name=str(strategy)))
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dot", annotation_text="full pool")
    fig.update_layout(title=title, xaxis_title="labels", yaxis_title="score", template="plotly_white")
    return fig
