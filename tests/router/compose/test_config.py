"""supergraph.yaml: Rover's format, env expansion, and the three ways to get an SDL."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.compose.config import ConfigError, expand_env, load_config, parse_config, sources
from router.compose.output import compose_config
from tests.router.compose import sample_subgraphs
from tests.router.compose.live_subgraph import SwitchableApp, serve


def test_env_expansion_with_and_without_default() -> None:
    env = {"HOST": "users.internal"}
    text = "url: http://${env.HOST}:${env.PORT:-4001}/graphql"
    assert expand_env(text, env) == "url: http://users.internal:4001/graphql"
    with pytest.raises(ConfigError, match="PORT"):
        expand_env("${env.PORT}", env)


def test_file_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "users.graphql").write_text(sample_subgraphs.users.as_str())
    config_path = tmp_path / "supergraph.yaml"
    config_path.write_text(
        "federation_version: =2.11.0\n"
        "subgraphs:\n"
        "  users:\n"
        "    routing_url: http://${env.USERS_HOST:-localhost}:4001/graphql\n"
        "    schema:\n"
        "      file: ./schemas/users.graphql\n"
        "  inline:\n"
        "    routing_url: http://localhost:4999/graphql\n"
        "    schema:\n"
        '      sdl: "type Query { ping: Boolean }"\n'
    )
    config = load_config(config_path, {})
    assert config.federation_version == "=2.11.0"
    assert [s.routing_url for s in config.subgraphs] == [
        "http://localhost:4001/graphql",
        "http://localhost:4999/graphql",
    ]
    result = compose_config(config)
    assert result.supergraph_sdl is not None, result.errors
    assert 'INLINE @join__graph(name: "inline", url: "http://localhost:4999/graphql")' in (
        result.supergraph_sdl
    )
    assert "ping: Boolean" in result.supergraph_sdl


@pytest.mark.parametrize(
    "body, message",
    [
        ("subgraphs:\n  a:\n    routing_url: x\n", "needs a `schema` mapping"),
        ("subgraphs:\n  a:\n    schema:\n      sdl: 'type Query { a: Int }'\n", "routing_url"),
        (
            "subgraphs:\n  a:\n    routing_url: x\n    schema:\n      sdl: s\n      file: f\n",
            "exactly one of",
        ),
        ("[1, 2", "invalid YAML"),
    ],
)
def test_bad_configs_are_reported(body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(body, Path("supergraph.yaml"), {})


def test_subgraph_url_introspection_sends_headers() -> None:
    app = SwitchableApp({"users": sample_subgraphs.users}, "users", ("authorization", "Bearer t"))
    with serve(app) as url:
        body = (
            "subgraphs:\n  users:\n    routing_url: http://users:4001/graphql\n    schema:\n"
            f"      subgraph_url: {url}\n"
            "      introspection_headers:\n        Authorization: Bearer ${env.TOKEN}\n"
        )
        config = parse_config(body, Path("supergraph.yaml"), {"TOKEN": "t"})
        [source] = sources(config)
        assert source.url == "http://users:4001/graphql"
        assert 'type User @key(fields: "id")' in source.sdl
        wrong = parse_config(body, Path("supergraph.yaml"), {"TOKEN": "nope"})
        with pytest.raises(ConfigError, match="introspecting"):
            sources(wrong)
