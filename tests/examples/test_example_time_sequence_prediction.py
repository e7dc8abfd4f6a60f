"""examples/time_sequence_prediction.py against its PyTorch twin: two LSTM cells trained in
float64 by L-BFGS from the same weights give the same closure losses (every evaluation of the
line search), the same test loss and the same weights; and the program runs end to end."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from twin import EXAMPLES, copy_weights, load  # noqa: E402


def test_lbfgs_training_matches_pytorch(capsys):
    mt, mm = load("time_sequence_prediction", "torch"), load("time_sequence_prediction")
    data = mm.generate_data(30)
    np.testing.assert_array_equal(data, mt.generate_data(30))
    results = []
    torch.manual_seed(0)
    seq_t = mt.Sequence().double()
    seq_m = mm.Sequence().double()
    copy_weights(seq_t, seq_m)
    for module, seq in ((mt, seq_t), (mm, seq_m)):
        lib = module.mu
        input, target = lib.from_numpy(data[3:, :-1]), lib.from_numpy(data[3:, 1:])
        optimizer = module.optim.LBFGS(seq.parameters(), lr=0.8)
        losses = []
        for _ in range(2):
            losses += module.train(seq, optimizer, module.nn.MSELoss(), input, target)
        with lib.no_grad():
            prediction = seq(lib.from_numpy(data[:3, :-1]), future=20).numpy()
        results.append((losses, prediction, {k: np.asarray(v.detach().numpy() if hasattr(
            v, "detach") else v.numpy()) for k, v in seq.state_dict().items()}))
    capsys.readouterr()
    (losses_t, prediction_t, state_t), (losses_m, prediction_m, state_m) = results
    assert len(losses_m) == len(losses_t) > 20
    np.testing.assert_allclose(losses_m, losses_t, rtol=1e-9)
    assert losses_t[-1] < losses_t[0] / 10
    np.testing.assert_allclose(prediction_m, prediction_t, rtol=1e-7, atol=1e-9)
    for key, value in state_t.items():
        np.testing.assert_allclose(state_m[key], value, rtol=1e-7, atol=1e-10)


def test_program_runs_end_to_end(tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLES / "time_sequence_prediction.py"),
                          "--steps", "1", "--length", "40", "--plot-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert re.search(r"^test loss: [0-9.e-]+$", run.stdout, re.M)
    assert re.search(r"^result: test loss [0-9.e+-]+$", run.stdout, re.M)
    assert re.search(r"^time: [0-9.]+ s$", run.stdout, re.M)
    assert (tmp_path / "predict0.pdf").stat().st_size > 1000
