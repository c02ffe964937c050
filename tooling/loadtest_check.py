"""The verdict of the load test (issue 8, « No data lost »): every write the
server acknowledged during the run, as the locustfile logged it, compared
with the database; and the locust figures.

- A declaration's last acknowledged value (per indicator and year) must be
  the stored one, with a status that can follow the acknowledged one.
  A different stored value is *lost*, unless a later attempt whose answer
  never came (a 5xx, a timeout, the end of the run) wrote exactly it: that
  one is *unconfirmed*, reported but not a loss.
- A validation the server acknowledged must still be validated (it is final).
- Commitments are edited under optimistic locking (the edit token: the id
  of the commitment's latest history record): two acknowledged saves from
  the same token are a lost update; the acknowledged save from the highest
  token must be the stored content, written by the one save right after it
  (same exception as above).
- One declaration per indicator and year, and one creation event per
  declaration: anything more is *duplicated*.

Pure functions over plain data, so that the checker itself is tested; the
command ``check_loadtest`` feeds them from the log files, the database and
the locust CSV files."""

import csv
import glob
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

# What the status of a declaration may have become after the acknowledged
# action: a save keeps a draft a draft and a sent-back value sent back; a
# submission may since have been validated or sent back by the ARS.
FOLLOWING = {
    "brouillon": {"brouillon", "renvoyee"},
    "soumise": {"soumise", "validee", "renvoyee"},
}
SERVER_ERROR = re.compile(r"\b5\d\d\b")
LOGIN = "/connexion/"


@dataclass
class Report:
    requests: int = 0
    requests_per_second: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    steady: dict = field(default_factory=dict)
    logins: dict = field(default_factory=dict)
    errors: int = 0
    server_errors: int = 0
    acknowledged: int = 0
    checked: int = 0
    lost: list = field(default_factory=list)
    duplicated: list = field(default_factory=list)
    unconfirmed: list = field(default_factory=list)

    @property
    def ran(self):
        """A run without a request or an acknowledged write proves nothing."""
        return self.requests > 0 and self.acknowledged > 0

    @property
    def ok(self):
        return not self.lost and not self.duplicated and not self.server_errors

    def lines(self):
        yield f"requests      {self.requests}"
        yield f"requests/s    {self.requests_per_second:.1f}"
        yield f"p50           {self.p50:.0f} ms"
        yield f"p95           {self.p95:.0f} ms"
        if self.steady:
            yield (
                f"  without the logins: {self.steady['requests']} requests, {self.steady['rps']:.1f} requests/s, "
                f"p50 {self.steady['p50']:.0f} ms, p95 {self.steady['p95']:.0f} ms"
            )
        if self.logins:
            yield (
                f"logins before the window: {self.logins['count']} in {self.logins['seconds']:.0f} s, "
                f"p50 {self.logins['p50']:.0f} ms, p95 {self.logins['p95']:.0f} ms"
            )
        yield f"errors        {self.errors} (5xx: {self.server_errors})"
        yield f"acknowledged  {self.acknowledged} writes ({self.checked} final values and decisions checked)"
        yield f"lost          {len(self.lost)}"
        yield f"duplicated    {len(self.duplicated)}"
        yield f"unconfirmed   {len(self.unconfirmed)} (written by a request whose answer never came)"
        for label, problems in (("LOST", self.lost), ("DUPLICATED", self.duplicated)):
            for problem in problems[:20]:
                yield f"  {label}: {problem}"


def read_log(paths):
    """The JSON lines of the log files, in the order each process wrote them."""
    events = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            events.extend(json.loads(line) for line in handle if line.strip())
    return sorted(events, key=lambda e: (e.get("at", 0), e.get("seq", 0)))


def log_files(prefix):
    return sorted(glob.glob(f"{glob.escape(str(prefix))}.*"))


def _number(raw):
    try:
        return Decimal(str(raw))
    except (InvalidOperation, TypeError):
        return None


def _last_acknowledged(events, kind, key):
    """Per key, the last acknowledged event and the values of the attempts
    that came after it without an answer."""
    last, pending = {}, defaultdict(list)
    for event in events:
        if event.get("kind") != kind:
            continue
        k = key(event)
        if event["event"] == "attempt":
            pending[k].append(event)
        elif event["event"] == "ack":
            last[k] = event
            pending[k] = []
        elif event["event"] == "refused":
            pending[k] = [p for p in pending[k] if not _same_attempt(p, event)]
    return last, pending


def _same_attempt(attempt, answer):
    return all(attempt.get(name) == answer.get(name) for name in ("user", "value", "objective", "base_version"))


def check_declarations(events, rows, report):
    """``rows``: {(indicator, year): [(value, status), …]} from the database."""
    last, pending = _last_acknowledged(events, "declaration", lambda e: (e["indicator"], e["year"]))
    report.acknowledged += sum(1 for e in events if e.get("kind") == "declaration" and e["event"] == "ack")
    for key, ack in last.items():
        report.checked += 1
        stored = rows.get(key, [])
        expected = _number(ack["value"])
        described = f"indicator {key[0]} year {key[1]}: acknowledged {ack['value']} ({ack['status']})"
        if not stored:
            report.lost.append(f"{described}, nothing stored")
            continue
        value, status = stored[0]
        if value == expected and status in FOLLOWING.get(ack["status"], {status}):
            continue
        if any(_number(p["value"]) == value for p in pending.get(key, [])):
            report.unconfirmed.append(f"{described}, stored {value} ({status}) by an unanswered request")
            continue
        report.lost.append(f"{described}, stored {value} ({status})")


def check_decisions(events, statuses, report):
    """``statuses``: {declaration pk: status}. A validation is final."""
    for event in events:
        if event.get("kind") == "decision" and event["event"] == "ack":
            report.acknowledged += 1
            report.checked += 1
            if event["decision"] == "validee" and statuses.get(event["declaration"]) != "validee":
                report.lost.append(
                    f"declaration {event['declaration']}: validation acknowledged, "
                    f"stored {statuses.get(event['declaration'], 'nothing')}"
                )


def check_commitments(events, rows, report):
    """``rows``: {commitment pk: (ids of its history records, objective)}."""
    acks = [e for e in events if e.get("kind") == "commitment" and e["event"] == "ack"]
    report.acknowledged += len(acks)
    report.checked += len(acks)
    seen = {}
    for ack in acks:
        key = (ack["commitment"], ack["base_token"])
        if key in seen:
            report.lost.append(
                f"commitment {key[0]}: two saves acknowledged from token {key[1]} "
                f"({seen[key]['user']}, {ack['user']}): one overwrote the other"
            )
        seen[key] = ack
    latest = {}
    for ack in acks:
        if ack["base_token"] >= latest.get(ack["commitment"], {"base_token": -1})["base_token"]:
            latest[ack["commitment"]] = ack
    for pk, ack in latest.items():
        history, objective = rows.get(pk, ((), None))
        after = [record for record in history if record > ack["base_token"]]
        if len(after) == 1 and objective == ack["objective"]:
            continue
        later = [
            e
            for e in events
            if e.get("kind") == "commitment"
            and e["event"] == "attempt"
            and e["commitment"] == pk
            and e["base_token"] > ack["base_token"]
        ]
        if len(after) > 1 and any(e["objective"] == objective for e in later):
            report.unconfirmed.append(f"commitment {pk}: token {after[-1]} written by an unanswered request")
            continue
        report.lost.append(
            f"commitment {pk}: save acknowledged from token {ack['base_token']}, "
            f"{len(after)} saves stored after it (latest {after[-1] if after else None})"
        )


def check_duplicates(declaration_keys, creation_events, report):
    """``declaration_keys``: [(pk, indicator, year)]; ``creation_events``:
    {declaration pk: number of « created as draft » events}."""
    by_key = defaultdict(list)
    for pk, indicator, year in declaration_keys:
        by_key[(indicator, year)].append(pk)
    for (indicator, year), pks in sorted(by_key.items()):
        if len(pks) > 1:
            report.duplicated.append(f"indicator {indicator} year {year}: {len(pks)} declarations {sorted(pks)}")
    for pk, count in sorted(creation_events.items()):
        if count > 1:
            report.duplicated.append(f"declaration {pk}: created {count} times")


def percentile(values, share):
    """The nearest-rank percentile (locust's own figures are rounded)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _figures(requests):
    if not requests:
        return {"requests": 0, "rps": 0.0, "p50": 0.0, "p95": 0.0}
    span = max(r["at"] for r in requests) - min(r["at"] - r["ms"] / 1000 for r in requests)
    times = [r["ms"] for r in requests]
    return {
        "requests": len(requests),
        "rps": len(requests) / span if span > 0 else 0.0,
        "p50": percentile(times, 0.50),
        "p95": percentile(times, 0.95),
    }


def read_figures(events, report):
    """Requests/s, p50, p95 and errors from the requests the locustfile logged;
    the same without the logins."""
    requests = [e for e in events if e.get("kind") == "request"]
    figures = _figures(requests)
    report.requests, report.requests_per_second = figures["requests"], figures["rps"]
    report.p50, report.p95 = figures["p50"], figures["p95"]
    report.steady = _figures([r for r in requests if not r["name"].startswith(LOGIN)])
    report.errors = sum(1 for r in requests if r["failed"] or r["status"] >= 400 or r["status"] == 0)
    logins = [e["ms"] for e in events if e.get("kind") == "login"]
    if logins:
        seconds = sum(e["seconds"] for e in events if e.get("kind") == "logins")
        report.logins = {
            "count": len(logins),
            "seconds": seconds,
            "p50": percentile(logins, 0.50),
            "p95": percentile(logins, 0.95),
        }
    report.server_errors = sum(1 for r in requests if r["status"] >= 500)


def read_failures(prefix, report):
    """Locust's own count of failures (--csv), as a cross-check."""
    failures = Path(f"{prefix}_failures.csv")
    if not failures.exists():
        return
    with failures.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    report.errors = max(report.errors, sum(int(row["Occurrences"]) for row in rows))
    server = sum(int(row["Occurrences"]) for row in rows if SERVER_ERROR.search(row["Error"]))
    report.server_errors = max(report.server_errors, server)
