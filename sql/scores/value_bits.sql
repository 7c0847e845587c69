-- Intermediate-value sets of base trajectories as bitmaps, so set similarity is integer math.
-- Each distinct non-null value of a problem gets a dense index i (ordered by a 64-bit hash of
-- the value; two distinct values of one problem colliding is a 2^-64 event) and becomes bit
-- (i % 64) of word (i // 64); duplicates collapse in bit_or. |A and B| = sum over common words
-- of bit_count(a & b); n_values = |A|.
WITH x AS (
    SELECT b.problem_id, b.trajectory_id, hash(b.problem_id) AS ph,
           hash(unnest(v.intermediate_values)) AS vh,
           unnest(v.intermediate_values) IS NULL AS is_null
    FROM _traj_base AS b
    JOIN verifications AS v USING (trajectory_id)
    WHERE NOT b.is_continuation AND len(v.intermediate_values) > 0
),
r AS (
    SELECT problem_id, trajectory_id,
           dense_rank() OVER (PARTITION BY ph ORDER BY vh) - 1 AS i
    FROM x
    WHERE NOT is_null
),
w AS (
    SELECT problem_id, trajectory_id, (i // 64)::INTEGER AS word,
           bit_or((1::UBIGINT) << (i % 64)::UBIGINT) AS bits
    FROM r
    GROUP BY problem_id, trajectory_id, i // 64
)
SELECT *, sum(bit_count(bits)) OVER (PARTITION BY trajectory_id) AS n_values
FROM w
