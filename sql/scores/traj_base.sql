-- One row per trajectory with its verdict and the inputs of every score.
-- Continuations (parent_trajectory_id set) are kept but flagged: problem aggregates skip them.
-- tokens: completion_tokens, else ceil($token_factor * words), words = runs of characters other
-- than space, tab, CR, LF (computed only for the rows that lack completion_tokens).
-- requires: trajectories, verifications
WITH estimated AS (
    SELECT
        trajectory_id,
        ceil($token_factor * len(list_filter(
            string_split(translate(completion, chr(9) || chr(10) || chr(13), '   '), ' '),
            lambda w: w <> '')))::BIGINT AS est_tokens
    FROM trajectories
    WHERE completion_tokens IS NULL
)
SELECT
    t.trajectory_id,
    t.problem_id,
    t.arm,
    t.probe,
    t.parent_trajectory_id IS NOT NULL AS is_continuation,
    coalesce(v.status, 'missing') AS status,
    v.answer_key,
    v.extraction_rule,
    t.finish_reason,
    t.completion_tokens IS NULL AS tokens_estimated,
    coalesce(t.completion_tokens::BIGINT, e.est_tokens) AS tokens
FROM trajectories AS t
LEFT JOIN verifications AS v USING (trajectory_id)
LEFT JOIN estimated AS e USING (trajectory_id)
