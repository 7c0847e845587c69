-- Every first-wrong-step source per original trajectory: the arithmetic checker
-- (verifications.first_arith_error_step; null = no wrong arithmetic found), the log's own label
-- (trajectories.source_error_step, where the log has one) and each labelled step_labels source.
CREATE OR REPLACE VIEW step_sources AS
SELECT v.trajectory_id, v.problem_id, 'arithmetic' AS source,
    CAST(v.first_arith_error_step AS INTEGER) AS first_wrong_step
FROM verifications AS v
JOIN trajectories AS t ON t.trajectory_id = v.trajectory_id AND t.parent_trajectory_id IS NULL
UNION ALL
SELECT t.trajectory_id, t.problem_id, 'log', CAST(t.source_error_step AS INTEGER)
FROM trajectories AS t
WHERE t.source_error_step IS NOT NULL AND t.parent_trajectory_id IS NULL
UNION ALL
SELECT s.trajectory_id, s.problem_id, s.source, CAST(s.first_wrong_step AS INTEGER)
FROM step_labels AS s
WHERE s.status = 'labelled';

-- Pairwise agreement of the sources: exact-match share of the first wrong step (null = "no wrong
-- step" counts as a value) over the trajectories both sources label.
CREATE OR REPLACE VIEW step_source_agreement AS
SELECT a.source AS source_a, b.source AS source_b, count(*) AS both_labelled,
    count(*) FILTER (WHERE a.first_wrong_step IS NOT DISTINCT FROM b.first_wrong_step) AS agree,
    count(*) FILTER (WHERE a.first_wrong_step IS NOT DISTINCT FROM b.first_wrong_step)
        / count(*)::DOUBLE AS agreement
FROM step_sources AS a
JOIN step_sources AS b ON a.trajectory_id = b.trajectory_id AND a.source < b.source
GROUP BY a.source, b.source
ORDER BY a.source, b.source;
