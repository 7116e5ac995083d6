"""Reading ``GET /metrics`` as a test would read a dashboard."""

from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    """One scrape's samples: ``(name, labels)`` → value."""

    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]

    def value(self, name: str, **labels: str) -> float:
        """The sample with exactly these labels; 0 when it is not there (yet)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def label_values(self, label: str) -> set[str]:
        return {v for _, labels in self.samples for k, v in labels if k == label}


def parse(text: str) -> Scrape:
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return Scrape(samples)


async def scrape(client: httpx.AsyncClient) -> Scrape:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)
