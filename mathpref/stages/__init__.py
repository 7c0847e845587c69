"""Built-in stages; importing this package registers them."""

from mathpref.stages import (  # noqa: F401
    continuations,
    decontaminate,
    generate,
    importer,
    problems,
    scoring,
    step_labels,
    verify,
)
from mathpref.stages.metrics import MetricsStage as _metrics  # noqa: F401
