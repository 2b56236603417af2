"""`python -m core.codec`: compress digits into one file, decompress it to PNGs, inspect it, list or train qualities.

    python -m core.codec qualities
    python -m core.codec compress INPUT... -o FILE --quality N   (image files or folders of them; --no-names)
    python -m core.codec decompress FILE -o DIR                  (one PNG per digit, named after its input)
    python -m core.codec info FILE
    python -m core.codec encode-text IMAGE --quality N           (prints the digit's code as a short string)
    python -m core.codec decode-text STRING -o FILE.png
    python -m core.codec train [--only NAME ...]                 (the rate models, on the pinned CPU kernels)

Every refusal is one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm"}
#: Biggest codec file the CLI reads (the 10,000 test digits at the top quality take well under 1 MB).
MAX_FILE_BYTES = 256 * 2**20


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line on stderr too (status 2), like every other refusal."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see python -m core.codec --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m core.codec", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    sub.add_parser("qualities", help="one line per quality: number, model, bytes per digit, MSE on the test set")
    c = sub.add_parser("compress", help="image files or folders of them → one codec file")
    c.add_argument("inputs", nargs="+", metavar="INPUT")
    c.add_argument("-o", "--output", required=True, metavar="FILE")
    c.add_argument("--quality", type=int, required=True, metavar="N", help="1 = fewest bytes; see `qualities`")
    c.add_argument("--no-names", action="store_true", help="don't store the inputs' names")
    d = sub.add_parser("decompress", help="a codec file → one PNG per digit in DIR")
    d.add_argument("file", metavar="FILE")
    d.add_argument("-o", "--output", required=True, metavar="DIR")
    d.add_argument("--no-names", action="store_true", help="name the PNGs by position, not by the stored names")
    e = sub.add_parser("encode-text", help="one image → its digit's code as a short URL-safe string")
    e.add_argument("image", metavar="IMAGE")
    e.add_argument("--quality", type=int, required=True, metavar="N", help="1 = fewest bytes; see `qualities`")
    x = sub.add_parser("decode-text", help="a digit's code (from encode-text) → one PNG")
    x.add_argument("text", metavar="STRING")
    x.add_argument("-o", "--output", required=True, metavar="FILE.png")
    i = sub.add_parser("info", help="print a codec file's header")
    i.add_argument("file", metavar="FILE")
    t = sub.add_parser("train", help="train the shipped rate models (or --only some) into the checkpoint folder")
    t.add_argument("--only", nargs="+", metavar="NAME", help="e.g. codec_d016_l0.0001")
    t.add_argument("--epochs", type=int, default=None)
    return parser


def _image_files(inputs: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise ValueError(f"{raw}: no image files in this folder")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise ValueError(f"{raw}: no such file or folder")
    return files


def read_digit(path: Path) -> np.ndarray:
    """One input as a 28x28 float digit: an MNIST-style 28x28 grey image as it is, else prepared like an upload."""
    from PIL import Image

    from core.data.user_digit import InvalidImageError, prepare_digit
    from core.levels import IMAGE_SIDE

    data = path.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.size == (IMAGE_SIDE, IMAGE_SIDE) and image.mode == "L":
                return np.asarray(image, np.float32) / 255.0
    except Exception:  # unreadable here: prepare_digit gives the upload's message for it
        pass
    try:
        return prepare_digit(data)
    except InvalidImageError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc


def _compress(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.codec import compress, read_header
    from core.codec.store import quality_by_number
    from core.storage.atomic import atomic_write_bytes

    quality_by_number(args.quality)  # refuse a bad quality before reading any image
    files = _image_files(args.inputs)
    digits = np.stack([read_digit(p) for p in tqdm(files, desc="reading", unit="image", disable=None)])
    data = compress(digits, args.quality, names=None if args.no_names else [p.stem for p in files])
    atomic_write_bytes(Path(args.output), data)  # a reader never sees half a file, nor an interrupted run's
    header = read_header(data)
    per_digit = len(data) / len(files)
    names = f", names {header.names_bytes:,} bytes" if header.names_bytes else ""
    print(
        f"{len(files)} digits → {args.output}: {len(data):,} bytes ({per_digit:.2f} per digit{names}), {header.model}"
    )
    return 0


def _read_file(raw: str) -> bytes:
    path = Path(raw)
    if not path.is_file():
        raise ValueError(f"{raw}: no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"{raw}: {path.stat().st_size:,} bytes is larger than any codec file this program reads")
    return path.read_bytes()


def _safe_name(name: str, index: int, taken: set[str]) -> str:
    stem = Path(name.replace("\\", "/")).name if name else ""
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '<>:"|?*').strip(". ") or f"digit{index:05d}"
    out, k = stem, 1
    while out in taken:
        out, k = f"{stem}_{k}", k + 1
    taken.add(out)
    return out


def _decompress(args: argparse.Namespace) -> int:
    from PIL import Image
    from tqdm import tqdm

    from core.codec import decompress

    decoded = decompress(_read_file(args.file))
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    pixels = np.rint(decoded.images * 255).astype(np.uint8)
    names = [""] * len(pixels) if args.no_names else decoded.names
    taken: set[str] = set()
    for i, (name, image) in enumerate(
        tqdm(list(zip(names, pixels, strict=True)), desc="writing", unit="png", disable=None)
    ):
        Image.fromarray(image, mode="L").save(out / f"{_safe_name(name, i, taken)}.png")
    print(f"{len(pixels)} digits → {out}/")
    return 0


def _info(args: argparse.Namespace) -> int:
    from core.codec import read_header

    data = _read_file(args.file)
    h = read_header(data)
    print(f"format version  {h.version}")
    print(f"model           {h.model}")
    print(f"weights sha256  {h.weights_sha256}… (first {len(h.weights_sha256) // 2} bytes)")
    print(f"quality         {h.quality or 'not installed here'}")
    print(f"images          {h.n_images}")
    print(f"shape           {h.shape[0]}x{h.shape[1]}")
    print(f"bytes           {len(data):,} ({len(data) / max(h.n_images, 1):.2f} per digit)")
    print(f"  header        {h.header_bytes - h.names_bytes}")
    print(f"  names         {h.names_bytes} ({h.names_bytes / max(h.n_images, 1):.4f} per digit)")
    print(f"  coded digits  {len(data) - h.header_bytes} (with the checksum)")
    return 0


def _png_bytes(image: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.rint(image * 255).astype(np.uint8), mode="L").save(out, format="PNG")
    return out.getvalue()


def _encode_text(args: argparse.Namespace) -> int:
    from core.codec import digit_text
    from core.codec.store import quality_by_number

    quality_by_number(args.quality)
    path = Path(args.image)
    if not path.is_file():
        raise ValueError(f"{args.image}: no such file")
    print(digit_text(read_digit(path), args.quality))
    return 0


def _decode_text(args: argparse.Namespace) -> int:
    from core.codec import decode_text
    from core.storage.atomic import atomic_write_bytes

    decoded = decode_text(args.text)
    if decoded.header.n_images != 1:
        raise ValueError(
            f"this code holds {decoded.header.n_images} digits; decode-text writes one "
            "(save it as a file and use decompress)"
        )
    atomic_write_bytes(Path(args.output), _png_bytes(decoded.images[0]))
    print(f"1 digit → {args.output} ({decoded.header.model})")
    return 0


def _qualities(_: argparse.Namespace) -> int:
    from core.codec import qualities

    found = qualities()
    if not found:
        raise ValueError("no codec models are installed here; train them with: python -m core.codec train")
    for q in found:
        what = f"{q.model} (d={q.latent_dim}, λ={q.lmbda:g})"
        print(f"{q.number}  {what}  {q.bytes_per_digit:.2f} bytes/digit  MSE {q.mse:.5f}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from core.codec.training import train_sweep

    train_sweep(args.only, args.epochs)
    return 0


COMMANDS = {
    "qualities": _qualities,
    "compress": _compress,
    "decompress": _decompress,
    "info": _info,
    "encode-text": _encode_text,
    "decode-text": _decode_text,
    "train": _train,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from core.checkpoints.files import CheckpointError
    from core.codec import CodecFileError

    try:
        return COMMANDS[args.command](args)
    except (CodecFileError, CheckpointError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
    except Exception as exc:  # never a traceback for a user: one line, and the exit status says it failed
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["train"]:
        from core.training.cpu_kernels import reexec_pinned

        reexec_pinned("core.codec", sys.argv[1:])
    sys.exit(main())
