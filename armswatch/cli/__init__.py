"""The `armswatch` command line."""

from __future__ import annotations

import click

from armswatch import __version__
from armswatch.cli.alerts import alerts_group
from armswatch.cli.audit import audit_group
from armswatch.cli.classify import classify
from armswatch.cli.configcmd import config_group
from armswatch.cli.context import common_options
from armswatch.cli.crawl import crawl, demo
from armswatch.cli.entities import entities
from armswatch.cli.evidence import evidence
from armswatch.cli.export import export_group
from armswatch.cli.index import index_group
from armswatch.cli.model import evaluate, model_group, train
from armswatch.cli.query import search, show, sources
from armswatch.cli.review import review_group
from armswatch.cli.schedule import run_now, runs, schedule_group
from armswatch.cli.user import user_group
from armswatch.cli.vendors import link, vendor, vendors
from armswatch.cli.workers import workers


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="armswatch")
@common_options
def cli() -> None:
    """armswatch: crawl marketplaces, forums and file-sharing sites, flag listings of
    firearms, parts, ammunition and gun files, and search them.

    Exit codes: 0 ok, 1 a crawl was incomplete (or alerts are still pending), 2 bad
    configuration or usage, 3 not found, 4 the store is unavailable, 5 malformed
    input lines, 6 kept evidence does not match its manifest, or the audit log's chain is
    broken.
    """


for command in (
    crawl,
    demo,
    search,
    show,
    evidence,
    export_group,
    sources,
    classify,
    entities,
    link,
    vendors,
    vendor,
    train,
    evaluate,
    model_group,
    review_group,
    index_group,
    schedule_group,
    runs,
    run_now,
    workers,
    alerts_group,
    config_group,
    user_group,
    audit_group,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="armswatch")
