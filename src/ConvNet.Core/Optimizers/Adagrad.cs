using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using System.Text.Json;

namespace ConvNet.Optimizers;

/// <summary>
/// Adagrad (Duchi et al.; <c>torch.optim.Adagrad</c>): with g' = g + λW (L2 on weights) and the decayed rate
/// αₜ = α / (1 + (t − 1)·η), S ← S + g'², W ← W − αₜ g' / (√S + ε). S starts at the initial accumulator value.
/// </summary>
public sealed class Adagrad : Optimizer
{
    private static readonly string[] Names = ["sum"];
    private float[] _scratch = [];

    /// <summary>Creates the optimizer (PyTorch's defaults).</summary>
    /// <param name="learningRate">α ≥ 0 (default 1e-2).</param>
    /// <param name="learningRateDecay">η ≥ 0.</param>
    /// <param name="weightDecay">λ ≥ 0 on weights.</param>
    /// <param name="initialAccumulatorValue">S₀ ≥ 0.</param>
    /// <param name="epsilon">ε &gt; 0 (default 1e-10).</param>
    public Adagrad(double learningRate = 1e-2, double learningRateDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double epsilon = 1e-10)
        : base(learningRate)
    {
        ThrowHelper.FiniteNonNegative(learningRateDecay, nameof(learningRateDecay));
        ThrowHelper.FiniteNonNegative(weightDecay, nameof(weightDecay));
        ThrowHelper.FiniteNonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        ThrowHelper.FinitePositive(epsilon, nameof(epsilon));
        LearningRateDecay = learningRateDecay;
        WeightDecay = weightDecay;
        InitialAccumulatorValue = initialAccumulatorValue;
        Epsilon = epsilon;
    }

    /// <summary>η.</summary>
    public double LearningRateDecay { get; }

    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <summary>S₀.</summary>
    public double InitialAccumulatorValue { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> StateNames => Names;

    /// <inheritdoc />
    protected internal override void WriteConfig(Utf8JsonWriter writer)
    {
        ThrowHelper.NotNull(writer, nameof(writer));
        writer.WriteNumber("learningRateDecay", LearningRateDecay);
        writer.WriteNumber("weightDecay", WeightDecay);
        writer.WriteNumber("initialAccumulatorValue", InitialAccumulatorValue);
        writer.WriteNumber("epsilon", Epsilon);
    }

    internal static Adagrad FromConfig(OptimizerConfigReader c) =>
        new(c.LearningRate, c.GetDouble("learningRateDecay"), c.GetDouble("weightDecay"), c.GetDouble("initialAccumulatorValue"), c.GetDouble("epsilon"));

    /// <inheritdoc />
    protected override void InitializeState(Parameter parameter, float[][] state)
    {
        ThrowHelper.NotNull(state, nameof(state));
        state[0].AsSpan().Fill((float)InitialAccumulatorValue);
    }

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

        Span<float> sum = state[0];
        TensorPrimitives.Multiply(g, g, d);
        TensorPrimitives.Add(sum, d, sum);
        TensorPrimitives.Sqrt(sum, d);
        TensorPrimitives.Add(d, (float)Epsilon, d);
        TensorPrimitives.Divide(g, d, g);
        double rate = LearningRate / (1 + ((Steps - 1) * LearningRateDecay));
        TensorPrimitives.MultiplyAdd(g, (float)-rate, value, value);
    }
}
