-- Problems that appear in more than one split across problem_scores, pairs, step_pairs and
-- kto_rows (a problem must be wholly train or wholly test).
-- requires: problem_scores, pairs, step_pairs, kto_rows
WITH s AS (
    SELECT problem_id, split, 'problem_scores' AS dataset FROM problem_scores
    UNION ALL SELECT problem_id, split, 'pairs' FROM pairs
    UNION ALL SELECT problem_id, split, 'step_pairs' FROM step_pairs
    UNION ALL SELECT problem_id, split, 'kto_rows' FROM kto_rows
),
-- min <> max: two splits or more (a cheaper test than count(DISTINCT) on every problem); the
-- lists are built for the offending problems only.
leaked AS (
    SELECT problem_id FROM s GROUP BY problem_id HAVING min(split) <> max(split)
)
SELECT problem_id, list_sort(list_distinct(list(split))) AS splits,
       list_sort(list_distinct(list(dataset))) AS datasets
FROM s
WHERE problem_id IN (SELECT problem_id FROM leaked)
GROUP BY problem_id
