-- Step pairs whose chosen continuation is not verified correct or is not a continuation of the
-- rejected trajectory.
-- requires: step_pairs, trajectories, verifications
SELECT s.step_pair_id, s.pair_rule, s.chosen_trajectory_id, cv.status AS chosen_status,
       ct.parent_trajectory_id, s.rejected_trajectory_id
FROM step_pairs AS s
LEFT JOIN verifications AS cv ON cv.trajectory_id = s.chosen_trajectory_id
LEFT JOIN trajectories AS ct ON ct.trajectory_id = s.chosen_trajectory_id
WHERE cv.status IS DISTINCT FROM 'correct'
   OR ct.parent_trajectory_id IS DISTINCT FROM s.rejected_trajectory_id
