#!/usr/bin/python3
"""Generate scikit-learn reference fixtures for the MlNetMlp C# engine tests.

What it produces
----------------
One JSON file per case, ``<case>.json``, next to this script
(tests/MlNetMlp.Engine.Tests/Fixtures/).  Each file records a complete, fully
deterministic MLPClassifier / MLPRegressor training run of scikit-learn:
the (already standardized) float64 inputs X, the targets y, the estimator
options, the initial weights, sklearn's per-epoch ``loss_curve_``, the final
``loss_``, ``n_iter_`` and the final weights.  A C# engine started from
``coefs_init``/``intercepts_init`` with the same options and no shuffling
must reproduce ``loss_curve``, ``final_loss``, ``n_iter`` and the final
weights.  See README.md in this folder for the case list and the loss
definitions.

JSON keys (exactly these, in this order)::

    name, task ("binary"|"multiclass"|"regression"), hidden_layer_sizes,
    activation, solver, learning_rate_init, beta_1, beta_2, epsilon, momentum,
    nesterovs_momentum, learning_rate, power_t, alpha, batch_size (actual
    number used; n_samples for lbfgs), max_iter, max_fun, tol,
    n_samples, n_features, n_outputs (1 for binary, K for multiclass, number
    of targets for regression), X, y (class index for classification,
    [[float]*n_outputs] for regression), coefs_init ([fan_in][fan_out] per
    layer, sklearn's coefs_ layout), intercepts_init, loss_curve ([] for
    lbfgs), final_loss, n_iter, coefs_final, intercepts_final

Floats are written with Python's repr (shortest string that round-trips to
the same float64), nothing is rounded.

How to run
----------
From the repository root::

    /usr/bin/python3 tests/MlNetMlp.Engine.Tests/Fixtures/generate_fixtures.py

Needs Debian's python3 with python3-sklearn (written against scikit-learn
1.2.1, numpy 1.24, scipy 1.10).  Reads samples/data/*.csv.  The output is
deterministic: the same library versions give byte-identical files.

How sklearn is made to start from our weights
---------------------------------------------
Initial weights are drawn with ``numpy.random.RandomState(seed)`` exactly as
sklearn's ``_init_coef`` does (Glorot uniform, bound sqrt(6/(fan_in+fan_out)),
factor 2 instead of 6 for "logistic"; per layer first the coef matrix, then
the intercept vector, same bound).  The estimator is built with
warm_start=True, shuffle=False, early_stopping=False; ``fit`` is called once
with max_iter=1 so that all fitted attributes exist; then coefs_/intercepts_
are replaced by copies of our initial weights, n_iter_, t_, loss_curve_,
best_loss_, _no_improvement_count are reset, max_iter is set to the case's
value and ``fit`` is called again.  In sklearn 1.2.1 the second ``fit`` does
not call ``_initialize`` (first_pass is False because coefs_ exists and
warm_start=True), does not refit the LabelBinarizer (classes_ exists and
warm_start=True: only a compatibility check), and builds a fresh Adam/SGD
optimizer on the current weights (incremental=False).  For adam/sgd tol=0.0
and n_iter_no_change > max_iter keep every epoch running.

Self-check: every case is also trained from scratch with
``random_state=seed`` (which draws the very same initial weights); the
script asserts that both runs agree bit for bit, and that the files load
back with the expected shapes.
"""

import csv
import json
import os
import sys
import warnings

import numpy as np
import scipy
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DATA = os.path.join(REPO, "samples", "data")

STOCHASTIC_MAX_ITER = 15


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------
def read_csv(name):
    with open(os.path.join(DATA, name), newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def standardize(a):
    """Column-wise (x - mean) / std with population std (ddof=0), like
    sklearn's StandardScaler, using the statistics of the rows given."""
    a = np.asarray(a, dtype=np.float64)
    mean = a.mean(axis=0)
    std = a.std(axis=0)
    assert np.all(std > 0), "constant column"
    return (a - mean) / std


def load_classification(name, label, n_rows=None, label_order=None):
    header, rows = read_csv(name)
    assert header[-1] == label, (name, header[-1])
    if n_rows is not None:
        rows = rows[:n_rows]
    X = standardize([[float(v) for v in r[:-1]] for r in rows])
    raw = [r[-1] for r in rows]
    if label_order is None:  # numeric labels 0..K-1
        y = np.array([int(v) for v in raw], dtype=np.int64)
    else:
        y = np.array([label_order.index(v) for v in raw], dtype=np.int64)
    return X, y


def load_diabetes(n_rows, targets):
    header, rows = read_csv("diabetes.csv")
    assert header[-1] == "Progression"
    rows = rows[:n_rows]
    data = np.array([[float(v) for v in r] for r in rows], dtype=np.float64)
    t_idx = [header.index(t) for t in targets]
    x_idx = [i for i in range(len(header)) if i not in t_idx]
    X = standardize(data[:, x_idx])
    Y = standardize(data[:, t_idx])
    return X, Y


def iris_order():
    _, rows = read_csv("iris.csv")
    return sorted({r[-1] for r in rows})


def dataset(key):
    if key == "breast_cancer_200":
        return load_classification("breast_cancer.csv", "Benign", 200)
    if key == "wine":
        return load_classification("wine.csv", "Cultivar")
    if key == "iris":
        return load_classification("iris.csv", "Species", label_order=iris_order())
    if key == "diabetes_200":
        return load_diabetes(200, ["Progression"])
    if key == "diabetes_200_two_targets":
        return load_diabetes(200, ["Progression", "bmi"])
    raise KeyError(key)


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------
def adam(lr, alpha, batch):
    return dict(solver="adam", learning_rate_init=lr, alpha=alpha,
                batch_size=batch, max_iter=STOCHASTIC_MAX_ITER)


def sgd(lr, momentum, nesterov, schedule, alpha, batch, power_t=0.5):
    return dict(solver="sgd", learning_rate_init=lr, momentum=momentum,
                nesterovs_momentum=nesterov, learning_rate=schedule,
                power_t=power_t, alpha=alpha, batch_size=batch,
                max_iter=STOCHASTIC_MAX_ITER)


def lbfgs(alpha, max_iter, tol=1e-4, max_fun=15000):
    return dict(solver="lbfgs", alpha=alpha, max_iter=max_iter, tol=tol,
                max_fun=max_fun)


CASES = [
    # (name, task, data, hidden, activation, options, seed)
    ("adam_binary_relu", "binary", "breast_cancer_200", (16, 8), "relu",
     adam(0.01, 1e-3, 32), 101),
    ("adam_multiclass_tanh", "multiclass", "wine", (10,), "tanh",
     adam(0.01, 1e-4, 50), 102),
    ("adam_regression_logistic", "regression", "diabetes_200", (12,), "logistic",
     adam(0.01, 1e-4, 40), 103),
    ("adam_regression_two_targets_relu", "regression", "diabetes_200_two_targets",
     (8,), "relu", adam(0.01, 1e-4, 40), 104),
    ("sgd_nesterov_multiclass_relu", "multiclass", "iris", (10, 5), "relu",
     sgd(0.05, 0.9, True, "constant", 1e-4, 16), 105),
    ("sgd_momentum_binary_tanh", "binary", "breast_cancer_200", (10,), "tanh",
     sgd(0.02, 0.8, False, "invscaling", 1e-4, 25, power_t=0.25), 106),
    ("sgd_identity_regression", "regression", "diabetes_200", (6,), "identity",
     sgd(0.01, 0.9, True, "constant", 1e-4, 20), 107),
    ("adam_no_hidden_binary", "binary", "breast_cancer_200", (), "relu",
     adam(0.01, 1e-4, 32), 108),
    ("lbfgs_binary_tanh", "binary", "breast_cancer_200", (8,), "tanh",
     lbfgs(1e-2, 200, tol=1e-4, max_fun=15000), 109),
    ("lbfgs_multiclass_relu", "multiclass", "wine", (6,), "relu",
     lbfgs(1e-2, 200), 110),
    ("lbfgs_regression_logistic", "regression", "diabetes_200", (5,), "logistic",
     lbfgs(1e-2, 300), 111),
    ("lbfgs_no_hidden_multiclass", "multiclass", "wine", (), "relu",
     lbfgs(1e-1, 300), 112),
]

# sklearn 1.2.1 defaults for options a case does not set
DEFAULTS = dict(learning_rate_init=0.001, beta_1=0.9, beta_2=0.999,
                epsilon=1e-8, momentum=0.9, nesterovs_momentum=True,
                learning_rate="constant", power_t=0.5, alpha=1e-4,
                batch_size="auto", max_iter=200, max_fun=15000, tol=1e-4)


def init_weights(layer_units, activation, seed):
    """Exactly sklearn's _init_coef sequence for RandomState(seed)."""
    rs = np.random.RandomState(seed)
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rs.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rs.uniform(-bound, bound, fan_out))
    return coefs, intercepts


def make_estimator(task, hidden, activation, opts, **extra):
    cls = MLPRegressor if task == "regression" else MLPClassifier
    params = dict(hidden_layer_sizes=hidden, activation=activation,
                  shuffle=False, early_stopping=False, verbose=False)
    params.update(opts)
    params.update(extra)
    return cls(**params)


def train_from_given_weights(task, hidden, activation, opts, X, y_fit,
                             coefs0, intercepts0):
    est = make_estimator(task, hidden, activation, opts, warm_start=True,
                         random_state=0)
    target_max_iter = est.max_iter
    est.set_params(max_iter=1)
    est.fit(X, y_fit)  # creates every fitted attribute
    assert [c.shape for c in est.coefs_] == [c.shape for c in coefs0]
    assert [b.shape for b in est.intercepts_] == [b.shape for b in intercepts0]
    est.coefs_ = [c.copy() for c in coefs0]
    est.intercepts_ = [b.copy() for b in intercepts0]
    est.n_iter_ = 0
    est.t_ = 0
    if est.solver in ("adam", "sgd"):
        est.loss_curve_ = []
        est.best_loss_ = np.inf
        est._no_improvement_count = 0
    est.set_params(max_iter=target_max_iter)
    est.fit(X, y_fit)
    return est


def train_from_scratch(task, hidden, activation, opts, X, y_fit, seed):
    est = make_estimator(task, hidden, activation, opts, warm_start=False,
                         random_state=seed)
    est.fit(X, y_fit)
    return est


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(p, q) for p, q in zip(a, b))


def tolist(arrs):
    return [np.asarray(a, dtype=np.float64).tolist() for a in arrs]


def build_case(name, task, data_key, hidden, activation, case_opts, seed):
    X, y = dataset(data_key)
    n_samples, n_features = X.shape
    if task == "regression":
        Y = y.reshape(n_samples, -1)
        n_outputs = Y.shape[1]
        y_fit = Y[:, 0] if n_outputs == 1 else Y
        y_json = Y.tolist()
    else:
        k = int(y.max()) + 1
        assert sorted(set(y.tolist())) == list(range(k))
        n_outputs = 1 if k == 2 else k
        y_fit = y
        y_json = [int(v) for v in y]
        assert (k == 2) == (task == "binary")

    opts = dict(DEFAULTS)
    opts.update(case_opts)
    if opts["solver"] in ("adam", "sgd"):
        opts["tol"] = 0.0
        opts["n_iter_no_change"] = opts["max_iter"] + 10
        batch_used = int(np.clip(opts["batch_size"], 1, n_samples))
    else:
        batch_used = n_samples

    layer_units = [n_features] + list(hidden) + [n_outputs]
    coefs0, intercepts0 = init_weights(layer_units, activation, seed)

    est = train_from_given_weights(task, hidden, activation, opts, X, y_fit,
                                   coefs0, intercepts0)
    ref = train_from_scratch(task, hidden, activation, opts, X, y_fit, seed)

    # --- self checks -----------------------------------------------------
    assert est.n_outputs_ == n_outputs, (est.n_outputs_, n_outputs)
    if task == "binary":
        assert est.out_activation_ == "logistic"
        assert list(est.classes_) == [0, 1]
    elif task == "multiclass":
        assert est.out_activation_ == "softmax"
        assert list(est.classes_) == list(range(n_outputs))
    else:
        assert est.out_activation_ == "identity"
    assert est.n_layers_ == len(layer_units)
    # the from-scratch run draws the same initial weights, so it must agree
    # bit for bit with the run started from the injected weights
    assert same(est.coefs_, ref.coefs_) and same(est.intercepts_, ref.intercepts_), name
    assert est.n_iter_ == ref.n_iter_ and est.loss_ == ref.loss_, name
    if opts["solver"] in ("adam", "sgd"):
        assert est.loss_curve_ == ref.loss_curve_, name
        assert len(est.loss_curve_) == opts["max_iter"] == est.n_iter_, name
        assert est.loss_ == est.loss_curve_[-1]
        loss_curve = [float(v) for v in est.loss_curve_]
    else:
        loss_curve = []
    # injected weights were copied, not aliased
    c_check, b_check = init_weights(layer_units, activation, seed)
    assert same(coefs0, c_check) and same(intercepts0, b_check)

    out = dict(
        name=name,
        task=task,
        hidden_layer_sizes=[int(h) for h in hidden],
        activation=activation,
        solver=opts["solver"],
        learning_rate_init=float(opts["learning_rate_init"]),
        beta_1=float(opts["beta_1"]),
        beta_2=float(opts["beta_2"]),
        epsilon=float(opts["epsilon"]),
        momentum=float(opts["momentum"]),
        nesterovs_momentum=bool(opts["nesterovs_momentum"]),
        learning_rate=opts["learning_rate"],
        power_t=float(opts["power_t"]),
        alpha=float(opts["alpha"]),
        batch_size=batch_used,
        max_iter=int(opts["max_iter"]),
        max_fun=int(opts["max_fun"]),
        tol=float(opts["tol"]),
        n_samples=int(n_samples),
        n_features=int(n_features),
        n_outputs=int(n_outputs),
        X=X.tolist(),
        y=y_json,
        coefs_init=tolist(coefs0),
        intercepts_init=tolist(intercepts0),
        loss_curve=loss_curve,
        final_loss=float(est.loss_),
        n_iter=int(est.n_iter_),
        coefs_final=tolist(est.coefs_),
        intercepts_final=tolist(est.intercepts_),
    )
    return out


KEYS = ["name", "task", "hidden_layer_sizes", "activation", "solver",
        "learning_rate_init", "beta_1", "beta_2", "epsilon", "momentum",
        "nesterovs_momentum", "learning_rate", "power_t", "alpha",
        "batch_size", "max_iter", "max_fun", "tol", "n_samples", "n_features",
        "n_outputs", "X", "y", "coefs_init", "intercepts_init", "loss_curve",
        "final_loss", "n_iter", "coefs_final", "intercepts_final"]


def check_file(path):
    """Load a fixture back and assert its shapes."""
    with open(path) as f:
        d = json.load(f)
    assert list(d.keys()) == KEYS, path
    n, p, k = d["n_samples"], d["n_features"], d["n_outputs"]
    assert len(d["X"]) == n and all(len(r) == p for r in d["X"])
    assert len(d["y"]) == n
    if d["task"] == "regression":
        assert all(len(r) == k for r in d["y"])
    else:
        K = 2 if d["task"] == "binary" else k
        assert d["task"] != "binary" or k == 1
        assert all(isinstance(v, int) and 0 <= v < K for v in d["y"])
    units = [p] + d["hidden_layer_sizes"] + [k]
    for key_c, key_b in (("coefs_init", "intercepts_init"),
                         ("coefs_final", "intercepts_final")):
        cs, bs = d[key_c], d[key_b]
        assert len(cs) == len(bs) == len(units) - 1
        for c, b, fi, fo in zip(cs, bs, units[:-1], units[1:]):
            assert len(c) == fi and all(len(r) == fo for r in c)
            assert len(b) == fo
    if d["solver"] == "lbfgs":
        assert d["loss_curve"] == [] and d["batch_size"] == n
    else:
        assert len(d["loss_curve"]) == d["n_iter"] == d["max_iter"]
        assert d["loss_curve"][-1] == d["final_loss"]
        assert 1 <= d["batch_size"] <= n
    assert os.path.getsize(path) < 400 * 1024, path
    return d


def main():
    print("sklearn %s, numpy %s, scipy %s" % (sklearn.__version__,
                                              np.__version__, scipy.__version__))
    if sklearn.__version__ != "1.2.1":
        print("WARNING: written against scikit-learn 1.2.1", file=sys.stderr)
    warnings.simplefilter("ignore", ConvergenceWarning)
    for case in CASES:
        d = build_case(*case)
        path = os.path.join(HERE, d["name"] + ".json")
        text = json.dumps(d, allow_nan=False, separators=(",", ":"))
        with open(path, "w") as f:
            f.write(text + "\n")
        d2 = check_file(path)
        lc = d2["loss_curve"]
        print("%-34s %7d bytes  n_iter=%-3d final_loss=%r  first3=%s" % (
            os.path.basename(path), os.path.getsize(path), d2["n_iter"],
            d2["final_loss"], lc[:3]))


if __name__ == "__main__":
    main()
