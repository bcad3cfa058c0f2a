"""Renders a model card (Markdown) from measured training and validation figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from detector.yolo import ClassScore


@dataclass(frozen=True)
class CardFacts:
    name: str
    classes: Sequence[str]
    dataset_command: str
    dataset_seed: int
    dataset_counts: Mapping[str, Mapping[str, int]]
    train_command: str
    base: str
    epochs: int
    imgsz: int
    seed: int
    train_seconds: float
    size_mb: float
    scores: Mapping[str, Sequence[ClassScore]]  # split label -> per-class scores
    val_images: Mapping[str, int]
    inference_ms: Mapping[int, float]  # imgsz -> ms/frame
    cpu: str  # where inference was timed
    train_cpu: str  # where training ran
    software: Mapping[str, str]


def render_card(f: CardFacts) -> str:
    lines = [
        f"# Model card: {f.name}",
        "",
        "A YOLO detector for garbage collection points, trained from scratch on binwatch's synthetic scenes",
        "only. Written by `binwatch train`; every figure below was measured by that command.",
        "",
        "## Classes",
        "",
        *[f"- `{i}` {c}" for i, c in enumerate(f.classes)],
        "",
        "## How it was made",
        "",
        "```sh",
        f.dataset_command,
        f.train_command,
        "```",
        "",
        f"- dataset seed {f.dataset_seed}; base `{f.base}` "
        f"({'fine-tuned from that model' if f.base.endswith('.pt') else 'no pretrained weights'}); epochs {f.epochs}; "
        f"image size {f.imgsz}; training seed {f.seed}",
        f"- training time {f.train_seconds / 60:.1f} min on {f.train_cpu} (CPU only)",
        f"- weights {f.size_mb:.1f} MB",
        "",
        "| split | images | person | garbage | bin |",
        "|---|---|---|---|---|",
    ]
    for split, c in f.dataset_counts.items():
        lines.append(
            f"| {split} | {c.get('images', 0)} | {c.get('person', 0)} | {c.get('garbage', 0)} | {c.get('bin', 0)} |"
        )
    lines += [
        "",
        "(counts are labelled boxes)",
        "",
        "## Accuracy on the generated validation set",
        "",
        "Validation scenes use seeds that the training split never saw (different layouts, people, garbage).",
        "",
        "| validation subset | images | class | mAP50 | mAP50-95 | instances |",
        "|---|---|---|---|---|---|",
    ]
    for split, scores in f.scores.items():
        for s in scores:
            n = f.val_images.get(split, 0)
            lines.append(f"| {split} | {n} | {s.name} | {s.map50:.3f} | {s.map50_95:.3f} | {s.instances} |")
    lines += [
        "",
        "## Speed",
        "",
        f"Median milliseconds per 1280x720 frame (pre-processing + inference + NMS), batch 1, PyTorch on {f.cpu}:",
        "",
        "| image size | ms/frame |",
        "|---|---|",
        *[f"| {k} | {v:.1f} |" for k, v in sorted(f.inference_ms.items())],
        "",
        "## Software",
        "",
        *[f"- {k} {v}" for k, v in f.software.items()],
        "",
        "## Limits",
        "",
        "- Trained on synthetic scenes only: flat-shaded people, bags and bins drawn by `binwatch sim`. It has never",
        "  seen a real camera; expect much lower accuracy on real footage until it is fine-tuned on labelled",
        "  frames from the city's own cameras. How it does on real photos of bags is measured by",
        '  `bench/real_bags.py` (figures in the README, "Accuracy").',
        "- `garbage` means bags and loose piles as the simulator draws them; real rubbish (furniture, cartons,",
        "  construction waste) looks different.",
        "- The validation set comes from the same generator as the training set, so these figures measure how",
        "  well the model learned the generator, not real-world accuracy.",
        "",
    ]
    return "\n".join(lines)
