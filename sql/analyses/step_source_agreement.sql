-- Pairwise agreement of the first-wrong-step sources (arithmetic, log, step_labels sources):
-- exact-match share on the trajectories both label (sql/views/step_sources.sql).
-- requires: step_source_agreement
SELECT * FROM step_source_agreement
