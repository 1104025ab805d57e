using System;
using System.Globalization;
using System.Text;

namespace ConvNet.Training;

/// <summary>
/// Counts of [true class, predicted class] over an evaluation, with per-class precision, recall and F1 (as
/// scikit-learn's <c>classification_report</c> defines them: a class never predicted, or never present, has precision,
/// recall or F1 0 rather than NaN). <see cref="ToString()"/> prints the table.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[,] _counts;

    /// <summary>Wraps a [K, K] count array (copied).</summary>
    /// <param name="counts">counts[t, p]: samples of true class t predicted as p.</param>
    public ConfusionMatrix(int[,] counts)
    {
        ThrowHelper.NotNull(counts, nameof(counts));
        if (counts.GetLength(0) != counts.GetLength(1) || counts.GetLength(0) == 0)
        {
            ThrowHelper.Argument(nameof(counts), $"A confusion matrix is square and non-empty; actual {counts.GetLength(0)}×{counts.GetLength(1)}.");
        }

        foreach (int c in counts)
        {
            if (c < 0)
            {
                ThrowHelper.Argument(nameof(counts), "Counts cannot be negative.");
            }
        }

        _counts = (int[,])counts.Clone();
    }

    /// <summary>K, the number of classes.</summary>
    public int Classes => _counts.GetLength(0);

    /// <summary>Samples of true class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    /// <param name="actual">The true class.</param>
    /// <param name="predicted">The predicted class.</param>
    public int this[int actual, int predicted] => _counts[actual, predicted];

    /// <summary>All samples counted.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            foreach (int c in _counts)
            {
                total += c;
            }

            return total;
        }
    }

    /// <summary>Samples of class <paramref name="c"/> (row sum: true positives + false negatives).</summary>
    /// <param name="c">The class.</param>
    /// <returns>The support.</returns>
    public long Support(int c)
    {
        CheckClass(c);
        long s = 0;
        for (int p = 0; p < Classes; p++)
        {
            s += _counts[c, p];
        }

        return s;
    }

    /// <summary>Precision of class c: TP / (TP + FP), the column's diagonal share (0 when never predicted).</summary>
    /// <param name="c">The class.</param>
    /// <returns>The precision.</returns>
    public double Precision(int c)
    {
        CheckClass(c);
        long predicted = 0;
        for (int t = 0; t < Classes; t++)
        {
            predicted += _counts[t, c];
        }

        return predicted == 0 ? 0 : (double)_counts[c, c] / predicted;
    }

    /// <summary>Recall of class c: TP / (TP + FN), the row's diagonal share (0 when the class is absent).</summary>
    /// <param name="c">The class.</param>
    /// <returns>The recall.</returns>
    public double Recall(int c)
    {
        long support = Support(c);
        return support == 0 ? 0 : (double)_counts[c, c] / support;
    }

    /// <summary>F1 of class c: 2PR / (P + R) (0 when both are 0).</summary>
    /// <param name="c">The class.</param>
    /// <returns>The F1 score.</returns>
    public double F1(int c)
    {
        double p = Precision(c), r = Recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /// <summary>The unweighted mean of the per-class F1 scores.</summary>
    public double MacroF1
    {
        get
        {
            double sum = 0;
            for (int c = 0; c < Classes; c++)
            {
                sum += F1(c);
            }

            return sum / Classes;
        }
    }

    /// <summary>A copy of the counts as [true, predicted].</summary>
    /// <returns>The counts.</returns>
    public int[,] ToArray() => (int[,])_counts.Clone();

    /// <summary>The table (rows: true class, columns: predicted) followed by precision, recall, F1 and support per class.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => ToString(null);

    /// <summary>The table with class names (e.g. <see cref="Data.FashionMnist.ClassNames"/>) instead of numbers.</summary>
    /// <param name="classNames">K names, or null for numbers.</param>
    /// <returns>The text.</returns>
    public string ToString(System.Collections.Generic.IReadOnlyList<string>? classNames)
    {
        if (classNames is not null && classNames.Count != Classes)
        {
            ThrowHelper.Argument(nameof(classNames), $"{classNames.Count} names for {Classes} classes.");
        }

        string Name(int c) => classNames?[c] ?? c.ToString(CultureInfo.InvariantCulture);
        int nameWidth = 10, cell = Math.Max(5, Total.ToString(CultureInfo.InvariantCulture).Length + 1);
        for (int c = 0; c < Classes; c++)
        {
            nameWidth = Math.Max(nameWidth, Name(c).Length);
        }

        var sb = new StringBuilder();
        sb.Append("true \\ pred".PadRight(nameWidth + 1));
        for (int p = 0; p < Classes; p++)
        {
            sb.Append(p.ToString(CultureInfo.InvariantCulture).PadLeft(cell));
        }

        sb.AppendLine().AppendLine();
        for (int t = 0; t < Classes; t++)
        {
            sb.Append(Name(t).PadRight(nameWidth + 1));
            for (int p = 0; p < Classes; p++)
            {
                sb.Append(_counts[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(cell));
            }

            sb.AppendLine();
        }

        sb.AppendLine().Append("class".PadRight(nameWidth + 1)).AppendLine(" precision    recall        f1   support");
        for (int c = 0; c < Classes; c++)
        {
            sb.Append(Name(c).PadRight(nameWidth + 1))
              .Append(CultureInfo.InvariantCulture, $"{Precision(c),10:F4}{Recall(c),10:F4}{F1(c),10:F4}{Support(c),10}").AppendLine();
        }

        sb.Append("macro F1".PadRight(nameWidth + 1)).Append(CultureInfo.InvariantCulture, $"{MacroF1,30:F4}{Total,10}");
        return sb.ToString();
    }

    private void CheckClass(int c)
    {
        if ((uint)c >= (uint)Classes)
        {
            ThrowHelper.OutOfRange(nameof(c), c, $"Class {c} is outside 0..{Classes - 1}.");
        }
    }
}
