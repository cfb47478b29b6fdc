"""Plots loss surfaces written by `fscatter loss-surface` as a PNG (the paper's Figure 4).

Usage::

    python bindings/python/featurescatter/plot_surface.py standard.json madry.json fs.json \
        [--labels Standard,Madry,Proposed] --out-dir docs/figures [--name loss_surface.png]

draws, side by side, one 3-D surface per file (the cross-entropy loss over the plane spanned by the
adversarial direction d_adv and the Rademacher direction d_rad, axes in units of ε), and below them
the 1-D slices of every file: the loss along d_adv (b = 0) and along d_rad (a = 0), with the
threat model's ±ε marked. Prints the PNG's path. A surface is labelled by ``--labels``, else by
the folder of its checkpoint. Part of the ``featurescatter`` package; runs as a plain script too
(it needs only matplotlib, with its numpy and Pillow).
"""

import argparse
import io
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402  (a dependency of matplotlib)
from plot_report import default_label  # noqa: E402  (the script's own folder is on sys.path)

REQUIRED = ("axis", "losses", "epsilon", "clean_loss")


def load(path):
    """A surface file as a dict with ``axis`` in units of ε and ``losses`` as arrays."""
    surface = json.loads(pathlib.Path(path).read_text())
    missing = [key for key in REQUIRED if key not in surface]
    if missing:
        raise ValueError(f"{path} is not a loss surface (no {', '.join(missing)}): write it with fscatter loss-surface")
    surface["axis_eps"] = np.asarray(surface["axis"], dtype=float) / surface["epsilon"]
    surface["losses"] = np.asarray(surface["losses"], dtype=float)
    return surface


def draw_surface(ax, label, surface):
    """One 3-D surface: a/ε along d_adv, b/ε along d_rad, the loss up."""
    a, b = np.meshgrid(surface["axis_eps"], surface["axis_eps"], indexing="ij")
    ax.plot_surface(a, b, surface["losses"], cmap="viridis", linewidth=0, antialiased=True, rstride=1, cstride=1)
    ax.set_xlabel("$d_a$ (×ε)")
    ax.set_ylabel("$d_r$ (×ε)")
    ax.set_zlabel("loss")
    title = f"{label}\nclean loss {surface['clean_loss']:.3f}"
    if "label" in surface and "prediction" in surface:
        title += f", label {surface['label']}, predicted {surface['prediction']}"
    ax.set_title(title, fontsize=9)
    ax.view_init(elev=30, azim=-135)


def draw_slices(ax, curves, direction):
    """The loss along one direction (the other at 0) for every ``(label, surface)``."""
    for label, surface in curves:
        centre = (len(surface["axis_eps"]) - 1) // 2
        values = surface["losses"][:, centre] if direction == "adversarial" else surface["losses"][centre, :]
        ax.plot(surface["axis_eps"], values, label=label)
    for edge in (-1, 1):
        ax.axvline(edge, color="grey", linestyle="--", linewidth=0.8)
    symbol = "$d_a$" if direction == "adversarial" else "$d_r$"
    ax.set_xlabel(f"step along {symbol} (×ε); dashed: ±ε")
    ax.set_ylabel("loss")
    ax.set_title(f"along the {direction} direction ({'b' if direction == 'adversarial' else 'a'} = 0)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def plot(curves, path):
    """The surfaces of ``curves`` (``(label, surface)`` pairs) in a row, their slices below; saved to ``path``."""
    n = len(curves)
    fig = plt.figure(figsize=(max(4.2 * n, 8.4), 8.0), dpi=120)
    grid = fig.add_gridspec(2, 2 * n, height_ratios=[1.25, 1])
    for k, (label, surface) in enumerate(curves):
        draw_surface(fig.add_subplot(grid[0, 2 * k:2 * k + 2], projection="3d"), label, surface)
    draw_slices(fig.add_subplot(grid[1, :n]), curves, "adversarial")
    draw_slices(fig.add_subplot(grid[1, n:]), curves, "Rademacher")
    settings = curves[0][1]
    fig.suptitle(f"Loss surfaces around {settings.get('dataset', 'a')} test image {settings.get('image_index', '?')} "
                 f"(ε = {settings['epsilon']:g}, clipped to [0,1]: {settings.get('clip', True)})", fontsize=10)
    fig.tight_layout()
    save_palette_png(fig, path)
    plt.close(fig)


def save_palette_png(fig, path):
    """Saves ``fig`` as a 256-colour PNG: the shaded surfaces make a true-colour file about 3.5x larger,
    with no visible difference."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    buffer.seek(0)
    Image.open(buffer).convert("RGB").quantize(256).save(path, optimize=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("surfaces", nargs="+", help="JSON files written by `fscatter loss-surface --out`")
    parser.add_argument("--labels", help="comma-separated labels, one per file")
    parser.add_argument("--out-dir", default=".", help="folder for the PNG")
    parser.add_argument("--name", default="loss_surface.png", help="file name of the PNG")
    args = parser.parse_args(argv)
    try:
        surfaces = [load(path) for path in args.surfaces]
    except (OSError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    labels = args.labels.split(",") if args.labels else [default_label(s) for s in surfaces]
    if len(labels) != len(surfaces):
        parser.error(f"{len(labels)} labels for {len(surfaces)} surfaces")
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / args.name
    plot(list(zip(labels, surfaces)), path)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
