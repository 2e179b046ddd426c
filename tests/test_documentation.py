"""README.md and .env.example keep up with the code: every MOSAIC_* variable a settings class
reads, and every flag of every `mosaic` command, is documented with an example."""

from __future__ import annotations

import argparse
import importlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from mosaic.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mosaic", "router", "subgraphs", "db")
README = (ROOT / "README.md").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def settings_classes() -> list[type[BaseSettings]]:
    """Every pydantic-settings class defined in the project's packages."""
    found: list[type[BaseSettings]] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "BaseSettings" not in path.read_text():
                continue
            module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, BaseSettings)
                    and value is not BaseSettings
                    and value.__module__ == module.__name__
                ):
                    found.append(value)
    return found


def variables(cls: type[BaseSettings]) -> list[str]:
    prefix = cls.model_config.get("env_prefix", "")
    names = []
    for field, info in cls.model_fields.items():
        alias = info.validation_alias or info.alias
        names.append((alias if isinstance(alias, str) else f"{prefix}{field}").upper())
    return names


SETTINGS = [(cls, name) for cls in settings_classes() for name in variables(cls)]


def test_settings_classes_are_found() -> None:
    found = {f"{cls.__module__}.{cls.__name__}" for cls, _ in SETTINGS}
    assert {"subgraphs.common.settings.Settings", "router.settings.RouterSettings"} <= found
    assert len(SETTINGS) >= 37


def readme_examples(name: str) -> list[str]:
    """Values of the `NAME=value` examples in README tables (`| ... | `NAME=value` | ... |`)."""
    return re.findall(rf"\| `{name}=([^`]*)` \|", README)


def env_example_values(name: str) -> list[str]:
    return re.findall(rf"^(?:# )?{name}=(.*)$", ENV_EXAMPLE, re.MULTILINE)


Load = Callable[[type[BaseSettings], str, str], BaseSettings]


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> Iterator[Load]:
    """Build a settings class from exactly one variable (nothing of this process leaks in)."""
    for variable in list(os.environ):
        if variable.startswith("MOSAIC_"):
            monkeypatch.delenv(variable)

    def build(cls: type[BaseSettings], name: str, value: str) -> BaseSettings:
        monkeypatch.setenv(name, value.strip("'\""))
        try:
            return cls(_env_file=None)
        finally:
            monkeypatch.delenv(name)

    yield build


@pytest.mark.parametrize(("cls", "name"), SETTINGS, ids=[name for _, name in SETTINGS])
def test_setting_has_a_valid_readme_example(cls: type[BaseSettings], name: str, load: Load) -> None:
    examples = readme_examples(name)
    assert examples, f"README.md has no table row with an example `{name}=...`"
    for value in examples:
        if "$(" not in value and "..." not in value:  # shell substitutions, elisions
            load(cls, name, value)  # raises when the example does not validate


@pytest.mark.parametrize(("cls", "name"), SETTINGS, ids=[name for _, name in SETTINGS])
def test_setting_is_in_env_example(cls: type[BaseSettings], name: str, load: Load) -> None:
    values = env_example_values(name)
    assert values, f".env.example has no line `# {name}=...`"
    for value in values:
        load(cls, name, value)


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ("mosaic",)
) -> Iterator[tuple[str, list[str]]]:
    """(`mosaic db upgrade`, its flags and positional names) for every runnable command."""
    words: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))
            return
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            words.extend(action.option_strings)
        else:
            words.append(str(action.metavar or action.dest).upper())
    yield " ".join(path), words


COMMANDS = list(commands(build_parser()))


def test_commands_are_found() -> None:
    names = [name for name, _ in COMMANDS]
    assert {"mosaic dev", "mosaic router", "mosaic plan", "mosaic check", "mosaic db upgrade"} <= {
        *names
    }


@pytest.mark.parametrize(("command", "words"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_command_and_every_flag_are_in_the_readme_commands(command: str, words: list[str]) -> None:
    section = README[README.index("\n## Commands\n") :]
    section = section[: section.index("\n## ", 1)]
    entry = re.search(rf"\n- `{command}[ `].*?(?=\n- |\n#|\Z)", section, re.DOTALL)
    assert entry, f"README.md 'Commands' has no entry starting with `{command}"
    missing = [word for word in words if word not in entry.group(0)]
    assert not missing, f"{command}: not documented in its README entry: {missing}"
