-- Rows of pairs, step_pairs or kto_rows that use a trajectory whose verification is
-- unverifiable, timeout, error, or missing.
-- requires: pairs, step_pairs, kto_rows, verifications
WITH used AS (
    SELECT 'pairs' AS dataset, pair_id AS row_id, pair_rule, 'chosen' AS side,
           chosen_trajectory_id AS trajectory_id FROM pairs
    UNION ALL
    SELECT 'pairs', pair_id, pair_rule, 'rejected', rejected_trajectory_id FROM pairs
    UNION ALL
    SELECT 'step_pairs', step_pair_id, pair_rule, 'chosen', chosen_trajectory_id FROM step_pairs
    UNION ALL
    SELECT 'step_pairs', step_pair_id, pair_rule, 'rejected', rejected_trajectory_id
    FROM step_pairs
    UNION ALL
    SELECT 'kto_rows', kto_id, pair_rule, 'completion', trajectory_id FROM kto_rows
)
SELECT u.*, v.status
FROM used AS u
LEFT JOIN verifications AS v USING (trajectory_id)
WHERE v.status IS NULL OR v.status NOT IN ('correct', 'incorrect')
