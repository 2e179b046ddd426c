"""Fuzzing Mosaic's router over HTTP: malformed documents, broken JSON and random bytes.

Whatever arrives, the router answers (no connection drop), never with a 5xx, and always with
a JSON body: `data`, or GraphQL errors that each carry a message and an `extensions.code`.
Examples are derandomized so a failure reproduces; the failing input is printed.
"""

from __future__ import annotations

import re
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, queries

from tests.router.differential.cases import load_all
from tests.router.differential.harness import Differential

pytestmark = pytest.mark.peers

CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
SEEDS = [case.query for case in load_all() if not case.generated]
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=120,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="session")
def mosaic(sides: Differential) -> tuple[httpx.Client, str]:
    if sides.target != "mosaic":
        pytest.skip(f"the fuzz tests check Mosaic's error contract (target is {sides.target})")
    return sides.client, sides.candidate.endpoints["commerce"]


@pytest.fixture(scope="session")
def commerce_schema(sides: Differential) -> graphql.GraphQLSchema:
    reply = sides.client.post(
        sides.reference.endpoints["commerce"],
        json={"query": graphql.get_introspection_query()},
    )
    return graphql.build_client_schema(reply.json()["data"])


def check(reply: httpx.Response, sent: object) -> None:
    """The router's contract for any input."""
    where = f"for input {sent!r:.500}"
    assert reply.status_code < 500, f"HTTP {reply.status_code} {where}: {reply.text[:300]}"
    try:
        body: Any = reply.json()
    except ValueError:
        pytest.fail(f"HTTP {reply.status_code} with a non-JSON body {where}: {reply.text[:300]}")
    assert isinstance(body, dict), f"body is not an object {where}: {body!r:.300}"
    errors = body.get("errors")
    if body.get("data") is None:
        assert isinstance(errors, list) and errors, f"neither data nor errors {where}: {body}"
    for error in errors or []:
        assert isinstance(error, dict) and isinstance(error.get("message"), str), (
            f"malformed error {where}: {error!r}"
        )
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str) and CODE.match(code), f"error without a code {where}: {error}"


def post_raw(client: httpx.Client, url: str, content: bytes, content_type: str) -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    return client.post(url, content=content, headers=headers)


CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/graphql-response+json", "application/json; charset=utf-8",
     "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
)  # fmt: skip


@FUZZ
@given(content=st.binary(max_size=400), content_type=CONTENT_TYPES)
def test_random_bytes(mosaic: tuple[httpx.Client, str], content: bytes, content_type: str) -> None:
    client, url = mosaic
    check(post_raw(client, url, content, content_type), (content, content_type))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
BODIES = st.fixed_dictionaries(
    {},
    optional={
        "query": st.one_of(st.sampled_from(SEEDS), JSON_VALUES),
        "variables": JSON_VALUES,
        "operationName": st.one_of(st.none(), st.text(max_size=10), JSON_VALUES),
        "extensions": JSON_VALUES,
    },
)


@FUZZ
@given(body=st.one_of(BODIES, JSON_VALUES))
def test_json_of_the_wrong_shape(mosaic: tuple[httpx.Client, str], body: object) -> None:
    client, url = mosaic
    check(client.post(url, json=body), body)


@st.composite
def broken_documents(draw: st.DrawFn) -> str:
    """A hand-written query with a few random cuts, insertions and swaps."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 12)))
        action = draw(st.sampled_from(["cut", "insert", "truncate", "duplicate"]))
        if action == "cut":
            text = text[:i] + text[j:]
        elif action == "insert":
            junk = draw(st.text(alphabet='{}()[]:$@!.,"#\\\n ...on_aZ09é\x00', max_size=6))
            text = text[:i] + junk + text[i:]
        elif action == "truncate":
            text = text[:i]
        else:
            text = text[:j] + text[i:j] + text[j:]
    return text


@FUZZ
@given(document=broken_documents(), use_get=st.booleans())
def test_broken_documents(mosaic: tuple[httpx.Client, str], document: str, use_get: bool) -> None:
    client, url = mosaic
    if use_get:
        reply = client.get(url, params={"query": document})
    else:
        reply = client.post(url, json={"query": document})
    check(reply, document)


@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_invalid_documents_from_the_schema(
    mosaic: tuple[httpx.Client, str], commerce_schema: graphql.GraphQLSchema, data: st.DataObject
) -> None:
    client, url = mosaic
    document = data.draw(queries(commerce_schema, mode=Mode.NEGATIVE, allow_x00=False))
    check(client.post(url, json={"query": document}), document)


EXTREMES = {
    "deep-selection": "{" + "me {" * 3000 + "id" + "}" * 3001,
    "deep-list-literal": "{ topProducts(first: " + "[" * 3000 + "1" + "]" * 3000 + ") { upc } }",
    "many-aliases": "{" + " ".join(f"a{i}: shop {{ name }}" for i in range(3000)) + "}",
    "fragment-cycle": "{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }",
    "long-name": "{ " + "x" * 200_000 + " }",
    "nul-bytes": "{ me { id } }\x00\x00",
    "lone-surrogate": '{ topProducts { name } } # "\ud800"',
    "only-comment": "# nothing",
    "empty": "",
    "subscription": "subscription { me { id } }",
}


@pytest.mark.parametrize("name", list(EXTREMES))
def test_extreme_documents(mosaic: tuple[httpx.Client, str], name: str) -> None:
    client, url = mosaic
    document = EXTREMES[name]
    content = ('{"query": ' + _json_string(document) + "}").encode("utf-8", "surrogatepass")
    check(post_raw(client, url, content, "application/json"), name)


def test_deeply_nested_variables(mosaic: tuple[httpx.Client, str]) -> None:
    client, url = mosaic
    nested = '{"v":' * 5000 + "1" + "}" * 5000
    content = '{"query": "query ($v: Int) { shop { name } }", "variables": ' + nested + "}"
    check(post_raw(client, url, content.encode(), "application/json"), "deep variables")


def test_still_healthy_after_fuzzing(sides: Differential, mosaic: tuple[httpx.Client, str]) -> None:
    client, url = mosaic
    reply = client.post(url, json={"query": "{ shop { name } }"})
    assert reply.json() == {"data": {"shop": {"name": "Mosaic Shop"}}}


def _json_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\x00", "\\u0000") + '"'
