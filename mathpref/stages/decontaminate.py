"""The `decontaminate` stage: flag problems that match an eval item (see mathpref.decontam)."""

from __future__ import annotations

from mathpref.decontam.config import DecontamConfig, eval_digests, eval_tables
from mathpref.decontam.match import find_contamination
from mathpref.schemas import get_schema
from mathpref.stages.base import Stage, register


@register
class DecontaminateStage(Stage):
    kind = "decontaminate"
    code_version = "decontaminate-1"
    Config = DecontamConfig
    inputs = {"problems": True}
    outputs = {"contamination": "contamination"}

    def version_parts(self):
        # Registry sets are checked against their pinned sha256 when read, so the pin stands
        # for the content; user files are hashed.
        return {"eval": eval_digests(self.config, self.resolve)}

    def run_shard(self, ctx, shard, n_shards):
        c = self.config
        problems = ctx.input("problems", ["problem_id", "source", "question"])
        table = find_contamination(
            problems, eval_tables(c, self.resolve), n=c.n, threshold=c.threshold
        )
        flagged = 0 if table is None else len(set(table["problem_id"].to_pylist()))
        ctx.note(f"{flagged} of {problems.num_rows} problem(s) flagged")
        return {
            "contamination": None if table is None else get_schema("contamination").conform(table)
        }
