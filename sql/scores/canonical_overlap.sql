-- canonical_overlap of a correct base trajectory: mean Jaccard similarity of its intermediate-value
-- set with the sets of the OTHER correct base trajectories of the same problem whose probe is
-- 'canonical' and that state at least one value (an empty own set scores 0 against each).
-- No such reference -> no row (overlap null).
WITH has_values AS (SELECT DISTINCT trajectory_id FROM _value_bits),
refs AS (
    SELECT b.problem_id, b.trajectory_id
    FROM _traj_base AS b
    JOIN has_values USING (trajectory_id)
    WHERE NOT b.is_continuation AND b.status = 'correct' AND b.probe = 'canonical'
),
n_refs AS (SELECT problem_id, count(*) AS n FROM refs GROUP BY problem_id),
c AS (
    SELECT b.problem_id, b.trajectory_id,
           n.n - CASE WHEN b.trajectory_id IN (SELECT trajectory_id FROM refs) THEN 1 ELSE 0 END
               AS n_other
    FROM _traj_base AS b
    JOIN n_refs AS n USING (problem_id)
    WHERE NOT b.is_continuation AND b.status = 'correct'
),
ref_bits AS (
    SELECT v.* FROM _value_bits AS v WHERE v.trajectory_id IN (SELECT trajectory_id FROM refs)
),
shared AS (
    SELECT cb.trajectory_id, cb.n_values AS na, r.n_values AS nb,
           sum(bit_count(cb.bits & r.bits)) AS k
    FROM _value_bits AS cb
    JOIN ref_bits AS r
      ON cb.problem_id = r.problem_id AND cb.word = r.word AND cb.trajectory_id <> r.trajectory_id
    WHERE cb.trajectory_id IN (SELECT trajectory_id FROM c)
    GROUP BY cb.trajectory_id, r.trajectory_id, cb.n_values, r.n_values
),
j AS (
    SELECT trajectory_id, -- Jaccard terms are summed as exact integers (fixed point, 1e-12) so the result does not
    -- depend on the order in which parallel threads add them: fingerprints stay stable.
    sum((k::HUGEINT * 1000000000000) // (na + nb - k)) / 1e12 AS jaccard_sum
    FROM shared GROUP BY trajectory_id
)
SELECT c.trajectory_id, coalesce(j.jaccard_sum, 0) / c.n_other AS canonical_overlap
FROM c LEFT JOIN j USING (trajectory_id)
WHERE c.n_other > 0
