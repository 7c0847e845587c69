-- Coherence pairs: per problem, the best vs the worst candidate by reward among CORRECT
-- trajectories (rewards compared rounded to 9 decimals). Needs best - worst >= $min_margin.
-- Ties (several rows share the best or the worst reward): skipped unless $ties_by_id, which
-- takes the smallest trajectory_id among the tied. kept = not identical and all of the above.
WITH c AS (
    SELECT *, round(reward, 9) AS r9 FROM _candidates WHERE status = 'correct'
),
ext AS (
    SELECT problem_id, max(r9) AS best, min(r9) AS worst
    FROM c GROUP BY problem_id HAVING count(*) >= 2
),
pick AS (
    SELECT
        c.problem_id, e.best, e.worst,
        count(*) FILTER (WHERE c.r9 = e.best) AS n_best,
        count(*) FILTER (WHERE c.r9 = e.worst) AS n_worst,
        min(c.trajectory_id) FILTER (WHERE c.r9 = e.best) AS best_id,
        min(c.trajectory_id) FILTER (WHERE c.r9 = e.worst) AS worst_id
    FROM c JOIN ext AS e USING (problem_id)
    GROUP BY c.problem_id, e.best, e.worst
)
SELECT
    p.problem_id, b.split,
    b.trajectory_id AS chosen_trajectory_id, w.trajectory_id AS rejected_trajectory_id,
    b.arm AS chosen_arm, w.arm AS rejected_arm,
    b.reward AS chosen_reward, w.reward AS rejected_reward,
    b.text_hash = w.text_hash AS identical,
    b.text_hash <> w.text_hash AS kept
FROM pick AS p
JOIN c AS b ON b.trajectory_id = p.best_id
JOIN c AS w ON w.trajectory_id = p.worst_id
WHERE p.best_id <> p.worst_id
  AND p.best - p.worst >= $min_margin - 1e-12
  AND ($ties_by_id OR (p.n_best = 1 AND p.n_worst = 1))
