-- Pairs and step pairs whose chosen text equals the rejected text.
-- requires: pairs, step_pairs
SELECT 'pairs' AS dataset, pair_id AS row_id, pair_rule, chosen_trajectory_id,
       rejected_trajectory_id
FROM pairs
WHERE chosen = rejected
UNION ALL
SELECT 'step_pairs', step_pair_id, pair_rule, chosen_trajectory_id, rejected_trajectory_id
FROM step_pairs
WHERE chosen = rejected OR full_chosen = full_rejected
