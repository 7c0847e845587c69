-- reward = alpha*correct + beta*coalesce(s_wm, 0) + gamma*coalesce(quality, 0)
--          + agreement_bonus - length_penalty
-- quality (correct base rows; 0 when not correct, null for continuations) mixes
--   conciseness = max(shortest correct base tokens of the problem, 1) / max(tokens, 1)
--   canonical_overlap (see canonical_overlap.sql), weights renormalised when it is null.
-- eligible: the first failing rule names ineligible_reason.
WITH correct_stats AS (
    SELECT
        problem_id,
        min(tokens) AS min_correct_tokens,
        count(DISTINCT answer_key) AS n_correct_keys,
        count(*) FILTER (WHERE answer_key IS NULL) AS n_correct_null_keys
    FROM _traj_base
    WHERE NOT is_continuation AND status = 'correct'
    GROUP BY problem_id
),
parts AS (
    SELECT
        b.*,
        ps.s_wm,
        ps.s_end,
        o.canonical_overlap,
        CASE WHEN b.status = 'correct' AND NOT b.is_continuation
             THEN greatest(cs.min_correct_tokens, 1) / greatest(b.tokens, 1)::DOUBLE
        END AS conciseness,
        b.status = 'correct' AND NOT b.is_continuation
            AND cs.n_correct_keys = 1 AND cs.n_correct_null_keys = 0
            AND ps.s_end > $bonus_s_end AS gets_bonus
    FROM _traj_base AS b
    LEFT JOIN _problem_scores AS ps USING (problem_id)
    LEFT JOIN correct_stats AS cs USING (problem_id)
    LEFT JOIN _canonical_overlap AS o USING (trajectory_id)
),
scored AS (
    SELECT
        *,
        CASE
            WHEN is_continuation THEN NULL
            WHEN status <> 'correct' THEN 0.0
            WHEN canonical_overlap IS NULL THEN conciseness
            ELSE ($w_concise * conciseness + $w_overlap * canonical_overlap)
                 / ($w_concise + $w_overlap)
        END AS quality,
        CASE WHEN gets_bonus THEN $bonus ELSE 0.0 END AS agreement_bonus,
        $penalty_per_token * greatest(tokens - $free_tokens, 0) AS length_penalty,
        CASE
            WHEN status NOT IN ('correct', 'incorrect') THEN 'status_' || status
            WHEN finish_reason = 'length' THEN 'length_cut'
            WHEN $exclude_fallback AND list_contains($fallback_rules, extraction_rule)
                THEN 'fallback_answer'
            WHEN tokens < $min_tokens THEN 'too_short'
            WHEN tokens > $max_tokens THEN 'too_long'
        END AS ineligible_reason
    FROM parts
)
SELECT
    trajectory_id,
    problem_id,
    arm,
    probe,
    is_continuation,
    status,
    answer_key,
    tokens AS completion_tokens,
    tokens_estimated,
    conciseness,
    canonical_overlap,
    quality,
    s_wm,
    agreement_bonus,
    length_penalty,
    $alpha * (status = 'correct')::INTEGER + $beta * coalesce(s_wm, 0)
        + $gamma * coalesce(quality, 0) + agreement_bonus - length_penalty AS reward,
    ineligible_reason IS NULL AS eligible,
    ineligible_reason
FROM scored
ORDER BY trajectory_id
