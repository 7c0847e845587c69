-- The `pairs` dataset without its text columns: kept correctness and coherence pairs, sorted by
-- pair_id, with the row numbers (_row) of the texts in `trajectories` / `problems`; the caller
-- takes prompt, chosen and rejected from those rows (pyarrow take: no text passes through SQL).
-- pair_id = md5(chosen_trajectory_id | rejected_trajectory_id | pair_rule).
-- requires: problems, trajectories
WITH p AS (
    SELECT *, 'correctness' AS pair_type, $rule_correctness AS pair_rule
    FROM _correctness WHERE kept
    UNION ALL BY NAME
    SELECT *, 'coherence' AS pair_type, $rule_coherence AS pair_rule
    FROM _coherence WHERE kept
)
SELECT
    md5(concat_ws('|', p.chosen_trajectory_id, p.rejected_trajectory_id, p.pair_rule))
        AS pair_id,
    p.problem_id, p.split, p.pair_type, p.pair_rule,
    p.chosen_trajectory_id, p.rejected_trajectory_id, p.chosen_arm, p.rejected_arm,
    p.chosen_reward, p.rejected_reward,
    p.chosen_reward - p.rejected_reward AS margin,
    q._row AS problem_row,
    ct._row AS chosen_row,
    rt._row AS rejected_row
FROM p
JOIN problems AS q USING (problem_id)
JOIN trajectories AS ct ON ct.trajectory_id = p.chosen_trajectory_id
JOIN trajectories AS rt ON rt.trajectory_id = p.rejected_trajectory_id
ORDER BY pair_id
