#!/usr/bin/env python3
"""Train and export the Dflare demo model (Fashion-MNIST LeNet-5) and its seed images.

This script produces the reference ("uncompressed") half of the Dflare demo model
pair. The compressed half is made later from this model by ``dflare compress``.

What it does
------------
1. Reads Fashion-MNIST from the IDX ``.gz`` files installed by the Debian package
   ``dataset-fashion-mnist`` (default ``/usr/share/datasets/fashion-mnist``) with
   ``gzip`` + ``numpy`` only (torchvision is not needed).
2. Trains a small LeNet-5 style CNN on the training split, fully deterministically
   (fixed seeds, ``torch.use_deterministic_algorithms(True)``, seeded shuffling,
   2 CPU threads), printing per-epoch train loss and test accuracy.
3. Exports the model with ``torch.onnx.export`` to ``fashion-lenet.onnx``
   (opset 13, input ``input`` [batch,1,28,28] float32, output ``logits`` [batch,10]
   raw logits, dynamic batch axis ``batch``, constant folding on), checks it with
   ``onnx.checker`` and, if ``onnxruntime`` is importable, compares ONNX and torch
   outputs.
4. Writes the preprocessing sidecar ``fashion-lenet.onnx.json``.
5. Writes the first 100 images of the Fashion-MNIST *test* split as 8-bit
   greyscale PNG files ``seeds/fmnist-test-00000.png`` ... ``seeds/fmnist-test-00099.png``
   (with a tiny dependency-free zlib PNG writer), plus ``seeds/labels.csv``
   (``file,label``) and ``seeds/classes.txt`` (class names in label order).
6. Prints the SHA-256 of the ONNX file and of the test-set predictions.

Preprocessing (must match the sidecar): ``x = pixel / 255``, then ``(x - 0.5) / 0.5``,
NCHW layout, one channel.

Regenerate everything (from the repository root)::

    /usr/bin/python3 src/Dflare.Cli/Demo/train_demo_model.py

The script resolves all output paths relative to its own location, so it also works
from any other working directory. Requirements: Debian's system Python with the
``python3-torch``, ``python3-onnx`` and ``python3-numpy`` packages, and the
``dataset-fashion-mnist`` package (or ``--data-dir`` pointing to the IDX files).
"""

import argparse
import gzip
import hashlib
import json
import os
import struct
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DEMO_DIR = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
ONNX_NAME = "fashion-lenet.onnx"
SEED = 0
NUM_SEED_IMAGES = 100

CLASS_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

# Preprocessing sidecar: the consumer computes ((pixel * scale) - mean) / std.
SIDECAR = {
    "input": "input",
    "scale": 1.0 / 255.0,  # == 0.00392156862745098
    "mean": [0.5],
    "std": [0.5],
    "layout": "NCHW",
    "output": "logits",
    "outputKind": "logits",
}


# --------------------------------------------------------------------------- data


def read_idx(path):
    """Read a gzip-compressed IDX file (ubyte data) into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: size mismatch ({arr.size} vs {dims})")
    return arr.reshape(dims)


def load_split(data_dir, prefix):
    images = read_idx(data_dir / f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(data_dir / f"{prefix}-labels-idx1-ubyte.gz")
    assert images.shape[0] == labels.shape[0]
    return images, labels


def preprocess(images_u8):
    """uint8 [N,28,28] -> float32 [N,1,28,28] with (x/255 - 0.5) / 0.5."""
    x = images_u8.astype(np.float32) * np.float32(SIDECAR["scale"])
    x = (x - np.float32(0.5)) / np.float32(0.5)
    return torch.from_numpy(np.ascontiguousarray(x[:, None, :, :]))


# --------------------------------------------------------------------------- model


class LeNet5(nn.Module):
    """LeNet-5 style CNN for 1x28x28 inputs, 10 raw logits out."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5, padding=2)  # 6x28x28 -> pool 6x14x14
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)  # 16x10x10 -> pool 16x5x5
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


@torch.no_grad()
def predict(model, x, batch_size=1000):
    model.eval()
    outs = [model(x[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)]
    return torch.cat(outs)


# --------------------------------------------------------------------------- PNG


def png_chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def write_grey_png(path, img_u8):
    """Write a 2-D uint8 array as an 8-bit greyscale PNG (no ancillary chunks)."""
    img = np.ascontiguousarray(img_u8, dtype=np.uint8)
    height, width = img.shape
    raw = b"".join(b"\x00" + img[row].tobytes() for row in range(height))  # filter 0
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit, greyscale
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(raw, 9))
        + png_chunk(b"IEND", b"")
    )
    Path(path).write_bytes(data)


# --------------------------------------------------------------------------- main


def sha256_file(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out-dir", type=Path, default=DEMO_DIR)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()

    out_dir = args.out_dir.resolve()
    seeds_dir = out_dir / "seeds"
    seeds_dir.mkdir(parents=True, exist_ok=True)

    # ---- determinism
    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    try:
        torch.use_deterministic_algorithms(True)
        deterministic = True
    except Exception as exc:  # pragma: no cover - older torch
        print(f"warning: deterministic algorithms unavailable: {exc}")
        deterministic = False
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, deterministic={deterministic}")

    # ---- data
    train_x_u8, train_y_u8 = load_split(args.data_dir, "train")
    test_x_u8, test_y_u8 = load_split(args.data_dir, "t10k")
    print(f"train {train_x_u8.shape}, test {test_x_u8.shape}")
    train_x = preprocess(train_x_u8)
    test_x = preprocess(test_x_u8)
    train_y = torch.from_numpy(train_y_u8.astype(np.int64))
    test_y = torch.from_numpy(test_y_u8.astype(np.int64))

    # ---- training
    model = LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    shuffle_gen = torch.Generator().manual_seed(SEED)
    n = train_x.shape[0]
    t0 = time.time()
    test_acc = 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=shuffle_gen)
        total_loss = 0.0
        for i in range(0, n, args.batch_size):
            idx = perm[i : i + args.batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(train_x[idx]), train_y[idx])
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * idx.shape[0]
        preds = predict(model, test_x).argmax(1)
        test_acc = (preds == test_y).float().mean().item()
        print(
            f"epoch {epoch}/{args.epochs}: train loss {total_loss / n:.4f}, "
            f"test acc {test_acc * 100:.2f}%  ({time.time() - t0:.1f}s)"
        )
    train_time = time.time() - t0
    print(f"training time: {train_time:.1f}s")

    logits = predict(model, test_x)
    preds = logits.argmax(1)
    pred_sha = hashlib.sha256(preds.numpy().astype(np.uint8).tobytes()).hexdigest()
    print(f"final test accuracy: {test_acc * 100:.2f}%")
    print(f"test predictions sha256: {pred_sha}")

    # ---- ONNX export
    import onnx

    onnx_path = out_dir / ONNX_NAME
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28, dtype=torch.float32)
    torch.onnx.export(
        model,
        dummy,
        str(onnx_path),
        export_params=True,
        opset_version=13,
        do_constant_folding=True,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    )
    onnx_model = onnx.load(str(onnx_path))
    onnx.checker.check_model(onnx_model)
    inp = onnx_model.graph.input[0]
    out = onnx_model.graph.output[0]
    in_dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    out_dims = [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim]
    print(f"onnx.checker OK; opset {onnx_model.opset_import[0].version}; "
          f"{inp.name} {in_dims} -> {out.name} {out_dims}")
    assert inp.name == "input" and in_dims == ["batch", 1, 28, 28], in_dims
    assert out.name == "logits" and out_dims == ["batch", 10], out_dims
    size = onnx_path.stat().st_size
    assert size < 1_000_000, f"ONNX file too large: {size} bytes"

    try:
        import onnxruntime as ort  # optional
    except ImportError:
        print("onnxruntime not available: skipping ONNX-vs-torch output comparison")
    else:
        sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        ort_logits = sess.run(["logits"], {"input": test_x[:1000].numpy()})[0]
        diff = np.abs(ort_logits - logits[:1000].numpy()).max()
        same = (ort_logits.argmax(1) == preds[:1000].numpy()).all()
        print(f"onnxruntime vs torch: max |diff| {diff:.2e}, argmax identical: {same}")

    # ---- sidecar
    sidecar_path = out_dir / (ONNX_NAME + ".json")
    sidecar_path.write_text(json.dumps(SIDECAR, indent=2) + "\n", encoding="utf-8")

    # ---- seed images
    rows = ["file,label"]
    for i in range(NUM_SEED_IMAGES):
        name = f"fmnist-test-{i:05d}.png"
        write_grey_png(seeds_dir / name, test_x_u8[i])
        rows.append(f"{name},{int(test_y_u8[i])}")
    (seeds_dir / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (seeds_dir / "classes.txt").write_text("\n".join(CLASS_NAMES) + "\n", encoding="utf-8")
    seed_correct = int((preds[:NUM_SEED_IMAGES] == test_y[:NUM_SEED_IMAGES]).sum())

    print(f"wrote {onnx_path} ({size} bytes)")
    print(f"wrote {sidecar_path}")
    print(f"wrote {NUM_SEED_IMAGES} PNGs + labels.csv + classes.txt to {seeds_dir} "
          f"(model correct on {seed_correct}/{NUM_SEED_IMAGES} seeds)")
    print(f"{ONNX_NAME} sha256: {sha256_file(onnx_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
