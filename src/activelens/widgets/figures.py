"""Plotly figures of what the widgets show, for reports: the map, the learning curve, the race's curves.

plotly is imported when a figure is asked for, never on import."""
from __future__ import annotations

import numpy as np


def map_figure(coords: np.ndarray, colours, batch_rows: np.ndarray, batch_indices, projection: str, color_by: str,
               labeled_rows=None, selected_rows=None):
    """The map: points coloured as on the page, labeled points on top (larger, outlined), the batch ringed, the
    selection marked.

    Parameters
    ----------
    coords : ndarray of shape (n_points, 2)
        The points' coordinates.
    colours : sequence of str, length n_points
        Each point's colour.
    batch_rows : ndarray of shape (b,)
        The point numbers of the batch items.
    batch_indices : sequence of int, length b
        Their pool positions (the hover text).
    projection, color_by : str
        For the title.
    labeled_rows, selected_rows : ndarray, optional
        The point numbers of the labeled items and of the selection.
    """
    import plotly.graph_objects as go

    colours = np.asarray(list(colours))
    fig = go.Figure()
    fig.add_trace(go.Scattergl(x=coords[:, 0], y=coords[:, 1], mode="markers", name="pool",
                               marker=dict(color=colours.tolist(), size=4), hoverinfo="skip"))
    if labeled_rows is not None and len(labeled_rows):
        r = np.asarray(labeled_rows)
        fig.add_trace(go.Scattergl(x=coords[r, 0], y=coords[r, 1], mode="markers", name="labeled",
                                   marker=dict(color=colours[r].tolist(), size=8, line=dict(color="#222", width=1))))
    if selected_rows is not None and len(selected_rows):
        r = np.asarray(selected_rows)
        fig.add_trace(go.Scattergl(x=coords[r, 0], y=coords[r, 1], mode="markers", name="selected",
                                   marker=dict(color="rgba(0,0,0,0)", size=10, line=dict(color="#1976d2", width=2))))
    if batch_rows.size:
        fig.add_trace(go.Scattergl(x=coords[batch_rows, 0], y=coords[batch_rows, 1], mode="markers", name="batch",
                                   marker=dict(color="rgba(0,0,0,0)", size=12, line=dict(color="#ff3d00", width=2)),
                                   text=[str(i) for i in batch_indices]))
    fig.update_layout(title=f"pool map ({projection}), colour: {color_by}", template="plotly_white",
                      xaxis=dict(title=f"{projection} 1", showticklabels=False, zeroline=False),
                      yaxis=dict(title=f"{projection} 2", showticklabels=False, zeroline=False, scaleanchor="x"))
    return fig


def curve_figure(curve: dict, strategy: str):
    """The learning curve (the ``curve`` trait), and the random baseline when there is one.

    Parameters
    ----------
    curve : dict
        The ``curve`` trait (see :func:`activelens.widgets.curve.curve_state`).
    strategy : str
        The curve's name in the legend.
    """
    import plotly.graph_objects as go

    c = curve
    fig = go.Figure()
    bx = c.get("baseline_n") or []
    if bx and c.get("baseline_lo"):
        fig.add_trace(go.Scatter(x=list(bx) + list(bx)[::-1], y=list(c["baseline_hi"]) + list(c["baseline_lo"])[::-1],
                                 fill="toself", fillcolor="rgba(120,120,120,0.18)", line=dict(width=0),
                                 name="random: spread of draws", hoverinfo="skip"))
    if bx:
        fig.add_trace(go.Scatter(x=bx, y=c["baseline_scores"], mode="lines", name="random baseline (mean)",
                                 line=dict(dash="dash", color="#777")))
    fig.add_trace(go.Scatter(x=c.get("n_labels", []), y=c.get("scores", []), mode="lines+markers", name=strategy))
    caption = c.get("baseline_note") or ""
    if not c.get("n_labels"):
        caption = "no score yet: a point appears after each retrain"
    fig.update_layout(title=dict(text="learning curve" + (f"<br><sup>{caption}</sup>" if caption else "")),
                      xaxis=dict(title="labels", rangemode="tozero"),
                      yaxis=dict(title=f"{c.get('metric', 'score')} on the holdout" if c.get("source") == "holdout"
                                 else f"{c.get('metric', 'score')} ({c.get('source') or 'no score yet'})"),
                      template="plotly_white", margin=dict(t=80))
    return fig


def race_figure(frame, strategies, colors):
    """The race's curves overlaid, random dashed.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns strategy, n_labels, score (``Race.curves_frame()``).
    strategies, colors : sequences of str
        The racers in order and their colours.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for s, color in zip(strategies, colors):
        d = frame[frame.strategy == s]
        fig.add_trace(go.Scatter(x=d.n_labels, y=d.score, mode="lines+markers", name=s, line=dict(color=color,
                                 dash="dash" if s == "random" else "solid")))
    fig.update_layout(title="race: score vs labels", xaxis_title="labels", yaxis_title="holdout score",
                      template="plotly_white")
    return fig
