"""examples/gpt.py (nanoGPT's model) against its PyTorch twin: the same state-dict names and
shapes; from the same weights, in float64, ten AdamW steps with nanoGPT's weight-decay groups,
learning-rate schedule and gradient clipping give the same losses, the tied embedding and head
staying one tensor; greedy generation gives the same tokens; sampling with top-k gives valid
ones; the model runs on the stand-in GPU as on the CPU; and the program runs end to end."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from twin import EXAMPLES, copy_weights, load, offline_data  # noqa: E402

SIZES = dict(block_size=16, n_layer=2, n_head=2, n_embd=32, dropout=0.0, bias=True)


@pytest.fixture(scope="module")
def data():
    """The training split of the examples' text, encoded, and its vocabulary size."""
    mm = load("gpt")
    train_ids, _, chars = mm.prepare(offline_data.python_docs_text())
    return train_ids, len(chars)


def build(vocab_size, **options):
    """Both twins and both models, mushin's holding the PyTorch model's initial weights."""
    mt, mm = load("gpt", "torch"), load("gpt")
    sizes = {**SIZES, **options}
    torch.manual_seed(0)
    model_t = mt.GPT(mt.GPTConfig(vocab_size=vocab_size, **sizes))
    model_m = mm.GPT(mm.GPTConfig(vocab_size=vocab_size, **sizes))
    copy_weights(model_t, model_m)
    return mt, mm, model_t, model_m


def test_state_dict_names_and_shapes_match(data):
    _, vocab_size = data
    _, _, model_t, model_m = build(vocab_size, bias=False)
    shapes_t = {key: tuple(value.shape) for key, value in model_t.state_dict().items()}
    shapes_m = {key: tuple(np.shape(value)) for key, value in model_m.state_dict().items()}
    assert shapes_m == shapes_t
    assert "lm_head.weight" in shapes_m and "transformer.h.0.ln_1.bias" not in shapes_m
    assert model_m.get_num_params() == model_t.get_num_params()
    assert model_m.get_num_params(False) == model_t.get_num_params(False)


def test_training_matches_pytorch_step_by_step(data):
    train_ids, vocab_size = data
    mt, mm, model_t, model_m = build(vocab_size)
    assert model_m.transformer.wte.weight is model_m.lm_head.weight  # tied after the load
    losses = {}
    for module, model in ((mt, model_t), (mm, model_m)):
        model.double()
        optimizer = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99), "cpu")
        rng = np.random.default_rng(0)
        losses[module] = []
        for step in range(10):
            for group in optimizer.param_groups:
                group["lr"] = module.get_lr(step, 1e-3, 3, 10, 1e-4)
            x, y = module.get_batch(train_ids, 16, 4, rng, "cpu")
            _, loss = model(x, y)
            loss.backward()
            module.mu.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad()
            losses[module].append(loss.item())
    np.testing.assert_allclose(losses[mm], losses[mt], rtol=1e-10)
    assert losses[mt][-1] < losses[mt][0]
    assert model_m.transformer.wte.weight is model_m.lm_head.weight
    state_t = {key: value.numpy() for key, value in model_t.state_dict().items()}
    for key, value in model_m.state_dict().items():
        np.testing.assert_allclose(value.numpy(), state_t[key], rtol=1e-9, atol=1e-12)


def test_greedy_generation_matches_pytorch_past_the_block_size(data):
    _, vocab_size = data
    mt, mm, model_t, model_m = build(vocab_size, block_size=8)
    prompt = np.array([[5, 17, 40], [60, 2, 33]])
    tokens = {}
    for module, model in ((mt, model_t), (mm, model_m)):
        model.eval()
        # top_k=1 keeps only the most likely token: the sample is the argmax, the same in both
        tokens[module] = model.generate(module.mu.from_numpy(prompt), 12, top_k=1).numpy()
    assert tokens[mm].shape == (2, 15)
    np.testing.assert_array_equal(tokens[mm], tokens[mt])


def test_sampling_with_top_k_gives_tokens_of_the_vocabulary(data):
    _, vocab_size = data
    mm = load("gpt")
    model = mm.GPT(mm.GPTConfig(vocab_size=vocab_size, **{**SIZES, "block_size": 32}))
    model.eval()
    prompt = mm.mu.from_numpy(np.array([[1, 2, 3], [4, 5, 6]]))
    mm.mu.manual_seed(0)
    tokens = model.generate(prompt, 20, temperature=0.8, top_k=5).numpy()
    assert tokens.shape == (2, 23) and tokens.dtype == np.int64
    np.testing.assert_array_equal(tokens[:, :3], [[1, 2, 3], [4, 5, 6]])
    assert ((tokens >= 0) & (tokens < vocab_size)).all()
    # each new token is among the 5 most likely next tokens of the sequence before it
    logits, _ = model(mm.mu.from_numpy(tokens[:, :-1]), mm.mu.from_numpy(tokens[:, 1:]))
    top5 = np.argsort(logits.numpy(), axis=-1)[:, :, -5:]
    assert all(tokens[b, t + 1] in top5[b, t] for b in range(2) for t in range(2, 22))


def test_runs_on_a_device_like_on_the_cpu(data, device):
    train_ids, vocab_size = data
    mm = load("gpt")
    model = mm.GPT(mm.GPTConfig(vocab_size=vocab_size, **SIZES))
    x, y = mm.get_batch(train_ids, 16, 4, np.random.default_rng(0), "cpu")
    _, loss_cpu = model(x, y)
    loss_cpu.backward()
    grads_cpu = [p.grad().numpy() for p in model.parameters()]
    model.zero_grad()
    model.to(device)
    _, loss = model(x.to(device), y.to(device))
    loss.backward()
    assert loss.device == device
    np.testing.assert_allclose(loss.item(), loss_cpu.item(), rtol=1e-5)
    for p, grad_cpu in zip(model.parameters(), grads_cpu, strict=True):
        np.testing.assert_allclose(p.grad().cpu().numpy(), grad_cpu, rtol=1e-4, atol=1e-6)


def test_program_runs_end_to_end(tmp_path):
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "gpt.py"), "--max-iters", "30", "--warmup-iters", "5",
         "--learning-rate", "1e-2", "--eval-interval", "15", "--eval-iters", "2", "--n-layer",
         "1", "--n-embd", "32", "--block-size", "32", "--max-new-tokens", "40", "--device",
         "cpu"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    loss = float(re.search(r"^result: val loss ([0-9.]+)$", run.stdout, re.M).group(1))
    assert 1.0 < loss < 4.0  # ln(103) = 4.63 nats for a uniform guess: it has learnt
    assert re.search(r"^time: [0-9.]+ s$", run.stdout, re.M)
    assert re.search(r"^step 30: train loss [0-9.]+, val loss [0-9.]+$", run.stdout, re.M)
