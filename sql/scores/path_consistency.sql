-- s_path: mean Jaccard similarity of intermediate-value sets over ALL unordered pairs of base
-- trajectories of a problem that state at least one value (pairs sharing nothing count 0).
-- Problems with fewer than two such trajectories get no row (s_path null).
WITH shared AS (
    SELECT a.problem_id, a.n_values AS na, b.n_values AS nb,
           sum(bit_count(a.bits & b.bits)) AS k
    FROM _value_bits AS a
    JOIN _value_bits AS b
      ON a.problem_id = b.problem_id AND a.word = b.word AND a.trajectory_id < b.trajectory_id
    GROUP BY a.problem_id, a.trajectory_id, b.trajectory_id, a.n_values, b.n_values
),
j AS (
    SELECT problem_id, -- Jaccard terms are summed as exact integers (fixed point, 1e-12) so the result does not
    -- depend on the order in which parallel threads add them: fingerprints stay stable.
    sum((k::HUGEINT * 1000000000000) // (na + nb - k)) / 1e12 AS jaccard_sum
    FROM shared GROUP BY problem_id
),
m AS (
    SELECT problem_id, count(DISTINCT trajectory_id) AS m
    FROM _value_bits
    GROUP BY problem_id
    HAVING count(DISTINCT trajectory_id) >= 2
)
SELECT problem_id, coalesce(j.jaccard_sum, 0) / (m.m * (m.m - 1) / 2.0) AS s_path
FROM m LEFT JOIN j USING (problem_id)
