#!/usr/bin/python3
"""Makes the ONNX-import fixtures with PyTorch (Debian's python3-torch 1.13 + python3-onnx).

Run from this folder:  /usr/bin/python3 make_fixtures.py
For every model it writes <name>.onnx (torch.onnx.export, dynamic batch axis), <name>.input.bin and
<name>.output.bin (little-endian float32, row-major; PyTorch's eval-mode outputs on fixed inputs), and
fixtures.json lists names, opsets and shapes. Everything is seeded, so re-running gives the same models.
"""
import gzip
import json
import os
import struct
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1234)
BATCH = 4


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.f5 = nn.Linear(16 * 5 * 5, 120)
        self.f6 = nn.Linear(120, 84)
        self.out = nn.Linear(84, 10)
        self.drop = nn.Dropout(0.25)

    def forward(self, x):
        x = F.max_pool2d(torch.tanh(self.c1(x)), 2)
        x = F.avg_pool2d(F.relu(self.c3(x)), 2)
        x = torch.flatten(x, 1)
        x = self.drop(F.relu(self.f5(x)))
        x = F.relu(self.f6(x))
        return self.out(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet20(nn.Module):
    """ResNet-20 (3 stages x 3 basic blocks) with widths 4/8/16 instead of 16/32/64, to keep the file small."""

    def __init__(self, widths=(4, 8, 16), classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(widths[0])
        layers, cin = [], widths[0]
        for i, w in enumerate(widths):
            for b in range(3):
                layers.append(BasicBlock(cin, w, 2 if (b == 0 and i > 0) else 1))
                cin = w
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = self.blocks(x)
        x = F.adaptive_avg_pool2d(x, 1)
        x = x.view(x.size(0), -1)
        return self.fc(x)


class Cnn1D(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(2, 8, 5, padding=2)
        self.bn1 = nn.BatchNorm1d(8)
        self.c2 = nn.Conv1d(8, 16, 3, stride=2, dilation=2, padding=2)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = F.max_pool1d(F.relu(self.bn1(self.c1(x))), 2)
        x = F.avg_pool1d(F.leaky_relu(self.c2(x), 0.1), 2)
        x = F.adaptive_avg_pool1d(x, 1)
        x = torch.flatten(x, 1)
        return F.log_softmax(self.fc(x), dim=1)


class Cnn3D(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv3d(1, 4, 3, padding=1)
        self.c2 = nn.Conv3d(4, 8, (3, 3, 1), stride=(1, 1, 2))
        self.bn = nn.BatchNorm3d(8)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        x = F.max_pool3d(F.relu(self.c1(x)), 2)
        x = torch.sigmoid(self.bn(self.c2(x)))
        x = F.adaptive_max_pool3d(x, 1)
        x = torch.flatten(x, 1)
        return F.softmax(self.fc(x), dim=1)


class GroupedConcat(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(4, 8, 3, padding=1, groups=2)
        self.b1 = nn.Conv2d(8, 4, 1)
        self.b2 = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=4), nn.ReLU(), nn.Conv2d(8, 4, 3, padding=2, dilation=2, groups=4))
        self.b3 = nn.MaxPool2d(3, stride=1, padding=1)
        self.head = nn.Conv2d(16, 16, 3, stride=2, groups=16)  # depthwise
        self.fc = nn.Linear(16 * 5 * 5, 6)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = torch.cat([self.b1(x), self.b2(x), self.b3(x)], dim=1)
        x = torch.tanh(self.head(x))
        return self.fc(torch.flatten(x, 1))


def nontrivial_batchnorm(model, input_shape):
    """Gives every BatchNorm non-trivial γ, β and running statistics (train-mode passes on shifted data)."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.3, 0.3)
            m.momentum = 0.3
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.randn(8, *input_shape) * 1.7 + 0.4)


DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "samples", "ConvNet.Samples.LeNet5", "data")


def fashion_mnist(kind):
    """The Fashion-MNIST subset shipped with the LeNet-5 sample, as ConvNet loads it: [N, 1, 28, 28] in [0, 1]."""
    with gzip.open(os.path.join(DATA, kind + "-images-idx3-ubyte.gz")) as f:
        _, n, rows, cols = struct.unpack(">IIII", f.read(16))
        images = torch.frombuffer(bytearray(f.read(n * rows * cols)), dtype=torch.uint8).float().div(255).view(n, 1, rows, cols)
    with gzip.open(os.path.join(DATA, kind + "-labels-idx1-ubyte.gz")) as f:
        f.read(8)
        labels = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).long()
    return images, labels


def pretrain_lenet5(model):
    """Trains LeNet-5 on Fashion-MNIST classes 0-4 only (3 epochs over 3000 images), so the fine-tuning test can
    transfer its features to all 10 classes with a new head."""
    images, labels = fashion_mnist("train")
    keep = (labels < 5).nonzero().squeeze(1)[:3000]
    x, y = images[keep], labels[keep]
    opt = torch.optim.Adam(model.parameters(), 2e-3)
    model.train()
    for _ in range(3):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 32):
            b = perm[i:i + 32]
            opt.zero_grad()
            F.cross_entropy(model(x[b]), y[b]).backward()
            opt.step()


MODELS = [
    # (name, model, per-sample input, opset, keep BatchNormalization nodes instead of torch's conv+bn fusion)
    ("lenet5", LeNet5, (1, 28, 28), 11, False),
    ("resnet20", ResNet20, (3, 32, 32), 13, True),
    ("resnet20_fused", ResNet20, (3, 32, 32), 15, False),
    ("cnn1d", Cnn1D, (2, 64), 17, True),
    ("cnn3d", Cnn3D, (1, 8, 8, 8), 12, True),
    ("grouped_concat", GroupedConcat, (4, 12, 12), 14, False),
]


def main():
    index = []
    for name, cls, shape, opset, keep_bn in MODELS:
        model = cls()
        nontrivial_batchnorm(model, shape)
        if name == "lenet5":
            pretrain_lenet5(model)
        model.eval()
        x = torch.randn(BATCH, *shape)
        with torch.no_grad():
            y = model(x)
        torch.onnx.export(model, x, name + ".onnx", opset_version=opset, input_names=["images"], output_names=["scores"],
                          dynamic_axes={"images": {0: "batch"}, "scores": {0: "batch"}}, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL)
        x.numpy().astype("<f4").tofile(name + ".input.bin")
        y.numpy().astype("<f4").tofile(name + ".output.bin")
        index.append({"name": name, "opset": opset, "batchnorm_nodes": keep_bn, "input": list(x.shape), "output": list(y.shape)})
        print(name, "opset", opset, "in", tuple(x.shape), "out", tuple(y.shape))
    with open("fixtures.json", "w") as f:
        json.dump({"torch": torch.__version__, "models": index}, f, indent=1)


if __name__ == "__main__":
    main()
