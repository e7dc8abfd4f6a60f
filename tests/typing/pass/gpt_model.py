# pyright: strict
"""What the checkers infer for the typed GPT of ``examples/gpt.py``: the config's sizes become
the layers' type parameters, a block and a layer norm keep ``(B, T, Embd)``, the model gives
``(B, T, Vocab)`` logits and a 0-d loss given targets, the last position's logits and no loss
without, and ``ModuleList`` iteration keeps the blocks' type.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time). The checkers
find ``gpt`` in ``examples/`` (pyproject.toml's ``mypy_path`` and pyright's ``extraPaths``);
the run time is given that folder here.
"""

import sys
from pathlib import Path
from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples"))
from gpt import GPT, Block, GPTConfig, LayerNorm

Vocab = L[50]
Embd = L[16]


def main() -> None:
    mu.manual_seed(0)
    config: GPTConfig[Vocab, Embd] = GPTConfig(block_size=8, vocab_size=50, n_layer=2,
                                               n_head=2, n_embd=16)
    x: mu.Variable[L[2], L[8], Embd] = mu.randn((2, 8, 16))
    block = Block(config)
    assert_type(block, Block[Embd])
    assert_type(block(x), mu.Variable[L[2], L[8], Embd])
    norm: LayerNorm[Embd] = LayerNorm(16, bias=False)
    assert_type(norm(x), mu.Variable[L[2], L[8], Embd])
    assert_type(norm.bias, mu.Variable[Embd] | None)

    model = GPT(config)
    assert_type(model, GPT[Vocab, Embd])
    assert_type(model.lm_head.weight, mu.Variable[Vocab, Embd])
    assert_type(model.transformer.wte.weight, mu.Variable[Vocab, Embd])
    for layer in model.transformer.h:
        assert_type(layer, Block[Embd])
    idx: mu.Constant[L[2], L[8]] = mu.constant(np.ones((2, 8), dtype=np.int64))
    logits, loss = model(idx, idx)
    assert_type(logits, mu.Variable[L[2], L[8], Vocab])
    assert_type(loss, mu.Variable[*tuple[()]])
    loss.backward()
    last, no_loss = model(idx)
    assert_type(last, mu.Variable[L[2], L[1], Vocab])
    assert_type(no_loss, None)
    assert logits.shape == (2, 8, 50) and last.shape == (2, 1, 50)

    optimizer = model.configure_optimizers(0.1, 1e-3, (0.9, 0.95), "cpu")
    optimizer.step()
    model.eval()
    tokens = model.generate(idx, 4, temperature=0.8, top_k=5)
    assert_type(tokens, mu.Constant[L[2], Any])
    assert tokens.shape == (2, 12)


if __name__ == "__main__":
    main()
