-- Per (problem, answer_key): how many base trajectories gave it and whether any was correct.
-- Null keys form their own group here; s_end treats every null key as disagreeing.
SELECT
    problem_id,
    answer_key,
    count(*) AS n,
    bool_or(status = 'correct') AS any_correct,
    count(*) FILTER (WHERE probe = 'counterfactual') AS n_cf,
    count(*) FILTER (WHERE probe IN ('canonical', 'paraphrase')) AS n_ref
FROM _traj_base
WHERE NOT is_continuation
GROUP BY problem_id, answer_key
