"""A convolutional digit classifier trained with Adadelta: pytorch/examples' ``mnist`` in mushin.

Two 3x3 convolutions, max pooling, dropout and two linear layers read 28x28 digits and end in
``log_softmax``; ``nll_loss`` trains them with Adadelta (learning rate 1.0) and a StepLR
schedule that multiplies the rate by ``gamma`` after every epoch. Each epoch ends with the loss
and accuracy on the held-out digits.

    python examples/mnist.py [--epochs 3] [--batch-size 64] [--lr 1.0] [--gamma 0.7]

The program is the original with ``torch`` renamed ``mushin``; its PyTorch twin is this file
with the imports renamed back (``tests/examples/twin.py``), and
``tests/examples/test_example_mnist.py`` trains both from the same weights on the same
batches and compares the losses.

Differs from the original:

- offline data: scikit-learn's 1,797 handwritten digits made MNIST-like (28x28, normalised
  with MNIST's mean and deviation; ``examples/offline_data.py``) instead of the MNIST
  download. 80% of the digits (a fixed permutation) train, the rest test.
- 3 epochs by default instead of 14, so a default run takes about a minute on two cores.
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
from mushin.optim.lr_scheduler import StepLR
from mushin.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    """conv(1->32) -> conv(32->64) -> max pool -> dropout -> fc(9216->128) -> dropout -> fc(10)."""

    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        """Log-probabilities of the ten classes for a batch of (N, 1, 28, 28) images."""
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = mu.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
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


def test(model, device, test_loader):
    """Print and return the mean loss and the accuracy (%) on ``test_loader``'s dataset."""
    model.eval()
    test_loss = 0
    correct = 0
    with mu.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # summed over the batch
            pred = output.argmax(dim=1, keepdim=True)  # the class of the largest log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)
    accuracy = 100. * correct / len(test_loader.dataset)

    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset), accuracy))
    return test_loss, accuracy


def load_datasets():
    """The training and test ``TensorDataset``s (``offline_data.mnist_like_digits``)."""
    train_images, train_labels, test_images, test_labels = mnist_like_digits()
    dataset1 = TensorDataset(mu.from_numpy(train_images), mu.from_numpy(train_labels))
    dataset2 = TensorDataset(mu.from_numpy(test_images), mu.from_numpy(test_labels))
    return dataset1, dataset2


def main():
    """Parse the options, train for ``--epochs`` epochs and report the test accuracy."""
    start = time.perf_counter()
    parser = argparse.ArgumentParser(description='mushin MNIST Example (scikit-learn digits)')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N',
                        help='input batch size for training (default: 64)')
    parser.add_argument('--test-batch-size', type=int, default=1000, metavar='N',
                        help='input batch size for testing (default: 1000)')
    parser.add_argument('--epochs', type=int, default=3, metavar='N',
                        help='number of epochs to train (default: 3)')
    parser.add_argument('--lr', type=float, default=1.0, metavar='LR',
                        help='learning rate (default: 1.0)')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M',
                        help='Learning rate step gamma (default: 0.7)')
    parser.add_argument('--no-accel', action='store_true',
                        help='disables accelerator')
    parser.add_argument('--dry-run', action='store_true',
                        help='quickly check a single pass')
    parser.add_argument('--seed', type=int, default=1, metavar='S',
                        help='random seed (default: 1)')
    parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                        help='how many batches to wait before logging training status')
    parser.add_argument('--save-model', action='store_true',
                        help='For Saving the current Model')
    args = parser.parse_args()

    use_accel = not args.no_accel and mu.accelerator.is_available()

    mu.manual_seed(args.seed)

    if use_accel:
        device = mu.accelerator.current_accelerator()
    else:
        device = mu.device("cpu")

    train_kwargs = {'batch_size': args.batch_size}
    test_kwargs = {'batch_size': args.test_batch_size}
    if use_accel:
        accel_kwargs = {'shuffle': True}
        train_kwargs.update(accel_kwargs)
        test_kwargs.update(accel_kwargs)

    dataset1, dataset2 = load_datasets()
    train_loader = DataLoader(dataset1, **train_kwargs)
    test_loader = DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        _, accuracy = test(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        mu.save(model.state_dict(), "mnist_cnn.pt")

    print(f"result: accuracy {accuracy:.2f}")
    print(f"time: {time.perf_counter() - start:.1f} s")


if __name__ == '__main__':
    main()
