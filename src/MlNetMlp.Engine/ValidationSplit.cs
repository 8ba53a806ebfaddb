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

    /// <summary>
    /// The hold-out rule of a streamed fit, which never has all rows at once: row <paramref name="rowId"/> is held out
    /// when a 64-bit hash of its id and <paramref name="seed"/>, taken as a number in [0, 1), is below
    /// <paramref name="fraction"/>. The same row is held out in every epoch, in any order; every class is held out at the
    /// same rate, so the split is stratified in expectation (each class's held-out count is binomial, not exactly
    /// <c>fraction</c> of its rows as in <see cref="Split"/>).
    /// </summary>
    public static bool IsHeldOut(ulong rowId, long seed, double fraction)
    {
        // SplitMix64's finalizer over the id mixed with the seed: every input bit reaches every output bit.
        ulong z = rowId + ((ulong)seed * 0x9E3779B97F4A7C15UL) + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53)) < fraction;
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
