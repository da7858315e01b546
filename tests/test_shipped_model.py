"""The shipped default model, with the real encoder: fixed listings per label and
hard negatives of the labeling guide are scored as an analyst would label them.

The listings are written for this test (not drawn from the training data) and
were fixed before the model was trained; listing-level text only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from armswatch import LABELS
from armswatch.config import load_config
from armswatch.config.loader import CLASSIFIER_ENV
from classifiers import load_classifier
from classifiers.base import ListingText
from classifiers.model import DEFAULT_MODEL, SHIPPED_MODELS
from classifiers.transformer import TransformerClassifier
from tests.conftest import REPO

FLAGGED = [
    # (title, text, a label it must get)
    ("Glock 17 Gen4 for sale", "clean, no paperwork, cash or BTC", "firearm"),
    ("Verkaufe Walther P22, funktioniert einwandfrei", "ohne Papiere, Versand möglich", "firearm"),
    ("Продам пистолет Макарова", "рабочий, без документов", "firearm"),
    ("converted blank pistol, fires live 9mm", "tested, discreet shipping", "firearm"),
    ("AR-15 stripped lower receiver", "new, unserialized", "parts"),
    ("Glock switch 3 pcs", "metal, ships from EU", "parts"),
    ("solvent trap kit with drill guide", "1/2x28 thread, complete", "parts"),
    ("80% lower + jig", "everything needed, no tools besides a drill", "parts"),
    ("500 rds 7.62x39 FMJ", "steel case, sealed tins", "ammunition"),
    ("Munición 9mm Luger, 1000 cartuchos", "envío discreto", "ammunition"),
    ("CCI small pistol primers 1000", "local pickup", "ammunition"),
    ("caja de 50 balas .45 ACP", "sin licencia", "ammunition"),
    ("FGC-9 MKII files + build guide", "STL and STEP, download link after payment", "blueprints"),
    ("Liberator STL pack", "printable, tested on Ender 3", "blueprints"),
    ("looking for the auto sear file", "will pay in XMR", "blueprints"),
    ("Dateien für gedruckten Rahmen (STL)", "Link per PN", "blueprints"),
]

BENIGN = [
    ("Airsoft M4 AEG with 3 mags", "6mm BBs included, 350 FPS"),
    ("Hot glue gun 60W", "for crafts and DIY"),
    ("Nerf Elite blaster", "with 20 darts, kids love it"),
    ("Creality Ender 3 V2 3D printer", "with 2 rolls of PLA filament"),
    ("Leather holster for Glock 19", "right hand, OWB"),
    ("Pistolet à eau géant", "pour la piscine, été"),
    ("CS2 AK-47 skin, Factory New", "trade on Steam"),
    ("Court sentences man for selling ghost guns online", "news report on the trial"),
]


@pytest.fixture(scope="module")
def shipped(checkpoint: Path) -> TransformerClassifier:
    """What the default configuration loads: the shipped model, rules beside it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(CLASSIFIER_ENV)
        classifier = load_classifier(load_config(REPO / "config"))
    assert isinstance(classifier, TransformerClassifier)
    return classifier


def test_the_default_config_loads_the_shipped_model(shipped: TransformerClassifier) -> None:
    assert shipped.artifact.directory == SHIPPED_MODELS / DEFAULT_MODEL
    assert shipped.rules is not None
    info = shipped.artifact.info
    assert info.version == DEFAULT_MODEL and info.labels == list(LABELS)
    assert shipped.version == f"{DEFAULT_MODEL}+{shipped.rules.version}"
    files = list((SHIPPED_MODELS / DEFAULT_MODEL).iterdir())
    assert sum(f.stat().st_size for f in files) <= 20 * 1024 * 1024
    assert {"model.json", "head.npz", "head.json", "MODEL_CARD.md"} <= {f.name for f in files}


@pytest.mark.parametrize(("title", "text", "label"), FLAGGED)
def test_threats_get_their_label(
    shipped: TransformerClassifier, title: str, text: str, label: str
) -> None:
    (prediction,) = shipped.predict([ListingText(title, text)])
    assert label in prediction.labels, prediction
    assert prediction.explanations.get(label), prediction


def test_hard_negatives_stay_benign(shipped: TransformerClassifier) -> None:
    predictions = shipped.predict([ListingText(title, text) for title, text in BENIGN])
    flagged = {
        title: p.labels for (title, _), p in zip(BENIGN, predictions, strict=True) if p.labels
    }
    assert not flagged
