"""Posting as a page does: the hidden edit tokens a page carries are what a
browser sends back with the typed values (the tests' client, and the fault
scripts' browser)."""

import re

INPUT = re.compile(r"<input\b[^>]*>")
NAME = re.compile(r'name="([^"]*edit_token)"')
VALUE = re.compile(r'value="([^"]*)"')


def edit_tokens_in(page: str) -> dict:
    """{field name: value} of every edit token of a page's HTML."""
    tokens = {}
    for tag in INPUT.findall(page):
        name, value = NAME.search(tag), VALUE.search(tag)
        if name:
            tokens[name[1]] = value[1] if value else ""
    return tokens


def tokens_for(page: str, data) -> dict:
    """``data`` with the edit token of every form prefix it fills (the row of
    an indicator ``i12-…``, the whole form when fields have no prefix)."""
    prefixes = {name.rsplit("-", 1)[0] for name in data if "-" in name}
    chosen = {
        name: value
        for name, value in edit_tokens_in(page).items()
        if ("-" in name and name.rsplit("-", 1)[0] in prefixes) or ("-" not in name and name not in data)
    }
    return {**chosen, **data}


def with_tokens(client, url, data) -> dict:
    """``data`` as the page at ``url`` would post it (see tokens_for)."""
    return tokens_for(client.get(url).content.decode(), data)
