"""File helpers shared by training and export."""

import contextlib
import os
import uuid


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path`` with the same suffix, then move it over ``path``.

    Missing parent folders are created. The temporary file is removed if the block raises, so
    ``path`` keeps its previous content and a reader never sees a partial file.
    """
    directory, name = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    stem, suffix = os.path.splitext(name)
    # Keras picks the save format from the suffix, so the temporary name keeps it.
    temporary_path = os.path.join(directory, f".{stem}-{uuid.uuid4().hex[:12]}.tmp{suffix}")
    try:
        yield temporary_path
        os.replace(temporary_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary_path)
        raise
