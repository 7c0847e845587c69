-- Rollouts: each trajectory with its problem, gold answer and verdict (one row per trajectory).
CREATE OR REPLACE VIEW rollouts AS
SELECT
    t.trajectory_id, t.problem_id, p.source, p.question, p.gold_answer,
    t.arm, t.arm_family, t.probe, t.sample_index, t.model_id, t.backend,
    t.parent_trajectory_id, t.prefix, t.completion, t.completion_tokens, t.finish_reason,
    t.source_label, v.status, v.reason, v.extracted_answer, v.answer_key, v.extraction_rule,
    v.decided_by, v.first_arith_error_step
FROM trajectories t
LEFT JOIN problems p USING (problem_id)
LEFT JOIN verifications v USING (trajectory_id);
