-- Correctness pairs: every (correct, incorrect) candidate pair of a problem, ranked by a diagonal
-- matching of the two seeded orders: round = (pos_rejected - pos_chosen) mod n_rejected, then
-- pos_chosen. The first min(n_correct, n_incorrect) picks use each trajectory at most once;
-- with balance=arm they also cycle through arms. Rows: rank <= $cap (0 = all) among the
-- non-identical pairs, plus every identical pair (kept = false) so the report can count them.
WITH c AS (SELECT * FROM _candidates WHERE status = 'correct'),
r AS (SELECT * FROM _candidates WHERE status = 'incorrect'),
p AS (
    SELECT
        c.problem_id, c.split,
        c.trajectory_id AS chosen_trajectory_id, r.trajectory_id AS rejected_trajectory_id,
        c.arm AS chosen_arm, r.arm AS rejected_arm,
        c.reward AS chosen_reward, r.reward AS rejected_reward,
        c.text_hash = r.text_hash AS identical,
        ((r.pos - c.pos) % r.n_status + r.n_status) % r.n_status AS round,
        c.pos AS chosen_pos
    FROM c JOIN r USING (problem_id)
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY problem_id, identical
                                 ORDER BY round, chosen_pos) AS rank
    FROM p
)
SELECT * EXCLUDE (round, chosen_pos, rank), NOT identical AS kept
FROM ranked
WHERE identical OR $cap = 0 OR rank <= $cap
