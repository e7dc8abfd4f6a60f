"""examples/regression.py against its PyTorch twin: with the same target polynomial, initial
weights and batches, the smooth-L1 losses and the learned weights agree; and the program runs
end to end."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from twin import EXAMPLES, copy_weights, load  # noqa: E402


def test_features_and_target_match():
    mt, mm = load("regression", "torch"), load("regression")
    x = np.random.default_rng(1).standard_normal(5).astype(np.float32)
    mm.W_target = mm.mu.from_numpy(mt.W_target.numpy().copy())
    mm.b_target = mm.mu.from_numpy(mt.b_target.numpy().copy())
    features_t = mt.make_features(mt.mu.from_numpy(x))
    features_m = mm.make_features(mm.mu.from_numpy(x))
    np.testing.assert_allclose(features_m.numpy(), features_t.numpy(), rtol=1e-6)
    np.testing.assert_allclose(mm.f(features_m).numpy(), mt.f(features_t).numpy(), rtol=1e-5)
    assert mm.poly_desc(mm.W_target.view(-1), mm.b_target) == \
        mt.poly_desc(mt.W_target.view(-1), mt.b_target)


def test_training_matches_pytorch_step_by_step():
    mt, mm = load("regression", "torch"), load("regression")
    mm.W_target = mm.mu.from_numpy(mt.W_target.numpy().copy())
    mm.b_target = mm.mu.from_numpy(mt.b_target.numpy().copy())
    torch.manual_seed(0)
    fc_t = mt.mu.nn.Linear(mt.POLY_DEGREE, 1)
    fc_m = mm.mu.nn.Linear(mm.POLY_DEGREE, 1)
    copy_weights(fc_t, fc_m)
    opt_t = mt.optim.SGD(fc_t.parameters(), lr=0.1)
    opt_m = mm.optim.SGD(fc_m.parameters(), lr=0.1)
    rng = np.random.default_rng(2)
    losses_t, losses_m = [], []
    for _ in range(60):
        x = rng.standard_normal(32).astype(np.float32)
        xt = mt.make_features(mt.mu.from_numpy(x))
        xm = mm.make_features(mm.mu.from_numpy(x))
        losses_t.append(mt.train_step(fc_t, opt_t, xt, mt.f(xt)))
        losses_m.append(mm.train_step(fc_m, opt_m, xm, mm.f(xm)))
    np.testing.assert_allclose(losses_m, losses_t, rtol=1e-4, atol=1e-6)
    assert losses_t[-1] < losses_t[0]
    np.testing.assert_allclose(fc_m.weight.numpy(), fc_t.weight.detach().numpy(), rtol=1e-4)
    np.testing.assert_allclose(fc_m.bias.numpy(), fc_t.bias.detach().numpy(), rtol=1e-4)


def test_program_runs_end_to_end():
    run = subprocess.run([sys.executable, str(EXAMPLES / "regression.py")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    loss = float(re.search(r"^Loss: ([0-9.]+) after", run.stdout, re.M).group(1))
    assert loss < 1e-3
    assert re.search(r"^result: batches [0-9]+$", run.stdout, re.M)
    assert re.search(r"^time: [0-9.]+ s$", run.stdout, re.M)
    assert "==> Learned function:\ty = " in run.stdout
