"""The one SQL layer: DuckDB connections, views over a build, audits and analyses.

    connection   fresh connections, bound parameters, the SQL files of `sql/` (scores, pairs)
    views        one view per dataset kind over a build (`connect`, `connect_outputs`, `query`)
    audits       `sql/audits/` (offending rows) and `sql/analyses/` (reports)

Scoring, the runner's post-build audits, the CLI's `sql` and `report` all go through here.
"""

from mathpref.db.audits import AuditResult, raise_for_audits, run_analyses, run_audits
from mathpref.db.views import audit_build, connect, connect_outputs, query

__all__ = [
    "AuditResult",
    "audit_build",
    "connect",
    "connect_outputs",
    "query",
    "raise_for_audits",
    "run_analyses",
    "run_audits",
]
