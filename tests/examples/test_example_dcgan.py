"""examples/dcgan.py against its PyTorch twin: the generator and discriminator, from the same
weights, trained on the same batches with the same noise, give the same losses and
discriminator outputs step by step (in float64); state dicts match; and the
program runs end to end, writing its images and checkpoints."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from twin import EXAMPLES, copy_weights, load  # noqa: E402


def test_state_dict_names_and_shapes_match():
    mt, mm = load("dcgan", "torch"), load("dcgan")
    for name in ("Generator", "Discriminator"):
        theirs = {key: tuple(value.shape) for key, value in
                  getattr(mt, name)(1).state_dict().items()}
        ours = {key: tuple(value.shape) for key, value in
                getattr(mm, name)(1).state_dict().items()}
        assert ours == theirs, name


def test_training_matches_pytorch_step_by_step():
    mt, mm = load("dcgan", "torch"), load("dcgan")
    # float64: a GAN's Adam steps amplify float32 rounding (the first step is lr * sign(grad)).
    images = mm.digit_dataset().tensors[0].numpy()[:16].astype(np.float64)
    noise = np.random.default_rng(5).standard_normal((2, 8, mm.nz, 1, 1))
    torch.manual_seed(0)
    built_t = mt.build("cpu")
    built_m = mm.build("cpu")
    copy_weights(built_t[0], built_m[0])
    copy_weights(built_t[1], built_m[1])
    for built in (built_t, built_m):
        built[0].double()
        built[1].double()
    results = {}
    for module, built in ((mt, built_t), (mm, built_m)):
        results[module] = [
            module.train_step(*built, module.mu.from_numpy(images[8 * i:8 * (i + 1)]),
                              module.mu.from_numpy(noise[i]), "cpu") for i in range(2)]
    np.testing.assert_allclose(np.array(results[mm]), np.array(results[mt]), rtol=1e-8)
    for index in (0, 1):
        theirs = {key: value.numpy() for key, value in built_t[index].state_dict().items()}
        for key, value in built_m[index].state_dict().items():
            np.testing.assert_allclose(value.numpy(), theirs[key], rtol=1e-7, atol=1e-10,
                                       err_msg=key)


@pytest.mark.slow
def test_program_runs_end_to_end(tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLES / "dcgan.py"), "--dry-run",
                          "--batchSize", "16", "--outf", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert re.search(r"^\[0/1\]\[0/[0-9]+\] Loss_D: [0-9.]+ Loss_G: [0-9.]+", run.stdout, re.M)
    assert re.search(r"^result: Loss_D [0-9.]+ Loss_G [0-9.]+ D\(x\) [0-9.]+$", run.stdout,
                     re.M)
    assert (tmp_path / "fake_samples_epoch_000.png").stat().st_size > 1000
    assert (tmp_path / "real_samples.png").stat().st_size > 1000
    assert (tmp_path / "netG_epoch_0.pth").stat().st_size > 1_000_000
