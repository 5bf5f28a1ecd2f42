"""The card's charts: label counts per split and document lengths per split, as PNG files beside the card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builder.release.layout import split_order
from builder.release.rows.builder import BatchStats

CHARTS = ("label_distribution.png", "document_lengths.png")


def draw_charts(folder: Path, stats: BatchStats, manifest: dict[str, Any]) -> list[str]:
    """PNG charts next to the card: label counts per split, document lengths per split. Returns file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    splits = split_order(manifest["statistics"]["rows"]["documents"])
    st = manifest["statistics"]
    drawn = []
    bars: dict[str, dict[str, int]] = {}
    for kind in ("entity", "claim"):
        for split, names in st.get(kind, {}).items():
            for name, n in names.items():
                bars.setdefault(name, {})[split] = n
    for split, names in st.get("doc_label", {}).items():
        for name, values in names.items():
            for value, n in values.items():
                bars.setdefault(f"{name}={value}", {})[split] = n
    if bars:
        fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
        width = 0.8 / max(1, len(splits))
        for k, split in enumerate(splits):
            ax.bar([i + k * width for i in range(len(bars))], [bars[b].get(split, 0) for b in bars], width,
                   label=split)
        ax.set_xticks([i + width * (len(splits) - 1) / 2 for i in range(len(bars))], list(bars), rotation=30,
                      ha="right")
        ax.set_ylabel("count")
        drawn.append(_save(plt, fig, ax, folder / CHARTS[0], "Labels per split"))
    lengths = {s: v for s, v in stats.doc_tokens.items() if v}
    if lengths:
        fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
        top = max(max(v) for v in lengths.values())
        for split in splits:
            if split in lengths:
                values = sorted(lengths[split])
                ax.hist(values, bins=40, range=(0, max(top, 1)), histtype="step", label=split,
                        weights=[1 / len(values)] * len(values))
        ax.set_xlabel("tokens per document")
        ax.set_ylabel("share of the split's documents")
        drawn.append(_save(plt, fig, ax, folder / CHARTS[1], "Document lengths per split"))
    return drawn


def _save(plt: Any, fig: Any, ax: Any, path: Path, title: str) -> str:
    """Title, legend, and a PNG without a version string, so that its bytes depend on the data only."""
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path.name
