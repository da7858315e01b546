"""Exports for people outside armswatch: CSV, JSON Lines and STIX 2.1 files of
listings, and case evidence packages for prosecutors and partner agencies."""

from armswatch.export.formats import FORMATS, write_export
from armswatch.export.package import (
    PackageError,
    PackageReport,
    verify_package,
    write_case_package,
)
from armswatch.export.stix import stix_bundle, write_stix
from armswatch.export.tabular import write_csv, write_jsonl

__all__ = [
    "FORMATS",
    "PackageError",
    "PackageReport",
    "stix_bundle",
    "verify_package",
    "write_case_package",
    "write_csv",
    "write_export",
    "write_jsonl",
    "write_stix",
]
