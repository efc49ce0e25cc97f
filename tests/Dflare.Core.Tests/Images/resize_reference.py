"""Reference resizes for Dflare's Image.Resize tests (run by ResizeReferenceTests with Debian's /usr/bin/python3).

Usage: resize_reference.py OUT_DIR
Writes OUT_DIR/<case>.input.png and OUT_DIR/<case>.<filter>.<aa|noaa>.png:
  aa   = PIL Image.resize(size, filter)  (what torchvision.transforms.Resize does on PIL images)
  noaa = torch.nn.functional.interpolate(mode, align_corners=False, antialias=False) on float pixels, rounded
         (bilinear and bicubic only; written only when torch is importable)
Prints one line per missing optional module ("missing torch").
"""
import os
import sys

from PIL import Image

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def pattern(w, h, channels):
    # Edges, gradients and noise-like detail so that filters differ.
    data = bytearray()
    for y in range(h):
        for x in range(w):
            for c in range(channels):
                v = (x * 37 + y * 91 + c * 53 + ((x * y) % 7) * 29) % 256
                if (x // 5 + y // 4) % 2 == 0:
                    v = 255 - v
                data.append(v)
    return Image.frombytes("L" if channels == 1 else "RGB", (w, h), bytes(data))


cases = {
    "grey-shrink": (pattern(37, 29, 1), (16, 12)),
    "grey-grow": (pattern(13, 11, 1), (31, 26)),
    "rgb-mixed": (pattern(40, 30, 3), (17, 45)),
    "grey-square": (pattern(50, 50, 1), (28, 28)),
    "rgb-photo-size": (pattern(500, 375, 3), (341, 256)),
}
filters = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS}

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    torch = None
    print("missing " + (e.name or "torch"))

for name, (img, size) in cases.items():
    img.save(os.path.join(out, f"{name}.input.png"))
    for fname, f in filters.items():
        img.resize(size, f).save(os.path.join(out, f"{name}.{fname}.aa.png"))
    if torch is None:
        continue
    arr = np.asarray(img, dtype=np.float32)
    t = torch.from_numpy(arr.reshape(arr.shape[0], arr.shape[1], -1)).permute(2, 0, 1).unsqueeze(0)
    for fname in ("bilinear", "bicubic"):
        r = F.interpolate(t, size=(size[1], size[0]), mode=fname, align_corners=False, antialias=False)
        r = r.round().clamp(0, 255).to(torch.uint8)[0].permute(1, 2, 0).numpy()
        if r.shape[2] == 1:
            r = r[:, :, 0]
        Image.fromarray(r).save(os.path.join(out, f"{name}.{fname}.noaa.png"))
