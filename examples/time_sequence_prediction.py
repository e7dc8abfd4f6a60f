"""Two stacked LSTM cells learn sine waves with L-BFGS: pytorch/examples'
``time_sequence_prediction`` in mushin.

97 sine waves of period 40 pi (random phases) train two ``LSTMCell``s and a ``Linear`` read-out
in float64 to predict each next value; L-BFGS (learning rate 0.8) takes the whole data set as
one batch, through a closure that recomputes the loss. After each step the model predicts 3
held-out waves and 1,000 values beyond their end, prints the test loss and draws them.

    python examples/time_sequence_prediction.py [--steps 3] [--length 1000]

The program is the original with ``torch`` renamed ``mushin``; its PyTorch twin is this file
with the imports renamed back (``tests/examples/twin.py``), and
``tests/examples/test_example_time_sequence_prediction.py`` trains both from the same weights
and compares the losses.

Differs from the original:

- the data are made in the program (``generate_data``: ``generate_sine_wave.py``'s code)
  rather than read from the ``traindata.pt`` that script writes.
- 3 L-BFGS steps by default instead of 15 (each runs its closure up to 20 times over the
  97 x 999 values, a few minutes in all on two cores).
- ``--length`` (default 1000, the original's) sets the number of time steps; ``--plot-dir``
  (default ``predictions/``) is where the ``predict<step>.pdf`` plots go, and ``--no-plot``
  skips them.
- the loop is in ``main()`` (and ``train``) so a test can import the module, and ``main``
  ends with a ``result:`` and a ``time:`` line.
"""

import argparse
import os
import time

import matplotlib
import numpy as np

import mushin as mu
import mushin.nn as nn
import mushin.optim as optim

matplotlib.use('Agg')
import matplotlib.pyplot as plt


class Sequence(nn.Module):
    """LSTMCell(1, 51) -> LSTMCell(51, 51) -> Linear(51, 1), run over time step by step."""

    def __init__(self):
        super(Sequence, self).__init__()
        self.lstm1 = nn.LSTMCell(1, 51)
        self.lstm2 = nn.LSTMCell(51, 51)
        self.linear = nn.Linear(51, 1)

    def forward(self, input, future = 0):
        """The prediction of each next value of ``input`` (N, T), then ``future`` more values
        fed back from the model's own output."""
        outputs = []
        h_t = mu.zeros(input.size(0), 51, dtype=mu.double)
        c_t = mu.zeros(input.size(0), 51, dtype=mu.double)
        h_t2 = mu.zeros(input.size(0), 51, dtype=mu.double)
        c_t2 = mu.zeros(input.size(0), 51, dtype=mu.double)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):# if we should predict the future
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = mu.cat(outputs, dim=1)
        return outputs


def generate_data(length=1000):
    """``generate_sine_wave.py``: 100 sine waves of period 40 pi, ``length`` steps each,
    shifted by random integer phases (NumPy seed 2)."""
    np.random.seed(2)

    T = 20
    L = length
    N = 100

    x = np.empty((N, L), 'int64')
    x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
    data = np.sin(x / 1.0 / T).astype('float64')
    return data


def train(seq, optimizer, criterion, input, target):
    """One L-BFGS step over the whole training set; the losses its closure computed."""
    losses = []

    def closure():
        optimizer.zero_grad()
        out = seq(input)
        loss = criterion(out, target)
        print('loss:', loss.item())
        losses.append(loss.item())
        loss.backward()
        return loss
    optimizer.step(closure)
    return losses


def main():
    """Train for ``--steps`` L-BFGS steps, predicting and drawing after each."""
    start = time.perf_counter()
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=3, help='steps to run')
    parser.add_argument('--length', type=int, default=1000, help='time steps per wave')
    parser.add_argument('--plot-dir', default='predictions', help='where the plots go')
    parser.add_argument('--no-plot', action='store_true', help='draw nothing')
    opt = parser.parse_args()
    # set random seed to 0
    np.random.seed(0)
    mu.manual_seed(0)
    # load data and make training set
    data = generate_data(opt.length)
    input = mu.from_numpy(data[3:, :-1])
    target = mu.from_numpy(data[3:, 1:])
    test_input = mu.from_numpy(data[:3, :-1])
    test_target = mu.from_numpy(data[:3, 1:])
    # build the model
    seq = Sequence()
    seq.double()
    criterion = nn.MSELoss()
    # use LBFGS as optimizer since we can load the whole data to train
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
    if not opt.no_plot:
        os.makedirs(opt.plot_dir, exist_ok=True)
    #begin to train
    test_loss = float('nan')
    for i in range(opt.steps):
        print('STEP: ', i)
        train(seq, optimizer, criterion, input, target)
        # begin to predict, no need to track gradient here
        with mu.no_grad():
            future = 1000
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print('test loss:', loss.item())
            test_loss = loss.item()
            y = pred.detach().numpy()
        if opt.no_plot:
            continue
        # draw the result
        plt.figure(figsize=(30,10))
        plt.title('Predict future values for time sequences\n'
                  '(Dashlines are predicted values)', fontsize=30)
        plt.xlabel('x', fontsize=20)
        plt.ylabel('y', fontsize=20)
        plt.xticks(fontsize=20)
        plt.yticks(fontsize=20)
        def draw(yi, color):
            plt.plot(np.arange(input.size(1)), yi[:input.size(1)], color, linewidth = 2.0)
            plt.plot(np.arange(input.size(1), input.size(1) + future), yi[input.size(1):],
                     color + ':', linewidth = 2.0)
        draw(y[0], 'r')
        draw(y[1], 'g')
        draw(y[2], 'b')
        plt.savefig(os.path.join(opt.plot_dir, 'predict%d.pdf'%i))
        plt.close()
    print(f"result: test loss {test_loss:.3e}")
    print(f"time: {time.perf_counter() - start:.1f} s")


if __name__ == '__main__':
    main()
