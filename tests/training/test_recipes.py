"""Recipes: TRL's own parser reads them; mathpref checks keys and values before any model loads."""

import sys

import pytest

from mathpref.training.recipes import (
    METHODS,
    RecipeError,
    get_method,
    parse_sets,
    recipe_dir,
    resolve_recipe,
)

pytest.importorskip("trl")


@pytest.mark.parametrize("method", sorted(METHODS))
def test_shipped_recipe_runs_with_trls_own_parser(method):
    import importlib

    m = METHODS[method]
    recipe = recipe_dir() / f"{m.recipe}.yaml"
    script = importlib.import_module(f"trl.scripts.{m.trl_command}")
    parsed = script.make_parser().parse_args_and_config(
        ["--config", str(recipe), "--dataset_name", "REL", "--output_dir", "/tmp/x"],
        return_remaining_strings=True,
        separate_remaining_strings=True,
    )
    *objs, config_rest, cli_rest = parsed
    assert config_rest == [] and cli_rest == []  # every recipe key is a TRL field
    script_args, training, model = objs[:3]
    assert training.use_cpu is True and training.bf16 is False
    assert model.use_peft is True and model.lora_r > 0 and model.lora_target_modules
    ours = resolve_recipe(m, None, [], output_dir="/tmp/x", cuda=False)
    assert ours.training.learning_rate == training.learning_rate
    assert ours.model.lora_alpha == model.lora_alpha


def test_unknown_key_is_one_line_with_a_suggestion():
    with pytest.raises(RecipeError) as err:
        resolve_recipe(get_method("dpo"), None, ["betta=0.2"], output_dir="/tmp/x")
    msg = str(err.value)
    assert "\n" not in msg and "unknown key 'betta'" in msg and "did you mean 'beta'" in msg


def test_unknown_key_in_a_recipe_file_names_the_file(tmp_path):
    recipe = tmp_path / "mine.yaml"
    recipe.write_text("beta: 0.1\nlora_rank: 8\n")
    with pytest.raises(RecipeError, match=r"mine\.yaml: unknown key 'lora_rank'.*'lora_r'"):
        resolve_recipe(get_method("dpo"), str(recipe), [], output_dir="/tmp/x")


@pytest.mark.parametrize(
    "override, pattern",
    [
        ("beta=abc", "beta = 'abc' has the wrong type"),
        ("max_steps=1.5", "max_steps = 1.5 has the wrong type"),
        ("truncation_mode=middle", "not one of keep_end, keep_start"),
        ("use_peft=maybe", "use_peft = 'maybe' has the wrong type"),
        ("noequals", "expected key=value"),
    ],
)
def test_bad_values_are_refused(override, pattern):
    with pytest.raises(RecipeError, match=pattern):
        resolve_recipe(get_method("dpo"), None, [override], output_dir="/tmp/x")


def test_set_values_are_yaml_and_numbers_convert_as_trl_does():
    assert parse_sets(["a=[q_proj, v_proj]", "b=true", "c=0.5", "d="]) == {
        "a": ["q_proj", "v_proj"],
        "b": True,
        "c": 0.5,
        "d": "",
    }
    r = resolve_recipe(get_method("dpo"), None, ["learning_rate=1e-3"], output_dir="/tmp/x")
    assert r.training.learning_rate == 1e-3  # PyYAML reads 1e-3 as a string


def test_cpu_rules_override_mixed_precision_with_a_note():
    r = resolve_recipe(get_method("sft"), None, ["bf16=true"], output_dir="/tmp/x", cuda=False)
    assert r.training.bf16 is False and r.training.use_cpu is True
    assert any("bf16 set to False" in n for n in r.notes)


def test_lora_flag_and_unknown_method():
    r = resolve_recipe(get_method("kto"), None, [], output_dir="/tmp/x", lora=False)
    assert r.model.use_peft is False
    with pytest.raises(RecipeError, match="methods: sft, dpo, kto, step-dpo"):
        get_method("ppo")


def test_cli_bad_key_fails_before_any_model_or_data_loads(monkeypatch, capsys, tmp_path):
    import transformers

    from mathpref import cli

    def no_load(*a, **k):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", no_load)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", no_load)
    argv = ["mathpref", "train", "dpo", "--data", str(tmp_path / "nowhere"), "--model"]
    argv += [str(tmp_path / "no-model"), "--out", str(tmp_path / "o"), "--set", "lora_rr=4"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as ex:
        cli.main()
    assert ex.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown key 'lora_rr'" in err and "'lora_r'" in err
    assert not (tmp_path / "o").exists()
