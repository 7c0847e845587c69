-- Coherence pairs where either side is not verified correct, or chosen does not out-score rejected.
-- requires: pairs, verifications
SELECT p.pair_id, p.pair_rule, p.chosen_trajectory_id, cv.status AS chosen_status,
       p.rejected_trajectory_id, rv.status AS rejected_status, p.margin
FROM pairs AS p
LEFT JOIN verifications AS cv ON cv.trajectory_id = p.chosen_trajectory_id
LEFT JOIN verifications AS rv ON rv.trajectory_id = p.rejected_trajectory_id
WHERE p.pair_type = 'coherence'
  AND (cv.status IS DISTINCT FROM 'correct' OR rv.status IS DISTINCT FROM 'correct'
       OR p.margin <= 0)
