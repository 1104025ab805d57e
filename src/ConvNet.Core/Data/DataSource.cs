using System;

namespace ConvNet.Data;

/// <summary>
/// Where the trainer and evaluation get their samples: a count, the shape of one sample, and either a class label
/// (<see cref="Classes"/> &gt; 0) or a float target vector (<see cref="Classes"/> = 0, regression) per sample. The
/// trainer asks for one batch at a time by sample index, so a source need not hold the data in memory
/// (<see cref="IdxFileSource"/> reads each batch from disk); <see cref="Dataset"/> is the in-memory one, and
/// <see cref="AugmentedSource"/> transforms another source's samples per epoch.
/// </summary>
/// <remarks>
/// Implement <see cref="CopyBatchCore"/>; <see cref="CopyBatch"/> has checked the buffers and every index before it
/// calls it. A source must give the same values for the same (index, epoch) every time: runs stay bit-reproducible and a
/// resumed run sees what an uninterrupted one saw.
/// </remarks>
public abstract class DataSource
{
    /// <summary>The number of samples.</summary>
    public abstract int Count { get; }

    /// <summary>The shape of one sample (e.g. [1, 28, 28]).</summary>
    public abstract ReadOnlySpan<int> SampleShape { get; }

    /// <summary>The number of classes K of the labels, or 0 when the targets are float vectors (regression).</summary>
    public abstract int Classes { get; }

    /// <summary>The shape of one float target when <see cref="Classes"/> is 0 (e.g. [3]); empty for labelled data.</summary>
    public virtual ReadOnlySpan<int> TargetShape => ReadOnlySpan<int>.Empty;

    /// <summary>True when the samples carry class labels, false when they carry float targets.</summary>
    public bool HasLabels => Classes > 0;

    /// <summary>
    /// Copies sample indices[i] into row i of <paramref name="batch"/>, and its label into labels[i] (labelled data) or
    /// its target into row i of <paramref name="targets"/> (regression).
    /// </summary>
    /// <param name="indices">N sample indices, each in 0..Count−1.</param>
    /// <param name="batch">Destination [N, …SampleShape].</param>
    /// <param name="labels">Destination of N labels (labelled data; may be empty for regression).</param>
    /// <param name="targets">Destination [N, …TargetShape] (regression; null for labelled data).</param>
    /// <param name="epoch">The 0-based training epoch, or −1 when evaluating: augmenting sources transform at random
    /// only for epoch ≥ 0.</param>
    public void CopyBatch(ReadOnlySpan<int> indices, Tensor batch, Span<int> labels, Tensor? targets, int epoch = -1)
    {
        ThrowHelper.NotNull(batch, nameof(batch));
        int n = indices.Length;
        if (n == 0 || batch.Rank != SampleShape.Length + 1 || batch.Shape[0] != n || !batch.Shape[1..].SequenceEqual(SampleShape))
        {
            ThrowHelper.Argument(nameof(batch), $"A batch of {n} samples of {ThrowHelper.Shape(SampleShape)} needs a [{n}, …] tensor of that shape; actual {ThrowHelper.Shape(batch.Shape)}.");
        }

        if (HasLabels && labels.Length < n)
        {
            ThrowHelper.Argument(nameof(labels), $"{n} labels do not fit a span of {labels.Length}.");
        }

        if (!HasLabels && (targets is null || targets.Rank != TargetShape.Length + 1 || targets.Shape[0] != n || !targets.Shape[1..].SequenceEqual(TargetShape)))
        {
            ThrowHelper.Argument(nameof(targets), $"The regression targets of {n} samples need a [{n}, {string.Join(", ", TargetShape.ToArray())}] tensor; actual {(targets is null ? "none" : ThrowHelper.Shape(targets.Shape))}.");
        }

        if (epoch < -1)
        {
            ThrowHelper.OutOfRange(nameof(epoch), epoch, "Expected a 0-based epoch, or −1 for evaluation.");
        }

        int count = Count;
        for (int i = 0; i < n; i++)
        {
            if ((uint)indices[i] >= (uint)count)
            {
                ThrowHelper.OutOfRange(nameof(indices), indices[i], $"Sample index {indices[i]} at position {i} is outside 0..{count - 1}.");
            }
        }

        CopyBatchCore(indices, batch, labels, targets, epoch);
    }

    /// <summary>Copies the batch; the buffers and every index have been checked.</summary>
    /// <param name="indices">N valid sample indices.</param>
    /// <param name="batch">[N, …SampleShape].</param>
    /// <param name="labels">At least N labels (labelled data).</param>
    /// <param name="targets">[N, …TargetShape] (regression).</param>
    /// <param name="epoch">The training epoch, or −1.</param>
    protected abstract void CopyBatchCore(ReadOnlySpan<int> indices, Tensor batch, Span<int> labels, Tensor? targets, int epoch);
}
