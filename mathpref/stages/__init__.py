"""Built-in stages; importing this package registers them."""

from mathpref.stages import importer, problems  # noqa: F401
