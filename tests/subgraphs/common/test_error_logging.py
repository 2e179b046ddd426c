"""Client errors are one log line without a traceback; only unexpected errors log one."""

from __future__ import annotations

import logging

import pytest
import strawberry

from subgraphs.common.errors import (
    BadUserInput,
    CodedErrors,
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
)
from subgraphs.common.schema import SubgraphSchema

CLIENT_ERRORS = {
    "badInput": BadUserInput("title must not be empty"),
    "forbidden": Forbidden("only the owner can do this"),
    "conflict": Conflict("the task changed meanwhile"),
    "unauthenticated": Unauthenticated("sign in first"),
    "notFound": NotFound("no such task"),
}


def _raiser(error: Exception) -> object:
    def resolve() -> str:
        raise error

    return strawberry.field(resolver=resolve)


Query = strawberry.type(
    type(
        "Query",
        (),
        {
            "__annotations__": {name: str for name in [*CLIENT_ERRORS, "broken"]},
            **{name: _raiser(error) for name, error in CLIENT_ERRORS.items()},
            "broken": _raiser(ZeroDivisionError("a bug")),
        },
    )
)
schema = SubgraphSchema(query=Query, extensions=[CodedErrors])


@pytest.mark.parametrize("field", list(CLIENT_ERRORS))
async def test_a_client_error_is_one_line_without_traceback(
    field: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    result = await schema.execute(f"{{ {field} }}")
    assert result.errors is not None
    code = CLIENT_ERRORS[field].extensions["code"]
    assert result.errors[0].extensions == {"code": code}
    assert len(caplog.records) == 1, caplog.records
    record = caplog.records[0]
    assert record.exc_info is None and record.levelno < logging.WARNING
    assert record.getMessage() == f"{code} at {field}: {CLIENT_ERRORS[field].message}"
    assert "Traceback" not in caplog.text


async def test_a_bad_document_is_one_line_too(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    result = await schema.execute("{ nope }")
    assert result.errors is not None and result.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    assert [r.exc_info for r in caplog.records] == [None]
    assert caplog.records[0].getMessage().startswith("BAD_USER_INPUT at the document: ")


async def test_an_unexpected_error_logs_its_traceback_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    result = await schema.execute("{ broken }")
    assert result.errors is not None
    assert result.errors[0].message == "Internal server error"  # nothing leaks to the client
    assert result.errors[0].extensions == {"code": "INTERNAL_SERVER_ERROR"}
    assert len(caplog.records) == 1
    record = caplog.records[0]
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert record.exc_info[0] is ZeroDivisionError
    assert "Traceback" in caplog.text and "a bug" in caplog.text
