"""Recipe search: train many (variant, latent size) pairs at once on a GPU; print a table of test MSE.

Not part of `make bench` and never needed by the product: it is how the architecture in
core/models/autoencoder.py was chosen (bench/recipe_search.md has the figures), kept so the next
search starts from it. It has its own loop rather than `core.training.trainer.train` because the
variants are not all expressible as a `ModelConfig`, and the data stays on the GPU (the
core loop moves each batch from the CPU, which is right there and slow here).

    python -m bench.recipe_search plan.json --workers 12     # on a machine with CUDA
    plan.json: [{"name": "silu", "v": {"act": "silu"}, "dims": [8, 39, 78]}, ...]

Knobs in "v": act (relu/silu/gelu), ch ([c1, c2]), hidden, res_enc / res_dec / res_dec14
(residual blocks at 7x7 / 7x7 / 14x14), res_kind (full/dw/bneck), epochs, bs, lr, wd,
pct (warm-up share), betas, seed.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import time

import torch
from torch import nn

from core.models.autoencoder import AutoEncoder, ModelConfig

ACTS = {"relu": nn.ReLU, "silu": nn.SiLU, "gelu": nn.GELU}


class _Res(nn.Module):
    def __init__(self, c: int, act: type[nn.Module], kind: str) -> None:
        super().__init__()
        if kind == "full":
            self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), act())
        elif kind == "dw":
            self.body = nn.Sequential(
                nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False),
                nn.BatchNorm2d(c),
                act(),
                nn.Conv2d(c, c, 1, bias=False),
                nn.BatchNorm2d(c),
                act(),
            )
        else:  # "bneck": 1x1 down to c/2, 3x3, 1x1 back up
            h = c // 2
            self.body = nn.Sequential(
                nn.Conv2d(c, h, 1, bias=False),
                nn.BatchNorm2d(h),
                act(),
                nn.Conv2d(h, h, 3, padding=1, bias=False),
                nn.BatchNorm2d(h),
                act(),
                nn.Conv2d(h, c, 1, bias=False),
                nn.BatchNorm2d(c),
                act(),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def _swap_act(module: nn.Module, act: type[nn.Module]) -> None:
    for name, child in module.named_children():
        if isinstance(child, (nn.ReLU, nn.SiLU)):
            setattr(module, name, act())
        else:
            _swap_act(child, act)


def build(latent_dim: int, v: dict) -> AutoEncoder:
    """The shipped network with the variant's changes; blocks are added to a residual-free base."""
    act = ACTS[v.get("act", "relu")]
    config = ModelConfig(
        latent_dim=latent_dim,
        channels=tuple(v.get("ch", (32, 64))),
        hidden=v.get("hidden"),
        res_blocks=0,
        res_blocks_14=0,
    )
    model = AutoEncoder(config)
    c1, c2 = config.channels
    kind = v.get("res_kind", "full")
    up = list(model.decoder.upsample)
    if v.get("k4"):
        up[0][0] = nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1, bias=False)
        up[1] = nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1)
    if v.get("up28"):
        up = [
            *up[:-1],
            nn.ConvTranspose2d(c1, c1 // 2, 3, stride=2, padding=1, output_padding=1, bias=False),
            nn.BatchNorm2d(c1 // 2),
            act(),
            nn.Conv2d(c1 // 2, 1, 3, padding=1),
        ]
        if v.get("res_dec14"):
            up = [up[0], *[_Res(c1, act, kind) for _ in range(v["res_dec14"])], *up[1:]]
    elif v.get("res_dec14"):
        up = [*up[:-1], *[_Res(c1, act, kind) for _ in range(v["res_dec14"])], up[-1]]
    up = [*[_Res(c2, act, kind) for _ in range(v.get("res_dec", 0))], *up]
    model.decoder.upsample = nn.Sequential(*up)
    f = list(model.encoder.features)
    model.encoder.features = nn.Sequential(*f[:-1], *[_Res(c2, act, kind) for _ in range(v.get("res_enc", 0))], f[-1])
    _swap_act(model, act)
    return model


def run_one(job: tuple[str, dict, int, str, str]) -> dict:
    name, v, latent_dim, out, device_name = job
    from core.data.mnist import load_split

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device(device_name)
    seed = v.get("seed", 0)
    torch.manual_seed(seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    train_x = torch.from_numpy(load_split("train").images.copy()).float().div(255).unsqueeze(1).to(device)
    test_x = torch.from_numpy(load_split("test").images.copy()).float().div(255).unsqueeze(1).to(device)
    model = build(latent_dim, v)
    model.decoder.start_at_mean(train_x.mean(0).cpu())
    model = model.to(device).to(memory_format=torch.channels_last)
    epochs, batch_size = v.get("epochs", 14), v.get("bs", 128)
    lr = v.get("lr", 1e-2 if latent_dim < 256 else 3e-3)
    batches = math.ceil(len(train_x) / batch_size)
    opt = torch.optim.AdamW(
        model.parameters(), lr=lr, weight_decay=v.get("wd", 1e-4), betas=tuple(v.get("betas", (0.9, 0.999)))
    )
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, epochs=epochs, steps_per_epoch=batches, pct_start=v.get("pct", 0.3)
    )
    start = time.time()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=generator, device=device)
        for b in range(batches):
            x = train_x[order[b * batch_size : (b + 1) * batch_size]]
            loss = ((model(x) - x) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    with torch.no_grad():
        sq = sum(
            float(((model(test_x[i : i + 1000]) - test_x[i : i + 1000]) ** 2).double().sum())
            for i in range(0, 10000, 1000)
        )
    record = {"name": name, "d": latent_dim, "mse": round(sq / (10000 * 784), 6), "s": round(time.time() - start, 1)}
    with open(out, "a") as f:
        f.write(json.dumps(record) + "\n")
    print(json.dumps(record), flush=True)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", default=os.path.join(os.environ.get("OUT", "."), "recipe_search.jsonl"))
    args = parser.parse_args()
    from core.data.mnist import load_split

    load_split("train"), load_split("test")  # build the array cache once, before the workers race for it
    with open(args.plan) as f:
        plan = json.load(f)
    jobs = [(p["name"], p["v"], d, args.out, args.device) for p in plan for d in p["dims"]]
    jobs.sort(key=lambda j: -j[1].get("epochs", 14))  # longest first
    with mp.get_context("spawn").Pool(args.workers) as pool:
        records = pool.map(run_one, jobs, chunksize=1)
    for r in sorted(records, key=lambda r: (r["d"], r["mse"])):
        print(f"{r['name']:24s} d={r['d']:4d} {r['mse']:.6f} {r['s']:7.1f} s")


if __name__ == "__main__":
    main()
