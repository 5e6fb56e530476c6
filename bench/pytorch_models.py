#!/usr/bin/env python3
"""The `models` bench in PyTorch: the same MLP (784-256-10 relu) and LeNet-5 as `bench -- models`, Adam 1e-3,
batch 128, one epoch per run, on MNIST from data/mnist, with torch.set_num_threads matching the C# bench (1).

    python3 bench/pytorch_models.py [--threads 1] [--runs 3]

Prints seconds per epoch and epochs/s of each model (the fastest of the runs). Not run on the machine of
BENCHMARKS.md: its Debian has no python3-torch (nothing is installed by this script).
"""
import argparse
import gzip
import pathlib
import struct
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit("PyTorch is not installed (python3 -c 'import torch' fails): nothing to compare")

ROOT = pathlib.Path(__file__).resolve().parent.parent


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = x.view(-1, 1, 28, 28)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc3(F.relu(self.fc2(x)))


def epoch_seconds(model_type, features, labels, batch, seed):
    torch.manual_seed(seed)
    model = model_type()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    start = time.perf_counter()
    order = torch.randperm(features.shape[0], generator=generator)
    for i in range(0, features.shape[0], batch):
        indices = order[i:i + batch]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(features[indices]), labels[indices])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images = idx(ROOT / "data/mnist/train-images-idx3-ubyte.gz")
    labels = idx(ROOT / "data/mnist/train-labels-idx1-ubyte.gz").long()
    features = images.reshape(images.shape[0], -1).float().div_(255)
    print(f"PyTorch {torch.__version__}, {args.threads} thread(s)")
    for name, model_type in (("mlp 784-256-10 relu", Mlp), ("cnn LeNet-5", LeNet5)):
        seconds = [epoch_seconds(model_type, features, labels, 128, run) for run in range(args.runs)]
        print(f"{name}: {min(seconds):.2f} s/epoch ({1 / min(seconds):.3f} epochs/s), slowest {max(seconds):.2f} s")


if __name__ == "__main__":
    main()
