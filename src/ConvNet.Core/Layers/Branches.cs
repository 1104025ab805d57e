using System;
using System.Collections.Generic;
using System.Numerics.Tensors;

namespace ConvNet.Layers;

/// <summary>
/// Parallel branches that all read the same input x and whose outputs are merged (<see cref="Add"/>,
/// <see cref="Concat"/>, <see cref="Residual"/>). Since x feeds every branch, its sensitivity is the sum of theirs —
/// the multivariate chain rule: δx = Σ_b ∂E/∂x through branch b. An <see cref="Identity"/> branch is not run: its
/// output is x itself and its δ is the merged δ's share.
/// </summary>
public abstract class Branches : Block
{
    private readonly BatchTensors _outputs = new();
    private readonly BatchTensors _deltas = new();
    private readonly BatchTensors _scratch = new();
    private readonly BatchTensors _merged = new();
    private readonly Tensor?[] _branchOut;
    private readonly Tensor?[] _branchDelta;
    private int[] _shapesFor = [-1];
    private int[] _sampleLengths = [];

    /// <summary>Creates the block and claims its branches.</summary>
    /// <param name="name">The display name.</param>
    /// <param name="branches">At least one branch.</param>
    protected Branches(string name, IEnumerable<Layer> branches)
        : base(name, branches)
    {
        if (Children.Count == 0)
        {
            ThrowHelper.Argument(nameof(branches), $"{name} needs at least one branch.");
        }

        _branchOut = new Tensor?[Children.Count];
        _branchDelta = new Tensor?[Children.Count];
    }

    /// <inheritdoc />
    public sealed override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => MergeShape(BranchShapes(inputShape));

    /// <summary>The merged per-sample shape, or an <see cref="ArgumentException"/> when the branches do not agree.</summary>
    /// <param name="branchShapes">Each branch's per-sample output shape.</param>
    /// <returns>The block's per-sample output shape.</returns>
    protected abstract int[] MergeShape(int[][] branchShapes);

    /// <summary>Merges the branch outputs [N, …] into <paramref name="output"/>.</summary>
    /// <param name="branchOutputs">Each branch's output.</param>
    /// <param name="output">The block's output, to overwrite.</param>
    protected abstract void Merge(ReadOnlySpan<Tensor?> branchOutputs, Tensor output);

    /// <summary>
    /// The δ of branch <paramref name="index"/>'s output given the block's δ: either <paramref name="outputGradient"/>
    /// itself (a sum passes δ unchanged) or <paramref name="scratch"/> filled with the branch's part.
    /// </summary>
    /// <param name="index">The branch.</param>
    /// <param name="outputGradient">δ of the block's output.</param>
    /// <param name="scratch">A tensor of the branch output's shape the method may fill.</param>
    /// <returns>The branch's δ.</returns>
    protected abstract Tensor BranchGradient(int index, Tensor outputGradient, Tensor scratch);

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        LastPassFused = false;
        Merge(ForwardBranches(input), output);
    }

    /// <summary>Whether the last forward or backward ran fused with the ReLU after it (<see cref="Residual"/>; tests: the
    /// bits are the same).</summary>
    internal bool LastPassFused { get; private protected set; }

    /// <summary>Runs every branch on <paramref name="input"/>; returns their outputs (x itself for an <see cref="Identity"/>).</summary>
    private protected ReadOnlySpan<Tensor?> ForwardBranches(Tensor input)
    {
        var outs = Outputs(input);
        for (int b = 0; b < Children.Count; b++)
        {
            if (Children[b] is Identity)
            {
                _branchOut[b] = input;
            }
            else
            {
                Children[b].Forward(input, outs[b]);
                _branchOut[b] = outs[b];
            }
        }

        return _branchOut;
    }

    /// <summary>Branch <paramref name="index"/>'s output from the last forward over <paramref name="input"/>.</summary>
    private protected Tensor BranchOutput(int index, Tensor input) => Children[index] is Identity ? input : Outputs(input)[index];

    /// <summary>A tensor of the block's output shape for <paramref name="input"/>'s batch (scratch for a subclass's backward).</summary>
    private protected Tensor MergedScratch(Tensor input)
    {
        Outputs(input);
        return _merged.For(input.Shape[0])[0];
    }

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        var outs = Outputs(input);
        int n = input.Shape[0];
        var deltas = _deltas.For(n);
        var scratch = inputGradient is null ? null : _scratch.For(n)[0];
        bool first = true;
        for (int b = 0; b < Children.Count; b++)
        {
            var delta = BranchGradient(b, outputGradient, deltas[b]);
            if (Children[b] is Identity)
            {
                if (inputGradient is not null)
                {
                    Accumulate(delta, inputGradient, first);
                    first = false;
                }

                continue;
            }

            if (inputGradient is null)
            {
                Children[b].Backward(input, outs[b], delta, null);
            }
            else if (first)
            {
                Children[b].Backward(input, outs[b], delta, inputGradient);
                first = false;
            }
            else
            {
                Children[b].Backward(input, outs[b], delta, scratch);
                TensorPrimitives.Add(inputGradient.AsSpan(), scratch!.AsSpan(), inputGradient.AsSpan());
            }
        }
    }

    /// <summary>The per-sample element count of branch <paramref name="index"/>'s output for the current input shape.</summary>
    /// <param name="index">The branch.</param>
    /// <returns>The element count.</returns>
    protected int BranchSampleLength(int index) => _sampleLengths[index];

    private static void Accumulate(Tensor delta, Tensor inputGradient, bool first)
    {
        if (first)
        {
            delta.AsSpan().CopyTo(inputGradient.AsSpan());
        }
        else
        {
            TensorPrimitives.Add(inputGradient.AsSpan(), delta.AsSpan(), inputGradient.AsSpan());
        }
    }

    private Tensor[] Outputs(Tensor input)
    {
        ReadOnlySpan<int> sample = input.Shape[1..];
        if (!sample.SequenceEqual(_shapesFor))
        {
            var shapes = BranchShapes(sample);
            _outputs.SetShapes(shapes);
            _deltas.SetShapes(shapes);
            _scratch.SetShapes([sample.ToArray()]);
            _merged.SetShapes([MergeShape(shapes)]);
            _shapesFor = sample.ToArray();
            _sampleLengths = new int[shapes.Length];
            for (int b = 0; b < shapes.Length; b++)
            {
                int len = 1;
                foreach (int d in shapes[b])
                {
                    len *= d;
                }

                _sampleLengths[b] = len;
            }
        }

        return _outputs.For(input.Shape[0]);
    }

    /// <inheritdoc />
    internal override long ActivationElements(ReadOnlySpan<int> inputShape)
    {
        long n = Elements(GetOutputShape(inputShape));
        foreach (var branch in Children)
        {
            n = checked(n + branch.ActivationElements(inputShape));
        }

        return n;
    }

    private int[][] BranchShapes(ReadOnlySpan<int> inputShape)
    {
        var shapes = new int[Children.Count][];
        for (int b = 0; b < Children.Count; b++)
        {
            try
            {
                shapes[b] = Children[b].GetOutputShape(inputShape);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{Describe()}: branch {ChildKey(b)} ({Children[b].Describe()}) does not fit {ThrowHelper.Shape(inputShape)}: {e.Message}", nameof(inputShape), e);
            }
        }

        return shapes;
    }
}
