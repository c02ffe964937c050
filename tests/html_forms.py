"""The fields of a page's forms as a browser would send them unchanged:
used by the concurrent-edit tests and the fault scripts, which post back
the pages they were shown."""

from html.parser import HTMLParser


class FormReader(HTMLParser):
    """The fields of every POST form of a page, as a browser sends them unchanged."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._select, self._textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append([])
        if not self.forms:
            return
        fields, name = self.forms[-1], attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "reset", "image") or (
                kind in ("checkbox", "radio") and "checked" not in attrs
            ):
                return
            fields.append([name, attrs.get("value", "on" if kind in ("checkbox", "radio") else "")])
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
            fields.append(self._textarea)
        elif tag == "select" and name:
            self._select = {"name": name, "first": None, "chosen": False}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
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
