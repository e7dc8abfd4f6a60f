"""examples/mnist.py against its PyTorch twin: the same weights trained on the same batches
with Adadelta and StepLR give the same losses, test results and parameters; and the program
runs end to end."""

from __future__ import annotations

import re
import subprocess
import sys
from argparse import Namespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from twin import EXAMPLES, copy_weights, load, offline_data  # noqa: E402


def batches(module, images, labels, size):
    """(images, labels) batches of ``size`` rows as the module's own tensors."""
    return [(module.mu.from_numpy(images[i:i + size]), module.mu.from_numpy(labels[i:i + size]))
            for i in range(0, len(labels), size)]


class Loader(list):
    """A list of batches with the ``dataset`` length the program's logging reads."""

    def __init__(self, items, length):
        super().__init__(items)
        self.dataset = range(length)


def build():
    """Both twins and both models, mushin's holding the PyTorch model's initial weights;
    dropout is off so that the two compute the same thing."""
    mt, mm = load("mnist", "torch"), load("mnist")
    torch.manual_seed(0)
    net_t, net_m = mt.Net(), mm.Net()
    copy_weights(net_t, net_m)
    for net in (net_t, net_m):
        net.dropout1.p = 0.0
        net.dropout2.p = 0.0
    return mt, mm, net_t, net_m


def test_state_dict_names_and_shapes_match():
    _, _, net_t, net_m = build()
    shapes_t = {k: tuple(v.shape) for k, v in net_t.state_dict().items()}
    shapes_m = {k: tuple(np.shape(v)) for k, v in net_m.state_dict().items()}
    assert shapes_m == shapes_t


def test_training_matches_pytorch_step_by_step():
    mt, mm, net_t, net_m = build()
    images, labels, _, _ = offline_data.mnist_like_digits()
    images, labels = images[:48], labels[:48]
    opt_t = mt.optim.Adadelta(net_t.parameters(), lr=1.0)
    opt_m = mm.optim.Adadelta(net_m.parameters(), lr=1.0)
    sched_t = mt.StepLR(opt_t, step_size=1, gamma=0.7)
    sched_m = mm.StepLR(opt_m, step_size=1, gamma=0.7)
    losses_t, losses_m = [], []
    for _epoch in range(2):
        for (xt, yt), (xm, ym) in zip(batches(mt, images, labels, 16),
                                      batches(mm, images, labels, 16), strict=True):
            for module, net, opt, x, y, losses in ((mt, net_t, opt_t, xt, yt, losses_t),
                                                   (mm, net_m, opt_m, xm, ym, losses_m)):
                net.train()
                opt.zero_grad()
                loss = module.F.nll_loss(net(x), y)
                loss.backward()
                opt.step()
                losses.append(loss.item())
        sched_t.step()
        sched_m.step()
    np.testing.assert_allclose(losses_m, losses_t, rtol=1e-4)
    assert losses_t[-1] < losses_t[0]
    state_t = {k: v.detach().numpy() for k, v in net_t.state_dict().items()}
    for key, value in net_m.state_dict().items():
        np.testing.assert_allclose(np.asarray(value), state_t[key], rtol=1e-3, atol=1e-5)


def test_program_train_and_test_functions_match(capsys):
    mt, mm, net_t, net_m = build()
    images, labels, _, _ = offline_data.mnist_like_digits()
    args = Namespace(log_interval=1, dry_run=False)
    results = []
    for module, net in ((mt, net_t), (mm, net_m)):
        optimizer = module.optim.Adadelta(net.parameters(), lr=1.0)
        train_loader = Loader(batches(module, images[:32], labels[:32], 16), 32)
        test_loader = Loader(batches(module, images[32:96], labels[32:96], 32), 64)
        device = module.mu.device("cpu")
        capsys.readouterr()
        module.train(args, net, device, train_loader, optimizer, 1)
        printed = capsys.readouterr().out
        losses = [float(v) for v in re.findall(r"Loss: ([0-9.]+)", printed)]
        results.append((losses, module.test(net, device, test_loader)))
    (losses_t, (loss_t, acc_t)), (losses_m, (loss_m, acc_m)) = results
    assert len(losses_m) == 2
    np.testing.assert_allclose(losses_m, losses_t, atol=2e-6)
    assert loss_m == pytest.approx(loss_t, rel=1e-4)
    assert acc_m == acc_t


def test_program_runs_end_to_end():
    run = subprocess.run([sys.executable, str(EXAMPLES / "mnist.py"), "--epochs", "1",
                          "--dry-run"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    accuracy = float(re.search(r"^result: accuracy ([0-9.]+)$", run.stdout, re.M).group(1))
    assert 0.0 <= accuracy <= 100.0
    assert re.search(r"^time: [0-9.]+ s$", run.stdout, re.M)
    assert "Test set: Average loss:" in run.stdout
