-- The `step_pairs` dataset from the matched rows in `_step_matched` (built in Python): drop rows
-- whose chosen and rejected steps are identical after whitespace normalisation, then keep per
-- rejected trajectory the first $cap continuations (0 = all) in seeded md5 order.
-- step_pair_id = md5(chosen_trajectory_id | rejected_trajectory_id | pair_rule).
-- requires: problems
WITH m AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY rejected_trajectory_id
            ORDER BY md5(concat_ws('|', $seed, chosen_trajectory_id)), chosen_trajectory_id
        ) AS rank
    FROM _step_matched
    WHERE NOT identical
)
SELECT
    md5(concat_ws('|', m.chosen_trajectory_id, m.rejected_trajectory_id, $rule))
        AS step_pair_id,
    m.problem_id, m.split,
    'step' AS pair_type,
    $rule AS pair_rule,
    CASE WHEN $prompt_from_question THEN q.question ELSE m.rejected_prompt END AS prompt,
    m.initial_reason_steps, m.chosen, m.rejected, m.full_chosen, m.full_rejected,
    m.chosen_trajectory_id, m.rejected_trajectory_id,
    m.error_step::INTEGER AS error_step,
    m.chosen_reward
FROM m
JOIN problems AS q USING (problem_id)
WHERE $cap = 0 OR m.rank <= $cap
ORDER BY step_pair_id
