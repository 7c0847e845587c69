-- KTO rows whose label disagrees with the verification (true needs correct, false incorrect).
-- requires: kto_rows, verifications
SELECT k.kto_id, k.pair_rule, k.trajectory_id, k.label, v.status
FROM kto_rows AS k
LEFT JOIN verifications AS v USING (trajectory_id)
WHERE v.status IS DISTINCT FROM CASE WHEN k.label THEN 'correct' ELSE 'incorrect' END
