"""The dataset card (README.md) of a release, built with huggingface_hub's DatasetCard and
DatasetCardData: YAML metadata the Hub and `datasets` read (configs, dataset_info), then a body
saying what each config is and how to load it, how it was made and what was checked.

The card carries no path of this machine and no time, so the same build gives the same bytes.
"""

from __future__ import annotations

from typing import Any

from mathpref.release.text import body

# Values from the Hub's documented lists (huggingface.co/docs/hub/repositories-licenses, the
# task list of huggingface.co/tasks, and the size_categories options of DatasetCardData).
HUB_LICENSES = frozenset(
    """
apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear
c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0
cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0
cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl
ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl
lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr mpl-2.0
odc-by odbl openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr
deepfloyd-if-license llama2 llama3 llama3.1 llama3.2 llama3.3 llama4 gemma unknown other
""".split()
)
HUB_TASK_CATEGORIES = frozenset(
    {"text-generation", "question-answering", "reinforcement-learning", "text-classification"}
)
SIZE_CATEGORIES = (
    "n<1K",
    "1K<n<10K",
    "10K<n<100K",
    "100K<n<1M",
    "1M<n<10M",
    "10M<n<100M",
    "100M<n<1B",
    "1B<n<10B",
    "10B<n<100B",
    "100B<n<1T",
    "n>1T",
)
TAGS = ["dpo", "preference", "math", "synthetic", "mathpref"]
TASKS = ["text-generation", "question-answering"]


def size_category(n: int) -> str:
    bounds = [10**k for k in range(3, 13)]
    for i, b in enumerate(bounds):
        if n < b:
            return SIZE_CATEGORIES[i]
    return SIZE_CATEGORIES[-1]


def build_card(info: dict[str, Any]):
    """`info`: everything the release knows (see `run.release_build`). Returns a DatasetCard."""
    import datasets
    from huggingface_hub import DatasetCard, DatasetCardData

    if info["license"] not in HUB_LICENSES:
        from mathpref.release.source import ReleaseError

        raise ReleaseError(f"--license {info['license']}: not one of {sorted(HUB_LICENSES)}")
    configs, dataset_info = [], []
    for name, c in info["configs"].items():
        configs.append(
            {
                "config_name": name,
                "data_files": [
                    {"split": s, "path": f"data/{name}/{s}-*.parquet"} for s in c["splits"]
                ],
            }
        )
        features = datasets.Features.from_arrow_schema(c["schema"])
        dataset_info.append(
            {
                "config_name": name,
                "features": features._to_yaml_list(),
                "splits": [
                    {"name": s, "num_bytes": v["num_bytes"], "num_examples": v["rows"]}
                    for s, v in c["splits"].items()
                ],
                "download_size": sum(f["bytes"] for f in c["files"]),
                "dataset_size": sum(v["num_bytes"] for v in c["splits"].values()),
            }
        )
    largest = max((c["rows"] for c in info["configs"].values()), default=0)
    hub_ids = sorted({s["hub_id"] for s in info["sources"] if s["hub_id"]})
    data = DatasetCardData(
        pretty_name=info["name"],
        license=info["license"],
        language=["en"],
        tags=TAGS,
        task_categories=TASKS,
        size_categories=[size_category(largest)],
        source_datasets=hub_ids or ["original"],
        configs=configs,
        dataset_info=dataset_info,
    )
    return DatasetCard.from_template(
        data, template_str="---\n{{ card_data }}\n---\n\n{{ body }}", body=body(info)
    )
