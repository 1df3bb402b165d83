"""Read the report tables and links of built pages (stdlib HTML parser, no site code)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables: dict[str, dict] = {}
        self.links: list[str] = []
        self.srcs: list[str] = []
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag in ("script", "link", "img") and (a.get("src") or (tag == "link" and a.get("href"))):
            self.srcs.append(a.get("src") or a.get("href"))
        if tag == "table" and a.get("id", "").startswith("t-"):
            self._table = {"labels": [], "rows": []}
            self.tables[a["id"][2:]] = self._table
        elif self._table is not None:
            if tag == "tr":
                self._row = {"label": "", "texts": [], "href": None, "header": False}
            elif tag in ("th", "td") and self._row is not None:
                self._cell = {"tag": tag, "text": "", "scope": a.get("scope")}
            elif tag == "a" and self._row is not None:
                self._row["href"] = a.get("href")

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data

    def handle_endtag(self, tag):
        if self._table is None:
            return
        if tag in ("th", "td") and self._cell is not None and self._row is not None:
            c = self._cell
            if c["tag"] == "th" and c["scope"] == "col":
                self._table["labels"].append(c["text"].strip())
                self._row["header"] = True
            elif c["tag"] == "th":
                self._row["label"] = c["text"].strip()
            else:
                self._row["texts"].append(c["text"].strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if not self._row["header"]:
                self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def parse(html: str) -> _Tables:
    p = _Tables()
    p.feed(html)
    return p
