-- Every trajectory whose log label disagrees with the verdict (empty when none, or no labels).
-- requires: label_disagreements
SELECT
    source_ref, arm, source_label, status, reason, gold_answer, extracted_answer,
    extraction_rule, prompt_echo_rule, trajectory_id
FROM label_disagreements
ORDER BY source_ref, trajectory_id
