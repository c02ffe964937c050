"""The fields of a page's forms as a browser would send them unchanged:
used by the concurrent-edit tests and the fault scripts, which post back
the pages they were shown, and by the view fuzzing, which also needs every
field a form could send (unchecked boxes, file inputs, the named buttons,
the options of each choice) and where it posts."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class FormDetail:
    """What a browser could send from one form, beyond its default values."""

    method: str
    action: str | None
    names: list[str] = field(default_factory=list)  # every named control, in page order, once each
    choices: dict[str, list[str]] = field(default_factory=dict)  # values offered: options, boxes, buttons
    files: list[str] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons (name, value)

    def offer(self, name, value=None):
        if name not in self.names:
            self.names.append(name)
        if value is not None and value not in self.choices.setdefault(name, []):
            self.choices[name].append(value)


class FormReader(HTMLParser):
    """The fields of every form of a page, as a browser sends them unchanged
    (``forms``), and what else each could send (``details``, same order)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.details, self._select, self._textarea = [], [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append([])
            self.details.append(FormDetail((attrs.get("method") or "get").lower(), attrs.get("action")))
        if not self.forms:
            return
        fields, detail, name = self.forms[-1], self.details[-1], attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "image") or kind in ("checkbox", "radio"):
                detail.offer(name, attrs.get("value", "on"))
            elif kind == "file":
                detail.offer(name)
                detail.files.append(name)
            elif kind not in ("button", "reset"):
                detail.offer(name, attrs.get("value") or None)
            if kind in ("submit", "button", "file", "reset", "image") or (
                kind in ("checkbox", "radio") and "checked" not in attrs
            ):
                if kind in ("submit", "image"):
                    detail.buttons.append((name, attrs.get("value", "")))
                return
            fields.append([name, attrs.get("value", "on" if kind in ("checkbox", "radio") else "")])
        elif tag == "button" and name and (attrs.get("type") or "submit").lower() == "submit":
            detail.offer(name, attrs.get("value", ""))
            detail.buttons.append((name, attrs.get("value", "")))
        elif tag == "textarea" and name:
            detail.offer(name)
            self._textarea = [name, ""]
            fields.append(self._textarea)
        elif tag == "select" and name:
            detail.offer(name)
            self._select = {"name": name, "first": None, "chosen": False}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            detail.offer(self._select["name"], value)
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                fields.append([self._select["name"], value])
                self._select["chosen"] = True

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            if self._textarea is not None and self._textarea[1].startswith("\n"):
                self._textarea[1] = self._textarea[1][1:]  # a browser drops the newline after <textarea>
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._select["chosen"] and self._select["first"] is not None and self.forms:
                self.forms[-1].append([self._select["name"], self._select["first"]])
            self._select = None


def form_with(page: str, field: str) -> list[list[str]] | None:
    reader = FormReader()
    reader.feed(page)
    return next((f for f in reader.forms if any(name == field for name, _value in f)), None)
