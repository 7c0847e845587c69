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
    {
        "apache-2.0",
        "mit",
        "bsd-3-clause",
        "cc-by-4.0",
        "cc-by-sa-4.0",
        "cc-by-nc-4.0",
        "cc0-1.0",
        "odc-by",
        "openrail",
        "llama3",
        "other",
        "unknown",
    }
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
