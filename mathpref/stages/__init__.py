"""Built-in stages; importing this package registers them."""

from mathpref.stages import (  # noqa: F401
    continuations,
    generate,
    importer,
    metrics,
    problems,
    scoring,
    verify,
)
