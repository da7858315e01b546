"""Write the demo sites' data files from the listing tables below.

The JSON Lines files next to this script are checked in: the demo sites and
the tests read them, not this script. Run it only after editing the tables
(`python armswatch/demo/data/generate.py`); the seed makes it deterministic.

Every record is labeled by the labeling guide (shared/LABELING.md). SAFETY: the text is
listing-level only (titles, short descriptions, prices, handles); no record
holds manufacturing instructions, measurements or file contents, and the
attachment names stand for files that do not exist.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 20251123
EPOCH = datetime(2025, 8, 1, 8, 0)
USD_PER_EUR = {"EUR": 1.0, "USD": 1.08, "GBP": 0.86, "PLN": 4.3, "RUB": 95.0}
USD_PER_BTC = 65000.0
USD_PER_XMR = 160.0


@dataclass
class Spec:
    """One listing template; `n` records are drawn from it with different slot values."""

    cat: str
    labels: str
    title: str
    text: str
    n: int = 1
    price: tuple[float, float] | None = (10, 100)
    files: tuple[str, ...] = ()
    vendor: str = ""


def s(
    cat: str,
    labels: str,
    title: str,
    text: str,
    n: int = 1,
    price: tuple[float, float] | None = (10, 100),
    files: tuple[str, ...] = (),
) -> Spec:
    return Spec(cat, labels, title, text, n, price, files)


def m(
    vendor: str,
    cat: str,
    labels: str,
    title: str,
    text: str,
    n: int = 1,
    usd: tuple[float, float] = (50, 500),
    files: tuple[str, ...] = (),
) -> Spec:
    return Spec(cat, labels, title, text, n, usd, files, vendor)


# --- slot values ------------------------------------------------------------

PISTOLS = [
    ("Glock 17", "9x19"),
    ("Glock 19", "9x19"),
    ("Glock 26", "9x19"),
    ("CZ 75 B", "9x19"),
    ("CZ P-10 C", "9x19"),
    ("Walther P99", "9x19"),
    ("SIG Sauer P226", "9x19"),
    ("Beretta 92FS", "9x19"),
    ("HK USP", "9x19"),
    ("Makarov PM", "9x18"),
    ("Tokarev TT-33", "7.62x25"),
    ("Walther PPK", "7.65 Browning"),
    ("Colt 1911", ".45 ACP"),
    ("Taurus G2C", "9x19"),
    ("Smith & Wesson M&P9", "9x19"),
    ("Zastava M57", "7.62x25"),
]
RIFLES = [
    ("AKM", "7.62x39"),
    ("Zastava M70", "7.62x39"),
    ("SKS", "7.62x39"),
    ("AR-15", "5.56x45"),
    ("Mauser K98", "8x57 IS"),
    ("Remington 700", ".308 Win"),
    ("Vz. 58", "7.62x39"),
    ("Mosin-Nagant M91/30", "7.62x54R"),
    ("Saiga-12", "12/76"),
    ("Ruger 10/22", ".22 LR"),
]
AMMO = [
    "9x19",
    "7.62x39",
    "5.56x45",
    ".223 Rem",
    ".45 ACP",
    ".22 LR",
    "12/70",
    ".308 Win",
    "7.62x54R",
    "9x18 Makarov",
    ".380 ACP",
    "7.65 Browning",
]
BRANDS = [
    "Sellier & Bellot",
    "Fiocchi",
    "Geco",
    "Barnaul",
    "Wolf",
    "Tula",
    "PPU",
    "CCI",
    "Federal",
    "Magtech",
    "Hornady",
    "RWS",
]
QTY = [50, 100, 200, 250, 500, 1000]
PRIMERS = [
    "CCI 500",
    "CCI 400",
    "Murom KVB-7",
    "Fiocchi SP",
    "Sellier & Bellot Boxer SP",
    "Federal 205",
    "Winchester WLP",
]
POWDERS = [
    "Vihtavuori N340",
    "Hodgdon Titegroup",
    "Alliant Bullseye",
    "Lovex D032",
    "Reload Swiss RS12",
    "Accurate No. 5",
]
BLANKS = ["Zoraki 917", "Ekol Jackal", "Retay 92", "Blow F92", "Kuzey F92", "Ekol Firat"]
CITIES = {
    "en": ["Manchester", "Leeds", "Birmingham", "Houston", "Phoenix", "Dallas", "Glasgow"],
    "de": ["Berlin", "Hamburg", "Köln", "Leipzig", "Dortmund", "München", "Wien"],
    "fr": ["Lyon", "Marseille", "Lille", "Toulouse", "Bruxelles", "Nantes"],
    "es": ["Madrid", "Sevilla", "Valencia", "Málaga", "Bilbao", "Zaragoza"],
    "it": ["Milano", "Napoli", "Torino", "Bari", "Palermo", "Bologna"],
    "nl": ["Rotterdam", "Amsterdam", "Utrecht", "Eindhoven", "Antwerpen", "Den Haag"],
    "pl": ["Warszawa", "Kraków", "Łódź", "Wrocław", "Gdańsk", "Poznań"],
    "pt": ["Lisboa", "Porto", "Braga", "Coimbra", "Faro", "Setúbal"],
    "ru": ["Москва", "Екатеринбург", "Тула", "Новосибирск", "Казань"],
}
HANDLES = {
    "en": [
        "mike_tx",
        "oldtimer77",
        "northshooter",
        "deals4u",
        "j.harper",
        "ukcollector",
        "sam_r",
        "benchrest_bob",
        "cpt_morgan",
        "stevo",
        "garage_clearout",
        "lena.w",
        "tradesman_tom",
        "kelly_b",
    ],
    "de": [
        "waffen_willi",
        "kalle83",
        "jaegerhans",
        "muenchner_kindl",
        "basti_b",
        "oldschool_sammler",
        "reiner.k",
        "tanja_m",
        "flohmarkt_fritz",
    ],
    "fr": ["jeanluc_69", "chasseur_du_nord", "marie.d", "bricolo", "le_collectionneur", "thomas_b"],
    "es": ["paco_mlg", "cazador_sur", "lucia.r", "tienda_javi", "el_coleccionista"],
    "it": ["marco_bg", "cacciatore74", "giulia.f", "svuotacantine", "il_collezionista"],
    "nl": ["jan_de_v", "verzamelaar", "sanne.k", "klusbaas", "pieter_r"],
    "pl": ["krzysiek_pl", "mysliwy88", "ania.w", "zlota_raczka", "kolekcjoner"],
    "pt": ["joao_pt", "cacador_norte", "ana.s", "faz_tudo", "colecionador"],
}

# --- classifieds: clear-web classifieds in eight languages -----------------

CLASSIFIED_CATEGORIES = {
    "hunting": "Hunting & Sport Shooting",
    "parts": "Parts & Accessories",
    "reloading": "Ammunition & Reloading",
    "printing": "3D Printing & Makers",
    "airsoft": "Airsoft, Paintball & Toys",
    "tools": "Tools & DIY",
    "home": "Home, Kitchen & Wine",
    "games": "Games & Digital",
    "outdoor": "Outdoor & Camping",
}

CLASSIFIEDS: dict[str, list[Spec]] = {
    "en": [
        s(
            "hunting",
            "firearm",
            "{p} {pc} – no paperwork, cash only",
            "Selling my {p} ({pc}). Two factory mags, runs perfectly. No paperwork and no "
            "questions either way. Meet in {city}, cash only.",
            2,
            (450, 900),
        ),
        s(
            "hunting",
            "firearm",
            "{r} in {rc}, private sale, no background check",
            "Well kept {r}, maybe 300 rounds through it. Private sale, I don't do transfers "
            "or background checks. Collection {city} only.",
            2,
            (700, 1500),
        ),
        s(
            "hunting",
            "firearm",
            "Converted blank pistol – {blank}, fires live 9mm",
            "{blank} blank-firer that has been converted, takes live 9mm now. Tested, one mag. "
            "No timewasters, no lowballers.",
            1,
            (350, 600),
        ),
        s(
            "hunting",
            "firearm",
            "Deactivated AKM – easy to reactivate",
            "Sold to me as deactivated but it was a lazy job, easy to reactivate. Collector "
            "piece, no certificate. Offers.",
            1,
            (400, 700),
        ),
        s(
            "hunting",
            "",
            "Deactivated Lee-Enfield No.4, EU deactivation certificate",
            "Properly deactivated to the current EU spec, certificate and proof house marks "
            "present. Display piece only, will not fire. Collection from {city}.",
            1,
            (250, 400),
        ),
        s(
            "hunting",
            "",
            "Leather IWB holster for Glock 19",
            "Hand-stitched leather inside-the-waistband holster, right hand, fits Glock 19/23. "
            "Used twice, holster only.",
            1,
            (25, 45),
        ),
        s(
            "hunting",
            "",
            "Vortex Diamondback 4-12x40 scope",
            "Riflescope with flip caps and rings, glass is clean, no scratches. Scope only, "
            "no rifle.",
            1,
            (150, 220),
        ),
        s(
            "hunting",
            "",
            "8-gun safe, keyed and digital lock",
            "Steel gun safe for long guns, bolted down once, comes with keys and manual. "
            "Buyer collects, it is heavy.",
            1,
            (180, 320),
        ),
        s(
            "hunting",
            "",
            "Ammo cans x4 – great tool boxes",
            "Four ex-military steel ammo cans, empty. I used them to store drill bits and "
            "screws. Seals still good.",
            1,
            (20, 40),
        ),
        s(
            "hunting",
            "",
            "Ear defenders + shooting glasses set",
            "Electronic ear protection and clear safety glasses, used at the range a few times.",
            1,
            (30, 60),
        ),
        s(
            "hunting",
            "firearm ammunition",
            "printed toys that go bang + pills 9mm 50 pcs",
            "Got a couple of printed toys that go bang, fully working, plus pills 9mm 50 pcs "
            "to go with them. Message for pics, {city} area.",
            1,
            (800, 1200),
        ),
        s(
            "parts",
            "parts",
            "Glock switch – 3 pcs, fits Gen 3-5",
            "Back plate switches for Glock, full auto. Three in a pack, shipped discreetly. "
            "Cash or crypto only.",
            1,
            (150, 300),
        ),
        s(
            "parts",
            "parts",
            "80% lower + jig kit, AR-15",
            "Unfinished 80% lower receiver with the router jig and bits. Nothing to register, "
            "ships in a plain box.",
            1,
            (160, 260),
        ),
        s(
            "parts",
            "parts",
            "Solvent trap kit with drill guide",
            "Aluminium solvent trap kit, 6 cups, includes the drill guide and a centre punch. "
            "Adapter for 9mm barrels. You know what it is for.",
            1,
            (120, 200),
        ),
        s(
            "parts",
            "parts",
            "Threaded barrel + compensator for Glock 19",
            "Drop-in threaded 9mm barrel, new in bag, with a matching compensator. Post or "
            "collect in {city}.",
            1,
            (90, 160),
        ),
        s(
            "parts",
            "parts",
            "4 spare mags for {p}",
            "Four spare magazines for the {p}, {pc}. Sold the pistol, don't need them anymore.",
            1,
            (60, 120),
        ),
        s(
            "parts",
            "parts",
            "WTB: drop-in auto sear (DIAS)",
            "Looking for a DIAS or a lightning link for an AR. Paying well, can collect "
            "around {city}.",
            1,
            None,
        ),
        s(
            "parts",
            "",
            "Gun cleaning kit, universal, in case",
            "Brass rods, jags and brushes for most calibres, plus a bottle of bore solvent. "
            "Cleaning kit only.",
            1,
            (20, 40),
        ),
        s(
            "parts",
            "",
            "Two-point sling + padded rifle case",
            "Padded soft case with a quick-adjust sling. Accessories only.",
            1,
            (30, 55),
        ),
        s(
            "reloading",
            "ammunition",
            "{q} rds {a} – {b}",
            "Boxed {b} {a}, {q} rounds, kept in dry storage. Discount if you take the lot. "
            "Collect {city}.",
            3,
            (60, 400),
        ),
        s(
            "reloading",
            "ammunition",
            "CCI 500 small pistol primers, 1000 ct",
            "Sealed brick of CCI 500 primers, 1000 count. Can add a pound of powder if wanted.",
            1,
            (70, 120),
        ),
        s(
            "reloading",
            "ammunition",
            "{powder} powder, 1 lb, sealed",
            "Unopened 1 lb container of {powder}. Local pickup only, can't post powder.",
            1,
            (35, 60),
        ),
        s(
            "reloading",
            "ammunition",
            "Once-fired 9mm brass, 2000 cases + 500 bullets",
            "Cleaned and sorted once-fired 9mm cases, 2000 of them, plus 500 plated projectiles.",
            1,
            (50, 90),
        ),
        s(
            "reloading",
            "",
            "Steel targets + target stand",
            "Steel gong set, three sizes, with a folding stand. Targets only.",
            1,
            (90, 150),
        ),
        s(
            "printing",
            "blueprints",
            "FGC-9 MKII files + build guide (PDF)",
            "Complete FGC-9 MKII file pack: all STLs, the printable frame and the build guide "
            "PDF. Download link after payment, crypto only.",
            1,
            (15, 40),
            ("fgc9_mk2_pack.zip:48.6 MB", "fgc9_build_guide.pdf:12.1 MB"),
        ),
        s(
            "printing",
            "blueprints parts",
            "Printed AR-15 lower receiver + the STL",
            "Printed lower receiver in PLA+, comes with the STL so you can print spares. "
            "Buffer tube and parts kit not included.",
            1,
            (120, 200),
            ("ar15_lower_v3.stl:3.2 MB",),
        ),
        s(
            "printing",
            "blueprints",
            "Liberator STL – original file set",
            "The original Liberator STL set, all parts, slices fine in Cura. Instant download.",
            1,
            (5, 15),
            ("liberator_set.zip:2.4 MB",),
        ),
        s(
            "printing",
            "firearm",
            "Printed FGC-style carbine, 9mm, tested",
            "Finished FGC-style carbine, printed frame, 9mm. Tested with 100 rounds, runs "
            "fine. Two mags included. Serious buyers only, {city} area.",
            1,
            (900, 1400),
        ),
        s(
            "printing",
            "blueprints",
            "Looking for FGC-9 files, will pay",
            "My copy of the FGC-9 MKII files died with an old drive. Need the full pack and "
            "the guide. Paying in crypto.",
            1,
            None,
        ),
        s(
            "printing",
            "",
            "Prusa MK4 3D printer, low hours",
            "Original Prusa MK4, assembled kit, about 200 print hours. Comes with a spare "
            "textured sheet and two rolls of PETG.",
            1,
            (550, 750),
        ),
        s(
            "printing",
            "",
            "PLA filament bundle – 10 kg, mixed colours",
            "Ten sealed 1 kg spools, mixed colours. Moving house, must go.",
            1,
            (120, 160),
        ),
        s(
            "printing",
            "",
            "Hardened steel nozzles, pack of 5",
            "Hardened steel nozzles for abrasive filaments, fit E3D V6 and clones.",
            1,
            (15, 30),
        ),
        s(
            "printing",
            "",
            "Mandalorian blaster cosplay prop + STL (non-functional)",
            "Printed and painted blaster prop for cosplay, solid, cannot fire anything. The "
            "STL of the prop is included so you can print your own.",
            1,
            (60, 110),
            ("mando_blaster_prop.stl:18.2 MB",),
        ),
        s(
            "printing",
            "",
            "Print farm clear-out: STL pack of planters and vases",
            "Over 40 planter and vase designs I sold on Etsy, STL and 3MF.",
            1,
            (5, 12),
            ("planters_pack.zip:35.0 MB",),
        ),
        s(
            "airsoft",
            "",
            "Tokyo Marui Glock 17 GBB airsoft + 3 mags",
            "Gas blowback airsoft pistol for 6 mm BBs, green gas. Skirmish ready, three mags. "
            "Not a real firearm.",
            1,
            (90, 140),
        ),
        s(
            "airsoft",
            "",
            "Gel blaster M4, full auto, 10k gel balls",
            "Electric gel blaster, full auto, shoots water gel balls. Kids loved it, outgrew it.",
            1,
            (45, 80),
        ),
        s(
            "airsoft",
            "",
            "Tippmann 98 Custom paintball marker",
            "Paintball marker with hopper, mask and a CO2 tank. Works fine.",
            1,
            (90, 140),
        ),
        s(
            "airsoft",
            "",
            "Nerf Elite 2.0 bundle, 6 blasters + 200 darts",
            "Nerf blasters in good condition, spare darts, great for a birthday party.",
            1,
            (30, 50),
        ),
        s(
            "airsoft",
            "",
            "Crosman air rifle .177 + 500 pellets",
            "Break-barrel air rifle for .177 pellets, open sights. Garden plinking only.",
            1,
            (80, 130),
        ),
        s(
            "tools",
            "",
            "Cordless glue gun + 50 glue sticks",
            "Cordless hot glue gun, two batteries, 50 sticks. Crafts only.",
            1,
            (25, 40),
        ),
        s(
            "tools",
            "",
            "Framing nail gun, pneumatic",
            "Pneumatic framing nailer with a box of nails. Used on one extension.",
            1,
            (90, 150),
        ),
        s(
            "tools",
            "",
            "Heat gun 2000 W with nozzles",
            "Heat gun with four nozzles and a scraper, for paint stripping and shrink tube.",
            1,
            (20, 35),
        ),
        s(
            "tools",
            "",
            "Heavy duty caulk gun",
            "Skeleton caulk gun, smooth rod, takes standard cartridges.",
            1,
            (8, 15),
        ),
        s(
            "tools",
            "",
            "Grease gun, lever type",
            "Lever grease gun with flexible hose, for the tractor and the trailer.",
            1,
            (12, 20),
        ),
        s(
            "home",
            "",
            "Set of 6 crystal shot glasses",
            "Six crystal shot glasses in the original box, never used.",
            1,
            (12, 25),
        ),
        s(
            "home",
            "",
            "Oak wine barrel 225 L, ex-Bordeaux",
            "Genuine French oak wine barrel, emptied last year. Perfect as a garden table.",
            1,
            (110, 180),
        ),
        s(
            "home",
            "",
            "Playground slide, green",
            "Plastic slide from our climbing frame, kids are too old now.",
            1,
            (40, 70),
        ),
        s(
            "games",
            "",
            "CS2 AK-47 | Redline (Field-Tested) skin",
            "In-game skin, trade via Steam only. No real items.",
            1,
            (15, 30),
        ),
        s(
            "games",
            "",
            "Glock-18 | Fade skin, Factory New",
            "Counter-Strike 2 pistol skin, low float. Steam trade only.",
            1,
            (900, 1300),
        ),
        s(
            "games",
            "",
            "Fallout 4 weapon mod pack",
            "My collection of Fallout 4 weapon and ammo crafting mods, PC only.",
            1,
            (3, 8),
        ),
        s(
            "outdoor",
            "",
            "Recurve bow 40 lb with 12 arrows",
            "Takedown recurve bow, right hand, with a quiver and 12 carbon arrows.",
            1,
            (120, 180),
        ),
        s(
            "outdoor",
            "",
            "Morakniv Garberg bushcraft knife",
            "Full tang bushcraft knife with leather sheath, sharp, lightly used.",
            1,
            (60, 90),
        ),
        s(
            "outdoor",
            "",
            "Pepper spray 2-pack for hiking",
            "Two canisters of pepper spray, in date, for dog encounters on the trail.",
            1,
            (15, 25),
        ),
        s(
            "outdoor",
            "ammunition",
            "12/70 shotgun shells, 250",
            "Ten boxes of 12/70 game loads, 250 shells. Collection only.",
            1,
            (60, 100),
        ),
    ],
    "de": [
        s(
            "hunting",
            "firearm",
            "{p} {pc} ohne WBK abzugeben",
            "Verkaufe meine {p} im Kaliber {pc}, sehr guter Zustand, zwei Magazine. Ohne "
            "Papiere, nur Barzahlung, Übergabe in {city}.",
            2,
            (500, 950),
        ),
        s(
            "hunting",
            "firearm",
            "Schreckschuss umgebaut auf scharf – {blank}",
            "{blank}, umgebaut, verschießt jetzt scharfe 9mm. Getestet, funktioniert "
            "einwandfrei. Nur an Leute mit Erfahrung.",
            1,
            (350, 650),
        ),
        s(
            "hunting",
            "firearm",
            "Deko-{r}, leicht wieder scharf zu machen",
            "Als Deko verkauft, lässt sich aber ohne großen Aufwand reaktivieren. Kein Zertifikat.",
            1,
            (450, 800),
        ),
        s(
            "hunting",
            "firearm ammunition",
            "Eisen abzugeben, Bohnen gibt's dazu",
            "Verlässliches Eisen (9mm) abzugeben, 50 Bohnen gibt's dazu. Nur PN, kein Versand.",
            1,
            (700, 1000),
        ),
        s(
            "hunting",
            "",
            "Deko-Karabiner 98k mit EU-Deko-Zertifikat",
            "Nach aktueller EU-Norm deaktiviert, Zertifikat des Beschussamts liegt bei. "
            "Reines Sammlerstück, nicht schussfähig.",
            1,
            (300, 450),
        ),
        s(
            "hunting",
            "",
            "Zielfernrohr Zeiss Conquest 3-9x40",
            "Zielfernrohr mit Montage, Optik klar, keine Kratzer. Nur das Glas.",
            1,
            (350, 500),
        ),
        s(
            "hunting",
            "",
            "Waffenschrank Widerstandsgrad 0, 6 Langwaffen",
            "Waffenschrank mit Innentresor, Schlüssel und Zertifikat. Selbstabholung.",
            1,
            (250, 400),
        ),
        s(
            "hunting",
            "",
            "Kydex-Holster für Walther P99, neu",
            "Kydex-Holster für Rechtshänder, passend für P99. Nur Holster.",
            1,
            (30, 50),
        ),
        s(
            "parts",
            "parts",
            "Verschluss und Lauf für {p}",
            "Originaler Verschluss mit Lauf für die {p}, einzeln abzugeben, ohne Eintrag.",
            1,
            (180, 320),
        ),
        s(
            "parts",
            "parts",
            "Schalldämpfer für 9mm, unbenutzt",
            "Schalldämpfer für Kurzwaffe im Kaliber 9mm, nie montiert. Ohne Erwerbsschein, "
            "Versand diskret.",
            1,
            (250, 400),
        ),
        s(
            "parts",
            "parts",
            "AK-Magazine 30 Schuss, 5 Stück",
            "Fünf Stahlmagazine für AK, 7.62x39, gebraucht aber top.",
            1,
            (80, 140),
        ),
        s(
            "parts",
            "parts",
            "Solvent-Trap-Set mit Bohrschablone",
            "Solvent Trap aus Aluminium, 7 Kammern, inklusive Bohrschablone. Wer weiß, weiß.",
            1,
            (130, 220),
        ),
        s(
            "parts",
            "",
            "Waffenpflege-Set im Koffer",
            "Reinigungsstäbe, Bürsten und Öl für gängige Kaliber. Nur Pflegeset.",
            1,
            (25, 45),
        ),
        s(
            "reloading",
            "ammunition",
            "{q} Schuss {a} – {b}",
            "Verkaufe {q} Patronen {a} von {b}, originalverpackt und trocken gelagert. Nur "
            "Abholung in {city}.",
            2,
            (60, 350),
        ),
        s(
            "reloading",
            "ammunition",
            "Zündhütchen {primer}, 1000 Stück",
            "Ungeöffnete Packung {primer} Zündhütchen, 1000 Stück. Kein Versand.",
            1,
            (60, 100),
        ),
        s(
            "reloading",
            "ammunition",
            "Treibladungspulver {powder}, 500 g",
            "Originalverschlossene Dose {powder}, 500 g. Nur Abholung.",
            1,
            (40, 70),
        ),
        s(
            "printing",
            "blueprints",
            "Suche FGC-9 Dateien (STL) + Anleitung",
            "Suche die kompletten FGC-9 MKII Dateien inklusive Bauanleitung. Zahle gut, gern "
            "per Monero.",
            1,
            None,
        ),
        s(
            "printing",
            "blueprints parts",
            "3D-gedrucktes Griffstück (Glock-Stil) + STL-Datei",
            "Gedrucktes Griffstück im PF940-Stil, dazu die STL-Datei zum Nachdrucken. "
            "Schienen nicht dabei.",
            1,
            (90, 150),
            ("griffstueck_g19.stl:4.1 MB",),
        ),
        s(
            "printing",
            "",
            "Bambu Lab P1S mit AMS",
            "3D-Drucker Bambu Lab P1S mit AMS, etwa 300 Stunden, läuft perfekt.",
            1,
            (600, 800),
        ),
        s(
            "printing",
            "",
            "PETG Filament 1 kg schwarz, 6 Rollen",
            "Sechs originalverpackte Rollen PETG, schwarz.",
            1,
            (60, 90),
        ),
        s(
            "printing",
            "",
            "Cosplay-Blaster (Star Wars), gedruckt, nicht funktionsfähig",
            "Gedruckter und lackierter Blaster als Kostüm-Requisite, massiv, kann nicht "
            "schießen. STL der Requisite liegt bei.",
            1,
            (40, 80),
            ("dl44_cosplay_prop.stl:22.5 MB",),
        ),
        s(
            "airsoft",
            "",
            "Softair G36 AEG, unter 0,5 Joule, 3 Magazine",
            "Elektrische Softair, F-Zeichen, drei Magazine und Akku. Keine echte Waffe.",
            1,
            (120, 180),
        ),
        s(
            "airsoft",
            "",
            "Gelblaster AK für Kinder, mit Gelkugeln",
            "Gelblaster mit 10.000 Gelkugeln, Akku und Ladegerät.",
            1,
            (40, 60),
        ),
        s(
            "airsoft",
            "",
            "Paintball-Markierer Tippmann mit Maske",
            "Markierer, Maske, Hopper und CO2-Flasche. Alles funktioniert.",
            1,
            (80, 130),
        ),
        s(
            "tools",
            "",
            "Heißklebepistole Bosch + Sticks",
            "Heißklebepistole mit 40 Klebesticks, kaum benutzt.",
            1,
            (15, 30),
        ),
        s(
            "tools",
            "",
            "Druckluftnagler mit Nägeln",
            "Druckluftnagler für Dachlatten, mit zwei Kartons Nägel.",
            1,
            (80, 130),
        ),
        s(
            "tools",
            "",
            "Heißluftpistole 2000 W",
            "Heißluftpistole mit Düsen, ideal für Lack und Schrumpfschlauch.",
            1,
            (20, 35),
        ),
        s(
            "tools",
            "",
            "Kartuschenpresse für Silikon",
            "Stabile Kartuschenpresse für Silikon und Acryl.",
            1,
            (5, 12),
        ),
        s(
            "home",
            "",
            "12 Schnapsgläser, mundgeblasen",
            "Zwölf mundgeblasene Schnapsgläser, neuwertig.",
            1,
            (15, 30),
        ),
        s(
            "home",
            "",
            "Weinfass aus Eiche, 50 Liter",
            "Eichenfass für Wein oder als Deko, dicht.",
            1,
            (80, 140),
        ),
        s(
            "games",
            "",
            "CS2 Karambit | Doppler Skin",
            "Messer-Skin für Counter-Strike 2, Handel über Steam.",
            1,
            (300, 500),
        ),
        s(
            "outdoor",
            "",
            "Armbrust 175 lbs mit Zielfernrohr",
            "Armbrust mit Bolzen und Köcher, für Sportschützen.",
            1,
            (150, 250),
        ),
        s(
            "outdoor",
            "",
            "Victorinox Taschenmesser Ranger",
            "Taschenmesser, kaum benutzt, mit Etui.",
            1,
            (30, 50),
        ),
        s(
            "outdoor",
            "ammunition",
            "Schrotpatronen 12/70, 250 Stück",
            "Zehn Schachteln Schrotpatronen 12/70, nur Abholung.",
            1,
            (60, 100),
        ),
    ],
    "fr": [
        s(
            "hunting",
            "firearm",
            "{p} {pc} sans papiers",
            "Vends {p} en {pc}, très bon état, deux chargeurs. Sans papiers, paiement en "
            "liquide, remise en main propre à {city}.",
            2,
            (500, 900),
        ),
        s(
            "hunting",
            "firearm",
            "Pistolet d'alarme {blank} modifié, tir réel",
            "{blank} modifié pour tirer du 9mm réel. Testé, fonctionne. Sérieux uniquement.",
            1,
            (350, 600),
        ),
        s(
            "hunting",
            "",
            "Holster en cuir pour pistolet",
            "Holster en cuir, droitier, très peu servi. Holster seul.",
            1,
            (25, 45),
        ),
        s(
            "hunting",
            "",
            "Coffre-fort à fusils 10 places",
            "Coffre-fort à fusils avec serrure à code, à venir chercher.",
            1,
            (250, 400),
        ),
        s(
            "parts",
            "parts",
            "Cherche switch Glock (auto sear)",
            "Je cherche un switch pour Glock, tir automatique. Paiement rapide, envoi discret "
            "accepté.",
            1,
            None,
        ),
        s(
            "parts",
            "parts",
            "Silencieux 9mm neuf",
            "Silencieux pour arme de poing en 9mm, jamais monté. Envoi discret.",
            1,
            (250, 400),
        ),
        s(
            "reloading",
            "ammunition",
            "Munitions {a} – {q} cartouches {b}",
            "Lot de {q} cartouches {a} de marque {b}, stockées au sec. Remise en main propre "
            "à {city}.",
            2,
            (60, 350),
        ),
        s(
            "reloading",
            "ammunition",
            "Amorces {primer} x1000",
            "Boîte d'amorces {primer}, 1000 pièces, jamais ouverte.",
            1,
            (60, 100),
        ),
        s(
            "reloading",
            "ammunition",
            "Poudre {powder} 500 g",
            "Pot de poudre {powder}, 500 g, scellé. Retrait sur place uniquement.",
            1,
            (40, 70),
        ),
        s(
            "printing",
            "blueprints",
            "Fichiers FGC-9 MKII complets + guide",
            "Pack complet des fichiers FGC-9 MKII (STL) avec le guide de montage en PDF. Lien "
            "de téléchargement après paiement.",
            1,
            (20, 40),
            ("fgc9_mk2_fr.zip:47.9 MB",),
        ),
        s(
            "printing",
            "blueprints parts",
            "Carcasse imprimée 3D + fichier STL",
            "Carcasse imprimée façon Glock, avec le fichier STL pour en imprimer d'autres.",
            1,
            (100, 160),
            ("carcasse_v2.stl:3.9 MB",),
        ),
        s(
            "printing",
            "",
            "Imprimante 3D Creality Ender 3 V2",
            "Ender 3 V2 en bon état, plateau en verre, bobine de PLA offerte.",
            1,
            (120, 180),
        ),
        s(
            "printing",
            "",
            "Buses 0.4 mm laiton x10",
            "Lot de dix buses en laiton pour imprimante 3D.",
            1,
            (5, 10),
        ),
        s(
            "airsoft",
            "",
            "Réplique airsoft M4 électrique (AEG) + 2 chargeurs",
            "Réplique airsoft électrique, billes 6 mm, batterie et chargeur inclus.",
            1,
            (110, 170),
        ),
        s(
            "airsoft",
            "",
            "Lanceur de paintball Tippmann + masque",
            "Lanceur de paintball complet avec masque et bouteille CO2.",
            1,
            (80, 130),
        ),
        s(
            "tools",
            "",
            "Pistolet à colle chaude + 30 bâtons",
            "Pistolet à colle pour loisirs créatifs, avec 30 bâtons.",
            1,
            (10, 20),
        ),
        s(
            "tools",
            "",
            "Pistolet à calfeutrer professionnel",
            "Pistolet à mastic pour cartouches standard, très solide.",
            1,
            (8, 15),
        ),
        s(
            "home",
            "",
            "Lot de 6 verres à shot",
            "Six verres à shot en verre épais, neufs.",
            1,
            (8, 15),
        ),
        s(
            "home",
            "",
            "Tonneau de vin en chêne 225 L",
            "Ancien tonneau de vin en chêne, idéal pour la déco du jardin.",
            1,
            (100, 170),
        ),
        s(
            "games",
            "",
            "Skin CS2 AWP | Asiimov",
            "Skin Counter-Strike 2, échange Steam uniquement.",
            1,
            (80, 120),
        ),
        s(
            "outdoor",
            "",
            "Arc classique 30 lb + flèches",
            "Arc démontable pour débutant avec six flèches et carquois.",
            1,
            (90, 140),
        ),
        s(
            "outdoor",
            "",
            "Couteau Opinel n°8",
            "Opinel n°8 lame carbone, manche hêtre, jamais utilisé.",
            1,
            (12, 20),
        ),
    ],
    "es": [
        s(
            "hunting",
            "firearm",
            "Vendo {p} {pc} sin papeles",
            "Vendo {p} calibre {pc}, muy buen estado, dos cargadores. Sin papeles, solo "
            "efectivo, entrega en mano en {city}.",
            2,
            (500, 900),
        ),
        s(
            "hunting",
            "firearm",
            "Pistola detonadora {blank} modificada, dispara real",
            "{blank} modificada para munición real de 9mm. Probada. Solo gente seria.",
            1,
            (350, 600),
        ),
        s(
            "hunting",
            "",
            "Funda pistolera de cuero",
            "Funda de cuero para pistola, diestro, casi nueva. Solo la funda.",
            1,
            (25, 45),
        ),
        s(
            "hunting",
            "",
            "Caja fuerte para armas, 5 plazas",
            "Armero con cerradura electrónica, homologado. Recogida en mano.",
            1,
            (200, 350),
        ),
        s(
            "parts",
            "parts",
            "Kit 80% lower AR-15 con plantilla (jig)",
            "Lower al 80% sin terminar, con plantilla y fresas. Sin número de serie.",
            1,
            (170, 260),
        ),
        s(
            "parts",
            "parts",
            "Chip/switch para Glock, 2 unidades",
            "Switch para Glock, modo ráfaga. Dos unidades, envío discreto.",
            1,
            (150, 280),
        ),
        s(
            "reloading",
            "ammunition",
            "{q} cartuchos {a} {b}",
            "Vendo {q} cartuchos del {a}, marca {b}, guardados en seco. Entrega en {city}.",
            2,
            (60, 350),
        ),
        s(
            "reloading",
            "ammunition",
            "Pistones {primer}, 1000 uds",
            "Caja de pistones {primer} sin abrir, 1000 unidades.",
            1,
            (60, 100),
        ),
        s(
            "reloading",
            "ammunition",
            "Pólvora {powder} 500 g",
            "Bote de pólvora {powder} precintado, 500 g. Solo en mano.",
            1,
            (40, 70),
        ),
        s(
            "printing",
            "blueprints",
            "Archivos FGC-9 + guía de montaje",
            "Pack de archivos FGC-9 MKII en STL y guía en PDF. Envío por enlace de descarga.",
            1,
            (20, 40),
            ("fgc9_pack_es.zip:48.1 MB",),
        ),
        s(
            "printing",
            "blueprints",
            "Busco archivos del Liberator (STL)",
            "Busco los archivos STL del Liberator completos. Pago en cripto.",
            1,
            None,
        ),
        s(
            "printing",
            "",
            "Filamento PLA 1 kg, varios colores",
            "Bobinas de PLA precintadas, varios colores disponibles.",
            1,
            (15, 22),
        ),
        s(
            "airsoft",
            "",
            "Réplica airsoft AK-47 eléctrica",
            "Réplica eléctrica de airsoft, bolas de 6 mm, con batería.",
            1,
            (120, 180),
        ),
        s(
            "tools",
            "",
            "Pistola de silicona caliente + barras",
            "Pistola de silicona para manualidades con 40 barras.",
            1,
            (10, 20),
        ),
        s(
            "tools",
            "",
            "Pistola de calor 2000 W",
            "Decapador de aire caliente con boquillas, como nuevo.",
            1,
            (18, 30),
        ),
        s(
            "home",
            "",
            "Juego de 6 vasos de chupito",
            "Seis vasos de chupito de cristal, sin usar.",
            1,
            (8, 15),
        ),
        s(
            "home",
            "",
            "Barrica de roble para vino, 225 L",
            "Barrica de roble usada en bodega, ideal para decoración.",
            1,
            (100, 170),
        ),
        s(
            "games",
            "",
            "Skin CS2 M4A4 | Howl",
            "Skin de Counter-Strike 2, intercambio por Steam.",
            1,
            (900, 1400),
        ),
        s(
            "outdoor",
            "",
            "Ballesta 150 lbs con flechas",
            "Ballesta deportiva con visor y seis virotes.",
            1,
            (120, 200),
        ),
        s(
            "outdoor",
            "",
            "Navaja de monte Albainox",
            "Navaja con funda de cuero, ideal para acampada.",
            1,
            (20, 35),
        ),
    ],
    "it": [
        s(
            "hunting",
            "firearm",
            "{p} {pc} senza porto d'armi",
            "Vendo {p} calibro {pc}, ottime condizioni, due caricatori. Niente documenti, "
            "solo contanti, consegna a mano a {city}.",
            2,
            (500, 900),
        ),
        s(
            "hunting",
            "firearm",
            "Scacciacani {blank} modificata, spara a palla",
            "{blank} modificata per munizioni vere 9mm. Provata, funziona. Solo persone serie.",
            1,
            (350, 600),
        ),
        s(
            "hunting",
            "",
            "Fondina in pelle per pistola",
            "Fondina in pelle per destrorsi, usata poco. Solo fondina.",
            1,
            (25, 45),
        ),
        s(
            "hunting",
            "",
            "Cassaforte per fucili, 8 posti",
            "Cassaforte certificata con serratura a chiave, ritiro a mano.",
            1,
            (250, 400),
        ),
        s(
            "parts",
            "parts",
            "Silenziatore 9mm nuovo",
            "Silenziatore per pistola calibro 9mm, mai montato. Spedizione discreta.",
            1,
            (250, 400),
        ),
        s(
            "reloading",
            "ammunition",
            "{q} cartucce {a} {b}",
            "Vendo {q} cartucce {a} della {b}, conservate all'asciutto. Ritiro a {city}.",
            2,
            (60, 350),
        ),
        s(
            "reloading",
            "ammunition",
            "Inneschi {primer}, 1000 pezzi",
            "Confezione sigillata di inneschi {primer}, 1000 pezzi.",
            1,
            (60, 100),
        ),
        s(
            "printing",
            "blueprints",
            "File FGC-9 STL + guida completa",
            "Pacchetto completo dei file FGC-9 MKII con guida PDF, link per il download dopo "
            "il pagamento.",
            1,
            (20, 40),
            ("fgc9_it.zip:48.3 MB",),
        ),
        s(
            "printing",
            "blueprints",
            "Cerco file Liberator e lower AR stampabile",
            "Cerco i file del Liberator e del lower AR-15 da stampare. Pago in crypto.",
            1,
            None,
        ),
        s(
            "printing",
            "",
            "Stampante 3D Anycubic Kobra",
            "Stampante 3D con piatto magnetico, perfettamente funzionante.",
            1,
            (150, 220),
        ),
        s(
            "airsoft",
            "",
            "Fucile softair elettrico M4 + batteria",
            "Softair elettrico, pallini 6 mm, con batteria e caricatore.",
            1,
            (120, 170),
        ),
        s(
            "tools",
            "",
            "Pistola per silicone professionale",
            "Pistola per silicone robusta per cartucce standard.",
            1,
            (8, 15),
        ),
        s(
            "tools",
            "",
            "Pistola termica 2000 W",
            "Pistola termica con accessori, usata pochissimo.",
            1,
            (18, 30),
        ),
        s(
            "home",
            "",
            "Bicchierini da shot, set da 6",
            "Sei bicchierini da shot in vetro, nuovi.",
            1,
            (8, 15),
        ),
        s(
            "home",
            "",
            "Botte di rovere per vino, 100 litri",
            "Botte in rovere usata in cantina, ottima come arredo.",
            1,
            (90, 150),
        ),
        s(
            "outdoor",
            "",
            "Arco ricurvo 30 libbre",
            "Arco ricurvo smontabile con frecce e faretra.",
            1,
            (90, 140),
        ),
    ],
    "nl": [
        s(
            "hunting",
            "firearm",
            "{p} {pc} zonder vergunning",
            "Te koop: {p} in {pc}, nette staat, twee magazijnen. Zonder papieren, alleen "
            "contant, ophalen in {city}.",
            2,
            (500, 900),
        ),
        s(
            "hunting",
            "firearm",
            "Omgebouwd alarmpistool {blank}, schiet scherp",
            "{blank} omgebouwd naar scherp 9mm. Getest, werkt. Alleen serieuze kopers.",
            1,
            (350, 600),
        ),
        s(
            "hunting",
            "",
            "Holster voor Glock, kydex",
            "Kydex holster voor Glock 17/19, rechtshandig. Alleen de holster.",
            1,
            (25, 45),
        ),
        s(
            "hunting",
            "",
            "Wapenkluis voor 5 geweren",
            "Wapenkluis met cijferslot, zelf ophalen.",
            1,
            (200, 350),
        ),
        s(
            "parts",
            "parts",
            "Glock switch te koop, 2 stuks",
            "Twee switches voor Glock, volautomatisch. Discreet verzonden.",
            1,
            (150, 280),
        ),
        s(
            "reloading",
            "ammunition",
            "{q} patronen {a} {b}",
            "{q} patronen {a} van {b}, droog bewaard. Ophalen in {city}.",
            2,
            (60, 350),
        ),
        s(
            "reloading",
            "ammunition",
            "Slaghoedjes {primer}, 1000 stuks",
            "Ongeopende doos slaghoedjes {primer}, 1000 stuks.",
            1,
            (60, 100),
        ),
        s(
            "printing",
            "blueprints",
            "FGC-9 bestanden + handleiding",
            "Volledige FGC-9 MKII bestanden (STL) met bouwhandleiding als PDF. Downloadlink na "
            "betaling.",
            1,
            (20, 40),
            ("fgc9_nl.zip:48.0 MB",),
        ),
        s(
            "printing",
            "",
            "3D-printer Prusa Mini+",
            "Prusa Mini+ met extra printplaat, werkt prima.",
            1,
            (250, 350),
        ),
        s(
            "airsoft",
            "",
            "Airsoft M4 (AEG) met 3 magazijnen",
            "Elektrische airsoft replica, 6 mm BB's, inclusief accu.",
            1,
            (110, 170),
        ),
        s(
            "tools",
            "",
            "Lijmpistool + lijmpatronen",
            "Lijmpistool voor hobby, met 30 lijmpatronen.",
            1,
            (10, 20),
        ),
        s(
            "tools",
            "",
            "Kitpistool voor siliconenkit",
            "Stevig kitpistool, past op standaard kokers.",
            1,
            (5, 12),
        ),
        s("home", "", "Shotglaasjes, set van 8", "Acht shotglaasjes, nieuw in doos.", 1, (8, 15)),
        s(
            "home",
            "",
            "Eikenhouten wijnvat 225 liter",
            "Oud wijnvat van eikenhout, mooi als tuintafel.",
            1,
            (100, 170),
        ),
        s(
            "outdoor",
            "",
            "Handboog 35 lb met pijlen",
            "Recurve handboog voor beginners met zes pijlen.",
            1,
            (80, 130),
        ),
    ],
    "pl": [
        s(
            "hunting",
            "firearm",
            "{p} {pc} bez pozwolenia",
            "Sprzedam {p} kaliber {pc}, stan bardzo dobry, dwa magazynki. Bez papierów, tylko "
            "gotówka, odbiór osobisty {city}.",
            2,
            (500, 900),
        ),
        s(
            "hunting",
            "firearm",
            "Przerobiony pistolet hukowy {blank}, strzela ostrą",
            "{blank} przerobiony pod ostrą amunicję 9mm. Sprawdzony, działa. Tylko poważne oferty.",
            1,
            (350, 600),
        ),
        s(
            "hunting",
            "",
            "Kabura skórzana do pistoletu",
            "Kabura skórzana, praworęczna, mało używana. Tylko kabura.",
            1,
            (25, 45),
        ),
        s(
            "hunting",
            "",
            "Sejf na broń, 6 jednostek",
            "Sejf na broń długą z zamkiem szyfrowym, odbiór osobisty.",
            1,
            (200, 350),
        ),
        s(
            "parts",
            "parts",
            "Tłumik 9mm, nowy",
            "Tłumik do pistoletu kaliber 9mm, nigdy nie montowany. Wysyłka dyskretna.",
            1,
            (250, 400),
        ),
        s(
            "reloading",
            "ammunition",
            "Amunicja {a} {b}, {q} szt.",
            "Sprzedam {q} naboi {a} firmy {b}, przechowywane w suchym miejscu. Odbiór {city}.",
            2,
            (60, 350),
        ),
        s(
            "reloading",
            "ammunition",
            "Spłonki {primer}, 1000 szt.",
            "Zamknięte opakowanie spłonek {primer}, 1000 sztuk.",
            1,
            (60, 100),
        ),
        s(
            "reloading",
            "ammunition",
            "Proch {powder}, 500 g",
            "Proch {powder}, puszka 500 g, nieotwierana. Tylko odbiór osobisty.",
            1,
            (40, 70),
        ),
        s(
            "printing",
            "blueprints",
            "Szukam plików FGC-9 i Liberator",
            "Szukam kompletnych plików FGC-9 MKII oraz Liberatora (STL). Płacę kryptowalutą.",
            1,
            None,
        ),
        s(
            "printing",
            "",
            "Drukarka 3D Creality K1",
            "Drukarka 3D Creality K1, szybka, stan idealny.",
            1,
            (300, 400),
        ),
        s(
            "airsoft",
            "",
            "Replika ASG M4, elektryczna",
            "Replika ASG na kulki 6 mm, z akumulatorem i ładowarką.",
            1,
            (110, 170),
        ),
        s(
            "tools",
            "",
            "Pistolet do kleju na gorąco",
            "Pistolet do kleju z zapasem wkładów.",
            1,
            (10, 20),
        ),
        s(
            "tools",
            "",
            "Pistolet do silikonu",
            "Solidny pistolet do silikonu i akrylu.",
            1,
            (5, 12),
        ),
        s(
            "home",
            "",
            "Kieliszki do wódki, komplet 6 szt.",
            "Sześć kryształowych kieliszków do wódki, nowe.",
            1,
            (8, 15),
        ),
        s(
            "home",
            "",
            "Beczka dębowa na wino, 50 l",
            "Beczka dębowa, szczelna, idealna do wina lub nalewek.",
            1,
            (80, 130),
        ),
        s(
            "outdoor",
            "",
            "Łuk bloczkowy 50 lb",
            "Łuk bloczkowy z celownikiem i strzałami.",
            1,
            (150, 250),
        ),
    ],
    "pt": [
        s(
            "hunting",
            "firearm",
            "{p} {pc} sem documentos",
            "Vendo {p} calibre {pc}, muito bom estado, dois carregadores. Sem documentos, só "
            "dinheiro, entrega em mão em {city}.",
            2,
            (500, 900),
        ),
        s(
            "hunting",
            "firearm",
            "Pistola de alarme {blank} convertida, dispara munição real",
            "{blank} convertida para munição real 9mm. Testada, funciona. Só interessados sérios.",
            1,
            (350, 600),
        ),
        s(
            "hunting",
            "",
            "Coldre de couro para pistola",
            "Coldre de couro para destro, pouco usado. Só o coldre.",
            1,
            (25, 45),
        ),
        s(
            "hunting",
            "",
            "Cofre para armas, 6 lugares",
            "Cofre com fechadura eletrónica, levantar no local.",
            1,
            (200, 350),
        ),
        s(
            "parts",
            "parts",
            "Kit 80% lower AR-15 com gabarito",
            "Lower 80% por acabar, com gabarito e fresas. Sem número de série.",
            1,
            (170, 260),
        ),
        s(
            "reloading",
            "ammunition",
            "{q} munições {a} {b}",
            "Vendo {q} munições {a} da {b}, guardadas em local seco. Entrega em {city}.",
            2,
            (60, 350),
        ),
        s(
            "reloading",
            "ammunition",
            "Espoletas {primer}, 1000 unidades",
            "Caixa fechada de espoletas {primer}, 1000 unidades.",
            1,
            (60, 100),
        ),
        s(
            "printing",
            "blueprints",
            "Arquivos FGC-9 + manual de montagem",
            "Pacote completo de arquivos FGC-9 MKII (STL) com manual em PDF. Link de download "
            "após o pagamento.",
            1,
            (20, 40),
            ("fgc9_pt.zip:48.2 MB",),
        ),
        s(
            "printing",
            "",
            "Impressora 3D Ender 3 S1",
            "Impressora 3D em ótimo estado, com rolo de PLA.",
            1,
            (180, 250),
        ),
        s(
            "airsoft",
            "",
            "Réplica de airsoft AK elétrica",
            "Réplica elétrica de airsoft, esferas de 6 mm, com bateria.",
            1,
            (120, 180),
        ),
        s(
            "tools",
            "",
            "Pistola de cola quente + bastões",
            "Pistola de cola quente com 30 bastões.",
            1,
            (10, 20),
        ),
        s(
            "tools",
            "",
            "Pistola de calor 2000 W",
            "Soprador térmico com bicos, pouco uso.",
            1,
            (18, 30),
        ),
        s(
            "home",
            "",
            "Copos de shot, conjunto de 6",
            "Seis copos de shot em vidro, novos.",
            1,
            (8, 15),
        ),
        s(
            "home",
            "",
            "Barril de carvalho para vinho, 100 L",
            "Barril de carvalho usado, ótimo para decoração.",
            1,
            (90, 150),
        ),
        s(
            "outdoor",
            "",
            "Arco recurvo 30 lb",
            "Arco recurvo desmontável com flechas e aljava.",
            1,
            (90, 140),
        ),
    ],
}

# --- market: a darknet-style market, prices in BTC and XMR ------------------

MARKET_CATEGORIES = {
    "firearms": "Firearms",
    "parts": "Parts & Conversion",
    "ammunition": "Ammunition",
    "digital": "Digital Files & Guides",
    "nonlethal": "Non-lethal & Airsoft",
    "other": "Other",
}

VENDORS = {
    "IronCurtain": ("en", "Czech Republic", "EU"),
    "BalkanDirect": ("en", "Serbia", "EU"),
    "GhostWorks": ("en", "United States", "Worldwide"),
    "PrintShop3D": ("en", "Digital", "Worldwide"),
    "ReloadKing": ("en", "United States", "United States"),
    "SafeHarborUK": ("en", "United Kingdom", "United Kingdom"),
    "DeutscheQualitaet": ("de", "Germany", "EU"),
    "TulaTrader": ("ru", "Russia", "Russia, CIS"),
    "OpsecLabs": ("en", "Digital", "Worldwide"),
    "NovaGoods": ("en", "Netherlands", "Worldwide"),
}

MARKET: list[Spec] = [
    m(
        "IronCurtain",
        "firearms",
        "firearm ammunition",
        "{p} {pc} + 50 rds – stealth shipping EU",
        "Clean {p}, never registered. Ships disassembled in a stealth package with 50 rounds "
        "of {pc}. Escrow only.",
        2,
        (1200, 2200),
    ),
    m(
        "BalkanDirect",
        "firearms",
        "firearm",
        "{r} {rc}, full kit",
        "Original {r}, good condition, standard mags included. Ships in parts across two "
        "packages. FE for trusted buyers only.",
        2,
        (1500, 3000),
    ),
    m(
        "BalkanDirect",
        "firearms",
        "firearm",
        "Zastava M57 7.62x25 – fresh batch",
        "Fresh batch of Zastava M57 pistols from old stock. Numbers intact. Escrow.",
        1,
        (900, 1400),
    ),
    m(
        "SafeHarborUK",
        "firearms",
        "firearm ammunition",
        "Converted {blank} – live 9mm, UK only",
        "Converted blank-firer, reliable with live 9mm. Comes with 1 mag and 20 rounds.",
        1,
        (1000, 1600),
    ),
    m(
        "GhostWorks",
        "firearms",
        "firearm",
        "Printed FGC-9 MKII, complete, test-fired",
        "Complete printed FGC-9 MKII, test-fired, 2 mags. Ships from the US, domestic only.",
        1,
        (1500, 2500),
    ),
    m(
        "IronCurtain",
        "firearms",
        "firearm",
        "Reactivated Vz. 61 Skorpion",
        "Ex-deko Skorpion, reactivated, fires reliably. Limited stock.",
        1,
        (1200, 2000),
    ),
    m(
        "IronCurtain",
        "parts",
        "parts",
        "Glock switch – metal, x5",
        "Metal switches for Glock, full auto. Pack of 5, vacuum sealed.",
        1,
        (300, 600),
    ),
    m(
        "GhostWorks",
        "parts",
        "parts",
        "Auto sear for AR-15 (DIAS), printed",
        "Printed drop-in auto sear for AR pattern rifles. Sold as a 'collector item', wink.",
        1,
        (200, 400),
    ),
    m(
        "GhostWorks",
        "parts",
        "parts",
        "80% lower + jig + bits, complete kit",
        "Complete 80% lower kit with jig and bits. No serial, no paperwork.",
        1,
        (250, 400),
    ),
    m(
        "BalkanDirect",
        "parts",
        "parts",
        "Suppressor for AK 7.62x39, steel",
        "Steel suppressor for AK pattern rifles, direct thread. Ships in two parts.",
        1,
        (400, 700),
    ),
    m(
        "ReloadKing",
        "parts",
        "parts",
        "Solvent trap kit + drill guide (9mm adapter)",
        "Solvent trap kit with drill guide and 9mm adapter. 'For cleaning only'.",
        1,
        (150, 250),
    ),
    m(
        "IronCurtain",
        "parts",
        "parts",
        "Glock 17 slide + barrel, complete upper",
        "Complete Glock 17 upper: slide, barrel, recoil spring. No frame.",
        1,
        (350, 550),
    ),
    m(
        "BalkanDirect",
        "parts",
        "parts",
        "AK magazines x10, 30 rd",
        "Ten steel AK magazines, 30 rounds, surplus.",
        1,
        (150, 250),
    ),
    m(
        "DeutscheQualitaet",
        "parts",
        "parts",
        "Schalldämpfer 9mm, Versand innerhalb EU",
        "Schalldämpfer für 9mm Kurzwaffen, neu, diskreter Versand innerhalb der EU.",
        1,
        (350, 600),
    ),
    m(
        "DeutscheQualitaet",
        "parts",
        "parts",
        "Kompletter Verschluss für AR-15",
        "Verschlussträger mit Verschluss für AR-15, neu und unbenutzt.",
        1,
        (300, 500),
    ),
    m(
        "TulaTrader",
        "parts",
        "parts",
        "Глушитель на АК, новый",
        "Новый глушитель для АК, без документов. Отправка по РФ.",
        1,
        (400, 700),
    ),
    m(
        "ReloadKing",
        "ammunition",
        "ammunition",
        "{q}x {a} {b} – bulk",
        "Factory {b} {a}, {q} rounds. Vacuum sealed, shipped in two boxes.",
        3,
        (80, 600),
    ),
    m(
        "ReloadKing",
        "ammunition",
        "ammunition",
        "CCI primers, 5000 ct, small pistol",
        "Five bricks of CCI small pistol primers. Hazmat-free stealth shipping.",
        1,
        (300, 500),
    ),
    m(
        "ReloadKing",
        "ammunition",
        "ammunition",
        "Reloading powder {powder}, 4 lb",
        "Sealed 4 lb jug of {powder}. Domestic only.",
        1,
        (120, 200),
    ),
    m(
        "BalkanDirect",
        "ammunition",
        "ammunition",
        "PPU 7.62x39, 1000 rds sealed spam can",
        "Sealed spam can of PPU 7.62x39, 1000 rounds.",
        1,
        (500, 800),
    ),
    m(
        "TulaTrader",
        "ammunition",
        "ammunition",
        "Патроны {a}, {q} шт.",
        "Продам патроны {a}, {q} штук, заводская упаковка {b}. Отправка по РФ и СНГ.",
        2,
        (80, 500),
    ),
    m(
        "DeutscheQualitaet",
        "ammunition",
        "ammunition",
        "{q} Schuss {a} – diskreter Versand",
        "{q} Patronen {a} von {b}, originalverpackt, diskreter Versand.",
        1,
        (80, 500),
    ),
    m(
        "GhostWorks",
        "digital",
        "blueprints",
        "FGC-9 MKII complete file pack + guide",
        "Every file you need: the FGC-9 MKII STL set, the parts list and the build guide "
        "PDF. Instant digital delivery.",
        1,
        (20, 50),
        ("fgc9_mk2_complete.zip:51.7 MB", "fgc9_guide_v2.pdf:14.2 MB"),
    ),
    m(
        "PrintShop3D",
        "digital",
        "blueprints",
        "Ghost gun mega pack: FGC-9, Liberator, AR lowers",
        "Big collection of printable firearm files: FGC-9 (both versions), Liberator, several "
        "AR-15 lowers and Glock-style frames. STL and STEP.",
        1,
        (30, 80),
        ("ghostgun_megapack.zip:1.4 GB",),
    ),
    m(
        "PrintShop3D",
        "digital",
        "blueprints",
        "Liberator STL + printable parts list",
        "Liberator STL files with the parts list. Instant download.",
        1,
        (5, 15),
        ("liberator.zip:2.3 MB",),
    ),
    m(
        "PrintShop3D",
        "digital",
        "blueprints",
        "Glock switch file (STL), tested",
        "STL of a Glock switch, tested by customers. Download after payment.",
        1,
        (10, 30),
        ("g_switch_v4.stl:412 KB",),
    ),
    m(
        "GhostWorks",
        "digital",
        "blueprints",
        "CNC program for AR-15 lower (G-code)",
        "G-code for milling an AR-15 lower on a desktop CNC, with the fixture file.",
        1,
        (40, 90),
        ("ar15_lower.nc:1.8 MB", "fixture.f3d:6.3 MB"),
    ),
    m(
        "GhostWorks",
        "digital",
        "blueprints",
        "Ghost Gunner files – AR-10 + 1911 (.dd)",
        "Ghost Gunner job files for AR-10 lowers and 1911 frames.",
        1,
        (40, 90),
        ("gg_ar10_1911.zip:9.7 MB",),
    ),
    m(
        "PrintShop3D",
        "digital",
        "blueprints parts",
        "Printed Glock-style frame + the file",
        "Printed Glock-style frame, rails not included, plus the STL to print more.",
        1,
        (150, 250),
        ("frame_g19_v2.stl:4.4 MB",),
    ),
    m(
        "OpsecLabs",
        "digital",
        "blueprints",
        "Ammunition manufacturing guide (PDF)",
        "Guide to making your own cartridges at home, PDF.",
        1,
        (10, 25),
        ("ammo_guide.pdf:8.8 MB",),
    ),
    m(
        "TulaTrader",
        "digital",
        "blueprints",
        "Файлы FGC-9 (STL) + инструкция по сборке",
        "Полный архив FGC-9 MKII в STL и инструкция на русском. Ссылка после оплаты.",
        1,
        (20, 50),
        ("fgc9_ru.zip:49.1 MB",),
    ),
    m(
        "DeutscheQualitaet",
        "digital",
        "blueprints",
        "FGC-9 Dateipaket + Bauanleitung (deutsch)",
        "Komplettes FGC-9 MKII Dateipaket mit deutscher Bauanleitung, Download nach Zahlung.",
        1,
        (20, 50),
        ("fgc9_de.zip:48.8 MB",),
    ),
    m(
        "OpsecLabs",
        "digital",
        "",
        "OPSEC guide 2025: staying safe on markets",
        "Guide to PGP, Tails and safe ordering habits. No weapons content.",
        1,
        (10, 20),
        ("opsec_2025.pdf:3.1 MB",),
    ),
    m(
        "OpsecLabs",
        "digital",
        "",
        "PGP & Tails setup tutorial",
        "Step-by-step tutorial for PGP keys and a Tails USB stick.",
        1,
        (5, 15),
    ),
    m(
        "PrintShop3D",
        "digital",
        "",
        "Cosplay prop blaster STL pack (non-functional)",
        "Twenty sci-fi blaster props for cosplay, display only, no moving parts.",
        1,
        (10, 25),
        ("prop_blasters.zip:120 MB",),
    ),
    m(
        "PrintShop3D",
        "digital",
        "",
        "Printable drone frame + gimbal mount STLs",
        "Drone frame and camera gimbal mount, tested on a Bambu P1S.",
        1,
        (8, 15),
        ("drone_frame.zip:14 MB",),
    ),
    m(
        "NovaGoods",
        "nonlethal",
        "",
        "Airsoft M4 AEG, full metal",
        "Full metal airsoft M4, 6 mm BBs, battery included.",
        1,
        (250, 400),
    ),
    m(
        "NovaGoods",
        "nonlethal",
        "",
        "Gel blaster Glock-style, with 10k gel balls",
        "Toy gel blaster pistol, comes with 10,000 gel balls.",
        1,
        (40, 70),
    ),
    m(
        "NovaGoods",
        "nonlethal",
        "",
        "Taser 5 million volt",
        "Stun gun with holster and charger.",
        1,
        (40, 70),
    ),
    m(
        "NovaGoods",
        "nonlethal",
        "",
        "Pepper spray 50 ml, 3-pack",
        "Three canisters of pepper spray.",
        1,
        (20, 40),
    ),
    m(
        "NovaGoods",
        "nonlethal",
        "",
        "Crossbow 175 lb, full package",
        "Crossbow with scope, bolts and quiver.",
        1,
        (200, 300),
    ),
    m(
        "TulaTrader",
        "nonlethal",
        "",
        "Пневматический пистолет МР-654К",
        "Пневматический пистолет МР-654К под шарики 4,5 мм, с баллончиками CO2.",
        1,
        (80, 130),
    ),
    m(
        "TulaTrader",
        "nonlethal",
        "",
        "Страйкбольный привод АК-74",
        "Страйкбольный привод АК-74, металл, аккумулятор и зарядка.",
        1,
        (250, 350),
    ),
    m(
        "DeutscheQualitaet",
        "nonlethal",
        "",
        "Softair-Pistole, CO2, unter 0,5 Joule",
        "Softair-Pistole mit CO2, F-Zeichen, keine echte Waffe.",
        1,
        (60, 100),
    ),
    m(
        "DeutscheQualitaet",
        "nonlethal",
        "",
        "Pfefferspray, 3 Stück",
        "Drei Dosen Pfefferspray zur Tierabwehr.",
        1,
        (20, 40),
    ),
    m(
        "NovaGoods",
        "other",
        "",
        "Top Gun aviator watch (replica)",
        "Replica pilot watch, 'Top Gun' edition, steel bracelet.",
        1,
        (60, 100),
    ),
    m(
        "NovaGoods",
        "other",
        "",
        "Ender 3 V3 3D printer, new in box",
        "New Creality Ender 3 V3, sealed box.",
        1,
        (200, 300),
    ),
    m(
        "NovaGoods",
        "other",
        "",
        "CS2 skin bundle (AK-47 Redline + Glock-18 Fade)",
        "Two Counter-Strike 2 skins, delivered by Steam trade.",
        1,
        (600, 900),
    ),
    m(
        "NovaGoods",
        "other",
        "",
        "Deactivated AK-47 with EU deactivation certificate",
        "Deactivated to EU spec, certificate included. Display only.",
        1,
        (400, 700),
    ),
    m(
        "NovaGoods",
        "other",
        "",
        "Hardened steel nozzles + 5 kg PLA",
        "Nozzle set and five rolls of PLA for your printer.",
        1,
        (80, 120),
    ),
    m(
        "TulaTrader",
        "other",
        "",
        "Охотничий нож ручной работы",
        "Охотничий нож ручной работы, дамасская сталь, кожаные ножны.",
        1,
        (80, 150),
    ),
    m(
        "DeutscheQualitaet",
        "other",
        "",
        "Waffenpflege-Set, universal",
        "Universelles Reinigungsset für Lang- und Kurzwaffen.",
        1,
        (30, 50),
    ),
    m(
        "DeutscheQualitaet",
        "firearms",
        "firearm ammunition",
        "Glock 19, sauber, mit 50 Schuss",
        "Glock 19, nicht registriert, mit 50 Schuss 9mm. Versand zerlegt.",
        1,
        (1400, 2200),
    ),
    m(
        "TulaTrader",
        "firearms",
        "firearm",
        "ПМ (Макаров), чистый, без истории",
        "Пистолет Макарова, чистый, без истории. Отправка частями.",
        1,
        (900, 1500),
    ),
    m(
        "TulaTrader",
        "firearms",
        "firearm",
        "СХП Сайга, переделка под боевой",
        "Сайга СХП, переделанная под боевой патрон. Проверена.",
        1,
        (1200, 1800),
    ),
]

# --- forum: threads of posts; (author, labels, text, attachments) ------------

FORUM_BOARDS = {
    "wts-wtb": ("Marketplace – WTS / WTB", "en"),
    "makers": ("3D printing & makers", "en"),
    "general": ("General discussion", "en"),
    "news": ("News & law", "en"),
    "airsoft": ("Airsoft, paintball & gel blasters", "en"),
    "ru": ("Русский раздел", "ru"),
    "de": ("Deutsches Unterforum", "de"),
    "ar": ("القسم العربي", "ar"),
    "staff": ("Staff only", "en"),
}

Post = tuple[str, str, str, tuple[str, ...]]


@dataclass
class Thread:
    board: str
    title: str
    posts: list[Post] = field(default_factory=list)


def t(board: str, title: str, *posts: Post) -> Thread:
    return Thread(board, title, list(posts))


def p(author: str, labels: str, text: str, *files: str) -> Post:
    return (author, labels, text, files)


FORUM: list[Thread] = [
    t(
        "wts-wtb",
        "WTS: FGC-9 MKII kit – files, printed frame, barrel, 200 rds",
        p(
            "ghostfab",
            "blueprints parts ammunition",
            "Selling a complete FGC-9 MKII kit: the file pack on a USB stick, a printed frame, a "
            "barrel and 200 rds of 9mm. Pick-up or dead drop only, no post.",
            "kit_photo.jpg:412 KB",
        ),
        p("northern_lad", "", "Price? And which area are you in?"),
        p("ghostfab", "", "PM sent."),
        p("mod_kestrel", "", "Reminder: no prices in public, use PMs. Thread stays open for now."),
        p("northern_lad", "", "Deal done, smooth guy. Thanks."),
        p(
            "dustydrifter",
            "blueprints",
            "Can you sell just the FGC files? Don't need the hardware.",
        ),
    ),
    t(
        "wts-wtb",
        "WTB Glock switch or the STL for one",
        p(
            "vex_22",
            "parts blueprints",
            "Looking for a Glock switch, or the STL for the switch "
            "if someone has a version that works. EU shipping preferred.",
        ),
        p("printmeister", "", "Check the makers board, there's a whole thread."),
        p("ironhand", "parts", "Got 3 metal switches left, DM me."),
        p(
            "printmeister",
            "blueprints",
            "Sent you the link to the switch file in PM, v4 is the one people use.",
        ),
    ),
    t(
        "wts-wtb",
        "WTS 7.62x39 and 9mm, bulk, pickup only",
        p(
            "rangebuddy",
            "ammunition",
            "Clearing out: 1,000 rds 7.62x39 (Barnaul) and 500 rds "
            "9mm (S&B). Pickup only, north side.",
        ),
        p("hodgepodge", "", "Still got the 9mm?"),
        p("rangebuddy", "", "Gone, sorry. Some of the other box left."),
    ),
    t(
        "wts-wtb",
        "Converted Ekol Jackal, live 9mm – WTS",
        p(
            "quietman",
            "firearm",
            "Ekol Jackal, converted, takes live 9mm. Runs fine, one mag. "
            "Not posting it, local only.",
        ),
        p("jj_wood", "", "That's how people get hurt. Those conversions blow up."),
        p("quietman", "", "Worked for 200 so far. Not your problem."),
    ),
    t(
        "wts-wtb",
        "[WTS] solvent trap kits with drill guide – 5 left",
        p(
            "trapking",
            "parts",
            "Five solvent trap kits left, 7 cups each, drill guide "
            "included, adapters for common 9mm and .22 barrels. You know what they're for.",
        ),
        p("hodgepodge", "", "Do these come with paperwork?"),
        p("trapking", "", "They're 'cleaning kits', what paperwork."),
    ),
    t(
        "wts-wtb",
        "WTB: 5.56 brass, once fired",
        p(
            "benchrest_bob",
            "ammunition",
            "Looking for 1000+ once-fired 5.56/.223 cases for reloading. Will pay fair.",
        ),
        p("rangebuddy", "ammunition", "Have about 600 cleaned cases, PM."),
    ),
    t(
        "wts-wtb",
        "Scam warning: user 'quickship99'",
        p(
            "mod_kestrel",
            "",
            "quickship99 took payment from three members and never delivered. "
            "Banned. Don't deal with him on other sites either.",
        ),
        p("vex_22", "", "Same guy on the other forum, confirmed."),
    ),
    t(
        "makers",
        "FGC-9 MKII files – reupload thread",
        p(
            "ghostfab",
            "blueprints",
            "Old links are dead, so here is the FGC-9 MKII pack again: "
            "all STLs plus the guide PDF. Mirror in the attachment.",
            "fgc9_mk2_reupload.zip:49.8 MB",
            "fgc9_guide.pdf:12.6 MB",
        ),
        p("amber_fox", "", "Legend, thank you."),
        p("kilo_nine", "blueprints", "Link is dead again. Can someone reupload the FGC files?"),
        p(
            "ghostfab",
            "blueprints",
            "Reuploaded, see the new attachment.",
            "fgc9_mk2_reupload2.zip:49.8 MB",
        ),
        p("kilo_nine", "", "Got it, thanks."),
        p("bluespool", "", "What printer do people use around here?"),
        p("amber_fox", "", "Any decent bed slinger. I run an Ender 3 with a hardened nozzle."),
        p("nomad_88", "blueprints", "Anyone have the Spanish translation of the FGC guide?"),
        p("ghostfab", "blueprints", "Here, translated guide.", "fgc9_guia_es.pdf:11.9 MB"),
        p("mod_kestrel", "", "Keep this thread on topic, no sales here please."),
        p(
            "zeta_print",
            "blueprints",
            "Is there a version of the FGC-9 files for metric "
            "hardware? Need it for a build in the EU.",
        ),
        p("ghostfab", "blueprints", "Metric version is in the same pack, folder 'EU'."),
    ),
    t(
        "makers",
        "Liberator STL – anyone have a clean copy?",
        p(
            "nomad_88",
            "blueprints",
            "Looking for a clean copy of the Liberator STL, the one I found is corrupted.",
        ),
        p("zeta_print", "blueprints", "Here you go.", "liberator_clean.zip:2.3 MB"),
        p("jj_wood", "", "That thing is a museum piece, not worth your time."),
    ),
    t(
        "makers",
        "Printed lower receivers – selling a few",
        p(
            "lowrider",
            "parts",
            "Printed a batch of AR-15 lower receivers, PLA+ and PETG. "
            "Selling five, no serials obviously.",
        ),
        p("amber_fox", "", "Pics?"),
        p("lowrider", "parts", "PM. Can add buffer tubes and a couple of spare mags too."),
    ),
    t(
        "makers",
        "Best filament for brackets and drone frames?",
        p(
            "bluespool",
            "",
            "PETG or PA-CF for outdoor brackets and drone arms? Budget printer, no enclosure.",
        ),
        p(
            "zeta_print",
            "",
            "PETG is fine without an enclosure. PA-CF wants a hardened nozzle and a dry box.",
        ),
        p("bluespool", "", "Thanks, PETG it is."),
    ),
    t(
        "makers",
        "Mandalorian blaster for my son's cosplay (non-firing prop)",
        p(
            "dad_prints",
            "",
            "Printed the Mandalorian blaster prop for my son's costume. It's a "
            "solid prop, no moving parts. File attached if anyone wants it.",
            "mando_prop.stl:18.2 MB",
        ),
        p("amber_fox", "", "Paint job looks great!"),
    ),
    t(
        "makers",
        "Ender 3 clicking extruder – help",
        p("newbie_ned", "", "My Ender 3 extruder clicks on every layer, nozzle is new. Ideas?"),
        p("zeta_print", "", "Check the bowden tube and the temperature, usually one of those."),
    ),
    t(
        "general",
        "Which safe for 6 long guns?",
        p("oldtimer77", "", "Need a safe for six long guns, any recommendations?"),
        p("jj_wood", "", "Get a bigger one than you think. Bolt it down."),
        p("rangebuddy", "", "And keep a dehumidifier in it."),
    ),
    t(
        "general",
        "Holster for CZ P-10 C?",
        p("hodgepodge", "", "Looking for a good IWB holster for a CZ P-10 C, kydex or leather?"),
        p("oldtimer77", "", "Leather for comfort, kydex for retention."),
    ),
    t(
        "general",
        "Anyone selling primers? Shortage here",
        p(
            "benchrest_bob",
            "ammunition",
            "Can't find small pistol primers anywhere. Anyone have 1000-2000 CCI or Federal?",
        ),
        p("rangebuddy", "ammunition", "I can spare 1000 CCI 500, PM me."),
        p("benchrest_bob", "", "PM sent, thanks."),
    ),
    t(
        "general",
        "Range day photos",
        p(
            "oldtimer77",
            "",
            "Great day at the club range, steel targets and a BBQ. Photos attached.",
            "range_day.jpg:1.8 MB",
        ),
        p("jj_wood", "", "Nice setup!"),
    ),
    t(
        "news",
        "Europol: raids against 3D-printed gun network (FGC-9)",
        p(
            "newsbot",
            "",
            "Police in several EU countries searched homes linked to a network "
            "that printed FGC-9 carbines. Printers and parts were seized, according to the "
            "press release.",
        ),
        p("jj_wood", "", "Good. These FGC builds end up with gangs."),
        p("amber_fox", "", "Half of those 'seized' printers were probably making Warhammer minis."),
        p("mod_kestrel", "", "Keep it civil. News discussion only, no file requests here."),
        p(
            "kilo_nine",
            "",
            "Article says they found the FGC guide on a USB stick. That's the evidence?",
        ),
    ),
    t(
        "news",
        "Court upholds ghost gun rule on frames and receivers",
        p(
            "newsbot",
            "",
            "An appeals court upheld the federal rule that treats unfinished frame "
            "and receiver kits as firearms. Sellers must now serialize kits.",
        ),
        p("lowrider", "", "Great, more paperwork."),
        p("oldtimer77", "", "Was always going to happen."),
    ),
    t(
        "news",
        "Awareness: how traffickers hide suppressors as 'solvent traps'",
        p(
            "newsbot",
            "",
            "A customs report explains how suppressor parts are shipped as "
            "'solvent trap' cleaning kits, often with a drill guide. Worth reading for dealers.",
        ),
        p("trapking", "", "Fake news."),
    ),
    t(
        "news",
        "Glue gun, nail gun, caulk gun – the weirdest 'gun' reports",
        p(
            "newsbot",
            "",
            "Funny story: a marketplace filter flagged a caulk gun and a box of "
            "shot glasses as weapons listings.",
        ),
        p("bluespool", "", "Mine flagged a heat gun last week lol."),
    ),
    t(
        "airsoft",
        "Gel blaster or airsoft for a 12 year old?",
        p(
            "dad_prints",
            "",
            "My son wants a gel blaster or an airsoft gun for his birthday. Which is safer?",
        ),
        p("airsoft_andy", "", "Gel blaster. Softer, and the gel balls dissolve."),
        p("dad_prints", "", "Ordered a gel blaster M4, thanks."),
    ),
    t(
        "airsoft",
        "WTS Tokyo Marui Hi-Capa 5.1 + 2 mags + green gas",
        p(
            "airsoft_andy",
            "",
            "Hi-Capa 5.1 gas blowback airsoft pistol, two mags, half a can "
            "of green gas. Skirmish ready.",
        ),
        p("sniper_sue", "", "Would you ship it?"),
        p("airsoft_andy", "", "UK only, sorry."),
    ),
    t(
        "airsoft",
        "Printed hop-up units for AEGs",
        p(
            "sniper_sue",
            "",
            "I printed a few hop-up chambers and a magwell adapter for my "
            "airsoft rifle. STLs attached.",
            "hopup_chamber.stl:540 KB",
        ),
        p("airsoft_andy", "", "Nice, does the hop unit hold up?"),
    ),
    t(
        "airsoft",
        "Paintball marker maintenance",
        p("paintman", "", "Tippmann 98 leaking at the valve. Any tips before I send it in?"),
        p("airsoft_andy", "", "O-ring kit, ten minutes."),
    ),
    t(
        "ru",
        "Продам ствол ПМ, чистый",
        p(
            "ural_volk",
            "firearm",
            "Продам ПМ, чистый, без истории. Один магазин. Только лично, Екатеринбург.",
        ),
        p("sever77", "", "Цена?"),
        p("ural_volk", "", "В личку."),
        p("kuzya", "ammunition", "Маслята к нему есть? 9x18, штук 100 нужно."),
        p("ural_volk", "ammunition", "Есть 200 шт., отдам вместе."),
        p("sever77", "", "Осторожно, тут полно кидал."),
    ),
    t(
        "ru",
        "Ищу файлы FGC-9 и Liberator",
        p(
            "kuzya",
            "blueprints",
            "Ищу файлы FGC-9 MKII и Liberator (STL), плюс инструкцию. Заплачу.",
        ),
        p("print_master", "blueprints", "Скинул ссылку в личку, там полный архив."),
        p("kuzya", "", "Спасибо, всё дошло."),
    ),
    t(
        "ru",
        "СХП Сайга, переделка под боевой",
        p(
            "tula_gunsmith",
            "firearm",
            "Продаю Сайгу СХП, переделанную обратно под боевой патрон. Стреляет, проверено.",
        ),
        p("sever77", "", "Это статья, удачи."),
    ),
    t(
        "ru",
        "Продам глушитель на АК",
        p("tula_gunsmith", "parts", "Глушитель на АК-74, новый. Отправка СДЭК."),
        p("ural_volk", "parts", "Возьму два, если есть."),
    ),
    t(
        "ru",
        "Пневматика: МР-654К, продам",
        p(
            "babushkin",
            "",
            "Продам пневматический пистолет МР-654К с баллончиками CO2. Оружием не является.",
        ),
        p("sever77", "", "Хорошая вещь для тира."),
    ),
    t(
        "ru",
        "Страйкбол: привод АК-74М, продам",
        p(
            "airsoft_ivan",
            "",
            "Страйкбольный привод АК-74М, металл, три магазина, аккумулятор. Шары в подарок.",
        ),
        p("kuzya", "", "Доставка в Питер есть?"),
    ),
    t(
        "ru",
        "Новости: изъяли 3D-печатные пистолеты",
        p(
            "novosti",
            "",
            "В Подмосковье задержали мужчину, который печатал пистолеты на "
            "3D-принтере. Изъяты принтер и детали.",
        ),
        p("sever77", "", "Об этом везде пишут."),
    ),
    t(
        "ru",
        "Продам патроны 7.62x39 и 5.45",
        p(
            "sklad",
            "ammunition",
            "Патроны 7.62x39 — 700 шт., 5.45x39 — 1000 шт., Барнаул, цинки. Самовывоз.",
        ),
        p("kuzya", "ammunition", "Беру 5.45, всё сразу."),
    ),
    t(
        "de",
        "Verkaufe Glock-Schalter (Auto-Sear), 3 Stück",
        p(
            "schrauber_max",
            "parts",
            "Habe drei Glock-Schalter (Dauerfeuer) abzugeben, Metall. "
            "Versand diskret innerhalb DE.",
        ),
        p("waldi", "", "Finger weg, das ist eine Straftat."),
        p("schrauber_max", "", "Dann kauf halt nicht."),
        p("basti_b", "parts", "Nehme zwei von den Schaltern, PN ist raus."),
    ),
    t(
        "de",
        "Suche jemanden, der mir eine Schreckschuss scharf macht",
        p(
            "basti_b",
            "firearm",
            "Suche eine umgebaute Schreckschusspistole, die scharf "
            "schießt, oder jemanden, der das machen kann. Raum Dortmund.",
        ),
        p("waldi", "", "Lass es. Einfach lassen."),
    ),
    t(
        "de",
        "Heißluftpistole oder Heißklebepistole für Modellbau?",
        p(
            "modellbau_uwe",
            "",
            "Für Tabletop-Gelände: lohnt sich eine Heißluftpistole oder "
            "reicht eine Heißklebepistole?",
        ),
        p("waldi", "", "Beides. Heißkleber zum Kleben, Heißluft für Schrumpfschlauch."),
    ),
    t(
        "de",
        "Suche 9mm Munition, 500 Stück",
        p(
            "jaeger_hans",
            "ammunition",
            "Suche 500 Schuss 9mm Luger, Geco oder S&B. Abholung im Raum München.",
        ),
        p("schrauber_max", "ammunition", "Hätte 300 Geco, PN."),
    ),
    t(
        "de",
        "Nachrichten: Razzia wegen FGC-9 in Bayern",
        p(
            "waldi",
            "",
            "Laut Polizei wurden bei einer Razzia in Bayern mehrere FGC-9 Teile und "
            "ein 3D-Drucker sichergestellt.",
        ),
        p(
            "modellbau_uwe",
            "",
            "Und jetzt reden wieder alle über eine Registrierung für Drucker...",
        ),
    ),
    t(
        "ar",
        "للبيع: مسدس غلوك 19 مع ذخيرة",
        p(
            "abu_saif",
            "firearm ammunition",
            "للبيع مسدس غلوك 19 نظيف مع مخزنين و50 طلقة عيار 9 ملم. التسليم باليد فقط.",
        ),
        p("rami_k", "", "كم السعر؟"),
        p("abu_saif", "", "راسلني على الخاص."),
    ),
    t(
        "ar",
        "أبحث عن ملفات FGC-9",
        p(
            "rami_k",
            "blueprints",
            "أبحث عن ملفات FGC-9 للطباعة ثلاثية الأبعاد مع دليل التجميع. أدفع بالعملات الرقمية.",
        ),
        p("abu_saif", "", "هذا الكلام ممنوع هنا يا أخي."),
    ),
    t(
        "ar",
        "مسدس ماء للأطفال – للبيع",
        p("umm_ali", "", "مسدس ماء كبير للأطفال، ألوان زاهية، استعمال خفيف."),
        p("rami_k", "", "هل ما زال متوفراً؟"),
    ),
    t(
        "ar",
        "خبر: ضبط ورشة لطباعة الأسلحة",
        p(
            "akhbar",
            "",
            "أعلنت الشرطة ضبط ورشة تستخدم طابعات ثلاثية الأبعاد لصنع أسلحة، وتمت "
            "مصادرة الطابعات والقطع.",
        ),
    ),
    t(
        "staff",
        "Moderator notes – do not index",
        p(
            "mod_kestrel",
            "",
            "Internal: list of banned vendors and open reports. Not for public indexing.",
        ),
        p("admin", "", "Updated the report queue."),
    ),
]


# --- one vendor on two sites ----------------------------------------------------
# GhostWorks sells on the market and, as gw_direct, on the classifieds site. The same
# PGP public key and Bitcoin address in both link them to one vendor; the pistol is
# posted on both sites, the second time under a new title with small edits (a
# near-duplicate); the ammunition listing shares the address but not the text. Fixed
# records with ids of their own (appended after edition 2's ids were given out).

GHOSTWORKS_KEY = """\
-----BEGIN PGP PUBLIC KEY BLOCK-----

xjMEaxa20RYJKwYBBAHaRw8BAQdA19BAhMw8GtoldaOjJMElQD4ZreHQe4UNdDo8
y/AV1t7NMkdob3N0V29ya3MgKG9yZGVycyBvbmx5KSA8Z2hvc3R3b3Jrc0BkZW1v
LmludmFsaWQ+woQEExYIACwFAmsWttECGwMCCwkCFQgCFgACHgEWIQQJQwCwX1Xt
FIPwT0vkCG2Un0XWTgAKCRDkCG2Un0XWTi4dAP9jOkJTU2t1VfpPRee7R6Af8n0Q
TRzND/9ofLCL4TDE0gD6A1xhQM2twEQrPcCOrPH3h7Y7z+viWJN7B+fPcVGAXQU=
=drV1
-----END PGP PUBLIC KEY BLOCK-----
"""
"""A real OpenPGP public key (Ed25519), made once with pgpy for the demo; its secret
key was never kept."""
GHOSTWORKS_BTC = "1Jzs8MPkgLSf1wTDQNxhLiPxpLFgtATvg9"
"""A checksum-valid address that no one holds: base58check of a hash of the demo's name."""

GHOSTWORKS_PISTOL = (
    "Glock 19 Gen 4 in 9x19, bought new two years ago, about 300 rounds through it, "
    "always cleaned after use. Comes with the original case, two 15 round magazines and "
    "a loader. No papers and no questions asked. Vacuum sealed and shipped in stealth "
    "packaging inside an electronics box, tracked, usually out within two working days. "
    "Escrow is fine, finalize early only for returning buyers. Encrypt your address "
    "with my key below, unencrypted messages get deleted."
)


def linked_records() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The vendor's classifieds and market records."""
    payment = f"Payment: BTC only, to {GHOSTWORKS_BTC}"
    market_pistol = {
        "id": "mk-0901",
        "site": "market",
        "category": "firearms",
        "lang": "en",
        "title": "Glock 19 Gen 4, two mags, tracked shipping",
        "text": f"{GHOSTWORKS_PISTOL}\n{payment}\n\n{GHOSTWORKS_KEY}",
        "price": 0.0196,
        "currency": "BTC",
        "price_xmr": 7.95,
        "seller": "GhostWorks",
        "ships_from": "United States",
        "ships_to": "Worldwide",
        "posted_at": "2025-10-02T19:20:00Z",
        "labels": ["firearm"],
        "attachments": [],
        "photos": 1,
    }
    reposted = GHOSTWORKS_PISTOL.replace("two working days", "three working days")
    classified_pistol = {
        "id": "cl-0901",
        "site": "classifieds",
        "category": "hunting",
        "lang": "en",
        "title": "G19 pistol + 2 magazines, ships tracked",
        "text": f"{reposted}\n{payment}\n\n{GHOSTWORKS_KEY}",
        "price": 1150.0,
        "currency": "USD",
        "seller": "gw_direct",
        "posted_at": "2025-10-29T08:45:00Z",
        "labels": ["firearm"],
        "attachments": [],
        "photos": 0,
        "markup": "plain",
    }
    ammunition = {
        "id": "cl-0902",
        "site": "classifieds",
        "category": "reloading",
        "lang": "en",
        "title": "Sellier & Bellot 9x19 FMJ, 1000 rounds",
        "text": "Sealed cases of Sellier & Bellot 9x19 FMJ 124 grain, 1000 rounds in 20 "
        "boxes of 50. Ships in plain packaging, no signature needed. Pay BTC to "
        f"{GHOSTWORKS_BTC} and send the transaction id with your address.",
        "price": 420.0,
        "currency": "USD",
        "seller": "gw_direct",
        "posted_at": "2025-11-03T16:10:00Z",
        "labels": ["ammunition"],
        "attachments": [],
        "photos": 0,
        "markup": "plain",
    }
    return [classified_pistol, ammunition], [market_pistol]


# --- generation ---------------------------------------------------------------


def labels_of(words: str) -> list[str]:
    order = ["firearm", "parts", "ammunition", "blueprints"]
    chosen = words.split()
    assert all(w in order for w in chosen), words
    return [w for w in order if w in chosen]


def attachments(files: tuple[str, ...]) -> list[dict[str, str]]:
    return [dict(zip(("name", "size"), f.split(":", 1), strict=True)) for f in files]


def slots(rng: random.Random, lang: str) -> dict[str, Any]:
    pistol, rifle = rng.choice(PISTOLS), rng.choice(RIFLES)
    return {
        "p": pistol[0],
        "pc": pistol[1],
        "r": rifle[0],
        "rc": rifle[1],
        "a": rng.choice(AMMO),
        "b": rng.choice(BRANDS),
        "q": rng.choice(QTY),
        "primer": rng.choice(PRIMERS),
        "powder": rng.choice(POWDERS),
        "blank": rng.choice(BLANKS),
        "city": rng.choice(CITIES.get(lang, CITIES["en"])),
    }


def fill(rng: random.Random, spec: Spec, lang: str, seen: set[str]) -> tuple[str, str]:
    """Title and text from fresh slot values, redrawn until the title is new."""
    for _ in range(50):
        values = slots(rng, lang)
        title = spec.title.format_map(values)
        if title not in seen:
            break
    seen.add(title)
    return title, spec.text.format_map(values)


def when(rng: random.Random, span_days: int = 105) -> datetime:
    return EPOCH + timedelta(minutes=rng.randrange(span_days * 24 * 60))


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:00Z")


def nice(amount: float) -> float:
    step = 10 if amount >= 200 else 5 if amount >= 50 else 1
    return float(max(step, round(amount / step) * step))


def classifieds(rng: random.Random) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for lang, specs in CLASSIFIEDS.items():
        for spec in specs:
            for _ in range(spec.n):
                title, text = fill(rng, spec, lang, seen)
                currency = {"en": rng.choice(["USD", "GBP"]), "pl": "PLN"}.get(lang, "EUR")
                price = None
                if spec.price:
                    price = nice(rng.uniform(*spec.price) * USD_PER_EUR[currency])
                records.append(
                    {
                        "site": "classifieds",
                        "category": spec.cat,
                        "lang": lang,
                        "title": title,
                        "text": text,
                        "price": price,
                        "currency": currency if price is not None else None,
                        "seller": rng.choice(HANDLES[lang]),
                        "posted_at": iso(when(rng)),
                        "labels": labels_of(spec.labels),
                        "attachments": attachments(spec.files),
                        "photos": rng.choice([0, 1, 1, 2, 3]),
                    }
                )
    rng.shuffle(records)
    for number, record in enumerate(records, 1):
        record["id"] = f"cl-{number:04d}"
        record["markup"] = (
            "semantic"
            if record["category"] == "outdoor"
            else "jsonld"
            if number % 3 == 0
            else "plain"
        )
    mark_hostile(records)
    records.append(
        {
            "id": f"cl-{len(records) + 1:04d}",
            "site": "classifieds",
            "category": "hunting",
            "lang": "en",
            "title": "Private draft – Glock 17 for trusted buyers",
            "text": "Unpublished draft, visible to staff only. Glock 17, no papers.",
            "price": 700.0,
            "currency": "GBP",
            "seller": "mike_tx",
            "posted_at": iso(when(rng)),
            "labels": ["firearm"],
            "attachments": [],
            "photos": 0,
            "markup": "plain",
            "robots_disallowed": True,
        }
    )
    return [order_keys(r) for r in records]


def mark_hostile(records: list[dict[str, Any]]) -> None:
    """Three pages that test a parser: unclosed tags, an injected script, 200 KB of text."""
    by_title = {r["title"]: r for r in records}
    by_title["Framing nail gun, pneumatic"]["markup"] = "broken"
    by_title["Glock switch – 3 pcs, fits Gen 3-5"]["inject_script"] = True
    by_title["PLA filament bundle – 10 kg, mixed colours"]["text_repeat"] = 3400


def market(rng: random.Random) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for spec in MARKET:
        lang, ships_from, ships_to = VENDORS[spec.vendor]
        for _ in range(spec.n):
            title, text = fill(rng, spec, lang, seen)
            usd = rng.uniform(*spec.price) if spec.price else 0.0
            records.append(
                {
                    "site": "market",
                    "category": spec.cat,
                    "lang": lang,
                    "title": title,
                    "text": text,
                    "price": round(usd / USD_PER_BTC, 6),
                    "currency": "BTC",
                    "price_xmr": round(usd / USD_PER_XMR, 2),
                    "seller": spec.vendor,
                    "ships_from": ships_from,
                    "ships_to": ships_to,
                    "posted_at": iso(when(rng)),
                    "labels": labels_of(spec.labels),
                    "attachments": attachments(spec.files),
                    "photos": 1,
                }
            )
    rng.shuffle(records)
    for number, record in enumerate(records, 1):
        record["id"] = f"mk-{number:04d}"
    records.append(
        {
            "id": f"mk-{len(records) + 1:04d}",
            "site": "market",
            "category": "parts",
            "lang": "en",
            "title": "Private listing – invite only: Glock switches x10",
            "text": "Invite-only listing for returning buyers. Ten metal Glock switches.",
            "price": 0.012,
            "currency": "BTC",
            "price_xmr": 4.9,
            "seller": "IronCurtain",
            "ships_from": "Czech Republic",
            "ships_to": "EU",
            "posted_at": iso(when(rng)),
            "labels": ["parts"],
            "attachments": [],
            "photos": 0,
            "robots_disallowed": True,
        }
    )
    return [order_keys(r) for r in records]


def forum(rng: random.Random) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    post_number = 1000
    for thread_number, thread in enumerate(FORUM, 101):
        _, lang = FORUM_BOARDS[thread.board]
        moment = when(rng)
        for order, (author, labels, text, files) in enumerate(thread.posts, 1):
            post_number += 1
            moment += timedelta(minutes=rng.randrange(20, 3000))
            record: dict[str, Any] = {
                "id": f"fo-{post_number}",
                "site": "forum",
                "board": thread.board,
                "thread": thread_number,
                "post": order,
                "lang": lang,
                "title": thread.title,
                "text": text,
                "price": None,
                "currency": None,
                "seller": author,
                "posted_at": iso(moment),
                "labels": labels_of(labels),
                "attachments": attachments(files),
            }
            if thread.board == "staff":
                record["robots_disallowed"] = True
            records.append(order_keys(record))
    return records


def edition2(classified: list[dict[str, Any]], sold: list[dict[str, Any]]) -> dict[str, Any]:
    """What changes between two crawls: 5 edits, 1 listing gone, 2 new ones."""
    by_title = {r["title"]: r for r in classified + sold}

    def pick(prefix: str) -> dict[str, Any]:
        return next(r for title, r in sorted(by_title.items()) if title.startswith(prefix))

    gun = next(r for r in classified if r["labels"] == ["firearm"] and r["lang"] == "en")
    switch = pick("Glock switch – 3 pcs")
    primers = pick("Zündhütchen")
    pack = pick("FGC-9 MKII complete file pack")
    scorpion = pick("Reactivated Vz. 61")
    pistol = next(
        r for r in sold if r["category"] == "firearms" and r["lang"] == "en" and r is not scorpion
    )
    changed = [
        {
            "id": gun["id"],
            "price": nice(gun["price"] * 0.85),
            "text": gun["text"] + " Price drop – must go this week.",
        },
        {"id": switch["id"], "price": nice(switch["price"] * 1.2)},
        {"id": primers["id"], "text": primers["text"] + " Nur noch 500 Stück übrig."},
        {
            "id": pack["id"],
            "price": round(pack["price"] * 0.8, 6),
            "price_xmr": round(pack["price_xmr"] * 0.8, 2),
            "text": pack["text"] + " Update: v3 files added, same price for returning buyers.",
        },
        {
            "id": pistol["id"],
            "price": round(pistol["price"] * 1.1, 6),
            "price_xmr": round(pistol["price_xmr"] * 1.1, 2),
        },
    ]
    added = [
        order_keys(
            {
                "id": f"cl-{len(classified) + 1:04d}",
                "site": "classifieds",
                "category": "hunting",
                "lang": "en",
                "title": "Glock 19 Gen 5, barely used, no papers",
                "text": "Glock 19 Gen 5, maybe 200 rounds through it. No papers, cash on "
                "collection in Leeds.",
                "price": 750.0,
                "currency": "GBP",
                "seller": "northshooter",
                "posted_at": "2025-11-20T18:05:00Z",
                "labels": ["firearm"],
                "attachments": [],
                "photos": 2,
                "markup": "jsonld",
            }
        ),
        order_keys(
            {
                "id": f"mk-{len(sold) + 1:04d}",
                "site": "market",
                "category": "digital",
                "lang": "en",
                "title": "Glock switch file pack v5 + printed samples",
                "text": "New v5 switch files (STL) and three printed samples shipped with the "
                "download link.",
                "price": 0.0015,
                "currency": "BTC",
                "price_xmr": 0.61,
                "seller": "PrintShop3D",
                "ships_from": "Digital",
                "ships_to": "Worldwide",
                "posted_at": "2025-11-20T21:40:00Z",
                "labels": ["parts", "blueprints"],
                "attachments": [{"name": "g_switch_v5.zip", "size": "1.2 MB"}],
                "photos": 1,
            }
        ),
    ]
    return {"changed": changed, "removed": [scorpion["id"]], "added": added}


KEY_ORDER = [
    "id",
    "site",
    "category",
    "board",
    "thread",
    "post",
    "lang",
    "title",
    "text",
    "price",
    "currency",
    "price_xmr",
    "seller",
    "ships_from",
    "ships_to",
    "posted_at",
    "labels",
    "attachments",
    "photos",
    "markup",
]


def order_keys(record: dict[str, Any]) -> dict[str, Any]:
    known = {k: record[k] for k in KEY_ORDER if k in record}
    return known | {k: v for k, v in record.items() if k not in known}


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    lines = (json.dumps(r, ensure_ascii=False, sort_keys=False) for r in records)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_all(out: Path) -> dict[str, int]:
    """Write every data file into `out`; returns the record count per site."""
    rng = random.Random(SEED)
    classified, sold, posts = classifieds(rng), market(rng), forum(rng)
    changes = edition2(classified, sold)
    linked_classified, linked_sold = linked_records()
    classified += [order_keys(r) for r in linked_classified]
    sold += [order_keys(r) for r in linked_sold]
    write_jsonl(out / "classifieds.jsonl", classified)
    write_jsonl(out / "market.jsonl", sold)
    write_jsonl(out / "forum.jsonl", posts)
    sections = {
        "classifieds": CLASSIFIED_CATEGORIES,
        "market": MARKET_CATEGORIES,
        "forum": {slug: name for slug, (name, _) in FORUM_BOARDS.items()},
    }
    for name, data in (("edition2.json", changes), ("sites.json", sections)):
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        (out / name).write_text(text, encoding="utf-8")
    return {"classifieds": len(classified), "market": len(sold), "forum": len(posts)}


if __name__ == "__main__":
    print(write_all(HERE))
