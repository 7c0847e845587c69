-- Correctness pairs whose chosen is not verified correct or whose rejected is not verified
-- incorrect (a missing verification counts as wrong).
-- requires: pairs, verifications
SELECT p.pair_id, p.pair_rule, p.chosen_trajectory_id, cv.status AS chosen_status,
       p.rejected_trajectory_id, rv.status AS rejected_status
FROM pairs AS p
LEFT JOIN verifications AS cv ON cv.trajectory_id = p.chosen_trajectory_id
LEFT JOIN verifications AS rv ON rv.trajectory_id = p.rejected_trajectory_id
WHERE p.pair_type = 'correctness'
  AND (cv.status IS DISTINCT FROM 'correct' OR rv.status IS DISTINCT FROM 'incorrect')
