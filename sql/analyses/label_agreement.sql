-- Per arm: how often the log's own labels (label_field) agree with the verdicts.
-- requires: label_checks
SELECT
    arm,
    count(*) AS labelled,
    count(*) FILTER (WHERE agrees) AS agree,
    count(*) FILTER (WHERE agrees) / count(*)::DOUBLE AS agreement,
    count(*) FILTER (WHERE source_label) AS label_correct,
    count(*) FILTER (WHERE status = 'correct') AS verdict_correct,
    count(*) FILTER (WHERE source_label AND status <> 'correct') AS label_only_correct,
    count(*) FILTER (WHERE NOT source_label AND status = 'correct') AS verdict_only_correct
FROM label_checks
GROUP BY arm
ORDER BY arm
