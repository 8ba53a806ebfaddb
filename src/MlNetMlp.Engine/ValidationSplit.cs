using System;
using System.Collections.Generic;

namespace MlNetMlp.Engine;

/// <summary>Splits row indices into training and validation rows for early stopping.</summary>
internal static class ValidationSplit
{
    /// <summary>
    /// Holds out <c>ceil(fraction * n)</c> rows as scikit-learn's <c>train_test_split</c> does; for classification
    /// each class contributes in proportion to its size (largest remainder), so the split is stratified.
    /// Both parts are returned in ascending row order. Every class keeps at least one training row; a class of a
    /// single row is an error, as in scikit-learn.
    /// </summary>
    public static (int[] Train, int[] Validation) Split(MlpDataset data, double fraction, SeededRandom random)
    {
        int n = data.RowCount;
        int validationCount = (int)Math.Ceiling(fraction * n);
        if (validationCount >= n || validationCount < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(MlpOptions.ValidationFraction),
                fraction,
                $"{nameof(MlpOptions.ValidationFraction)} = {fraction} of {n} rows leaves {validationCount} validation and {n - validationCount} training rows; early stopping needs at least 1 of each. Use more rows or turn {nameof(MlpOptions.EarlyStopping)} off.");
        }

        var isValidation = new bool[n];
        if (data.Labels is int[] labels)
        {
            var byClass = new List<int>[data.ClassCount];
            for (int c = 0; c < byClass.Length; c++)
            {
                byClass[c] = [];
            }

            for (int i = 0; i < n; i++)
            {
                byClass[labels[i]].Add(i);
            }

            for (int c = 0; c < byClass.Length; c++)
            {
                if (byClass[c].Count == 1)
                {
                    // scikit-learn's stratified train_test_split raises here too: the row would go to one side only.
                    throw new ArgumentException(
                        $"Class {c} has only 1 row; early stopping's stratified split needs at least 2 rows of every class present, to keep one for training. Add rows of that class, drop it, or turn {nameof(MlpOptions.EarlyStopping)} off.",
                        nameof(data));
                }
            }

            int[] take = Apportion(byClass, validationCount, n);
            for (int c = 0; c < byClass.Length; c++)
            {
                int[] members = byClass[c].ToArray();
                random.Shuffle(members);
                for (int i = 0; i < take[c]; i++)
                {
                    isValidation[members[i]] = true;
                }
            }
        }
        else
        {
            int[] all = new int[n];
            for (int i = 0; i < n; i++)
            {
                all[i] = i;
            }

            random.Shuffle(all);
            for (int i = 0; i < validationCount; i++)
            {
                isValidation[all[i]] = true;
            }
        }

        var train = new int[n - validationCount];
        var validation = new int[validationCount];
        int t = 0, v = 0;
        for (int i = 0; i < n; i++)
        {
            if (isValidation[i])
            {
                validation[v++] = i;
            }
            else
            {
                train[t++] = i;
            }
        }

        return (train, validation);
    }

    private static int[] Apportion(List<int>[] byClass, int total, int n)
    {
        var take = new int[byClass.Length];
        var remainders = new double[byClass.Length];
        int assigned = 0;
        for (int c = 0; c < byClass.Length; c++)
        {
            double exact = (double)total * byClass[c].Count / n;
            take[c] = (int)Math.Floor(exact);
            remainders[c] = exact - take[c];
            assigned += take[c];
        }

        while (assigned < total)
        {
            // A class never gives all its rows: one at least stays for training (floors never reach the count).
            int best = -1;
            for (int c = 0; c < byClass.Length; c++)
            {
                if (take[c] + 1 < byClass[c].Count && (best < 0 || remainders[c] > remainders[best]))
                {
                    best = c;
                }
            }

            if (best < 0)
            {
                throw new ArgumentException(
                    $"Holding out {total} of {n} rows for early stopping leaves too few training rows to keep a row of every class. Lower {nameof(MlpOptions.ValidationFraction)}.",
                    nameof(MlpOptions.ValidationFraction));
            }

            take[best]++;
            remainders[best] = -1;
            assigned++;
        }

        return take;
    }
}
