# pyright: strict
"""The typed GPT of ``examples/gpt.py`` given the wrong sizes: a block fed another embedding
width, a layer norm of the wrong width, targets of the wrong rank, and results annotated with
the wrong sizes. Each marked line is an error in mypy and pyright; each ``case_`` function
raises ``mu.ShapeError`` at its marked line when it runs, and each ``annotation_`` function (a
mistake in an annotation only) runs cleanly.

The checkers find ``gpt`` in ``examples/`` (pyproject.toml's ``mypy_path`` and pyright's
``extraPaths``); the run time is given that folder here."""

import sys
from pathlib import Path
from typing import Literal as L

import numpy as np

import mushin as mu

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples"))
from gpt import GPT, Block, GPTConfig, LayerNorm


def config() -> GPTConfig[L[50], L[16]]:
    found: GPTConfig[L[50], L[16]] = GPTConfig(block_size=8, vocab_size=50, n_layer=1,
                                               n_head=2, n_embd=16)
    return found


def hidden() -> mu.Variable[L[2], L[8], L[16]]:
    x: mu.Variable[L[2], L[8], L[16]] = mu.randn((2, 8, 16))
    return x


def tokens() -> mu.Constant[L[2], L[8]]:
    found: mu.Constant[L[2], L[8]] = mu.constant(np.ones((2, 8), dtype=np.int64))
    return found


def case_block_fed_another_n_embd() -> None:
    block: Block[L[32]] = Block(GPTConfig(vocab_size=50, n_head=2, n_embd=32))
    block(hidden())  # E: a block of n_embd 32 fed [2, 8, 16]


def case_layer_norm_of_the_wrong_width() -> None:
    norm: LayerNorm[L[32]] = LayerNorm(32, bias=True)
    norm(hidden())  # E: a LayerNorm of width 32 fed [2, 8, 16]


def case_block_output_into_a_layer_norm_of_the_wrong_width() -> None:
    block: Block[L[16]] = Block(config())
    norm: LayerNorm[L[32]] = LayerNorm(32, bias=False)
    norm(block(hidden()))  # E: [2, 8, 16] into a LayerNorm of width 32


def case_targets_of_the_wrong_rank() -> None:
    model = GPT(config())
    targets: mu.Constant[L[2]] = mu.constant(np.ones((2,), dtype=np.int64))
    model(tokens(), targets)  # E: (B,) targets for (B, T) indices


def annotation_block_keeps_the_width() -> None:
    block = Block(config())
    y: mu.Variable[L[2], L[8], L[32]] = block(hidden())  # E: [2, 8, 16] stays [2, 8, 16]
    print(y.shape)


def annotation_block_of_the_config_width() -> None:
    block: Block[L[32]] = Block(config())  # E: the config's n_embd is 16
    print(block)


def annotation_logits_have_the_vocabulary_size() -> None:
    model = GPT(config())
    logits, _ = model(tokens(), tokens())
    wrong: mu.Variable[L[2], L[8], L[16]] = logits  # E: the logits are [2, 8, 50]
    print(wrong.shape)


def annotation_the_loss_is_0_d() -> None:
    model = GPT(config())
    _, loss = model(tokens(), tokens())
    wrong: mu.Variable[L[2], L[8]] = loss  # E: the mean loss has no axes
    print(wrong.shape)
