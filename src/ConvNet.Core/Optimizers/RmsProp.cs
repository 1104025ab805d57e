using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using System.Text.Json;

namespace ConvNet.Optimizers;

/// <summary>
/// RMSprop (Hinton; <c>torch.optim.RMSprop</c>): with g' = g + λW (L2 on weights), s ← ρs + (1 − ρ)g'²,
/// d = √s + ε (ε outside the root; centered: d = √(s − ḡ²) + ε with ḡ ← ρḡ + (1 − ρ)g'); without momentum
/// W ← W − α g'/d, with momentum μ: b ← μb + g'/d, W ← W − αb.
/// </summary>
public sealed class RmsProp : Optimizer
{
    private readonly string[] _names;
    private float[] _scratch = [];

    /// <summary>Creates the optimizer (PyTorch's defaults).</summary>
    /// <param name="learningRate">α ≥ 0 (default 1e-2).</param>
    /// <param name="alpha">ρ in [0, 1), the decay of the squared-gradient average (default 0.99).</param>
    /// <param name="epsilon">ε &gt; 0.</param>
    /// <param name="momentum">μ in [0, 1).</param>
    /// <param name="weightDecay">λ ≥ 0 on weights (L2, added to the gradient).</param>
    /// <param name="centered">Divide by the estimated standard deviation of g instead of its root mean square.</param>
    public RmsProp(double learningRate = 1e-2, double alpha = 0.99, double epsilon = 1e-8, double momentum = 0, double weightDecay = 0, bool centered = false)
        : base(learningRate)
    {
        if (!(alpha >= 0 && alpha < 1))
        {
            ThrowHelper.OutOfRange(nameof(alpha), alpha, $"alpha must be in [0, 1); actual {alpha}.");
        }

        if (!(momentum >= 0 && momentum < 1))
        {
            ThrowHelper.OutOfRange(nameof(momentum), momentum, $"momentum must be in [0, 1); actual {momentum}.");
        }

        ThrowHelper.FinitePositive(epsilon, nameof(epsilon));
        ThrowHelper.FiniteNonNegative(weightDecay, nameof(weightDecay));
        Alpha = alpha;
        Epsilon = epsilon;
        Momentum = momentum;
        WeightDecay = weightDecay;
        Centered = centered;
        _names = (momentum > 0, centered) switch
        {
            (false, false) => ["square_avg"],
            (true, false) => ["square_avg", "momentum_buffer"],
            (false, true) => ["square_avg", "grad_avg"],
            (true, true) => ["square_avg", "momentum_buffer", "grad_avg"],
        };
    }

    /// <summary>ρ.</summary>
    public double Alpha { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>μ.</summary>
    public double Momentum { get; }

    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the squared average is centered by the mean gradient.</summary>
    public bool Centered { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> StateNames => _names;

    /// <inheritdoc />
    protected internal override void WriteConfig(Utf8JsonWriter writer)
    {
        ThrowHelper.NotNull(writer, nameof(writer));
        writer.WriteNumber("alpha", Alpha);
        writer.WriteNumber("epsilon", Epsilon);
        writer.WriteNumber("momentum", Momentum);
        writer.WriteNumber("weightDecay", WeightDecay);
        writer.WriteBoolean("centered", Centered);
    }

    internal static RmsProp FromConfig(OptimizerConfigReader c) =>
        new(c.LearningRate, c.GetDouble("alpha"), c.GetDouble("epsilon"), c.GetDouble("momentum"), c.GetDouble("weightDecay"), c.GetBoolean("centered"));

    /// <inheritdoc />
    protected override void Update(Parameter parameter, Span<float> value, ReadOnlySpan<float> gradient, float[][] state)
    {
        int n = value.Length;
        if (_scratch.Length < 2 * n)
        {
            _scratch = new float[2 * n];
        }

        Span<float> g = _scratch.AsSpan(0, n), d = _scratch.AsSpan(n, n);
        DecayedGradient(parameter, value, gradient, WeightDecay, g);

        float rho = (float)Alpha;
        Span<float> s = state[0];
        TensorPrimitives.Multiply(s, rho, s);
        TensorPrimitives.Multiply(g, g, d);
        TensorPrimitives.MultiplyAdd(d, 1 - rho, s, s);
        if (Centered)
        {
            Span<float> avg = state[^1];
            TensorPrimitives.Multiply(avg, rho, avg);
            TensorPrimitives.MultiplyAdd(g, 1 - rho, avg, avg);
            TensorPrimitives.Multiply(avg, avg, d);
            TensorPrimitives.Subtract(s, d, d);
            TensorPrimitives.Sqrt(d, d);
        }
        else
        {
            TensorPrimitives.Sqrt(s, d);
        }

        TensorPrimitives.Add(d, (float)Epsilon, d);
        TensorPrimitives.Divide(g, d, g);
        if (Momentum > 0)
        {
            Span<float> buf = state[1];
            TensorPrimitives.MultiplyAdd(buf, (float)Momentum, g, buf);
            TensorPrimitives.MultiplyAdd(buf, (float)-LearningRate, value, value);
        }
        else
        {
            TensorPrimitives.MultiplyAdd(g, (float)-LearningRate, value, value);
        }
    }
}
