using System;
using System.Collections.Generic;
using System.Numerics.Tensors;

namespace ConvNet.Layers;

/// <summary>
/// Sums parallel branches that read the same input: y = Σ_b f_b(x) (ONNX Add). Every branch must give the same shape.
/// Backward: each branch receives δ unchanged, and δx = Σ_b (δ through f_b).
/// </summary>
public sealed class Add : Branches
{
    /// <summary>Creates the block.</summary>
    /// <param name="branches">At least two branches (an <see cref="Identity"/> passes x).</param>
    public Add(params Layer[] branches)
        : this((IEnumerable<Layer>)branches)
    {
    }

    /// <summary>Creates the block.</summary>
    /// <param name="branches">At least one branch.</param>
    public Add(IEnumerable<Layer> branches)
        : base(nameof(Add), branches)
    {
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        config.Write("branches", Children);
    }

    /// <inheritdoc />
    protected override int[] MergeShape(int[][] branchShapes) => SumShape(this, branchShapes);

    /// <inheritdoc />
    protected override void Merge(ReadOnlySpan<Tensor?> branchOutputs, Tensor output) => Sum(branchOutputs, output);

    /// <inheritdoc />
    protected override Tensor BranchGradient(int index, Tensor outputGradient, Tensor scratch) => outputGradient;

    internal static int[] SumShape(Layer block, int[][] shapes)
    {
        for (int b = 1; b < shapes.Length; b++)
        {
            if (!shapes[b].AsSpan().SequenceEqual(shapes[0]))
            {
                ThrowHelper.Argument("inputShape", $"{block.Describe()}: the branches to add must give one shape; branch 0 gives {ThrowHelper.Shape(shapes[0])}, branch {b} {ThrowHelper.Shape(shapes[b])}.");
            }
        }

        return shapes[0];
    }

    internal static void Sum(ReadOnlySpan<Tensor?> branchOutputs, Tensor output)
    {
        var y = output.AsSpan();
        if (branchOutputs.Length == 1)
        {
            branchOutputs[0]!.AsSpan().CopyTo(y);
            return;
        }

        TensorPrimitives.Add(branchOutputs[0]!.AsSpan(), branchOutputs[1]!.AsSpan(), y);
        for (int b = 2; b < branchOutputs.Length; b++)
        {
            TensorPrimitives.Add(y, branchOutputs[b]!.AsSpan(), y);
        }
    }
}
