using System;
using System.Collections.Generic;

namespace ConvNet.Layers;

/// <summary>
/// A chain of layers used as one layer, y = f_k(… f_1(x)) (PyTorch's <c>nn.Sequential</c>): the lecture's layer
/// decomposition inside a block. Backward runs the chain in reverse, δ^(i−1) = backward_i(δ^(i)). The block owns the
/// activations and δ's between its children, one set per batch size.
/// </summary>
public sealed class Sequential : Block
{
    private readonly BatchTensors _activations = new();
    private readonly BatchTensors _deltas = new();
    private int[] _shapesFor = [-1];

    /// <summary>Creates the chain.</summary>
    /// <param name="layers">The layers, first to last (at least one).</param>
    public Sequential(params Layer[] layers)
        : this((IEnumerable<Layer>)layers)
    {
    }

    /// <summary>Creates the chain.</summary>
    /// <param name="layers">The layers, first to last (at least one).</param>
    public Sequential(IEnumerable<Layer> layers)
        : base(nameof(Sequential), layers)
    {
        if (Children.Count == 0)
        {
            ThrowHelper.Argument(nameof(layers), "A Sequential block needs at least one layer.");
        }
    }

    /// <summary>Appends a layer (before the block is added to a network or another block).</summary>
    /// <param name="layer">The layer.</param>
    /// <returns>This block, for chaining.</returns>
    public Sequential Add(Layer layer)
    {
        AddChild(layer, nameof(layer));
        _shapesFor = [-1];
        return this;
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        config.Write("layers", Children);
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => InnerShapes(inputShape)[^1];

    /// <inheritdoc />
    /// <remarks>A layer that absorbs a following ReLU (BatchNorm) runs the pair in one pass and the activation between
    /// them is never written; during a prediction a convolution also applies the inference BatchNorm (and ReLU) after
    /// it. The results are the same bits as the layers one after the other.</remarks>
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        var acts = Activations(input);
        var children = Children;
        Tensor x = input;
        for (int i = 0; i < children.Count; i++)
        {
            int run = Layer.ForwardRunLength(children, i, Predicting);
            int last = i + run - 1;
            var y = last == children.Count - 1 ? output : acts[last];
            Layer.ForwardRun(children, i, run, x, y);
            x = y;
            i = last;
        }
    }

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        var acts = Activations(input);
        var deltas = _deltas.For(input.Shape[0]);
        var children = Children;
        Tensor delta = outputGradient;
        for (int last = children.Count - 1; last >= 0; last--)
        {
            bool fused = last > 0 && Layer.FusesWithNext(children, last - 1);
            int i = fused ? last - 1 : last;
            Tensor x = i == 0 ? input : acts[i - 1];
            Tensor y = last == children.Count - 1 ? output : acts[last];
            Tensor? dx = i == 0 ? inputGradient : deltas[i - 1];
            if (fused)
            {
                children[i].BackwardReLU(x, y, delta, dx);
            }
            else
            {
                children[i].Backward(x, y, delta, dx);
            }

            if (dx is not null)
            {
                delta = dx;
            }

            last = i;
        }
    }

    private Tensor[] Activations(Tensor input)
    {
        ReadOnlySpan<int> sample = input.Shape[1..];
        if (!sample.SequenceEqual(_shapesFor))
        {
            var shapes = InnerShapes(sample);
            var inner = shapes[..^1];
            _activations.SetShapes(inner);
            _deltas.SetShapes(inner);
            _shapesFor = sample.ToArray();
        }

        return _activations.For(input.Shape[0]);
    }

    /// <inheritdoc />
    internal override long ActivationElements(ReadOnlySpan<int> inputShape)
    {
        var shapes = InnerShapes(inputShape);
        long n = 0;
        for (int i = 0; i < Children.Count; i++)
        {
            n = checked(n + Children[i].ActivationElements(i == 0 ? inputShape : shapes[i - 1]));
        }

        return n;
    }

    private int[][] InnerShapes(ReadOnlySpan<int> inputShape)
    {
        var shapes = new int[Children.Count][];
        int[] shape = inputShape.ToArray();
        for (int i = 0; i < Children.Count; i++)
        {
            try
            {
                shape = Children[i].GetOutputShape(shape);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{Describe()}: layer {i} ({Children[i].Describe()}) does not fit {ThrowHelper.Shape(shapes.Length > 0 && i > 0 ? shapes[i - 1] : inputShape)}: {e.Message}", nameof(inputShape), e);
            }

            shapes[i] = shape;
        }

        return shapes;
    }
}
