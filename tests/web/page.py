"""Reads an order status page the way the tests check it: its headline, steps, items, and the
``dt``/``dd`` pairs of its details and totals, as text, from the HTML the server sent."""

from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class Item:
    name: str = ""
    badge: str = ""
    note: str = ""


@dataclass
class Step:
    label: str
    progress: str
    current: bool


class OrderStatusPage(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.headline = ""
        self.steps: list[Step] = []
        self.items: list[Item] = []
        self.facts: dict[str, str] = {}
        self._open: list[tuple[str, set[str]]] = []
        self._term = ""
        self.feed(html)
        self.close()

    @property
    def current(self) -> list[str]:
        """The labels of the steps marked ``aria-current="step"``."""
        return [step.label for step in self.steps if step.current]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        classes = set(attributes.get("class", "").split())
        if tag == "br":
            self.handle_data(" ")
            return
        self._open.append((tag, classes))
        if tag == "li" and "step" in classes:
            progress = next(c.removeprefix("step-") for c in classes if c.startswith("step-"))
            self.steps.append(Step("", progress, attributes.get("aria-current") == "step"))
        elif tag == "li" and "item" in classes:
            self.items.append(Item())
        elif tag == "dt":
            self._term = ""

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        tags = [tag for tag, _ in self._open]
        classes = set().union(*(c for _, c in self._open)) if self._open else set()
        if "h1" in tags:
            self.headline = _join(self.headline, data)
        if "step-label" in classes:
            self.steps[-1].label = _join(self.steps[-1].label, data)
        for part, css in (("name", "item-name"), ("badge", "badge"), ("note", "item-note")):
            if css in classes:
                setattr(self.items[-1], part, _join(getattr(self.items[-1], part), data))
        if "dt" in tags:
            self._term = _join(self._term, data)
        elif "dd" in tags:
            self.facts[self._term] = _join(self.facts.get(self._term, ""), data)


def _join(before: str, data: str) -> str:
    return " ".join(f"{before} {data}".split())
