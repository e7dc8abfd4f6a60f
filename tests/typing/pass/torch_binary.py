# pyright: strict
"""What the checkers infer for the binary and ternary elementwise operations by PyTorch's names:
broadcast shapes for the arithmetic, ``Constant`` masks for comparisons, logical and bitwise
operations, run-time shapes for the ternary ones.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu

B = L[4]
N = L[5]
Runtime = mu.Variable[*tuple[Any, ...]]
Mask = mu.Constant[*tuple[Any, ...]]


def arithmetic() -> None:
    """Broadcasting binary functions, methods and operators keep kinds and shapes."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    row: mu.Variable[N] = mu.randn((5,))
    assert_type(mu.add(x, c, alpha=2.0), mu.Variable[B, N])
    assert_type(mu.sub(c, 1.0, alpha=3), mu.Constant[B, N])
    assert_type(mu.rsub(x, row), mu.Variable[B, N])
    assert_type(mu.multiply(c, row), mu.Variable[B, N])
    assert_type(mu.divide(x, 2.0, rounding_mode="floor"), mu.Variable[B, N])
    assert_type(mu.true_divide(c, c), mu.Constant[B, N])
    assert_type(mu.floor_divide(x, c), mu.Variable[B, N])
    assert_type(mu.fmod(c, 2.0), mu.Constant[B, N])
    assert_type(mu.remainder(x, row), mu.Variable[B, N])
    assert_type(mu.atan2(x, c), mu.Variable[B, N])
    assert_type(mu.arctan2(c, x), mu.Variable[B, N])
    assert_type(mu.hypot(x, 1.0), mu.Variable[B, N])
    assert_type(mu.copysign(c, x), mu.Variable[B, N])
    assert_type(mu.nextafter(x, c), mu.Variable[B, N])
    assert_type(mu.fmax(x, c), mu.Variable[B, N])
    assert_type(mu.fmin(c, c), mu.Constant[B, N])
    assert_type(mu.logaddexp(x, row), mu.Variable[B, N])
    assert_type(mu.logaddexp2(c, 0.5), mu.Constant[B, N])
    assert_type(mu.xlogy(x, c), mu.Variable[B, N])
    assert_type(mu.ldexp(x, 2), mu.Variable[B, N])
    assert_type(mu.float_power(x, 2.0), mu.Variable[B, N])
    assert_type(mu.clamp_min(x, 0.0), mu.Variable[B, N])
    assert_type(mu.clamp_max(c, row), mu.Variable[B, N])
    assert_type(mu.clamp(x, 0.0, 1.0), mu.Variable[B, N])
    assert_type(mu.clip(c, None, 1.0), mu.Constant[B, N])
    assert_type(mu.clamp(x, row), mu.Variable[*tuple[Any, ...]])
    assert_type(x.atan2(c), mu.Variable[B, N])
    assert_type(c.fmod(2.0), mu.Constant[B, N])
    assert_type(x.clamp_min(0.0), mu.Variable[B, N])
    assert_type(x.clamp(0.0, 1.0), Runtime)
    assert_type(x // 2.0, mu.Variable[B, N])
    assert_type(c % row, mu.Variable[B, N])
    assert_type(2.0 // x, mu.Variable[B, N])
    assert_type(3.0 % c, mu.Constant[B, N])


def ternary() -> None:
    """lerp, addcmul, addcdiv: a Variable when any operand is one; a run-time shape."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(mu.lerp(x, c, 0.5), Runtime)
    assert_type(mu.lerp(c, c, x), Runtime)
    assert_type(mu.lerp(c, c, 0.5), mu.Constant[*tuple[Any, ...]])
    assert_type(mu.addcmul(c, x, c, value=2.0), Runtime)
    assert_type(mu.addcdiv(x, c, c), Runtime)
    assert_type(x.lerp(c, 0.25), Runtime)
    assert_type(x.addcmul(c, c, value=0.5), Runtime)


def masks() -> None:
    """Comparisons, logical and bitwise operations: Constant masks."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    counts: mu.Constant[B, N] = mu.constant(np.arange(20).reshape(4, 5))
    assert_type(mu.eq(x, c), Mask)
    assert_type(mu.greater_equal(x, 0.0), Mask)
    assert_type(mu.logical_and(x, c), Mask)
    assert_type(mu.logical_not(x), Mask)
    assert_type(mu.isclose(x, c, rtol=1e-3), Mask)
    assert_type(mu.bitwise_xor(counts, 3), Mask)
    assert_type(mu.gcd(counts, counts), Mask)
    assert_type(mu.heaviside(x, c), Mask)
    assert_type(x.ne(c), mu.Constant[B, N])
    assert_type(x.less(0.0), mu.Constant[B, N])
    assert_type(x.logical_or(c), mu.Constant[B, N])
    assert_type(x.isclose(c), Mask)
    assert_type(counts.bitwise_and(counts), mu.Constant[B, N])
    assert_type(counts & counts, mu.Constant[B, N])
    assert_type(counts << 2, mu.Constant[B, N])
    assert_type(3 | counts, mu.Constant[B, N])
    assert_type(~counts, mu.Constant[B, N])
    assert_type(mu.where(x > 0, x, 0.0), mu.Variable[B, N])


def main() -> None:
    arithmetic()
    ternary()
    masks()


if __name__ == "__main__":
    main()
