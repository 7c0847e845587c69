-- Rows per dataset, pair type and rule, with problems covered and train/test counts.
-- requires: pairs, step_pairs, kto_rows
WITH r AS (
    SELECT 'pairs' AS dataset, pair_type, pair_rule, problem_id, split FROM pairs
    UNION ALL SELECT 'step_pairs', pair_type, pair_rule, problem_id, split FROM step_pairs
    UNION ALL SELECT 'kto_rows', pair_type, pair_rule, problem_id, split FROM kto_rows
)
SELECT dataset, pair_type, pair_rule, count(*) AS n,
       count(DISTINCT problem_id) AS problems,
       count(*) FILTER (WHERE split = 'train') AS train,
       count(*) FILTER (WHERE split = 'test') AS test
FROM r
GROUP BY ALL
ORDER BY dataset, pair_type, pair_rule
