"""Fine-tune the encoder with LoRA adapters and a linear head, on CPU.

The encoder's own weights (the embedding matrix included) stay frozen; only
the adapters and the head learn. The head reads the same L2-normalized,
mean-pooled embedding as the frozen-encoder head, so after training it is a
`LinearHead` like any other and the adapted encoder is an `Encoder` like any
other: calibration, thresholds, the rule blend and word explanations work
unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch

from classifiers.adapters import add_lora, merge_lora
from classifiers.dropout import FastDropout, fast_dropout
from classifiers.encoder import Encoder, mean_pool
from classifiers.head import LinearHead

TEMPERATURE = 10.0
"""The head sees `TEMPERATURE * embedding`: unit vectors need large logits to be sure."""


@dataclass(frozen=True)
class FineTuneSettings:
    epochs: int = 4
    batch_size: int = 16
    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.1
    from_layer: int = 0
    """The lowest encoder layer with adapters; the layers below stay frozen and need no
    backward pass (e5-small from layer 4: 30% less time, but a lower test score)."""
    learning_rate: float = 1e-3
    """Adapters."""
    head_learning_rate: float = 3e-3
    warmup: float = 0.06
    """Share of the steps with a rising learning rate; it then falls linearly to 0."""

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


DEFAULT_SETTINGS = FineTuneSettings()


def fine_tune(
    encoder: Encoder,
    texts: Sequence[str],
    truth: np.ndarray,
    labels: Sequence[str],
    settings: FineTuneSettings = DEFAULT_SETTINGS,
    *,
    seed: int = 13,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[LinearHead, dict[str, torch.Tensor]]:
    """Adapt `encoder` (in place) and train a head on `texts` with 0/1 `truth` (n, labels).

    Returns the head (uncalibrated: no Platt scaling, no thresholds yet) and the
    adapters to save. `progress(done, total)` counts optimizer steps.
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = encoder.model
    wrapped = add_lora(
        model,
        rank=settings.rank,
        alpha=settings.alpha,
        dropout=settings.dropout,
        from_layer=settings.from_layer,
    )
    head = torch.nn.Linear(encoder.dim, len(labels))
    adapter_parameters = [p for w in wrapped.values() for p in (w.lora_a, w.lora_b)]
    optimizer = torch.optim.AdamW(
        [
            {"params": adapter_parameters, "lr": settings.learning_rate},
            {"params": head.parameters(), "lr": settings.head_learning_rate},
        ],
        weight_decay=0.01,
    )
    ids = encoder.tokenize([encoder.prefix + text for text in texts])["input_ids"]
    target = torch.tensor(truth, dtype=torch.float32)
    positive = target.mean(0).clamp(min=1e-3, max=1 - 1e-3)
    # Rare labels weigh more, by the square root of their rarity: the full ratio
    # overshoots on small labels and costs precision.
    loss_of = torch.nn.BCEWithLogitsLoss(pos_weight=((1 - positive) / positive).sqrt())
    per_epoch = math.ceil(len(ids) / settings.batch_size)
    total = settings.epochs * per_epoch
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: _learning_rate_factor(step, total, settings.warmup)
    )
    head_dropout = FastDropout(settings.dropout)
    model.train()
    done = 0
    with fast_dropout(model):  # the encoder's dropout and the adapters'
        for _ in range(settings.epochs):
            for rows in _batches([len(x) for x in ids], settings.batch_size, generator):
                input_ids, mask = encoder.pad([ids[i] for i in rows])
                hidden = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
                pooled = torch.nn.functional.normalize(mean_pool(hidden, mask), dim=-1)
                logits = head(head_dropout(pooled * TEMPERATURE))
                loss = loss_of(logits, target[rows])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                done += 1
                if progress:
                    progress(done, total)
    model.eval()
    adapters = merge_lora(model, wrapped)
    weights = (head.weight.detach() * TEMPERATURE).numpy()
    return LinearHead.uncalibrated(labels, weights, head.bias.detach().numpy()), adapters


def _batches(lengths: Sequence[int], size: int, generator: torch.Generator) -> list[list[int]]:
    """Shuffled batches of similar lengths (little padding), in shuffled order."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    pool = size * 20
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def _learning_rate_factor(step: int, total: int, warmup: float) -> float:
    rise = min(1.0, step / max(1.0, warmup * total))
    return rise * max(0.0, (total - step) / total)
