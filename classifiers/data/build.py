"""Build the labeled training data of the listing classifier.

Run from the repository root:

    .venv/bin/python classifiers/data/build.py          # real, listings, test_real .jsonl
    .venv/bin/python classifiers/data/build.py --check  # rebuild in memory, compare with the files

What it does, deterministically (fixed SEED, sorted inputs, no clock):

1. **Real listings** (`real.jsonl`): reads the real data sets under
   `shared/data/` (see DATACARD.md) and maps each chosen row to the labels of
   `shared/LABELING.md`. The markets' categories are weak, noisy labels (drugs
   and airsoft under "Lethal firearms", no weapons category at all on Hansa),
   so every mapping rule below combines the category with title/description
   keyword rules written for this mapping only. The project's rule classifier
   (`classifiers/rules.py`) is deliberately *not* used: training labels that
   copy it would teach the model the rules' mistakes. Each record names the
   rule that set its labels in `label_rule`; rows a rule cannot decide are
   dropped, and hand decisions (from the spot check, SPOT_CHECK.md) are kept
   in OVERRIDES.
2. **Authored listings** (`authored/*.jsonl`): written by us for what the real
   data lacks (3D-printing files, conversion devices, solvent traps, 80%
   lowers, converted blank pistols, many languages, messenger and forum style,
   hard negatives). They are source data: read, validated, never generated here.
3. **Splits** (`listings.jsonl` = real + authored, each with `split`):
   stratified by (label set, language), 70/15/15, fixed seed; records whose
   normalized titles are equal stay in one split. A record keeps the split it
   has in the committed `listings.jsonl`; only new records are assigned, so
   adding data never moves a test record into training. `test_real.jsonl` is
   the real-data part of the test split, every label checked by hand.

Never read here: `agora-2014-04-06-weapons-html/` (held-out crawl/evaluation
set) and the demo sites' data (a crawl target). Agora weapons titles that were
live in March-April 2014 (from the CSVs) are excluded so that the held-out pages'
listings stay out of training (see `heldout_title_keys`); the demo titles are
read only to refuse any record that equals one.

Sampling never depends on the labels (keyword screens on raw text, seeded hash
orders, one random generator per source), so a label fixed by hand changes that
record only; `--check` rebuilds in memory and says whether the files are current.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import json
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
AUTHORED_DIR = HERE / "authored"
REAL_OUT = HERE / "real.jsonl"
LISTINGS_OUT = HERE / "listings.jsonl"
TEST_REAL_OUT = HERE / "test_real.jsonl"
DEMO_DATA = REPO / "armswatch" / "demo" / "data"

SEED = 20240406
LABELS = ("firearm", "parts", "ammunition", "blueprints")
SPLITS = (("train", 0.70), ("validation", 0.15), ("test", 0.15))
LANGS = ("en", "de", "fr", "es", "it", "pt", "ru", "pl", "nl", "ar", "zh", "tr", "uk")
TEXT_LIMIT = 600
REQUIRED = ("id", "title", "text", "lang", "labels", "source", "origin", "label_rule")

SRC_ARMSLIST = "armslist-2017-11-utvompl"
SRC_AGORA_CAT = "agora-2014-2015-catlistings-weapons"
SRC_MOZZ = "agora-2014-mozzarellav8"
SRC_HANSA = "hansa-2016-12-onionscan"

# How many rows to take (the whole real set aims at ~2,000).
N_ARMSLIST = 800
LOOKALIKE_CAP = 10  # per source and look-alike word ("cartridge", "AK", "bomb"...)
MOZZ_QUOTA = {  # darknet negatives per Agora category
    "Drugs": 130,
    "Information": 40,
    "Services": 25,
    "Data": 18,
    "Counterfeits": 22,
    "Forgeries": 18,
    "Electronics": 12,
    "Tobacco": 8,
    "Drug paraphernalia": 8,
    "Jewelry": 4,
}
HANSA_QUOTA = {  # darknet negatives per Hansa category (Erotica left out)
    "Drugs": 150,
    "Digital Goods": 40,
    "Guides & Tutorials": 40,
    "Fraud Related": 30,
    "Services": 20,
    "Counterfeits": 20,
    "Miscellaneous": 8,
    "Security & Hosting": 6,
    "Jewellery": 6,
    "Electronics": 6,
}


def shared_data_dir() -> Path | None:
    """shared/ sits inside the checkout or beside it (as in CI)."""
    for folder in (REPO / "shared" / "data", REPO.parent / "shared" / "data"):
        if folder.is_dir():
            return folder
    return None


# --------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form used for deduplication and
    for the split's near-duplicate groups (equal normalized titles)."""
    text = unicodedata.normalize("NFKC", html.unescape(text)).casefold()
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return " ".join(re.findall(r"\w+", text))


_TITLE_NOISE = re.compile(
    r"\b(copy of|pt\.?\s*\d|part\s*\[?\d(/\d)?\]?|\d/\d|full escrow|no fe( required)?|fe special"
    r"|fe|escrow|price drop|price lowered|sale|sold|new|like new|sold pending|free shipping)\b"
)


def title_key(title: str) -> str:
    """A coarser key for catalogue titles: drops part markers ("Pt.1", "Part [2/3]"),
    escrow and sale tags, so that a vendor's re-posts count as one listing."""
    key = _TITLE_NOISE.sub(" ", normalize(title))
    return " ".join(key.split())


_CONTACT = re.compile(
    r"\[(phone|email)\]|@|https?://|www\.|\.onion|\.com\b|\bwickr\b|\bicq\b|\bjabber\b|\bxmpp\b"
    r"|\bskype\b|\btelegram\b|\bwhatsapp\b|\bsignal\b|\bkik\b|\bpgp\b|\bemail\b|\be-mail\b"
    r"|\bcall\b|\btext me\b|\btext or\b|\bcall or\b|\bmy digits\b|\bdigits\b|\bphone\b"
    r"|\bnumber is\b|\bcontact me\b"
    r"|\b(?=\w*\d)(?=\w*(zero|one|two|three|four|five|six|seven|eight|nine))\w{8,}\b"
    r"|\b(zero|one|two|three|four|five|six|seven"
    r"|eight|nine)\b.*\b\d{3}\b.*\b(zero|one|two|three|four|five|six|seven|eight|nine)\b",
    re.I,
)


def sentences(text: str) -> list[str]:
    """Split into sentences, also where scraped text glued them ("it.Since")."""
    text = re.sub(r"([.!?])(?=[A-Z])", r"\1 ", text)
    parts = re.split(r"(?<=[.!?])\s+|\s*\n+\s*", text)
    return [p.strip() for p in parts if p.strip()]


_DIGIT_RUN = re.compile(r"\d[\d\s()./-]{5,}\d")


def _has_contact(sentence: str) -> bool:
    if _CONTACT.search(sentence):
        return True
    # phone-like: a run of 7+ digits with separators (not "223/5.56" or "7.62x39")
    return any(sum(c.isdigit() for c in m.group(0)) >= 7 for m in _DIGIT_RUN.finditer(sentence))


def scrub_contacts(text: str) -> str:
    """Drop every sentence that carries contact details (redacted phone/e-mail markers,
    addresses, messenger handles, phone-like digit runs, spelled-out numbers)."""
    kept = [s for s in sentences(text) if not _has_contact(s)]
    return " ".join(kept)


def trim(text: str, limit: int = TEXT_LIMIT) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + " …"


def parse_float(value: str) -> float | None:
    try:
        return round(float(value.replace(",", "").replace("USD", "").strip()), 6)
    except ValueError:
        return None


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


# --------------------------------------------------------------------------------------
# Language detection (py3langid restricted to the data's languages)
# --------------------------------------------------------------------------------------

_IDENT: Any = None


def detect_lang(text: str, fallback: str = "en", threshold: float = 0.8) -> str:
    """py3langid over the 13 languages of the data. Real titles are short; where the
    normalized probability is under `threshold` the source's main language is used
    (all real sources are predominantly English)."""
    global _IDENT
    if _IDENT is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _IDENT = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        _IDENT.set_languages(list(LANGS))
    lang, prob = _IDENT.classify(text)
    return lang if prob >= threshold else fallback


# --------------------------------------------------------------------------------------
# Keyword vocabularies written for this mapping (not the watchlist)
# --------------------------------------------------------------------------------------

GUN_WORDS = _rx(
    r"\b(glocks?|pistols?|rifles?|revolvers?|shotguns?|carbine|handguns?|firearms?|guns?|"
    r"ak[ -]?47s?|ak47c|aks?|ar[ -]?15s?|ar|m4|m16|mac[ -]?1[01]|uzi|tec[ -]?9|scorpion|skorpion|"
    r"beretta|berr?etta|barretta|walther|walter|taurus|sig|sauer|ruger|kimber|colt|s&w|"
    r"smith ?& ?wesson|smith and wesson|makarov|tokarev|browning|hi[ -]?point|kel[ -]?tec|keltec|"
    r"springfield|springield|xd|xdm|mossberg|remington|mauser|k98|saiga|draco|derringer|bersa|"
    r"cz|feg|norinco|erma|tanfoglio|radom|raven|jimenez|ja|phoenix|pheonix|cobray|h&k|heckler|"
    r"mp5\w*|usp|1911|sks|garand|zip gun|pen gun|liberator|sub ?machine ?gun|machine pistol|"
    r"smg|sbr|pumpgun|sawn off|vz\.? ?61|p22|p11|pf9|pt ?\d+|sw40ve|sw9f|bobcat|mosquito|"
    r"bearcat|m&p\d*|hi power|high power|saturday night|rock island|ria|armory)\b"
)
CALIBER = _rx(
    r"(\b\d{1,2}\s?mm\b|\.\d{2,3}\b|\b\d{2,3}\s?(cal|caliber|calibre|acp|lr|auto)\b|"
    r"\b(9x19|9x18|7[.,]62|5[.,]56|\.?223|\.?308|12 ?(g|ga|gauge)|410|22 ?lr|22lfb|45 ?acp)\b)"
)
SUPPRESSOR = _rx(
    r"(silencers?|suppressors?|supressors?|silenceur|schalld(ä|a)mpfer|silenceradapter|"
    r"moderators?)"
)
SUPPRESSOR_READY = _rx(r"\b(suppressor|supressor|silencer)[ -]ready\b")
MAGAZINE = _rx(r"\b(mags?|magazines?|magasines?|magazins?|clips?|drums?|pmags?|rounders)\b")
PART_NOUN = _rx(
    r"\b(slides?|frames?|barrels?|lowers?|uppers?|receivers?|bolt carrier( group)?|bcg|"
    r"trigger group|conversion (kit|barrel)|cylinder|auto sear|lightning link|"
    r"drop[- ]in auto sear)\b"
)
AMMO_TITLE = _rx(
    r"\b(ammo|ammunition|rounds?|rds|bullets|cartridges?|shells|slugs|buckshot|primers?|fmj|"
    r"jhp|jsp-f|hollow ?points?|hp|pcs|tulammo|reloads|wadcutter|skeet|munition)\b"
)
CAPACITY = _rx(
    r"\b\d{1,3}[ -]?(round|rd|rnd|shot)s?\b(?=\s*(\w+\s+){0,2}(mags?|magazines?|drum))|"
    r"\b(mags?|magazines?|magasine|drum)\b\W{0,3}(\w+\W{1,3}){0,2}\d{1,3}[ -]?(round|rd)s?\b"
)
BLUEPRINT_HINT = _rx(
    r"\b(cad|stl|3d print\w*|printable|drawings?|defcad|fosscad|blueprints?|plans|guide|"
    r"how to make|homemade|home workshop|do-it-yourself|diy|e-?book|book|manual|handbook|"
    r"gunsmithing|improvised|cookbook)\b"
)
EXPLOSIVE = _rx(
    r"\b(explosives?|semtex|c-4|incendiar\w*|bombs?|grenades?|rocketry|model rockets?|"
    r"booby traps?|fertilizer)\b"
)
NON_FIREARM = _rx(
    r"(airsoft|crosman|pneumatic|\.177|pellets?|\bbbs?\b|replica|stun|tasers?|tazer|"
    r"teaser|pepper ?spray|pepperspray|peppergard|\bmace\b|teargas|knife|knives|messer|knuckl|"
    r"nuckle|knucle|schlagring|baton|batton|crossbow|laser|nunchaku|firework|firecracker|"
    r"flash ?powder|flashpowder|cracker|kubotan|machete|katana|sword|wakazashi|dagger|bowie|"
    r"blackjack|totschl|keychain|key chain|tactical pen|hand ?cuffs|stahlrute|elektro|schocker|"
    r"birdbanger|vogelschreck|starenschreck|flahbang|salut|m-100|1/4 stick|enforcer|"
    r"self[- ]?defen[cs]e|stealth pen|hidden blade|not fuction|not function|non[- ]?function|"
    r"rifle scope|red dote?|stock - black|helicopter|rc4|belt buckle|"
    r"laptop|geforce|hammer|club\b|switchblade|butterfly)"
)
OFFTOPIC = _rx(
    r"(\bgrams?\b|\$\d+/g\b|\boz\b|ounce|cocaine|\bcoke\b|\bcoce\b|heroin|mdma|\bxtc\b|"
    r"\bweed\b|\bhash\b|\bmeth\b|\blsd\b|high grade|commercial|cyanide|kaliumcyanid|benzene|"
    r"phosphorus|chlorate|bitcoins?|\bporn\b|deep ?web|\blinks\b|carding|amazon|hotel|flight|"
    r"booking|peruvian|\bpizza\b|lottery|\bd\.rugs\b(?=.*xxx)|pills\b)"
)
CUSTOM = _rx(
    r"(\bcust\w* (listing |order |lis\w* )?(for|fo)\b|\bcustomer ?lis\w*|\blisting for\b|"
    r"\border (nr\.?\s*\d\w* )?for\b|\bshipping\b|\binquiry\b|\bhidden listing\b|"
    r"\bspecial listing\b|\brequest fullfillment\b|\bexpress custom\b|\bcustom part\b|"
    r"\bcustom\b|\bpart \d\b|\bticket\b|\bjuice monkey\b|\bjuju|\bvoxvox|\bcusom\b|\bcutsom\b)"
)
WANTED = _rx(r"\b(wanted|wtb|want to buy|looking for|need|seeking|iso)\b")


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass
class Mapped:
    labels: list[str] | None  # None: drop the row
    rule: str


@dataclass
class Record:
    id: str
    title: str
    text: str
    labels: list[str]
    source: str
    label_rule: str
    origin: str = "real"
    lang: str = ""
    price: float | None = None
    currency: str | None = None
    seller: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "lang": self.lang,
            "labels": sorted(set(self.labels), key=LABELS.index),
            "source": self.source,
            "origin": self.origin,
            "label_rule": self.label_rule,
        }
        if self.price is not None:
            out["price"] = self.price
            out["currency"] = self.currency
        if self.seller:
            out["seller"] = self.seller
        out.update(self.extra)
        return out


def ordered(labels: Iterable[str]) -> list[str]:
    return sorted(set(labels), key=LABELS.index)


# --------------------------------------------------------------------------------------
# Hand decisions (spot check and test_real review). Keyed by record id; None drops.
# --------------------------------------------------------------------------------------

OVERRIDES: dict[str, tuple[list[str] | None, str]] = {
    # spot check (SPOT_CHECK.md)
    "armslist-7564990": (["firearm"], "Del-Ton Echo is an AR-15 rifle, not an optic"),
    "armslist-6979348": (["firearm"], "two shotguns; 'stock' describes them"),
    "armslist-7565381": (["parts"], "AAC M4-2000 is a suppressor, no rifle"),
    "armslist-7364022": (["parts"], ".22 conversion kit + conversion barrels, no pistol"),
    "armslist-7565228": (["firearm"], "seeks damaged or sporterized rifles"),
    "armslist-7486035": (["firearm", "parts"], "upper + lower together are a complete rifle"),
    "armslist-7454749": (
        ["firearm"],
        "Nighthawk Talon is a complete 1911; 'naked slide' is a feature",
    ),
    # test_real review (SPOT_CHECK.md)
    "armslist-7562436": (
        ["firearm", "parts", "ammunition"],
        "'4 mags ammo and a holster' included",
    ),
    "armslist-7290824": (["firearm", "parts", "ammunition"], "3 magazines for a 760 (1 standard)"),
    "armslist-6925273": (["firearm"], "3 magazines are the VP9's standard equipment"),
    "armslist-7560359": (["ammunition"], "ten boxes of 9mm, no gun"),
    "armslist-7204432": (
        ["firearm", "parts", "ammunition"],
        "FiveseveN pistol + AR57 upper + ammo",
    ),
    "armslist-7318067": (["firearm"], "flush + extended mag are the HK45CT's standard pair"),
    "armslist-7323366": (["firearm"], "flush + extended mag are the PPK/S's standard pair"),
    "armslist-7306940": (["firearm", "ammunition"], "several guns, each with its own mags"),
    "armslist-7215698": (
        ["firearm", "parts", "ammunition"],
        "spare 9x21 barrel + 100 primed cases",
    ),
    "armslist-7426208": ([], "a shotgun stock only"),
    "armslist-7452740": (["firearm", "parts", "ammunition"], "rifle, spare magazines and ammo"),
    "armslist-7535545": (["firearm", "parts"], "complete upper + lower: a complete rifle"),
    "armslist-7563173": (["firearm", "ammunition"], "muzzleloader with powder, sabots and balls"),
    "armslist-6489579": (None, "Slide Fire bump stocks: not clearly any label"),
    "armslist-7450643": (["firearm", "ammunition"], "package lists ammo; 'can add a suppressor'"),
    "armslist-7564865": (["firearm"], "'2-8 round mags' are two magazines"),
    "armslist-7392132": (["firearm", "parts"], "upper, or the whole rifle for $2700"),
    # Armslist parts/ammunition review (SPOT_CHECK.md, "Armslist parts and ammunition")
    "armslist-7426603": (["firearm"], "'5 magazines through it' were fired; 3 factory mags"),
    "armslist-7387475": (["firearm"], "the rifle's own match barrel and one magazine"),
    "armslist-7520180": (["firearm"], "two magazines are the Mark III's standard equipment"),
    "armslist-7564904": (["firearm"], "a revolver's own 6-inch barrel"),
    "armslist-7565398": (["firearm"], "two magazines; extended controls are not parts"),
    "armslist-7535820": (["firearm"], "integral suppressor of the pistol; ammo not offered"),
    "armslist-7564637": (["firearm"], "'suppressor-ready', suppressor sights; factory mags"),
    "armslist-7565314": (["firearm"], "6 + 8 round mags are the P290RS's standard pair"),
    "armslist-7489696": (["firearm"], "flush + extended mag are the XD-S's standard pair"),
    "armslist-7253116": (["firearm"], "'ammo is not included in the sale'"),
    "armslist-7563602": (["firearm"], "'fired 100 rounds': no ammunition offered"),
    "armslist-7565058": (["firearm", "parts"], "four magazines; rounds were fired, not offered"),
    "armslist-7565123": (["firearm"], "'less than 100 rounds thru it', two mags"),
    "armslist-6825843": (["firearm", "parts"], "three barrels; 'factory ammo' describes loads"),
    "armslist-7518598": (["firearm"], "'no problems with steel ammo': not offered"),
    "armslist-6512485": (["firearm", "parts"], "'w/ Mags'; '.223 ammo' is compatibility"),
    "armslist-7543659": (["firearm", "parts", "ammunition"], "'more magazines and ammo' offered"),
    "armslist-7117897": (["firearm", "ammunition"], "'will include a bunch of ammo'"),
    "armslist-7400853": (["firearm", "ammunition"], "bullets, brass and reloaded ammo included"),
    "armslist-7541611": (["firearm", "ammunition"], "'1050 rounds of 308 ammo'"),
    "armslist-7560264": (["firearm", "ammunition"], "'roughly 400 rounds of fmj'"),
    "armslist-7564083": (["firearm", "ammunition"], "'can include ... 100 rounds of 5.56'"),
    "armslist-7534920": (["firearm", "parts"], "'one extra magazine'"),
    "armslist-7565118": (["firearm", "parts"], "'includes 1 extra magazine'"),
    "armslist-7565121": (["firearm", "parts"], "'includes 1 extra magazine'"),
    "armslist-7565126": (["firearm", "parts"], "'includes 1 extra magazine'"),
    "armslist-7565131": (["firearm", "parts"], "'includes 2 extra magazines'"),
    "armslist-7540304": (["firearm", "parts"], "'a surplus of mags as well'"),
    "armslist-7009167": (["firearm", "parts"], "threaded barrel plus the original one"),
}


def apply_override(record_id: str, mapped: Mapped) -> Mapped:
    if record_id in OVERRIDES:
        labels, _why = OVERRIDES[record_id]
        return Mapped(labels, f"{mapped.rule}+hand")
    return mapped


# --------------------------------------------------------------------------------------
# Armslist (US clear-web classifieds, every row in a gun category)
# --------------------------------------------------------------------------------------

ARMSLIST_PREFIX = _rx(r"^(for sale/trade|for sale|for trade|want to buy)\s*:\s*")
ARMS_ACCESSORY_TITLE = _rx(
    r"\b(scopes?|optics?|red dot|holsters?|safes?|cases?|slings?|stocks?|chassis|grips?|bipods?|"
    r"vests?|tv|scrn|knives|knife|reloading press|dies|mounts?|rings|sights?|handguards?|"
    r"brass catcher|gun cabinet|ammo can|cleaner|bayonet|muzzle brake|slide fire|bump ?stock)\b"
)
ARMS_NON_GUN = _rx(
    r"\b(pellet (gun|rifle|pistol|hunting rifle)|air (rifle|gun|pistol)|airsoft|bb gun|"
    r"co2 pistol|deactivated|non-?firing (replica|gun|display|dummy|prop)|dummy gun|toy gun|"
    r"replica gun|prop gun)\b"
)
ARMS_WITH = _rx(r"\bwith\b|\bw/|\bplus\b|\bincl|,")
ARMS_MODEL_TOKEN = _rx(r"\b[a-z]*\d+[a-z0-9-]*\b")
# The part is the title's head: what is offered or sought is the part itself.
ARMS_PART_HEAD = _rx(
    r"\b((stripped|complete|billet|matched|multi-?cal\w*)\s+)?"
    r"(upper|lower)s?(\s+(receiver|rece\w*))?s?\b(?!\s+(rifle|pistol|gun))|"
    r"\b(stripped|billet|80%)\s+(lower\s+)?receivers?\b|\bbillet receivers\b|"
    r"\b(oem|pre-?ban|factory|pmags?|glock \d+|ar-?15|ak(-?47)?|\d+ ?(rd|round))\s+"
    r"(mags|magazines|drums?)\s*$|^\s*(\d+ ?(rd|round)\s+)?drums?\b|"
    r"\b(\.?22|rimfire)\s*(cal\w*\s*)?conversion kit\b|\b(complete|stripped|naked|"
    r"glock \d+|lone wolf)\s+(glock\s+)?slides?\b|(?<!long )\bslides?\s*$|"
    r"\bbarrels?\s+(for|fits)\b|^\s*\d+(\.\d)?\s*(\"|in|inch)?\s*([\w.-]+\s+){0,3}barrels?\b|"
    r"\bbarrels\b(?!.*\b(shotgun|rifle)\b)|\b(suppressors?|silencers?)\b(?![- ]ready)|"
    r"\bframes?\s+(for|fits)\b"
)
ARMS_TYPE = _rx(r"\b(rifle|pistol|shotgun|revolver|carbine|handgun)s?\b")
ARMS_SEEK_GUN = _rx(
    r"\b(trade|looking|want|wtb|wtt|buy)\w*\b[^.]{0,40}\b(guns?|pistols?|rifles?|shotguns?|"
    r"handguns?|revolvers?|glock|ar-?15|ar|ak|sig|1911|carbine)\b"
)
_NUMWORDS = {
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "several": 4,
    "a dozen": 12,
    "bunch of": 4,
    "ton of": 6,
}
_COUNT = (
    r"(\(?\d{1,2}\)?|one|two|three|four|five|six|seven|eight|nine|ten|several|a dozen|"
    r"bunch of|ton of)"
)
_CAP = r"(\d{1,3}|ten|six|seven|eight|five|twenty|thirty)\s*-?\s*(rd|round|rnd|roun|shot)s?\.?"
MAG_WORD = _rx(
    r"(?<![\w#-])(?<!moon )(?<!en bloc )(?<!loaded en bloc )(?<!belt )(?<!money )(?<!stripper )"
    r"(p-?mags|mags|magazines|magazine|clips|mag|clip)\b(?!-)(?!\s*-?\s*(release|holsters?|pouch\w*|"
    r"carriers?|loaders?|well|base|floor|plates?|catch|extensions?|button|followers?|springs?|"
    r"limiters?|coupler|clamp|funnel|desc|capacity|extender|dump|seen|rig|tubes?|cut|"
    r"disconnect\w*|safety))"
)
MAG_INTERNAL = _rx(r"\b(fixed|tube|tubular|rotary|internal|box|\d\s*\+\s*1)\s*$")
MAG_EXTRA_WORD = _rx(r"\b(extra|spare|additional|addtional|extended|drum|backup)\b")
MAG_COUNT = _rx(
    rf"(?<![\w.$])(?<!glock )(?<!model )(?<!series )(?<!gen )\(?{_COUNT}\)?(?!\d)"
    rf"(?!\s*-?\s*(rd|round|rnd|roun|shot)s?\b)\s*(x\s*)?-?(\s*{_CAP})?\s*(-\s*)?"
    rf"((?!(with|and|or|plus)\b)[a-z&/'-]+\s+){{0,3}}$"
)
MAG_CALIBER_BEFORE = _rx(r"\b(win|rem|wsm|wby|super|\d{2,3}|\.\d{2,3}|\d{1,2}\s?mm)\s*$")
ARMS_EXTRA_PART = _rx(
    r"\b(extra|spare|additional|second) (barrel|slide|upper|bolt|bcg|cylinder)s?\b|"
    r"\b(22|\.22|22lr|rimfire)\s*(cal\w*\s*)?conversion\b|\bconversion (barrel|slide)\b|"
    r"(?<!flash )(?<!for )(?<!for a )(?<!for your )(?<!ready )(?<!ready for )(?<!ready for a )"
    r"\b(suppressor|silencer|suppresor)s?\b"
    r"(?! ready| host| compatible| height| sights| mount)"
)
ARMS_AMMO_TERM = _rx(
    r"\b(ammo|ammunition|rounds|rds|rnds|shells|cartridges|brass|boxes of|box of|bullets|"
    r"\d+[ -]?(round|rd) box)\b"
)
ARMS_AMMO_NEG = _rx(
    r"\b(through|thru|threw|fired|shot|shoot|shooting|shoots|down ?range|down the (pipe|barrel)|"
    r"round count|holds?|capacity|initial|check|test|particular|tune|minus|except|without|"
    r"excluding|not including|clips for|\d\"? shells|inch shells|ammo (pouch|belt|carrier)s?|"
    r"(mags?|magazines?)\W+(\w+\W+){0,2}\d+\s*(rounds|rds)(?!\s+of)|any ammo|issues|compatible|"
    r"cycled|cycles|cycle|malfunctions?|fed|feeds|run|runs|eats|"
    r"practice|any (kind|type) of|not ammo|no ammo|ammo not|chambered|chamber|looks like|"
    r"fires?|functions?|uses?|takes|accepts?|handles?|feeding|same ammo|cheaper ammo|"
    r"magnum rounds|handgun rounds|defensive rounds|shipping issue|powerful|hazmat|sight|"
    r"(ammo|ammunition) (box|can)s? (as|for) storage|under|less than|fewer than|maybe|only|"
    r"low count)\b|"
    rf"\b{_CAP}\s*(\w+\s+){{0,3}}(mags?|magazines?|clips?|drums?|capacity|tube|cylinder)\b|"
    r"\+\s?1\b"
)
ARMS_AMMO_POS = _rx(
    r"\b(comes? with|includes?|included|including|incl|with|plus|throw in|throwing in|"
    r"also have|i have|have some|have about|have \d+|sell|selling|for sale|extra|bunch of|"
    r"ton of|option to buy|will include|along with|box(es)? of|cans?|free|"
    r"\d[\d,]*\+?\s*(rounds|rds|rnds)\s+(of\b|[a-z]{3,}))\b|\+\s*\d|&\s*\d"
)


def armslist_ammo(text: str) -> bool:
    """Rounds offered with the gun: an ammo word in a clause that offers it and does
    not only tell how much was fired or how many a magazine holds."""
    for clause in re.split(r"[.;!?\n]|(?<=[a-z])(?=[A-Z])|,\s|\s-\s", text):
        if not ARMS_AMMO_TERM.search(clause):
            continue
        if ARMS_AMMO_NEG.search(clause):
            continue
        if ARMS_AMMO_POS.search(clause):
            return True
    return False


def armslist_extra_mags(title: str, text: str = "") -> bool:
    """Spare parts beyond the standard equipment, in the title or the description;
    magazines are counted in each separately (titles restate the description's)."""
    return _extra_parts(title) or _extra_parts(text)


def _extra_parts(text: str) -> bool:
    """Spare parts beyond the gun's standard equipment (its own magazines add no
    `parts`): magazines called extra/spare/additional/extended/drum, four or more
    magazines counted in all, a spare barrel/slide/upper, a .22 conversion, a suppressor
    (not a flash suppressor, not "suppressor ready")."""
    if ARMS_EXTRA_PART.search(text):
        return True
    total = 0
    for m in MAG_WORD.finditer(text):
        before = text[max(0, m.start() - 45) : m.start()]
        before = re.split(r"[.;:!?]|\band\b", before)[-1] if m.group(1).lower() != "mag" else before
        if re.search(r"#\s*of\s*$|\bdesc\b", before, re.I):
            continue
        if m.group(1).lower() == "mag" and MAG_CALIBER_BEFORE.search(before):
            continue
        if MAG_INTERNAL.search(before) or re.search(
            r"\b(takes|accepts|uses|compatible|fits|fill)\b", before, re.I
        ):
            continue
        if MAG_EXTRA_WORD.search(before):
            return True
        count = MAG_COUNT.search(before)
        if count:
            word = count.group(1).strip("()").lower()
            total += int(word) if word.isdigit() else _NUMWORDS.get(word, 1)
    return total >= 4


CALIBER_MAG = _rx(
    r"((\d|mm|rem|win|wby|weatherby|h&h|super|ultra|wsm|s&w|ruger|\.\d{2,3})\s*\.?\s*)mag(num)?\b"
)


def armslist_text(row: dict[str, str]) -> str:
    return trim(scrub_contacts(row["description"]))


def map_armslist(row: dict[str, str]) -> Mapped:
    """Rules `armslist_*` (every row sits in a gun category, so a gun is the default):

    - `armslist_nongun`: pellet/air/BB/airsoft guns, deactivated or non-firing guns,
      replicas and props -> benign.
    - `armslist_accessory`: the title names only accessories (scope, holster, grips,
      stock, bayonet, cleaner...) and no gun -> benign; but `armslist_trade_for_gun`
      -> firearm when the text seeks a gun in trade (demand counts).
    - `armslist_parts_only`: the title's head is a part (an upper or lower, a stripped
      receiver, magazines or a drum, a slide, a barrel "for" a gun, a .22 conversion
      kit, a suppressor) -> parts; + firearm when the title also joins a gun to it
      ("Uzi and upper"); + ammunition when rounds are offered.
    - `armslist_gun`: a complete gun offered, traded or sought (WTB) -> firearm,
      + parts for spare/extra/extended magazines (or four or more in all), spare
      barrels, .22 conversions, suppressors; + ammunition when rounds are included or
      offered (not rounds fired through it, not magazine capacity).
    """
    title = CALIBER_MAG.sub(r"\1magnum", ARMSLIST_PREFIX.sub("", row["title"]).strip())
    text = armslist_text(row)  # what the record shows: contacts dropped, trimmed
    both = f"{title}. {text}"
    if ARMS_NON_GUN.search(both):
        return Mapped([], "armslist_nongun")
    gun_in_title = bool(GUN_WORDS.search(title) or CALIBER.search(title) or ARMS_TYPE.search(title))
    accessory = ARMS_ACCESSORY_TITLE.search(title)
    if accessory:
        before_accessory = title[: accessory.start()]
        if ARMS_WITH.search(before_accessory) or ARMS_MODEL_TOKEN.search(before_accessory):
            accessory = None
    if accessory and not gun_in_title and not ARMS_PART_HEAD.search(title):
        if ARMS_SEEK_GUN.search(text):
            return Mapped(["firearm"], "armslist_trade_for_gun")
        return Mapped([], "armslist_accessory")
    head = ARMS_PART_HEAD.search(title)
    if head and not SUPPRESSOR_READY.search(title):
        before = title[: head.start()]
        joined = re.search(r"(\band\b|&|\+)\s*(\(\d\)\s*)?[\w.-]*\s*$", before, re.I)
        mags_of_gun = re.match(r"mag|drum", head.group(0).split()[-1], re.I) and GUN_WORDS.search(
            re.sub(r"glock \d+\s*$", "", before, flags=re.I)
        )
        if (not ARMS_WITH.search(before) or joined) and not mags_of_gun:
            labels = ["parts"]
            if joined and (GUN_WORDS.search(before) or ARMS_TYPE.search(before)):
                labels.append("firearm")
            if armslist_ammo(both):
                labels.append("ammunition")
            return Mapped(labels, "armslist_parts_only")
    labels = ["firearm"]
    if armslist_extra_mags(title, text):
        labels.append("parts")
    if armslist_ammo(both):
        labels.append("ammunition")
    return Mapped(labels, "armslist_gun")


def load_armslist(root: Path) -> list[Record]:
    path = root / SRC_ARMSLIST / "armslist_guns_2017-11.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    seen: set[str] = set()
    for row in sorted(rows, key=lambda r: (r["post_id"], r["title"])):
        if row["post_id"] in seen:
            continue
        seen.add(row["post_id"])
        rid = f"armslist-{row['post_id']}"
        mapped = apply_override(rid, map_armslist(row))
        if mapped.labels is None:
            continue
        out.append(
            Record(
                id=rid,
                title=" ".join(row["title"].split()),
                text=armslist_text(row),
                labels=mapped.labels,
                source=SRC_ARMSLIST,
                label_rule=mapped.rule,
                price=parse_float(row["price"]),
                currency="USD" if parse_float(row["price"]) is not None else None,
            )
        )
    return out


ARMS_SCREEN = _rx(
    r"want to buy|wtb|\b(upper|lower|receiver|slide|barrel|mags?|magazines?|drum|suppress\w*|"
    r"silencer|conversion|ammo|rounds|rds|scope|holster|safe|stock|trade|extras?|package|"
    r"airsoft|pellet|bb|replica)\b"
)


ARMS_SCREEN_TEXT = _rx(
    r"\b(extra|spare|additional)\b.{0,25}\b(mags?|magazines?|barrels?)\b|\b(ammo|ammunition|"
    r"rounds of|rds of|boxes of|box of)\b|\b([4-9]|1\d|four|five|six|seven|eight|ten)\s+"
    r"(\w+\s+){0,2}(mags|magazines)\b|suppressor|silencer|conversion"
)


def sample_armslist(records: list[Record]) -> list[Record]:
    """Rows whose raw title (first) or description names something beyond a plain
    gun (a part, spare magazines, ammo, an accessory, a trade or a WTB: a fixed
    keyword screen, not the labels) make up to 85% of N_ARMSLIST, the other rows
    the rest, each in a seeded hash order. Independent of the mapping rules, so
    fixing a label never changes which rows are taken."""

    def tier(r: Record) -> int:
        return 0 if ARMS_SCREEN.search(r.title) else 1 if ARMS_SCREEN_TEXT.search(r.text) else 2

    ranked = sorted(records, key=lambda r: (tier(r), _rank(SEED, r.id)))
    keep = [r for r in ranked if tier(r) < 2][: int(N_ARMSLIST * 0.85)]
    return keep + [r for r in ranked if tier(r) == 2][: N_ARMSLIST - len(keep)]


# --------------------------------------------------------------------------------------
# Agora weapons catalogue rows (catlistings 2014-15, titles only) and mozzarella
# weapons rows (titles, some descriptions)
# --------------------------------------------------------------------------------------

HELDOUT_FROM, HELDOUT_TO = "2014-03-01", "2014-04-30"


def heldout_title_keys(root: Path) -> set[str]:
    """Title keys of the Agora weapons listings that were live around the held-out HTML
    crawl of 2014-04-06: catalogue rows dated 2014-03-01..2014-04-30, and mozzarella
    weapons rows crawled from 2014-03-01 on. Taken from the CSVs, never from the
    held-out HTML. Every real record with one of these keys is excluded, so no listing
    of the held-out pages (category pages, and product pages reached by breadcrumb
    only) is trained on; tests/test_training_data.py checks the pages' h1 titles."""
    keys = set()
    path = root / SRC_AGORA_CAT / "agora_catlistings_weapons_2014-2015.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if HELDOUT_FROM <= row["date"] <= HELDOUT_TO:
                keys.add(title_key(row["name"]))
    for path in sorted((root / SRC_MOZZ).glob("products-*.csv")):
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["cat"] == "Weapons" and row["date"] >= HELDOUT_FROM:
                    keys.add(title_key(row["product"]))
    return keys


def _has_gun(title: str) -> bool:
    return bool(GUN_WORDS.search(title))


def map_agora_title(title: str, category: str) -> Mapped:
    """Rules `agora_*` for a weapons-category title (the title decides; most rows have
    no description):

    - `agora_custom_uninformative`: custom-order/shipping/part-N listings that name
      no item -> dropped (no analyst could label them).
    - `agora_offtopic`: drugs, chemicals, bitcoin, porn, bookings under Weapons -> benign.
    - `agora_explosives_info`: explosives/bomb manuals -> benign (outside the four labels).
    - `agora_manual_or_files`: CAD/STL packs, drawings, books and guides for making guns,
      silencers or ammunition -> blueprints.
    - `agora_nonfirearm`: knives, knuckles, batons, stun guns, pepper spray, airsoft,
      air guns, crossbows, lasers, fireworks, scopes, stocks, replicas -> benign.
    - `agora_item`: otherwise by the item named: suppressors, slides, frames,
      barrels, lowers/uppers, magazines (as the item or extra) -> parts; rounds,
      ammo, shells, primers -> ammunition; a complete gun -> firearm.
    - `agora_category_default`: an ammunition-category title that is only a
      calibre/count ("9mm Rounds") -> ammunition; otherwise dropped.
    """
    t = title
    if CUSTOM.search(t) and not (
        _has_gun(t)
        or AMMO_TITLE.search(t)
        or SUPPRESSOR.search(t)
        or MAGAZINE.search(t)
        or PART_NOUN.search(t)
        or CALIBER.search(t)
    ):
        return Mapped(None, "agora_custom_uninformative")
    if MANUAL_UNCLEAR.search(t):
        return Mapped(None, "manual_unclear")
    if NON_FIREARM.search(t) and not SUPPRESSOR.search(t):
        return Mapped([], "agora_nonfirearm")
    if OFFTOPIC.search(t) and not (
        _has_gun(t) and not re.search(r"grams?|oz|cocaine|heroin", t, re.I)
    ):
        return Mapped([], "agora_offtopic")
    if BLUEPRINT_HINT.search(t):
        if EXPLOSIVE.search(t) and not (_has_gun(t) or SUPPRESSOR.search(t)):
            return Mapped([], "agora_explosives_info")
        if _has_gun(t) or SUPPRESSOR.search(t) or re.search(r"munition|bullet|sten", t, re.I):
            return Mapped(["blueprints"], "agora_manual_or_files")
    if EXPLOSIVE.search(t) and not _has_gun(t):
        return Mapped([], "agora_explosives_info")
    labels: set[str] = set()
    gun = _has_gun(t)
    ready = SUPPRESSOR_READY.search(t)
    if SUPPRESSOR.search(t) and not (ready and not re.search(r"\+|package|with", t, re.I)):
        labels.add("parts")
    part = PART_NOUN.search(t)
    if part:
        after_gun = (
            re.search(r"\b(for|fits?)\b", t[: part.start() + 40], re.I)
            or (
                gun
                and GUN_WORDS.search(t).start() < part.start()  # type: ignore[union-attr]
                and not re.search(r"\b(w/|with|\+|&)", t[: part.start()], re.I)
            )
        )
        threaded_extra = re.search(r"\+\s*(\d\s*)?(threaded|threated)|conversion", t, re.I)
        if threaded_extra:
            labels.add("parts")
        elif (
            re.search(
                r"\b(threaded|threated|heavy|bull|double|short|\d+(\.\d)?\"?)\s*barrel\b", t, re.I
            )
            and gun
        ):
            pass  # a feature of the gun offered
        elif after_gun or not gun or re.search(r"\b(only|w/o|without)\b", t, re.I):
            labels.add("parts")
            if not re.search(r"\b(with|w/|\+)\b.*\b(glock|pistol|gun)\b", t, re.I):
                gun = False
    mag = MAGAZINE.search(t)
    if mag:
        mags_are_item = (
            not gun
            or re.search(r"\b(extended|drum|extra|long|\d{2,3}\s*(round|rd)|x\d)\b", t, re.I)
            or (
                re.search(r"(glock|ar|sks|\d\d)\s*\w*\s*(mags?|magazines?|magasine)\b", t, re.I)
                and not re.search(r"\b(w/|with|&|\+)\s*\d?\s*(mags?|magazines?)", t, re.I)
            )
        )
        if mags_are_item:
            labels.add("parts")
            if not re.search(
                r"\b(with|w/|\+)\s*\w*\s*(glock|pistol)|^(glock|beretta)\b.*\+", t, re.I
            ):
                gun = gun and bool(
                    re.search(r"\b(w/|with|&|\+)\s*(\d\s*)?(extended|mags?|magazines?)", t, re.I)
                )
    if gun and re.search(r"\bfor\b[^,]*$", t[: GUN_WORDS.search(t).end()], re.I) and labels:  # type: ignore[union-attr]
        gun = False  # "adapter for .22 rimfire pistols": the gun is what the part fits
    ammo_title = (AMMO_TITLE.search(t) and not CAPACITY.search(t)) or re.search(
        r"\bwith x\d+\b", t, re.I
    )
    if ammo_title or (category.endswith("Ammunition") and CALIBER.search(t) and not mag):
        labels.add("ammunition")
        gun_offered_too = re.search(
            r"(\bwith\b|\bw/|\+).*\b(glock|pistol|gun)\b|\b(glock|gun)\b.*(\bwith\b|\bw/|\+)",
            t,
            re.I,
        )
        if not gun_offered_too or re.search(
            r"\bmags?\b.*\bwith\b|add on|with your|with other", t, re.I
        ):
            gun = False
    if gun:
        labels.add("firearm")
    if labels:
        return Mapped(ordered(labels), "agora_item")
    if category.endswith("Ammunition") and CALIBER.search(t):
        return Mapped(["ammunition"], "agora_category_default")
    if category.endswith("Lethal firearms") and WANTED.search(t) and re.search(r"firearm", t, re.I):
        return Mapped(["firearm"], "agora_item")
    return Mapped(None, "agora_unclear")


@dataclass
class AgoraRow:
    title: str
    vendor: str
    category: str
    price: float | None
    text: str
    source: str
    source_id: str


def load_agora_weapons(root: Path, heldout: set[str]) -> list[Record]:
    """Catlistings (titles) and mozzarella weapons rows (titles + descriptions from the
    vendor pages where the join finds one). One record per title key; the mozzarella
    row wins where it has a description."""
    rows: list[AgoraRow] = []
    descriptions = mozz_descriptions(root)
    for mrow in mozz_products(root):
        if mrow["cat"] != "Weapons":
            continue
        desc = descriptions.get((mrow["vendor"], mrow["product"]), "")
        rows.append(
            AgoraRow(
                mrow["product"],
                mrow["vendor"],
                f"Weapons/{mrow['subcat']}",
                parse_float(mrow["price"]),
                desc,
                SRC_MOZZ,
                mrow["_id"],
            )
        )
    path = root / SRC_AGORA_CAT / "agora_catlistings_weapons_2014-2015.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            sid = hashlib.sha1(f"{row['name']}|{row['vendor']}".encode()).hexdigest()[:10]
            rows.append(
                AgoraRow(
                    row["name"],
                    row["vendor"],
                    row["cat"],
                    parse_float(row["price"]),
                    "",
                    SRC_AGORA_CAT,
                    sid,
                )
            )
    by_key: dict[str, AgoraRow] = {}
    for row in sorted(rows, key=lambda r: (r.source != SRC_MOZZ, not r.text, r.title, r.vendor)):
        key = title_key(row.title)
        if not key or key in heldout or key in by_key:
            continue
        by_key[key] = row
    out = []
    for key in sorted(by_key):
        row = by_key[key]
        prefix = "mozz" if row.source == SRC_MOZZ else "agora"
        rid = f"{prefix}-{row.source_id}"
        mapped = apply_override(rid, map_agora_title(row.title, row.category))
        if mapped.labels is None:
            continue
        out.append(
            Record(
                id=rid,
                title=" ".join(row.title.split()),
                text=row.text,
                labels=mapped.labels,
                source=row.source,
                label_rule=mapped.rule,
                price=row.price,
                currency="BTC" if row.price is not None else None,
                seller=row.vendor,
                extra={"category": row.category},
            )
        )
    return out


# --------------------------------------------------------------------------------------
# Mozzarella non-weapons rows and Hansa (no weapons category): darknet negatives,
# look-alike names and gun-making manuals
# --------------------------------------------------------------------------------------

_MOZZ_CACHE: dict[str, Any] = {}


def mozz_products(root: Path) -> list[dict[str, str]]:
    if "products" not in _MOZZ_CACHE:
        rows: dict[str, dict[str, str]] = {}
        for path in sorted((root / SRC_MOZZ).glob("products-*.csv")):
            with path.open(encoding="utf-8", errors="replace", newline="") as handle:
                for row in csv.DictReader(handle):
                    lid = row["list"].split("__")[-1].removesuffix(".html")
                    if lid not in rows:
                        rows[lid] = {**row, "_id": lid}
        _MOZZ_CACHE["products"] = [rows[k] for k in sorted(rows)]
    return _MOZZ_CACHE["products"]


def mozz_descriptions(root: Path) -> dict[tuple[str, str], str]:
    """(vendor, product) -> description from the vendor pages, the repeated title at
    its start and the truncation mark at its end removed, contacts dropped."""
    if "desc" not in _MOZZ_CACHE:
        out: dict[tuple[str, str], str] = {}
        with (root / SRC_MOZZ / "vendorall_0114.csv").open(
            encoding="utf-8", errors="replace", newline=""
        ) as handle:
            for row in csv.DictReader(handle):
                key = (row["vendor"], row["product"])
                if key in out:
                    continue
                desc = " ".join(row["description"].split())
                title = " ".join(row["product"].replace(",", " ").split())
                if desc.startswith(title):
                    desc = desc[len(title) :]
                desc = re.sub(r"\s*\.\.\.\s*$", " …", desc).strip()
                out[key] = trim(scrub_contacts(desc))
        _MOZZ_CACHE["desc"] = out
    return _MOZZ_CACHE["desc"]


# Titles in non-weapons categories that mention weapons: hand-written mapping by title
# pattern (rule `manual_*` or `lookalike`).
MANUAL_BLUEPRINTS = _rx(
    r"(do-it-yourself submachine gun|silencers from the home workshop|homemade silencers|"
    r"disposable silence|homemade guns|homemade ammo|gunsmithing|gunpowder cookbook|"
    r"vest busters|defcad|fosscad|print your gun|zips, pipes|improvised weapons|"
    r"improofed weapons|big book of homemade weapons|improvised munitions handbook|"
    r"paladin press library)"
)
MANUAL_UNCLEAR = _rx(
    r"(anarch\w*'?s? (coo?c?kbook|arsenal)|anarchy cookbook|black book companion|"
    r"guns and military ebooks collection)"
)
WEAPONISH = _rx(
    r"(\bguns?\b|gunpowder|weapon|rifle|pistol|firearm|\bammo\b|ammunition|bullet|silenc|"
    r"suppress|glock|\bak\b|ak-? ?47|ar-?15|caliber|calibre|\b9 ?mm\b|trigger|barrel|cartridge|"
    r"\bstl\b|3d print|explosiv|\bbombs?\b|grenade|sniper|revolver|holster|\bscope\b|"
    r"munition|magazine|\bshot\b|shotgun|knife|taser|homemade|improvis|anarch|cookbook|"
    r"\bsear\b|\bgungeon\b|bomber|\bshells?\b)"
)


def map_darknet_other(title: str, category: str) -> Mapped:
    """Rules for a non-weapons row whose title sounds like weapons:

    - `manual_blueprints`: books/files for making guns, silencers or ammunition
      (the guide: manufacturing guides are blueprints) -> blueprints.
    - `manual_unclear`: collections whose content cannot be told from the title
      (Anarchist Cookbook editions, "Black Book Companion") -> dropped.
    - `manual_explosives`: explosives/bomb manuals -> benign (outside the four labels).
    - `lookalike` (at most LOOKALIKE_CAP per word): strain names ("AK-47"), pill names
      ("Yellow Bullet"), vape "cartridges", "Top Gun"/"Calibre" watches, print magazines,
      games, "shot" photos, training/self-defence books and licences -> benign.
    """
    if MANUAL_BLUEPRINTS.search(title):
        return Mapped(["blueprints"], "manual_blueprints")
    if MANUAL_UNCLEAR.search(title):
        return Mapped(None, "manual_unclear")
    if EXPLOSIVE.search(title) and re.search(
        r"guide|manual|book|recipe|chemistry|dictionary|principles|collection|designs|pack|"
        r"compounds|propellants|sourcebook|workshop|science|traps",
        title,
        re.I,
    ):
        return Mapped([], "manual_explosives")
    return Mapped([], "lookalike")


def cap_lookalikes(items: list[tuple[Any, Mapped, str]], rng: random.Random) -> list[Any]:
    """All manuals; look-alikes at most LOOKALIKE_CAP per matched word, at random, so
    that 68 vape "cartridges" do not crowd out the rarer look-alikes."""
    out: list[tuple[Any, Mapped]] = []
    by_word: dict[str, list[tuple[Any, Mapped]]] = defaultdict(list)
    for row, mapped, title in items:
        if mapped.rule == "lookalike":
            by_word[WEAPONISH.search(title).group(0).lower()].append((row, mapped))  # type: ignore[union-attr]
        else:
            out.append((row, mapped))
    for word in sorted(by_word):
        group = by_word[word]
        rng.shuffle(group)
        out.extend(group[:LOOKALIKE_CAP])
    return out


def load_mozz_other(root: Path, rng: random.Random) -> list[Record]:
    """Non-weapons Agora rows: every weapon-sounding title (mapped by
    `map_darknet_other`) plus MOZZ_QUOTA rows sampled across categories
    (`darknet_negative`, benign), preferring rows with a description."""
    descriptions = mozz_descriptions(root)
    rows = [r for r in mozz_products(root) if r["cat"] not in ("Weapons", "Listings")]
    hits = [r for r in rows if WEAPONISH.search(r["product"])]
    rest = [r for r in rows if not WEAPONISH.search(r["product"])]
    chosen = cap_lookalikes(
        [(r, map_darknet_other(r["product"], r["cat"]), r["product"]) for r in hits], rng
    )
    quota = MOZZ_QUOTA
    by_cat: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rest:
        by_cat[r["cat"]].append(r)
    for cat in sorted(by_cat):
        pool = by_cat[cat]
        rng.shuffle(pool)
        pool.sort(key=lambda r: (r["vendor"], r["product"]) not in descriptions)
        taken: set[str] = set()
        for r in pool:
            if len(taken) >= quota.get(cat, 0):
                break
            key = title_key(r["product"])
            if key in taken:
                continue
            taken.add(key)
            chosen.append((r, Mapped([], "darknet_negative")))
    out = []
    for r, mapped in chosen:
        rid = f"mozz-{r['_id']}"
        mapped = apply_override(rid, mapped)
        if mapped.labels is None:
            continue
        out.append(
            Record(
                id=rid,
                title=" ".join(r["product"].split()),
                text=descriptions.get((r["vendor"], r["product"]), ""),
                labels=mapped.labels,
                source=SRC_MOZZ,
                label_rule=mapped.rule,
                price=parse_float(r["price"]),
                currency="BTC",
                seller=r["vendor"],
                extra={"category": "/".join(x for x in (r["cat"], r["subcat"]) if x != "NA")},
            )
        )
    return out


def load_hansa(root: Path, rng: random.Random) -> list[Record]:
    """Hansa rows (titles only, no weapons category): every weapon-sounding title
    (mapped by `map_darknet_other`) plus HANSA_QUOTA rows sampled across categories
    (`darknet_negative`). Erotica is left out."""
    path = root / SRC_HANSA / "hansa-marketplace-listings-december-2016.csv"
    rows: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.reader(handle, skipinitialspace=True):
            if len(row) >= 6 and row[1] not in rows:
                rows[row[1]] = row
    items = [rows[k] for k in sorted(rows, key=lambda k: (len(k), k))]
    items = [r for r in items if r[5] != "Erotica"]
    hits = [r for r in items if WEAPONISH.search(html.unescape(r[2]))]
    rest = [r for r in items if not WEAPONISH.search(html.unescape(r[2]))]
    chosen = cap_lookalikes(
        [(r, map_darknet_other(html.unescape(r[2]), r[5]), html.unescape(r[2])) for r in hits],
        rng,
    )
    quota = HANSA_QUOTA
    by_cat: dict[str, list[list[str]]] = defaultdict(list)
    for r in rest:
        by_cat[r[5]].append(r)
    for cat in sorted(by_cat):
        pool = by_cat[cat]
        rng.shuffle(pool)
        taken: set[str] = set()
        for r in pool:
            if len(taken) >= quota.get(cat, 0):
                break
            key = title_key(html.unescape(r[2]))
            if key in taken:
                continue
            taken.add(key)
            chosen.append((r, Mapped([], "darknet_negative")))
    out = []
    for r, mapped in chosen:
        rid = f"hansa-{r[1]}"
        mapped = apply_override(rid, mapped)
        if mapped.labels is None:
            continue
        price = r[4].split()
        out.append(
            Record(
                id=rid,
                title=" ".join(html.unescape(r[2]).split()),
                text="",
                labels=mapped.labels,
                source=SRC_HANSA,
                label_rule=mapped.rule,
                price=parse_float(price[-1]) if price else None,
                currency=price[0] if len(price) == 2 else None,
                seller=r[3],
                extra={"category": r[5]},
            )
        )
    return out


# --------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------


def dedupe(records: Iterable[Record]) -> list[Record]:
    """Keep the first record per normalized title+text, and per normalized text where
    the text is long enough to be a dealer's boilerplate (80+ characters)."""
    seen: set[str] = set()
    out = []
    for record in records:
        keys = [normalize(f"{record.title} {record.text}")]
        text = normalize(record.text)
        if len(text) >= 80:
            keys.append("text:" + text)
        if any(k in seen for k in keys):
            continue
        seen.update(keys)
        out.append(record)
    return out


def build_real(root: Path | None = None) -> list[dict[str, Any]]:
    """Map the real data sets to labeled listings (the content of real.jsonl)."""
    root = root or shared_data_dir()
    if root is None:
        raise FileNotFoundError("shared/data not found beside or inside the checkout")
    heldout = heldout_title_keys(root)
    armslist = sample_armslist(load_armslist(root))
    agora = load_agora_weapons(root, heldout)
    # one generator per source: what one source draws never shifts another's sample
    mozz = load_mozz_other(root, random.Random(f"{SEED}:{SRC_MOZZ}"))
    hansa = load_hansa(root, random.Random(f"{SEED}:{SRC_HANSA}"))
    records = [
        r for r in dedupe([*agora, *armslist, *mozz, *hansa]) if title_key(r.title) not in heldout
    ]
    for record in records:
        record.lang = detect_lang(f"{record.title}. {record.text}")
    records.sort(key=lambda r: r.id)
    return [r.as_json() for r in records]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")


def load_authored(folder: Path = AUTHORED_DIR) -> list[dict[str, Any]]:
    records = []
    for path in sorted(folder.glob("*.jsonl")):
        records.extend(read_jsonl(path))
    return records


def demo_titles() -> set[str]:
    titles = set()
    for path in sorted(DEMO_DATA.glob("*.jsonl")):
        for record in read_jsonl(path):
            titles.add(normalize(record.get("title") or ""))
    return titles


def validate(records: list[dict[str, Any]]) -> None:
    """Refuse what must never be in the data: missing fields, unknown labels, duplicate
    ids or texts, demo-site titles."""
    problems = []
    ids: Counter[str] = Counter(r.get("id", "") for r in records)
    problems += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    demo = demo_titles()
    texts: set[str] = set()
    for r in records:
        missing = [f for f in REQUIRED if f not in r]
        if missing:
            problems.append(f"{r.get('id')}: missing {missing}")
            continue
        if set(r["labels"]) - set(LABELS):
            problems.append(f"{r['id']}: unknown labels {r['labels']}")
        if normalize(r["title"]) in demo:
            problems.append(f"{r['id']}: title equals a demo-site title")
        key = normalize(f"{r['title']} {r['text']}")
        if key in texts:
            problems.append(f"{r['id']}: duplicate title+text")
        texts.add(key)
    if problems:
        raise ValueError("invalid records:\n  " + "\n  ".join(problems[:50]))


def _rank(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def assign_splits(
    records: list[dict[str, Any]],
    seed: int = SEED,
    recorded: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """id -> split. Records that belong together share a split: those with equal
    normalized titles, and authored records with the same `group` (translations of
    one listing into several languages, which a multilingual model would otherwise
    see in training and be tested on in another language). A group holding a record
    whose split is `recorded` (the split file as committed) keeps that split, so
    adding records never moves one that a model was trained or tested on. The other
    groups are stratified by the label set of their first record (by id) and their
    language ("multilingual" for a translation group): within a stratum they are
    ranked by a seeded hash of their key, and the top-ranked fill the test split up
    to 15% of the stratum's records (recorded ones included), the next ones
    validation up to 15%, the rest go to train. Ranks do not depend on the other
    records."""
    recorded = recorded or {}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r["id"]):
        groups[record.get("group") or normalize(record["title"]) or record["id"]].append(record)
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key, members in groups.items():
        first = members[0]
        langs = {member["lang"] for member in members}
        lang = first["lang"] if len(langs) == 1 else "multilingual"
        strata[(",".join(ordered(first["labels"])), lang)].append(key)
    shares = dict(SPLITS)
    out: dict[str, str] = {}
    for stratum in sorted(strata):
        keys = sorted(strata[stratum], key=lambda k: _rank(seed, k), reverse=True)
        size = sum(len(groups[k]) for k in keys)
        targets = {
            "test": round(shares["test"] * size),
            "validation": round(shares["validation"] * size),
        }
        kept = {key: _recorded_split(groups[key], recorded) for key in keys}
        placed = {name: sum(len(groups[k]) for k in keys if kept[k] == name) for name in targets}
        for key in keys:
            name = kept[key] or next(
                (n for n in ("test", "validation") if placed[n] < targets[n]), "train"
            )
            if not kept[key] and name != "train":
                placed[name] += len(groups[key])
            for record in groups[key]:
                out[record["id"]] = name
    return out


def _recorded_split(group: list[dict[str, Any]], recorded: Mapping[str, str]) -> str | None:
    """The recorded split of a group's first recorded member, None for a new group."""
    return next((recorded[r["id"]] for r in group if r["id"] in recorded), None)


def recorded_splits(path: Path = LISTINGS_OUT) -> dict[str, str]:
    """id -> split as written in the split file (empty before the first build)."""
    return {r["id"]: r["split"] for r in read_jsonl(path)} if path.exists() else {}


def build_listings(
    real: list[dict[str, Any]],
    authored: list[dict[str, Any]],
    seed: int = SEED,
    recorded: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """real + authored, validated, each with its split (recorded splits kept)."""
    records = [*real, *authored]
    validate(records)
    splits = assign_splits(records, seed, recorded)
    return [{**r, "split": splits[r["id"]]} for r in sorted(records, key=lambda r: r["id"])]


def test_real_subset(listings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The real records of the test split (every one checked by hand, SPOT_CHECK.md)."""
    return [r for r in listings if r["origin"] == "real" and r["split"] == "test"]


def summary(listings: list[dict[str, Any]]) -> str:
    lines = [f"records: {len(listings)}"]
    for name, key in (("origin", "origin"), ("split", "split"), ("source", "source")):
        counts = Counter(r[key] for r in listings)
        lines.append(f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    labels = Counter(label for r in listings for label in r["labels"])
    benign = sum(1 for r in listings if not r["labels"])
    lines.append("labels: " + ", ".join(f"{k} {labels[k]}" for k in LABELS) + f", none {benign}")
    langs = Counter(r["lang"] for r in listings)
    lines.append("lang: " + ", ".join(f"{k} {v}" for k, v in langs.most_common()))
    rules = Counter(r["label_rule"] for r in listings if r["origin"] == "real")
    lines.append("real rules: " + ", ".join(f"{k} {v}" for k, v in sorted(rules.items())))
    return "\n".join(lines)


def digest(records: Iterable[dict[str, Any]]) -> str:
    h = hashlib.sha256()
    for record in records:
        h.update(json.dumps(record, ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare a rebuild with the files")
    parser.add_argument(
        "--no-real", action="store_true", help="reuse real.jsonl (no shared/data needed)"
    )
    args = parser.parse_args(argv)
    real = read_jsonl(REAL_OUT) if args.no_real else build_real()
    listings = build_listings(real, load_authored(), recorded=recorded_splits())
    test_real = test_real_subset(listings)
    outputs: list[tuple[Path, list[dict[str, Any]]]] = [
        (REAL_OUT, real),
        (LISTINGS_OUT, listings),
        (TEST_REAL_OUT, test_real),
    ]
    if args.check:
        stale = [
            p.name for p, recs in outputs if not p.exists() or digest(read_jsonl(p)) != digest(recs)
        ]
        print("stale: " + ", ".join(stale) if stale else "up to date")
        return 1 if stale else 0
    for path, recs in outputs:
        write_jsonl(path, recs)
    print(summary(listings))
    print(f"test_real: {len(test_real)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
