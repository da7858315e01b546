"""What one crawl process shares between its spiders and pipelines.

Several sources crawl in one process; they must share one store connection
(SQLite allows one writer) and one loaded classifier. The runtime is handed
to each spider as a spider argument, and pipelines reach it through
`crawler.spider.runtime`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from armswatch.config import Config
from armswatch.evidence import RawArchive
from armswatch.stores import Store, open_store
from classifiers import Classifier, load_classifier


@dataclass
class Runtime:
    config: Config
    store: Store
    classifier: Classifier
    archive: RawArchive

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    @classmethod
    def open(cls, config: Config) -> Runtime:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        classifier = load_classifier(config)  # first: a failure then leaves no store open
        return cls(
            config=config,
            store=open_store(config),
            classifier=classifier,
            archive=RawArchive(config.data_dir / "raw"),
        )

    def close(self) -> None:
        self.store.close()
