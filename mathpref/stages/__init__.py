"""Built-in stages; importing this package registers them."""

from mathpref.decontam import stage as _decontaminate  # noqa: F401,E402
from mathpref.stages import continuations, generate, importer, problems, scoring, verify  # noqa: F401
from mathpref.stages.metrics import MetricsStage as _metrics  # noqa: F401
