using System;
using System.Collections.Generic;

namespace ConvNet.Layers;

/// <summary>
/// Inverted dropout (Srivastava et al. 2014): in training mode y_i = m_i x_i / (1 − p) with m_i ∈ {0, 1} kept with
/// probability 1 − p; in inference mode y = x. Backward: δx_i = m_i δy_i / (1 − p), with the mask of the forward pass.
/// </summary>
/// <remarks>
/// The mask is a pure function of (seed, step, position): m_i = [u(seed, step, i) ≥ p], where u is a SplitMix64 hash
/// of the three mapped to [0, 1) and i is the element's index in the batch. The step counter advances once per
/// training forward and is a state buffer, so it is saved in checkpoints: a run gives the same bits whatever the thread
/// count, and a resumed run draws the masks the uninterrupted one would have drawn.
/// </remarks>
public sealed class Dropout : Layer
{
    private readonly StateBuffer _step = new("step", 2);
    private readonly StateBuffer[] _buffers;
    private long _maskStep = -1;

    /// <summary>Creates the layer.</summary>
    /// <param name="p">The probability of dropping an element, in [0, 1) (PyTorch's default 0.5).</param>
    /// <param name="seed">The seed of the masks.</param>
    public Dropout(double p = 0.5, int seed = 0)
        : base(nameof(Dropout))
    {
        if (!(p >= 0 && p < 1))
        {
            ThrowHelper.OutOfRange(nameof(p), p, $"The drop probability must be in [0, 1); actual {p}.");
        }

        P = p;
        Seed = seed;
        _buffers = [_step];
    }

    /// <summary>The probability of dropping an element.</summary>
    public double P { get; }

    /// <summary>The seed of the masks.</summary>
    public int Seed { get; }

    /// <summary>Training forward passes so far (the step of the next mask).</summary>
    public long Step
    {
        get => (long)_step.Value.AsSpan()[0] + ((long)_step.Value.AsSpan()[1] << 24);
        private set
        {
            _step.Value.AsSpan()[0] = value & 0xFFFFFF;
            _step.Value.AsSpan()[1] = value >> 24;
        }
    }

    /// <inheritdoc />
    public override IReadOnlyList<StateBuffer> Buffers => _buffers;

    /// <summary>Whether element <paramref name="index"/> is kept at <paramref name="step"/> (the mask's definition).</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="step">The training step.</param>
    /// <param name="index">The element's index in the batch.</param>
    /// <param name="p">The drop probability.</param>
    /// <returns>True when kept.</returns>
    public static bool Keeps(int seed, long step, long index, double p)
    {
        ulong z = ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)step * 0xC2B2AE3D27D4EB4FUL) ^ ((ulong)index + 0x165667B19E3779F9UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 40) * (1.0 / (1 << 24)) >= p;
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        config.Write("p", P);
        config.Write("seed", Seed);
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output)
    {
        if (!IsTraining || P == 0)
        {
            input.AsSpan().CopyTo(output.AsSpan());
            _maskStep = -1;
            return;
        }

        long step = Step;
        Apply(input.AsSpan(), output.AsSpan(), step);
        _maskStep = step;
        Step = step + 1;
    }

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        if (inputGradient is null)
        {
            return;
        }

        if (_maskStep < 0)
        {
            outputGradient.AsSpan().CopyTo(inputGradient.AsSpan());
            return;
        }

        Apply(outputGradient.AsSpan(), inputGradient.AsSpan(), _maskStep);
    }

    private void Apply(ReadOnlySpan<float> x, Span<float> y, long step)
    {
        float scale = (float)(1 / (1 - P));
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = Keeps(Seed, step, i, P) ? x[i] * scale : 0f;
        }
    }
}
