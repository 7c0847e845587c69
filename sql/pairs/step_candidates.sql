-- (rejected, continuation) candidates for step-level pairs: a candidate trajectory with a
-- first wrong step (`_error_steps`: the first source with one in the pairs config's declared
-- `step_sources` order, by default the log's own label, else the arithmetic checker's;
-- mathpref.scoring.step_sources), and each eligible, verified-CORRECT continuation of it. Whether the
-- continuation's prefix equals the rejected trajectory's first `error_step` steps is decided by
-- the step splitter in Python (mathpref.scoring.steps). The rejected side needs a judged verdict
-- (correct or incorrect) but not answer eligibility: its error is the wrong step, not its final
-- answer (a partial solution ending in a rated wrong step has no real answer); the chosen side
-- must be eligible and verified correct.
-- requires: trajectories, verifications, trajectory_scores, problem_scores
SELECT
    r.problem_id, ps.split,
    r.trajectory_id AS rejected_trajectory_id,
    rt.completion AS rejected_completion,
    rt.prompt AS rejected_prompt,
    e.error_step,
    ct.trajectory_id AS chosen_trajectory_id,
    ct.prefix AS chosen_prefix,
    ct.completion AS chosen_completion,
    cs.reward AS chosen_reward
FROM trajectory_scores AS r
JOIN problem_scores AS ps ON ps.problem_id = r.problem_id
JOIN verifications AS v ON v.trajectory_id = r.trajectory_id
JOIN trajectories AS rt ON rt.trajectory_id = r.trajectory_id
JOIN trajectories AS ct ON ct.parent_trajectory_id = r.trajectory_id
JOIN trajectory_scores AS cs ON cs.trajectory_id = ct.trajectory_id
JOIN _error_steps AS e ON e.trajectory_id = r.trajectory_id
WHERE e.error_step IS NOT NULL
  AND cs.eligible AND cs.status = 'correct'
  AND ct.problem_id = r.problem_id
  AND r.status IN ('correct', 'incorrect') AND NOT r.is_continuation
  AND ps.pass_rate BETWEEN $min_pass_rate AND $max_pass_rate
