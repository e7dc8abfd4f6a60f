#!/usr/bin/env python
"""Fit a degree-4 polynomial with one linear layer: pytorch/examples' ``regression`` in mushin.

A random polynomial ``y = w1 x + w2 x^2 + w3 x^3 + w4 x^4 + b`` is the target; a
``Linear(4, 1)`` on the features ``[x, x^2, x^3, x^4]`` of fresh standard-normal batches learns
it with the smooth-L1 loss and plain gradient descent (rate 0.1) until the batch loss falls
below 1e-3, then the learned and the actual polynomial are printed.

    python examples/regression.py

The program is the original with ``torch`` renamed ``mushin``; its PyTorch twin is this file
with the imports renamed back (``tests/examples/twin.py``), and
``tests/examples/test_example_regression.py`` trains both from the same weights on the same
batches and compares the losses.

Differs from the original:

- the update ``param.data.add_(-0.1 * param.grad)`` is ``optim.SGD(fc.parameters(), lr=0.1)``
  and ``optimizer.step()`` (the same arithmetic).
- numbers are formatted from ``.item()`` (mushin's tensors have no ``__format__`` yet).
- the training loop is in ``main()`` (and ``train_step``) so a test can import the module,
  and ``main`` ends with a ``result:`` and a ``time:`` line.
"""

import time
from itertools import count

import mushin as mu
import mushin.nn.functional as F
import mushin.optim as optim

POLY_DEGREE = 4
W_target = mu.randn(POLY_DEGREE, 1) * 5
b_target = mu.randn(1) * 5


def make_features(x):
    """The matrix with columns [x, x^2, x^3, x^4] for a vector ``x``."""
    x = x.unsqueeze(1)
    return mu.cat([x ** i for i in range(1, POLY_DEGREE+1)], 1)


def f(x):
    """The polynomial being learned, evaluated at features ``x``."""
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    """The polynomial with coefficients ``W`` and constant ``b`` as text."""
    result = 'y = '
    for i, w in enumerate(W):
        result += f'{w.item():+.2f} x^{i + 1} '
    result += f'{b[0].item():+.2f}'
    return result


def get_batch(batch_size=32):
    """A batch of features and targets (x, f(x)) for standard-normal x."""
    random = mu.randn(batch_size)
    x = make_features(random)
    y = f(x)
    return x, y


def train_step(fc, optimizer, batch_x, batch_y):
    """One gradient step of ``fc`` on a batch; the batch loss before the step."""
    # Reset gradients
    fc.zero_grad()

    # Forward pass
    output = F.smooth_l1_loss(fc(batch_x), batch_y)
    loss = output.item()

    # Backward pass
    output.backward()

    # Apply gradients
    optimizer.step()
    return loss


def main():
    """Train until the batch loss is below 1e-3 and print both polynomials."""
    start = time.perf_counter()
    # Define model
    fc = mu.nn.Linear(W_target.size(0), 1)
    optimizer = optim.SGD(fc.parameters(), lr=0.1)

    for batch_idx in count(1):
        # Get data
        batch_x, batch_y = get_batch()

        loss = train_step(fc, optimizer, batch_x, batch_y)

        # Stop criterion
        if loss < 1e-3:
            break

    print(f'Loss: {loss:.6f} after {batch_idx} batches')
    print('==> Learned function:\t' + poly_desc(fc.weight.view(-1), fc.bias))
    print('==> Actual function:\t' + poly_desc(W_target.view(-1), b_target))
    print(f"result: batches {batch_idx}")
    print(f"time: {time.perf_counter() - start:.1f} s")


if __name__ == '__main__':
    main()
