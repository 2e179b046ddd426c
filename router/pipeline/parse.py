"""Stage `parse` (once per new document): graphql-core's parser, bounded in tokens and nesting.

`max_tokens` stops the parser after that many lexical tokens, so a huge document is refused
after reading a bounded prefix of it. graphql-core's parser is recursive: a document nested
deeper than Python's recursion limit raises RecursionError, refused here as too deep.
"""

from __future__ import annotations

from graphql import GraphQLSyntaxError, parse

from router.pipeline.types import Document, RequestError, Source
from router.settings import RouterSettings


class Parse:
    def __init__(self, settings: RouterSettings) -> None:
        self.max_tokens = settings.max_tokens or None

    def __call__(self, source: Source) -> Document:
        try:
            document = parse(source.query, no_location=False, max_tokens=self.max_tokens)
        except GraphQLSyntaxError as error:
            if "Document contains more than" in error.message:
                raise RequestError(
                    f"The document has more than {self.max_tokens} tokens "
                    "(MOSAIC_ROUTER_MAX_TOKENS).",
                    "MAX_TOKENS_LIMIT",
                ) from None
            if "nested too deeply" in error.message:  # graphql-core's own recursion guard
                raise RequestError(
                    "The document nests too deeply to be parsed.", "MAX_DEPTH_LIMIT"
                ) from None
            raise RequestError(error.message, "GRAPHQL_PARSE_FAILED") from None
        except RecursionError:
            raise RequestError(
                "The document nests too deeply to be parsed.", "MAX_DEPTH_LIMIT"
            ) from None
        return Document(source=source, document=document)
