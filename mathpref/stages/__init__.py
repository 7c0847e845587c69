"""Built-in stages; importing this package registers them."""

from mathpref.stages import importer, problems, verify  # noqa: F401
