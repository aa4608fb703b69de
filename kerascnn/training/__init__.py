"""Training: compile recipes (``recipes``), data pipelines (``data``), the training run (``train``)
and its figures (``plots``)."""
