"""Annotators as people: a stable pseudonym per person, kept in a committed map, whatever server they used.

Canonical records, agreement tables and releases name an annotator `annotator-<n>`. An annotation tool knows
people by a server-local number (Label Studio's user id 2 on two servers is two different people), so each
tool adapter resolves its users by email through this map. The map holds the sha256 of each lower-cased email,
never the email, an optional display name and the account's kind: `person`, or `model` for an account a
program (a language model, a script) annotates with, so that a release can say which spans people made.
The map is `annotations/annotators.json` by default (`annotate.annotators`). Pseudonyms are never reused or
renumbered; a person seen for the first time gets the next number.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from builder.errors import ConfigError, InputError
from builder.jsonl import write_json

PREFIX = "annotator-"
KINDS = ("person", "model")
PSEUDONYM = re.compile(rf"^{PREFIX}[1-9][0-9]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
ABOUT = ("newsbench's annotator pseudonyms: records and releases carry the id, never the email (only its sha256 "
         "is kept here). Add people with `newsbench annotate annotators add EMAIL`; never renumber.")


def email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


@dataclass
class Annotator:
    id: str
    email_sha256: str
    name: str = ""
    added: str = ""
    kind: str = "person"  # one of KINDS

    @property
    def label(self) -> str:
        """How reports show the person: the pseudonym, with the display name when there is one."""
        return f"{self.id} ({self.name})" if self.name else self.id


class AnnotatorMap:
    """The pseudonym map of one project, read from and saved to `path`."""

    def __init__(self, path: Path, people: list[Annotator] | None = None) -> None:
        self.path = path
        self.people = people or []
        self.changed = False

    @classmethod
    def load(cls, path: Path) -> AnnotatorMap:
        if not path.is_file():
            return cls(path)
        try:
            body = orjson.loads(path.read_bytes())
            people = [Annotator(str(p["id"]), str(p["email_sha256"]), str(p.get("name") or ""),
                                str(p.get("added") or ""), str(p.get("kind") or "person")) for p in body["annotators"]]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(f"the annotator map cannot be read ({exc})", where=str(path),
                              fix="restore it from version control; it must hold {\"annotators\": [{\"id\", "
                                  "\"email_sha256\"}, ...]}")
        ids = [p.id for p in people]
        bad = [i for i in ids if not PSEUDONYM.match(i)] + [f"{p.id}: kind {p.kind}" for p in people
                                                             if p.kind not in KINDS]
        dupes = sorted({i for i in ids if ids.count(i) > 1} | {
            p.id for p in people if [q.email_sha256 for q in people].count(p.email_sha256) > 1})
        if bad or dupes:
            raise ConfigError(f"the annotator map has {'malformed ids ' + str(bad) if bad else ''}"
                              f"{' and ' if bad and dupes else ''}{'repeated ids or emails ' + str(dupes) if dupes else ''}",
                              where=str(path), fix=f"ids are {PREFIX}<n>, each person once; restore it from version "
                                                   "control")
        return cls(path, people)

    def by_email(self, email: str) -> Annotator | None:
        key = email_key(email)
        return next((p for p in self.people if p.email_sha256 == key), None)

    def by_id(self, pseudonym: str) -> Annotator | None:
        return next((p for p in self.people if p.id == pseudonym), None)

    @property
    def models(self) -> frozenset[str]:
        """The pseudonyms of accounts a program annotates with."""
        return frozenset(p.id for p in self.people if p.kind == "model")

    def add(self, email: str, name: str = "", kind: str | None = None) -> Annotator:
        """The person with this email, added with the next pseudonym when new (a given name or kind is kept)."""
        if kind is not None and kind not in KINDS:
            raise InputError(f"unknown annotator kind '{kind}'", fix=f"use one of {', '.join(KINDS)}")
        if not EMAIL.match(email.strip()):
            raise InputError(f"'{email}' is not an email address", fix="pass the address the person signs in with")
        found = self.by_email(email)
        if found is not None:
            if (name and name != found.name) or (kind and kind != found.kind):
                found.name, found.kind = name or found.name, kind or found.kind
                self.changed = True
            return found
        n = max((int(p.id[len(PREFIX):]) for p in self.people), default=0) + 1
        person = Annotator(f"{PREFIX}{n}", email_key(email), name, time.strftime("%Y-%m-%d", time.gmtime()),
                           kind or "person")
        self.people.append(person)
        self.changed = True
        return person

    def save(self) -> None:
        write_json(self.path, {"about": ABOUT, "annotators": [
            {"id": p.id, "email_sha256": p.email_sha256, **({"name": p.name} if p.name else {}),
             **({"added": p.added} if p.added else {}), **({"kind": p.kind} if p.kind != "person" else {})}
            for p in self.people]})
        self.changed = False
