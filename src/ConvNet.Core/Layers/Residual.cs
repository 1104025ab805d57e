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

    /// <summary>The ReLU after the sum (He et al.'s block ends with it) runs in the sum's pass: z = max(f(x) + s(x), 0).</summary>
    internal override bool AbsorbsReLU => true;

    /// <summary>z = max(f(x) + shortcut(x), 0), block by block: the sum and the ReLU layer's own maximum on data in cache.</summary>
    private protected override void ForwardReLUCore(Tensor input, Tensor output)
    {
        LastPassFused = true;
        var outs = ForwardBranches(input);
        _kernel.Forward(outs[0]!, outs[1]!, output, DegreeOfParallelism);
    }

    /// <summary>δ of the sum = δz ⊙ [f(x) + shortcut(x) ≥ 0], the sum recomputed by the same addition; then the block's backward.</summary>
    private protected override void BackwardReLUCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        LastPassFused = true;
        var gated = MergedScratch(input);
        _kernel.Gate(BranchOutput(0, input), BranchOutput(1, input), outputGradient, gated, DegreeOfParallelism);
        BackwardCore(input, output, gated, inputGradient);
    }

    private readonly Kernels.SumReLU _kernel = new();
}
