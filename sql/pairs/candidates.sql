-- Trajectories that may enter pairs / KTO rows: eligible, not continuations, problem pass_rate
-- inside [$min_pass_rate, $max_pass_rate]. Adds the seeded sampling order:
--   h   = first 60 bits of md5(seed | trajectory_id)
--   pos = 0-based position within (problem, status); with $balance_arm the order is
--         round-robin over arms (each arm's rows in h order; within a round, by h), else h.
--   text_hash = 64-bit hash of the completion (a column of `trajectories`, set in Python:
--               mathpref.scoring.pairs.text_hash), to drop pairs whose two texts are identical.
-- requires: trajectories, trajectory_scores, problem_scores
WITH c AS (
    SELECT
        s.trajectory_id, s.problem_id, s.arm, s.status, s.reward, ps.split,
        t.text_hash,
        ('0x' || substr(md5(concat_ws('|', $seed, s.trajectory_id)), 1, 15))::BIGINT AS h
    FROM trajectory_scores AS s
    JOIN problem_scores AS ps USING (problem_id)
    JOIN trajectories AS t USING (trajectory_id)
    WHERE s.eligible AND NOT s.is_continuation AND s.status IN ('correct', 'incorrect')
      AND ps.pass_rate BETWEEN $min_pass_rate AND $max_pass_rate
),
r AS (
    SELECT *, row_number() OVER (PARTITION BY problem_id, status, arm ORDER BY h, trajectory_id)
        AS arm_round
    FROM c
)
SELECT
    *,
    row_number() OVER (
        PARTITION BY problem_id, status
        ORDER BY CASE WHEN $balance_arm THEN arm_round ELSE 0 END, h, trajectory_id
    ) - 1 AS pos,
    count(*) OVER (PARTITION BY problem_id, status) AS n_status
FROM r
