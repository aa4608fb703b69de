"""Figures of a training run, drawn with matplotlib's Agg backend so that no display is needed."""

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Panels of the history figure: the metric key in the Keras history and its axis label.
HISTORY_PANELS = (("loss", "Loss"), ("accuracy", "Accuracy"))


def plot_history(history, path, title=None):
    """Draw the loss and accuracy curves of ``history`` side by side and save them as a PNG.

    Args:
        history: dict of per-epoch values as in ``keras.callbacks.History.history``, with keys
            such as "loss", "accuracy", "val_loss" and "val_accuracy". A missing key leaves its
            curve out.
        path: file to write. The format is PNG whatever its suffix.
        title: optional title above both panels.
    """
    figure = Figure(figsize=(10, 4), layout="constrained")
    FigureCanvasAgg(figure)
    if title:
        figure.suptitle(title)

    for axes, (metric, label) in zip(figure.subplots(1, len(HISTORY_PANELS)), HISTORY_PANELS):
        for key, curve_label in ((metric, "train"), (f"val_{metric}", "validation")):
            values = history.get(key)
            if values:
                # Markers keep a run of a single epoch visible.
                axes.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=curve_label)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("Epoch")
        axes.set_ylabel(label)
        axes.grid(alpha=0.3)
        if axes.has_data():
            axes.legend()

    figure.savefig(path, format="png", dpi=100)
