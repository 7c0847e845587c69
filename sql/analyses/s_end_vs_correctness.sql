-- Answer agreement (s_end, 10 bins; null = fewer than 2 trajectories) against correctness.
-- requires: problem_scores
SELECT
    CASE WHEN s_end IS NULL THEN NULL ELSE least(floor(s_end * 10), 9) / 10 END AS s_end_bin,
    count(*) AS problems,
    sum(n_trajectories)::BIGINT AS trajectories,
    avg(pass_rate) AS mean_pass_rate,
    sum(n_correct) / nullif(sum(n_correct + n_incorrect), 0)::DOUBLE AS pooled_accuracy,
    avg(majority_is_correct::INTEGER) AS majority_correct_rate
FROM problem_scores
GROUP BY ALL
ORDER BY s_end_bin NULLS FIRST
