"""The source of the test project's pipeline stages (written into src/ of the generated repo).

A tiny, deterministic, pure-Python "classifier" shaped like a real DVC project: prepare splits a CSV, featurize
scales columns (and adds products of pairs when ngrams is 2), train fits a logistic regression by gradient descent
and logs its loss per epoch, evaluate writes dvclive-style metrics and plot data (ROC, precision-recall, confusion
rows) and a feature-importance bar chart as a PNG (Pillow). Only the standard library and Pillow are used, so each
stage runs in milliseconds.
"""

from __future__ import annotations

PREPARE = '''\
"""Split the raw dataset into train and test CSV files."""
import csv
import random
import sys
from pathlib import Path

import yaml

params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
random.Random(params["seed"]).shuffle(rows)
cut = int(len(rows) * (1 - params["split"]))
out = Path("data/prepared")
out.mkdir(parents=True, exist_ok=True)
for name, part in (("train", rows[:cut]), ("test", rows[cut:])):
    with open(out / f"{name}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(part)
'''

FEATURIZE = '''\
"""Scale the numeric columns to [0, 1]; with ngrams 2 also add the products of column pairs."""
import csv
import json
from itertools import combinations
from pathlib import Path

import yaml

params = yaml.safe_load(Path("params.yaml").read_text())["featurize"]
out = Path("data/features")
out.mkdir(parents=True, exist_ok=True)
for name in ("train", "test"):
    rows = list(csv.DictReader(open(f"data/prepared/{name}.csv", newline="")))
    columns = [c for c in rows[0] if c not in ("id", "label")]
    table = [[float(r[c]) / 100.0 for c in columns] for r in rows]
    names = list(columns)
    if params["ngrams"] > 1:
        pairs = list(combinations(range(len(columns)), 2))
        table = [row + [row[i] * row[j] for i, j in pairs] for row in table]
        names += [f"{columns[i]}*{columns[j]}" for i, j in pairs]
    keep = params["max_features"]
    doc = {"names": names[:keep], "x": [row[:keep] for row in table], "y": [int(r["label"]) for r in rows]}
    (out / f"{name}.json").write_text(json.dumps(doc))
'''

TRAIN = '''\
"""Logistic regression by batch gradient descent; logs the loss of each epoch (one-column CSV, like dvclive)."""
import json
import math
import pickle
import random
from pathlib import Path

import yaml

params = yaml.safe_load(Path("params.yaml").read_text())["train"]
doc = json.loads(Path("data/features/train.json").read_text())
xs, ys = doc["x"], doc["y"]
rng = random.Random(params["seed"])
weights = [rng.uniform(-0.1, 0.1) for _ in doc["names"]]
bias = 0.0
losses = []
for _ in range(params["n_est"]):
    grad, grad_bias, loss = [0.0] * len(weights), 0.0, 0.0
    for x, y in zip(xs, ys):
        p = 1 / (1 + math.exp(-(sum(w * v for w, v in zip(weights, x)) + bias)))
        loss -= math.log(max(p if y else 1 - p, 1e-12))
        for i, v in enumerate(x):
            grad[i] += (p - y) * v
        grad_bias += p - y
    weights = [w - params["lr"] * g / len(xs) for w, g in zip(weights, grad)]
    bias -= params["lr"] * grad_bias / len(xs)
    losses.append(loss / len(xs))
Path("model.pkl").write_bytes(pickle.dumps({"names": doc["names"], "weights": weights, "bias": bias}))
Path("training").mkdir(exist_ok=True)
Path("training/loss.csv").write_text("loss\\n" + "".join(f"{value:.6f}\\n" for value in losses))
'''

EVALUATE = '''\
"""dvclive-style evaluation: eval/metrics.json, eval/plots/sklearn/{roc,prc,cm}/<split>.json, importance.png."""
import json
import math
import pickle
from pathlib import Path

from PIL import Image, ImageDraw

model = pickle.loads(Path("model.pkl").read_bytes())


def scores(xs):
    return [1 / (1 + math.exp(-(sum(w * v for w, v in zip(model["weights"], x)) + model["bias"]))) for x in xs]


def curve(labels, probs):
    """(fpr, tpr, precision, recall, threshold) at each distinct score, highest first."""
    positives = sum(labels) or 1
    negatives = (len(labels) - sum(labels)) or 1
    points, tp, fp = [(0.0, 0.0, 1.0, 0.0, 1.0)], 0, 0
    ranked = sorted(zip(probs, labels), reverse=True)
    for index, (score, label) in enumerate(ranked):
        tp, fp = tp + label, fp + (1 - label)
        if index + 1 < len(ranked) and ranked[index + 1][0] == score:
            continue
        points.append((fp / negatives, tp / positives, tp / (tp + fp), tp / positives, round(score, 6)))
    return points


def auc(xs, ys):
    return sum((x2 - x1) * (y1 + y2) / 2 for (x1, y1), (x2, y2) in zip(zip(xs, ys), zip(xs[1:], ys[1:])))


summary = {"avg_prec": {}, "roc_auc": {}}
plots = Path("eval/plots/sklearn")
for split in ("train", "test"):
    doc = json.loads(Path(f"data/features/{split}.json").read_text())
    probs, labels = scores(doc["x"]), doc["y"]
    points = curve(labels, probs)
    summary["roc_auc"][split] = round(auc([p[0] for p in points], [p[1] for p in points]), 6)
    summary["avg_prec"][split] = round(
        sum((b[3] - a[3]) * b[2] for a, b in zip(points, points[1:])), 6
    )
    roc = [{"fpr": p[0], "tpr": p[1], "threshold": p[4]} for p in points]
    prc = [{"precision": p[2], "recall": p[3], "threshold": p[4]} for p in points[1:]]
    cm = [{"actual": str(y), "predicted": str(int(p >= 0.5))} for y, p in zip(labels, probs)]
    for kind, key, rows in (("roc", "roc", roc), ("prc", "prc", prc), ("cm", "cm", cm)):
        (plots / kind).mkdir(parents=True, exist_ok=True)
        (plots / kind / f"{split}.json").write_text(json.dumps({key: rows}, indent=4))
Path("eval/metrics.json").write_text(json.dumps(summary, indent=4) + "\\n")

weights = [abs(w) for w in model["weights"]]
image = Image.new("RGB", (320, 160), "white")
draw = ImageDraw.Draw(image)
width = 300 // max(len(weights), 1)
for index, weight in enumerate(weights):
    height = int(140 * weight / (max(weights) or 1))
    draw.rectangle([10 + index * width, 150 - height, 10 + (index + 1) * width - 4, 150], fill=(31, 119, 180))
Path("eval/plots/images").mkdir(parents=True, exist_ok=True)
image.save("eval/plots/images/importance.png")
'''

SOURCES = {
    "src/prepare.py": PREPARE,
    "src/featurize.py": FEATURIZE,
    "src/train.py": TRAIN,
    "src/evaluate.py": EVALUATE,
}
