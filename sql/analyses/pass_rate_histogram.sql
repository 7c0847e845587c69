-- Problems per pass-rate bin (width 0.1; 1.0 has its own bin; null = nothing judged).
-- requires: problem_scores
SELECT
    CASE WHEN pass_rate IS NULL THEN NULL ELSE floor(pass_rate * 10) / 10 END AS pass_rate_bin,
    count(*) AS problems,
    count(*) FILTER (WHERE split = 'train') AS train,
    count(*) FILTER (WHERE split = 'test') AS test
FROM problem_scores
GROUP BY ALL
ORDER BY pass_rate_bin NULLS FIRST
