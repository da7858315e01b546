"""`armswatch entities`: the leads in listings from a JSON Lines file, in order."""

from __future__ import annotations

import json
from typing import IO

import click

from armswatch.cli.context import common_options, progress_bar
from armswatch.cli.jsonl_input import JsonlInput, input_and_output
from armswatch.entities import extract


@click.command()
@input_and_output
@common_options
def entities(input_file: IO[str], output: IO[str]) -> None:
    """Extract the leads in the listings of INPUT.jsonl ('-' for standard input).

    Each input line is a JSON object with 'id', 'title' and 'text', and
    optionally 'country' (where the source is, e.g. "DE": phone numbers
    written without a country code are read as that country's). Each output
    line has 'id' and 'entities': crypto addresses (btc, eth, xmr, ltc; only
    with a valid checksum), PGP keys and fingerprints, e-mails, phones (E.164),
    onions, messenger handles, file hosts, files, calibers, makes and models,
    ships-from and ships-to countries (ISO codes) and prices, in input order.
    Malformed lines are reported with their number and skipped; the exit code
    is then 5.
    """
    listings = JsonlInput(input_file, optional=("country",))
    with progress_bar() as progress:
        for listing in listings.listings(progress, "extracting"):
            found = extract(listing.title, listing.text, country=listing.extra["country"])
            line = {"id": listing.id, "entities": found.to_json()}
            output.write(json.dumps(line, ensure_ascii=False) + "\n")
    listings.exit_if_bad()
