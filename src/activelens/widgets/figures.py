"""Plotly figures of what the widgets show, for reports: the map, the learning curve, the race's curves.

plotly is imported when a figure is asked for, never on import."""
from __future__ import annotations

import numpy as np


def map_figure(coords: np.ndarray, colours, batch_rows: np.ndarray, batch_indices, projection: str, color_by: str):
    """The map: points coloured as on the page, the batch ringed.

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
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_trace(go.Scattergl(x=coords[:, 0], y=coords[:, 1], mode="markers", name="pool",
                               marker=dict(color=list(colours), size=4), hoverinfo="skip"))
    if batch_rows.size:
        fig.add_trace(go.Scattergl(x=coords[batch_rows, 0], y=coords[batch_rows, 1], mode="markers", name="batch",
                                   marker=dict(color="rgba(0,0,0,0)", size=12, line=dict(color="#ff3d00", width=2)),
                                   text=[str(i) for i in batch_indices]))
    fig.update_layout(title=f"pool map ({projection}), colour: {color_by}", template="plotly_white",
                      xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"))
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
    fig.add_trace(go.Scatter(x=c.get("n_labels", []), y=c.get("scores", []), mode="lines+markers", name=strategy))
    if c.get("baseline_n"):
        fig.add_trace(go.Scatter(x=c["baseline_n"], y=c["baseline_scores"], mode="lines", name="random",
                                 line=dict(dash="dash")))
    fig.update_layout(title="learning curve", xaxis_title="labels", yaxis_title=f"{c.get('metric', 'score')} "
                      f"({c.get('source') or 'no score yet'})", template="plotly_white")
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
