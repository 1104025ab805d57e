using System;
using System.Collections.Generic;
using System.Globalization;
using ConvNet.Kernels;

namespace ConvNet.Layers;

/// <summary>
/// Batch normalization (Ioffe &amp; Szegedy 2015; PyTorch's <c>BatchNorm{1,2,3}d</c>), per channel c over the batch
/// and every spatial position (m = N · Π spatial values): x̂ = (x − μ_c) / √(σ²_c + ε), y = γ_c x̂ + β_c.
/// </summary>
/// <remarks>
/// <para>In training mode μ and σ² are the batch mean and the <b>biased</b> batch variance (divide by m), and the running
/// statistics are updated with the <b>unbiased</b> variance: running_mean ← (1 − momentum) running_mean + momentum μ,
/// running_var ← (1 − momentum) running_var + momentum σ² m/(m − 1). Backward is exact for the batch statistics:
/// δ^(l−1) = γ/√(σ² + ε) · (δ − mean(δ) − x̂ · mean(δ x̂)) (means over the channel's m values), ∂E/∂γ = Σ δ x̂,
/// ∂E/∂β = Σ δ. In inference mode y = γ (x − running_mean)/√(running_var + ε) + β and δ^(l−1) = δ γ/√(running_var + ε).
/// Without <see cref="TrackRunningStats"/> both modes use the batch statistics and there are no buffers.</para>
/// <para>Momentum is PyTorch's (the weight of the new batch; Keras' momentum is 1 − this); null gives the cumulative
/// average, factor 1/num_batches_tracked. Statistics are computed from values shifted by a value near the mean (the
/// first sample's mean for spatial inputs, the first row's value for [N, C]: no cancellation), in float partial sums of
/// at most 8 terms added into double, or entirely in double where float sums would overflow, underflow or lose digits
/// (see BlockStatistics), each channel by one thread in a fixed order: the bits do not depend on the thread count.
/// δx is formed from x̂ = (x − μ)/σ, so its float coefficients stay in range for any σ float can hold; the forward's
/// coefficient γ/σ is one float, so γ/σ beyond float's range (e.g. data below ~1e-38 with ε = 0) gives ±∞.
/// γ and β are not weight-decayed. Inside a <see cref="Sequential"/> or a <see cref="Network"/> a BatchNorm directly
/// followed by a <see cref="ReLU"/> runs as one fused pair: z = max(y, 0) is written in the pass that computes y (y is
/// never stored), and the backward reads δz and recomputes the ReLU's mask [y ≥ 0] from x; the bits equal the two
/// layers run one after the other. The buffers are float tensors; num_batches_tracked (PyTorch's int64) counts exactly
/// up to 2^24 batches.</para>
/// </remarks>
public abstract partial class BatchNorm : Layer, IRangeKernel
{
    private readonly Parameter[] _parameters;
    private readonly StateBuffer[] _buffers;
    private readonly int _minRank;
    private readonly int _maxRank;
    private readonly string _layout;
    private double[] _mean = [], _invStd = [], _s1 = [], _s2 = [];
    private float[] _shift = [], _scale = [], _offset = [], _a = [], _k = [], _b = [], _c = [];
    private readonly RangeWork _work;
    private Tensor? _x, _y, _dy, _dx;
    private bool _batchStats;
    private bool _relu;
    private bool _update;
    private double _factor;

    /// <summary>Creates the layer: γ = 1, β = 0, running_mean = 0, running_var = 1.</summary>
    /// <param name="name">The type name.</param>
    /// <param name="minRank">The smallest per-sample rank accepted (1 for [C]).</param>
    /// <param name="maxRank">The largest per-sample rank accepted.</param>
    /// <param name="layout">The accepted per-sample shapes, for messages, e.g. "[C, H, W]".</param>
    /// <param name="channels">C.</param>
    /// <param name="momentum">Weight of the batch statistics in the running update, in [0, 1]; null for a cumulative average.</param>
    /// <param name="epsilon">ε added to the variance, finite and ≥ 0.</param>
    /// <param name="affine">Whether γ and β are learned (otherwise γ = 1, β = 0).</param>
    /// <param name="trackRunningStats">Whether running statistics are kept and used in inference mode.</param>
    private protected BatchNorm(string name, int minRank, int maxRank, string layout, int channels, double? momentum, double epsilon, bool affine, bool trackRunningStats)
        : base(name)
    {
        ThrowHelper.Positive(channels, nameof(channels));
        if (momentum is double mo && !(mo >= 0 && mo <= 1))
        {
            ThrowHelper.OutOfRange(nameof(momentum), mo, $"{name}: momentum must be in [0, 1] (or null for a cumulative average); actual {mo.ToString(CultureInfo.InvariantCulture)}.");
        }

        ThrowHelper.FiniteNonNegative(epsilon, nameof(epsilon));
        (_minRank, _maxRank, _layout) = (minRank, maxRank, layout);
        Channels = channels;
        Momentum = momentum;
        Epsilon = epsilon;
        TrackRunningStats = trackRunningStats;
        if (affine)
        {
            Weight = new Parameter("weight", [channels], decays: false);
            Bias = new Parameter("bias", [channels], decays: false);
        }

        if (trackRunningStats)
        {
            RunningMean = new StateBuffer("running_mean", channels);
            RunningVar = new StateBuffer("running_var", channels);
            NumBatchesTracked = new StateBuffer("num_batches_tracked", 1);
        }

        _parameters = affine ? [Weight!, Bias!] : [];
        _buffers = trackRunningStats ? [RunningMean!, RunningVar!, NumBatchesTracked!] : [];
        _work = new RangeWork(this);
        Reset();
    }

    /// <summary>C, the number of channels (features).</summary>
    public int Channels { get; }

    /// <summary>The weight of the batch statistics in the running update (PyTorch's convention), or null for the cumulative average.</summary>
    public double? Momentum { get; }

    /// <summary>ε, added to the variance.</summary>
    public double Epsilon { get; }

    /// <summary>Whether γ and β are learned.</summary>
    public bool Affine => Weight is not null;

    /// <summary>Whether running statistics are kept (and used in inference mode).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>γ ("weight"), shape [C], or null when not <see cref="Affine"/>.</summary>
    public Parameter? Weight { get; }

    /// <summary>β ("bias"), shape [C], or null when not <see cref="Affine"/>.</summary>
    public Parameter? Bias { get; }

    /// <summary>The running mean ("running_mean", [C]), or null without <see cref="TrackRunningStats"/>.</summary>
    public StateBuffer? RunningMean { get; }

    /// <summary>The running (unbiased) variance ("running_var", [C]), or null without <see cref="TrackRunningStats"/>.</summary>
    public StateBuffer? RunningVar { get; }

    /// <summary>The number of training batches seen ("num_batches_tracked", [1], a float), or null without <see cref="TrackRunningStats"/>.</summary>
    public StateBuffer? NumBatchesTracked { get; }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _parameters;

    /// <inheritdoc />
    public override IReadOnlyList<StateBuffer> Buffers => _buffers;

    /// <summary>γ = 1, β = 0 and the running statistics reset (PyTorch's <c>reset_parameters</c>); uses no randomness.</summary>
    /// <param name="random">Unused.</param>
    public override void Initialize(Random random) => Reset();

    /// <summary>running_mean = 0, running_var = 1, num_batches_tracked = 0 (PyTorch's <c>reset_running_stats</c>); γ and β are kept.</summary>
    public void ResetRunningStatistics()
    {
        RunningMean?.Value.Clear();
        RunningVar?.Value.AsSpan().Fill(1f);
        NumBatchesTracked?.Value.Clear();
    }

    /// <inheritdoc />
    public override void WriteConfig(Serialization.LayerConfigWriter config)
    {
        ThrowHelper.NotNull(config, nameof(config));
        config.Write("channels", Channels);
        if (Momentum is double m)
        {
            config.Write("momentum", m);
        }

        config.Write("epsilon", Epsilon);
        config.Write("affine", Affine);
        config.Write("trackRunningStats", TrackRunningStats);
    }

    /// <inheritdoc />
    public override int[] GetOutputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length < _minRank || inputShape.Length > _maxRank)
        {
            Fail(nameof(inputShape), $"expects per-sample input {_layout}; actual {ThrowHelper.Shape(inputShape)}.");
        }

        if (inputShape[0] != Channels)
        {
            Fail(nameof(inputShape), $"expects {Channels} channels (axis 0 of {_layout}); actual {inputShape[0]} in {ThrowHelper.Shape(inputShape)}.");
        }

        return inputShape.ToArray();
    }

    /// <inheritdoc />
    protected override void ForwardCore(Tensor input, Tensor output) => Forward(input, output, relu: false);

    /// <inheritdoc />
    protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient) =>
        Backward(input, output, outputGradient, inputGradient, relu: false);

    /// <inheritdoc />
    internal override bool AbsorbsReLU => true;

    /// <summary>z = max(y, 0) in the same pass as y = γ x̂ + β: the BatchNorm → ReLU pair with y never stored.</summary>
    /// <inheritdoc />
    private protected override void ForwardReLUCore(Tensor input, Tensor output) => Forward(input, output, relu: true);

    /// <summary>The pair's backward: δ = δz ⊙ [y ≥ 0] with y recomputed from x inside the two passes over the channel.</summary>
    /// <inheritdoc />
    private protected override void BackwardReLUCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient) =>
        Backward(input, output, outputGradient, inputGradient, relu: true);

    private void Forward(Tensor input, Tensor output, bool relu)
    {
        long m = input.Length / Channels;
        _batchStats = IsTraining || !TrackRunningStats;
        if (_batchStats && m < 2)
        {
            Fail(nameof(input), $"needs more than one value per channel for batch statistics (N · spatial = {m}, input {ThrowHelper.Shape(input.Shape)}); use a larger batch or inference mode.");
        }

        if (_mean.Length == 0)
        {
            // Per-channel scratch, made on the first Forward (a loaded model allocates only its parameters and buffers).
            int c = Channels;
            (_mean, _invStd, _s1, _s2) = (new double[c], new double[c], new double[c], new double[c]);
            (_shift, _scale, _offset, _a, _k, _b, _c) = (new float[c], new float[c], new float[c], new float[c], new float[c], new float[c], new float[c]);
        }

        _update = IsTraining && TrackRunningStats;
        if (_update)
        {
            Span<float> count = NumBatchesTracked!.Value.AsSpan();
            count[0] += 1f;
            _factor = Momentum ?? (1.0 / count[0]);
        }

        Run(input, output, null, null, relu);
    }

    private void Backward(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient, bool relu)
    {
        if (inputGradient is null && !Affine)
        {
            return;
        }

        Run(input, output, outputGradient, inputGradient, relu);
    }

    private void Reset()
    {
        Weight?.Value.AsSpan().Fill(1f);
        Bias?.Value.Clear();
        ResetRunningStatistics();
    }

    /// <summary>Whether the last forward or backward ran fused with the ReLU after it (for tests: fused and unfused
    /// passes give the same bits, so only this shows that a container fused the pair).</summary>
    internal bool LastPassFused { get; private set; }

    private void Run(Tensor x, Tensor y, Tensor? dy, Tensor? dx, bool relu)
    {
        LastPassFused = relu;
        (_x, _y, _dy, _dx, _relu) = (x, y, dy, dx, relu);
        try
        {
            _work.Run(Channels, x.Length, DegreeOfParallelism);
        }
        finally
        {
            _x = _y = _dy = _dx = null;
        }
    }

    void IRangeKernel.Range(int c0, int c1)
    {
        switch ((_dy is null, _relu))
        {
            case (true, false): ForwardChannels<PassGate>(c0, c1); break;
            case (true, true): ForwardChannels<ReLUGate>(c0, c1); break;
            case (false, false): BackwardChannels<PassGate>(c0, c1); break;
            default: BackwardChannels<ReLUGate>(c0, c1); break;
        }
    }

    /// <summary>Statistics (batch or running), running update and y = (x − μ_f)·a + o (through the gate: y or
    /// max(y, 0)) for channels [c0, c1).</summary>
    private void ForwardChannels<TGate>(int c0, int c1)
        where TGate : INormalizationGate
    {
        ReadOnlySpan<float> x = _x!.AsSpan();
        Span<float> y = _y!.AsSpan();
        int n = _x.Shape[0], s = _x.Length / (n * Channels), stride = Channels * s;
        double m = (double)n * s;
        if (_batchStats && s == 1)
        {
            ChannelStatistics.ColumnSums(x, n, Channels, c0, c1, _s1, _s2);
        }

        for (int c = c0; c < c1; c++)
        {
            double mean, invStd;
            if (_batchStats)
            {
                double shift, s1, s2;
                if (s == 1)
                {
                    (shift, s1, s2) = (x[c], _s1[c], _s2[c]);
                }
                else
                {
                    BlockStatistics.BlockSums(x, c * s, n, s, stride, out shift, out s1, out s2);
                }

                mean = shift + (s1 / m);
                double var = Math.Max(0, (s2 - (s1 * s1 / m)) / m);
                invStd = 1 / Math.Sqrt(var + Epsilon);
                if (_update)
                {
                    Span<float> rm = RunningMean!.Value.AsSpan(), rv = RunningVar!.Value.AsSpan();
                    rm[c] = (float)(((1 - _factor) * rm[c]) + (_factor * mean));
                    rv[c] = (float)(((1 - _factor) * rv[c]) + (_factor * var * m / (m - 1)));
                }
            }
            else
            {
                mean = RunningMean!.Value.AsSpan()[c];
                invStd = 1 / Math.Sqrt(RunningVar!.Value.AsSpan()[c] + Epsilon);
            }

            _mean[c] = mean;
            _invStd[c] = invStd;
            (_shift[c], _scale[c], _offset[c]) = Coefficients(c, mean, invStd);
            if (s > 1)
            {
                for (int i = 0; i < n; i++)
                {
                    int o = (i * stride) + (c * s);
                    ChannelStatistics.Affine<TGate>(x.Slice(o, s), _shift[c], _scale[c], _offset[c], y.Slice(o, s));
                }
            }
        }

        if (s == 1)
        {
            for (int i = 0; i < n; i++)
            {
                int o = i * Channels;
                ChannelStatistics.Affine<TGate>(x[(o + c0)..(o + c1)], _shift.AsSpan(c0..c1), _scale.AsSpan(c0..c1), _offset.AsSpan(c0..c1), y[(o + c0)..(o + c1)]);
            }
        }
    }

    /// <summary>∂E/∂γ = Σ δ x̂, ∂E/∂β = Σ δ and δ^(l−1) for channels [c0, c1) (δ through the gate: δy, or δz ⊙ [y ≥ 0]).</summary>
    private void BackwardChannels<TGate>(int c0, int c1)
        where TGate : INormalizationGate
    {
        ReadOnlySpan<float> x = _x!.AsSpan(), dy = _dy!.AsSpan();
        Span<float> dx = _dx is null ? default : _dx.AsSpan();
        int n = _x.Shape[0], s = _x.Length / (n * Channels), stride = Channels * s;
        double m = (double)n * s;
        bool sums = _batchStats || Affine;
        if (sums && s == 1)
        {
            ChannelStatistics.ColumnGradientSums<TGate>(dy, x, n, Channels, c0, c1, _mean, _shift, _scale, _offset, _s1, _s2);
        }

        for (int c = c0; c < c1; c++)
        {
            double sdy = 0, sdyx = 0;
            if (sums)
            {
                if (s == 1)
                {
                    (sdy, sdyx) = (_s1[c], _s2[c]);
                }
                else
                {
                    BlockStatistics.BlockGradientSums<TGate>(dy, x, c * s, n, s, stride, _batchStats, _mean[c], _shift[c], _scale[c], _offset[c], out sdy, out sdyx);
                }
            }

            double invStd = _invStd[c], gamma = Weight is null ? 1.0 : Weight.Value.AsSpan()[c];
            if (Weight is not null)
            {
                Weight.Gradient.AsSpan()[c] = (float)(sdyx * invStd);
                Bias!.Gradient.AsSpan()[c] = (float)sdy;
            }

            // Batch statistics: δ^(l−1) = a δ + b x̂_f + c with x̂_f = (x − μ_f)/σ, a = γ/σ, b = −γ/σ · Σ(δ x̂)/m,
            // c = −a Σδ/m + b (μ_f − μ)/σ. (b multiplies x̂ rather than x − μ: b/σ ∝ γ/σ² leaves float's range for
            // σ beyond ~1e19 or below ~1e-19.)
            double a = gamma * invStd;
            double b = _batchStats ? -a * invStd * sdyx / m : 0;
            _k[c] = (float)invStd;
            _b[c] = (float)b;
            _c[c] = _batchStats ? (float)((-a * sdy / m) + (b * invStd * (_shift[c] - _mean[c]))) : 0f;
            _a[c] = (float)a;
            if (_dx is null || s == 1)
            {
                continue;
            }

            for (int i = 0; i < n; i++)
            {
                int o = (i * stride) + (c * s);
                if (_batchStats)
                {
                    ChannelStatistics.AffineGradient<TGate>(dy.Slice(o, s), x.Slice(o, s), _a[c], _shift[c], _k[c], _b[c], _c[c], _scale[c], _offset[c], dx.Slice(o, s));
                }
                else
                {
                    ChannelStatistics.Scale<TGate>(dy.Slice(o, s), x.Slice(o, s), _a[c], _shift[c], _scale[c], _offset[c], dx.Slice(o, s));
                }
            }
        }

        if (_dx is not null && s == 1)
        {
            for (int i = 0; i < n; i++)
            {
                Range r = ((i * Channels) + c0)..((i * Channels) + c1);
                if (_batchStats)
                {
                    ChannelStatistics.AffineGradient<TGate>(dy[r], x[r], _a.AsSpan(c0..c1), _shift.AsSpan(c0..c1), _k.AsSpan(c0..c1), _b.AsSpan(c0..c1), _c.AsSpan(c0..c1), _scale.AsSpan(c0..c1), _offset.AsSpan(c0..c1), dx[r]);
                }
                else
                {
                    ChannelStatistics.Scale<TGate>(dy[r], x[r], _a.AsSpan(c0..c1), _shift.AsSpan(c0..c1), _scale.AsSpan(c0..c1), _offset.AsSpan(c0..c1), dx[r]);
                }
            }
        }
    }
}
