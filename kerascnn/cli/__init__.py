"""The ``kerascnn`` command-line program: argument parsing, logging and progress bars only.

Every subcommand calls the library (``kerascnn.models``, ``kerascnn.training``,
``kerascnn.export``), and nothing in the library imports this package.
"""
