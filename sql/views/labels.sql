-- Label checks: every trajectory whose log carried its own correctness label (`label_field`),
-- beside mathpref's verdict; `agrees` compares the label with status = 'correct'.
CREATE OR REPLACE VIEW label_checks AS
SELECT
    t.trajectory_id, t.problem_id, t.arm, t.source_ref, t.source_label,
    v.status, v.reason, v.gold_answer, v.extracted_answer, v.extraction_rule, v.decided_by,
    t.prompt_echo_rule, v.grader_version,
    (v.status = 'correct') = t.source_label AS agrees
FROM trajectories AS t
JOIN verifications AS v USING (trajectory_id)
WHERE t.source_label IS NOT NULL;

-- Every trajectory whose log label and verdict disagree.
CREATE OR REPLACE VIEW label_disagreements AS
SELECT * FROM label_checks WHERE NOT agrees;
