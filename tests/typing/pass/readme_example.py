# pyright: strict
"""The crate's README example with its shapes annotated, as a user would write it."""

from typing import Literal as L

import mushin as mu


def main() -> None:
    # The annotation gives the checkers the literal sizes of each maker's shape argument.
    x_variable: mu.Variable[L[1], L[1], L[2], L[3]] = mu.eye((1, 1, 2, 3), 3.0)
    x = x_variable.freeze()  # a Constant: not tracked
    w: mu.Variable[L[1], L[1], L[3], L[2]] = mu.randn((1, 1, 3, 2))
    b: mu.Variable[L[1], L[1], L[3], L[3]] = mu.fill((1, 1, 3, 3), 0.0)

    z: mu.Variable[L[1], L[1], L[3], L[3]] = mu.add(mu.mm(w, x), b)
    z.backward()

    dz_dw: mu.Variable[L[1], L[1], L[3], L[2]] = w.grad()
    dz_db: mu.Variable[L[1], L[1], L[3], L[3]] = b.grad()

    # The method and operator spellings have the same types.
    same: mu.Variable[L[1], L[1], L[3], L[3]] = w.mm(x).add(b)
    also: mu.Variable[L[1], L[1], L[3], L[3]] = w @ x + b
    assert dz_dw.shape == (1, 1, 3, 2) and dz_db.shape == (1, 1, 3, 3)
    assert same.shape == also.shape == z.shape


if __name__ == "__main__":
    main()
