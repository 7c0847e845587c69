-- Per arm: every trajectory (continuations included) by verification status; accuracy over all
-- rows and over judged (correct + incorrect) rows.
-- requires: trajectories, verifications
SELECT
    t.arm,
    count(*) AS n,
    count(*) FILTER (WHERE v.status = 'correct') AS correct,
    count(*) FILTER (WHERE v.status = 'incorrect') AS incorrect,
    count(*) FILTER (WHERE v.status = 'unverifiable') AS unverifiable,
    count(*) FILTER (WHERE v.status = 'timeout') AS timeout,
    count(*) FILTER (WHERE v.status = 'error') AS error,
    count(*) FILTER (WHERE v.status IS NULL) AS missing,
    count(*) FILTER (WHERE v.status = 'correct') / count(*)::DOUBLE AS accuracy,
    count(*) FILTER (WHERE v.status = 'correct')
        / nullif(count(*) FILTER (WHERE v.status IN ('correct', 'incorrect')), 0)::DOUBLE
        AS judged_accuracy
FROM trajectories AS t
LEFT JOIN verifications AS v USING (trajectory_id)
GROUP BY t.arm
ORDER BY t.arm
