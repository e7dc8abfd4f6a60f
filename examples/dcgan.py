"""A deep convolutional GAN of handwritten digits: pytorch/examples' ``dcgan`` in mushin.

A generator of five transposed convolutions (with batch normalisation and ReLU) turns 100
normal numbers into a 64x64 image; a discriminator of five convolutions (batch normalisation,
leaky ReLU, a sigmoid at the end) tells real images from generated ones. Both train with Adam
(rate 2e-4, beta1 0.5) on the binary cross-entropy, the discriminator on real and fake
batches, the generator to make the discriminator call its images real (Radford, Metz and
Chintala, 2015). Every 100 batches the program writes real and generated images; after each
epoch it saves both networks.

    python examples/dcgan.py [--niter 2] [--batchSize 64] [--outf dcgan_out]

The program is the original with ``torch`` renamed ``mushin``; its PyTorch twin is this file
with the imports renamed back (``tests/examples/twin.py``), and
``tests/examples/test_example_dcgan.py`` trains both from the same weights on the same
batches and noise and compares the losses.

Differs from the original:

- offline data: ``--dataset digits`` (the default and only choice), scikit-learn's 1,797
  handwritten digits, each pixel a 8x8 block so that an image is 64x64, scaled to [-1, 1] as
  the original's ``Normalize((0.5,), (0.5,))``; one channel. No torchvision data sets.
- 2 epochs by default instead of 25; ``--outf`` defaults to ``dcgan_out``; ``--manualSeed``
  defaults to 1 (the original draws one).
- the multi-GPU ``data_parallel`` branch is left out (one device).
- ``save_image`` (torchvision's) is ``examples/image_grid.py``; checkpoints are written with
  ``mu.save`` in safetensors files.
- the models and training step are functions (``build``, ``train_step``) and the loop is in
  ``main()`` so a test can import the module; ``main`` ends with a ``result:`` and a
  ``time:`` line.
"""

import argparse
import os
import random
import time

import numpy as np
from image_grid import save_image

import mushin as mu
import mushin.nn as nn
import mushin.optim as optim
import mushin.utils.data

nz = 100
ngf = 64
ndf = 64
nc = 1


# custom weights initialization called on netG and netD
def weights_init(m):
    """N(0, 0.02) convolution weights; N(1, 0.02) batch-norm scales and zero shifts."""
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        mu.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        mu.nn.init.normal_(m.weight, 1.0, 0.02)
        mu.nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """(N, nz, 1, 1) noise to (N, nc, 64, 64) images in [-1, 1]."""

    def __init__(self, ngpu):
        super(Generator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            # input is Z, going into a convolution
            nn.ConvTranspose2d(     nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            # state size. (ngf*8) x 4 x 4
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 8 x 8
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 16 x 16
            nn.ConvTranspose2d(ngf * 2,     ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # state size. (ngf) x 32 x 32
            nn.ConvTranspose2d(    ngf,      nc, 4, 2, 1, bias=False),
            nn.Tanh()
            # state size. (nc) x 64 x 64
        )

    def forward(self, input):
        output = self.main(input)
        return output


class Discriminator(nn.Module):
    """(N, nc, 64, 64) images to (N,) probabilities of being real."""

    def __init__(self, ngpu):
        super(Discriminator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            # input is (nc) x 64 x 64
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x 32 x 32
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 16 x 16
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*4) x 8 x 8
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*8) x 4 x 4
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        output = self.main(input)
        return output.view(-1, 1).squeeze(1)


def digit_dataset():
    """scikit-learn's digits as (N, 1, 64, 64) float32 images in [-1, 1] (labels unused)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.stack([np.kron(image / 16.0, np.ones((8, 8))) for image in digits.images])
    images = ((images[:, None] - 0.5) / 0.5).astype(np.float32)
    return mu.utils.data.TensorDataset(mu.from_numpy(images),
                                       mu.from_numpy(digits.target.astype(np.int64)))


def build(device, lr=0.0002, beta1=0.5):
    """The two networks, initialised, with their optimizers and the loss."""
    netG = Generator(1).to(device)
    netG.apply(weights_init)
    netD = Discriminator(1).to(device)
    netD.apply(weights_init)
    criterion = nn.BCELoss()
    # setup optimizer
    optimizerD = optim.Adam(netD.parameters(), lr=lr, betas=(beta1, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=lr, betas=(beta1, 0.999))
    return netG, netD, criterion, optimizerD, optimizerG


def train_step(netG, netD, criterion, optimizerD, optimizerG, real_cpu, noise, device):
    """One discriminator and one generator update; the losses and mean outputs."""
    real_label = 1
    fake_label = 0
    ############################
    # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
    ###########################
    # train with real
    netD.zero_grad()
    batch_size = real_cpu.size(0)
    label = mu.full((batch_size,), real_label,
                    dtype=real_cpu.dtype, device=device)

    output = netD(real_cpu)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()

    # train with fake
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach())
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optimizerD.step()

    ############################
    # (2) Update G network: maximize log(D(G(z)))
    ###########################
    netG.zero_grad()
    label.fill_(real_label)  # fake labels are real for generator cost
    output = netD(fake)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.mean().item()
    optimizerG.step()
    return errD.item(), errG.item(), D_x, D_G_z1, D_G_z2


def main():
    """Parse the options and train both networks for ``--niter`` epochs."""
    start = time.perf_counter()
    parser = argparse.ArgumentParser()
    parser.add_argument('--dataset', default='digits', choices=['digits'],
                        help='digits (scikit-learn, offline)')
    parser.add_argument('--batchSize', type=int, default=64, help='input batch size')
    parser.add_argument('--niter', type=int, default=2, help='number of epochs to train for')
    parser.add_argument('--lr', type=float, default=0.0002, help='learning rate, default=0.0002')
    parser.add_argument('--beta1', type=float, default=0.5, help='beta1 for adam. default=0.5')
    parser.add_argument('--dry-run', action='store_true',
                        help='check a single training cycle works')
    parser.add_argument('--outf', default='dcgan_out',
                        help='folder to output images and model checkpoints')
    parser.add_argument('--manualSeed', type=int, default=1, help='manual seed')
    parser.add_argument('--accel', action='store_true', default=False, help='enables accelerator')
    opt = parser.parse_args()
    print(opt)

    os.makedirs(opt.outf, exist_ok=True)
    print("Random Seed: ", opt.manualSeed)
    random.seed(opt.manualSeed)
    mu.manual_seed(opt.manualSeed)

    if opt.accel and mu.accelerator.is_available():
        device = mu.accelerator.current_accelerator()
    else:
        device = mu.device("cpu")
    print(f"Using device: {device}")

    dataset = digit_dataset()
    dataloader = mu.utils.data.DataLoader(dataset, batch_size=opt.batchSize, shuffle=True)
    netG, netD, criterion, optimizerD, optimizerG = build(device, opt.lr, opt.beta1)
    print(netG)
    print(netD)

    fixed_noise = mu.randn(opt.batchSize, nz, 1, 1, device=device)
    if opt.dry_run:
        opt.niter = 1

    errD = errG = D_x = float('nan')
    for epoch in range(opt.niter):
        for i, data in enumerate(dataloader, 0):
            real_cpu = data[0].to(device)
            noise = mu.randn(real_cpu.size(0), nz, 1, 1, device=device)
            errD, errG, D_x, D_G_z1, D_G_z2 = train_step(
                netG, netD, criterion, optimizerD, optimizerG, real_cpu, noise, device)

            print('[%d/%d][%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f'
                  % (epoch, opt.niter, i, len(dataloader),
                     errD, errG, D_x, D_G_z1, D_G_z2))
            if i % 100 == 0:
                save_image(real_cpu,
                        '%s/real_samples.png' % opt.outf,
                        normalize=True)
                fake = netG(fixed_noise)
                save_image(fake.detach(),
                        '%s/fake_samples_epoch_%03d.png' % (opt.outf, epoch),
                        normalize=True)

            if opt.dry_run:
                break
        # do checkpointing
        mu.save(netG.state_dict(), '%s/netG_epoch_%d.pth' % (opt.outf, epoch))
        mu.save(netD.state_dict(), '%s/netD_epoch_%d.pth' % (opt.outf, epoch))
    print(f"result: Loss_D {errD:.4f} Loss_G {errG:.4f} D(x) {D_x:.4f}")
    print(f"time: {time.perf_counter() - start:.1f} s")


if __name__ == '__main__':
    main()
