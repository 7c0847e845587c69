-- (rejected, continuation) candidates for step-level pairs: a candidate trajectory with a
-- first arithmetic error, and each eligible, verified-CORRECT continuation of it. Whether the
-- continuation's prefix equals the rejected trajectory's first `error_step` steps is decided by
-- the step splitter in Python (mathpref.scoring.steps).
-- requires: trajectories, verifications, trajectory_scores
SELECT
    r.problem_id, r.split,
    r.trajectory_id AS rejected_trajectory_id,
    rt.completion AS rejected_completion,
    rt.prompt AS rejected_prompt,
    v.first_arith_error_step AS error_step,
    ct.trajectory_id AS chosen_trajectory_id,
    ct.prefix AS chosen_prefix,
    ct.completion AS chosen_completion,
    cs.reward AS chosen_reward
FROM _candidates AS r
JOIN verifications AS v USING (trajectory_id)
JOIN trajectories AS rt ON rt.trajectory_id = r.trajectory_id
JOIN trajectories AS ct ON ct.parent_trajectory_id = r.trajectory_id
JOIN trajectory_scores AS cs ON cs.trajectory_id = ct.trajectory_id
WHERE v.first_arith_error_step IS NOT NULL
  AND cs.eligible AND cs.status = 'correct'
  AND ct.problem_id = r.problem_id
