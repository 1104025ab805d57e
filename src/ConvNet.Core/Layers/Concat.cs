using System;
using System.Collections.Generic;

namespace ConvNet.Layers;

/// <summary>
/// Runs parallel branches on the same input and stacks their outputs along the channel axis (the first per-sample
/// axis): y = [f_1(x); f_2(x); …] (Inception, AlexNet's towers; ONNX Concat on axis 1). Every other axis must agree.
/// Backward: branch b receives its channels of δ, and δx = Σ_b (δ through f_b).
/// </summary>
public sealed class Concat : Branches
{
    /// <summary>Creates the block.</summary>
    /// <param name="branches">At least one branch.</param>
    public Concat(params Layer[] branches)
        : this((IEnumerable<Layer>)branches)
    {
    }

    /// <summary>Creates the block.</summary>
    /// <param name="branches">At least one branch.</param>
    public Concat(IEnumerable<Layer> branches)
        : base(nameof(Concat), branches)
    {
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        config.Write("branches", Children);
    }

    /// <inheritdoc />
    protected override int[] MergeShape(int[][] branchShapes)
    {
        var result = (int[])branchShapes[0].Clone();
        long channels = result[0];
        for (int b = 1; b < branchShapes.Length; b++)
        {
            var s = branchShapes[b];
            if (s.Length != result.Length || !s.AsSpan(1).SequenceEqual(result.AsSpan(1)))
            {
                ThrowHelper.Argument("inputShape", $"{Describe()}: branches must agree on every axis but the channels; branch 0 gives {ThrowHelper.Shape(branchShapes[0])}, branch {b} {ThrowHelper.Shape(s)}.");
            }

            channels += s[0];
        }

        if (channels > int.MaxValue)
        {
            ThrowHelper.Argument("inputShape", $"{Describe()}: {channels} channels in all, more than a tensor can hold.");
        }

        result[0] = (int)channels;
        return result;
    }

    /// <inheritdoc />
    protected override void Merge(ReadOnlySpan<Tensor?> branchOutputs, Tensor output)
    {
        int n = output.Shape[0], sample = output.Length / n, offset = 0;
        var y = output.AsSpan();
        foreach (var t in branchOutputs)
        {
            int part = t!.Length / n;
            var src = t.AsSpan();
            for (int s = 0; s < n; s++)
            {
                src.Slice(s * part, part).CopyTo(y.Slice((s * sample) + offset, part));
            }

            offset += part;
        }
    }

    /// <inheritdoc />
    protected override Tensor BranchGradient(int index, Tensor outputGradient, Tensor scratch)
    {
        int n = outputGradient.Shape[0], sample = outputGradient.Length / n, part = scratch.Length / n, offset = 0;
        for (int b = 0; b < index; b++)
        {
            offset += BranchSampleLength(b);
        }

        var dy = outputGradient.AsSpan();
        var d = scratch.AsSpan();
        for (int s = 0; s < n; s++)
        {
            dy.Slice((s * sample) + offset, part).CopyTo(d.Slice(s * part, part));
        }

        return scratch;
    }
}
