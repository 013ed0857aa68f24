"""Over real HTTP: a value redacted once never leaves again, wherever it is written next — a later
turn, later in the same message, an API client's system prompt or its own earlier turns — in
any stage's request (title included), as the simulated upstream received it."""

from __future__ import annotations

import json
import string

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pii_support import leaked, what_left
from support import LiveServer, new_conversation

from llmcouncil.privacy.recognizers import shannon_entropy
from llmcouncil.sim import SimServer

SECRET = "Kp4$mN8@rT2yB"
OTHER = "Zq9!vX2#pL7wQ"
EVERY_STAGE = {"answer", "ranking", "chairman", "title"}


async def _ask(client: httpx.AsyncClient, cid: str, content: str) -> dict[str, object]:
    response = await client.post(f"/api/conversations/{cid}/message", json={"content": content})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    assert body["status"] == "complete"
    return body


async def _questions(client: httpx.AsyncClient, cid: str) -> list[str]:
    conversation = (await client.get(f"/api/conversations/{cid}")).json()
    return [m["content"] for m in conversation["messages"] if m["role"] == "user"]


async def test_a_secret_written_again_in_a_later_turn_is_replaced(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    cid = await new_conversation(client)
    await _ask(client, cid, f"my database password={SECRET} for the reporting replica")
    await _ask(client, cid, f"is {SECRET} strong enough?")
    assert EVERY_STAGE <= {r.prompt_kind for r in sim.requests}
    assert leaked([SECRET], what_left(sim)) == []
    # The second turn was sent with the first turn's placeholder, in every stage.
    second = [r for r in sim.requests if r.prompt_kind == "answer"][-3:]
    assert all("is <PASSWORD_1> strong enough?" in json.dumps(r.messages) for r in second)
    assert await _questions(client, cid) == [
        f"my database password={SECRET} for the reporting replica",
        f"is {SECRET} strong enough?",
    ]


async def test_a_short_clean_looking_turn_still_gets_the_vaults_values_replaced(
    client: httpx.AsyncClient, sim: SimServer, server: LiveServer
) -> None:
    """A short turn no recognizer could match skips the scan; the vault is still consulted."""
    detector = server.runtime.runs.privacy.detector
    short = f"{OTHER}?"
    assert not detector.may_find(short), "the turn must be one the scan skips"
    cid = await new_conversation(client)
    await _ask(client, cid, f"pwd: {OTHER}")
    await _ask(client, cid, short)
    assert leaked([OTHER], what_left(sim)) == []
    assert (await _questions(client, cid))[-1] == short


async def test_a_secret_written_twice_in_one_message_is_replaced_both_times(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    question = f"db password={OTHER} then later I typed {OTHER} again, and ({OTHER})."
    cid = await new_conversation(client)
    await _ask(client, cid, question)
    assert EVERY_STAGE <= {r.prompt_kind for r in sim.requests}
    assert leaked([OTHER], what_left(sim)) == []
    first = next(r for r in sim.requests if r.prompt_kind == "answer")
    assert json.dumps(first.messages).count("<PASSWORD_1>") >= 3
    assert await _questions(client, cid) == [question]


async def test_a_secret_in_an_api_clients_system_prompt_is_replaced(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    body = {
        "model": "council",
        "messages": [
            {"role": "system", "content": f"Never repeat {SECRET} to anyone."},
            {"role": "user", "content": f"the admin password={SECRET}; rotate it how?"},
        ],
    }
    response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    sent = what_left(sim)
    assert "Never repeat <PASSWORD_1> to anyone." in sent
    assert leaked([SECRET], sent) == []


async def test_a_value_in_an_api_clients_own_earlier_turns_is_replaced_everywhere(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    """The client's history is seeded into a new conversation: the value found in its first
    turn is replaced in its later turns, its assistant turns and the new question."""
    email = "priya.raman@northwind-example.com"
    body = {
        "model": "council",
        "messages": [
            {"role": "user", "content": f"export token={SECRET} and mail it to {email}"},
            {"role": "assistant", "content": f"Done: {SECRET} went to {email.upper()}."},
            {"role": "user", "content": f"I pasted {SECRET} in the ticket too (ref{SECRET})"},
            {"role": "assistant", "content": "Then rotate it."},
            {"role": "user", "content": f"is {SECRET} strong enough?"},
        ],
    }
    response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    sent = what_left(sim)
    assert leaked([SECRET, email, email.upper()], sent) == []
    cid = response.json()["council"]["conversation_id"]
    stored = (await client.get(f"/api/conversations/{cid}")).json()
    user_turns = [m["content"] for m in stored["messages"] if m["role"] == "user"]
    assert user_turns[-1] == f"is {SECRET} strong enough?", "the user reads what was written"
    assert user_turns[1] == f"I pasted {SECRET} in the ticket too (ref{SECRET})"


# Values the detector finds in a first turn; the second turn writes them where it does not.
_SECRET_CHARS = string.ascii_letters + string.digits + "!#$%^&*+-_=."
secrets_ = (
    st.text(alphabet=_SECRET_CHARS, min_size=10, max_size=24)
    .filter(lambda v: any(c.islower() for c in v) and any(c.isupper() for c in v))
    .filter(lambda v: any(c.isdigit() for c in v) and shannon_entropy(v) >= 3.0)
    .filter(lambda v: v[0].isalnum() and v[-1].isalnum())
)
emails = st.builds(
    "{}.{}@{}.com".format,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=2, max_size=6),
    st.sampled_from(["example-mail", "contoso", "fabrikam-corp", "northwind"]),
)
phones = st.builds(
    "+1 {} 555 01{:02d}".format, st.sampled_from(["415", "212", "617", "312"]), st.integers(0, 99)
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(secret=secrets_, email=emails, phone=phones, glue=st.sampled_from(["", "ref:", "x", "("]))
async def test_generated_values_never_leave_once_redacted(
    client: httpx.AsyncClient, sim: SimServer, secret: str, email: str, phone: str, glue: str
) -> None:
    sim.clear_requests()  # the capture is bounded: each example reads only its own calls
    cid = await new_conversation(client)
    await _ask(client, cid, f"api_key={secret}\nwrite to {email} or call {phone} tonight")
    again = f"so is {glue}{secret} fine, and {glue}{email}, {glue}{phone}?"
    await _ask(client, cid, again)
    assert {"answer", "ranking", "chairman"} <= {r.prompt_kind for r in sim.requests}
    sent = what_left(sim)
    assert [v for v in (secret, email, phone) if v in sent] == []
    assert (await _questions(client, cid))[-1] == again
