"""A variational autoencoder of handwritten digits: pytorch/examples' ``vae`` in mushin.

An encoder (784 -> 400 -> two heads of 20) gives the mean and log-variance of a Gaussian
code, a code is drawn with the reparameterisation trick, and a decoder (20 -> 400 -> 784,
sigmoid) reconstructs the image. The loss is the summed binary cross-entropy of the
reconstruction plus the KL divergence of the code from a standard normal (Kingma and Welling,
Auto-Encoding Variational Bayes, appendix B); Adam (rate 1e-3) minimises it. After each epoch
the program prints the test loss and writes PNGs of test reconstructions and of decoded
random codes into ``results/``.

    python examples/vae.py [--epochs 10] [--batch-size 128]

The program is the original with ``torch`` renamed ``mushin``; its PyTorch twin is this file
with the imports renamed back (``tests/examples/twin.py``), and
``tests/examples/test_example_vae.py`` trains both from the same weights on the same batches
with the same reparameterisation noise and compares the losses.

Differs from the original:

- offline data: scikit-learn's 1,797 handwritten digits made MNIST-like (28x28 = 784 pixels
  in [0, 1]; ``examples/offline_data.py``) instead of the MNIST download; 80% of the digits
  (a fixed permutation) train, the rest test. Datasets are ``TensorDataset``s of arrays made
  with ``from_numpy``.
- ``mu`` names the library (``import mushin as mu``), so the mean of the code is called
  ``mean`` where the original calls it ``mu``.
- the options, data and model are made in ``main()`` (the original builds them at import),
  and ``train``/``test`` take the model, optimizer, loader and options as arguments, so a test
  can import the module; ``test`` returns its loss and ``main`` ends with a ``result:`` and a
  ``time:`` line.
- ``save_image`` (torchvision's) is a small NumPy/matplotlib grid writer
  (``examples/image_grid.py``).
- no accelerator-only DataLoader options (workers, pinned memory).
"""

import argparse
import os
import time

from image_grid import save_image
from offline_data import mnist_like_digits

import mushin as mu
import mushin.utils.data
from mushin import nn, optim
from mushin.nn import functional as F


class VAE(nn.Module):
    """Encoder 784 -> 400 -> (mean, log-variance) of a 20-dimensional code; decoder back."""

    def __init__(self):
        super(VAE, self).__init__()

        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        """The mean and log-variance of the code of each flattened image."""
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mean, logvar):
        """A code drawn from N(mean, exp(logvar)) as ``mean + eps * std``, ``eps`` standard
        normal, so that gradients reach ``mean`` and ``logvar``."""
        std = mu.exp(0.5*logvar)
        eps = mu.randn_like(std)
        return mean + eps*std

    def decode(self, z):
        """Pixel probabilities (N, 784) of the images of codes ``z``."""
        h3 = F.relu(self.fc3(z))
        return mu.sigmoid(self.fc4(h3))

    def forward(self, x):
        """Reconstruction, code mean and code log-variance of a batch of images."""
        mean, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mean, logvar)
        return self.decode(z), mean, logvar


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mean, logvar):
    """Summed binary cross-entropy of the reconstruction plus the KL divergence
    -0.5 * sum(1 + log(sigma^2) - mean^2 - sigma^2) of the code from N(0, I)."""
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
    KLD = -0.5 * mu.sum(1 + logvar - mean.pow(2) - logvar.exp())

    return BCE + KLD


def train(args, model, optimizer, train_loader, device, epoch):
    """One epoch of training; prints the loss per image every ``args.log_interval`` batches
    and the epoch's average."""
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mean, logvar = model(data)
        loss = loss_function(recon_batch, data, mean, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader),
                loss.item() / len(data)))

    print('====> Epoch: {} Average loss: {:.4f}'.format(
          epoch, train_loss / len(train_loader.dataset)))
    return train_loss / len(train_loader.dataset)


def test(args, model, test_loader, device, epoch):
    """Print and return the loss per test image; save the first batch's reconstructions."""
    model.eval()
    test_loss = 0
    with mu.no_grad():
        for i, (data, _) in enumerate(test_loader):
            data = data.to(device)
            recon_batch, mean, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mean, logvar).item()
            if i == 0:
                n = min(data.size(0), 8)
                comparison = mu.cat([data[:n],
                                     recon_batch.view(args.batch_size, 1, 28, 28)[:n]])
                save_image(comparison.cpu(),
                           'results/reconstruction_' + str(epoch) + '.png', nrow=n)

    test_loss /= len(test_loader.dataset)
    print('====> Test set loss: {:.4f}'.format(test_loss))
    return test_loss


def load_datasets():
    """The training and test ``TensorDataset``s (``offline_data.mnist_like_digits``, pixels in
    [0, 1])."""
    train_images, train_labels, test_images, test_labels = mnist_like_digits(normalize=False)
    return (mu.utils.data.TensorDataset(mu.from_numpy(train_images),
                                        mu.from_numpy(train_labels)),
            mu.utils.data.TensorDataset(mu.from_numpy(test_images), mu.from_numpy(test_labels)))


def main():
    """Parse the options, train for ``--epochs`` epochs and report the test loss."""
    start = time.perf_counter()
    parser = argparse.ArgumentParser(description='VAE MNIST Example (scikit-learn digits)')
    parser.add_argument('--batch-size', type=int, default=128, metavar='N',
                        help='input batch size for training (default: 128)')
    parser.add_argument('--epochs', type=int, default=10, metavar='N',
                        help='number of epochs to train (default: 10)')
    parser.add_argument('--no-accel', action='store_true',
                        help='disables accelerator')
    parser.add_argument('--seed', type=int, default=1, metavar='S',
                        help='random seed (default: 1)')
    parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                        help='how many batches to wait before logging training status')
    args = parser.parse_args()

    use_accel = not args.no_accel and mu.accelerator.is_available()

    mu.manual_seed(args.seed)

    if use_accel:
        device = mu.accelerator.current_accelerator()
    else:
        device = mu.device("cpu")

    print(f"Using device: {device}")

    dataset1, dataset2 = load_datasets()
    train_loader = mu.utils.data.DataLoader(dataset1, batch_size=args.batch_size, shuffle=True)
    test_loader = mu.utils.data.DataLoader(dataset2, batch_size=args.batch_size, shuffle=False)

    model = VAE().to(device)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)

    os.makedirs('results', exist_ok=True)
    test_loss = 0.0
    for epoch in range(1, args.epochs + 1):
        train(args, model, optimizer, train_loader, device, epoch)
        test_loss = test(args, model, test_loader, device, epoch)
        with mu.no_grad():
            sample = mu.randn(64, 20).to(device)
            sample = model.decode(sample).cpu()
            save_image(sample.view(64, 1, 28, 28),
                       'results/sample_' + str(epoch) + '.png')

    print(f"result: test_loss {test_loss:.4f}")
    print(f"time: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
