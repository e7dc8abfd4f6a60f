"""examples/mnist_rnn.py against its PyTorch twin: the LSTM classifier from the same weights,
trained on the same batches with Adadelta and StepLR (dropout off), gives the same losses,
running statistics and parameters; and the program runs end to end."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from twin import EXAMPLES, copy_weights, load, offline_data  # noqa: E402


def build():
    mt, mm = load("mnist_rnn", "torch"), load("mnist_rnn")
    torch.manual_seed(0)
    net_t, net_m = mt.Net(), mm.Net()
    copy_weights(net_t, net_m)
    for net in (net_t, net_m):
        net.dropout1.p = 0.0
        net.dropout2.p = 0.0
    return mt, mm, net_t, net_m


def test_state_dict_names_and_shapes_match():
    _, _, net_t, net_m = build()
    assert {k: tuple(v.shape) for k, v in net_m.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in net_t.state_dict().items()}


def test_training_matches_pytorch_step_by_step():
    mt, mm, net_t, net_m = build()
    images, labels, test_images, test_labels = offline_data.mnist_like_digits()
    losses = {}
    for module, net in ((mt, net_t), (mm, net_m)):
        lib = module.mu
        optimizer = module.optim.Adadelta(net.parameters(), lr=0.1)
        scheduler = module.StepLR(optimizer, step_size=1, gamma=0.7)
        losses[module] = []
        for _epoch in range(2):
            net.train()
            for start in range(0, 64, 16):
                optimizer.zero_grad()
                loss = module.F.nll_loss(net(lib.from_numpy(images[start:start + 16])),
                                         lib.from_numpy(labels[start:start + 16]))
                loss.backward()
                optimizer.step()
                losses[module].append(loss.item())
            scheduler.step()
        net.eval()
        with lib.no_grad():
            output = net(lib.from_numpy(test_images[:50]))
            losses[module].append(module.F.nll_loss(output, lib.from_numpy(test_labels[:50]),
                                                    reduction='sum').item())
    np.testing.assert_allclose(losses[mm], losses[mt], rtol=1e-4)
    assert losses[mt][7] < losses[mt][0]
    state_t = {k: v.numpy() for k, v in net_t.state_dict().items()}
    for key, value in net_m.state_dict().items():
        np.testing.assert_allclose(value.numpy(), state_t[key], rtol=1e-3, atol=1e-5,
                                   err_msg=key)


def test_program_runs_end_to_end():
    run = subprocess.run([sys.executable, str(EXAMPLES / "mnist_rnn.py"), "--epochs", "1",
                          "--dry-run"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert re.search(r"^Train Epoch: 1 \[0/1437 \(0%\)\]\tLoss: [0-9.]+$", run.stdout, re.M)
    assert re.search(r"^result: accuracy [0-9.]+$", run.stdout, re.M)
    assert re.search(r"^time: [0-9.]+ s$", run.stdout, re.M)
