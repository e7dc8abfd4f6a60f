"""PyTorch's run-time switches and queries under their names: ``mu.device``,
``mu.accelerator``, ``mu.cuda``, ``mu.backends.cudnn``, ``mu.manual_seed``,
``mu.set_grad_enabled`` and ``mu.inference_mode`` (docs/api.md, "PyTorch's run-time names")."""

from __future__ import annotations

import numpy as np
import pytest

import mushin as mu


def test_device_spellings_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    for args in [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 2), ("cpu", 0)]:
        ours, theirs = mu.device(*args), torch.device(*args)
        assert ours.type == theirs.type
        assert ours.index == theirs.index
        assert str(ours) == str(theirs)
        assert repr(ours) == repr(theirs)
    assert mu.device(mu.device("cuda:3")) == "cuda:3"


@pytest.mark.parametrize(("args", "message"), [
    (("gpu",), "expected 'cpu', 'cuda' or 'cuda:N'"),
    (("cuda:x",), "expected 'cpu', 'cuda' or 'cuda:N'"),
    (("cuda:1", 2), "already has an index"),
    (("cuda", -1), "non-negative"),
    ((3,), "expected a name"),
])
def test_device_refuses_bad_names(args: tuple[object, ...], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=f"device: .*{message}"):
        mu.device(*args)  # type: ignore[arg-type]


def test_a_device_goes_where_a_name_does() -> None:
    device = mu.device("cpu")
    x = mu.randn(2, 3).to(device)
    assert x.device == "cpu"
    model = mu.nn.Linear(3, 2).to(device)
    assert model(x).shape == (2, 2)
    assert mu.zeros(2, device=device).device == "cpu"


def test_accelerator_and_cuda_on_a_machine_without_a_gpu() -> None:
    if mu.cuda.device_count():
        pytest.skip("this machine has a GPU")
    assert mu.cuda.is_available() is False
    assert mu.accelerator.is_available() is False
    assert mu.accelerator.current_accelerator() is None
    assert mu.accelerator.device_count() == 0
    assert mu.backends.cudnn.is_available() is False
    mu.backends.cudnn.benchmark = True  # accepted, changes nothing
    assert mu.backends.cudnn.benchmark is True
    mu.backends.cudnn.benchmark = False


def test_manual_seed_repeats_draws() -> None:
    mu.manual_seed(3)
    first = mu.randn(4).numpy()
    mu.cuda.manual_seed(3)
    np.testing.assert_array_equal(mu.randn(4).numpy(), first)
    mu.cuda.manual_seed_all(3)
    np.testing.assert_array_equal(mu.randn(4).numpy(), first)


def test_manual_seed_takes_what_pytorch_takes() -> None:
    torch = pytest.importorskip("torch")

    def draws(seed: object) -> np.ndarray:
        mu.manual_seed(seed)  # type: ignore[arg-type]
        return mu.randn(3).numpy()

    # the seed PyTorch records for each (torch.initial_seed) gives mushin the same draws
    for seed in (-1, 1.5, 2**64 - 1, -(2**63), True, np.int64(7)):
        torch.manual_seed(seed)
        np.testing.assert_array_equal(draws(seed), draws(torch.initial_seed()))
    # what PyTorch refuses, mushin refuses, naming manual_seed
    for seed, kind in ((2**64, ValueError), (-(2**63) - 1, ValueError),
                       (float("nan"), ValueError), (float("inf"), ValueError), (None, TypeError)):
        with pytest.raises((ValueError, TypeError, OverflowError)):
            torch.manual_seed(seed)
        with pytest.raises(kind, match="manual_seed"):
            mu.manual_seed(seed)  # type: ignore[arg-type]


def _recorded(y: mu.Tensor, w: mu.Variable) -> bool:
    """Whether ``y`` (``w * 2``) was recorded: its backward reaches ``w``."""
    w.reset()
    if isinstance(y, mu.Variable):
        with mu.enable_grad():  # the test's own backward records, whatever the mode around
            y.sum().backward()
    return bool(w.grad().numpy().any())


def test_set_grad_enabled_in_its_three_uses() -> None:
    w = mu.randn((3,))
    assert mu.is_grad_enabled()
    with mu.set_grad_enabled(False):
        assert not mu.is_grad_enabled()
        y = w * 2
        assert not _recorded(y, w)
    assert mu.is_grad_enabled()
    with mu.no_grad(), mu.set_grad_enabled(True):
        y = w * 2
        assert _recorded(y, w)

    @mu.set_grad_enabled(False)
    def frozen() -> bool:
        return mu.is_grad_enabled()

    assert mu.is_grad_enabled()  # decorating changes nothing outside the calls
    assert frozen() is False
    assert mu.is_grad_enabled()
    try:
        mu.set_grad_enabled(False)  # as a plain call: from now on
        assert not mu.is_grad_enabled()
    finally:
        mu.set_grad_enabled(True)
    assert mu.is_grad_enabled()
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be a bool"):
        mu.set_grad_enabled(1)  # type: ignore[arg-type]


def test_inference_mode_records_nothing() -> None:
    w = mu.randn((3,))
    with mu.inference_mode():
        y = w * 2
        assert not _recorded(y, w)
    with mu.inference_mode(False):
        y = w * 2
        assert _recorded(y, w)

    @mu.inference_mode()
    def predict() -> mu.Tensor:
        return w * 2

    assert not _recorded(predict(), w)
    assert mu.is_grad_enabled()


def test_cpu_and_cuda_methods_move_a_tensor(device: str) -> None:
    x = mu.variable(np.arange(6.0).reshape(2, 3))
    assert x.cpu() is x  # already there: the tensor itself, as PyTorch
    moved = x.to(device)
    back = moved.cpu()
    assert back.device == "cpu"
    (back * back).sum().backward()  # the move is recorded: gradients flow back through it
    np.testing.assert_array_equal(x.grad().numpy(), 2 * np.arange(6.0).reshape(2, 3))
    if not mu.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA was asked for but CuPy is not installed"):
            x.cuda()
    else:
        assert x.cuda().device == "cuda:0"
        assert x.cuda(0).device == "cuda:0"
