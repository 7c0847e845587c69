-- Rows whose trajectories belong to another problem than the row (or than each other), and
-- rows that name a trajectory that does not exist.
-- requires: pairs, step_pairs, kto_rows, trajectories
WITH used AS (
    SELECT 'pairs' AS dataset, pair_id AS row_id, problem_id, chosen_trajectory_id AS a,
           rejected_trajectory_id AS b FROM pairs
    UNION ALL
    SELECT 'step_pairs', step_pair_id, problem_id, chosen_trajectory_id, rejected_trajectory_id
    FROM step_pairs
    UNION ALL
    SELECT 'kto_rows', kto_id, problem_id, trajectory_id, trajectory_id FROM kto_rows
)
SELECT u.dataset, u.row_id, u.problem_id, u.a AS first_trajectory_id,
       ta.problem_id AS first_problem_id, u.b AS second_trajectory_id,
       tb.problem_id AS second_problem_id
FROM used AS u
LEFT JOIN trajectories AS ta ON ta.trajectory_id = u.a
LEFT JOIN trajectories AS tb ON tb.trajectory_id = u.b
WHERE ta.problem_id IS DISTINCT FROM u.problem_id
   OR tb.problem_id IS DISTINCT FROM u.problem_id
