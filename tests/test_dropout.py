"""Fine-tuning's dropout (`classifiers/dropout.py`): the same regularizer as torch's, cheaper masks.

Statistical checks use a million elements, with bounds of five standard deviations.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from classifiers.dropout import FastDropout, fast_dropout, keep_mask
from classifiers.encoder import Encoder

N = 1_000_000


def _within(observed: float, expected: float, sd: float) -> bool:
    return abs(observed - expected) <= 5 * sd


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_masks_drop_the_requested_share(p: float) -> None:
    torch.manual_seed(0)
    kept = keep_mask(torch.Size([N]), p).double().mean().item()
    assert _within(1 - kept, p, math.sqrt(p * (1 - p) / N))


def test_masks_of_neighbouring_elements_are_independent() -> None:
    """Four elements share one 64-bit draw: each must still get its own bits."""
    torch.manual_seed(1)
    p = 0.1
    dropped = ~keep_mask(torch.Size([N // 4, 4]), p)
    for a, b in [(0, 1), (1, 2), (2, 3), (0, 3)]:
        both = (dropped[:, a] & dropped[:, b]).double().mean().item()
        assert _within(both, p * p, math.sqrt(p * p * (1 - p * p) / (N // 4)))
    # Consecutive draws too: element 3 of one row and element 0 of the next.
    both = (dropped[:-1, 3] & dropped[1:, 0]).double().mean().item()
    assert _within(both, p * p, math.sqrt(p * p * (1 - p * p) / (N // 4)))


def test_masks_of_odd_sizes_have_the_shape_asked_for() -> None:
    for shape in [(1,), (3,), (5, 7), (2, 3, 5)]:
        assert keep_mask(torch.Size(shape), 0.2).shape == shape


def test_training_keeps_the_expected_value_and_scales_the_gradient() -> None:
    torch.manual_seed(2)
    dropout = FastDropout(0.25)
    x = torch.ones(N, requires_grad=True)
    out = dropout(x)
    kept = out != 0
    assert torch.allclose(out[kept], torch.full_like(out[kept], 1 / 0.75))
    assert _within(out.mean().item(), 1.0, math.sqrt(0.25 / 0.75 / N))
    out.sum().backward()
    assert torch.equal(x.grad, out.detach())  # d(x * mask * scale)/dx = mask * scale


def test_evaluation_and_zero_rate_pass_the_input_through() -> None:
    x = torch.randn(64, 32)
    assert FastDropout(0.0)(x) is x
    evaluating = FastDropout(0.5).eval()
    assert evaluating(x) is x


@pytest.mark.parametrize("p", [-0.1, 1.0, 2.0])
def test_a_rate_outside_0_to_1_is_refused(p: float) -> None:
    with pytest.raises(ValueError, match="dropout probability"):
        FastDropout(p)


def test_masks_follow_torch_seed() -> None:
    torch.manual_seed(3)
    first = keep_mask(torch.Size([4096]), 0.1)
    torch.manual_seed(3)
    assert torch.equal(keep_mask(torch.Size([4096]), 0.1), first)
    assert not torch.equal(keep_mask(torch.Size([4096]), 0.1), first)


def test_fast_dropout_swaps_every_dropout_of_the_encoder_and_puts_them_back(
    checkpoint: Path,
) -> None:
    """On the real e5 encoder (a fresh copy: the block trains it)."""
    model = Encoder.load(checkpoint).model
    originals = {name: m for name, m in model.named_modules() if type(m) is torch.nn.Dropout}
    assert originals  # BERT's embedding, attention and hidden dropout
    ids = torch.tensor([[0, 2_000, 3_000, 4_000, 2]])
    mask = torch.ones_like(ids)
    model.train()
    with fast_dropout(model):
        swapped = dict(model.named_modules())
        assert all(isinstance(swapped[name], FastDropout) for name in originals)
        assert all(swapped[name].p == m.p for name, m in originals.items())
        # The attention module hands its rate to the fused kernel: it must still read it.
        torch.manual_seed(4)
        one = model(input_ids=ids, attention_mask=mask).last_hidden_state
        two = model(input_ids=ids, attention_mask=mask).last_hidden_state
        assert not torch.allclose(one, two)  # dropout is active
    restored = dict(model.named_modules())
    assert all(restored[name] is m for name, m in originals.items())
    assert all(m.training for m in originals.values())
    model.eval()
    with torch.inference_mode():
        assert torch.equal(
            model(input_ids=ids, attention_mask=mask).last_hidden_state,
            model(input_ids=ids, attention_mask=mask).last_hidden_state,
        )
