using System;

namespace ConvNet.Layers;

/// <summary>
/// A residual block (He et al. 2016): y = f(x) + shortcut(x), where the shortcut is the identity or a projection
/// (e.g. a 1×1 strided convolution and BatchNorm) when f changes the shape. Backward: δx = δ through f + δ through the
/// shortcut (for the identity, δ itself). Put the activation after the sum in a <see cref="Sequential"/>.
/// Parameter names: <c>body.…</c> and <c>shortcut.…</c>.
/// </summary>
public sealed class Residual : Branches
{
    /// <summary>Creates the block.</summary>
    /// <param name="body">f, the residual branch.</param>
    /// <param name="shortcut">The projection shortcut; null for the identity.</param>
    public Residual(Layer body, Layer? shortcut = null)
        : base(nameof(Residual), [body, shortcut ?? new Identity()])
    {
    }

    /// <summary>f, the residual branch.</summary>
    public Layer Body => Children[0];

    /// <summary>The projection shortcut, or null for the identity.</summary>
    public Layer? Shortcut => Children[1] is Identity ? null : Children[1];

    /// <inheritdoc />
    public override string ChildKey(int index) => index == 0 ? "body" : "shortcut";

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        config.Write("body", Body);
        if (Shortcut is not null)
        {
            config.Write("shortcut", Shortcut);
        }
    }

    /// <inheritdoc />
    protected override int[] MergeShape(int[][] branchShapes) => Add.SumShape(this, branchShapes);

    /// <inheritdoc />
    protected override void Merge(ReadOnlySpan<Tensor?> branchOutputs, Tensor output) => Add.Sum(branchOutputs, output);

    /// <inheritdoc />
    protected override Tensor BranchGradient(int index, Tensor outputGradient, Tensor scratch) => outputGradient;
}
