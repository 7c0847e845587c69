"""Built-in stages; importing this package registers them."""

from mathpref.decontam import stage as _decontaminate  # noqa: F401,E402
from mathpref.stages import (  # noqa: F401
    continuations,
    generate,
    importer,
    metrics,
    problems,
    scoring,
    verify,
)
