from __future__ import annotations

import pytest

from mathpref.generation.arms import PROBES, Arm, validate_arms
from mathpref.generation.presets import PRESETS, get_preset

pytestmark = pytest.mark.timeout(30)


def test_defaults_and_messages():
    arm = Arm(name="a", family="f", system_prompt="sys", user_template="Q: {question} \\boxed{}")
    assert arm.messages("1+1?") == (("system", "sys"), ("user", "Q: 1+1? \\boxed{}"))
    assert Arm(name="b", family="f").messages("x") == (("user", "x"),)
    assert Arm.from_dict(arm.to_dict()) == arm


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"name": ""}, "name"),
        ({"family": ""}, "family"),
        ({"user_template": "no placeholder"}, r"\{question\}"),
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_p": 0.0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"n": 0}, "'n'"),
        ({"n": True}, "'n'"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"stop": "###"}, "stop"),
        ({"stop": [""]}, "stop"),
        ({"probe": "other"}, "probe"),
    ],
)
def test_validation(changes, match):
    base = {"name": "a", "family": "f"}
    with pytest.raises(ValueError, match=match):
        Arm(**{**base, **changes})


def test_probe_values_accepted():
    for probe in (None, *PROBES):
        assert Arm(name="a", family="probe", probe=probe).probe == probe


def test_from_dict_unknown_and_missing_keys():
    with pytest.raises(ValueError) as info:
        Arm.from_dict({"name": "a", "family": "f", "temp": 0.3, "samples": 2})
    msg = str(info.value)
    assert "'samples'" in msg and "'temp'" in msg
    for key in ("temperature", "top_p", "max_new_tokens", "probe", "user_template"):
        assert key in msg
    with pytest.raises(ValueError, match="missing required key"):
        Arm.from_dict({"name": "a"})
    arm = Arm.from_dict({"name": "a", "family": "f", "temperature": 1, "stop": ("x",)})
    assert arm.temperature == 1.0 and arm.stop == ["x"]


def test_duplicate_arm_names():
    with pytest.raises(ValueError, match="duplicate arm name 'a'"):
        validate_arms([Arm(name="a", family="f"), Arm(name="a", family="g")])


def test_regime_w_preset():
    arms = PRESETS["regime-w"]
    validate_arms(arms)
    by_family: dict[str, list[Arm]] = {}
    for arm in arms:
        by_family.setdefault(arm.family, []).append(arm)
    assert len(by_family["precise"]) == 4 and len(by_family["reflective"]) == 4
    for fam in ("precise", "reflective"):
        temps = sorted(a.temperature for a in by_family[fam])
        assert temps == [0.2, 0.3, 0.4, 0.5]
        assert all(a.probe is None for a in by_family[fam])
    assert sorted(a.probe for a in by_family["probe"]) == sorted(PROBES)
    probes = {a.probe: a for a in by_family["probe"]}
    assert "restate" in (probes["paraphrase"].system_prompt + probes["paraphrase"].user_template)
    assert "first instinct" in probes["counterfactual"].system_prompt
    assert "trap" in probes["counterfactual"].system_prompt
    for arm in arms:
        assert "The answer is" in arm.system_prompt and "\\boxed{" in arm.system_prompt


def test_direct_reflective_deliberative_preset():
    arms = get_preset("direct-reflective-deliberative")
    assert [a.family for a in arms] == ["direct", "reflective", "deliberative"]
    assert "first instinct is wrong" in arms[2].system_prompt
    assert all("The answer is" in a.system_prompt for a in arms)


def test_get_preset_fresh_copies_and_unknown():
    a = get_preset("regime-w")
    a[0].n = 99
    assert get_preset("regime-w")[0].n != 99
    with pytest.raises(KeyError, match="regime-w"):
        get_preset("nope")
