"""Step sources beyond the arithmetic checker: completion-based labels, a critic, a PRM.

Each source is a plain library (it knows nothing of the store or the runner): it turns
`StepItem`s into `StepLabel`s. The `step_labels` stage kind picks one by its `method` key.
"""

from mathpref.steplabels.base import (
    STATUS_LABELLED,
    STATUS_UNVERIFIABLE,
    Generate,
    StepItem,
    StepLabel,
)

__all__ = ["STATUS_LABELLED", "STATUS_UNVERIFIABLE", "Generate", "StepItem", "StepLabel"]
