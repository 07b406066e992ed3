"""Read a page's forms the way a browser would submit them (for tests/test_cluster.py, which
talks to real servers over HTTP and has no test client to post a form by field names)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # as the browser sends them
    files: list[str] = field(default_factory=list)  # names of <input type=file>
    buttons: list[tuple[str, str | None, str | None]] = field(
        default_factory=list
    )  # text, name, value
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # select: (value, text)
    text: str = ""

    def has_button(self, text: str) -> bool:
        return any(text.lower() in b[0].lower() for b in self.buttons)

    def data(self, button: str | None = None, **values) -> list[tuple[str, str]]:
        """The fields (defaults, then ``values`` replacing them) and the clicked button's
        name/value; a select's value may be given by its option's text (``"text:..."``)."""
        out = [(k, v) for k, v in self.fields if k not in values]
        for name, value in values.items():
            if isinstance(value, str) and value.startswith("text:"):
                label = value[5:]
                value = next(v for v, t in self.options[name] if label in t)
            out.append((name, value))
        if button is not None:
            for text, name, value in self.buttons:
                if button.lower() in text.lower() and name:
                    out.append((name, value or ""))
                    break
        return out


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.option: list | None = None
        self.button: list | None = None
        self.selected_seen: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.form = Form(
                action=a.get("action", ""),
                method=a.get("method", "get").lower(),
                enctype=a.get("enctype", ""),
            )
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "file":
                self.form.files.append(name)
            elif kind in {"submit", "image"}:
                self.form.buttons.append((a.get("value", ""), name, a.get("value")))
            elif kind in {"checkbox", "radio"}:
                if name and "checked" in a:
                    self.form.fields.append((name, a.get("value", "on")))
            elif name:
                self.form.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self.form.fields.append((name, ""))
        elif tag == "select" and name:
            self.select = name
            self.form.options[name] = []
        elif tag == "option" and self.select:
            self.option = [a.get("value"), "", "selected" in a]
        elif tag == "button" and a.get("type", "submit") == "submit":
            self.button = ["", name, a.get("value")]

    def handle_data(self, data):
        if self.option is not None:
            self.option[1] += data
        if self.button is not None:
            self.button[0] += data
        if self.form is not None:
            self.form.text += data

    def handle_endtag(self, tag):
        if tag == "option" and self.option is not None and self.select:
            value, text, selected = self.option
            text = " ".join(text.split())
            value = text if value is None else value
            opts = self.form.options[self.select]
            opts.append((value, text))
            if selected or len(opts) == 1:
                self.form.fields = [(k, v) for k, v in self.form.fields if k != self.select]
                self.form.fields.append((self.select, value))
            self.option = None
        elif tag == "select":
            self.select = None
        elif tag == "button" and self.button is not None and self.form is not None:
            text, name, value = self.button
            self.form.buttons.append((" ".join(text.split()), name, value))
            self.button = None
        elif tag == "form":
            self.form = None


def forms(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    return parser.forms


def form_with(html: str, button: str) -> Form:
    """The form whose submit button's text contains ``button``."""
    found = [f for f in forms(html) if f.has_button(button)]
    if not found:
        texts = [b[0] for f in forms(html) for b in f.buttons]
        raise AssertionError(f"no form with a {button!r} button; buttons: {texts}")
    return found[0]


def action_url(page_url: str, form: Form) -> str:
    return urljoin(page_url, unescape(form.action)) if form.action else page_url


def links(html: str, pattern: str) -> list[str]:
    """The hrefs matching the regular expression ``pattern``, in page order."""
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html) if re.search(pattern, h)]
