"""armswatch: watches online and darknet platforms for the trade in firearms,
parts, ammunition and 3D-printed gun files."""

__version__ = "0.1.0"

LABELS: tuple[str, ...] = ("firearm", "parts", "ammunition", "blueprints")
"""The four labels of the labeling guide, in their canonical order."""
