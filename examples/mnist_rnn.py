"""An LSTM digit classifier reading each image row by row: pytorch/examples' ``mnist_rnn`` in
mushin.

Each 28x28 digit is a sequence of 28 rows of 28 pixels; an ``LSTM(28, 64, batch_first=True)``
reads it, and its last output goes through batch normalisation, dropout and two linear layers
to ``log_softmax``. ``nll_loss`` trains it with Adadelta (learning rate 0.1) and a StepLR
schedule (``gamma`` per epoch); each epoch ends with the held-out loss and accuracy.

    python examples/mnist_rnn.py [--epochs 14] [--batch-size 64] [--lr 0.1]

The program is the original with ``torch`` renamed ``mushin``; its PyTorch twin is this file
with the imports renamed back (``tests/examples/twin.py``), and
``tests/examples/test_example_mnist_rnn.py`` trains both from the same weights on the same
batches and compares the losses.

Differs from the original:

- offline data: scikit-learn's 1,797 handwritten digits made MNIST-like (28x28, normalised
  with MNIST's mean and deviation; ``examples/offline_data.py``) instead of the MNIST
  download. 80% of the digits (a fixed permutation) train, the rest test; the test set is not
  shuffled (the original shuffles it, which changes nothing but the order).
- datasets are ``TensorDataset``s of arrays made with ``from_numpy`` (no torchvision).
- ``test`` returns the loss and accuracy it prints, and ``main`` ends with a ``result:`` and
  a ``time:`` line; no accelerator-only DataLoader options (workers, pinned memory).
"""

import argparse
import time

from offline_data import mnist_like_digits

import mushin as mu
import mushin.nn as nn
import mushin.nn.functional as F
import mushin.optim as optim
import mushin.utils.data
from mushin.optim.lr_scheduler import StepLR


class Net(nn.Module):
    """LSTM over the rows -> batch norm -> dropout -> fc(64->32) -> dropout -> fc(32->10)."""

    def __init__(self):
        super(Net, self).__init__()
        self.rnn = nn.LSTM(input_size=28, hidden_size=64, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(64)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, input):
        """Log-probabilities of the ten classes for a batch of (N, 1, 28, 28) images."""
        # Shape of input is (batch_size,1, 28, 28)
        # converting shape of input to (batch_size, 28, 28)
        # as required by RNN when batch_first is set True
        input = input.reshape(-1, 28, 28)
        output, hidden = self.rnn(input)

        # RNN output shape is (seq_len, batch, input_size)
        # Get last output of RNN
        output = output[:, -1, :]
        output = self.batchnorm(output)
        output = self.dropout1(output)
        output = self.fc1(output)
        output = F.relu(output)
        output = self.dropout2(output)
        output = self.fc2(output)
        output = F.log_softmax(output, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    """One epoch of training, printing the batch loss every ``args.log_interval`` batches."""
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                       100. * batch_idx / len(train_loader), loss.item()))
            if args.dry_run:
                break


def test(args, model, device, test_loader):
    """Print and return the mean loss and the accuracy (%) on ``test_loader``'s dataset."""
    model.eval()
    test_loss = 0
    correct = 0
    with mu.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()
            if args.dry_run:
                break

    test_loss /= len(test_loader.dataset)
    accuracy = 100. * correct / len(test_loader.dataset)

    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset), accuracy))
    return test_loss, accuracy


def load_datasets():
    """The training and test ``TensorDataset``s (``offline_data.mnist_like_digits``)."""
    train_images, train_labels, test_images, test_labels = mnist_like_digits()
    return (mu.utils.data.TensorDataset(mu.from_numpy(train_images),
                                        mu.from_numpy(train_labels)),
            mu.utils.data.TensorDataset(mu.from_numpy(test_images), mu.from_numpy(test_labels)))


def main():
    """Parse the options, train for ``--epochs`` epochs and report the test accuracy."""
    start = time.perf_counter()
    # Training settings
    parser = argparse.ArgumentParser(description='mushin MNIST Example using RNN')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N',
                        help='input batch size for training (default: 64)')
    parser.add_argument('--test-batch-size', type=int, default=1000, metavar='N',
                        help='input batch size for testing (default: 1000)')
    parser.add_argument('--epochs', type=int, default=14, metavar='N',
                        help='number of epochs to train (default: 14)')
    parser.add_argument('--lr', type=float, default=0.1, metavar='LR',
                        help='learning rate (default: 0.1)')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M',
                        help='learning rate step gamma (default: 0.7)')
    parser.add_argument('--accel', action='store_true',
                        help='enables accelerator')
    parser.add_argument('--dry-run', action='store_true',
                        help='quickly check a single pass')
    parser.add_argument('--seed', type=int, default=1, metavar='S',
                        help='random seed (default: 1)')
    parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                        help='how many batches to wait before logging training status')
    parser.add_argument('--save-model', action='store_true',
                        help='for Saving the current Model')
    args = parser.parse_args()

    if args.accel:
        device = mu.accelerator.current_accelerator()
    else:
        device = mu.device("cpu")

    mu.manual_seed(args.seed)

    dataset1, dataset2 = load_datasets()
    train_loader = mu.utils.data.DataLoader(dataset1, batch_size=args.batch_size, shuffle=True)
    test_loader = mu.utils.data.DataLoader(dataset2, batch_size=args.test_batch_size)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        _, accuracy = test(args, model, device, test_loader)
        scheduler.step()

    if args.save_model:
        mu.save(model.state_dict(), "mnist_rnn.pt")

    print(f"result: accuracy {accuracy:.2f}")
    print(f"time: {time.perf_counter() - start:.1f} s")


if __name__ == '__main__':
    main()
