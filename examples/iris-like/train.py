"""Train a logistic-regression flower classifier by gradient descent (pure Python) and write its report inputs.

Outputs: metrics.json, loss.csv (per-epoch train/validation loss), plots/roc.png, plots/confusion.png and
report.md. Hyper-parameters come from params.yaml; `--learning-rate`, `--epochs` and `--l2` override them.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import data
import plotting
import yaml


def sigmoid(value: float) -> float:
    return 1 / (1 + math.exp(-value)) if value >= 0 else math.exp(value) / (1 + math.exp(value))


def standardiser(rows: list[data.Row]) -> tuple[list[float], list[float]]:
    columns = list(zip(*(features for features, _ in rows), strict=True))
    means = [sum(column) / len(column) for column in columns]
    spreads = [
        math.sqrt(sum((v - m) ** 2 for v in column) / len(column)) or 1.0
        for column, m in zip(columns, means, strict=True)
    ]
    return means, spreads


def scale(rows: list[data.Row], means: list[float], spreads: list[float]) -> list[data.Row]:
    return [([(v - m) / s for v, m, s in zip(f, means, spreads, strict=True)], label) for f, label in rows]


def predict(weights: list[float], bias: float, features: list[float]) -> float:
    return sigmoid(bias + sum(w * x for w, x in zip(weights, features, strict=True)))


def log_loss(scores: list[float], labels: list[int]) -> float:
    eps = 1e-12
    pairs = zip(scores, labels, strict=True)
    total = sum(-math.log(max(s, eps)) if y else -math.log(max(1 - s, eps)) for s, y in pairs)
    return total / len(labels)


History = list[tuple[int, float, float]]  # epoch, train loss, validation loss


def train(
    rows: list[data.Row], valid: list[data.Row], rate: float, epochs: int, l2: float
) -> tuple[list[float], float, History]:
    weights, bias, history = [0.0] * len(data.FEATURES), 0.0, []
    for epoch in range(1, epochs + 1):
        grad_w, grad_b = [0.0] * len(weights), 0.0
        for features, label in rows:
            error = predict(weights, bias, features) - label
            grad_w = [g + error * x for g, x in zip(grad_w, features, strict=True)]
            grad_b += error
        weights = [w - rate * (g / len(rows) + l2 * w) for w, g in zip(weights, grad_w, strict=True)]
        bias -= rate * grad_b / len(rows)
        history.append((epoch, loss_of(weights, bias, rows), loss_of(weights, bias, valid)))
    return weights, bias, history


def loss_of(weights: list[float], bias: float, rows: list[data.Row]) -> float:
    return log_loss([predict(weights, bias, features) for features, _ in rows], [label for _, label in rows])


def roc_points(scores: list[float], labels: list[int]) -> list[tuple[float, float]]:
    positives, negatives = sum(labels), len(labels) - sum(labels)
    points, tp, fp = [(0.0, 0.0)], 0, 0
    for _, label in sorted(zip(scores, labels, strict=True), key=lambda pair: -pair[0]):
        tp, fp = tp + label, fp + (1 - label)
        points.append((fp / negatives, tp / positives))
    return points


def roc_auc(scores: list[float], labels: list[int]) -> float:
    positive = [score for score, label in zip(scores, labels, strict=True) if label]
    negative = [score for score, label in zip(scores, labels, strict=True) if not label]
    pairs = [(p, n) for p in positive for n in negative]
    return sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)


def average_precision(scores: list[float], labels: list[int]) -> float:
    hits, total = 0, 0.0
    for rank, (_, label) in enumerate(sorted(zip(scores, labels, strict=True), key=lambda pair: -pair[0]), start=1):
        if label:
            hits += 1
            total += hits / rank
    return total / max(1, sum(labels))


def evaluate(weights: list[float], bias: float, rows: list[data.Row]) -> dict[str, float]:
    scores = [predict(weights, bias, features) for features, _ in rows]
    labels = [label for _, label in rows]
    correct = sum((score >= 0.5) == bool(label) for score, label in zip(scores, labels, strict=True))
    return {
        "accuracy": round(correct / len(rows), 6),
        "roc_auc": round(roc_auc(scores, labels), 6),
        "avg_prec": round(average_precision(scores, labels), 6),
        "loss": round(log_loss(scores, labels), 6),
    }


def confusion(weights: list[float], bias: float, rows: list[data.Row]) -> list[list[int]]:
    matrix = [[0, 0], [0, 0]]
    for features, label in rows:
        matrix[label][int(predict(weights, bias, features) >= 0.5)] += 1
    return matrix


def report_text(params: dict[str, float], test: dict[str, float]) -> str:
    rows = "\n".join(f"| `{name}` | {value} |" for name, value in params.items())
    return (
        "### Flower classifier (logistic regression)\n\n"
        f"Trained for {params['epochs']} epochs on a seeded synthetic iris-like dataset; "
        f"test accuracy **{test['accuracy']:.3f}**, ROC AUC **{test['roc_auc']:.3f}**.\n\n"
        f"| Parameter | Value |\n|---|---|\n{rows}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--l2", type=float)
    args = parser.parse_args()
    config = yaml.safe_load((Path.cwd() / "params.yaml").read_text())
    settings = config["train"] | {k: v for k, v in {"learning_rate": args.learning_rate, "epochs": args.epochs,
                                                     "l2": args.l2}.items() if v is not None}  # fmt: skip
    rows = data.generate(config["data"]["samples"], config["data"]["seed"])
    train_rows, test_rows = data.split(rows, config["data"]["test_fraction"])
    means, spreads = standardiser(train_rows)
    train_rows, test_rows = scale(train_rows, means, spreads), scale(test_rows, means, spreads)
    weights, bias, history = train(train_rows, test_rows, settings["learning_rate"], settings["epochs"], settings["l2"])
    metrics = {"train": evaluate(weights, bias, train_rows), "test": evaluate(weights, bias, test_rows)}
    Path("metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    lines = ["epoch,loss,val_loss", *(f"{e},{loss:.6f},{val:.6f}" for e, loss, val in history)]
    Path("loss.csv").write_text("\n".join(lines) + "\n")
    scores = [predict(weights, bias, features) for features, _ in test_rows]
    labels = [label for _, label in test_rows]
    plotting.roc_plot(roc_points(scores, labels), metrics["test"]["roc_auc"], Path("plots/roc.png"))
    plotting.confusion_plot(confusion(weights, bias, test_rows), data.CLASSES, Path("plots/confusion.png"))
    Path("report.md").write_text(report_text(settings, metrics["test"]))
    print(json.dumps(metrics["test"]))


if __name__ == "__main__":
    main()
