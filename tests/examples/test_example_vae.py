"""examples/vae.py against its PyTorch twin: from the same weights, on the same batches and
with the same reparameterisation noise, the losses (binary cross-entropy plus KL divergence)
and the trained weights agree; and the program runs end to end, writing its images."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from twin import EXAMPLES, copy_weights, load, offline_data  # noqa: E402


def test_training_matches_pytorch_step_by_step():
    mt, mm = load("vae", "torch"), load("vae")
    images = offline_data.mnist_like_digits(normalize=False)[0][:96]
    noise = np.random.default_rng(3).standard_normal((6, 16, 20)).astype(np.float32)
    torch.manual_seed(0)
    model_t, model_m = mt.VAE(), mm.VAE()
    copy_weights(model_t, model_m)
    losses = {}
    for module, model in ((mt, model_t), (mm, model_m)):
        lib = module.mu
        optimizer = module.optim.Adam(model.parameters(), lr=1e-3)
        losses[module] = []
        for step in range(6):
            eps = lib.from_numpy(noise[step])
            model.reparameterize = lambda mean, logvar, eps=eps, lib=lib: (
                mean + eps * lib.exp(0.5 * logvar))
            data = lib.from_numpy(images[16 * step:16 * (step + 1)])
            optimizer.zero_grad()
            recon, mean, logvar = model(data)
            loss = module.loss_function(recon, data, mean, logvar)
            loss.backward()
            optimizer.step()
            losses[module].append(loss.item())
    np.testing.assert_allclose(losses[mm], losses[mt], rtol=1e-5)
    assert losses[mt][-1] < losses[mt][0]
    state_t = {key: value.numpy() for key, value in model_t.state_dict().items()}
    for key, value in model_m.state_dict().items():
        np.testing.assert_allclose(value.numpy(), state_t[key], rtol=1e-4, atol=1e-6)


def test_program_runs_end_to_end(tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLES / "vae.py"), "--epochs", "1"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    loss = float(re.search(r"^result: test_loss ([0-9.]+)$", run.stdout, re.M).group(1))
    assert 50 < loss < 550  # 784 Bernoulli pixels: 543 nats at p = 0.5; training lowers it
    assert re.search(r"^time: [0-9.]+ s$", run.stdout, re.M)
    assert (tmp_path / "results" / "sample_1.png").stat().st_size > 500
    assert (tmp_path / "results" / "reconstruction_1.png").stat().st_size > 500
