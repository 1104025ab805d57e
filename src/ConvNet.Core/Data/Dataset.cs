using System;
using System.IO;

namespace ConvNet.Data;

/// <summary>
/// An in-memory data set: samples of one shape (e.g. [1, 28, 28]) as float32, and an integer class label each (or, for
/// regression, a float target vector each).
/// </summary>
public sealed class Dataset : DataSource
{
    private readonly float[] _samples;
    private readonly int[] _labels;
    private readonly int[] _sampleShape;
    private readonly float[]? _targets;
    private readonly int[] _targetShape = [];
    private readonly int _count;

    /// <summary>Creates a labelled data set over existing arrays (not copied).</summary>
    /// <param name="samples">Count · Π sampleShape values, row-major, sample after sample.</param>
    /// <param name="labels">One label per sample, each in 0..classes−1.</param>
    /// <param name="sampleShape">The shape of one sample.</param>
    /// <param name="classes">The number of classes K.</param>
    public Dataset(float[] samples, int[] labels, int[] sampleShape, int classes)
    {
        ThrowHelper.NotNull(samples, nameof(samples));
        ThrowHelper.NotNull(labels, nameof(labels));
        ThrowHelper.NotNull(sampleShape, nameof(sampleShape));
        ThrowHelper.Positive(classes, nameof(classes));
        int size = Tensor.ValidateShape(sampleShape, nameof(sampleShape));
        if (labels.Length == 0)
        {
            ThrowHelper.Argument(nameof(labels), "A data set needs at least one sample.");
        }

        if ((long)labels.Length * size != samples.Length)
        {
            ThrowHelper.Argument(nameof(samples), $"{labels.Length} labels of samples shaped {ThrowHelper.Shape(sampleShape)} need {(long)labels.Length * size} values; actual {samples.Length}.");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                ThrowHelper.OutOfRange(nameof(labels), labels[i], $"Label {labels[i]} of sample {i} is outside 0..{classes - 1}.");
            }
        }

        _samples = samples;
        _labels = labels;
        _sampleShape = (int[])sampleShape.Clone();
        _count = labels.Length;
        SampleSize = size;
        Classes = classes;
    }

    /// <summary>Creates a regression data set (a float target vector per sample) over existing arrays (not copied).</summary>
    /// <param name="samples">Count · Π sampleShape values, sample after sample.</param>
    /// <param name="targets">Count · Π targetShape values, target after target.</param>
    /// <param name="sampleShape">The shape of one sample.</param>
    /// <param name="targetShape">The shape of one target (e.g. [1] for one value per sample).</param>
    public Dataset(float[] samples, float[] targets, int[] sampleShape, int[] targetShape)
    {
        ThrowHelper.NotNull(samples, nameof(samples));
        ThrowHelper.NotNull(targets, nameof(targets));
        ThrowHelper.NotNull(sampleShape, nameof(sampleShape));
        ThrowHelper.NotNull(targetShape, nameof(targetShape));
        int size = Tensor.ValidateShape(sampleShape, nameof(sampleShape));
        int targetSize = Tensor.ValidateShape(targetShape, nameof(targetShape));
        if (samples.Length == 0 || samples.Length % size != 0)
        {
            ThrowHelper.Argument(nameof(samples), $"{samples.Length} values are not a whole, non-zero number of samples shaped {ThrowHelper.Shape(sampleShape)}.");
        }

        int count = samples.Length / size;
        if ((long)count * targetSize != targets.Length)
        {
            ThrowHelper.Argument(nameof(targets), $"{count} samples with targets shaped {ThrowHelper.Shape(targetShape)} need {(long)count * targetSize} target values; actual {targets.Length}.");
        }

        _samples = samples;
        _labels = [];
        _targets = targets;
        _sampleShape = (int[])sampleShape.Clone();
        _targetShape = (int[])targetShape.Clone();
        _count = count;
        SampleSize = size;
        TargetSize = targetSize;
    }

    /// <summary>The number of samples.</summary>
    public override int Count => _count;

    /// <summary>The number of classes K (0 for a regression data set).</summary>
    public override int Classes { get; }

    /// <summary>The shape of one sample.</summary>
    public override ReadOnlySpan<int> SampleShape => _sampleShape;

    /// <summary>The shape of one target (regression); empty for labelled data.</summary>
    public override ReadOnlySpan<int> TargetShape => _targetShape;

    /// <summary>Π TargetShape (0 for labelled data).</summary>
    public int TargetSize { get; }

    /// <summary>All targets, target after target (regression; empty for labelled data).</summary>
    public ReadOnlySpan<float> Targets => _targets;

    /// <summary>Π SampleShape.</summary>
    public int SampleSize { get; }

    /// <summary>All sample values, sample after sample.</summary>
    public ReadOnlySpan<float> Samples => _samples;

    /// <summary>All labels (empty for a regression data set).</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>The values of sample <paramref name="index"/>.</summary>
    /// <param name="index">0..Count−1.</param>
    /// <returns>Its values.</returns>
    public ReadOnlySpan<float> Sample(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            ThrowHelper.OutOfRange(nameof(index), index, $"Sample {index} is outside 0..{Count - 1}.");
        }

        return _samples.AsSpan(index * SampleSize, SampleSize);
    }

    /// <summary>
    /// Loads MNIST-format IDX files (raw or .gz) and scales pixels to [0, 1] (value / 255) as [1, rows, cols] samples.
    /// The labels are read first; the images are then decoded chunk by chunk straight into the float32 samples, so the
    /// peak memory is the data set itself (no full byte copy of the images), and each file is held to the decode budget.
    /// </summary>
    /// <param name="imagesPath">The IDX image file (magic 2051).</param>
    /// <param name="labelsPath">The IDX label file (magic 2049).</param>
    /// <param name="classes">Number of classes (10 for MNIST and Fashion-MNIST).</param>
    /// <param name="maxDecodedBytes">The decode budget per file (see <see cref="IdxReader.DefaultMaxDecodedBytes"/>).</param>
    /// <returns>The data set.</returns>
    /// <exception cref="InvalidDataException">A file is malformed or over budget, or the counts differ, or a label ≥ classes.</exception>
    public static Dataset LoadIdx(string imagesPath, string labelsPath, int classes = 10, long maxDecodedBytes = IdxReader.DefaultMaxDecodedBytes)
    {
        ThrowHelper.NotNull(imagesPath, nameof(imagesPath));
        ThrowHelper.NotNull(labelsPath, nameof(labelsPath));
        ThrowHelper.Positive(classes, nameof(classes));
        var labels = IdxReader.ReadLabels(labelsPath, maxDecodedBytes);
        if (labels.Length == 0)
        {
            ThrowHelper.InvalidData("The IDX files hold no samples.");
        }

        var l = new int[labels.Length];
        for (int i = 0; i < l.Length; i++)
        {
            if (labels[i] >= classes)
            {
                ThrowHelper.InvalidData($"Label {labels[i]} of sample {i} is outside 0..{classes - 1}.");
            }

            l[i] = labels[i];
        }

        var (rows, cols, samples) = IdxReader.ReadScaledImages(imagesPath, labels.Length, maxDecodedBytes);
        return new Dataset(samples, l, [1, rows, cols], classes);
    }

    /// <summary>The samples [start, start + count) as a new data set (copied).</summary>
    /// <param name="start">First sample.</param>
    /// <param name="count">Number of samples.</param>
    /// <returns>The subset.</returns>
    public Dataset Subset(int start, int count)
    {
        if (start < 0 || count <= 0 || (long)start + count > Count)
        {
            ThrowHelper.OutOfRange(nameof(start), start, $"Subset [{start}, {(long)start + count}) is outside 0..{Count}.");
        }

        var samples = _samples.AsSpan(start * SampleSize, count * SampleSize).ToArray();
        return _targets is null
            ? new Dataset(samples, _labels.AsSpan(start, count).ToArray(), _sampleShape, Classes)
            : new Dataset(samples, _targets.AsSpan(start * TargetSize, count * TargetSize).ToArray(), _sampleShape, _targetShape);
    }

    /// <summary>The samples at the given indices, in that order (copied).</summary>
    /// <param name="indices">Sample indices.</param>
    /// <returns>The subset.</returns>
    public Dataset Subset(ReadOnlySpan<int> indices)
    {
        long total = (long)indices.Length * SampleSize;
        if (indices.IsEmpty || total > Array.MaxLength)
        {
            ThrowHelper.Argument(nameof(indices), $"{indices.Length} samples of {SampleSize} values cannot form a subset.");
        }

        var s = new float[total];
        var l = new int[_targets is null ? indices.Length : 0];
        var t = new float[_targets is null ? 0 : (long)indices.Length * TargetSize];
        for (int i = 0; i < indices.Length; i++)
        {
            Sample(indices[i]).CopyTo(s.AsSpan(i * SampleSize));
            if (_targets is null)
            {
                l[i] = _labels[indices[i]];
            }
            else
            {
                _targets.AsSpan(indices[i] * TargetSize, TargetSize).CopyTo(t.AsSpan(i * TargetSize));
            }
        }

        return _targets is null ? new Dataset(s, l, _sampleShape, Classes) : new Dataset(s, t, _sampleShape, _targetShape);
    }

    /// <summary>Splits off a seeded random validation set.</summary>
    /// <param name="validationFraction">In (0, 1).</param>
    /// <param name="seed">Seed of the shuffle.</param>
    /// <returns>The training and validation parts.</returns>
    public (Dataset Train, Dataset Validation) Split(double validationFraction, int seed)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            ThrowHelper.OutOfRange(nameof(validationFraction), validationFraction, "The validation fraction must be in (0, 1).");
        }

        int nVal = (int)Math.Round(Count * validationFraction);
        if (nVal == 0 || nVal == Count)
        {
            ThrowHelper.Argument(nameof(validationFraction), $"A fraction of {validationFraction} of {Count} samples leaves one side empty.");
        }

        var order = new int[Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        new Random(seed).Shuffle(order);
        return (Subset(order.AsSpan(nVal)), Subset(order.AsSpan(0, nVal)));
    }

    /// <summary>One-hot rows: t[n, k] = 1 when labels[n] = k.</summary>
    /// <param name="labels">Class indices.</param>
    /// <param name="classes">K.</param>
    /// <returns>A [N, K] tensor.</returns>
    public static Tensor OneHot(ReadOnlySpan<int> labels, int classes)
    {
        ThrowHelper.Positive(classes, nameof(classes));
        if (labels.IsEmpty)
        {
            ThrowHelper.Argument(nameof(labels), "No labels.");
        }

        var t = new Tensor(labels.Length, classes);
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                ThrowHelper.OutOfRange(nameof(labels), labels[i], $"Label {labels[i]} is outside 0..{classes - 1}.");
            }

            t.AsSpan()[(i * classes) + labels[i]] = 1f;
        }

        return t;
    }

    /// <summary>Copies the samples order[start..start+N) into a batch tensor and their labels into a span.</summary>
    /// <param name="order">A permutation (or any index list) of the samples.</param>
    /// <param name="start">Position in <paramref name="order"/>.</param>
    /// <param name="batch">Destination [N, …SampleShape].</param>
    /// <param name="labels">Destination of N labels.</param>
    public void CopyBatch(ReadOnlySpan<int> order, int start, Tensor batch, Span<int> labels)
    {
        ThrowHelper.NotNull(batch, nameof(batch));
        int n = batch.Rank == 0 ? 0 : batch.Shape[0];
        if (start < 0 || (long)start + n > order.Length)
        {
            ThrowHelper.Argument(nameof(batch), $"Batch {ThrowHelper.Shape(batch.Shape)} does not fit samples of {ThrowHelper.Shape(_sampleShape)} at {start} of {order.Length}.");
        }

        for (int i = start; i < start + n; i++)
        {
            if ((uint)order[i] >= (uint)Count)
            {
                ThrowHelper.OutOfRange(nameof(order), order[i], $"Sample index {order[i]} at position {i} is outside 0..{Count - 1}.");
            }
        }

        CopyBatch(order.Slice(start, n), batch, labels, null);
    }

    /// <inheritdoc/>
    protected override void CopyBatchCore(ReadOnlySpan<int> indices, Tensor batch, Span<int> labels, Tensor? targets, int epoch)
    {
        Span<float> dst = batch.AsSpan();
        for (int i = 0; i < indices.Length; i++)
        {
            int idx = indices[i];
            _samples.AsSpan(idx * SampleSize, SampleSize).CopyTo(dst.Slice(i * SampleSize, SampleSize));
            if (_targets is null)
            {
                labels[i] = _labels[idx];
            }
            else
            {
                _targets.AsSpan(idx * TargetSize, TargetSize).CopyTo(targets!.AsSpan().Slice(i * TargetSize, TargetSize));
            }
        }
    }
}
