-- Completion tokens (estimated where unknown) by verification status, base and continuations.
-- requires: trajectory_scores
SELECT
    status,
    is_continuation,
    count(*) AS n,
    count(*) FILTER (WHERE tokens_estimated) AS n_estimated,
    avg(completion_tokens) AS mean_tokens,
    quantile_cont(completion_tokens, 0.5) AS median_tokens,
    quantile_cont(completion_tokens, 0.9) AS p90_tokens,
    max(completion_tokens) AS max_tokens
FROM trajectory_scores
GROUP BY ALL
ORDER BY status, is_continuation
