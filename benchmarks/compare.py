"""Train scikit-learn's MLP and a PyTorch MLP on the data MlNetMlp prepared, and print the side-by-side table.

Run by benchmarks/compare.sh after the C# side (``MlNetMlp.Benchmarks compare --out DIR``) has written, for
each workload, raw little-endian float32/int32 files and ``DIR/ours.json`` (workload settings and our results):

    /usr/bin/python3 benchmarks/compare.py DIR

Every trainer gets the same matrices and the same configuration: relu hidden layers, Adam with learning rate
1e-3, the workload's L2 strength, batch size and a fixed number of epochs (nothing stops early), shuffling
every epoch. Times are wall-clock seconds of the whole fit divided by the epochs. PyTorch runs with
torch.set_num_threads(1), its fastest setting on this 2-core machine (its BLAS may still use its own threads).
"""

import json
import os
import resource
import sys
import time
import warnings

import numpy as np


def load(folder, name, task):
    def raw(suffix, dtype):
        return np.fromfile(os.path.join(folder, f"{name}.{suffix}"), dtype=dtype)

    y_dtype, y_suffix = (np.float32, "f32") if task == "regression" else (np.int32, "i32")
    return raw("train_x.f32", np.float32), raw("test_x.f32", np.float32), raw(f"train_y.{y_suffix}", y_dtype), raw(f"test_y.{y_suffix}", y_dtype)


def r2(y, p):
    y = y.astype(np.float64)
    p = p.astype(np.float64)
    return 1.0 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def run_sklearn(w, x, xt, y, yt):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPRegressor if w["Task"] == "regression" else MLPClassifier
    model = cls(hidden_layer_sizes=tuple(w["Hidden"]), activation="relu", solver="adam", alpha=w["Alpha"],
                batch_size=w["BatchSize"], learning_rate_init=w["LearningRate"], max_iter=w["Epochs"],
                shuffle=True, random_state=0, tol=0.0, n_iter_no_change=w["Epochs"] + 1, early_stopping=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(x, y)
        seconds = time.perf_counter() - start
    score = r2(yt, model.predict(xt)) if w["Task"] == "regression" else float((model.predict(xt) == yt).mean())
    return seconds, float(model.loss_), float(score)


def run_torch(w, x, xt, y, yt):
    import torch
    from torch import nn

    torch.manual_seed(0)
    task = w["Task"]
    outputs = 1 if task in ("regression", "binary") else w["Classes"]
    sizes = [x.shape[1]] + list(w["Hidden"]) + [outputs]
    layers = []
    for i in range(len(sizes) - 1):
        linear = nn.Linear(sizes[i], sizes[i + 1])
        bound = np.sqrt(6.0 / (sizes[i] + sizes[i + 1]))  # scikit-learn's Glorot-uniform initialization
        nn.init.uniform_(linear.weight, -bound, bound)
        nn.init.uniform_(linear.bias, -bound, bound)
        layers += [linear, nn.ReLU()]
    model = nn.Sequential(*layers[:-1])

    batch = w["BatchSize"]
    alpha = w["Alpha"]
    # scikit-learn's penalty alpha/(2 batch) |W|^2 on the weights only: Adam's weight_decay adds exactly its gradient.
    weights = [p for n_, p in model.named_parameters() if n_.endswith("weight") and p.requires_grad]
    biases = [p for n_, p in model.named_parameters() if n_.endswith("bias") and p.requires_grad]
    optimizer = torch.optim.Adam([{"params": weights, "weight_decay": alpha / batch}, {"params": biases, "weight_decay": 0.0}],
                                 lr=w["LearningRate"], foreach=True)
    if task == "regression":
        mse = nn.MSELoss()
        criterion = lambda out, target: 0.5 * mse(out.squeeze(1), target)  # noqa: E731 (scikit-learn's squared loss / 2)
        ty = torch.from_numpy(y)
    elif task == "binary":
        bce = nn.BCEWithLogitsLoss()
        criterion = lambda out, target: bce(out.squeeze(1), target)  # noqa: E731
        ty = torch.from_numpy(y.astype(np.float32))
    else:
        criterion = nn.CrossEntropyLoss()
        ty = torch.from_numpy(y.astype(np.int64))
    tx = torch.from_numpy(x)
    n = tx.shape[0]
    generator = torch.Generator().manual_seed(0)
    schedule = None
    if w.get("EncodedWidth", 0):
        # Ours: a cosine from the initial rate to 0 over every step of the budget.
        steps = w["Epochs"] * ((n + batch - 1) // batch)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 0.5 * (1 + np.cos(np.pi * min(t, steps) / steps)))
    start = time.perf_counter()
    for epoch in range(w["Epochs"]):
        order = torch.randperm(n, generator=generator)
        last = epoch == w["Epochs"] - 1
        total = 0.0
        for s in range(0, n, batch):
            index = order[s:s + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = criterion(model(tx[index]), ty[index])
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            if last:
                total += loss.item() * len(index)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        penalty = 0.5 * alpha / batch * sum(float((p * p).sum()) for p in weights)
        out = model(torch.from_numpy(xt))
        if task == "regression":
            score = r2(yt, out.squeeze(1).numpy())
        elif task == "binary":
            score = float(((out.squeeze(1) > 0).numpy().astype(np.int32) == yt).mean())
        else:
            score = float((out.argmax(1).numpy() == yt).mean())
    return seconds, total / n + penalty, float(score)


def torch_inference_rows_per_second(features, hidden, outputs, rows):
    """PyTorch forward throughput for a relu MLP of the given shape: best over 1 and 2 threads, whole-block and 4096-row batches."""
    import torch
    from torch import nn

    sizes = [features] + list(hidden) + [outputs]
    layers = []
    for i in range(len(sizes) - 1):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.ReLU()]
    model = nn.Sequential(*layers[:-1]).eval()
    x = torch.randn(rows, features)
    threads = torch.get_num_threads()
    best = 0.0
    with torch.no_grad():
        for t in (1, 2):
            torch.set_num_threads(t)
            for batch in (rows, 4096):
                def run():
                    for s in range(0, rows, batch):
                        model(x[s:s + batch])
                run()
                start = time.perf_counter()
                run()
                best = max(best, rows / (time.perf_counter() - start))
    torch.set_num_threads(threads)
    return best


def blas_description():
    try:
        from threadpoolctl import threadpool_info

        libs = [f"{i.get('internal_api')} ({os.path.basename(i.get('filepath', ''))}, {i.get('num_threads')} threads)" for i in threadpool_info()
                if i.get("user_api") == "blas"]
        if libs:
            return ", ".join(libs)
    except ImportError:
        pass
    maps = open("/proc/self/maps").read()
    for line in maps.splitlines():
        if "libblas" in line or "openblas" in line or "mkl" in line:
            return line.split()[-1] + " (no threading information: the reference BLAS)"
    return "unknown"


def measure_peak():
    """Best float32 GFLOP/s of numpy and torch (1 and 2 threads) on a square product sized to run ~0.3 s."""
    import torch

    a = np.random.rand(512, 512).astype(np.float32)
    start = time.perf_counter()
    a @ a
    rough = 2 * 512 ** 3 / max(time.perf_counter() - start, 1e-6)
    size = int(min(4096, max(1024, (0.3 * rough / 2) ** (1 / 3))) // 256 * 256)
    a = np.random.rand(size, size).astype(np.float32)
    b = np.random.rand(size, size).astype(np.float32)
    results = {}

    def best(f, repeats=3):
        f()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        return 2.0 * size ** 3 / min(times) / 1e9

    results["numpy"] = best(lambda: a @ b)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    threads = torch.get_num_threads()
    for t in (1, 2):
        torch.set_num_threads(t)
        results[f"torch {t} thread{'s' if t > 1 else ''}"] = best(lambda: ta @ tb)
    torch.set_num_threads(threads)
    return size, results


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "ours.json")) as f:
        ours = json.load(f)

    import sklearn
    import torch

    torch.set_num_threads(1)
    rows = []
    for w in ours["results"]:
        x, xt, y, yt = load(folder, w["Workload"], w["Task"])
        x = x.reshape(-1, w["Features"])
        xt = xt.reshape(-1, w["Features"])
        if w.get("EncodedWidth", 0):
            # The tabular recipe's network trains on the encoded rows our encoder wrote (fitted on the training rows).
            x = np.fromfile(os.path.join(folder, f"{w['Workload']}.encoded_train_x.f32"), dtype=np.float32).reshape(-1, w["EncodedWidth"])
            xt = np.fromfile(os.path.join(folder, f"{w['Workload']}.encoded_test_x.f32"), dtype=np.float32).reshape(-1, w["EncodedWidth"])
        entry = {"workload": w, "ours": (w["Seconds"], w["FinalLoss"], w["TestScore"])}
        for name, runner in (("scikit-learn", run_sklearn), ("PyTorch", run_torch)):
            print(f"[theirs] {w['Workload']} {name} ...", file=sys.stderr, flush=True)
            entry[name] = runner(w, x, xt, y, yt)
            s, loss, score = entry[name]
            print(f"[theirs] {w['Workload']} {name}: {s / w['Epochs'] * 1000:.2f} ms/epoch, loss {loss:.5f}, test {score:.4f}", file=sys.stderr, flush=True)
        rows.append(entry)

    size, peaks = measure_peak()
    peaks["MlNetMlp (ours)"] = ours["gemm_gflops"]
    peak_name, peak = max(peaks.items(), key=lambda kv: kv[1])
    lines = []
    lines.append(f"Machine: {ours['cpu']}; MlNetMlp threads: {ours['threads']}; scikit-learn {sklearn.__version__}, torch {torch.__version__} "
                 f"(torch.set_num_threads(1)); numpy/torch BLAS: {blas_description()}")
    lines.append("float32 matrix multiply, best of 3, " + f"{size}x{size} for numpy/torch, 2048x2048 for ours: "
                 + ", ".join(f"{k} {v:.1f}" for k, v in peaks.items()) + f" GFLOP/s; peak used below: {peak:.1f} ({peak_name})")
    lines.append("")
    lines.append("| workload | trainer | s/epoch | samples/s | final train loss | test score | ours vs best of theirs |")
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    summary = []
    for entry in rows:
        w = entry["workload"]
        epochs, n = w["Epochs"], w["TrainRows"]
        best_theirs = min(entry[name][0] for name in ("scikit-learn", "PyTorch") if entry[name] is not None)
        metric = "R2" if w["Task"] == "regression" else "accuracy"
        for name in ("ours", "scikit-learn", "PyTorch"):
            if entry[name] is None:
                lines.append(f"| {w['Workload']} {w['Title']} | {name} | — (no cosine schedule for Adam in scikit-learn) | | | | |")
                continue
            s, loss, score = entry[name]
            label = "MlNetMlp" if name == "ours" else name
            ratio = f"**{best_theirs / s:.2f}x**" if name == "ours" else ""
            lines.append(f"| {w['Workload']} {w['Title']} | {label} | {s / epochs:.4f} | {n * epochs / s:,.0f} | {loss:.5f} | {score:.4f} {metric} | {ratio} |")
        summary.append((w, best_theirs / entry["ours"][0], entry["scikit-learn"][0] / entry["ours"][0] if entry["scikit-learn"] else None))
    lines.append("")
    lines.append("| workload | speed-up vs best of theirs | vs scikit-learn | training GFLOP/s (ours) | % of peak | memory (data + training allocations) / (data + model + Adam state) | same / (data + model + gradient + Adam state) |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for w, best, sk in summary:
        used = w['DataBytes'] + w['TrainingAllocatedBytes']
        with_gradient = w['StateBytes'] + w['GradientBytes']
        lines.append(f"| {w['Workload']} | {best:.2f}x | {f'{sk:.2f}x' if sk else '—'} | {w['TrainingGflops']:.1f} | {100 * w['TrainingGflops'] / peak:.0f}% | "
                     f"{w['MemoryRatio']:.3f} ({used / 2**20:.2f} / {(w['DataBytes'] + w['StateBytes']) / 2**20:.2f} MiB) | "
                     f"{w['MemoryRatioWithGradient']:.3f} ({used / 2**20:.2f} / {(w['DataBytes'] + with_gradient) / 2**20:.2f} MiB) |")
    inference = ours.get("inference", [])
    if inference:
        lines.append("")
        lines.append("| inference | network | ours | PyTorch (best of 1/2 threads, one block or 4096-row batches) | ratio |")
        lines.append("|---|---|---:|---:|---:|")
        torch_rates = {}
        for m in inference:
            network = f"{m['Network']} {m['Features']}-{'-'.join(str(h) for h in m['Hidden'])}-{m['Outputs']}" if m["Hidden"] else m["Network"]
            if m["Unit"] == "rows/s" and m["Outputs"] == 0:
                lines.append(f"| {m['Name']} ({m['Rows']:,} rows) | {network} | {m['Value']:,.0f} rows/s | | |")
            elif m["Unit"] == "rows/s":
                key = (m["Features"], tuple(m["Hidden"]), m["Outputs"], m["Rows"])
                if key not in torch_rates:
                    torch_rates[key] = torch_inference_rows_per_second(m["Features"], m["Hidden"], m["Outputs"], m["Rows"])
                theirs = torch_rates[key]
                lines.append(f"| {m['Name']} ({m['Rows']:,} rows) | {network} | {m['Value']:,.0f} rows/s | {theirs:,.0f} rows/s | {m['Value'] / theirs:.2f}x |")
            else:
                lines.append(f"| {m['Name']} | {network} | {m['Value']:.3f} {m['Unit']} | | |")
    lines.append("")
    lines.append(f"Python peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
                 f"MlNetMlp process peak working set: {max(w['PeakWorkingSetBytes'] for w, _, _ in summary) / 2**20:.0f} MiB.")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(folder, "results.md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
