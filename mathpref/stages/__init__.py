"""Built-in stages; importing this package registers them."""

from mathpref.stages import continuations, generate, importer, problems, scoring, verify  # noqa: F401
