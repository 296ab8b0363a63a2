"""``pishkhan nlu train | test | parse`` (DESIGN §8); mounted by bot/cli.py as ``app.add_typer(nlu_app, name="nlu")``.

Logs go to stderr; ``parse`` writes exactly one JSON line per input line to stdout. A known failure
(bad data, missing or corrupt model, unwritable output) prints one line to stderr and exits 2.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from bot.nlu.errors import NluError

EXIT_ERROR = 2
T = TypeVar("T")
nlu_app = typer.Typer(
    help="Train, evaluate and run the Persian NLU model (Rasa formats).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

DataOption = Annotated[Path, typer.Option("--data", help="Rasa NLU YAML file or directory.")]
ModelOption = Annotated[Path, typer.Option("--model", help="Model directory.")]


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _run(action: Callable[[], T]) -> T:
    """Run a command body; a known failure becomes one line on stderr and exit code 2."""
    try:
        return action()
    except NluError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    except OSError as exc:
        typer.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None


@nlu_app.command()
def train(
    data: DataOption = Path("nlu_data"),
    out: Annotated[Path, typer.Option("--out", help="Where to write the model.")] = Path("models/nlu"),
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Train a model from Rasa NLU data and write it to a model directory."""
    _logging(verbose)
    from bot.nlu import train as train_model

    result = _run(lambda: train_model(data, out))
    typer.echo(
        f"trained {len(result.intents)} intents on {result.examples} examples in {result.seconds:.1f} s "
        f"-> {result.model_dir}",
        err=True,
    )


@nlu_app.command()
def test(
    data: DataOption,
    out: Annotated[Path, typer.Option("--out", help="Directory for the reports.")],
    model: Annotated[
        Path | None, typer.Option("--model", help="Model directory (not with --cross-validation).")
    ] = None,
    cross_validation: Annotated[
        bool, typer.Option("--cross-validation", help="k-fold CV on --data.")
    ] = False,
    folds: Annotated[int, typer.Option("--folds", min=2, help="Folds for --cross-validation.")] = 5,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Evaluate like `rasa test nlu`: intent_report.json, intent_errors.json, entity reports, confusion matrix."""
    _logging(verbose)
    from bot.nlu import cross_validate, evaluate, load_model

    if cross_validation:
        summary = _run(lambda: cross_validate(data, folds=folds, out_dir=out))
    else:
        if model is None:
            typer.echo("error: --model is required unless --cross-validation is given", err=True)
            raise typer.Exit(EXIT_ERROR)
        summary = _run(lambda: evaluate(load_model(model), data, out))
    typer.echo(
        f"intent accuracy {summary['accuracy']:.4f}, macro F1 {summary['macro_f1']:.4f} "
        f"on {summary['examples']} examples; reports in {out}",
        err=True,
    )


@nlu_app.command()
def parse(
    model: ModelOption = Path("models/nlu"), verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False
) -> None:
    """Read one message per stdin line; write one Rasa parse JSON per stdout line, in order.

    Each line is answered (and flushed) before the next is read, so a caller may talk to it line by line.
    """
    _logging(verbose)
    from bot.nlu import load_model

    nlu = _run(lambda: load_model(model))
    for line in _stdin_lines():
        sys.stdout.write(json.dumps(nlu.parse(line), ensure_ascii=False) + "\n")
        sys.stdout.flush()


def _stdin_lines():
    """Lines of stdin without their line ending; invalid UTF-8 is replaced, never fatal."""
    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    if stream is None:
        for line in sys.stdin:
            yield line.rstrip("\r\n")
        return
    for raw in stream:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


if __name__ == "__main__":
    nlu_app()
