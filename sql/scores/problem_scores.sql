-- One row per problem (every problem in `problems`, with or without trajectories).
-- Counts and pass_rate use base trajectories only (continuations are excluded).
-- pass_rate = n_correct / (n_correct + n_incorrect); null when nothing was judged.
-- s_wm = weighted mean of the non-null components, weights renormalised over those present.
-- split: test when md5(salt || problem_id)[0:8] / 2^32 < $test_fraction.
-- requires: problems
WITH counts AS (
    SELECT
        problem_id,
        count(*) AS n_trajectories,
        count(*) FILTER (WHERE status = 'correct') AS n_correct,
        count(*) FILTER (WHERE status = 'incorrect') AS n_incorrect,
        count(*) FILTER (WHERE status NOT IN ('correct', 'incorrect')) AS n_unjudged,
        count(*) FILTER (WHERE answer_key IS NOT NULL) AS n_with_answer,
        count(DISTINCT arm) AS n_arms,
        count(*) FILTER (WHERE probe IS NOT NULL) AS n_probe
    FROM _traj_base
    WHERE NOT is_continuation
    GROUP BY problem_id
),
joined AS (
    SELECT
        p.problem_id,
        coalesce(c.n_trajectories, 0) AS n_trajectories,
        coalesce(c.n_correct, 0) AS n_correct,
        coalesce(c.n_incorrect, 0) AS n_incorrect,
        coalesce(c.n_unjudged, 0) AS n_unjudged,
        coalesce(c.n_with_answer, 0) AS n_with_answer,
        coalesce(c.n_arms, 0) AS n_arms,
        coalesce(c.n_probe, 0) AS n_probe,
        CASE WHEN c.n_correct + c.n_incorrect > 0
             THEN c.n_correct / (c.n_correct + c.n_incorrect)::DOUBLE END AS pass_rate,
        k.s_end,
        s.s_path,
        k.s_cf,
        k.majority_answer,
        k.majority_count,
        k.majority_is_correct
    FROM problems AS p
    LEFT JOIN counts AS c USING (problem_id)
    LEFT JOIN _problem_consistency AS k USING (problem_id)
    LEFT JOIN _path_consistency AS s USING (problem_id)
)
SELECT
    *,
    (coalesce($w_end * s_end, 0) + coalesce($w_path * s_path, 0) + coalesce($w_cf * s_cf, 0))
        / nullif(CASE WHEN s_end IS NULL THEN 0 ELSE $w_end END
                 + CASE WHEN s_path IS NULL THEN 0 ELSE $w_path END
                 + CASE WHEN s_cf IS NULL THEN 0 ELSE $w_cf END, 0) AS s_wm,
    CASE WHEN pass_rate IS NOT NULL
         THEN $band_labels[1 + len(list_filter($band_edges, lambda e: e <= pass_rate))]
    END AS difficulty_band,
    CASE WHEN ('0x' || substr(md5($split_salt || problem_id), 1, 8))::UBIGINT / 4294967296.0
              < $test_fraction
         THEN 'test' ELSE 'train' END AS split
FROM joined
ORDER BY problem_id
