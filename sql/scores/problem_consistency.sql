-- s_end: share of unordered trajectory pairs whose answer_keys are equal and non-null
--        (null when fewer than 2 trajectories).
-- s_cf:  share of (counterfactual, canonical-or-paraphrase) trajectory pairs with equal non-null
--        keys (null unless the problem has both a counterfactual and a reference probe row).
-- majority: most frequent non-null key; ties go to the smallest key.
WITH totals AS (
    SELECT
        problem_id,
        sum(n) AS n,
        sum(n * (n - 1) / 2) FILTER (WHERE answer_key IS NOT NULL) AS agree_pairs,
        sum(n_cf * n_ref) FILTER (WHERE answer_key IS NOT NULL) AS cf_agree,
        sum(n_cf) AS n_cf,
        sum(n_ref) AS n_ref
    FROM _answer_keys
    GROUP BY problem_id
),
majority AS (
    SELECT problem_id, answer_key AS majority_answer, n AS majority_count,
           any_correct AS majority_is_correct
    FROM _answer_keys
    WHERE answer_key IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY problem_id ORDER BY n DESC, answer_key) = 1
)
SELECT
    t.problem_id,
    CASE WHEN t.n >= 2
         THEN coalesce(t.agree_pairs, 0) / (t.n * (t.n - 1) / 2.0) END AS s_end,
    CASE WHEN t.n_cf > 0 AND t.n_ref > 0
         THEN coalesce(t.cf_agree, 0) / (t.n_cf * t.n_ref)::DOUBLE END AS s_cf,
    m.majority_answer,
    m.majority_count,
    m.majority_is_correct
FROM totals AS t
LEFT JOIN majority AS m USING (problem_id)
