#!/usr/bin/python3
"""scikit-learn's reference for the digits experiments: LogisticRegression on standardised features of the UCI
optical digits, with a stratified 25% test split drawn with seed 0 (scikit-learn's own split, not ours).

    /usr/bin/python3 bench/sklearn_digits.py

Needs Debian's python3-sklearn (1.2.1 on Debian 12). Reads data/digits/digits.csv.gz, the file the digits-csv
dataset describes, so both sides see the same rows. Prints the split sizes and the test accuracy.
"""
import gzip
import pathlib
import sys

try:
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
except ImportError as error:
    sys.exit(f"needs Debian's python3-sklearn (sudo apt-get install python3-sklearn): {error}")

root = pathlib.Path(__file__).resolve().parent.parent
with gzip.open(root / "data" / "digits" / "digits.csv.gz", "rt") as file:
    data = np.loadtxt(file, delimiter=",")
features, labels = data[:, :-1], data[:, -1].astype(int)
train_x, test_x, train_y, test_y = train_test_split(features, labels, test_size=0.25, stratify=labels, random_state=0)
scaler = StandardScaler().fit(train_x)
model = LogisticRegression(max_iter=5000).fit(scaler.transform(train_x), train_y)
accuracy = model.score(scaler.transform(test_x), test_y)
print(f"train {len(train_y)}, test {len(test_y)}: test accuracy {100 * accuracy:.2f}%")
