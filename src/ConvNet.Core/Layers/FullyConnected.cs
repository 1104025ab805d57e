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
    private readonly Parameter[] _parameters;

    /// <summary>Creates the layer.</summary>
    /// <param name="inputs">Input features per sample.</param>
    /// <param name="outputs">Output features per sample.</param>
    /// <param name="useBias">Whether b is learned.</param>
    /// <param name="weightInitializer">Default He uniform.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public FullyConnected(int inputs, int outputs, bool useBias = true, WeightInitializer? weightInitializer = null, int seed = 0)
        : base(nameof(FullyConnected))
    {
        ThrowHelper.Positive(inputs, nameof(inputs));
        ThrowHelper.Positive(outputs, nameof(outputs));
        Inputs = inputs;
        Outputs = outputs;
        WeightInitializer = weightInitializer ?? WeightInitializer.HeUniform;
        Weight = new Parameter("weight", [outputs, inputs], decays: true);
        Bias = useBias ? new Parameter("bias", [outputs], decays: false) : null;
        _parameters = Bias is null ? [Weight] : [Weight, Bias];
        Initialize(new Random(seed));
    }

    /// <summary>Input features.</summary>
    public int Inputs { get; }

    /// <summary>Output features.</summary>
    public int Outputs { get; }

    /// <summary>The initializer used by <see cref="Initialize"/>.</summary>
    public WeightInitializer WeightInitializer { get; }

    /// <summary>W, shape [out][in].</summary>
    public Parameter Weight { get; }

    /// <summary>b, shape [out], or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>W from the initializer (fan_in = in, fan_out = out); b = 0.</summary>
    /// <param name="random">The seeded source of randomness.</param>
    public override void Initialize(Random random)
    {
        ThrowHelper.NotNull(random, nameof(random));
        WeightInitializer.Fill(Weight.Value.AsSpan(), Inputs, Outputs, random);
        Bias?.Value.Clear();
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        config.Write("in", Inputs);
        config.Write("out", Outputs);
        config.Write("bias", Bias is not null);
        config.Write("initializer", WeightInitializer.Name);
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape)
    {
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
