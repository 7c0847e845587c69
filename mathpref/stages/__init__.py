"""Built-in stages; importing this package registers them."""

from mathpref.stages import (  # noqa: F401
    continuations,
    decontaminate,
    generate,
    importer,
    problems,
    scoring,
    verify,
)
