"""Annotators as real users of the server: sign-up through the organisation's invite link, own token.

Label Studio's community edition has no API to issue another user's token, so a new annotator signs up the
way a person does (the invite link's web form), and the token is read from that user's own session.
"""

from __future__ import annotations

import re

from builder.errors import DataInvalidError
from builder.annotate.labelstudio.client import Client, Credentials


def add_annotator(client: Client, email: str, password: str) -> Credentials:
    """Create a user through the invite link (or sign in if it exists) and return its own legacy token."""
    import httpx

    invite = client.get("api/invite")
    base = client.url.rstrip("/")
    with httpx.Client(base_url=base, timeout=client.timeout) as web:
        signup = f"/user/signup/?token={invite['token']}"
        web.get(signup)
        form = {"email": email, "password": password, "csrfmiddlewaretoken": web.cookies.get("csrftoken", "")}
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
    return Credentials(client.creds.url, token, f"sign-up of {email}")
