"""Annotators as real users of the server: accounts made through the invite link, named by their pseudonym.

Label Studio's community edition has no API that makes a usable account (`POST /api/users/` makes a user
with no password and no organisation) or issues another user's token, so a new annotator signs up the way a
person does, through the organisation's invite link: `add_annotator` fills that form with a generated
password, or `invite_url` hands the link to the person. Either way the pseudonym is in the map from the start
(`builder.annotate.annotators`), and `pseudonyms` resolves server user ids through it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from builder.annotate.annotators import AnnotatorMap
from builder.annotate.labelstudio.client import Client, Credentials
from builder.errors import DataInvalidError


@dataclass(frozen=True)
class Account:
    email: str
    password: str | None  # the generated one, to hand over once; None when a password was given
    credentials: Credentials  # the user's own token


def invite_url(client: Client) -> str:
    """The organisation's sign-up link: who opens it and signs up joins the project's organisation."""
    return client.url.rstrip("/") + client.get("api/invite")["invite_url"]


def has_account(client: Client, email: str) -> bool:
    return email.strip().lower() in {e.lower() for e in client.users().values()}


def add_annotator(client: Client, email: str, password: str | None = None) -> Account:
    """Sign up a user through the invite link (or sign in if it exists) and return its own legacy token.

    Without a password one is generated (and returned once, to hand to the person).
    """
    import httpx

    made = password or secrets.token_urlsafe(12)
    invite = client.get("api/invite")
    base = client.url.rstrip("/")
    with httpx.Client(base_url=base, timeout=client.timeout) as web:
        signup = f"/user/signup/?token={invite['token']}"
        web.get(signup)
        form = {"email": email, "password": made, "csrfmiddlewaretoken": web.cookies.get("csrftoken", "")}
        r = web.post(signup, data=form, headers={"Referer": base + signup})
        if r.status_code != 302:  # the form came back: the user exists already, so sign in
            web.get("/user/login/")
            form["csrfmiddlewaretoken"] = web.cookies.get("csrftoken", "")
            r = web.post("/user/login/", data=form, headers={"Referer": base + "/user/login/"})
            if r.status_code != 302:
                errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]{1,200})', r.text)
                raise DataInvalidError(f"could not sign up or sign in {email}: {errors or 'form rejected'}",
                                       where=base, fix="use a new email and a password of 8+ characters")
        token = web.get("/api/current-user/token").json()["token"]
    return Account(email, None if password else made, Credentials(client.creds.url, token, f"sign-up of {email}"))


def pseudonyms(client: Client, people: AnnotatorMap, user_ids: set[Any]) -> dict[Any, str]:
    """Server user id -> pseudonym for the users who made annotations; new people are added to the map."""
    emails = client.users()
    out: dict[Any, str] = {}
    for uid in user_ids:
        email = emails.get(int(uid)) if str(uid).isdigit() else None
        if email and "@" in email:
            out[uid] = people.add(email).id
    return out


def server_people(client: Client, people: AnnotatorMap) -> list[dict[str, Any]]:
    """Every account on the server with its pseudonym (None for one the map does not know yet)."""
    rows = []
    for uid, email in sorted(client.users().items()):
        person = people.by_email(email)
        rows.append({"server_user": uid, "email": email, "annotator": person.id if person else None,
                     "name": person.name if person else ""})
    return rows
