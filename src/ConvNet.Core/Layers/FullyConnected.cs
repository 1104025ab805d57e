using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using ConvNet.Initialization;
using ConvNet.Kernels;

namespace ConvNet.Layers;

/// <summary>
/// Fully connected layer, y_j = Σ_i w_ji y_i + b_j, i.e. y = W x + b with W [out][in] (lecture "BP in vector-matrix form").
/// Batched as one matrix product: Y = X Wᵀ + b. Backward: ∂E/∂W = Σ_n δ_n y_nᵀ, ∂E/∂b = Σ_n δ_n, δ^(l−1) = Wᵀ δ.
/// </summary>
public sealed class FullyConnected : Layer
{
    private readonly bool _useBias;
    private readonly int _seed;
    private Parameter[] _parameters;
    private Parameter? _weight;

    /// <summary>Creates the layer.</summary>
    /// <param name="inputs">Input features per sample.</param>
    /// <param name="outputs">Output features per sample.</param>
    /// <param name="useBias">Whether b is learned.</param>
    /// <param name="weightInitializer">Default He uniform.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public FullyConnected(int inputs, int outputs, bool useBias = true, WeightInitializer? weightInitializer = null, int seed = 0)
        : this(outputs, useBias, weightInitializer, seed)
    {
        ThrowHelper.Positive(inputs, nameof(inputs));
        Build(inputs);
    }

    /// <summary>
    /// Creates the layer with its input size left open (Keras' <c>Dense(units)</c>, PyTorch's <c>LazyLinear</c>): it is
    /// fixed, and W created and initialized exactly as <c>FullyConnected(inputs, outputs, …, seed)</c> would, when the
    /// layer first sees its input shape — when it is added to a network (or its container is).
    /// </summary>
    /// <param name="outputs">Output features per sample.</param>
    /// <param name="useBias">Whether b is learned.</param>
    /// <param name="weightInitializer">Default He uniform.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public FullyConnected(int outputs, bool useBias = true, WeightInitializer? weightInitializer = null, int seed = 0)
        : base(nameof(FullyConnected))
    {
        ThrowHelper.Positive(outputs, nameof(outputs));
        Outputs = outputs;
        WeightInitializer = weightInitializer ?? WeightInitializer.HeUniform;
        _useBias = useBias;
        _seed = seed;
        _parameters = [];
    }

    /// <summary>Input features (0 while a layer made without them has not seen its input yet).</summary>
    public int Inputs { get; private set; }

    /// <summary>Output features.</summary>
    public int Outputs { get; }

    /// <summary>The initializer used by <see cref="Initialize"/>.</summary>
    public WeightInitializer WeightInitializer { get; }

    /// <summary>W, shape [out][in].</summary>
    /// <exception cref="InvalidOperationException">The input size is not known yet (add the layer to a network first).</exception>
    public Parameter Weight => _weight ?? throw new InvalidOperationException($"{Describe()} was made without its input size and has not seen an input yet: add it to a network (or its container to one) first.");

    /// <summary>b, shape [out], or null.</summary>
    public Parameter? Bias { get; private set; }

    private void Build(int inputs)
    {
        Inputs = inputs;
        _weight = new Parameter("weight", [Outputs, inputs], decays: true);
        Bias = _useBias ? new Parameter("bias", [Outputs], decays: false) : null;
        _parameters = Bias is null ? [_weight] : [_weight, Bias];
        Initialize(new Random(_seed));
    }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>W from the initializer (fan_in = in, fan_out = out); b = 0.</summary>
    /// <param name="random">The seeded source of randomness.</param>
    public override void Initialize(Random random)
    {
        ThrowHelper.NotNull(random, nameof(random));
        if (_weight is null)
        {
            return;
        }

        WeightInitializer.Fill(Weight.Value.AsSpan(), Inputs, Outputs, random);
        Bias?.Value.Clear();
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        _ = Weight;
        config.Write("in", Inputs);
        config.Write("out", Outputs);
        config.Write("bias", Bias is not null);
        config.Write("initializer", WeightInitializer.Name);
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape)
    {
        if (_weight is null && inputShape.Length == 1 && inputShape[0] > 0)
        {
            Build(inputShape[0]);
            (Owner as Block)?.ParametersChanged();
        }

        if (inputShape.Length != 1 || inputShape[0] != Inputs)
        {
            Fail(nameof(inputShape), $"expects per-sample input [{Inputs}]; actual {ThrowHelper.Shape(inputShape)} (add a Flatten layer before it for feature maps).");
        }

        return [Outputs];
    }

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        int n = input.Shape[0];
        Span<float> y = output.AsSpan();
        Gemm.MultiplyParallel(false, true, n, Outputs, Inputs, input.Memory, Inputs, Weight.Value.Memory, Inputs, output.Memory, Outputs, accumulate: false, DegreeOfParallelism);
        if (Bias is not null)
        {
            ReadOnlySpan<float> b = Bias.Value.AsSpan();
            for (int s = 0; s < n; s++)
            {
                Span<float> row = y.Slice(s * Outputs, Outputs);
                TensorPrimitives.Add(row, b, row);
            }
        }
    }

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        int n = input.Shape[0];
        ReadOnlySpan<float> dy = outputGradient.AsSpan();

        // ∂E/∂W = Σ_n δ_n y_nᵀ = δᵀ X   ([out × N] · [N × in])
        Gemm.MultiplyParallel(true, false, Outputs, Inputs, n, outputGradient.Memory, Outputs, input.Memory, Inputs, Weight.Gradient.Memory, Inputs, accumulate: false, DegreeOfParallelism);

        // ∂E/∂b = Σ_n δ_n
        if (Bias is not null)
        {
            Span<float> db = Bias.Gradient.AsSpan();
            dy[..Outputs].CopyTo(db);
            for (int s = 1; s < n; s++)
            {
                TensorPrimitives.Add(db, dy.Slice(s * Outputs, Outputs), db);
            }
        }

        // δ^(l−1) = Wᵀ δ  ⇔  dX = δ W   ([N × out] · [out × in])
        if (inputGradient is not null)
        {
            Gemm.MultiplyParallel(false, false, n, Inputs, Outputs, outputGradient.Memory, Outputs, Weight.Value.Memory, Inputs, inputGradient.Memory, Inputs, accumulate: false, DegreeOfParallelism);
        }
    }
}
