-- The `kto_rows` dataset without its text columns (see pairs.sql): every candidate, label =
-- correct. Per (problem, label) keep pos < $cap (0 = all; same seeded order as the correctness
-- pairs); with $balance_label keep pos < min(#true, #false) of the problem, so both labels are
-- equally represented. kto_id = md5(trajectory_id | pair_rule).
-- requires: problems, trajectories
WITH k AS (
    SELECT
        *,
        status = 'correct' AS label,
        count(*) FILTER (WHERE status = 'correct') OVER (PARTITION BY problem_id) AS n_true,
        count(*) FILTER (WHERE status = 'incorrect') OVER (PARTITION BY problem_id) AS n_false
    FROM _candidates
)
SELECT
    md5(concat_ws('|', k.trajectory_id, $rule)) AS kto_id,
    k.problem_id, k.split,
    'unpaired' AS pair_type,
    $rule AS pair_rule,
    k.label, k.trajectory_id, k.arm, k.reward,
    q._row AS problem_row,
    t._row AS row
FROM k
JOIN problems AS q USING (problem_id)
JOIN trajectories AS t USING (trajectory_id)
WHERE ($cap = 0 OR k.pos < $cap)
  AND (NOT $balance_label OR k.pos < least(k.n_true, k.n_false))
ORDER BY kto_id
